package geo

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Codes of GeometryError. They are stable strings so that API clients and
// import reports can switch on them.
const (
	ErrEmpty            = "empty"
	ErrTooFewPoints     = "too_few_points"
	ErrUnclosedRing     = "unclosed_ring"
	ErrOutOfRange       = "out_of_range"      // lng ∉ [-180,180], lat ∉ [-90,90], NaN or ±Inf
	ErrSelfIntersection = "self_intersection" // a ring crosses or touches itself (bow-tie, spike, figure eight)
	ErrHoleOutside      = "hole_outside"      // a hole is not inside its outer ring, or lies inside another hole
	ErrRingsCross       = "rings_cross"       // rings of a polygon cross, or polygons of a MultiPolygon overlap
)

// GeometryError says what is wrong with a geometry and where.
type GeometryError struct {
	Code    string // one of the Err… constants
	Ring    int    // ring index within Polygon, -1 if n/a
	Polygon int    // polygon index within the MultiPolygon, -1 if n/a
	At      Point  // offending coordinate or intersection, zero if n/a
}

func (e *GeometryError) Error() string {
	s := e.Code
	if e.At != (Point{}) {
		s += fmt.Sprintf(" at (%.5f, %.5f)", e.At.Lng, e.At.Lat)
	}
	if e.Polygon >= 0 {
		s += fmt.Sprintf(" in polygon %d", e.Polygon)
		if e.Ring >= 0 {
			s += fmt.Sprintf(" ring %d", e.Ring)
		}
	}
	return s
}

// Validate checks m and returns nil or a *GeometryError describing the first
// problem found, in this order: structure (empty, too few points, out of
// range, unclosed), then each polygon's rings (self-intersection, rings
// crossing, holes outside), then overlaps between polygons.
//
// Consecutive duplicate points are tolerated (common in exported data and
// harmless); a vertex revisited later in the ring is a self-intersection.
// A hole may touch its outer ring or another hole at single points, as OGC
// allows, but not cross it or share a stretch of border with it.
func Validate(m MultiPolygon) error {
	if len(m) == 0 {
		return &GeometryError{Code: ErrEmpty, Ring: -1, Polygon: -1}
	}
	cleaned := make([][][]Point, len(m))
	for pi, poly := range m {
		if len(poly) == 0 {
			return &GeometryError{Code: ErrEmpty, Ring: -1, Polygon: pi}
		}
		cleaned[pi] = make([][]Point, len(poly))
		for ri, r := range poly {
			if len(r) == 0 {
				return &GeometryError{Code: ErrEmpty, Ring: ri, Polygon: pi}
			}
			for _, p := range r {
				if !inRange(p) {
					return &GeometryError{Code: ErrOutOfRange, Ring: ri, Polygon: pi, At: p}
				}
			}
			if r[0] != r[len(r)-1] {
				return &GeometryError{Code: ErrUnclosedRing, Ring: ri, Polygon: pi, At: r[len(r)-1]}
			}
			c := slices.Compact(slices.Clone(r))
			// A closed ring needs three distinct corners plus the closing point.
			if len(c) < 4 {
				return &GeometryError{Code: ErrTooFewPoints, Ring: ri, Polygon: pi, At: r[0]}
			}
			cleaned[pi][ri] = c
		}
	}
	for pi, poly := range cleaned {
		if err := validatePolygon(pi, poly); err != nil {
			return err
		}
	}
	for i := range m {
		bi := m[i].bounds()
		for j := i + 1; j < len(m); j++ {
			if !bi.Intersects(m[j].bounds()) {
				continue
			}
			if at, ok := polygonsOverlap(cleaned[i], cleaned[j]); ok {
				return &GeometryError{Code: ErrRingsCross, Ring: -1, Polygon: j, At: at}
			}
		}
	}
	return nil
}

func inRange(p Point) bool {
	// The comparisons are false for NaN, so NaN fails too.
	return p.Lng >= -180 && p.Lng <= 180 && p.Lat >= -90 && p.Lat <= 90
}

type edge struct {
	a, b       Point
	ring, idx  int // idx is the edge's position in its (de-duplicated) ring
	minX, maxX float64
}

// validatePolygon finds intersections between all edges of one polygon with a
// sweep over longitude, so a ring of thousands of vertices costs about
// n log n instead of n².
func validatePolygon(pi int, rings [][]Point) error {
	var edges []edge
	nEdges := make([]int, len(rings))
	for ri, r := range rings {
		nEdges[ri] = len(r) - 1
		for i := 1; i < len(r); i++ {
			a, b := r[i-1], r[i]
			edges = append(edges, edge{a: a, b: b, ring: ri, idx: i - 1,
				minX: math.Min(a.Lng, b.Lng), maxX: math.Max(a.Lng, b.Lng)})
		}
	}
	slices.SortFunc(edges, func(e, f edge) int {
		if e.minX != f.minX {
			if e.minX < f.minX {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(e.ring, f.ring), cmp.Compare(e.idx, f.idx))
	})
	// Report the problem with the smallest (ring, edge) first so that the
	// error does not depend on sort details.
	var found *GeometryError
	var foundKey [3]int
	report := func(code string, ring int, key [3]int, at Point) {
		if found == nil || slices.Compare(key[:], foundKey[:]) < 0 {
			found = &GeometryError{Code: code, Ring: ring, Polygon: pi, At: at}
			foundKey = key
		}
	}
	for i := range edges {
		e := &edges[i]
		eMinY, eMaxY := math.Min(e.a.Lat, e.b.Lat), math.Max(e.a.Lat, e.b.Lat)
		for j := i + 1; j < len(edges) && edges[j].minX <= e.maxX; j++ {
			f := &edges[j]
			if math.Max(f.a.Lat, f.b.Lat) < eMinY || math.Min(f.a.Lat, f.b.Lat) > eMaxY {
				continue
			}
			first, second := e, f
			if f.ring < e.ring || f.ring == e.ring && f.idx < e.idx {
				first, second = f, e
			}
			key := [3]int{first.ring, first.idx, second.idx}
			if e.ring == f.ring {
				if at, bad := sameRingConflict(first, second, nEdges[e.ring]); bad {
					report(ErrSelfIntersection, e.ring, key, at)
				}
				continue
			}
			kind, at := intersect(e.a, e.b, f.a, f.b)
			if kind == crossProper || kind == crossOverlap {
				report(ErrRingsCross, second.ring, key, at)
			}
		}
	}
	if found != nil {
		return found
	}
	outer := Polygon{rings[0]}
	for hi := 1; hi < len(rings); hi++ {
		p, ok := pointOffRing(rings[hi], rings[0])
		if ok && !outer.Contains(p) {
			return &GeometryError{Code: ErrHoleOutside, Ring: hi, Polygon: pi, At: p}
		}
		// A hole inside another hole would turn back into filled area under
		// the even-odd rule, which is never what the author meant.
		for hj := 1; hj < len(rings); hj++ {
			if hj == hi {
				continue
			}
			p, ok := pointOffRing(rings[hi], rings[hj])
			if ok && (Polygon{rings[hj]}).Contains(p) {
				return &GeometryError{Code: ErrHoleOutside, Ring: hi, Polygon: pi, At: p}
			}
		}
	}
	return nil
}

// sameRingConflict reports whether two edges of one ring meet anywhere other
// than the vertex they legitimately share as neighbours.
func sameRingConflict(e, f *edge, n int) (Point, bool) {
	adjacent := f.idx == e.idx+1 || (e.idx == 0 && f.idx == n-1)
	if !adjacent {
		kind, at := intersect(e.a, e.b, f.a, f.b)
		return at, kind != crossNone
	}
	// Neighbours share one vertex v; they conflict only when they fold back
	// onto each other (a spike), i.e. are collinear and point the same way.
	var v, p, q Point
	if f.idx == e.idx+1 {
		v, p, q = e.b, e.a, f.b
	} else {
		v, p, q = e.a, e.b, f.a
	}
	if orient(p, v, q) != 0 {
		return Point{}, false
	}
	if (p.Lng-v.Lng)*(q.Lng-v.Lng)+(p.Lat-v.Lat)*(q.Lat-v.Lat) <= 0 {
		return Point{}, false
	}
	// The shorter arm ends on the longer one: that is where it turns back.
	if dist2(v, p) < dist2(v, q) {
		return p, true
	}
	return q, true
}

// pointOffRing returns a vertex of r that is not on ring other, so that a
// containment test on it is meaningful.
func pointOffRing(r, other []Point) (Point, bool) {
	for _, p := range r {
		if _, on := ringCrossings(other, p); !on {
			return p, true
		}
	}
	return Point{}, false
}

const (
	crossNone    = iota
	crossTouch   // the segments meet in a single point that is an endpoint of one
	crossProper  // the interiors cross
	crossOverlap // collinear with a shared stretch of positive length
)

func orient(a, b, c Point) float64 {
	return (b.Lng-a.Lng)*(c.Lat-a.Lat) - (b.Lat-a.Lat)*(c.Lng-a.Lng)
}

func dist2(a, b Point) float64 {
	dx, dy := a.Lng-b.Lng, a.Lat-b.Lat
	return dx*dx + dy*dy
}

// onSegment reports whether p, known to be collinear with ab, lies within it.
func onSegment(a, b, p Point) bool {
	return math.Min(a.Lng, b.Lng) <= p.Lng && p.Lng <= math.Max(a.Lng, b.Lng) &&
		math.Min(a.Lat, b.Lat) <= p.Lat && p.Lat <= math.Max(a.Lat, b.Lat)
}

// intersect classifies how segments ab and cd meet and returns a point where
// they do.
func intersect(a, b, c, d Point) (int, Point) {
	d1, d2 := orient(c, d, a), orient(c, d, b)
	d3, d4 := orient(a, b, c), orient(a, b, d)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		t := d1 / (d1 - d2)
		return crossProper, Point{a.Lng + t*(b.Lng-a.Lng), a.Lat + t*(b.Lat-a.Lat)}
	}
	if d1 == 0 && d2 == 0 && d3 == 0 && d4 == 0 {
		return collinearOverlap(a, b, c, d)
	}
	switch {
	case d1 == 0 && onSegment(c, d, a):
		return crossTouch, a
	case d2 == 0 && onSegment(c, d, b):
		return crossTouch, b
	case d3 == 0 && onSegment(a, b, c):
		return crossTouch, c
	case d4 == 0 && onSegment(a, b, d):
		return crossTouch, d
	}
	return crossNone, Point{}
}

func collinearOverlap(a, b, c, d Point) (int, Point) {
	// Project on the axis along which the segments extend most.
	key := func(p Point) float64 { return p.Lng }
	if math.Abs(b.Lng-a.Lng)+math.Abs(d.Lng-c.Lng) < math.Abs(b.Lat-a.Lat)+math.Abs(d.Lat-c.Lat) {
		key = func(p Point) float64 { return p.Lat }
	}
	if key(a) > key(b) {
		a, b = b, a
	}
	if key(c) > key(d) {
		c, d = d, c
	}
	lo, hi := a, b
	if key(c) > key(lo) {
		lo = c
	}
	if key(d) < key(hi) {
		hi = d
	}
	switch {
	case key(lo) < key(hi):
		return crossOverlap, lo
	case key(lo) == key(hi):
		return crossTouch, lo
	}
	return crossNone, Point{}
}

// polygonsOverlap decides exactly (no tolerance: parts of one MultiPolygon
// come from one source, so their shared borders should be exact) whether the
// interiors of two valid polygons intersect, and returns a witness point.
func polygonsOverlap(p, q [][]Point) (Point, bool) {
	// Boundaries crossing transversally always leave a sector inside both.
	for _, pr := range p {
		for i := 1; i < len(pr); i++ {
			a, b := pr[i-1], pr[i]
			for _, qr := range q {
				for j := 1; j < len(qr); j++ {
					if kind, at := intersect(a, b, qr[j-1], qr[j]); kind == crossProper {
						return at, true
					}
				}
			}
		}
	}
	// Otherwise the boundaries at most touch, so one polygon reaches into the
	// other only if one of its vertices, edge midpoints or (when its whole
	// boundary lies on the other's) interior points does.
	for _, pair := range [2][2][][]Point{{p, q}, {q, p}} {
		if at, ok := reachesInto(pair[0], pair[1]); ok {
			return at, true
		}
	}
	return Point{}, false
}

func reachesInto(p, q [][]Point) (Point, bool) {
	inside := func(x Point) (in, on bool) {
		for _, r := range q {
			odd, onRing := ringCrossings(r, x)
			if onRing {
				return false, true
			}
			if odd {
				in = !in
			}
		}
		return in, false
	}
	allOn := true
	for _, r := range p {
		for i := 1; i < len(r); i++ {
			mid := Point{(r[i-1].Lng + r[i].Lng) / 2, (r[i-1].Lat + r[i].Lat) / 2}
			for _, x := range [2]Point{r[i], mid} {
				in, on := inside(x)
				if in {
					return x, true
				}
				allOn = allOn && on
			}
		}
	}
	if !allOn {
		return Point{}, false
	}
	// p's boundary runs entirely along q's: p is q, or fills one of q's holes.
	// Probe just inside p next to the middle of its longest outer edge.
	r := p[0]
	k := 1
	for i := 2; i < len(r); i++ {
		if dist2(r[i-1], r[i]) > dist2(r[k-1], r[k]) {
			k = i
		}
	}
	a, b := r[k-1], r[k]
	mid := Point{(a.Lng + b.Lng) / 2, (a.Lat + b.Lat) / 2}
	const eps = 1e-6 // of the edge length: far above float noise, far below any real feature
	n := Point{-(b.Lat - a.Lat) * eps, (b.Lng - a.Lng) * eps}
	for _, x := range [2]Point{{mid.Lng + n.Lng, mid.Lat + n.Lat}, {mid.Lng - n.Lng, mid.Lat - n.Lat}} {
		if Polygon(ringsOf(p)).Contains(x) {
			if in, _ := inside(x); in {
				return x, true
			}
		}
	}
	return Point{}, false
}

func ringsOf(p [][]Point) []Ring {
	rs := make([]Ring, len(p))
	for i, r := range p {
		rs[i] = r
	}
	return rs
}
