package geo

import (
	"cmp"
	"math"
	"slices"
)

// Entry is one region for the Index. A deeper Level is more specific (for
// example district < street < community < grid).
type Entry struct {
	ID    int64
	Level int
	Geom  MultiPolygon
}

// Index answers "which is the most specific region containing this point" for
// many thousands of regions. It is immutable once built and safe for
// concurrent use.
//
// Lookup rule, fixed so that answers never depend on input order: among the
// entries whose geometry contains the point (boundaries included), the one
// with the highest Level wins; ties go to the smaller Area, then to the
// smaller ID. A point on the border shared by two sibling grids therefore
// always belongs to the smaller grid, or the one with the smaller ID when they
// are equally large.
//
// Internally each polygon of each entry is a separate item ("part") in a
// packed sort-tile-recursive R-tree per Level, stored in flat arrays (one
// slice of nodes, one of parts, one of points), so a lookup visits
// a handful of boxes and runs the point-in-polygon test only on parts whose
// box contains the point and whose entry could still beat the best so far.
type Index struct {
	n     int     // entries given to NewIndex
	ids   []int64 // entry ID by rank; rank 0 is the most preferred entry
	parts []part  // tree leaves in STR order
	rings []int32 // ring r is pts[rings[r]:rings[r+1]]
	pts   []Point // every ring's points, back to back
	nodes []node  // internal nodes of all trees
	roots []int32 // one tree per Level, deepest Level first
}

type part struct {
	minLng, minLat, maxLng, maxLat float64
	rank                           int32 // of the owning entry; lower wins
	ringLo, ringHi                 int32 // rings[ringLo:ringHi] belong to this polygon
}

type node struct {
	minLng, minLat, maxLng, maxLat float64
	lo, hi                         int32 // children: parts[lo:hi] if leaf, else nodes[lo:hi]
	minRank                        int32 // best rank in the subtree, to skip hopeless subtrees
	leaf                           bool
}

// nodeSize is the fan-out. On the 25,000-grid benchmark 4 came out a little
// ahead of 8 and 16, though by less than the run-to-run noise of a shared
// machine; revisit with a quieter one.
const nodeSize = 4

// maxStack bounds the depth-first stack: at most nodeSize entries per tree
// level, and a fan-out-4 tree over int32-indexed parts has at most 17 levels.
const maxStack = 17 * nodeSize

// NewIndex builds an index over entries. Entries with empty geometries are
// kept in Len but never match. The entries' geometries are copied, so the
// caller may reuse them.
func NewIndex(entries []Entry) *Index {
	ix := &Index{n: len(entries)}
	type ranked struct {
		e    *Entry
		area float64
	}
	order := make([]ranked, len(entries))
	for i := range entries {
		order[i] = ranked{&entries[i], entries[i].Geom.Area()}
	}
	slices.SortStableFunc(order, func(a, b ranked) int {
		return cmp.Or(
			cmp.Compare(b.e.Level, a.e.Level),
			cmp.Compare(a.area, b.area),
			cmp.Compare(a.e.ID, b.e.ID))
	})
	ix.ids = make([]int64, len(order))
	levels := make([]int, len(order))
	for rank, r := range order {
		ix.ids[rank] = r.e.ID
		levels[rank] = r.e.Level
		for _, poly := range r.e.Geom {
			b := poly.bounds()
			if b.IsEmpty() {
				continue
			}
			p := part{minLng: b.MinLng, minLat: b.MinLat, maxLng: b.MaxLng, maxLat: b.MaxLat,
				rank: int32(rank), ringLo: int32(len(ix.rings))}
			for _, ring := range poly {
				ix.rings = append(ix.rings, int32(len(ix.pts)))
				ix.pts = append(ix.pts, ring...)
			}
			p.ringHi = int32(len(ix.rings))
			ix.parts = append(ix.parts, p)
		}
	}
	ix.rings = append(ix.rings, int32(len(ix.pts)))
	ix.build(levels)
	return ix
}

// build packs one tree per Level, deepest first. Levels are searched in that
// order and the search stops at the first level with a hit, because any entry
// of a deeper level beats every entry of a shallower one. That keeps a grid
// lookup from ever testing the long borders of the district above it.
func (ix *Index) build(levelByRank []int) {
	for lo := 0; lo < len(ix.parts); {
		hi := lo + 1
		for hi < len(ix.parts) && levelByRank[ix.parts[hi].rank] == levelByRank[ix.parts[lo].rank] {
			hi++
		}
		ix.roots = append(ix.roots, ix.buildTree(int32(lo), ix.parts[lo:hi]))
		lo = hi
	}
}

// buildTree packs parts (which start at index base of ix.parts) bottom-up.
// Every tree level is sorted sort-tile-recursive style: by centre longitude
// into vertical slices, each slice by centre latitude, then cut into runs of
// nodeSize. It returns the root's index in ix.nodes.
func (ix *Index) buildTree(base int32, parts []part) int32 {
	strSort(parts, func(p part) (float64, float64) {
		return (p.minLng + p.maxLng) / 2, (p.minLat + p.maxLat) / 2
	})
	level := make([]node, 0, (len(parts)+nodeSize-1)/nodeSize)
	for lo := 0; lo < len(parts); lo += nodeSize {
		hi := min(lo+nodeSize, len(parts))
		n := node{minLng: math.Inf(1), minLat: math.Inf(1), maxLng: math.Inf(-1), maxLat: math.Inf(-1),
			lo: base + int32(lo), hi: base + int32(hi), minRank: math.MaxInt32, leaf: true}
		for _, p := range parts[lo:hi] {
			n.minLng, n.minLat = math.Min(n.minLng, p.minLng), math.Min(n.minLat, p.minLat)
			n.maxLng, n.maxLat = math.Max(n.maxLng, p.maxLng), math.Max(n.maxLat, p.maxLat)
			n.minRank = min(n.minRank, p.rank)
		}
		level = append(level, n)
	}
	for {
		strSort(level, func(n node) (float64, float64) {
			return (n.minLng + n.maxLng) / 2, (n.minLat + n.maxLat) / 2
		})
		first := int32(len(ix.nodes))
		ix.nodes = append(ix.nodes, level...)
		if len(level) == 1 {
			return first
		}
		next := make([]node, 0, (len(level)+nodeSize-1)/nodeSize)
		for lo := 0; lo < len(level); lo += nodeSize {
			hi := min(lo+nodeSize, len(level))
			n := node{minLng: math.Inf(1), minLat: math.Inf(1), maxLng: math.Inf(-1), maxLat: math.Inf(-1),
				lo: first + int32(lo), hi: first + int32(hi), minRank: math.MaxInt32}
			for _, c := range level[lo:hi] {
				n.minLng, n.minLat = math.Min(n.minLng, c.minLng), math.Min(n.minLat, c.minLat)
				n.maxLng, n.maxLat = math.Max(n.maxLng, c.maxLng), math.Max(n.maxLat, c.maxLat)
				n.minRank = min(n.minRank, c.minRank)
			}
			next = append(next, n)
		}
		level = next
	}
}

func strSort[T any](items []T, centre func(T) (float64, float64)) {
	byX := func(a, b T) int {
		ax, _ := centre(a)
		bx, _ := centre(b)
		return cmp.Compare(ax, bx)
	}
	byY := func(a, b T) int {
		_, ay := centre(a)
		_, by := centre(b)
		return cmp.Compare(ay, by)
	}
	slices.SortStableFunc(items, byX)
	leaves := (len(items) + nodeSize - 1) / nodeSize
	nSlices := int(math.Ceil(math.Sqrt(float64(leaves))))
	per := nSlices * nodeSize
	for lo := 0; lo < len(items); lo += per {
		slices.SortStableFunc(items[lo:min(lo+per, len(items))], byY)
	}
}

// Len returns the number of entries the index was built from.
func (ix *Index) Len() int { return ix.n }

// Lookup returns the ID of the most specific entry containing p (see Index
// for the rule) and false if no entry contains p. It does not allocate.
func (ix *Index) Lookup(p Point) (id int64, ok bool) {
	for _, root := range ix.roots {
		if best := ix.search(root, p); best != math.MaxInt32 {
			return ix.ids[best], true
		}
	}
	return 0, false
}

// search returns the best rank among the parts of one tree that contain p,
// or MaxInt32.
func (ix *Index) search(root int32, p Point) int32 {
	var stack [maxStack]int32
	stack[0] = root
	sp := 1
	best := int32(math.MaxInt32)
	for sp > 0 {
		sp--
		n := &ix.nodes[stack[sp]]
		if n.minRank >= best {
			continue
		}
		if n.leaf {
			for k := n.lo; k < n.hi; k++ {
				pt := &ix.parts[k]
				if pt.rank >= best || p.Lng < pt.minLng || p.Lng > pt.maxLng || p.Lat < pt.minLat || p.Lat > pt.maxLat {
					continue
				}
				if ix.partContains(pt, p) {
					best = pt.rank
				}
			}
			continue
		}
		for k := n.lo; k < n.hi; k++ {
			c := &ix.nodes[k]
			if c.minRank < best && p.Lng >= c.minLng && p.Lng <= c.maxLng && p.Lat >= c.minLat && p.Lat <= c.maxLat {
				stack[sp] = k
				sp++
			}
		}
	}
	return best
}

func (ix *Index) partContains(pt *part, p Point) bool {
	inside := false
	for r := pt.ringLo; r < pt.ringHi; r++ {
		odd, on := ringCrossings(ix.pts[ix.rings[r]:ix.rings[r+1]], p)
		if on {
			return true
		}
		if odd {
			inside = !inside
		}
	}
	return inside
}
