package store

import (
	"context"
	"fmt"
)

// SetCasePlaceForTest files a case for a house and a person, as the intake
// of those links will; the person-case tests need such cases now.
func (s *Store) SetCasePlaceForTest(ctx context.Context, caseID, houseID, personID int64) error {
	return s.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `UPDATE cases SET house_id = ?, person_id = ? WHERE id = ?`, nullID(houseID), nullID(personID), caseID); err != nil {
			return fmt.Errorf("set case %d place: %w", caseID, err)
		}
		return nil
	})
}
