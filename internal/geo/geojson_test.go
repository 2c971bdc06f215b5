package geo

import (
	"slices"
	"strings"
	"testing"
)

func TestParseGeometry(t *testing.T) {
	square := ring(0, 0, 1, 0, 1, 1, 0, 1, 0, 0)
	hole := ring(0.2, 0.2, 0.4, 0.2, 0.4, 0.4, 0.2, 0.2)
	tests := []struct {
		name string
		in   string
		want MultiPolygon
	}{
		{"polygon", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}`,
			MultiPolygon{{square}}},
		{"polygon with hole and altitude",
			`{"type":"Polygon","coordinates":[[[0,0,5],[1,0,5],[1,1,5],[0,1,5],[0,0,5]],[[0.2,0.2],[0.4,0.2],[0.4,0.4],[0.2,0.2]]]}`,
			MultiPolygon{{square, hole}}},
		{"multipolygon", `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}`,
			MultiPolygon{{square}, {ring(5, 5, 6, 5, 6, 6, 5, 5)}}},
		{"extra members ignored", `{"type":"Polygon","bbox":[0,0,1,1],"coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}`,
			MultiPolygon{{square}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MustParseGeometry(t, tt.in)
			if !equalMulti(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseGeometryErrors(t *testing.T) {
	tests := []struct {
		name, in, wantSub string
	}{
		{"not json", `{"type":`, "parse geometry"},
		{"not an object", `[1,2]`, "parse geometry"},
		{"missing type", `{"coordinates":[]}`, `missing "type"`},
		{"point", `{"type":"Point","coordinates":[1,2]}`, `unsupported type "Point"`},
		{"feature", `{"type":"Feature","geometry":null}`, `"Feature" without coordinates`},
		{"no coordinates", `{"type":"Polygon"}`, "without coordinates"},
		{"null coordinates", `{"type":"Polygon","coordinates":null}`, "without coordinates"},
		{"wrong depth", `{"type":"Polygon","coordinates":[[0,0],[1,1]]}`, "Polygon coordinates"},
		{"short position", `{"type":"Polygon","coordinates":[[[0,0],[1],[1,1],[0,0]]]}`, "ring 0 position 1 has 1 members"},
		{"string number", `{"type":"MultiPolygon","coordinates":[[[["0",0]]]]}`, "MultiPolygon coordinates"},
		{"short position in multipolygon", `{"type":"MultiPolygon","coordinates":[[[[0,0]]],[[[1]]]]}`, "polygon 1: ring 0 position 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseGeometry([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.wantSub) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantSub)
			}
		})
	}
}

func TestGeoJSONRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		m        MultiPolygon
		wantType string
	}{
		{"one polygon", MultiPolygon{{ring(116.391, 39.907, 116.4012345678901, 39.907, 116.4, 39.91, 116.391, 39.907)}}, `"Polygon"`},
		{"two polygons", MultiPolygon{{ring(0, 0, 1, 0, 1, 1, 0, 0)}, {ring(-5e-7, 2, 3, 2, 3, 3, -5e-7, 2)}}, `"MultiPolygon"`},
		{"none", MultiPolygon{}, `"MultiPolygon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.m.GeoJSON()
			if !strings.Contains(string(b), tt.wantType) {
				t.Fatalf("GeoJSON() = %s, want type %s", b, tt.wantType)
			}
			got := MustParseGeometry(t, string(b))
			if !equalMulti(got, tt.m) {
				t.Fatalf("round trip: got %v, want %v", got, tt.m)
			}
		})
	}
}

func equalMulti(a, b MultiPolygon) bool {
	return slices.EqualFunc(a, b, func(p, q Polygon) bool {
		return slices.EqualFunc(p, q, func(r, s Ring) bool { return slices.Equal(r, s) })
	})
}
