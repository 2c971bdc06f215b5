package geo

import "math"

// GCJ-02 is the obfuscated datum that Chinese law requires of maps published
// in mainland China (AMap/Gaode, Tencent; Baidu's BD-09 is layered on top).
// Phones report WGS-84 but citizens pick locations on those maps, so civicgrid
// stores WGS-84 and converts at the edge.
const (
	gcjA  = 6378245.0              // Krasovsky 1940 semi-major axis
	gcjEE = 0.00669342162296594323 // its first eccentricity squared
)

// outOfChina is the customary rough rectangle outside which GCJ-02 is the
// identity; every published implementation uses the same one.
func outOfChina(p Point) bool {
	return p.Lng < 72.004 || p.Lng > 137.8347 || p.Lat < 0.8293 || p.Lat > 55.8271
}

// WGS84ToGCJ02 applies the standard published GCJ-02 offset. Points outside
// China are returned unchanged.
func WGS84ToGCJ02(p Point) Point {
	if outOfChina(p) {
		return p
	}
	dLat := gcjLat(p.Lng-105, p.Lat-35)
	dLng := gcjLng(p.Lng-105, p.Lat-35)
	radLat := p.Lat / 180 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - gcjEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180) / ((gcjA * (1 - gcjEE)) / (magic * sqrtMagic) * math.Pi)
	dLng = (dLng * 180) / (gcjA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return Point{Lng: p.Lng + dLng, Lat: p.Lat + dLat}
}

// GCJ02ToWGS84 inverts WGS84ToGCJ02 by fixed-point iteration. The offset
// varies slowly (a few hundred metres over the whole country), so each step
// gains several digits; the result is well under a millimetre from exact,
// far inside the 0.5 m the product needs. The common one-step "inverse"
// found online is off by up to a few metres, which misplaces points near grid
// borders.
func GCJ02ToWGS84(p Point) Point {
	if outOfChina(p) {
		return p
	}
	w := p
	for range 30 {
		g := WGS84ToGCJ02(w)
		dLng, dLat := g.Lng-p.Lng, g.Lat-p.Lat
		w.Lng -= dLng
		w.Lat -= dLat
		if math.Abs(dLng) < 1e-11 && math.Abs(dLat) < 1e-11 {
			break
		}
	}
	return w
}

func gcjLat(x, y float64) float64 {
	r := -100 + 2*x + 3*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	r += (20*math.Sin(6*x*math.Pi) + 20*math.Sin(2*x*math.Pi)) * 2 / 3
	r += (20*math.Sin(y*math.Pi) + 40*math.Sin(y/3*math.Pi)) * 2 / 3
	r += (160*math.Sin(y/12*math.Pi) + 320*math.Sin(y*math.Pi/30)) * 2 / 3
	return r
}

func gcjLng(x, y float64) float64 {
	r := 300 + x + 2*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	r += (20*math.Sin(6*x*math.Pi) + 20*math.Sin(2*x*math.Pi)) * 2 / 3
	r += (20*math.Sin(x*math.Pi) + 40*math.Sin(x/3*math.Pi)) * 2 / 3
	r += (150*math.Sin(x/12*math.Pi) + 300*math.Sin(x/30*math.Pi)) * 2 / 3
	return r
}
