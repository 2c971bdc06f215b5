package store

import (
	"context"
	"fmt"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// personCaseLimit bounds a person's case list; a page, not an archive.
const personCaseLimit = 100

// PersonCases lists the cases that concern a person, newest first: filed
// for them (cases.person_id), filed from a house they live in now, or
// reported from their phone number. The person must be in the actor's
// people scope and each case in their case scope; cases the actor may not
// see are left out, as everywhere.
func (s *Store) PersonCases(ctx context.Context, a civic.Actor, personID int64) ([]civic.Case, error) {
	if _, err := s.GetPerson(ctx, a, personID); err != nil {
		return nil, err
	}
	if err := a.Must(civic.PermCaseRead); err != nil {
		return nil, err
	}
	// Reporters' phones and the register's are hashed under the same
	// lookup key, so the number is matched without being opened.
	var phoneHash string
	if err := s.queryRow(ctx, `SELECT phone_hash FROM people WHERE id = ?`, personID).Scan(&phoneHash); err != nil {
		return nil, fmt.Errorf("read person %d phone: %w", personID, err)
	}
	where, args := caseScopeClause(a)
	cond := `(c.person_id = ? OR c.house_id IN (SELECT house_id FROM person_houses WHERE person_id = ? AND move_out = '')`
	args = append(args, personID, personID)
	if phoneHash != "" {
		cond += ` OR c.reporter_phone_hash = ?`
		args = append(args, phoneHash)
	}
	// An anonymous report stays off the list of the person it came from:
	// it would name them as its reporter.
	cond += `) AND (c.anonymous = ? OR c.reporter_id = ?)`
	args = append(args, false, a.UserID)
	rows, err := s.query(ctx, `SELECT c.id FROM cases c WHERE `+where+` AND `+cond+` ORDER BY c.id DESC LIMIT ?`, append(args, personCaseLimit)...)
	if err != nil {
		return nil, fmt.Errorf("list person %d cases: %w", personID, err)
	}
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan case id: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list person %d cases: %w", personID, err)
	}
	return s.casesByID(ctx, a, ids, "c.id DESC")
}
