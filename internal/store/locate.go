package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
)

// Locator answers "which region contains this point" from an in-memory
// index of every boundary. The index is rebuilt when the database's region
// revision changes — by this process or by another one on the same
// PostgreSQL — checked at most every checkEvery.
type Locator struct {
	s          *Store
	checkEvery time.Duration
	cur        atomic.Pointer[locIndex]
	mu         sync.Mutex // one rebuild at a time
}

type locIndex struct {
	revision  int64
	checkedAt time.Time
	ix        *geo.Index
	codes     []string // index entry ID → region code
}

// NewLocator builds a locator; call Refresh once before use.
func (s *Store) NewLocator(checkEvery time.Duration) *Locator {
	return &Locator{s: s, checkEvery: checkEvery}
}

// CRS names the coordinate system of an input point.
type CRS string

const (
	WGS84 CRS = "wgs84"
	GCJ02 CRS = "gcj02" // Chinese consumer maps (AMap, Tencent)
)

// Refresh rebuilds the index if the stored revision moved.
func (l *Locator) Refresh(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var rev int64
	if err := l.s.queryRow(ctx, `SELECT revision FROM region_revision WHERE id = 1`).Scan(&rev); err != nil {
		return fmt.Errorf("read region revision: %w", err)
	}
	now := l.s.Now()
	if cur := l.cur.Load(); cur != nil && cur.revision == rev {
		next := *cur
		next.checkedAt = now
		l.cur.Store(&next)
		return nil
	}
	rows, err := l.s.query(ctx, `SELECT code, level, boundary FROM regions ORDER BY code`)
	if err != nil {
		return fmt.Errorf("load boundaries: %w", err)
	}
	defer rows.Close()
	var entries []geo.Entry
	var codes []string
	for rows.Next() {
		var code, b string
		var lvl int
		if err := rows.Scan(&code, &lvl, &b); err != nil {
			return fmt.Errorf("scan boundary: %w", err)
		}
		g, err := geo.ParseGeometry([]byte(b))
		if err != nil {
			return fmt.Errorf("boundary of %s: %w", code, err)
		}
		entries = append(entries, geo.Entry{ID: int64(len(codes)), Level: lvl, Geom: g})
		codes = append(codes, code)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load boundaries: %w", err)
	}
	l.cur.Store(&locIndex{revision: rev, checkedAt: now, ix: geo.NewIndex(entries), codes: codes})
	return nil
}

// Locate returns the code of the smallest region containing the point, or
// "" when no region does. It refreshes a stale index first.
func (l *Locator) Locate(ctx context.Context, p geo.Point, crs CRS) (string, error) {
	cur := l.cur.Load()
	if cur == nil || l.s.Now().Sub(cur.checkedAt) > l.checkEvery {
		if err := l.Refresh(ctx); err != nil {
			return "", err
		}
		cur = l.cur.Load()
	}
	if crs == GCJ02 {
		p = geo.GCJ02ToWGS84(p)
	}
	id, ok := cur.ix.Lookup(p)
	if !ok {
		return "", nil
	}
	return cur.codes[id], nil
}

// LocateRegion resolves a point to a region the actor may see.
func (s *Store) LocateRegion(ctx context.Context, a civic.Actor, l *Locator, p geo.Point, crs CRS) (civic.Region, error) {
	if err := a.Must(civic.PermRegionRead); err != nil {
		return civic.Region{}, err
	}
	if p.Lng < -180 || p.Lng > 180 || p.Lat < -90 || p.Lat > 90 || p.Lng != p.Lng || p.Lat != p.Lat {
		return civic.Region{}, civic.Invalid(civic.FieldErr("lng", "经纬度超出范围", "coordinates are out of range"))
	}
	code, err := l.Locate(ctx, p, crs)
	if err != nil {
		return civic.Region{}, err
	}
	if code == "" || !a.InScope(code) {
		return civic.Region{}, civic.NotFound("该位置所在的区域", "a region at this location")
	}
	r, err := s.GetRegion(ctx, a, code)
	r.Boundary = nil
	return r, err
}
