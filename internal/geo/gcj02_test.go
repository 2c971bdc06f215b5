package geo

import (
	"math"
	"testing"
)

// metres approximates the distance between nearby points.
func metres(a, b Point) float64 {
	dx := (a.Lng - b.Lng) * metresPerDegLng(a.Lat)
	dy := (a.Lat - b.Lat) * metresPerDegLat
	return math.Hypot(dx, dy)
}

func TestWGS84ToGCJ02ReferencePoint(t *testing.T) {
	// Reference value shared by the widely used eviltransform-style ports.
	got := WGS84ToGCJ02(Point{116.404, 39.915})
	want := Point{116.41024449916938, 39.91640428150164}
	if math.Abs(got.Lng-want.Lng) > 1e-9 || math.Abs(got.Lat-want.Lat) > 1e-9 {
		t.Fatalf("WGS84ToGCJ02 = %v, want %v", got, want)
	}
}

func TestGCJ02RoundTrip(t *testing.T) {
	tests := []struct {
		name string
		p    Point
	}{
		{"Tiananmen", Point{116.4, 39.9}},
		{"Beijing outskirts", Point{116.7, 40.2}},
		{"Shanghai", Point{121.47, 31.23}},
		{"Shenzhen", Point{114.06, 22.54}},
		{"Urumqi", Point{87.62, 43.82}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := WGS84ToGCJ02(tt.p)
			if d := metres(g, tt.p); d < 100 || d > 1000 {
				t.Fatalf("GCJ-02 offset %.0f m, expected a few hundred metres", d)
			}
			if d := metres(GCJ02ToWGS84(g), tt.p); d >= 0.5 {
				t.Fatalf("round trip off by %.3f m, want < 0.5 m", d)
			}
			// And the other way round: a point picked on a Chinese map.
			if d := metres(WGS84ToGCJ02(GCJ02ToWGS84(tt.p)), tt.p); d >= 0.5 {
				t.Fatalf("reverse round trip off by %.3f m, want < 0.5 m", d)
			}
		})
	}
}

func TestGCJ02IdentityOutsideChina(t *testing.T) {
	tests := []struct {
		name string
		p    Point
	}{
		{"Paris", Point{2.35, 48.86}},
		{"Tokyo east of the box", Point{139.69, 35.69}},
		{"south of the box", Point{110, 0.5}},
		{"null island", Point{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WGS84ToGCJ02(tt.p); got != tt.p {
				t.Errorf("WGS84ToGCJ02 = %v, want unchanged", got)
			}
			if got := GCJ02ToWGS84(tt.p); got != tt.p {
				t.Errorf("GCJ02ToWGS84 = %v, want unchanged", got)
			}
		})
	}
}
