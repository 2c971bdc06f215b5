package geo

import "math"

// xy is a point in a local metric projection (metres east/north of an origin).
type xy struct{ x, y float64 }

// localProjection is equirectangular around an origin: cheap, invertible, and
// within 0.1% of true distances for the few tens of kilometres a city spans.
type localProjection struct {
	lng0, lat0 float64
	kx, ky     float64 // metres per degree
}

func newLocalProjection(origin Point) localProjection {
	ky := EarthRadius * math.Pi / 180
	return localProjection{
		lng0: origin.Lng, lat0: origin.Lat,
		kx: ky * math.Cos(origin.Lat*math.Pi/180), ky: ky,
	}
}

func (pr localProjection) forward(p Point) xy {
	return xy{(p.Lng - pr.lng0) * pr.kx, (p.Lat - pr.lat0) * pr.ky}
}

func (pr localProjection) inverse(q xy) Point {
	return Point{pr.lng0 + q.x/pr.kx, pr.lat0 + q.y/pr.ky}
}

// planarGeom is a MultiPolygon projected to metres: polygons → rings → points.
type planarGeom [][][]xy

func (pr localProjection) project(m MultiPolygon) planarGeom {
	g := make(planarGeom, len(m))
	for i, poly := range m {
		g[i] = make([][]xy, len(poly))
		for j, r := range poly {
			pts := make([]xy, len(r))
			for k, p := range r {
				pts[k] = pr.forward(p)
			}
			g[i][j] = pts
		}
	}
	return g
}

// field is the signed distance to a geometry's boundary, positive inside,
// clamped to ±reach. Only edges that can be within reach of the search region
// take part in the distance, which makes each evaluation cost a fraction of
// the vertices of a district-sized parent; the clamp keeps the function
// 1-Lipschitz, which is what the branch-and-bound search in exceeds relies on.
type field struct {
	g     planarGeom
	near  [][2]xy
	reach float64
}

func newField(g planarGeom, region box, reach float64) *field {
	f := &field{g: g, reach: reach}
	for _, poly := range g {
		for _, r := range poly {
			for i := 1; i < len(r); i++ {
				a, b := r[i-1], r[i]
				if math.Max(a.x, b.x) >= region.minX-reach && math.Min(a.x, b.x) <= region.maxX+reach &&
					math.Max(a.y, b.y) >= region.minY-reach && math.Min(a.y, b.y) <= region.maxY+reach {
					f.near = append(f.near, [2]xy{a, b})
				}
			}
		}
	}
	return f
}

func (f *field) signedDist(q xy) float64 {
	best := f.reach * f.reach
	for _, s := range f.near {
		if d := segDist2(q, s[0], s[1]); d < best {
			best = d
		}
	}
	d := math.Sqrt(best)
	if f.g.contains(q) {
		return d
	}
	return -d
}

// contains is the planar twin of MultiPolygon.Contains (boundary points may
// go either way, which is harmless where it is used: their distance is 0).
func (g planarGeom) contains(q xy) bool {
	for _, poly := range g {
		in := false
		for _, r := range poly {
			for i := 1; i < len(r); i++ {
				a, b := r[i-1], r[i]
				if (a.y > q.y) != (b.y > q.y) {
					lo, hi := a, b
					if a.y > b.y {
						lo, hi = b, a
					}
					if (hi.x-lo.x)*(q.y-lo.y)-(hi.y-lo.y)*(q.x-lo.x) > 0 {
						in = !in
					}
				}
			}
		}
		if in {
			return true
		}
	}
	return false
}

func (b box) diag() float64 { return math.Hypot(b.maxX-b.minX, b.maxY-b.minY) }

func segDist2(q, a, b xy) float64 {
	dx, dy := b.x-a.x, b.y-a.y
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = ((q.x-a.x)*dx + (q.y-a.y)*dy) / l
		t = math.Max(0, math.Min(1, t))
	}
	ex, ey := a.x+t*dx-q.x, a.y+t*dy-q.y
	return ex*ex + ey*ey
}

type box struct{ minX, minY, maxX, maxY float64 }

func (g planarGeom) bounds() box {
	bx := box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, poly := range g {
		for _, r := range poly {
			for _, p := range r {
				bx.minX = math.Min(bx.minX, p.x)
				bx.minY = math.Min(bx.minY, p.y)
				bx.maxX = math.Max(bx.maxX, p.x)
				bx.maxY = math.Max(bx.maxY, p.y)
			}
		}
	}
	return bx
}

// exceeds searches bx for a point where the 1-Lipschitz function f is greater
// than thr. Because f can rise by at most the half-diagonal h between a box's
// centre and any point in it, a box whose centre value is ≤ thr-h is pruned;
// boxes smaller than hMin are given up on, so the answer is exact for any
// excess larger than hMin and "no" for narrower slivers.
func exceeds(f func(xy) float64, bx box, thr, hMin float64) (xy, bool) {
	if !(bx.minX <= bx.maxX && bx.minY <= bx.maxY) {
		return xy{}, false
	}
	stack := []box{bx}
	for len(stack) > 0 {
		b := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		c := xy{(b.minX + b.maxX) / 2, (b.minY + b.maxY) / 2}
		h := math.Hypot(b.maxX-b.minX, b.maxY-b.minY) / 2
		v := f(c)
		if v > thr {
			return c, true
		}
		if v+h <= thr || h < hMin {
			continue
		}
		// Halve the longer side only: a box of zero width (two regions that
		// merely touch along a meridian) must not multiply into copies.
		if b.maxX-b.minX >= b.maxY-b.minY {
			stack = append(stack, box{b.minX, b.minY, c.x, b.maxY}, box{c.x, b.minY, b.maxX, b.maxY})
		} else {
			stack = append(stack, box{b.minX, b.minY, b.maxX, c.y}, box{b.minX, c.y, b.maxX, b.maxY})
		}
	}
	return xy{}, false
}
