package geo

import (
	"math"
	"testing"
)

func TestContains(t *testing.T) {
	withHole := MultiPolygon{{ring(0, 0, 4, 0, 4, 4, 0, 4, 0, 0), ring(1, 1, 3, 1, 3, 3, 1, 3, 1, 1)}}
	islands := MultiPolygon{{ring(0, 0, 1, 0, 1, 1, 0, 1, 0, 0)}, {ring(5, 5, 6, 5, 6, 6, 5, 6, 5, 5)}}
	diamond := MultiPolygon{{ring(0, -2, 2, 0, 0, 2, -2, 0, 0, -2)}}
	tests := []struct {
		name string
		m    MultiPolygon
		p    Point
		want bool
	}{
		{"in ring between outer and hole", withHole, Point{0.5, 2}, true},
		{"in hole", withHole, Point{2, 2}, false},
		{"on hole edge", withHole, Point{2, 1}, true},
		{"on hole corner", withHole, Point{3, 3}, true},
		{"on outer bottom edge", withHole, Point{2, 0}, true},
		{"on outer top edge", withHole, Point{2, 4}, true},
		{"on outer vertical edge", withHole, Point{4, 2.5}, true},
		{"on outer corner", withHole, Point{0, 4}, true},
		{"outside, level with the top edge", withHole, Point{5, 4}, false},
		{"outside", withHole, Point{-1, 2}, false},
		{"first part of MultiPolygon", islands, Point{0.5, 0.5}, true},
		{"second part of MultiPolygon", islands, Point{5.5, 5.5}, true},
		{"between parts", islands, Point{3, 3}, false},
		{"top vertex of diamond", diamond, Point{0, 2}, true},
		{"side vertex of diamond", diamond, Point{2, 0}, true},
		{"on sloped edge", diamond, Point{1, 1}, true},
		{"just outside sloped edge", diamond, Point{1, 1.000001}, false},
		{"level with side vertex, outside", diamond, Point{3, 0}, false},
		{"empty", MultiPolygon{}, Point{0, 0}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.Contains(tt.p); got != tt.want {
				t.Fatalf("Contains(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestArea(t *testing.T) {
	km := rectPoly(beijing, 0, 0, 1000, 1000)
	withHole := MultiPolygon{{km[0][0], rectRing(beijing, 250, 250, 750, 750)}}
	k := km[0][0]
	clockwise := MultiPolygon{{Ring{k[0], k[3], k[2], k[1], k[0]}}}
	equator := rectPoly(Point{10, 0}, 0, 0, 1000, 1000)
	tests := []struct {
		name string
		m    MultiPolygon
		want float64
	}{
		{"1 km square in Beijing", km, 1e6},
		{"clockwise", clockwise, 1e6},
		{"with 500 m hole", withHole, 1e6 - 0.25e6},
		{"two squares", MultiPolygon{km[0], equator[0]}, 2e6},
		{"empty", MultiPolygon{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.m.Area()
			if math.Abs(got-tt.want) > 0.01*tt.want {
				t.Fatalf("Area() = %.0f m², want %.0f m² ± 1%%", got, tt.want)
			}
		})
	}
}

func TestBoundsAndCentroid(t *testing.T) {
	sq := MultiPolygon{{ring(116, 39, 117, 39, 117, 40, 116, 40, 116, 39)}}
	if got, want := sq.Bounds(), (Rect{116, 39, 117, 40}); got != want {
		t.Errorf("Bounds() = %v, want %v", got, want)
	}
	if got := (MultiPolygon{}).Bounds(); got != (Rect{}) {
		t.Errorf("empty Bounds() = %v, want zero", got)
	}
	tests := []struct {
		name string
		m    MultiPolygon
		want Point
	}{
		{"square", sq, Point{116.5, 39.5}},
		{"L shape", MultiPolygon{{ring(0, 0, 2, 0, 2, 1, 1, 1, 1, 2, 0, 2, 0, 0)}}, Point{5.0 / 6, 5.0 / 6}},
		{"hole on the right shifts left", MultiPolygon{{ring(0, 0, 4, 0, 4, 4, 0, 4, 0, 0), ring(2, 0.5, 3.5, 0.5, 3.5, 3.5, 2, 3.5, 2, 0.5)}}, Point{(16*2 - 4.5*2.75) / 11.5, 2}},
		{"degenerate falls back to vertex mean", MultiPolygon{{ring(0, 0, 2, 0, 1, 0, 0, 0)}}, Point{1, 0}},
		{"empty", MultiPolygon{}, Point{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.m.Centroid()
			if math.Abs(got.Lng-tt.want.Lng) > 1e-9 || math.Abs(got.Lat-tt.want.Lat) > 1e-9 {
				t.Fatalf("Centroid() = %v, want %v", got, tt.want)
			}
		})
	}
}
