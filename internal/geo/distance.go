package geo

import "math"

// Distance is the great-circle (haversine) distance between two WGS-84
// points in metres. Over the few kilometres of a patrol the sphere is off
// the ellipsoid by well under 0.5 %, far less than a phone's GPS error.
func Distance(a, b Point) float64 {
	const rad = math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLng := (b.Lng - a.Lng) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * EarthRadius * math.Asin(math.Min(1, math.Sqrt(h)))
}

// PathLength is the length of a track in metres: the sum of its legs.
func PathLength(pts []Point) float64 {
	total := 0.0
	for i := 1; i < len(pts); i++ {
		total += Distance(pts[i-1], pts[i])
	}
	return total
}
