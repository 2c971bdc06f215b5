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
	var sealedPhone string
	if err := s.queryRow(ctx, `SELECT phone_sealed FROM people WHERE id = ?`, personID).Scan(&sealedPhone); err != nil {
		return nil, fmt.Errorf("read person %d phone: %w", personID, err)
	}
	// Cases keep the reporter's number in clear, so the person's sealed
	// number is opened here, compared in SQL and never leaves the store.
	phone, err := s.open(sealedPhone)
	if err != nil {
		return nil, err
	}
	where, args := caseScopeClause(a)
	cond := `(c.person_id = ? OR c.house_id IN (SELECT house_id FROM person_houses WHERE person_id = ? AND move_out = '')`
	args = append(args, personID, personID)
	if phone != "" {
		match, vs := s.phoneMatch("c.reporter_phone", "c.reporter_phone_hash", phone)
		cond += ` OR ` + match
		args = append(args, vs...)
	}
	cond += `)`
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
