package geo

import (
	"errors"
	"math"
	"testing"
)

func TestValidate(t *testing.T) {
	square := ring(0, 0, 4, 0, 4, 4, 0, 4, 0, 0)
	tests := []struct {
		name     string
		m        MultiPolygon
		wantCode string // "" means valid
		wantAt   Point
		wantRing int
		wantPoly int
	}{
		{"square", MultiPolygon{{square}}, "", Point{}, 0, 0},
		{"square with hole", MultiPolygon{{square, ring(1, 1, 2, 1, 2, 2, 1, 2, 1, 1)}}, "", Point{}, 0, 0},
		{"hole touching outer at a point", MultiPolygon{{square, ring(0, 2, 2, 1, 2, 3, 0, 2)}}, "", Point{}, 0, 0},
		{"clockwise outer and duplicate point", MultiPolygon{{ring(0, 0, 0, 4, 4, 4, 4, 4, 4, 0, 0, 0)}}, "", Point{}, 0, 0},
		{"two separate polygons", MultiPolygon{{square}, {ring(10, 10, 11, 10, 11, 11, 10, 10)}}, "", Point{}, 0, 0},
		{"two polygons sharing an edge", MultiPolygon{{square}, {ring(4, 0, 8, 0, 8, 4, 4, 4, 4, 0)}}, "", Point{}, 0, 0},
		{"island in a lake", MultiPolygon{{square, ring(1, 1, 3, 1, 3, 3, 1, 3, 1, 1)}, {ring(1.5, 1.5, 2.5, 1.5, 2.5, 2.5, 1.5, 1.5)}}, "", Point{}, 0, 0},

		{"no polygons", MultiPolygon{}, ErrEmpty, Point{}, -1, -1},
		{"polygon without rings", MultiPolygon{{square}, {}}, ErrEmpty, Point{}, -1, 1},
		{"empty ring", MultiPolygon{{Ring{}}}, ErrEmpty, Point{}, 0, 0},
		{"triangle missing a corner", MultiPolygon{{ring(0, 0, 1, 0, 0, 0)}}, ErrTooFewPoints, Point{}, 0, 0},
		{"repeated points only", MultiPolygon{{ring(0, 0, 1, 0, 1, 0, 1, 0, 0, 0)}}, ErrTooFewPoints, Point{}, 0, 0},
		{"unclosed ring", MultiPolygon{{ring(0, 0, 4, 0, 4, 4, 0, 4)}}, ErrUnclosedRing, Point{0, 4}, 0, 0},
		{"latitude 91", MultiPolygon{{ring(0, 0, 4, 0, 4, 91, 0, 0)}}, ErrOutOfRange, Point{4, 91}, 0, 0},
		{"longitude -181", MultiPolygon{{ring(-181, 0, 4, 0, 4, 4, -181, 0)}}, ErrOutOfRange, Point{-181, 0}, 0, 0},
		{"NaN", MultiPolygon{{square, ring(1, 1, math.NaN(), 1, 2, 2, 1, 1)}}, ErrOutOfRange, Point{}, 1, 0},
		{"infinity", MultiPolygon{{ring(0, 0, math.Inf(1), 0, 4, 4, 0, 0)}}, ErrOutOfRange, Point{}, 0, 0},
		{"bow-tie", MultiPolygon{{ring(0, 0, 4, 4, 4, 0, 0, 4, 0, 0)}}, ErrSelfIntersection, Point{2, 2}, 0, 0},
		{"spike out and back", MultiPolygon{{ring(0, 0, 4, 0, 4, 4, 6, 6, 4, 4, 0, 4, 0, 0)}}, ErrSelfIntersection, Point{4, 4}, 0, 0},
		{"spike along an edge", MultiPolygon{{ring(0, 0, 4, 0, 2, 0, 2, 3, 0, 0)}}, ErrSelfIntersection, Point{2, 0}, 0, 0},
		{"figure eight through a repeated vertex", MultiPolygon{{ring(0, 0, 2, 2, 4, 0, 4, 4, 2, 2, 0, 4, 0, 0)}}, ErrSelfIntersection, Point{2, 2}, 0, 0},
		{"collinear ring", MultiPolygon{{ring(0, 0, 1, 0, 2, 0, 0, 0)}}, ErrSelfIntersection, Point{}, 0, 0},
		{"hole outside", MultiPolygon{{square, ring(5, 5, 6, 5, 6, 6, 5, 5)}}, ErrHoleOutside, Point{5, 5}, 1, 0},
		{"hole inside hole", MultiPolygon{{square, ring(1, 1, 3, 1, 3, 3, 1, 3, 1, 1), ring(1.5, 1.5, 2.5, 1.5, 2.5, 2.5, 1.5, 1.5)}}, ErrHoleOutside, Point{1.5, 1.5}, 2, 0},
		{"hole crossing outer", MultiPolygon{{square, ring(3, 1, 5, 1, 5, 2, 3, 2, 3, 1)}}, ErrRingsCross, Point{4, 1}, 1, 0},
		{"holes crossing", MultiPolygon{{square, ring(1, 1, 2, 1, 2, 2, 1, 2, 1, 1), ring(1.5, 1.5, 3, 1.5, 3, 3, 1.5, 1.5)}}, ErrRingsCross, Point{2, 1.5}, 2, 0},
		{"hole sharing an edge stretch with outer", MultiPolygon{{square, ring(0, 1, 1, 1, 1, 2, 0, 2, 0, 1)}}, ErrRingsCross, Point{0, 1}, 1, 0},
		{"polygons overlapping", MultiPolygon{{square}, {ring(2, 2, 6, 2, 6, 6, 2, 6, 2, 2)}}, ErrRingsCross, Point{}, -1, 1},
		{"polygon duplicated", MultiPolygon{{square}, {square}}, ErrRingsCross, Point{}, -1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.m)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ge *GeometryError
			if !errors.As(err, &ge) {
				t.Fatalf("Validate() = %v, want *GeometryError %s", err, tt.wantCode)
			}
			if ge.Code != tt.wantCode || ge.Ring != tt.wantRing || ge.Polygon != tt.wantPoly {
				t.Fatalf("Validate() = %+v, want code %s ring %d polygon %d", ge, tt.wantCode, tt.wantRing, tt.wantPoly)
			}
			if tt.wantAt != (Point{}) && ge.At != tt.wantAt {
				t.Fatalf("Validate().At = %v, want %v", ge.At, tt.wantAt)
			}
		})
	}
}

func TestGeometryErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *GeometryError
		want string
	}{
		{"full", &GeometryError{Code: ErrSelfIntersection, Polygon: 0, Ring: 0, At: Point{116.4, 39.9}},
			"self_intersection at (116.40000, 39.90000) in polygon 0 ring 0"},
		{"polygon only", &GeometryError{Code: ErrRingsCross, Polygon: 2, Ring: -1, At: Point{1, 2}},
			"rings_cross at (1.00000, 2.00000) in polygon 2"},
		{"bare", &GeometryError{Code: ErrEmpty, Polygon: -1, Ring: -1}, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Fatalf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}
