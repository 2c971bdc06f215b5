package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
)

// WithinToleranceM is how far (metres) a child boundary may stick out of its
// parent, and siblings into each other, before an import is refused. Real
// boundaries are digitised by hand and never meet exactly.
const WithinToleranceM = 5.0

const regionCols = `id, code, parent_code, level, name, area_m2, center_lng, center_lat, created_at, updated_at`

func scanRegion(sc interface{ Scan(...any) error }, extra ...any) (civic.Region, error) {
	var r civic.Region
	dest := append([]any{&r.ID, &r.Code, &r.ParentCode, &r.Level, &r.Name, &r.AreaM2, &r.CenterLng, &r.CenterLat, &r.CreatedAt, &r.UpdatedAt}, extra...)
	err := sc.Scan(dest...)
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return r, err
}

// GetRegion returns one region with its boundary. A region outside the
// actor's scope is reported as not found.
func (s *Store) GetRegion(ctx context.Context, a civic.Actor, code string) (civic.Region, error) {
	if err := a.Must(civic.PermRegionRead); err != nil {
		return civic.Region{}, err
	}
	if !a.InScope(code) {
		return civic.Region{}, civic.NotFound("区域 "+code, "region "+code)
	}
	var boundary string
	r, err := scanRegion(s.queryRow(ctx, `SELECT `+regionCols+`, boundary FROM regions WHERE code = ?`, code), &boundary)
	if errors.Is(err, sql.ErrNoRows) {
		return civic.Region{}, civic.NotFound("区域 "+code, "region "+code)
	}
	if err != nil {
		return civic.Region{}, fmt.Errorf("get region %s: %w", code, err)
	}
	r.Boundary = []byte(boundary)
	return r, nil
}

// RegionFilter narrows ListRegions.
type RegionFilter struct {
	ParentCode string      // direct children of this region
	Under      string      // anywhere in this subtree
	Level      civic.Level // 0 for any
	Query      string      // name or code contains
	WithBounds bool        // include boundaries
	Page
}

// ListRegions returns regions in the actor's scope ordered by code, and the
// total count.
func (s *Store) ListRegions(ctx context.Context, a civic.Actor, f RegionFilter) ([]civic.Region, int, error) {
	if err := a.Must(civic.PermRegionRead); err != nil {
		return nil, 0, err
	}
	where, args := scopeClause(a, "code")
	if f.ParentCode != "" {
		where += " AND parent_code = ?"
		args = append(args, f.ParentCode)
	}
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		where += " AND code >= ? AND code < ?"
		args = append(args, lo, hi)
	}
	if f.Level != 0 {
		where += " AND level = ?"
		args = append(args, int(f.Level))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		cond, qargs := containsAny(q, "name", "code")
		where += " AND " + cond
		args = append(args, qargs...)
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM regions WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count regions: %w", err)
	}
	cols := regionCols
	if f.WithBounds {
		cols += ", boundary"
	}
	p := f.Page.normal()
	rows, err := s.query(ctx, `SELECT `+cols+` FROM regions WHERE `+where+` ORDER BY code LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list regions: %w", err)
	}
	defer rows.Close()
	var out []civic.Region
	for rows.Next() {
		var b string
		var extra []any
		if f.WithBounds {
			extra = append(extra, &b)
		}
		r, err := scanRegion(rows, extra...)
		if err != nil {
			return nil, 0, fmt.Errorf("scan region: %w", err)
		}
		r.Boundary = []byte(b)
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// RegionPath returns the chain from the actor's scope root down to code,
// for breadcrumbs. Ancestors above the scope root are left out.
func (s *Store) RegionPath(ctx context.Context, a civic.Actor, code string) ([]civic.Region, error) {
	if err := a.Must(civic.PermRegionRead); err != nil {
		return nil, err
	}
	if !a.InScope(code) {
		return nil, civic.NotFound("区域 "+code, "region "+code)
	}
	var codes []any
	var marks []string
	for c := code; c != ""; c = civic.ParentCodeOf(c) {
		if a.InScope(c) {
			codes = append(codes, c)
			marks = append(marks, "?")
		}
	}
	rows, err := s.query(ctx, `SELECT `+regionCols+` FROM regions WHERE code IN (`+strings.Join(marks, ",")+`) ORDER BY level`, codes...)
	if err != nil {
		return nil, fmt.Errorf("region path %s: %w", code, err)
	}
	defer rows.Close()
	var out []civic.Region
	for rows.Next() {
		r, err := scanRegion(rows)
		if err != nil {
			return nil, fmt.Errorf("scan region: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RegionFeature is one region as read from or written to a GeoJSON file.
type RegionFeature struct {
	Code       string
	Name       string
	Level      civic.Level
	ParentCode string
	Geom       geo.MultiPolygon
	Index      int // position in the file, for messages
}

func (f RegionFeature) label() (zh, en string) {
	return fmt.Sprintf("第%d个要素（%s %s）", f.Index+1, f.Code, f.Name),
		fmt.Sprintf("feature #%d (%s %s)", f.Index+1, f.Code, f.Name)
}

func (f RegionFeature) err(zh, en string, args ...any) civic.FieldError {
	return f.errText(fmt.Sprintf(zh, args...), fmt.Sprintf(en, args...))
}

// errText names the feature in front of an already formatted reason.
func (f RegionFeature) errText(zh, en string) civic.FieldError {
	lz, le := f.label()
	return civic.FieldError{Field: fmt.Sprintf("features[%d]", f.Index), Msg: civic.T(lz+"："+zh, le+": "+en)}
}

// ParseRegionFile reads a GeoJSON FeatureCollection of regions. Each feature
// needs properties "code" and "name"; "level" (key or number) and
// "parent_code" are optional and, when given, must agree with the code.
// Every bad feature is reported, not just the first.
func ParseRegionFile(data []byte) ([]RegionFeature, error) {
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Type       string          `json:"type"`
			Geometry   json.RawMessage `json:"geometry"`
			Properties map[string]any  `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, civic.Errorf(civic.EInvalid, "文件不是有效的 GeoJSON：应为一个 FeatureCollection 的 JSON 文本", "the file is not valid GeoJSON: it must be the JSON text of a FeatureCollection")
	}
	if fc.Type != "FeatureCollection" {
		return nil, civic.Errorf(civic.EInvalid, "GeoJSON 顶层类型应为 FeatureCollection", "the GeoJSON top level must be a FeatureCollection")
	}
	if len(fc.Features) == 0 {
		return nil, civic.Errorf(civic.EInvalid, "文件中没有任何区域", "the file contains no regions")
	}
	var out []RegionFeature
	var errs []civic.FieldError
	seen := map[string]int{}
	for i, raw := range fc.Features {
		f := RegionFeature{Index: i, Code: propString(raw.Properties, "code"), Name: strings.TrimSpace(propString(raw.Properties, "name"))}
		bad := false
		fail := func(fe civic.FieldError) { errs = append(errs, fe); bad = true }
		if f.Code == "" {
			fail(f.err("缺少 code 属性", "property \"code\" is missing"))
		}
		if f.Name == "" {
			fail(f.err("缺少 name 属性", "property \"name\" is missing"))
		} else if len([]rune(f.Name)) > 100 {
			fail(f.err("名称超过100字", "name is longer than 100 characters"))
		}
		if f.Code != "" {
			lvl, ok := civic.LevelOfCode(f.Code)
			if ls := propString(raw.Properties, "level"); ls != "" {
				given, ok2 := civic.ParseLevel(ls)
				switch {
				case !ok2:
					fail(f.err("层级“%s”无法识别", "level %q is not known", ls))
				case ok && given != lvl:
					fail(f.err("编码长度与层级“%s”不符", "the code's length does not match level %q", ls))
				}
				if !ok && ok2 {
					lvl, ok = given, true
				}
			}
			if !ok {
				fail(f.err("编码“%s”不是4/6/9/12/15/17/18位数字", "code %q is not 4/6/9/12/15/17/18 digits", f.Code))
			} else {
				f.Level = lvl
				f.ParentCode = civic.ParentCodeOf(f.Code)
				if pc := propString(raw.Properties, "parent_code"); pc != "" && pc != f.ParentCode {
					fail(f.err("编码“%s”没有延续上级编码“%s”", "code %q does not extend its parent's code %q", f.Code, pc))
				}
				if fe := civic.ValidateCode(f.Code, f.Level, f.ParentCode); fe != nil {
					fail(f.errText(fe.Msg.ZH, fe.Msg.EN))
				}
			}
			if j, dup := seen[f.Code]; dup {
				fail(f.err("编码与第%d个要素重复", "code repeats feature #%d", j+1))
			}
			seen[f.Code] = i
		}
		if len(raw.Geometry) == 0 || string(raw.Geometry) == "null" {
			fail(f.err("缺少边界（geometry）", "geometry is missing"))
		} else if g, err := geo.ParseGeometry(raw.Geometry); err != nil {
			fail(f.err("边界无法解析：应为 GeoJSON 的 Polygon 或 MultiPolygon，坐标为 [经度, 纬度] 数组", "geometry cannot be read: it must be a GeoJSON Polygon or MultiPolygon with [lng, lat] coordinates"))
		} else if err := geo.Validate(g); err != nil {
			zh, en := geometryErrorText(err)
			fail(f.errText(zh, en))
		} else {
			f.Geom = g
		}
		if !bad {
			out = append(out, f)
		}
	}
	if len(errs) > 0 {
		return nil, importInvalid(errs)
	}
	return out, nil
}

// checkFeatures re-checks what ParseRegionFile checks, for features built
// in Go.
func checkFeatures(feats []RegionFeature) []civic.FieldError {
	var errs []civic.FieldError
	seen := map[string]bool{}
	for _, f := range feats {
		if n := len([]rune(strings.TrimSpace(f.Name))); n == 0 || n > 100 {
			errs = append(errs, f.err("名称不能为空且不超过100字", "name is required, at most 100 characters"))
		}
		if lvl, ok := civic.LevelOfCode(f.Code); !ok || lvl != f.Level || f.ParentCode != civic.ParentCodeOf(f.Code) {
			errs = append(errs, f.err("编码、层级与上级编码不一致", "code, level and parent code disagree"))
		}
		if seen[f.Code] {
			errs = append(errs, f.err("编码重复", "the code appears twice"))
		}
		seen[f.Code] = true
		if err := geo.Validate(f.Geom); err != nil {
			zh, en := geometryErrorText(err)
			errs = append(errs, f.errText(zh, en))
		}
	}
	return errs
}

func importInvalid(errs []civic.FieldError) *civic.Error {
	const maxShown = 200
	e := civic.Errorf(civic.EInvalid, "导入失败，%d处错误，未写入任何数据", "import refused: %d problems, nothing was written", len(errs))
	if len(errs) > maxShown {
		errs = errs[:maxShown]
	}
	e.Fields = errs
	return e
}

func propString(p map[string]any, key string) string {
	switch v := p[key].(type) {
	case string:
		return strings.TrimSpace(v)
	case float64:
		return strings.TrimSuffix(fmt.Sprintf("%.0f", v), ".0")
	}
	return ""
}

// geometryErrorText explains a geometry error in both languages.
func geometryErrorText(err error) (zh, en string) {
	var ge *geo.GeometryError
	if !errors.As(err, &ge) {
		return "边界无效：" + err.Error(), "invalid boundary: " + err.Error()
	}
	at := fmt.Sprintf("（%.6f, %.6f）", ge.At.Lng, ge.At.Lat)
	switch ge.Code {
	case geo.ErrEmpty:
		return "边界为空", "the boundary is empty"
	case geo.ErrTooFewPoints:
		return "环的顶点少于4个", "a ring has fewer than 4 positions"
	case geo.ErrUnclosedRing:
		return "环未闭合（首尾坐标不同）", "a ring is not closed (first and last positions differ)"
	case geo.ErrOutOfRange:
		return "坐标超出经纬度范围" + at, "a coordinate is out of range " + at
	case geo.ErrSelfIntersection:
		return "边界自相交，位置" + at, "the boundary intersects itself at " + at
	case geo.ErrHoleOutside:
		return "内环（洞）不在外环之内", "a hole lies outside its outer ring"
	case geo.ErrRingsCross:
		return "环之间相交或多边形相互重叠，位置" + at, "rings cross or polygons overlap at " + at
	}
	return "边界无效：" + ge.Error(), "invalid boundary: " + ge.Error()
}

// ImportReport says what an import did.
type ImportReport struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
}

type regionGeom struct {
	code, name, parent string
	level              civic.Level
	geom               geo.MultiPolygon
}

// ImportRegions checks every feature against the file and the database —
// parents exist, children lie within their parents, siblings do not overlap,
// existing children stay inside a replaced boundary — and then writes all of
// them in one transaction, or nothing.
func (s *Store) ImportRegions(ctx context.Context, a civic.Actor, feats []RegionFeature) (ImportReport, error) {
	var rep ImportReport
	if err := a.Must(civic.PermRegionWrite); err != nil {
		return rep, err
	}
	// Callers other than ParseRegionFile get the same checks; positions in
	// messages are positions in the slice.
	feats = append([]RegionFeature(nil), feats...)
	for i := range feats {
		feats[i].Index = i
	}
	if errs := checkFeatures(feats); len(errs) > 0 {
		return rep, importInvalid(errs)
	}
	for _, f := range feats {
		if !a.InScope(f.Code) {
			lz, le := f.label()
			return rep, &civic.Error{Code: civic.EForbidden, Msg: civic.T(lz+"不在您的管辖范围内", le+" is outside your scope")}
		}
	}
	return s.writeRegions(ctx, a, feats, "")
}

// writeRegions checks feats against the tree and writes them. The
// geometric checks are the slow part, so they run on a snapshot read
// outside the write transaction — SQLite has one writer, and an import of a
// city must not hold it for seconds. The write then proceeds only if the
// region revision has not moved since the snapshot; otherwise the checks
// run again on the new state. field, if set, names the input field that
// errors are reported against (for single-region updates).
func (s *Store) writeRegions(ctx context.Context, a civic.Actor, feats []RegionFeature, field string) (ImportReport, error) {
	for attempt := 0; ; attempt++ {
		rev, existing, err := s.regionSnapshot(ctx)
		if err != nil {
			return ImportReport{}, err
		}
		if errs := checkImport(feats, existing); len(errs) > 0 {
			if field != "" {
				for i := range errs {
					errs[i].Field = field
				}
				return ImportReport{}, civic.Invalid(errs...)
			}
			return ImportReport{}, importInvalid(errs)
		}
		var rep ImportReport
		stale := false
		err = s.write(ctx, func(tx *Tx) error {
			rep, stale = ImportReport{}, false // write may run this again
			now, err := regionRevision(ctx, tx)
			if err != nil {
				return err
			}
			if now != rev {
				stale = true
				return nil
			}
			for _, f := range feats {
				created, err := tx.upsertRegion(ctx, a, f, existing[f.Code])
				if err != nil {
					return err
				}
				if created {
					rep.Created++
				} else {
					rep.Updated++
				}
			}
			return tx.bumpRegionRevision(ctx)
		})
		if err != nil {
			return ImportReport{}, err
		}
		if !stale {
			return rep, nil
		}
		if attempt == 4 {
			return ImportReport{}, civic.Errorf(civic.EConflict, "区域数据正被他人频繁修改，请稍后重试", "regions are being changed by someone else; try again shortly")
		}
	}
}

// querier is what Store and Tx share for reads.
type querier interface {
	query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	queryRow(ctx context.Context, q string, args ...any) *sql.Row
}

func regionRevision(ctx context.Context, q querier) (int64, error) {
	var rev int64
	if err := q.queryRow(ctx, `SELECT revision FROM region_revision WHERE id = 1`).Scan(&rev); err != nil {
		return 0, fmt.Errorf("read region revision: %w", err)
	}
	return rev, nil
}

// regionSnapshot reads every boundary and the revision they belong to: the
// revision read before and after the (single-statement, hence consistent)
// boundary read must agree, since every boundary change bumps it in the
// same transaction.
func (s *Store) regionSnapshot(ctx context.Context) (int64, map[string]*regionGeom, error) {
	for {
		before, err := regionRevision(ctx, s)
		if err != nil {
			return 0, nil, err
		}
		geoms, err := loadGeoms(ctx, s)
		if err != nil {
			return 0, nil, err
		}
		after, err := regionRevision(ctx, s)
		if err != nil {
			return 0, nil, err
		}
		if before == after {
			return before, geoms, nil
		}
	}
}

// loadGeoms reads every region's boundary. Imports need the whole tree to
// check parents, siblings and children.
func loadGeoms(ctx context.Context, q querier) (map[string]*regionGeom, error) {
	rows, err := q.query(ctx, `SELECT code, name, parent_code, level, boundary FROM regions`)
	if err != nil {
		return nil, fmt.Errorf("load region boundaries: %w", err)
	}
	defer rows.Close()
	out := map[string]*regionGeom{}
	for rows.Next() {
		var g regionGeom
		var b string
		if err := rows.Scan(&g.code, &g.name, &g.parent, &g.level, &b); err != nil {
			return nil, fmt.Errorf("scan region boundary: %w", err)
		}
		if g.geom, err = geo.ParseGeometry([]byte(b)); err != nil {
			return nil, fmt.Errorf("stored boundary of %s: %w", g.code, err)
		}
		out[g.code] = &g
	}
	return out, rows.Err()
}

func checkImport(feats []RegionFeature, existing map[string]*regionGeom) []civic.FieldError {
	var errs []civic.FieldError
	// The tree as it will be after the import.
	after := make(map[string]*regionGeom, len(existing)+len(feats))
	for k, v := range existing {
		after[k] = v
	}
	inFile := map[string]bool{}
	for _, f := range feats {
		after[f.Code] = &regionGeom{code: f.Code, name: f.Name, parent: f.ParentCode, level: f.Level, geom: f.Geom}
		inFile[f.Code] = true
	}
	children := map[string][]*regionGeom{}
	for _, g := range after {
		children[g.parent] = append(children[g.parent], g)
	}
	for _, sibs := range children {
		sort.Slice(sibs, func(i, j int) bool { return sibs[i].code < sibs[j].code })
	}
	for _, f := range feats {
		// Cities have no parent; several cities may share a database and are
		// checked against each other as siblings of "".
		if f.Level != civic.LevelCity {
			p, ok := after[f.ParentCode]
			if !ok {
				errs = append(errs, f.err("上级区域“%s”不存在（既不在文件中，也不在系统中）", "parent region %q exists neither in the file nor in the system", f.ParentCode))
				continue
			}
			if !geo.Within(f.Geom, p.geom, WithinToleranceM) {
				errs = append(errs, f.err("超出上级区域“%s %s”的边界（允许误差%.0f米）", "lies outside its parent %s %s (tolerance %.0f m)", p.code, p.name, WithinToleranceM))
			}
		}
		fb := f.Geom.Bounds()
		for _, sib := range children[f.ParentCode] {
			if sib.code == f.Code || (inFile[sib.code] && sib.code < f.Code) {
				continue // each pair from the file is checked once
			}
			if !rectsMeet(fb, sib.geom.Bounds()) {
				continue
			}
			if geo.Overlaps(f.Geom, sib.geom, WithinToleranceM) {
				errs = append(errs, f.err("与同级区域“%s %s”重叠", "overlaps its sibling %s %s", sib.code, sib.name))
			}
		}
		// Children already in the system must stay inside a new boundary.
		for _, ch := range children[f.Code] {
			if inFile[ch.code] {
				continue
			}
			if !geo.Within(ch.geom, f.Geom, WithinToleranceM) {
				errs = append(errs, f.err("新边界没有包含已有的下级区域“%s %s”", "the new boundary leaves out its existing child %s %s", ch.code, ch.name))
			}
		}
	}
	return errs
}

func rectsMeet(a, b geo.Rect) bool {
	return a.MinLng <= b.MaxLng && b.MinLng <= a.MaxLng && a.MinLat <= b.MaxLat && b.MinLat <= a.MaxLat
}

type regionSummary struct {
	Name     string  `json:"name"`
	Level    string  `json:"level"`
	AreaM2   float64 `json:"area_m2"`
	Polygons int     `json:"polygons"`
	Vertices int     `json:"vertices"`
}

func summarise(name string, level civic.Level, g geo.MultiPolygon) regionSummary {
	n := 0
	for _, p := range g {
		for _, r := range p {
			n += len(r)
		}
	}
	return regionSummary{Name: name, Level: level.Key(), AreaM2: float64(int64(g.Area())), Polygons: len(g), Vertices: n}
}

func (tx *Tx) upsertRegion(ctx context.Context, a civic.Actor, f RegionFeature, old *regionGeom) (created bool, err error) {
	c := f.Geom.Centroid()
	area := f.Geom.Area()
	after := summarise(f.Name, f.Level, f.Geom)
	if old == nil {
		_, err = tx.exec(ctx, `INSERT INTO regions (code, parent_code, level, name, boundary, area_m2, center_lng, center_lat, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			f.Code, f.ParentCode, int(f.Level), f.Name, string(f.Geom.GeoJSON()), area, c.Lng, c.Lat, tx.now, tx.now)
		if err != nil {
			return false, fmt.Errorf("insert region %s: %w", f.Code, err)
		}
		return true, tx.audit(ctx, a, "region.create", "region", f.Code, f.Code, nil, after)
	}
	_, err = tx.exec(ctx, `UPDATE regions SET parent_code = ?, level = ?, name = ?, boundary = ?, area_m2 = ?, center_lng = ?, center_lat = ?, updated_at = ? WHERE code = ?`,
		f.ParentCode, int(f.Level), f.Name, string(f.Geom.GeoJSON()), area, c.Lng, c.Lat, tx.now, f.Code)
	if err != nil {
		return false, fmt.Errorf("update region %s: %w", f.Code, err)
	}
	return false, tx.audit(ctx, a, "region.update", "region", f.Code, f.Code, summarise(old.name, old.level, old.geom), after)
}

func (tx *Tx) bumpRegionRevision(ctx context.Context) error {
	if _, err := tx.exec(ctx, `UPDATE region_revision SET revision = revision + 1 WHERE id = 1`); err != nil {
		return fmt.Errorf("bump region revision: %w", err)
	}
	return nil
}

// RegionUpdate is a change to one region; nil fields stay as they are.
type RegionUpdate struct {
	Name     *string
	Boundary []byte // GeoJSON geometry
}

// UpdateRegion renames a region or replaces its boundary, with the same
// checks as an import.
func (s *Store) UpdateRegion(ctx context.Context, a civic.Actor, code string, u RegionUpdate) (civic.Region, error) {
	if err := a.Must(civic.PermRegionWrite); err != nil {
		return civic.Region{}, err
	}
	cur, err := s.GetRegion(ctx, a, code)
	if err != nil {
		return civic.Region{}, err
	}
	f := RegionFeature{Code: cur.Code, Name: cur.Name, Level: cur.Level, ParentCode: cur.ParentCode}
	if u.Name != nil {
		f.Name = strings.TrimSpace(*u.Name)
		if f.Name == "" || len([]rune(f.Name)) > 100 {
			return civic.Region{}, civic.Invalid(civic.FieldErr("name", "名称不能为空且不超过100字", "name is required, at most 100 characters"))
		}
	}
	b := cur.Boundary
	if u.Boundary != nil {
		b = u.Boundary
	}
	if f.Geom, err = geo.ParseGeometry(b); err != nil {
		return civic.Region{}, civic.Invalid(civic.FieldErr("boundary", "边界无法解析：应为 GeoJSON 的 Polygon 或 MultiPolygon，坐标为 [经度, 纬度] 数组", "boundary cannot be read: it must be a GeoJSON Polygon or MultiPolygon with [lng, lat] coordinates"))
	}
	if err := geo.Validate(f.Geom); err != nil {
		zh, en := geometryErrorText(err)
		return civic.Region{}, civic.Invalid(civic.FieldError{Field: "boundary", Msg: civic.T(zh, en)})
	}
	if _, err := s.writeRegions(ctx, a, []RegionFeature{f}, "boundary"); err != nil {
		return civic.Region{}, err
	}
	return s.GetRegion(ctx, a, code)
}

// ExportRegions writes the regions of a subtree (the actor's whole scope
// when root is empty) as a GeoJSON FeatureCollection that ImportRegions
// accepts back.
func (s *Store) ExportRegions(ctx context.Context, a civic.Actor, root string) ([]byte, error) {
	if root == "" {
		root = a.Scope.RegionCode
	}
	regions, _, err := s.ListRegions(ctx, a, RegionFilter{Under: root, WithBounds: true, Page: Page{Limit: 10000000}})
	if err != nil {
		return nil, err
	}
	return FeatureCollection(regions, nil), nil
}

// FeatureCollection renders regions as GeoJSON; extra adds properties per
// region code.
func FeatureCollection(regions []civic.Region, extra func(r civic.Region) map[string]any) []byte {
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	for i, r := range regions {
		if i > 0 {
			b.WriteByte(',')
		}
		props := map[string]any{"code": r.Code, "name": r.Name, "level": r.Level.Key(), "parent_code": r.ParentCode, "area_m2": int64(r.AreaM2)}
		if extra != nil {
			for k, v := range extra(r) {
				props[k] = v
			}
		}
		pj, _ := json.Marshal(props)
		b.WriteString(`{"type":"Feature","properties":`)
		b.Write(pj)
		b.WriteString(`,"geometry":`)
		if len(r.Boundary) == 0 {
			b.WriteString("null")
		} else {
			b.Write(r.Boundary)
		}
		b.WriteString(`}`)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}
