package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// GridRow is one line of the grid table (一图一表): a grid, where it lies,
// how large it is and who serves it. Later modules add columns.
type GridRow struct {
	Code          string  `json:"code"`
	Name          string  `json:"name"`
	CommunityCode string  `json:"community_code"`
	CommunityName string  `json:"community_name"`
	StreetCode    string  `json:"street_code"`
	StreetName    string  `json:"street_name"`
	AreaM2        float64 `json:"area_m2"`
	StaffTotal    int     `json:"staff_total"`
	GridLeaders   int     `json:"grid_leaders"`
	FullTime      int     `json:"full_time"`
	PartTime      int     `json:"part_time"`
	OtherStaff    int     `json:"other_staff"`
	LeaderName    string  `json:"leader_name"`
	// Linkage completeness (人房关联完善率) of the grid and its micro-grids;
	// zero for readers who may not read people and houses.
	Houses         int `json:"houses"`
	HousesComplete int `json:"houses_complete"`
	People         int `json:"people"`
	PeopleLinked   int `json:"people_linked"`
}

// Linkage is the row's completeness figures, with their rates.
func (g GridRow) Linkage() civic.Completeness {
	return civic.Completeness{RegionCode: g.Code, Houses: g.Houses, HousesComplete: g.HousesComplete, People: g.People, PeopleLinked: g.PeopleLinked}
}

// GridFilter narrows ListGrids.
type GridFilter struct {
	Under string // street or community code
	Query string // name or code contains
	// Unstaffed keeps grids without a serving full-time worker.
	Unstaffed bool
	Page
}

// ListGrids returns the grid table for the actor's scope. Staff counts are
// people serving today, including those of the grid's micro-grids.
func (s *Store) ListGrids(ctx context.Context, a civic.Actor, f GridFilter) ([]GridRow, int, error) {
	if err := a.Must(civic.PermRegionRead); err != nil {
		return nil, 0, err
	}
	today := civic.Today(s.Now())
	where, args := scopeClause(a, "g.code")
	where = "g.level = ? AND " + where
	args = append([]any{int(civic.LevelGrid)}, args...)
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		where += " AND g.code >= ? AND g.code < ?"
		args = append(args, lo, hi)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		cond, qargs := containsAny(q, "g.name", "g.code", "c.name")
		where += " AND " + cond
		args = append(args, qargs...)
	}
	if f.Unstaffed {
		where += " AND COALESCE(sc.full_time, 0) = 0"
	}
	from := ` FROM regions g
		LEFT JOIN regions c ON c.code = g.parent_code
		LEFT JOIN regions st ON st.code = c.parent_code
		LEFT JOIN (SELECT substr(grid_code, 1, 15) AS gc,
				COUNT(*) AS total,
				SUM(CASE WHEN position = 'grid_leader' THEN 1 ELSE 0 END) AS leaders,
				SUM(CASE WHEN position = 'full_time' THEN 1 ELSE 0 END) AS full_time,
				SUM(CASE WHEN position = 'part_time' THEN 1 ELSE 0 END) AS part_time,
				MIN(CASE WHEN position = 'grid_leader' THEN name END) AS leader_name
			FROM staff WHERE start_date <= ? AND (end_date = '' OR end_date >= ?)
			GROUP BY substr(grid_code, 1, 15)) sc ON sc.gc = g.code`
	args = append([]any{today, today}, args...)
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*)`+from+` WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count grids: %w", err)
	}
	// Completeness reads the counters houses.residents and people.houses,
	// one grouped scan of each table over the listed range, not a query
	// per grid.
	linkWhere, linkArgs := s.linkageRange(a, f.Under)
	linkFrom := `
		LEFT JOIN (SELECT substr(grid_code, 1, 15) AS gc, COUNT(*) AS total,
				SUM(CASE WHEN residents > 0 OR use = 'vacant' THEN 1 ELSE 0 END) AS done
			FROM houses WHERE ` + linkWhere + ` GROUP BY substr(grid_code, 1, 15)) hc ON hc.gc = g.code
		LEFT JOIN (SELECT substr(grid_code, 1, 15) AS gc, COUNT(*) AS total,
				SUM(CASE WHEN houses > 0 THEN 1 ELSE 0 END) AS linked
			FROM people WHERE ` + linkWhere + ` GROUP BY substr(grid_code, 1, 15)) pc ON pc.gc = g.code`
	args = append(append(append(args[:2:2], linkArgs...), linkArgs...), args[2:]...)
	p := f.Page.normal()
	rows, err := s.query(ctx, `SELECT g.code, g.name, COALESCE(c.code, ''), COALESCE(c.name, ''), COALESCE(st.code, ''), COALESCE(st.name, ''), g.area_m2,
			COALESCE(sc.total, 0), COALESCE(sc.leaders, 0), COALESCE(sc.full_time, 0), COALESCE(sc.part_time, 0), COALESCE(sc.leader_name, ''),
			COALESCE(hc.total, 0), COALESCE(hc.done, 0), COALESCE(pc.total, 0), COALESCE(pc.linked, 0)`+
		from+linkFrom+` WHERE `+where+` ORDER BY g.code LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list grids: %w", err)
	}
	defer rows.Close()
	var out []GridRow
	for rows.Next() {
		var g GridRow
		if err := rows.Scan(&g.Code, &g.Name, &g.CommunityCode, &g.CommunityName, &g.StreetCode, &g.StreetName, &g.AreaM2,
			&g.StaffTotal, &g.GridLeaders, &g.FullTime, &g.PartTime, &g.LeaderName,
			&g.Houses, &g.HousesComplete, &g.People, &g.PeopleLinked); err != nil {
			return nil, 0, fmt.Errorf("scan grid row: %w", err)
		}
		g.OtherStaff = g.StaffTotal - g.GridLeaders - g.FullTime - g.PartTime
		out = append(out, g)
	}
	return out, total, rows.Err()
}

// linkageRange is the condition (on grid_code) of the houses and people a
// grid table counts: the actor's scope and the filter, or nothing at all
// for readers without the people permission.
func (s *Store) linkageRange(a civic.Actor, under string) (string, []any) {
	if !a.Can(civic.PermPeopleRead) {
		return "1=0", nil
	}
	where, args := scopeClause(a, "grid_code")
	if under != "" {
		lo, hi := civic.ScopePrefixRange(under)
		where += " AND grid_code >= ? AND grid_code < ?"
		args = append(args, lo, hi)
	}
	return where, args
}

// gridOutOfScope is the error for a grid code outside the actor's scope. A
// code left empty or naming no region is a mistake in the form (422, on the
// field), not a trespass: only a real grid elsewhere is refused as out of
// scope (403). Grid codes are public (the region tree is), so saying that one
// exists gives nothing away.
func gridOutOfScope(ctx context.Context, q querier, code string) error {
	if strings.TrimSpace(code) == "" {
		return civic.Invalid(civic.FieldErr("grid_code", "请选择网格", "choose a grid"))
	}
	ok, err := regionExists(ctx, q, code)
	if err != nil {
		return err
	}
	if !ok {
		return civic.Invalid(civic.FieldErr("grid_code", "网格“%s”不存在", "grid %q does not exist", code))
	}
	return civic.OutOfScope("grid_code", "网格不在您的管辖范围内", "the grid is outside your scope")
}

// regionOutOfScope is outside, the out-of-scope error for a region code,
// unless the code names no region at all: that is a mistake in the form
// (422, on field). An empty code (city-wide) stays out of scope.
func regionOutOfScope(ctx context.Context, q querier, field, code string, outside *civic.Error) error {
	if code != "" {
		ok, err := regionExists(ctx, q, code)
		if err != nil {
			return err
		}
		if !ok {
			return civic.Invalid(civic.FieldErr(field, "区域“%s”不存在", "region %q does not exist", code))
		}
	}
	return outside
}
