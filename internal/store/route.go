package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// routing is who a case goes to, and why, in both languages, for the
// timeline.
type routing struct {
	OrgID      int64  `json:"org_id,omitempty"`
	RegionCode string `json:"region_code,omitempty"`
	Name       string `json:"name"`
	Rule       string `json:"rule"`
	Why        civic.Text
	// CompoundID is the compound a property rule found the place in.
	CompoundID int64 `json:"compound_id,omitempty"`
}

func (r routing) found() bool { return r.OrgID != 0 || r.RegionCode != "" }

func (r routing) data() string {
	m := map[string]any{"org_id": r.OrgID, "region_code": r.RegionCode, "name": r.Name, "rule": r.Rule, "why": r.Why}
	if r.CompoundID != 0 {
		m["compound_id"] = r.CompoundID
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// prefixOf cuts a region code to a level's length, or "" if the code is
// shorter.
func prefixOf(code string, l civic.Level) string {
	n := map[civic.Level]int{civic.LevelStreet: 9, civic.LevelCommunity: 12, civic.LevelGrid: 15}[l]
	if len(code) < n {
		return ""
	}
	return code[:n]
}

// route decides a case's handler from its category's rule and its place:
// the property company of the compound the place is in, the grid,
// community or street the place lies in, or the named department whose
// jurisdiction covers it most closely. When a rule cannot be met (no
// compound or no property company there, no grid at that place, no such
// department) it falls back one level up and says so.
func route(ctx context.Context, q querier, pl casePlace, r caseRules) (routing, error) {
	regionCode := pl.region
	regionName := func(code string) (string, error) {
		var n string
		err := q.queryRow(ctx, `SELECT name FROM regions WHERE code = ?`, code).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil
		}
		return n, err
	}
	toRegion := func(l civic.Level, rule string, why civic.Text) (routing, bool, error) {
		code := prefixOf(regionCode, l)
		if code == "" {
			return routing{}, false, nil
		}
		name, err := regionName(code)
		if err != nil || name == "" {
			return routing{}, false, err
		}
		return routing{RegionCode: code, Name: name, Rule: rule, Why: why}, true, nil
	}
	switch r.Target {
	case "department":
		// Catalogues name departments generically (城市管理委员会); each
		// district's organisation carries its full name (北京市东城区城市管理委员会).
		id, name, code, err := findDepartment(ctx, q, r.Department, regionCode)
		switch {
		case err == nil:
			return routing{OrgID: id, Name: name, Rule: "department", Why: civic.T(
				fmt.Sprintf("分类“%s”由职能部门“%s”办理，其管辖范围（%s）覆盖事发地", r.Name, name, code),
				fmt.Sprintf("category %q is handled by the department %q whose jurisdiction (%s) covers the place", r.Name, name, code))}, nil
		case !errors.Is(err, sql.ErrNoRows):
			return routing{}, fmt.Errorf("find department %s: %w", r.Department, err)
		}
		rt, ok, err := toRegion(civic.LevelStreet, "street", civic.T(
			fmt.Sprintf("事发地没有登记职能部门“%s”，转属地街道", r.Department),
			fmt.Sprintf("no department %q covers the place; routed to its street", r.Department)))
		if ok || err != nil {
			return rt, err
		}
	case "property":
		cp, err := findCompound(ctx, q, pl)
		if err != nil {
			return routing{}, err
		}
		var why civic.Text
		switch {
		case cp.id != 0 && cp.orgID != 0:
			return routing{OrgID: cp.orgID, Name: cp.orgName, Rule: "property", CompoundID: cp.id, Why: civic.T(
				fmt.Sprintf("事发地在“%s”（%s），由该小区的物业公司“%s”办理", cp.name, cp.how.ZH, cp.orgName),
				fmt.Sprintf("the place is in the compound %q (%s); its property company %q handles it", cp.name, cp.how.EN, cp.orgName))}, nil
		case cp.id != 0:
			why = civic.T(
				fmt.Sprintf("事发地在“%s”（%s），该小区尚未登记物业公司，转属地社区督促办理", cp.name, cp.how.ZH),
				fmt.Sprintf("the place is in the compound %q (%s), which has no property company registered; routed to the community to follow up", cp.name, cp.how.EN))
		default:
			why = civic.T("事发地不在任何已登记的小区内，转属地社区办理",
				"the place is in no registered compound; routed to its community")
		}
		rt, ok, err := toRegion(civic.LevelCommunity, "community", why)
		if ok || err != nil {
			rt.CompoundID = cp.id
			return rt, err
		}
	case "grid":
		rt, ok, err := toRegion(civic.LevelGrid, "grid", civic.T("分类规则：由事发地所在网格办理", "category rule: the grid the place lies in handles it"))
		if ok || err != nil {
			return rt, err
		}
		rt, ok, err = toRegion(civic.LevelCommunity, "community", civic.T("事发地不在任何网格内，转属地社区", "the place lies in no grid; routed to its community"))
		if ok || err != nil {
			return rt, err
		}
	case "street":
		rt, ok, err := toRegion(civic.LevelStreet, "street", civic.T("分类规则：由属地街道办理", "category rule: the street handles it"))
		if ok || err != nil {
			return rt, err
		}
	default: // community
		rt, ok, err := toRegion(civic.LevelCommunity, "community", civic.T("分类规则：由属地社区办理", "category rule: the community handles it"))
		if ok || err != nil {
			return rt, err
		}
	}
	// Last resorts: the street, then nobody (a dispatcher decides).
	rt, ok, err := toRegion(civic.LevelStreet, "street", civic.T("按规则无法确定承办单位，转属地街道", "the rule found no handler; routed to the street"))
	if ok || err != nil {
		return rt, err
	}
	return routing{Why: civic.T("无法自动确定承办单位，请人工派单", "no handler could be found; a dispatcher must decide")}, nil
}

// findDepartment returns the department answering to the pattern whose
// jurisdiction is the narrowest covering regionCode. LIKE only narrows the
// candidates: SQLite's ignores the case of ASCII letters and PostgreSQL's
// does not, so the same catalogue routed "ABC分局" to "abc分局" on one
// engine only; civic.MatchesDepartment decides, as the catalogue check does.
func findDepartment(ctx context.Context, q querier, department, regionCode string) (id int64, name, code string, err error) {
	rows, err := q.query(ctx, `SELECT id, name, region_code FROM organisations
		WHERE kind = 'department' AND name LIKE ? ESCAPE '\' AND region_code <> '' AND ? LIKE region_code || '%'
		ORDER BY LENGTH(region_code) DESC, id`, DepartmentPattern(department), regionCode)
	if err != nil {
		return 0, "", "", err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&id, &name, &code); err != nil {
			return 0, "", "", err
		}
		if civic.MatchesDepartment(name, department) {
			return id, name, code, nil
		}
	}
	if err := rows.Err(); err != nil {
		return 0, "", "", err
	}
	return 0, "", "", sql.ErrNoRows
}
