package demo

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/civicgrid/civicgrid/internal/geo"
)

// The lattice spans roughly lng 116.350–116.440, lat 39.880–39.957: the old
// inner city, 西城 west of 东城. Its cells are about 384 m × 356 m
// (0.137 km²), so a grid of one or two cells is 0.1–0.3 km², the size
// Beijing's grids really have in the old town.
const (
	latticeCols = 20 // 10 per district
	latticeRows = 24
	originLng   = 116.350
	originLat   = 39.880
	cellLng     = 0.0045
	cellLat     = 0.0032
	// jitter is the largest displacement of a lattice point, as a fraction of
	// the cell size on each axis. Below 0.25 every cell stays a convex
	// quadrilateral (each vertex moves less than half the distance to the
	// opposite diagonal), so any rectangle of cells is a simple polygon.
	jitter = 0.2
	// coordDigits rounds coordinates to about a centimetre: shorter GeoJSON,
	// and because every polygon reads the same rounded lattice point, shared
	// borders stay bit-for-bit identical.
	coordDigits = 1e7
)

// lattice is the one jittered mesh every boundary is cut from. Point (i, j)
// is column i from the west and row j from the south.
type lattice struct {
	cols, rows int
	pts        []geo.Point
}

func newLattice(rng *rand.Rand, cols, rows int) *lattice {
	l := &lattice{cols: cols, rows: rows, pts: make([]geo.Point, (cols+1)*(rows+1))}
	round := func(v float64) float64 { return math.Round(v*coordDigits) / coordDigits }
	for j := 0; j <= rows; j++ {
		for i := 0; i <= cols; i++ {
			dx := (rng.Float64()*2 - 1) * jitter
			dy := (rng.Float64()*2 - 1) * jitter
			l.pts[j*(cols+1)+i] = geo.Point{
				Lng: round(originLng + (float64(i)+dx)*cellLng),
				Lat: round(originLat + (float64(j)+dy)*cellLat),
			}
		}
	}
	return l
}

func (l *lattice) at(i, j int) geo.Point { return l.pts[j*(l.cols+1)+i] }

// block is the rectangle of cells [c0, c1) × [r0, r1) in lattice units. Every
// region of the demo is one block, which keeps every outline simple: no
// holes, no pinch points.
type block struct{ c0, r0, c1, r1 int }

func (b block) cells() int { return (b.c1 - b.c0) * (b.r1 - b.r0) }

// ring walks b's outline counter-clockwise (RFC 7946) from its south-west
// corner through every lattice point on it, including those in the middle
// of a side: a neighbour that shares only part of a side then has exactly
// the same vertices along it, so borders match without tolerance.
func (l *lattice) ring(b block) geo.Ring {
	r := make(geo.Ring, 0, 2*(b.c1-b.c0+b.r1-b.r0)+1)
	for i := b.c0; i < b.c1; i++ {
		r = append(r, l.at(i, b.r0))
	}
	for j := b.r0; j < b.r1; j++ {
		r = append(r, l.at(b.c1, j))
	}
	for i := b.c1; i > b.c0; i-- {
		r = append(r, l.at(i, b.r1))
	}
	for j := b.r1; j > b.r0; j-- {
		r = append(r, l.at(b.c0, j))
	}
	return append(r, r[0])
}

func (l *lattice) shape(b block) geo.MultiPolygon {
	return geo.MultiPolygon{geo.Polygon{l.ring(b)}}
}

// cellCentre is the mean of a cell's four corners. Cells are convex, so it
// lies strictly inside the cell and therefore inside whatever region owns
// the cell.
func (l *lattice) cellCentre(i, j int) geo.Point {
	a, b, c, d := l.at(i, j), l.at(i+1, j), l.at(i+1, j+1), l.at(i, j+1)
	return geo.Point{Lng: (a.Lng + b.Lng + c.Lng + d.Lng) / 4, Lat: (a.Lat + b.Lat + c.Lat + d.Lat) / 4}
}

// split cuts b into four quadrants at column c and row r, listed north-west,
// north-east, south-west, south-east: the order communities are numbered in,
// reading a map from the top.
func (b block) split(c, r int) []block {
	return []block{
		{b.c0, r, c, b.r1}, {c, r, b.c1, b.r1},
		{b.c0, b.r0, c, r}, {c, b.r0, b.c1, r},
	}
}

// tileGrids cuts a community block into n grids, each one cell or two
// adjacent cells (a domino, either way round), and returns them numbered in
// reading order from the north-west. Real grids are drawn to hold a similar
// number of households, so they come in a couple of sizes rather than one.
func tileGrids(rng *rand.Rand, b block, n int) []block {
	w, h := b.c1-b.c0, b.r1-b.r0
	owner := make([]int, w*h) // 0 = free, else 1 + index in out
	var out []block
	merges := w*h - n
	for try := 0; merges > 0 && try < 50*w*h; try++ {
		i, j := rng.IntN(w), rng.IntN(h)
		di, dj := 1, 0
		if rng.IntN(2) == 0 {
			di, dj = 0, 1
		}
		if i+di >= w || j+dj >= h || owner[j*w+i] != 0 || owner[(j+dj)*w+i+di] != 0 {
			continue
		}
		out = append(out, block{b.c0 + i, b.r0 + j, b.c0 + i + di + 1, b.r0 + j + dj + 1})
		owner[j*w+i], owner[(j+dj)*w+i+di] = len(out), len(out)
		merges--
	}
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			if owner[j*w+i] == 0 {
				out = append(out, block{b.c0 + i, b.r0 + j, b.c0 + i + 1, b.r0 + j + 1})
			}
		}
	}
	// Reading order: northern edge first, then west to east. No two blocks
	// share both keys, since both would own the cell at that corner.
	slices.SortFunc(out, func(a, b block) int {
		return cmp.Or(cmp.Compare(b.r1, a.r1), cmp.Compare(a.c0, b.c0))
	})
	return out
}
