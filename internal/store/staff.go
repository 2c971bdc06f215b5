package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
)

const staffCols = `s.id, s.grid_code, COALESCE(g.name, ''), s.name, s.position, s.phone, COALESCE(s.org_id, 0), s.start_date, s.end_date, s.note, s.created_at, s.updated_at`
const staffFrom = ` FROM staff s LEFT JOIN regions g ON g.code = s.grid_code`

func scanStaff(sc interface{ Scan(...any) error }) (civic.Staff, error) {
	var m civic.Staff
	err := sc.Scan(&m.ID, &m.GridCode, &m.GridName, &m.Name, &m.Position, &m.Phone, &m.OrgID, &m.StartDate, &m.EndDate, &m.Note, &m.CreatedAt, &m.UpdatedAt)
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	return m, err
}

// GetStaff returns one ledger entry in the actor's scope.
func (s *Store) GetStaff(ctx context.Context, a civic.Actor, id int64) (civic.Staff, error) {
	if err := a.Must(civic.PermStaffRead); err != nil {
		return civic.Staff{}, err
	}
	m, err := scanStaff(s.queryRow(ctx, `SELECT `+staffCols+staffFrom+` WHERE s.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(m.GridCode)) {
		return civic.Staff{}, civic.NotFound(fmt.Sprintf("网格员记录 %d", id), fmt.Sprintf("staff entry %d", id))
	}
	if err != nil {
		return civic.Staff{}, fmt.Errorf("get staff %d: %w", id, err)
	}
	return m, nil
}

// StaffFilter narrows ListStaff.
type StaffFilter struct {
	Under    string // grid code prefix: a street, community or grid
	Position civic.Position
	Query    string // name or phone contains
	// ActiveOn keeps only people serving on this date (YYYY-MM-DD).
	ActiveOn string
	Page
}

// ListStaff returns ledger entries in the actor's scope by grid and position.
func (s *Store) ListStaff(ctx context.Context, a civic.Actor, f StaffFilter) ([]civic.Staff, int, error) {
	if err := a.Must(civic.PermStaffRead); err != nil {
		return nil, 0, err
	}
	where, args := scopeClause(a, "s.grid_code")
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		where += " AND s.grid_code >= ? AND s.grid_code < ?"
		args = append(args, lo, hi)
	}
	if f.Position != "" {
		where += " AND s.position = ?"
		args = append(args, string(f.Position))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		cond, qargs := containsAny(q, "s.name", "s.phone")
		where += " AND " + cond
		args = append(args, qargs...)
	}
	if f.ActiveOn != "" {
		where += " AND s.start_date <= ? AND (s.end_date = '' OR s.end_date >= ?)"
		args = append(args, f.ActiveOn, f.ActiveOn)
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*)`+staffFrom+` WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count staff: %w", err)
	}
	p := f.Page.normal()
	rows, err := s.query(ctx, `SELECT `+staffCols+staffFrom+` WHERE `+where+
		` ORDER BY s.grid_code, CASE s.position WHEN 'grid_leader' THEN 0 WHEN 'full_time' THEN 1 ELSE 2 END, s.id LIMIT ? OFFSET ?`,
		append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list staff: %w", err)
	}
	defer rows.Close()
	var out []civic.Staff
	for rows.Next() {
		m, err := scanStaff(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("scan staff: %w", err)
		}
		out = append(out, m)
	}
	return out, total, rows.Err()
}

func (tx *Tx) checkStaffRefs(ctx context.Context, a civic.Actor, m *civic.Staff) error {
	if !a.InScope(m.GridCode) {
		return gridOutOfScope(ctx, tx, m.GridCode)
	}
	var lvl int
	err := tx.queryRow(ctx, `SELECT level FROM regions WHERE code = ?`, m.GridCode).Scan(&lvl)
	if errors.Is(err, sql.ErrNoRows) {
		return civic.Invalid(civic.FieldErr("grid_code", "网格“%s”不存在", "grid %q does not exist", m.GridCode))
	}
	if err != nil {
		return fmt.Errorf("look up grid %s: %w", m.GridCode, err)
	}
	if civic.Level(lvl) != civic.LevelGrid && civic.Level(lvl) != civic.LevelMicroGrid {
		return civic.Invalid(civic.FieldErr("grid_code", "只能登记到网格或微网格", "staff serve a grid or micro-grid"))
	}
	if m.OrgID != 0 {
		var region string
		err := tx.queryRow(ctx, `SELECT region_code FROM organisations WHERE id = ?`, m.OrgID).Scan(&region)
		if errors.Is(err, sql.ErrNoRows) || err == nil && !orgLinkable(a, region, m.GridCode) {
			// One answer for both, so that the refusal does not tell
			// which organisations exist elsewhere.
			return civic.Invalid(civic.FieldErr("org_id", "所属组织不存在或不在您的管辖范围内", "the organisation does not exist or is outside your scope"))
		}
		if err != nil {
			return fmt.Errorf("look up organisation %d: %w", m.OrgID, err)
		}
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// CreateStaff adds a ledger entry to a grid in the actor's scope.
func (s *Store) CreateStaff(ctx context.Context, a civic.Actor, m civic.Staff) (civic.Staff, error) {
	if err := a.Must(civic.PermStaffWrite); err != nil {
		return m, err
	}
	if err := m.Validate(); err != nil {
		return m, err
	}
	err := s.write(ctx, func(tx *Tx) error {
		if err := tx.checkStaffRefs(ctx, a, &m); err != nil {
			return err
		}
		id, err := tx.insertID(ctx, `INSERT INTO staff (grid_code, name, position, phone, org_id, start_date, end_date, note, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.GridCode, m.Name, string(m.Position), m.Phone, nullID(m.OrgID), m.StartDate, m.EndDate, m.Note, tx.now, tx.now)
		if err != nil {
			return fmt.Errorf("insert staff: %w", err)
		}
		m.ID, m.CreatedAt, m.UpdatedAt = id, tx.now, tx.now
		return tx.audit(ctx, a, "staff.create", "staff", id, m.GridCode, nil, m)
	})
	if err != nil {
		return civic.Staff{}, err
	}
	return s.GetStaff(ctx, a, m.ID)
}

// UpdateStaff replaces a ledger entry's fields; both the old and the new
// grid must be in scope.
func (s *Store) UpdateStaff(ctx context.Context, a civic.Actor, m civic.Staff) (civic.Staff, error) {
	if err := a.Must(civic.PermStaffWrite); err != nil {
		return m, err
	}
	before, err := s.GetStaff(ctx, a, m.ID)
	if err != nil {
		return m, err
	}
	if err := m.Validate(); err != nil {
		return m, err
	}
	err = s.write(ctx, func(tx *Tx) error {
		if err := tx.checkStaffRefs(ctx, a, &m); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `UPDATE staff SET grid_code = ?, name = ?, position = ?, phone = ?, org_id = ?, start_date = ?, end_date = ?, note = ?, updated_at = ? WHERE id = ?`,
			m.GridCode, m.Name, string(m.Position), m.Phone, nullID(m.OrgID), m.StartDate, m.EndDate, m.Note, tx.now, m.ID)
		if err != nil {
			return fmt.Errorf("update staff %d: %w", m.ID, err)
		}
		return tx.audit(ctx, a, "staff.update", "staff", m.ID, m.GridCode, before, m)
	})
	if err != nil {
		return civic.Staff{}, err
	}
	return s.GetStaff(ctx, a, m.ID)
}

// DeleteStaff removes an entry entered by mistake. People who leave a post
// get an end date instead, so that the ledger keeps its history.
func (s *Store) DeleteStaff(ctx context.Context, a civic.Actor, id int64) error {
	if err := a.Must(civic.PermStaffWrite); err != nil {
		return err
	}
	before, err := s.GetStaff(ctx, a, id)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM staff WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete staff %d: %w", id, err)
		}
		return tx.audit(ctx, a, "staff.delete", "staff", id, before.GridCode, before, nil)
	})
}

// ImportStaff adds many ledger entries in one transaction: every entry is
// checked first and, if any is refused, nothing is written. Errors name the
// entry by its position (row numbers start at 1).
func (s *Store) ImportStaff(ctx context.Context, a civic.Actor, list []civic.Staff) (int, error) {
	if err := a.Must(civic.PermStaffWrite); err != nil {
		return 0, err
	}
	var errs []civic.FieldError
	for i := range list {
		if err := list[i].Validate(); err != nil {
			for _, fe := range civic.AsError(err).Fields {
				errs = append(errs, civic.FieldError{Field: fmt.Sprintf("rows[%d].%s", i+1, fe.Field),
					Msg: civic.T(fmt.Sprintf("第%d行：%s", i+1, fe.Msg.ZH), fmt.Sprintf("row %d: %s", i+1, fe.Msg.EN))})
			}
		}
	}
	if len(errs) > 0 {
		return 0, importInvalid(errs)
	}
	err := s.write(ctx, func(tx *Tx) error {
		for i := range list {
			m := &list[i]
			if err := tx.checkStaffRefs(ctx, a, m); err != nil {
				e := civic.AsError(err)
				for j := range e.Fields {
					e.Fields[j].Msg = civic.T(fmt.Sprintf("第%d行：%s", i+1, e.Fields[j].Msg.ZH), fmt.Sprintf("row %d: %s", i+1, e.Fields[j].Msg.EN))
				}
				return e
			}
			id, err := tx.insertID(ctx, `INSERT INTO staff (grid_code, name, position, phone, org_id, start_date, end_date, note, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				m.GridCode, m.Name, string(m.Position), m.Phone, nullID(m.OrgID), m.StartDate, m.EndDate, m.Note, tx.now, tx.now)
			if err != nil {
				return fmt.Errorf("insert staff row %d: %w", i+1, err)
			}
			m.ID, m.CreatedAt, m.UpdatedAt = id, tx.now, tx.now
			if err := tx.audit(ctx, a, "staff.create", "staff", id, m.GridCode, nil, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(list), nil
}
