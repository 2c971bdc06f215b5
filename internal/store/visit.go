package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// Household visits (走访). A grid worker records them for the people and
// houses of their grid; care alerts read when each was last visited.

// RecordVisit writes a visit to a person or house in the actor's scope. The
// visit is filed under the person's grid, else the house's.
func (s *Store) RecordVisit(ctx context.Context, a civic.Actor, v civic.Visit) (civic.Visit, error) {
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return v, err
	}
	if err := a.Must(civic.PermVisitRecord); err != nil {
		return v, err
	}
	if err := v.Validate(s.Now()); err != nil {
		return v, err
	}
	err := s.write(ctx, func(tx *Tx) error {
		var grid string
		if v.PersonID != 0 {
			err := tx.queryRow(ctx, `SELECT grid_code FROM people WHERE id = ?`, v.PersonID).Scan(&grid)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(grid)) {
				return civic.Invalid(civic.FieldErr("person_id", "人员不存在", "the person does not exist"))
			}
			if err != nil {
				return fmt.Errorf("read person %d: %w", v.PersonID, err)
			}
		}
		if v.HouseID != 0 {
			var hg string
			err := tx.queryRow(ctx, `SELECT grid_code FROM houses WHERE id = ?`, v.HouseID).Scan(&hg)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(hg)) {
				return civic.Invalid(civic.FieldErr("house_id", "房屋不存在", "the house does not exist"))
			}
			if err != nil {
				return fmt.Errorf("read house %d: %w", v.HouseID, err)
			}
			if grid == "" {
				grid = hg
			}
		}
		v.GridCode, v.VisitorID, v.VisitorName, v.CreatedAt = grid, a.UserID, a.DisplayName, tx.now
		if v.VisitorName == "" {
			v.VisitorName = a.Username
		}
		id, err := tx.insertID(ctx, `INSERT INTO visits (house_id, person_id, grid_code, visitor_id, visitor_name, visited_at, notes, needs, next_visit, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, nullID(v.HouseID), nullID(v.PersonID), v.GridCode, v.VisitorID, v.VisitorName, v.VisitedAt.UTC(), v.Notes, v.Needs, v.NextVisit, tx.now)
		if err != nil {
			return fmt.Errorf("insert visit: %w", err)
		}
		v.ID = id
		if err := tx.audit(ctx, a, "visit.create", "visit", id, grid, nil, v); err != nil {
			return err
		}
		// The visit settles the care tasks it answers (care.go).
		_, err = tx.closeCareTasks(ctx, a, v.PersonID, v.HouseID, v.VisitedAt)
		return err
	})
	if err != nil {
		return civic.Visit{}, err
	}
	return v, nil
}

// VisitFilter narrows ListVisits.
type VisitFilter struct {
	PersonID  int64
	HouseID   int64
	Under     string
	VisitorID int64
	// DueBy lists only the visits whose next visit falls on or before this
	// date (YYYY-MM-DD) and that no later visit to the same person or
	// house has answered: the visits due.
	DueBy string
	// From and To bound when the visit was made: [From, To); zero is open.
	From, To time.Time
	Page
}

// ListVisits returns visits in the actor's scope, newest first.
func (s *Store) ListVisits(ctx context.Context, a civic.Actor, f VisitFilter) ([]civic.Visit, int, error) {
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return nil, 0, err
	}
	where, args := scopeClause(a, "v.grid_code")
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		where += " AND v.grid_code >= ? AND v.grid_code < ?"
		args = append(args, lo, hi)
	}
	if f.PersonID != 0 {
		where += " AND v.person_id = ?"
		args = append(args, f.PersonID)
	}
	if f.HouseID != 0 {
		where += " AND v.house_id = ?"
		args = append(args, f.HouseID)
	}
	if f.VisitorID != 0 {
		where += " AND v.visitor_id = ?"
		args = append(args, f.VisitorID)
	}
	if !f.From.IsZero() {
		where += " AND v.visited_at >= ?"
		args = append(args, f.From.UTC())
	}
	if !f.To.IsZero() {
		where += " AND v.visited_at < ?"
		args = append(args, f.To.UTC())
	}
	order := "v.visited_at DESC, v.id DESC"
	if f.DueBy != "" {
		// A visit is answered by any later visit to the same person, or
		// to the same house when it was a visit to a house.
		where += ` AND v.next_visit <> '' AND v.next_visit <= ? AND NOT EXISTS (SELECT 1 FROM visits l WHERE l.visited_at > v.visited_at
			AND ((v.person_id IS NOT NULL AND l.person_id = v.person_id) OR (v.person_id IS NULL AND l.house_id = v.house_id)))`
		args = append(args, f.DueBy)
		order = "v.next_visit, v.id"
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM visits v WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count visits: %w", err)
	}
	p := f.Page.normal()
	rows, err := s.query(ctx, `SELECT v.id, COALESCE(v.house_id, 0), COALESCE(v.person_id, 0), COALESCE(pp.name, ''), COALESCE(h.address, pp.address, ''), v.grid_code,
			v.visitor_id, v.visitor_name, v.visited_at, v.notes, v.needs, v.next_visit, v.created_at
		FROM visits v LEFT JOIN people pp ON pp.id = v.person_id LEFT JOIN houses h ON h.id = v.house_id
		WHERE `+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list visits: %w", err)
	}
	defer rows.Close()
	var out []civic.Visit
	for rows.Next() {
		var v civic.Visit
		if err := rows.Scan(&v.ID, &v.HouseID, &v.PersonID, &v.PersonName, &v.HouseAddress, &v.GridCode, &v.VisitorID, &v.VisitorName, &v.VisitedAt, &v.Notes, &v.Needs, &v.NextVisit, &v.CreatedAt); err != nil {
			return nil, 0, fmt.Errorf("scan visit: %w", err)
		}
		v.VisitedAt, v.CreatedAt = v.VisitedAt.UTC(), v.CreatedAt.UTC()
		out = append(out, v)
	}
	return out, total, rows.Err()
}
