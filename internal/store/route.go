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
}

func (r routing) found() bool { return r.OrgID != 0 || r.RegionCode != "" }

func (r routing) data() string {
	b, _ := json.Marshal(map[string]any{"org_id": r.OrgID, "region_code": r.RegionCode, "name": r.Name, "rule": r.Rule, "why": r.Why})
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

// route decides a case's handler from its category's rule and its region:
// the grid, community or street the place lies in, or the named department
// whose jurisdiction covers it most closely. When a rule cannot be met (no
// grid at that place, no such department, property companies not yet
// registered for compounds) it falls back one level up and says so.
func route(ctx context.Context, q querier, regionCode string, r caseRules) (routing, error) {
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
		var id int64
		var name, code string
		// Catalogues name departments generically (城市管理委员会); each
		// district's organisation carries its full name (北京市东城区城市管理委员会).
		err := q.queryRow(ctx, `SELECT id, name, region_code FROM organisations
			WHERE kind = 'department' AND name LIKE ? ESCAPE '\' AND region_code <> '' AND ? LIKE region_code || '%'
			ORDER BY LENGTH(region_code) DESC, id LIMIT 1`, DepartmentPattern(r.Department), regionCode).Scan(&id, &name, &code)
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
		rt, ok, err := toRegion(civic.LevelCommunity, "community", civic.T(
			"事发地小区的物业公司尚未登记，转属地社区督促物业办理",
			"the compound's property company is not registered yet; routed to the community to follow up with it"))
		if ok || err != nil {
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
