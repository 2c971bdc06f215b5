package store

import (
	"context"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// MaxNumberSearches is how many searches by an exact ID or phone number a
// member of staff who sees those numbers masked may make in an hour.
const MaxNumberSearches = 60

// numberSearchAction is the audit action of such a search.
const numberSearchAction = "search.number"

// numberSearch records a search by an exact ID or phone number, made by
// someone who sees those numbers masked, and refuses it past
// MaxNumberSearches in the last hour. The search answers whether a number
// belongs to someone in the actor's scope: one search is how a grid worker
// finds the person whose ID card they hold, thousands of them recover the
// numbers the masks hide (a phone's four hidden digits are 10,000 guesses).
// The audit entry keeps the number masked.
func (s *Store) numberSearch(ctx context.Context, a civic.Actor, entity, number string) error {
	if a.IsSystem() {
		return nil
	}
	return s.write(ctx, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE user_id = ? AND action = ? AND at > ?`,
			a.UserID, numberSearchAction, tx.now.Add(-time.Hour)).Scan(&n); err != nil {
			return fmt.Errorf("count number searches: %w", err)
		}
		if n >= MaxNumberSearches {
			wait, err := tx.windowWait(ctx, a.UserID, numberSearchAction, time.Hour)
			if err != nil {
				return err
			}
			return civic.Errorf(civic.ETooMany, "按证件号码或电话号码查找每小时最多%d次，请稍后再试", "at most %d searches by ID or phone number an hour; try again later", MaxNumberSearches).After(wait)
		}
		masked := civic.MaskNumbersInText(number) // a text search's numbers
		if masked == number {
			masked = civic.MaskPhone(number)
			if len(number) >= 12 {
				masked = civic.MaskID(number)
			}
		}
		return tx.audit(ctx, a, numberSearchAction, entity, "", a.Scope.RegionCode, nil, map[string]string{"number": masked})
	})
}

// windowWait is how long until the oldest of the user's audited actions
// in the last window leaves it, freeing a place under a limit.
func (tx *Tx) windowWait(ctx context.Context, userID int64, action string, window time.Duration) (time.Duration, error) {
	var oldest time.Time
	// (MIN(at) would lose the column's type on SQLite, so ORDER BY.)
	if err := tx.queryRow(ctx, `SELECT at FROM audit_log WHERE user_id = ? AND action = ? AND at > ? ORDER BY at LIMIT 1`,
		userID, action, tx.now.Add(-window)).Scan(&oldest); err != nil {
		return 0, fmt.Errorf("oldest %s: %w", action, err)
	}
	return oldest.Add(window).Sub(tx.now), nil
}
