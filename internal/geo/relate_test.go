package geo

import "testing"

// noisy returns m with every coordinate moved by up to ±amp degrees, as
// happens when the same border is exported by two tools.
func noisy(m MultiPolygon, amp float64) MultiPolygon {
	out := make(MultiPolygon, len(m))
	k := 0
	for i, poly := range m {
		out[i] = make(Polygon, len(poly))
		for j, r := range poly {
			nr := make(Ring, len(r))
			for n, p := range r {
				k++
				d := amp * float64(k%3-1) // -amp, 0, +amp in turn
				nr[n] = Point{p.Lng + d, p.Lat - d}
			}
			nr[len(nr)-1] = nr[0]
			out[i][j] = nr
		}
	}
	return out
}

func TestWithin(t *testing.T) {
	o := beijing
	parent := rectPoly(o, 0, 0, 1000, 1000)
	leftHalf := rectPoly(o, 0, 0, 500, 1000)
	// The left half with the middle of its west side pushed out by d metres.
	bulge := func(d float64) MultiPolygon {
		return MultiPolygon{{Ring{offset(o, 0, 0), offset(o, 500, 0), offset(o, 500, 1000), offset(o, 0, 1000), offset(o, -d, 500), offset(o, 0, 0)}}}
	}
	// A strip spanning a hole in the parent with no vertex inside the hole.
	holed := MultiPolygon{{rectRing(o, 0, 0, 1000, 1000), rectRing(o, 450, 100, 550, 900)}}
	strip := rectPoly(o, 100, 400, 900, 600)
	tests := []struct {
		name          string
		child, parent MultiPolygon
		tol           float64
		want          bool
	}{
		{"inside sharing three borders", leftHalf, parent, 0, true},
		{"itself", parent, parent, 0, true},
		{"shared border with 1e-9 noise", noisy(leftHalf, 1e-9), parent, 1, true},
		{"shared border with 1e-9 noise at zero tolerance", noisy(leftHalf, 1e-9), parent, 0, true},
		{"3 m bulge at 5 m", bulge(3), parent, 5, true},
		{"50 m bulge at 5 m", bulge(50), parent, 5, false},
		{"50 m bulge at 60 m", bulge(50), parent, 60, true},
		{"disjoint", rectPoly(o, 2000, 0, 2500, 500), parent, 5, false},
		{"parent inside child", parent, leftHalf, 5, false},
		{"strip across a hole", strip, holed, 5, false},
		{"strip beside a hole", rectPoly(o, 100, 400, 400, 600), holed, 5, true},
		{"empty child", MultiPolygon{}, parent, 5, true},
		{"empty parent", leftHalf, MultiPolygon{}, 5, false},
		{"second part of a MultiPolygon parent", rectPoly(o, 2100, 100, 2400, 400),
			MultiPolygon{parent[0], rectPoly(o, 2000, 0, 2500, 500)[0]}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Within(tt.child, tt.parent, tt.tol); got != tt.want {
				t.Fatalf("Within(tol %v) = %v, want %v", tt.tol, got, tt.want)
			}
		})
	}
}

func TestOverlaps(t *testing.T) {
	o := beijing
	a := rectPoly(o, 0, 0, 1000, 1000)
	horizontal := rectPoly(o, -500, 400, 1500, 600)
	vertical := rectPoly(o, 400, -500, 600, 1500)
	tests := []struct {
		name string
		a, b MultiPolygon
		tol  float64
		want bool
	}{
		{"touching squares", a, rectPoly(o, 1000, 0, 2000, 1000), 1, false},
		{"touching squares at zero tolerance", a, rectPoly(o, 1000, 0, 2000, 1000), 0, false},
		{"touching at a corner", a, rectPoly(o, 1000, 1000, 2000, 2000), 1, false},
		{"touching with 1e-9 noise", noisy(a, 1e-9), rectPoly(o, 1000, 0, 2000, 1000), 1, false},
		{"1 m sliver at 5 m", a, rectPoly(o, 999, 0, 2000, 1000), 5, false},
		{"partial overlap", a, rectPoly(o, 700, 300, 1700, 1300), 5, true},
		{"containment", a, rectPoly(o, 200, 200, 300, 300), 5, true},
		{"contained the other way", rectPoly(o, 200, 200, 300, 300), a, 5, true},
		{"cross with no vertex inside the other", horizontal, vertical, 5, true},
		{"identical", a, a, 5, true},
		{"disjoint", a, rectPoly(o, 3000, 3000, 4000, 4000), 5, false},
		{"inside the other's hole", MultiPolygon{{a[0][0], rectRing(o, 200, 200, 800, 800)}}, rectPoly(o, 300, 300, 700, 700), 5, false},
		{"empty", a, MultiPolygon{}, 5, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Overlaps(tt.a, tt.b, tt.tol); got != tt.want {
				t.Fatalf("Overlaps(tol %v) = %v, want %v", tt.tol, got, tt.want)
			}
		})
	}
	// The cross case is only meaningful if no vertex of either lies inside
	// the other, which is what defeats vertex-in-polygon shortcuts.
	for _, v := range horizontal[0][0] {
		if vertical.Contains(v) {
			t.Fatalf("fixture broken: vertex %v of horizontal inside vertical", v)
		}
	}
}
