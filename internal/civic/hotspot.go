package civic

import (
	"math"
	"sort"
	"time"
)

// HotspotKind says why cases were surfaced together as an early warning
// (未诉先办: act before the next call comes).
type HotspotKind string

const (
	HotspotCluster       HotspotKind = "cluster"        // 热点聚集: related cases close in space and time
	HotspotManyReporters HotspotKind = "many_reporters" // 多人同诉: a cluster from many distinct reporters
	HotspotOneReporter   HotspotKind = "one_reporter"   // 一人多诉: one reporter, many cases
	HotspotRising        HotspotKind = "rising"         // 类别上升: a category rising against recent weeks or last year
)

var hotspotKindLabels = map[HotspotKind]Text{
	HotspotCluster:       T("热点聚集", "Cluster"),
	HotspotManyReporters: T("多人同诉", "Many reporters, one issue"),
	HotspotOneReporter:   T("一人多诉", "One reporter, many cases"),
	HotspotRising:        T("类别上升", "Rising category"),
}

func (k HotspotKind) Valid() bool { _, ok := hotspotKindLabels[k]; return ok }
func (k HotspotKind) Label() Text { return hotspotKindLabels[k] }

// HotspotParams configures detection. Zero values take the defaults of
// WithDefaults.
type HotspotParams struct {
	// RadiusM: two related cases at most this far apart are neighbours.
	RadiusM float64
	// Window: ... and at most this far apart in time.
	Window time.Duration
	// Since: how far back detection looks (the last 30 days by default).
	Since time.Duration
	// MinCases: a cluster needs this many cases, a reporter this many
	// cases for 一人多诉, a category this many cases this week to rise.
	MinCases int
	// MinReporters: a cluster with this many distinct reporters is 多人同诉.
	MinReporters int
	// RiseFactor: this week against the previous four weeks' average or
	// the same week last year.
	RiseFactor float64
	// PerKind: at most this many warnings of each kind, the highest
	// scores first; how many were found is reported beside them.
	PerKind int
	// IgnoreUsual turns off the place's usual load (ClusterParams.Alpha):
	// every MinCases cases close together cluster, as in a quiet town; in
	// a busy one whole neighbourhoods then chain into one cluster.
	IgnoreUsual bool
}

// WithDefaults fills zero fields and clamps the rest to sane bounds, so
// that a request cannot ask for a scan of years or a city-wide radius.
func (p HotspotParams) WithDefaults() HotspotParams {
	if p.RadiusM <= 0 {
		p.RadiusM = 200
	}
	p.RadiusM = math.Min(p.RadiusM, 5000)
	if p.Window <= 0 {
		p.Window = 7 * 24 * time.Hour
	}
	if p.Since <= 0 {
		p.Since = 30 * 24 * time.Hour
	}
	p.Since = min(max(p.Since, 7*24*time.Hour), 90*24*time.Hour)
	p.Window = min(p.Window, p.Since)
	if p.MinCases < 2 {
		p.MinCases = 3
	}
	if p.MinReporters < 2 {
		p.MinReporters = 3
	}
	if p.RiseFactor <= 1 {
		p.RiseFactor = 1.5
	}
	if p.PerKind <= 0 {
		p.PerKind = 100
	}
	p.PerKind = min(p.PerKind, 1000)
	return p
}

// HotspotCase is one case in a warning, as much as the list needs.
type HotspotCase struct {
	ID           int64     `json:"id"`
	Number       string    `json:"number"`
	Title        string    `json:"title"`
	State        CaseState `json:"state"`
	CategoryCode string    `json:"category_code"`
	RegionCode   string    `json:"region_code"`
	HasLocation  bool      `json:"has_location"`
	Lng          float64   `json:"lng,omitempty"`
	Lat          float64   `json:"lat,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	// DuplicateGroup numbers the set of near duplicates (the same problem
	// reported again, by the duplicate finder's scoring) the case belongs
	// to within its cluster, from 1; 0 when it has none.
	DuplicateGroup int `json:"duplicate_group,omitempty"`
}

// Hotspot is one early warning with the cases behind it.
type Hotspot struct {
	Kind         HotspotKind `json:"kind"`
	CategoryCode string      `json:"category_code"`
	CategoryName string      `json:"category_name,omitempty"`
	RegionCode   string      `json:"region_code"`
	// Centre of a cluster (WGS-84), the mean of its points.
	HasCentre bool    `json:"has_centre"`
	Lng       float64 `json:"lng,omitempty"`
	Lat       float64 `json:"lat,omitempty"`
	RadiusM   float64 `json:"radius_m,omitempty"` // the farthest case from the centre
	// From and To: the first and last report.
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Size      int       `json:"size"`
	Reporters int       `json:"reporters"`
	// Found: how many of a cluster's cases grid workers found on patrol
	// (they name no reporter).
	Found int `json:"found,omitempty"`
	// Reporter names the reporter of 一人多诉 (phone masked).
	Reporter string `json:"reporter,omitempty"`
	// Rising: this week, the previous four weeks' weekly average, and the
	// same week last year.
	ThisWeek int     `json:"this_week,omitempty"`
	WeeksAvg float64 `json:"weeks_avg,omitempty"`
	LastYear int     `json:"last_year,omitempty"`
	// Family is a cluster's category family (the parent category) when
	// its cases lie in more than one category of it; CategoryCode is then
	// the most common one.
	Family     string `json:"family,omitempty"`
	FamilyName string `json:"family_name,omitempty"`
	// Categories are how many cases of the warning lie in each category,
	// most first, when there is more than one.
	Categories []HotspotCategory `json:"categories,omitempty"`
	Score      float64           `json:"score"`
	Mergeable  int               `json:"mergeable"` // cases still open to a merge
	Cases      []HotspotCase     `json:"cases"`
	// Duplicates are a cluster's sets of near duplicates, case IDs oldest
	// first; each set can be merged as it is.
	Duplicates [][]int64 `json:"duplicates,omitempty"`
}

// HotspotCategory is how many of a warning's cases lie in one category.
type HotspotCategory struct {
	Code  string `json:"code"`
	Name  string `json:"name,omitempty"`
	Cases int    `json:"cases"`
}

// Mergeable reports whether a case in state s may be merged or merged
// into (see the merge action's transition).
func Mergeable(s CaseState) bool {
	switch s {
	case StateReported, StateAccepted, StateDispatched, StateInProgress:
		return true
	}
	return false
}

// CategoryGroup is the key under which categories count as related: the
// parent category (same code but the last two digits); a top-level
// category is its own group.
func CategoryGroup(code string) string {
	if len(code) > 2 {
		return code[:len(code)-2]
	}
	return code
}

// HotspotPoint is one located case as clustering sees it.
type HotspotPoint struct {
	Lng, Lat float64
	At       time.Time
	Group    string // CategoryGroup of the case's category
}

const metresPerDegree = 111320.0

// ClusterParams are the clustering's terms: neighbours are points of one
// group within RadiusM and Window of each other; a core has at least
// MinPts-1 of them.
//
// With Alpha > 0 a core must also have more neighbours than its place
// usually gives (未诉先办 needs what stands out, not a busy street's daily
// load). The point's background is the group's points outside its time
// window: those within RadiusM of it (its disc), and those of the 5×5
// radius-sized cells around it scaled by π/25 to a disc's area (its
// block), whichever is more — the disc alone is a few cases and often low
// by chance, the block alone misses a place busier than its surroundings.
// Scaled from the rest of the period to the window, that is λ, how many
// neighbours the point would have by its place's usual rate, and the
// point's neighbours must be at least the smallest k with P(X ≥ k) ≤
// Alpha for X ~ Poisson(λ). From and To are the period the points were
// read from (the rate's time base); where the window covers all of it
// there is no outside to measure and λ is 0. A place with no other cases
// has λ 0 and keeps plain MinPts.
type ClusterParams struct {
	RadiusM  float64
	Window   time.Duration
	MinPts   int
	Alpha    float64
	From, To time.Time
}

// Clusters groups points DBSCAN-style: a point with enough neighbours (see
// ClusterParams) is a core; cores that are neighbours share a cluster and
// a non-core neighbour of a core joins the first core's cluster. Points
// are bucketed by group and by radius-sized cells, each cell's points
// sorted by time, so each point is compared only with the points of the
// nine cells around it that fall in its time window (two binary searches
// per cell): O(n·k) for a city's spread of cases, k the neighbours in
// space and time. Density rather than plain linking keeps a busy street
// from chaining into one city-wide cluster, and the background rate of
// ClusterParams.Alpha keeps a busy neighbourhood from being one cluster.
// It returns the clusters as indexes into pts, each with at least MinPts
// points, largest first.
func Clusters(pts []HotspotPoint, p ClusterParams) [][]int {
	radiusM, window, minPts := p.RadiusM, p.Window, p.MinPts
	if len(pts) == 0 || radiusM <= 0 {
		return nil
	}
	// An equirectangular projection around the mean latitude is exact
	// enough over a city.
	var latSum float64
	for _, p := range pts {
		latSum += p.Lat
	}
	kx := metresPerDegree * math.Cos(latSum/float64(len(pts))*math.Pi/180)
	groupID := map[string]uint64{}
	xs, ys := make([]float64, len(pts)), make([]float64, len(pts))
	ts := make([]int64, len(pts))
	key := make([]uint64, len(pts))
	for i, p := range pts {
		g, ok := groupID[p.Group]
		if !ok {
			g = uint64(len(groupID))
			groupID[p.Group] = g
		}
		xs[i], ys[i] = p.Lng*kx, p.Lat*metresPerDegree
		ts[i] = p.At.UnixNano()
		key[i] = cellKey(g, int64(math.Floor(xs[i]/radiusM)), int64(math.Floor(ys[i]/radiusM)))
	}
	// The points in cell order, by time within a cell; span[cell] is the
	// cell's run in that order.
	order := make([]int32, len(pts))
	for i := range order {
		order[i] = int32(i)
	}
	sort.Slice(order, func(a, b int) bool {
		i, j := order[a], order[b]
		if key[i] != key[j] {
			return key[i] < key[j]
		}
		if ts[i] != ts[j] {
			return ts[i] < ts[j]
		}
		return i < j
	})
	span := make(map[uint64]cellRun, len(pts)/4+1)
	for lo := 0; lo < len(order); {
		hi := lo + 1
		for hi < len(order) && key[order[hi]] == key[order[lo]] {
			hi++
		}
		span[key[order[lo]]] = cellRun{int32(lo), int32(hi)}
		lo = hi
	}
	r2 := radiusM * radiusM
	w := int64(window)
	neighbours := func(i int, fn func(j int) bool) {
		g, cx, cy := splitCellKey(key[i])
		for dx := int64(-1); dx <= 1; dx++ {
			for dy := int64(-1); dy <= 1; dy++ {
				c, ok := span[cellKey(g, cx+dx, cy+dy)]
				if !ok {
					continue
				}
				cell := order[c.lo:c.hi]
				from := ts[i] - w
				k := sort.Search(len(cell), func(k int) bool { return ts[cell[k]] >= from })
				for ; k < len(cell); k++ {
					j := int(cell[k])
					if ts[j]-ts[i] > w {
						break
					}
					if j == i {
						continue
					}
					ddx, ddy := xs[i]-xs[j], ys[i]-ys[j]
					if ddx*ddx+ddy*ddy > r2 {
						continue
					}
					if !fn(j) {
						return
					}
				}
			}
		}
	}
	from, to := p.From.UnixNano(), p.To.UnixNano()
	var disc, block []int32
	if p.Alpha > 0 {
		disc, block = backgrounds(order, span, key, xs, ys, ts, r2, w)
	}
	core := make([]bool, len(pts))
	for i := range pts {
		need := minPts - 1
		if p.Alpha > 0 && disc[i]+block[i] > 0 {
			in := float64(min(ts[i]+w, to) - max(ts[i]-w, from))
			if out := float64(to-from) - in; out > 0 && in > 0 {
				lambda := max(float64(disc[i]), float64(block[i])*math.Pi/blockCells) * in / out
				need = max(need, PoissonQuantile(lambda, p.Alpha))
			}
		}
		n := 0
		neighbours(i, func(int) bool { n++; return n < need })
		core[i] = n >= need
	}
	parent := make([]int32, len(pts))
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(i int32) int32 {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	// border[j] is the first core (in index order) next to a non-core j.
	border := make([]int32, len(pts))
	for i := range border {
		border[i] = -1
	}
	for i := range pts {
		if !core[i] {
			continue
		}
		neighbours(i, func(j int) bool {
			switch {
			case core[j] && j > i: // a pair of cores is joined once
				if a, b := find(int32(i)), find(int32(j)); a != b {
					parent[a] = b
				}
			case !core[j] && border[j] < 0:
				border[j] = int32(i)
			}
			return true
		})
	}
	groups := map[int32][]int{}
	for i := range pts {
		switch {
		case core[i]:
			r := find(int32(i))
			groups[r] = append(groups[r], i)
		case border[i] >= 0:
			r := find(border[i])
			groups[r] = append(groups[r], i)
		}
	}
	var out [][]int
	for _, g := range groups {
		if len(g) >= minPts {
			out = append(out, g)
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if len(out[a]) != len(out[b]) {
			return len(out[a]) > len(out[b])
		}
		return out[a][0] < out[b][0]
	})
	return out
}

// cellRun is a cell's stretch of the points in cell order.
type cellRun struct{ lo, hi int32 }

// blockCells is how many cells a point's block has (5×5): the block
// counts enough cases that its rate is not often low by chance.
const blockCells = 25

// backgrounds counts, for every point, the points of its group that fall
// outside its time window within radius (disc, r2 its square) and in the
// 5×5 cells around its own (block). The points of a cell are visited in
// time order, so the window's ends in each nearby cell only move forward.
func backgrounds(order []int32, span map[uint64]cellRun, key []uint64, xs, ys []float64, ts []int64, r2 float64, w int64) (disc, block []int32) {
	disc, block = make([]int32, len(order)), make([]int32, len(order))
	type near struct {
		cell   []int32
		lo, hi int  // the window's ends in cell
		inDisc bool // one of the nine cells a disc can reach
	}
	var around []near
	for lo := 0; lo < len(order); {
		c := span[key[order[lo]]]
		g, cx, cy := splitCellKey(key[order[lo]])
		around = around[:0]
		for dx := int64(-2); dx <= 2; dx++ {
			for dy := int64(-2); dy <= 2; dy++ {
				if r, ok := span[cellKey(g, cx+dx, cy+dy)]; ok {
					around = append(around, near{cell: order[r.lo:r.hi], inDisc: dx >= -1 && dx <= 1 && dy >= -1 && dy <= 1})
				}
			}
		}
		for _, i := range order[c.lo:c.hi] {
			var d, b int32
			for k := range around {
				a := &around[k]
				for a.lo < len(a.cell) && ts[a.cell[a.lo]] < ts[i]-w {
					a.lo++
				}
				a.hi = max(a.hi, a.lo)
				for a.hi < len(a.cell) && ts[a.cell[a.hi]] <= ts[i]+w {
					a.hi++
				}
				b += int32(len(a.cell) - (a.hi - a.lo))
				if !a.inDisc {
					continue
				}
				for _, part := range [2][]int32{a.cell[:a.lo], a.cell[a.hi:]} {
					for _, j := range part {
						ddx, ddy := xs[i]-xs[j], ys[i]-ys[j]
						if ddx*ddx+ddy*ddy <= r2 {
							d++
						}
					}
				}
			}
			disc[i], block[i] = d, b
		}
		lo = int(c.hi)
	}
	return disc, block
}

// PoissonQuantile is the smallest k with P(X ≥ k) ≤ alpha for X ~
// Poisson(lambda): how many events are needed before so many stand out
// from a usual rate of lambda. alpha is taken as at least 1e-12.
func PoissonQuantile(lambda, alpha float64) int {
	alpha = max(alpha, 1e-12)
	if lambda <= 0 {
		return 1
	}
	// P(X ≥ k) = 1 − P(X ≤ k−1), the probabilities summed from 0, each
	// the last times λ/k; in log space where exp(−λ) would underflow.
	cdf := 0.0
	if lambda < 500 {
		pk := math.Exp(-lambda)
		for k := 0; ; k++ {
			if 1-cdf <= alpha || k > 10*int(lambda)+1000 {
				return k
			}
			cdf += pk
			pk *= lambda / float64(k+1)
		}
	}
	logP, logL := -lambda, math.Log(lambda)
	for k := 0; ; k++ {
		if 1-cdf <= alpha || k > 10*int(lambda)+1000 {
			return k
		}
		cdf += math.Exp(logP)
		logP += logL - math.Log(float64(k+1))
	}
}

// cellKey packs a category group and a cell's coordinates, 21 bits each,
// into one map key. Coordinates wrap modulo 2^21 cells (beyond about
// 200 km at a 200 m radius); two cells that share a key only add
// candidates, whose distance is checked exactly — except in a block's
// background count (backgrounds), where such a far cell's cases raise the
// bar a little; only a scope over 400 km wide at that radius has them.
func cellKey(g uint64, x, y int64) uint64 {
	const m = 1<<21 - 1
	return g<<42 | uint64(x)&m<<21 | uint64(y)&m
}

func splitCellKey(k uint64) (g uint64, x, y int64) {
	const m = 1<<21 - 1
	sx := func(v uint64) int64 { return int64(v<<43) >> 43 } // sign-extend 21 bits
	return k >> 42, sx(k >> 21 & m), sx(k & m)
}

// Centre returns the mean point of pts[idx] and the distance in metres of
// the farthest of them from it.
func Centre(pts []HotspotPoint, idx []int) (lng, lat, radiusM float64) {
	for _, i := range idx {
		lng += pts[i].Lng
		lat += pts[i].Lat
	}
	lng, lat = lng/float64(len(idx)), lat/float64(len(idx))
	kx := metresPerDegree * math.Cos(lat*math.Pi/180)
	for _, i := range idx {
		dx, dy := (pts[i].Lng-lng)*kx, (pts[i].Lat-lat)*metresPerDegree
		radiusM = math.Max(radiusM, math.Hypot(dx, dy))
	}
	return lng, lat, radiusM
}
