package geo

import (
	"math"
	"testing"
)

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		name string
		a, b Point
		want float64 // metres
		tol  float64
	}{
		{"same point", Point{116.4, 39.9}, Point{116.4, 39.9}, 0, 1e-9},
		// One degree of latitude on the mean sphere is πR/180.
		{"one degree north", Point{116.4, 39.9}, Point{116.4, 40.9}, math.Pi * EarthRadius / 180, 1e-6},
		// 天安门 to 北京站, about 2.37 km.
		{"Tiananmen to Beijing station", Point{116.39747, 39.90882}, Point{116.42710, 39.90289}, 2600, 300},
		{"antipodes", Point{0, 0}, Point{180, 0}, math.Pi * EarthRadius, 1e-6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Distance(tt.a, tt.b); math.Abs(got-tt.want) > tt.tol {
				t.Fatalf("Distance = %.3f m, want %.3f ± %g", got, tt.want, tt.tol)
			}
		})
	}
	track := []Point{{116.4, 39.9}, {116.4, 39.901}, {116.401, 39.901}}
	legs := Distance(track[0], track[1]) + Distance(track[1], track[2])
	if got := PathLength(track); math.Abs(got-legs) > 1e-9 || got < 180 || got > 200 {
		t.Fatalf("PathLength = %.2f, legs %.2f", got, legs)
	}
	if PathLength(track[:1]) != 0 || PathLength(nil) != 0 {
		t.Fatal("a track of one point has no length")
	}
}
