package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// Party-member household contact (党员包联). Community staff assign houses
// to party members (people tagged party), at most CareSettings.MaxHouseholds
// each; contacts are recorded by staff on the member's behalf. A house has
// one member at a time; ending an assignment keeps it as history. Scope is
// the house's grid for assignments and contacts, and the member must be in
// scope to be given households.

// CareSettings are the configurable limits of care work.
type CareSettings struct {
	// MaxHouseholds is how many households one party member may be
	// assigned at a time (党员联系户, commonly 30).
	MaxHouseholds int
}

// DefaultCareSettings are used when Options leave them zero.
var DefaultCareSettings = CareSettings{MaxHouseholds: 30}

// CareSettings are the limits in force, defaults filled in.
func (s *Store) CareSettings() CareSettings {
	c := s.care
	if c.MaxHouseholds <= 0 {
		c.MaxHouseholds = DefaultCareSettings.MaxHouseholds
	}
	return c
}

// textTime scans a timestamp that SQLite returns as text when it comes from
// an expression (an aggregate or a subquery loses the column's type).
type textTime struct {
	T     time.Time
	Valid bool
}

var sqliteTimeLayouts = []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05"}

func (n *textTime) Scan(src any) error {
	n.Valid = false
	switch v := src.(type) {
	case nil:
		return nil
	case time.Time:
		n.T, n.Valid = v.UTC(), true
		return nil
	case []byte:
		src = string(v)
	}
	s, ok := src.(string)
	if !ok {
		return fmt.Errorf("scan time from %T", src)
	}
	for _, l := range sqliteTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			n.T, n.Valid = t.UTC(), true
			return nil
		}
	}
	return fmt.Errorf("scan time from %q", s)
}

func (n textTime) ptr() *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.T
	return &t
}

// partyMember reads a party member in scope for a write, locking the row
// so that two assignments at once cannot both pass the cap.
func (tx *Tx) partyMember(ctx context.Context, a civic.Actor, id int64) (grid, name string, err error) {
	err = tx.queryRow(ctx, `SELECT grid_code, name FROM people WHERE id = ?`+tx.s.forUpdate(), id).Scan(&grid, &name)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(grid)) {
		return "", "", civic.Invalid(civic.FieldErr("member_id", "党员不存在", "the party member does not exist"))
	}
	if err != nil {
		return "", "", fmt.Errorf("read party member %d: %w", id, err)
	}
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM person_tags WHERE person_id = ? AND tag = ?`, id, string(civic.TagParty)).Scan(&n); err != nil {
		return "", "", fmt.Errorf("read party member %d tags: %w", id, err)
	}
	if n == 0 {
		return "", "", civic.Invalid(civic.FieldErr("member_id", "%s未标记为党员", "%s is not tagged as a party member", name))
	}
	return grid, name, nil
}

// houseInScope reads a house's grid and address, or an Invalid error on
// field when it is missing or outside the actor's scope.
func (tx *Tx) houseInScope(ctx context.Context, a civic.Actor, id int64, field string) (grid, address string, err error) {
	err = tx.queryRow(ctx, `SELECT grid_code, address FROM houses WHERE id = ?`, id).Scan(&grid, &address)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(grid)) {
		return "", "", civic.Invalid(civic.FieldErr(field, "房屋不存在", "the house does not exist"))
	}
	if err != nil {
		return "", "", fmt.Errorf("read house %d: %w", id, err)
	}
	return grid, address, nil
}

// AssignHousehold gives a house to a party member to keep in touch with
// from today. A house has one member at a time, and a member at most
// CareSettings().MaxHouseholds houses.
func (s *Store) AssignHousehold(ctx context.Context, a civic.Actor, memberID, houseID int64) (civic.PartyHousehold, error) {
	if err := a.Must(civic.PermPeopleWrite); err != nil {
		return civic.PartyHousehold{}, err
	}
	var out civic.PartyHousehold
	limit := s.CareSettings().MaxHouseholds
	err := s.write(ctx, func(tx *Tx) error {
		_, name, err := tx.partyMember(ctx, a, memberID)
		if err != nil {
			return err
		}
		grid, address, err := tx.houseInScope(ctx, a, houseID, "house_id")
		if err != nil {
			return err
		}
		var other int64
		var otherName string
		err = tx.queryRow(ctx, `SELECT ph.member_id, p.name FROM party_households ph JOIN people p ON p.id = ph.member_id WHERE ph.house_id = ? AND ph.until = ''`, houseID).Scan(&other, &otherName)
		if err == nil {
			if other == memberID {
				return civic.Errorf(civic.EConflict, "%s已由%s联系", "%s is already assigned to %s", address, name)
			}
			return civic.Errorf(civic.EConflict, "%s已由党员%s联系，请先解除", "%s is assigned to %s; end that assignment first", address, otherName)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read house %d assignment: %w", houseID, err)
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM party_households WHERE member_id = ? AND until = ''`, memberID).Scan(&n); err != nil {
			return fmt.Errorf("count member %d households: %w", memberID, err)
		}
		if n >= limit {
			return civic.Errorf(civic.EConflict, "党员%s已联系%d户，达到每人最多%d户的上限", "%s already keeps in touch with %d households, the most one member may (%d)", name, n, limit)
		}
		out = civic.PartyHousehold{MemberID: memberID, MemberName: name, HouseID: houseID, HouseAddress: address, GridCode: grid, Since: civic.Today(tx.now), CreatedAt: tx.now}
		id, err := tx.insertID(ctx, `INSERT INTO party_households (member_id, house_id, grid_code, since, until, created_at, updated_at) VALUES (?, ?, ?, ?, '', ?, ?)`,
			memberID, houseID, grid, out.Since, tx.now, tx.now)
		if isUniqueViolation(err) {
			return civic.Errorf(civic.EConflict, "%s已有联系党员", "%s already has a party member", address)
		}
		if err != nil {
			return fmt.Errorf("insert party household: %w", err)
		}
		out.ID = id
		return tx.audit(ctx, a, "party.assign", "party_household", id, grid, nil, out)
	})
	if err != nil {
		return civic.PartyHousehold{}, err
	}
	return out, nil
}

// EndHousehold ends an assignment today; the row stays as history.
func (s *Store) EndHousehold(ctx context.Context, a civic.Actor, id int64) error {
	if err := a.Must(civic.PermPeopleWrite); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		h, err := scanHousehold(tx.queryRow(ctx, `SELECT `+householdCols+householdFrom+` WHERE ph.id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(h.GridCode)) {
			return civic.NotFound(fmt.Sprintf("包联关系 %d", id), fmt.Sprintf("assignment %d", id))
		}
		if err != nil {
			return fmt.Errorf("read assignment %d: %w", id, err)
		}
		if !h.Current() {
			return civic.Errorf(civic.EConflict, "该包联关系已于%s解除", "the assignment ended on %s", h.Until)
		}
		before := h
		h.Until = civic.Today(tx.now)
		if _, err := tx.exec(ctx, `UPDATE party_households SET until = ?, updated_at = ? WHERE id = ?`, h.Until, tx.now, id); err != nil {
			return fmt.Errorf("end assignment %d: %w", id, err)
		}
		return tx.audit(ctx, a, "party.unassign", "party_household", id, h.GridCode, before, h)
	})
}

const householdCols = `ph.id, ph.member_id, p.name, ph.house_id, h.address, ph.grid_code, COALESCE(g.name, ''), ph.since, ph.until, ph.created_at,
	(SELECT c.contacted_at FROM party_contacts c WHERE c.house_id = ph.house_id AND c.member_id = ph.member_id ORDER BY c.contacted_at DESC LIMIT 1)`
const householdFrom = ` FROM party_households ph JOIN people p ON p.id = ph.member_id JOIN houses h ON h.id = ph.house_id LEFT JOIN regions g ON g.code = ph.grid_code`

func scanHousehold(sc interface{ Scan(...any) error }) (civic.PartyHousehold, error) {
	var h civic.PartyHousehold
	var last textTime
	err := sc.Scan(&h.ID, &h.MemberID, &h.MemberName, &h.HouseID, &h.HouseAddress, &h.GridCode, &h.GridName, &h.Since, &h.Until, &h.CreatedAt, &last)
	h.CreatedAt, h.LastContact = h.CreatedAt.UTC(), last.ptr()
	return h, err
}

// HouseholdFilter narrows PartyHouseholds.
type HouseholdFilter struct {
	MemberID int64
	HouseID  int64
	Under    string
	// QuietDays lists only current households whose member has not been
	// in touch for at least this many days (counted from the start of the
	// assignment when never); 0 lists all.
	QuietDays int
	// Ended includes ended assignments.
	Ended bool
	Page
}

// PartyHouseholds lists assignments in the actor's scope, the longest
// without contact first.
func (s *Store) PartyHouseholds(ctx context.Context, a civic.Actor, f HouseholdFilter) ([]civic.PartyHousehold, int, error) {
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return nil, 0, err
	}
	if err := validQuietDays(f.QuietDays); err != nil {
		return nil, 0, err
	}
	now := s.Now()
	where, args := scopeClause(a, "ph.grid_code")
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		where += " AND ph.grid_code >= ? AND ph.grid_code < ?"
		args = append(args, lo, hi)
	}
	if f.MemberID != 0 {
		where += " AND ph.member_id = ?"
		args = append(args, f.MemberID)
	}
	if f.HouseID != 0 {
		where += " AND ph.house_id = ?"
		args = append(args, f.HouseID)
	}
	if !f.Ended && f.QuietDays == 0 {
		// (quietClause keeps to current assignments itself.)
		where += " AND ph.until = ''"
	}
	if f.QuietDays > 0 {
		w, qa := quietClause(now, f.QuietDays)
		where += w
		args = append(args, qa...)
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM party_households ph WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count party households: %w", err)
	}
	p := f.Page.normal()
	rows, err := s.query(ctx, `SELECT `+householdCols+householdFrom+` WHERE `+where+` ORDER BY ph.until <> '', ph.grid_code, h.address, ph.id LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list party households: %w", err)
	}
	defer rows.Close()
	var out []civic.PartyHousehold
	for rows.Next() {
		h, err := scanHousehold(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("scan party household: %w", err)
		}
		h.Quiet = civic.QuietDays(h.LastContact, h.Since, now)
		out = append(out, h)
	}
	return out, total, rows.Err()
}

// PartyMembers lists the party members in the actor's scope with how many
// households each keeps in touch with, and how many of those have been
// quiet for quietDays (0: not counted).
func (s *Store) PartyMembers(ctx context.Context, a civic.Actor, under, query string, quietDays int, pg Page) ([]civic.PartyMember, int, error) {
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return nil, 0, err
	}
	if err := validQuietDays(quietDays); err != nil {
		return nil, 0, err
	}
	where, args := scopeClause(a, "p.grid_code")
	where += " AND p.id IN (SELECT person_id FROM person_tags WHERE tag = ?)"
	args = append(args, string(civic.TagParty))
	if under != "" {
		lo, hi := civic.ScopePrefixRange(under)
		where += " AND p.grid_code >= ? AND p.grid_code < ?"
		args = append(args, lo, hi)
	}
	if q := strings.TrimSpace(query); q != "" {
		cond, qargs := containsAny(q, "p.name")
		where += " AND " + cond
		args = append(args, qargs...)
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM people p WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count party members: %w", err)
	}
	p := pg.normal()
	rows, err := s.query(ctx, `SELECT p.id, p.name, p.grid_code, COALESCE(g.name, ''), p.phone_mask, p.address,
		(SELECT COUNT(*) FROM party_households ph WHERE ph.member_id = p.id AND ph.until = '')
		FROM people p LEFT JOIN regions g ON g.code = p.grid_code WHERE `+where+` ORDER BY p.grid_code, p.name, p.id LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list party members: %w", err)
	}
	var out []civic.PartyMember
	for rows.Next() {
		var m civic.PartyMember
		if err := rows.Scan(&m.ID, &m.Name, &m.GridCode, &m.GridName, &m.Phone, &m.Address, &m.Households); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("scan party member: %w", err)
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list party members: %w", err)
	}
	if quietDays > 0 && len(out) > 0 {
		if err := s.countQuiet(ctx, a, out, quietDays); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

// quietClause narrows party_households ph to the households quiet for
// days: no contact on or after the China day that many days ago, and
// assigned no later than that day.
func quietClause(now time.Time, days int) (string, []any) {
	d := now.In(civic.ChinaTime).AddDate(0, 0, -days)
	cut := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, civic.ChinaTime).Add(24 * time.Hour)
	return ` AND ph.until = '' AND ph.since <= ? AND NOT EXISTS (SELECT 1 FROM party_contacts c WHERE c.house_id = ph.house_id AND c.member_id = ph.member_id AND c.contacted_at >= ?)`,
		[]any{d.Format(civic.DateLayout), cut.UTC()}
}

// countQuiet sets each member's count of quiet households in one grouped
// query (a page lists up to 500 members; asking member by member took
// seconds on PostgreSQL). The members' households may lie outside the
// viewer's scope; only those inside count, as PartyHouseholds would.
func (s *Store) countQuiet(ctx context.Context, a civic.Actor, ms []civic.PartyMember, days int) error {
	where, args := scopeClause(a, "ph.grid_code")
	w, qa := quietClause(s.Now(), days)
	where += w
	args = append(args, qa...)
	at := make(map[int64]int, len(ms))
	marks := make([]string, len(ms))
	for i, m := range ms {
		at[m.ID] = i
		marks[i] = "?"
		args = append(args, m.ID)
	}
	rows, err := s.query(ctx, `SELECT ph.member_id, COUNT(*) FROM party_households ph WHERE `+where+
		` AND ph.member_id IN (`+strings.Join(marks, ",")+`) GROUP BY ph.member_id`, args...)
	if err != nil {
		return fmt.Errorf("count quiet households: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return fmt.Errorf("scan quiet households: %w", err)
		}
		if i, ok := at[id]; ok {
			ms[i].Quiet = n
		}
	}
	return rows.Err()
}

// RecordContact records a party member's contact with a household
// currently assigned to them. Care tasks of the household and its
// residents that the contact satisfies close in the same transaction.
func (s *Store) RecordContact(ctx context.Context, a civic.Actor, c civic.PartyContact) (civic.PartyContact, error) {
	if err := a.Must(civic.PermCareWork); err != nil {
		return c, err
	}
	if err := c.Validate(s.Now()); err != nil {
		return c, err
	}
	err := s.write(ctx, func(tx *Tx) error {
		grid, address, err := tx.houseInScope(ctx, a, c.HouseID, "house_id")
		if err != nil {
			return err
		}
		var since, name string
		err = tx.queryRow(ctx, `SELECT ph.since, p.name FROM party_households ph JOIN people p ON p.id = ph.member_id WHERE ph.house_id = ? AND ph.member_id = ? AND ph.until = ''`,
			c.HouseID, c.MemberID).Scan(&since, &name)
		if errors.Is(err, sql.ErrNoRows) {
			return civic.Invalid(civic.FieldErr("member_id", "该住户不是此党员的联系户", "this household is not assigned to this party member"))
		}
		if err != nil {
			return fmt.Errorf("read assignment: %w", err)
		}
		c.GridCode, c.HouseAddress, c.MemberName = grid, address, name
		c.RecorderID, c.RecorderName, c.CreatedAt = a.UserID, a.DisplayName, tx.now
		if c.RecorderName == "" {
			c.RecorderName = a.Username
		}
		c.ContactedAt = c.ContactedAt.UTC()
		id, err := tx.insertID(ctx, `INSERT INTO party_contacts (member_id, house_id, grid_code, contacted_at, way, notes, recorder_id, recorder_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.MemberID, c.HouseID, grid, c.ContactedAt, string(c.Way), c.Notes, c.RecorderID, c.RecorderName, tx.now)
		if err != nil {
			return fmt.Errorf("insert party contact: %w", err)
		}
		c.ID = id
		if err := tx.audit(ctx, a, "party.contact", "party_contact", id, grid, nil, c); err != nil {
			return err
		}
		_, err = tx.closeCareTasks(ctx, a, 0, c.HouseID, c.ContactedAt)
		return err
	})
	if err != nil {
		return civic.PartyContact{}, err
	}
	return c, nil
}

// ContactFilter narrows PartyContacts.
type ContactFilter struct {
	MemberID int64
	HouseID  int64
	Under    string
	Page
}

// PartyContacts lists contacts in the actor's scope, newest first.
func (s *Store) PartyContacts(ctx context.Context, a civic.Actor, f ContactFilter) ([]civic.PartyContact, int, error) {
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return nil, 0, err
	}
	where, args := scopeClause(a, "c.grid_code")
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		where += " AND c.grid_code >= ? AND c.grid_code < ?"
		args = append(args, lo, hi)
	}
	if f.MemberID != 0 {
		where += " AND c.member_id = ?"
		args = append(args, f.MemberID)
	}
	if f.HouseID != 0 {
		where += " AND c.house_id = ?"
		args = append(args, f.HouseID)
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM party_contacts c WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count party contacts: %w", err)
	}
	p := f.Page.normal()
	rows, err := s.query(ctx, `SELECT c.id, c.member_id, p.name, c.house_id, h.address, c.grid_code, c.contacted_at, c.way, c.notes, c.recorder_id, c.recorder_name, c.created_at
		FROM party_contacts c JOIN people p ON p.id = c.member_id JOIN houses h ON h.id = c.house_id
		WHERE `+where+` ORDER BY c.contacted_at DESC, c.id DESC LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list party contacts: %w", err)
	}
	defer rows.Close()
	var out []civic.PartyContact
	for rows.Next() {
		var c civic.PartyContact
		var way string
		if err := rows.Scan(&c.ID, &c.MemberID, &c.MemberName, &c.HouseID, &c.HouseAddress, &c.GridCode, &c.ContactedAt, &way, &c.Notes, &c.RecorderID, &c.RecorderName, &c.CreatedAt); err != nil {
			return nil, 0, fmt.Errorf("scan party contact: %w", err)
		}
		c.Way, c.ContactedAt, c.CreatedAt = civic.ContactWay(way), c.ContactedAt.UTC(), c.CreatedAt.UTC()
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// validQuietDays: 0 (not counted) up to a hundred years; a date computed
// from more lies outside what the databases hold.
func validQuietDays(n int) error {
	if n < 0 || n > 36500 {
		return civic.Invalid(civic.FieldErr("quiet_days", "未联系天数应为0到36500", "quiet days must be from 0 to 36,500"))
	}
	return nil
}
