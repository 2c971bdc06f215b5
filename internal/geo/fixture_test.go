package geo

import (
	"math"
	"math/rand"
	"testing"
)

// metresPerDegLat matches the package's sphere so fixtures sized in metres
// have exactly the intended area under Area.
const metresPerDegLat = EarthRadius * math.Pi / 180

func metresPerDegLng(lat float64) float64 { return metresPerDegLat * math.Cos(lat*math.Pi/180) }

// offset moves p by dx metres east and dy metres north.
func offset(p Point, dx, dy float64) Point {
	return Point{p.Lng + dx/metresPerDegLng(p.Lat), p.Lat + dy/metresPerDegLat}
}

// rectRing is an axis-aligned rectangle in metres relative to origin,
// counter-clockwise and closed.
func rectRing(origin Point, x0, y0, x1, y1 float64) Ring {
	return Ring{offset(origin, x0, y0), offset(origin, x1, y0), offset(origin, x1, y1), offset(origin, x0, y1), offset(origin, x0, y0)}
}

func rectPoly(origin Point, x0, y0, x1, y1 float64) MultiPolygon {
	return MultiPolygon{{rectRing(origin, x0, y0, x1, y1)}}
}

// ring builds a closed ring from plain coordinate pairs.
func ring(coords ...float64) Ring {
	r := make(Ring, 0, len(coords)/2)
	for i := 0; i+1 < len(coords); i += 2 {
		r = append(r, Point{coords[i], coords[i+1]})
	}
	return r
}

func MustParseGeometry(tb testing.TB, s string) MultiPolygon {
	tb.Helper()
	m, err := ParseGeometry([]byte(s))
	if err != nil {
		tb.Fatalf("ParseGeometry(%s): %v", s, err)
	}
	return m
}

var beijing = Point{116.4, 39.9}

// tiling describes a deterministic region made of grid cells on a jittered
// lattice. Neighbouring cells use the very same vertices along their shared
// border, as real grid data exported from one GIS layer does.
type tiling struct {
	entries []Entry
	bounds  Rect
}

// Levels of the fixture's region hierarchy.
const (
	levelDistrict  = 1
	levelCommunity = 2
	levelGrid      = 3
)

// buildTiling makes cols×rows grid cells of about cellM metres a side, each
// with 8–28 vertices (4 corners plus 1–6 points per side). With parents it
// adds communities (blocks of 10×5 cells) and districts (blocks of 50×25
// cells) whose borders follow the same vertices.
func buildTiling(seed int64, cols, rows int, cellM float64, parents bool) tiling {
	rng := rand.New(rand.NewSource(seed))
	origin := Point{116.2, 39.7}
	dLat := cellM / metresPerDegLat
	dLng := cellM / metresPerDegLng(origin.Lat)
	// Corner jitter ±15% and side jitter ±3% keep every cell simple: sides
	// meeting at a corner stay more than 40° apart.
	node := make([][]Point, cols+1)
	for i := range node {
		node[i] = make([]Point, rows+1)
		for j := range node[i] {
			node[i][j] = Point{
				origin.Lng + (float64(i)+0.3*(rng.Float64()-0.5))*dLng,
				origin.Lat + (float64(j)+0.3*(rng.Float64()-0.5))*dLat,
			}
		}
	}
	side := func(a, b Point, perp Point) []Point {
		k := 1 + rng.Intn(6)
		pts := make([]Point, k)
		for m := range pts {
			t := float64(m+1) / float64(k+1)
			w := 0.06 * (rng.Float64() - 0.5)
			pts[m] = Point{a.Lng + t*(b.Lng-a.Lng) + w*perp.Lng, a.Lat + t*(b.Lat-a.Lat) + w*perp.Lat}
		}
		return pts
	}
	hSide := make([][][]Point, cols) // node(i,j) → node(i+1,j)
	for i := range hSide {
		hSide[i] = make([][]Point, rows+1)
		for j := range hSide[i] {
			hSide[i][j] = side(node[i][j], node[i+1][j], Point{0, dLat})
		}
	}
	vSide := make([][][]Point, cols+1) // node(i,j) → node(i,j+1)
	for i := range vSide {
		vSide[i] = make([][]Point, rows)
		for j := range vSide[i] {
			vSide[i][j] = side(node[i][j], node[i][j+1], Point{dLng, 0})
		}
	}
	reversed := func(s []Point) []Point {
		r := make([]Point, len(s))
		for k, p := range s {
			r[len(s)-1-k] = p
		}
		return r
	}
	// block traces the border of cells [i0,i1)×[j0,j1) counter-clockwise.
	block := func(i0, j0, i1, j1 int) Ring {
		var r Ring
		for i := i0; i < i1; i++ {
			r = append(r, node[i][j0])
			r = append(r, hSide[i][j0]...)
		}
		for j := j0; j < j1; j++ {
			r = append(r, node[i1][j])
			r = append(r, vSide[i1][j]...)
		}
		for i := i1; i > i0; i-- {
			r = append(r, node[i][j1])
			r = append(r, reversed(hSide[i-1][j1])...)
		}
		for j := j1; j > j0; j-- {
			r = append(r, node[i0][j])
			r = append(r, reversed(vSide[i0][j-1])...)
		}
		return append(r, node[i0][j0])
	}
	var t tiling
	for j := range rows {
		for i := range cols {
			t.entries = append(t.entries, Entry{
				ID: int64(1_000_000 + j*cols + i), Level: levelGrid,
				Geom: MultiPolygon{{block(i, j, i+1, j+1)}},
			})
		}
	}
	if parents {
		addBlocks := func(bw, bh int, level int, firstID int64) {
			id := firstID
			for j0 := 0; j0 < rows; j0 += bh {
				for i0 := 0; i0 < cols; i0 += bw {
					t.entries = append(t.entries, Entry{ID: id, Level: level,
						Geom: MultiPolygon{{block(i0, j0, min(i0+bw, cols), min(j0+bh, rows))}}})
					id++
				}
			}
		}
		addBlocks(10, 5, levelCommunity, 1000)
		addBlocks(50, 25, levelDistrict, 1)
	}
	t.bounds = emptyRect
	for _, e := range t.entries {
		t.bounds = t.bounds.union(e.Geom.Bounds())
	}
	return t
}

// linearScan is the brute-force reference for Index.Lookup: test every
// entry, keep the best by the documented rule.
type linearScan struct {
	entries []Entry
	areas   []float64
	bounds  []Rect
}

func newLinearScan(entries []Entry) *linearScan {
	s := &linearScan{entries: entries}
	for _, e := range entries {
		s.areas = append(s.areas, e.Geom.Area())
		s.bounds = append(s.bounds, e.Geom.Bounds())
	}
	return s
}

func (s *linearScan) lookup(p Point) (int64, bool) {
	best := -1
	for i, e := range s.entries {
		if !s.bounds[i].Contains(p) || !e.Geom.Contains(p) {
			continue
		}
		if best < 0 || s.better(i, best) {
			best = i
		}
	}
	if best < 0 {
		return 0, false
	}
	return s.entries[best].ID, true
}

func (s *linearScan) better(i, j int) bool {
	a, b := s.entries[i], s.entries[j]
	if a.Level != b.Level {
		return a.Level > b.Level
	}
	if s.areas[i] != s.areas[j] {
		return s.areas[i] < s.areas[j]
	}
	return a.ID < b.ID
}

// randomPoints returns n points uniformly in r, plus a share of lattice
// vertices so that boundary cases are exercised, not just interiors.
func randomPoints(rng *rand.Rand, r Rect, n int, vertices []Entry) []Point {
	pts := make([]Point, n)
	for k := range pts {
		if len(vertices) > 0 && k%10 == 0 {
			g := vertices[rng.Intn(len(vertices))].Geom[0][0]
			pts[k] = g[rng.Intn(len(g))]
			continue
		}
		pts[k] = Point{
			r.MinLng + rng.Float64()*(r.MaxLng-r.MinLng),
			r.MinLat + rng.Float64()*(r.MaxLat-r.MinLat),
		}
	}
	return pts
}
