package geo

import "math"

// MinTolerance is the smallest tolerance Within and Overlaps work with, in
// metres. Smaller values (including 0) are raised to it: float noise on a
// shared border must never decide the answer, and the search cost grows as
// border length / tolerance.
const MinTolerance = 0.01

// Within reports whether child lies inside parent, allowing parts of child to
// stick out of parent by at most tolMeters (so a grid digitised along its
// community's border with float noise still passes). An empty child is within
// anything; nothing non-empty is within an empty parent.
//
// Every child vertex must be within tolMeters of parent, and no point of
// child's interior may be farther than tolMeters outside parent; the second
// check catches a parent hole or notch that a child edge spans without any
// child vertex falling in it.
func Within(child, parent MultiPolygon, tolMeters float64) bool {
	cb := child.Bounds()
	if child.pointCount() == 0 {
		return true
	}
	if parent.pointCount() == 0 {
		return false
	}
	tol := math.Max(tolMeters, MinTolerance)
	pr := newLocalProjection(cb.center())
	pb := parent.Bounds()
	// Degrees per metre grow away from the origin; 1% slack covers a city.
	dLng, dLat := 1.01*tol/pr.kx, 1.01*tol/pr.ky
	if cb.MinLng < pb.MinLng-dLng || cb.MaxLng > pb.MaxLng+dLng ||
		cb.MinLat < pb.MinLat-dLat || cb.MaxLat > pb.MaxLat+dLat {
		return false
	}
	cg := pr.project(child)
	region := cg.bounds()
	reach := math.Max(region.diag(), 4*tol)
	cf, pf := newField(cg, region, reach), newField(pr.project(parent), region, reach)
	for _, poly := range cg {
		for _, r := range poly {
			for _, v := range r {
				if -pf.signedDist(v) > tol {
					return false
				}
			}
		}
	}
	outside := func(q xy) float64 {
		return math.Min(cf.signedDist(q), -pf.signedDist(q)-tol)
	}
	_, found := exceeds(outside, region, 0, tol/4)
	return !found
}

// Overlaps reports whether a and b share interior area beyond the tolerance.
// Regions that only touch along a border, exactly or with float noise below
// tolMeters, do not overlap. Precisely: they overlap when some point lies
// inside both and more than tolMeters/2 from both boundaries, i.e. the shared
// area contains a disc of diameter tolMeters. That covers partial overlap,
// containment, and a "cross" where no vertex of one lies inside the other.
func Overlaps(a, b MultiPolygon, tolMeters float64) bool {
	_, ok := overlapPoint(a, b, math.Max(tolMeters, MinTolerance))
	return ok
}

// overlapPoint returns a witness point of an overlap, for error reports.
func overlapPoint(a, b MultiPolygon, tol float64) (Point, bool) {
	if a.pointCount() == 0 || b.pointCount() == 0 {
		return Point{}, false
	}
	ab, bb := a.Bounds(), b.Bounds()
	if !ab.Intersects(bb) {
		return Point{}, false
	}
	ib := Rect{
		MinLng: math.Max(ab.MinLng, bb.MinLng), MinLat: math.Max(ab.MinLat, bb.MinLat),
		MaxLng: math.Min(ab.MaxLng, bb.MaxLng), MaxLat: math.Min(ab.MaxLat, bb.MaxLat),
	}
	pr := newLocalProjection(ib.center())
	lo, hi := pr.forward(Point{ib.MinLng, ib.MinLat}), pr.forward(Point{ib.MaxLng, ib.MaxLat})
	region := box{lo.x, lo.y, hi.x, hi.y}
	reach := math.Max(region.diag(), 4*tol)
	af, bf := newField(pr.project(a), region, reach), newField(pr.project(b), region, reach)
	shared := func(q xy) float64 {
		return math.Min(af.signedDist(q), bf.signedDist(q))
	}
	q, ok := exceeds(shared, region, tol/2, tol/8)
	if !ok {
		return Point{}, false
	}
	return pr.inverse(q), true
}

func (r Rect) center() Point {
	return Point{(r.MinLng + r.MaxLng) / 2, (r.MinLat + r.MaxLat) / 2}
}
