package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
)

// Cases meet people and houses: a case may be filed from a house and for a
// person; the property rule routes it to the property company of the
// compound it lies in; the case page shows the household to those who may
// read people there.

// CompoundRadiusM is how close to a compound's registered point a place
// must be to count as in the compound when the compound has no boundary
// drawn. 150 m covers the courtyards of an ordinary 小区 from its centre
// without reaching across the next street; a compound with a boundary is
// judged by its boundary alone.
const CompoundRadiusM = 150

// casePlace is where a case is, as far as routing needs: its region, the
// compound it is known to be in (through its house or a compound's place
// code), or its point, to look for a compound around it.
type casePlace struct {
	region     string
	compoundID int64
	via        string // how compoundID is known: "house" or "place_code"
	// houseOutside: the case's house stands in no compound, so there is
	// no compound to look for.
	houseOutside bool
	hasLoc       bool
	pt           geo.Point
}

// compoundHit is the compound a place was found in, and how.
type compoundHit struct {
	id      int64
	name    string
	orgID   int64
	orgName string
	how     civic.Text
}

const compoundHitCols = `c.id, c.name, COALESCE(o.id, 0), COALESCE(o.name, '')`
const compoundHitFrom = ` FROM compounds c LEFT JOIN organisations o ON o.id = c.property_org_id AND o.kind = 'property_company'`

// findCompound finds the compound a case's place is in: the compound of
// its house or place code when known, else the compound whose boundary
// holds its point, else (for compounds without a boundary) the nearest
// whose centre is within CompoundRadiusM. Only compounds filed under the
// place's community, grid or micro-grid are considered: a compound never
// lies outside the region it is filed under.
func findCompound(ctx context.Context, q querier, pl casePlace) (compoundHit, error) {
	var hit compoundHit
	if pl.compoundID != 0 {
		err := q.queryRow(ctx, `SELECT `+compoundHitCols+compoundHitFrom+` WHERE c.id = ?`, pl.compoundID).Scan(&hit.id, &hit.name, &hit.orgID, &hit.orgName)
		if errors.Is(err, sql.ErrNoRows) {
			return compoundHit{}, nil
		}
		if err != nil {
			return hit, fmt.Errorf("read compound %d: %w", pl.compoundID, err)
		}
		hit.how = civic.T("报事房屋在该小区", "the reported house is in it")
		if pl.via == "place_code" {
			hit.how = civic.T("通过该小区的场所二维码上报", "reported through the compound's place QR code")
		}
		return hit, nil
	}
	if pl.houseOutside || !pl.hasLoc || len(pl.region) < 12 {
		return hit, nil
	}
	codes := []any{pl.region[:12]}
	if len(pl.region) >= 15 {
		codes = append(codes, pl.region[:15])
	}
	if len(pl.region) > 15 {
		codes = append(codes, pl.region)
	}
	rows, err := q.query(ctx, `SELECT `+compoundHitCols+`, c.lng, c.lat, c.boundary`+compoundHitFrom+
		` WHERE c.region_code IN (`+strings.TrimSuffix(strings.Repeat("?,", len(codes)), ",")+`) ORDER BY c.id`, codes...)
	if err != nil {
		return hit, fmt.Errorf("find compounds near the place: %w", err)
	}
	defer rows.Close()
	best := math.Inf(1)
	var near compoundHit
	for rows.Next() {
		var c compoundHit
		var lng, lat float64
		var boundary string
		if err := rows.Scan(&c.id, &c.name, &c.orgID, &c.orgName, &lng, &lat, &boundary); err != nil {
			return hit, fmt.Errorf("scan compound: %w", err)
		}
		centre := geo.Point{Lng: lng, Lat: lat}
		known := lng != 0 || lat != 0
		if boundary != "" {
			// A compound is a few hundred metres across: one whose centre
			// lies kilometres away cannot hold the point, and its
			// boundary need not be parsed.
			if known && geo.Distance(pl.pt, centre) > 3000 {
				continue
			}
			g, err := geo.ParseGeometry([]byte(boundary))
			if err != nil {
				continue // checked when saved; an unreadable one holds nothing
			}
			if g.Contains(pl.pt) {
				c.how = civic.T("位于小区边界内", "inside the compound's boundary")
				return c, rows.Err()
			}
			continue
		}
		if d := geo.Distance(pl.pt, centre); known && d <= CompoundRadiusM && d < best {
			best, near = d, c
			near.how = civic.T(fmt.Sprintf("距小区中心约%.0f米，该小区未绘制边界", d), fmt.Sprintf("about %.0f m from its centre; it has no boundary drawn", d))
		}
	}
	if err := rows.Err(); err != nil {
		return hit, fmt.Errorf("find compounds near the place: %w", err)
	}
	return near, nil
}

// placeOf is where a filed case is, for routing it again (a dispatch after
// a return or a reopening): its house's compound, the compound of the
// place code it came through (kept in its report event), or its point.
func placeOf(ctx context.Context, q querier, c civic.Case) (casePlace, error) {
	pl := casePlace{region: c.RegionCode, hasLoc: c.HasLocation, pt: geo.Point{Lng: c.Lng, Lat: c.Lat}}
	if c.HouseID != 0 {
		h, err := readCaseHouse(ctx, q, c.HouseID)
		if err != nil {
			return pl, err
		}
		pl.compoundID, pl.via, pl.houseOutside = h.compoundID, "house", h.compoundID == 0
		return pl, nil
	}
	var data string
	err := q.queryRow(ctx, `SELECT data FROM case_events WHERE case_id = ? AND action = ? ORDER BY id LIMIT 1`, c.ID, string(civic.ActReport)).Scan(&data)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return pl, fmt.Errorf("read case %d report: %w", c.ID, err)
	}
	var rep struct {
		CompoundID int64 `json:"compound_id"`
	}
	if data != "" && json.Unmarshal([]byte(data), &rep) == nil && rep.CompoundID != 0 {
		pl.compoundID, pl.via = rep.CompoundID, "place_code"
	}
	return pl, nil
}

// caseHouse is what intake and routing need of a house.
type caseHouse struct {
	id         int64
	compoundID int64
	grid       string
	address    string
	lng, lat   float64 // the building's; 0, 0 when not recorded
}

func readCaseHouse(ctx context.Context, q querier, id int64) (caseHouse, error) {
	h := caseHouse{id: id}
	err := q.queryRow(ctx, `SELECT COALESCE(b.compound_id, 0), h.grid_code, h.address, b.lng, b.lat FROM houses h JOIN buildings b ON b.id = h.building_id WHERE h.id = ?`, id).
		Scan(&h.compoundID, &h.grid, &h.address, &h.lng, &h.lat)
	if err != nil {
		return h, fmt.Errorf("read house %d: %w", id, err)
	}
	return h, nil
}

// HouseChoice is a house offered as the place of a report: its address and
// nothing else about who lives there.
type HouseChoice struct {
	ID      int64  `json:"id"`
	Address string `json:"address"`
}

// accountPeople are the people a signed-in account stands for: those whose
// phone number and name both match the account's (二要素), when an admin
// entered or confirmed that pair. Users may change their own name and phone
// without proof, so a pair they typed stands for nobody: else anyone who
// knows a neighbour's name and number could claim their home.
func (s *Store) accountPeople(ctx context.Context, a civic.Actor) ([]int64, error) {
	if a.UserID == 0 || s.vault == nil {
		return nil, nil
	}
	var phone, name string
	var checked bool
	err := s.queryRow(ctx, `SELECT phone, display_name, identity_checked FROM users WHERE id = ?`, a.UserID).Scan(&phone, &name, &checked)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !checked {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read account %d: %w", a.UserID, err)
	}
	phone, fe := civic.NormalizePhone(phone)
	if fe != nil || phone == "" {
		return nil, nil
	}
	return s.idList(ctx, `SELECT id FROM people WHERE phone_hash = ? AND name = ? ORDER BY id`, s.vault.Lookup(lookupPhone, phone), strings.TrimSpace(name))
}

func (s *Store) idList(ctx context.Context, q string, args ...any) ([]int64, error) {
	return idsOf(ctx, s, q, args...)
}

// idsOf is the IDs a query of one column returns, read through q (the
// store or a transaction).
func idsOf(ctx context.Context, q querier, query string, args ...any) ([]int64, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read ids: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("scan id: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// houseChoices lists the houses the given people live in now, by address.
// where narrows them further (a scope clause on h.grid_code).
func (s *Store) houseChoices(ctx context.Context, people []int64, where string, args []any) ([]HouseChoice, error) {
	if len(people) == 0 {
		return nil, nil
	}
	ids := make([]string, len(people))
	for i, id := range people {
		ids[i] = fmt.Sprint(id)
	}
	// IDs are integers from our own rows.
	rows, err := s.query(ctx, `SELECT DISTINCT h.id, h.address FROM houses h JOIN person_houses l ON l.house_id = h.id
		WHERE l.person_id IN (`+strings.Join(ids, ",")+`) AND l.move_out = '' AND `+where+` ORDER BY h.address, h.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list houses: %w", err)
	}
	defer rows.Close()
	var out []HouseChoice
	for rows.Next() {
		var h HouseChoice
		if err := rows.Scan(&h.ID, &h.Address); err != nil {
			return nil, fmt.Errorf("scan house: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// MyHouses lists the homes of the signed-in user, to offer "my home" as
// the place of a report. An account stands for a registered person when
// its phone number and name both match theirs; anyone else has none.
func (s *Store) MyHouses(ctx context.Context, a civic.Actor) ([]HouseChoice, error) {
	if err := a.Must(civic.PermCaseReport); err != nil {
		return nil, err
	}
	people, err := s.accountPeople(ctx, a)
	if err != nil {
		return nil, err
	}
	return s.houseChoices(ctx, people, "1=1", nil)
}

// CallerHouses lists the addresses of the houses in the actor's scope that
// people registered with exactly this phone number live in, so that a
// hotline operator can file a caller's problem at their home. It tells
// nothing else: not who lives there, nor whether anyone has the number
// elsewhere. Staff who take reports may ask (operators do not read people).
func (s *Store) CallerHouses(ctx context.Context, a civic.Actor, phone string) ([]HouseChoice, error) {
	if !a.Can(civic.PermCaseReport) || !a.Can(civic.PermCaseRead) {
		return nil, civic.Forbidden()
	}
	p, fe := civic.NormalizePhone(phone)
	if fe != nil || len(p) < 7 {
		return nil, civic.Invalid(civic.FieldErr("phone", "请填写完整的来电号码", "give the caller's full phone number"))
	}
	if s.vault == nil {
		return nil, nil
	}
	if !a.Can(civic.PermPeopleUnmask) {
		// The houses a number is registered at name whose number it is:
		// who sees numbers masked may look one up a limited number of
		// times, as with the people search, else trying numbers one by
		// one would unmask them.
		if err := s.numberSearch(ctx, a, "house", p); err != nil {
			return nil, err
		}
	}
	people, err := s.idList(ctx, `SELECT id FROM people WHERE phone_hash = ? ORDER BY id`, s.vault.Lookup(lookupPhone, p))
	if err != nil {
		return nil, err
	}
	where, args := scopeClause(a, "h.grid_code")
	return s.houseChoices(ctx, people, where, args)
}

// resolveHousehold checks the house and person a submission names and
// fills in what the house implies: the address, and, when the reporter
// gave no location, the building's point and the house's grid (returned
// as the region the case is filed under). Who may name which house:
//   - staff who read people: any house and person in their scope;
//   - other staff (hotline operators): only a house the reporter's phone
//     number is registered at, and then the case is for that person;
//   - residents: only their own home (see accountPeople), not anonymously.
//
// A house or person that may not be named answers as if it did not exist.
func (s *Store) resolveHousehold(ctx context.Context, a civic.Actor, n *NewCase, pl *casePlace) (houseRegion string, err error) {
	noHouse := civic.Invalid(civic.FieldErr("house_id", "房屋不存在或不能选择", "the house does not exist or cannot be chosen"))
	noPerson := civic.Invalid(civic.FieldErr("person_id", "人员不存在或不能选择", "the person does not exist or cannot be chosen"))
	if n.HouseID == 0 && n.PersonID == 0 {
		return "", nil
	}
	if n.Anonymous && !a.IsSystem() {
		return "", civic.Invalid(civic.FieldErr("house_id", "匿名反映时不能关联住址或人员，住址会让工作人员知道您是谁", "an anonymous report cannot name a home or a person: they would tell staff who reported"))
	}
	readsPeople := a.IsSystem() || a.Can(civic.PermPeopleRead)
	var h caseHouse
	if n.HouseID != 0 {
		h, err = readCaseHouse(ctx, s, n.HouseID)
		if errors.Is(err, sql.ErrNoRows) {
			return "", noHouse
		}
		if err != nil {
			return "", err
		}
	}
	// Who the case may be for, when the actor does not read people.
	var allowed []int64
	switch {
	case readsPeople:
		if n.HouseID != 0 && !a.InScope(h.grid) {
			return "", noHouse
		}
		if n.PersonID != 0 {
			var grid string
			err := s.queryRow(ctx, `SELECT grid_code FROM people WHERE id = ?`, n.PersonID).Scan(&grid)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(grid)) {
				return "", noPerson
			}
			if err != nil {
				return "", fmt.Errorf("read person %d: %w", n.PersonID, err)
			}
		}
	case a.Can(civic.PermCaseRead):
		// An operator: the house must be the caller's.
		if n.HouseID == 0 {
			if n.PersonID != 0 {
				return "", noPerson
			}
			break
		}
		p, fe := civic.NormalizePhone(n.ReporterPhone)
		if fe != nil || p == "" || s.vault == nil {
			return "", noHouse
		}
		if allowed, err = s.idList(ctx, `SELECT l.person_id FROM person_houses l JOIN people p ON p.id = l.person_id
			WHERE l.house_id = ? AND l.move_out = '' AND p.phone_hash = ? ORDER BY l.person_id`, n.HouseID, s.vault.Lookup(lookupPhone, p)); err != nil {
			return "", err
		}
		if len(allowed) == 0 {
			return "", noHouse
		}
	default:
		if n.HouseID == 0 {
			if n.PersonID != 0 {
				return "", noPerson
			}
			break
		}
		mine, err := s.accountPeople(ctx, a)
		if err != nil {
			return "", err
		}
		if len(mine) > 0 {
			if allowed, err = s.idList(ctx, `SELECT person_id FROM person_houses WHERE house_id = ? AND move_out = '' AND person_id IN (`+joinIDs(mine)+`) ORDER BY person_id`, n.HouseID); err != nil {
				return "", err
			}
		}
		if len(allowed) == 0 {
			return "", noHouse
		}
	}
	if !readsPeople && n.HouseID != 0 {
		switch {
		case n.PersonID == 0:
			n.PersonID = allowed[0]
		case !containsID(allowed, n.PersonID):
			return "", noPerson
		}
	}
	if n.HouseID == 0 {
		return "", nil
	}
	pl.compoundID, pl.via, pl.houseOutside = h.compoundID, "house", h.compoundID == 0
	if n.Address == "" {
		n.Address = h.address
	}
	if !n.HasLocation {
		// The problem is at home: the building's point when it has one,
		// and in any case the house's own grid.
		if h.lng != 0 || h.lat != 0 {
			n.HasLocation, n.Lng, n.Lat, n.CRS = true, h.lng, h.lat, WGS84
		}
		n.RegionCode = h.grid
		return h.grid, nil
	}
	return "", nil
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ",")
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// HouseholdMember is a current resident of a case's house as the case
// page shows them: masked, with the tags that matter for handling.
type HouseholdMember struct {
	civic.Person
	Relation civic.Relation `json:"relation"`
}

// CaseHousehold is who a case concerns at home: the house it was reported
// from and, for viewers who may read people there, its current residents
// and the person it was filed for.
type CaseHousehold struct {
	HouseID      int64  `json:"house_id,omitempty"`
	Address      string `json:"address,omitempty"`
	CompoundName string `json:"compound_name,omitempty"`
	// Full says the viewer may read the people: Members and Person are
	// filled in. Others see the address only.
	Full    bool              `json:"full"`
	Members []HouseholdMember `json:"members,omitempty"`
	Person  *civic.Person     `json:"person,omitempty"`
}

// CaseHousehold returns the household of a case the actor may see. A case
// filed neither from a house nor for a person has none (the zero value).
func (s *Store) CaseHousehold(ctx context.Context, a civic.Actor, caseID int64) (CaseHousehold, error) {
	c, err := s.GetCase(ctx, a, caseID)
	if err != nil {
		return CaseHousehold{}, err
	}
	var hh CaseHousehold
	readsPeople := a.Can(civic.PermPeopleRead)
	if c.HouseID != 0 {
		// The address is part of the case: whoever sees the case sees
		// where it is.
		var grid string
		err := s.queryRow(ctx, `SELECT h.address, h.grid_code, COALESCE(cp.name, '') FROM houses h JOIN buildings b ON b.id = h.building_id
			LEFT JOIN compounds cp ON cp.id = b.compound_id WHERE h.id = ?`, c.HouseID).Scan(&hh.Address, &grid, &hh.CompoundName)
		if err != nil {
			return hh, fmt.Errorf("read house %d of case %d: %w", c.HouseID, caseID, err)
		}
		hh.HouseID = c.HouseID
		if readsPeople && a.InScope(grid) {
			hh.Full = true
			people, _, err := s.ListPeople(ctx, a, PeopleFilter{HouseID: c.HouseID, Page: Page{Limit: 50}})
			if err != nil {
				return hh, err
			}
			links, err := s.listLinks(ctx, a, "l.house_id = ? AND l.move_out = ''", c.HouseID)
			if err != nil {
				return hh, err
			}
			rel := map[int64]civic.Relation{}
			for _, l := range links {
				rel[l.PersonID] = l.Relation
			}
			for _, p := range people {
				hh.Members = append(hh.Members, HouseholdMember{Person: p, Relation: rel[p.ID]})
			}
		}
	}
	if c.PersonID != 0 && readsPeople {
		p, err := s.GetPerson(ctx, a, c.PersonID)
		switch {
		case err == nil:
			hh.Person, hh.Full = &p, true
		case civic.ErrorCodeOf(err) != civic.ENotFound:
			return hh, err
		}
	}
	return hh, nil
}
