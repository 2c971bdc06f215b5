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
func clustersByPairs(pts []HotspotPoint, p ClusterParams) [][]int {
	radiusM, window, minPts := p.RadiusM, p.Window, p.MinPts
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
	cell := func(i int) (int64, int64) {
		return int64(math.Floor(pts[i].Lng * kx / radiusM)), int64(math.Floor(pts[i].Lat * metresPerDegree / radiusM))
	}
	// background: the group's points outside i's time window, within its
	// radius (disc) and in the 5×5 cells around it (block).
	background := func(i int) (disc, block int) {
		cx, cy := cell(i)
		for j := range pts {
			dt := pts[i].At.Sub(pts[j].At)
			if pts[j].Group != pts[i].Group || (dt <= window && -dt <= window) {
				continue
			}
			if jx, jy := cell(j); jx >= cx-2 && jx <= cx+2 && jy >= cy-2 && jy <= cy+2 {
				block++
				dx := (pts[i].Lng - pts[j].Lng) * kx
				dy := (pts[i].Lat - pts[j].Lat) * metresPerDegree
				if dx*dx+dy*dy <= radiusM*radiusM {
					disc++
				}
			}
		}
		return disc, block
	}
	core := make([]bool, len(pts))
	for i := range pts {
		n := 0
		for j := range pts {
			if near(i, j) {
				n++
			}
		}
		need := minPts - 1
		if p.Alpha > 0 {
			lo, hi := pts[i].At.Add(-window), pts[i].At.Add(window)
			if lo.Before(p.From) {
				lo = p.From
			}
			if hi.After(p.To) {
				hi = p.To
			}
			in := float64(hi.Sub(lo))
			out := float64(p.To.Sub(p.From)) - in
			if disc, block := background(i); disc+block > 0 && in > 0 && out > 0 {
				lambda := max(float64(disc), float64(block)*math.Pi/25) * in / out
				// The smallest k whose upper tail is at most alpha.
				k := 0
				for tail := 1.0; tail > p.Alpha; k++ {
					tail -= poissonPMF(lambda, k)
				}
				need = max(need, k)
			}
		}
		core[i] = n >= need
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

func poissonPMF(lambda float64, k int) float64 {
	lg, _ := math.Lgamma(float64(k + 1))
	return math.Exp(-lambda + float64(k)*math.Log(lambda) - lg)
}

// TestClustersEqualsPairwise checks the bucketed clustering against the
// pairwise definition on random cities, dense and sparse, several radii
// and windows, with points on cell edges and at equal times.
func TestClustersEqualsPairwise(t *testing.T) {
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	usualMatters := 0 // configurations the background rate changed
	plain := ""
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
					for _, alpha := range []float64{0, 1 / float64(n), 0.05} {
						p := ClusterParams{RadiusM: radius, Window: window, MinPts: minPts, Alpha: alpha, From: base, To: base.Add(30 * 24 * time.Hour)}
						got := Clusters(pts, p)
						want := clustersByPairs(pts, p)
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
							t.Fatalf("seed %d radius %v window %v minPts %d alpha %v:\n got %v\nwant %v", seed, radius, window, minPts, alpha, got, want)
						}
						if alpha == 0 {
							plain = fmt.Sprint(got)
						} else if fmt.Sprint(got) != plain {
							usualMatters++
						}
					}
				}
			}
		}
	}
	if usualMatters == 0 {
		t.Fatal("the background rate never changed a clustering: the comparison says nothing of it")
	}
	t.Logf("the background rate changed %d clusterings", usualMatters)
}

func TestCellKeyRoundTrip(t *testing.T) {
	for _, c := range [][3]int64{{0, 0, 0}, {3, -1, 1}, {7, 54000, -20000}, {1, -(1 << 20), 1<<20 - 1}} {
		g, x, y := splitCellKey(cellKey(uint64(c[0]), c[1], c[2]))
		if int64(g) != c[0] || x != c[1] || y != c[2] {
			t.Errorf("cellKey%v round trip = %d %d %d", c, g, x, y)
		}
	}
}

func TestPoissonQuantile(t *testing.T) {
	for _, c := range []struct {
		lambda, alpha float64
		want          int
	}{
		{0, 0.01, 1},     // nothing usual: any one stands out
		{1, 0.05, 4},     // P(X≥3) = 0.080, P(X≥4) = 0.019
		{2, 0.01, 7},     // P(X≥6) = 0.017, P(X≥7) = 0.0045
		{3.5, 1e-3, 12},  // P(X≥11) = 0.0010, P(X≥12) = 0.00029
		{0.1, 0.0025, 3}, // P(X≥2) = 0.0047, P(X≥3) = 0.00015
	} {
		if got := PoissonQuantile(c.lambda, c.alpha); got != c.want {
			t.Errorf("PoissonQuantile(%v, %v) = %d, want %d", c.lambda, c.alpha, got, c.want)
		}
	}
	// Far beyond where exp(−λ) underflows: about λ + 4.75·√λ.
	if got := PoissonQuantile(1000, 1e-6); got < 1120 || got > 1180 {
		t.Errorf("PoissonQuantile(1000, 1e-6) = %d", got)
	}
}

// TestClustersUsualLoad: in a busy district (1,000 cases of one family a
// month over 2 km × 2 km) a burst of ten cases in one spot within half a
// day is the one cluster once the place's usual load counts; without it
// dozens of chance meetings of three cases are clusters beside it.
func TestClustersUsualLoad(t *testing.T) {
	from := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(30 * 24 * time.Hour)
	rng := rand.New(rand.NewPCG(3, 9))
	const metres = 1 / metresPerDegree
	var pts []HotspotPoint
	for range 1000 {
		pts = append(pts, HotspotPoint{Lng: 116.40 + rng.Float64()*2000*metres/math.Cos(39.9*math.Pi/180), Lat: 39.90 + rng.Float64()*2000*metres,
			At: from.Add(time.Duration(rng.Int64N(int64(to.Sub(from))))), Group: "01"})
	}
	burst := map[int]bool{}
	at := from.Add(17 * 24 * time.Hour)
	for range 10 {
		burst[len(pts)] = true
		pts = append(pts, HotspotPoint{Lng: 116.405 + rng.Float64()*30*metres, Lat: 39.905 + rng.Float64()*30*metres,
			At: at.Add(time.Duration(rng.Int64N(int64(12 * time.Hour)))), Group: "01"})
	}
	p := ClusterParams{RadiusM: 200, Window: 24 * time.Hour, MinPts: 3, From: from, To: to}

	// Without it, chance meetings of the usual load are clusters too.
	plain := Clusters(pts, p)
	if len(plain) < 20 {
		t.Fatalf("without the usual load, chance clusters of a busy district: only %d", len(plain))
	}

	p.Alpha = 1 / float64(len(pts))
	got := Clusters(pts, p)
	// Alpha is one chance core per detection: a chance cluster may
	// still be there, but one, not dozens.
	found, chance := false, 0
	for _, g := range got {
		in := 0
		for _, i := range g {
			if burst[i] {
				in++
			}
		}
		switch {
		case in >= 9 && len(g) <= 20:
			found = true
		case in == 0:
			chance++
		default:
			t.Errorf("the burst mixed with the usual load: %d of %d cases", in, len(g))
		}
	}
	if !found || chance > 1 {
		t.Fatalf("the burst should stand out, with at most one chance cluster: %d clusters %v", len(got), got)
	}
	t.Logf("plain: %d clusters, the largest %d cases; with the usual load: %d", len(plain), len(plain[0]), len(got))
}
