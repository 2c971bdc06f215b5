package geo

import "math"

// EarthRadius is the IUGG mean Earth radius in metres. Every metric figure in
// this package (Area, tolerances) uses it, so results agree with each other.
const EarthRadius = 6371008.8

// Point is a WGS-84 position in degrees.
type Point struct{ Lng, Lat float64 }

// Ring is a closed sequence of points: the first point equals the last.
type Ring []Point

// Polygon is an outer ring ([0]) followed by zero or more holes.
type Polygon []Ring

// MultiPolygon is the general region shape; a single Polygon is a
// MultiPolygon of length one.
type MultiPolygon []Polygon

// Rect is an axis-aligned bounding box in degrees.
type Rect struct{ MinLng, MinLat, MaxLng, MaxLat float64 }

// emptyRect is inverted so that extending it by any point yields that point.
var emptyRect = Rect{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}

// Contains reports whether p lies in r, borders included.
func (r Rect) Contains(p Point) bool {
	return p.Lng >= r.MinLng && p.Lng <= r.MaxLng && p.Lat >= r.MinLat && p.Lat <= r.MaxLat
}

// Intersects reports whether r and s share at least one point.
func (r Rect) Intersects(s Rect) bool {
	return r.MinLng <= s.MaxLng && s.MinLng <= r.MaxLng && r.MinLat <= s.MaxLat && s.MinLat <= r.MaxLat
}

// IsEmpty reports whether r covers no point at all (the bounds of an empty
// geometry).
func (r Rect) IsEmpty() bool { return !(r.MinLng <= r.MaxLng && r.MinLat <= r.MaxLat) }

func (r Rect) extend(p Point) Rect {
	r.MinLng = math.Min(r.MinLng, p.Lng)
	r.MinLat = math.Min(r.MinLat, p.Lat)
	r.MaxLng = math.Max(r.MaxLng, p.Lng)
	r.MaxLat = math.Max(r.MaxLat, p.Lat)
	return r
}

func (r Rect) union(s Rect) Rect {
	r.MinLng = math.Min(r.MinLng, s.MinLng)
	r.MinLat = math.Min(r.MinLat, s.MinLat)
	r.MaxLng = math.Max(r.MaxLng, s.MaxLng)
	r.MaxLat = math.Max(r.MaxLat, s.MaxLat)
	return r
}

// Bounds returns the bounding box of m, or the zero Rect if m has no points.
func (m MultiPolygon) Bounds() Rect {
	r := emptyRect
	for _, poly := range m {
		r = r.union(poly.bounds())
	}
	if r.IsEmpty() {
		return Rect{}
	}
	return r
}

// bounds of the outer ring only: holes cannot reach outside it in a valid
// polygon, and the Index relies on this to keep boxes tight.
func (poly Polygon) bounds() Rect {
	r := emptyRect
	if len(poly) == 0 {
		return r
	}
	for _, p := range poly[0] {
		r = r.extend(p)
	}
	return r
}

// Contains reports whether p lies in m: even-odd over each polygon's rings,
// so holes are excluded, and a point exactly on any ring counts as inside.
func (m MultiPolygon) Contains(p Point) bool {
	for _, poly := range m {
		if poly.Contains(p) {
			return true
		}
	}
	return false
}

// Contains reports whether p lies in poly; see MultiPolygon.Contains.
func (poly Polygon) Contains(p Point) bool {
	inside := false
	for _, r := range poly {
		in, on := ringCrossings(r, p)
		if on {
			return true
		}
		if in {
			inside = !inside
		}
	}
	return inside
}

// ringCrossings casts a ray from p towards +Lng and reports whether it crosses
// r an odd number of times, and whether p lies exactly on r.
//
// The crossing test orders each edge's endpoints by latitude before taking
// the orientation, so a border shared by two neighbouring grids (stored in
// opposite directions) evaluates bit-for-bit identically for both. That keeps
// a point near a shared border in exactly one of the two grids, or exactly on
// it in both, never in neither.
func ringCrossings(r []Point, p Point) (odd, on bool) {
	if len(r) == 0 {
		return false, false
	}
	a := r[0]
	for _, b := range r[1:] {
		if (a.Lat > p.Lat) != (b.Lat > p.Lat) {
			lo, hi := a, b
			if a.Lat > b.Lat {
				lo, hi = b, a
			}
			o := (hi.Lng-lo.Lng)*(p.Lat-lo.Lat) - (hi.Lat-lo.Lat)*(p.Lng-lo.Lng)
			if o == 0 {
				return false, true
			}
			if o > 0 {
				odd = !odd
			}
		} else if a.Lat == p.Lat {
			// The half-open rule above skips horizontal edges and vertices
			// that are local latitude maxima; catch boundary hits there.
			if b.Lat == p.Lat {
				if (a.Lng <= p.Lng && p.Lng <= b.Lng) || (b.Lng <= p.Lng && p.Lng <= a.Lng) {
					return false, true
				}
			} else if a.Lng == p.Lng {
				return false, true
			}
		}
		a = b
	}
	return odd, false
}

// Area returns the area of m in square metres. Each ring is integrated in the
// Lambert cylindrical equal-area projection (the Chamberlain–Duquette
// formula), which is exact for edges that are straight in that projection and
// within a fraction of a percent of the geodesic area at city scale.
func (m MultiPolygon) Area() float64 {
	var total float64
	for _, poly := range m {
		total += poly.Area()
	}
	return total
}

// Area returns the area of poly in square metres: outer ring minus holes.
func (poly Polygon) Area() float64 {
	var a float64
	for i, r := range poly {
		ra := math.Abs(ringArea(r))
		if i == 0 {
			a += ra
		} else {
			a -= ra
		}
	}
	return math.Max(a, 0)
}

func ringArea(r Ring) float64 {
	const rad = math.Pi / 180
	var s float64
	for i := 1; i < len(r); i++ {
		a, b := r[i-1], r[i]
		s += (b.Lng - a.Lng) * rad * (math.Sin(a.Lat*rad) + math.Sin(b.Lat*rad))
	}
	return s * EarthRadius * EarthRadius / 2
}

// Centroid returns the area-weighted centroid of m. Each polygon's centroid is
// computed in degrees (an affine map of the local equirectangular projection,
// so the centroid is the same) and polygons are weighted by their true area.
// Degenerate geometries fall back to the mean of their vertices; an empty
// geometry yields the zero Point.
func (m MultiPolygon) Centroid() Point {
	var sx, sy, sw float64
	for _, poly := range m {
		c, planar := poly.planarCentroid()
		if planar == 0 {
			continue
		}
		w := poly.Area()
		sx += c.Lng * w
		sy += c.Lat * w
		sw += w
	}
	if sw > 0 {
		return Point{sx / sw, sy / sw}
	}
	var n float64
	for _, poly := range m {
		for _, r := range poly {
			for i, p := range r {
				if i == len(r)-1 && len(r) > 1 && p == r[0] {
					continue
				}
				sx += p.Lng
				sy += p.Lat
				n++
			}
		}
	}
	if n == 0 {
		return Point{}
	}
	return Point{sx / n, sy / n}
}

// planarCentroid returns the centroid and unsigned planar area (degrees²) of
// poly. Coordinates are shifted to the first vertex first so that the cross
// products do not lose precision to large absolute longitudes.
func (poly Polygon) planarCentroid() (Point, float64) {
	if len(poly) == 0 || len(poly[0]) == 0 {
		return Point{}, 0
	}
	o := poly[0][0]
	var ta, tx, ty float64
	for i, r := range poly {
		var a, cx, cy float64
		for j := 1; j < len(r); j++ {
			x0, y0 := r[j-1].Lng-o.Lng, r[j-1].Lat-o.Lat
			x1, y1 := r[j].Lng-o.Lng, r[j].Lat-o.Lat
			c := x0*y1 - x1*y0
			a += c
			cx += (x0 + x1) * c
			cy += (y0 + y1) * c
		}
		// Normalise orientation: the outer ring adds, holes subtract,
		// whatever direction the data was digitised in.
		sign := 1.0
		if (a < 0) == (i == 0) {
			sign = -1
		}
		ta += sign * a / 2
		tx += sign * cx / 6
		ty += sign * cy / 6
	}
	if ta <= 0 {
		return Point{}, 0
	}
	return Point{o.Lng + tx/ta, o.Lat + ty/ta}, ta
}
