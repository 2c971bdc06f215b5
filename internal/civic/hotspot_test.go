package civic

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// clustersByPairs is Clusters by its definition, comparing every pair:
// the reference the bucketed version must equal.
func clustersByPairs(pts []HotspotPoint, radiusM float64, window time.Duration, minPts int) [][]int {
	var latSum float64
	for _, p := range pts {
		latSum += p.Lat
	}
	kx := metresPerDegree * math.Cos(latSum/float64(len(pts))*math.Pi/180)
	near := func(i, j int) bool {
		dx := (pts[i].Lng - pts[j].Lng) * kx
		dy := (pts[i].Lat - pts[j].Lat) * metresPerDegree
		dt := pts[i].At.Sub(pts[j].At)
		return i != j && pts[i].Group == pts[j].Group && dx*dx+dy*dy <= radiusM*radiusM && dt <= window && -dt <= window
	}
	core := make([]bool, len(pts))
	for i := range pts {
		n := 0
		for j := range pts {
			if near(i, j) {
				n++
			}
		}
		core[i] = n >= minPts-1
	}
	label := make([]int, len(pts))
	for i := range label {
		label[i] = -1
	}
	// Flood the cores' components; a border point takes the component of
	// its first (lowest-index) core neighbour.
	next := 0
	for i := range pts {
		if !core[i] || label[i] >= 0 {
			continue
		}
		stack := []int{i}
		label[i] = next
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for j := range pts {
				if core[j] && label[j] < 0 && near(k, j) {
					label[j] = next
					stack = append(stack, j)
				}
			}
		}
		next++
	}
	for j := range pts {
		if core[j] {
			continue
		}
		for i := range pts {
			if core[i] && near(i, j) {
				label[j] = label[i]
				break
			}
		}
	}
	groups := map[int][]int{}
	for i, l := range label {
		if l >= 0 {
			groups[l] = append(groups[l], i)
		}
	}
	var out [][]int
	for _, g := range groups {
		if len(g) >= minPts {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b []int) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return a[0] - b[0]
	})
	return out
}

// TestClustersEqualsPairwise checks the bucketed clustering against the
// pairwise definition on random cities, dense and sparse, several radii
// and windows, with points on cell edges and at equal times.
func TestClustersEqualsPairwise(t *testing.T) {
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for seed := uint64(1); seed <= 12; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		n := 200 + rng.IntN(600)
		spread := []float64{0.002, 0.01, 0.05}[seed%3]
		pts := make([]HotspotPoint, n)
		for i := range pts {
			pts[i] = HotspotPoint{
				Lng:   116.40 + (rng.Float64()*2-1)*spread,
				Lat:   39.91 + (rng.Float64()*2-1)*spread,
				At:    base.Add(time.Duration(rng.IntN(30*24)) * time.Hour),
				Group: fmt.Sprintf("%02d", rng.IntN(3)),
			}
			if i > 0 && rng.IntN(10) == 0 { // same place and time as another
				pts[i] = pts[rng.IntN(i)]
			}
		}
		for _, radius := range []float64{50, 200, 800} {
			for _, window := range []time.Duration{24 * time.Hour, 7 * 24 * time.Hour} {
				for _, minPts := range []int{2, 3, 5} {
					got := Clusters(pts, radius, window, minPts)
					want := clustersByPairs(pts, radius, window, minPts)
					for _, g := range got {
						slices.Sort(g)
					}
					slices.SortFunc(got, func(a, b []int) int {
						if len(a) != len(b) {
							return len(b) - len(a)
						}
						return a[0] - b[0]
					})
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Fatalf("seed %d radius %v window %v minPts %d:\n got %v\nwant %v", seed, radius, window, minPts, got, want)
					}
				}
			}
		}
	}
}

func TestCellKeyRoundTrip(t *testing.T) {
	for _, c := range [][3]int64{{0, 0, 0}, {3, -1, 1}, {7, 54000, -20000}, {1, -(1 << 20), 1<<20 - 1}} {
		g, x, y := splitCellKey(cellKey(uint64(c[0]), c[1], c[2]))
		if int64(g) != c[0] || x != c[1] || y != c[2] {
			t.Errorf("cellKey%v round trip = %d %d %d", c, g, x, y)
		}
	}
}
