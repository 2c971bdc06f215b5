package geo

import (
	"math/rand"
	"testing"
)

func TestIndexLookup(t *testing.T) {
	o := beijing
	district := Entry{ID: 1, Level: 1, Geom: rectPoly(o, 0, 0, 3000, 3000)}
	// Two sibling grids sharing the border x = 1000, both inside the district.
	gridA := Entry{ID: 20, Level: 3, Geom: rectPoly(o, 0, 0, 1000, 1000)}
	gridB := Entry{ID: 10, Level: 3, Geom: rectPoly(o, 1000, 0, 2000, 1000)}
	// A community with a hole (a lake) in the middle of it.
	lake := MultiPolygon{{rectRing(o, 0, 1500, 1500, 3000), rectRing(o, 500, 2000, 1000, 2500)}}
	community := Entry{ID: 30, Level: 2, Geom: lake}
	// A grid made of two islands.
	islands := Entry{ID: 40, Level: 3, Geom: MultiPolygon{
		{rectRing(o, 5000, 0, 5500, 500)},
		{rectRing(o, 6000, 0, 6500, 500)},
	}}
	// Same level, same size, same border as gridB but a larger ID: must lose.
	twin := Entry{ID: 11, Level: 3, Geom: rectPoly(o, 2000, 0, 3000, 1000)}
	ix := NewIndex([]Entry{district, gridA, gridB, community, islands, twin})
	if got := ix.Len(); got != 6 {
		t.Fatalf("Len() = %d, want 6", got)
	}
	tests := []struct {
		name   string
		p      Point
		wantID int64
		wantOK bool
	}{
		{"deepest level wins over district", offset(o, 500, 500), 20, true},
		{"district where no grid", offset(o, 2500, 2500), 1, true},
		{"community outside its hole", offset(o, 200, 2800), 30, true},
		{"hole falls through to district", offset(o, 750, 2250), 1, true},
		{"hole border belongs to community", rectRing(o, 500, 2000, 1000, 2500)[0], 30, true},
		{"first island", offset(o, 5250, 250), 40, true},
		{"MultiPolygon second part", offset(o, 6250, 250), 40, true},
		{"between islands", offset(o, 5750, 250), 0, false},
		{"shared border goes to smaller area", rectRing(o, 1000, 0, 2000, 1000)[3], 10, true},
		{"equal area tie goes to smaller ID", rectRing(o, 2000, 0, 3000, 1000)[0], 10, true},
		{"outside everything", offset(o, -100, -100), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, ok := ix.Lookup(tt.p)
			if id != tt.wantID || ok != tt.wantOK {
				t.Errorf("Lookup(%v) = %d, %v; want %d, %v", tt.p, id, ok, tt.wantID, tt.wantOK)
			}
		})
	}
}

func TestIndexLookupSharedBorderDeterministic(t *testing.T) {
	o := beijing
	a := Entry{ID: 7, Level: 3, Geom: rectPoly(o, 0, 0, 1000, 1000)}
	b := Entry{ID: 8, Level: 3, Geom: rectPoly(o, 1000, 0, 2000, 1000)}
	border := offset(o, 1000, 0)
	border.Lat = o.Lat + 0.004 // any latitude on the shared vertical edge
	for _, entries := range [][]Entry{{a, b}, {b, a}} {
		ix := NewIndex(entries)
		for range 3 {
			if id, ok := ix.Lookup(border); !ok || id != 7 {
				t.Fatalf("Lookup(border) = %d, %v; want 7 regardless of input order", id, ok)
			}
		}
	}
}

func TestIndexEmpty(t *testing.T) {
	ix := NewIndex(nil)
	if _, ok := ix.Lookup(beijing); ok || ix.Len() != 0 {
		t.Fatalf("empty index matched or has Len %d", ix.Len())
	}
	ix = NewIndex([]Entry{{ID: 1, Level: 1}})
	if _, ok := ix.Lookup(beijing); ok || ix.Len() != 1 {
		t.Fatalf("index of an empty geometry matched or has Len %d", ix.Len())
	}
}

func TestTilingCellsAreValid(t *testing.T) {
	tl := buildTiling(1, 30, 30, 550, true)
	for _, e := range tl.entries {
		if err := Validate(e.Geom); err != nil {
			t.Fatalf("fixture entry %d: %v", e.ID, err)
		}
	}
	// Sibling grids must tile their community without overlap.
	a, b := tl.entries[0].Geom, tl.entries[1].Geom
	if Overlaps(a, b, 0) {
		t.Errorf("neighbouring cells overlap")
	}
	for _, e := range tl.entries {
		if e.Level == levelDistrict && e.ID == 1 && !Within(a, e.Geom, 0) {
			t.Errorf("first cell not within the first district")
		}
		if e.Level == levelDistrict && e.ID == 2 && Within(a, e.Geom, 0) {
			t.Errorf("first cell within the second district")
		}
	}
}

func TestIndexMatchesLinearScan(t *testing.T) {
	tl := buildTiling(2, 60, 50, 550, true)
	ix := NewIndex(tl.entries)
	ref := newLinearScan(tl.entries)
	rng := rand.New(rand.NewSource(3))
	// Extend the box so some points fall outside every entry.
	r := tl.bounds
	r.MinLng -= 0.01
	r.MaxLat += 0.01
	for _, p := range randomPoints(rng, r, 10_000, tl.entries) {
		gotID, gotOK := ix.Lookup(p)
		wantID, wantOK := ref.lookup(p)
		if gotID != wantID || gotOK != wantOK {
			t.Fatalf("Lookup(%v) = %d, %v; linear scan says %d, %v", p, gotID, gotOK, wantID, wantOK)
		}
	}
}

// TestIndexPropertyRandomRegions checks Lookup against the brute-force rule
// on random overlapping rectangles, holes and MultiPolygons at random levels,
// where ties on level are common and shared borders come from a coarse
// coordinate lattice.
func TestIndexPropertyRandomRegions(t *testing.T) {
	for seed := range int64(20) {
		rng := rand.New(rand.NewSource(seed))
		snap := func() float64 { return float64(rng.Intn(20)) * 100 }
		var entries []Entry
		for id := range int64(50 + rng.Intn(100)) {
			var m MultiPolygon
			for range 1 + rng.Intn(2) {
				x0, y0 := snap(), snap()
				x1, y1 := x0+100+snap(), y0+100+snap()
				poly := Polygon{rectRing(beijing, x0, y0, x1, y1)}
				if rng.Intn(3) == 0 && x1-x0 > 200 && y1-y0 > 200 {
					poly = append(poly, rectRing(beijing, x0+100, y0+100, x1-100, y1-100))
				}
				m = append(m, poly)
			}
			entries = append(entries, Entry{ID: id, Level: rng.Intn(3), Geom: m})
		}
		ix := NewIndex(entries)
		ref := newLinearScan(entries)
		for range 2000 {
			// Half the points on the 100 m lattice, i.e. on borders.
			x, y := rng.Float64()*4000-100, rng.Float64()*4000-100
			if rng.Intn(2) == 0 {
				x, y = float64(rng.Intn(41))*100, float64(rng.Intn(41))*100
			}
			p := offset(beijing, x, y)
			gotID, gotOK := ix.Lookup(p)
			wantID, wantOK := ref.lookup(p)
			if gotID != wantID || gotOK != wantOK {
				t.Fatalf("seed %d: Lookup(%v) = %d, %v; linear scan says %d, %v", seed, p, gotID, gotOK, wantID, wantOK)
			}
		}
	}
}

func TestIndexLookupDoesNotAllocate(t *testing.T) {
	tl := buildTiling(4, 20, 20, 550, true)
	ix := NewIndex(tl.entries)
	p := tl.bounds.center()
	if n := testing.AllocsPerRun(100, func() { ix.Lookup(p) }); n != 0 {
		t.Fatalf("Lookup allocates %v times per call", n)
	}
}

// benchTiling is the product's sizing case: 25,000 grid cells of ~0.3 km²
// (200 × 125 cells of 550 m, 8–28 vertices each) plus 500 communities and 20
// districts above them.
func benchTiling(b *testing.B) (tiling, []Point) {
	b.Helper()
	tl := buildTiling(42, 200, 125, 550, true)
	rng := rand.New(rand.NewSource(43))
	return tl, randomPoints(rng, tl.bounds, 1<<16, nil)
}

func BenchmarkIndexLookup(b *testing.B) {
	tl, pts := benchTiling(b)
	benchLookups(b, pts, NewIndex(tl.entries).Lookup)
}

func BenchmarkLinearScanLookup(b *testing.B) {
	tl, pts := benchTiling(b)
	benchLookups(b, pts, newLinearScan(tl.entries).lookup)
}

func benchLookups(b *testing.B, pts []Point, lookup func(Point) (int64, bool)) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	hits := 0
	for i := 0; b.Loop(); i++ {
		if _, ok := lookup(pts[i&(len(pts)-1)]); ok {
			hits++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	if hits == 0 {
		b.Fatal("no lookup hit")
	}
}

func BenchmarkNewIndex(b *testing.B) {
	tl, _ := benchTiling(b)
	b.ReportAllocs()
	for b.Loop() {
		NewIndex(tl.entries)
	}
}
