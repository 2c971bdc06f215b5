package store

import (
	"context"
	"fmt"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// ResealPeople re-encrypts the ID and phone numbers still sealed under an
// older key with the vault's active key, in batches, so that an old key
// can be retired after a rotation. Lookup hashes do not change. It is safe
// to interrupt and run again; it returns how many people it resealed.
func (s *Store) ResealPeople(ctx context.Context) (int, error) {
	if s.vault == nil {
		return 0, errNoVault
	}
	active := s.vault.Active()
	n := 0
	var after int64
	for {
		rows, err := s.query(ctx, `SELECT id, id_sealed, phone_sealed FROM people
			WHERE key_version <> ? AND (id_sealed <> '' OR phone_sealed <> '') AND id > ? ORDER BY id LIMIT 500`, active, after)
		if err != nil {
			return n, fmt.Errorf("find people to reseal: %w", err)
		}
		type row struct {
			id          int64
			idNo, phone string
		}
		var batch []row
		for rows.Next() {
			var r row
			var idS, phS string
			if err := rows.Scan(&r.id, &idS, &phS); err != nil {
				rows.Close()
				return n, fmt.Errorf("scan person: %w", err)
			}
			if r.idNo, err = s.open(idS); err == nil {
				r.phone, err = s.open(phS)
			}
			if err != nil {
				rows.Close()
				return n, fmt.Errorf("person %d: %w", r.id, err)
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, fmt.Errorf("find people to reseal: %w", err)
		}
		if len(batch) == 0 {
			return n, nil
		}
		after = batch[len(batch)-1].id
		err = s.write(ctx, func(tx *Tx) error {
			for _, r := range batch {
				sl, err := sealPerson(s.vault, r.idNo, r.phone)
				if err != nil {
					return fmt.Errorf("reseal person %d: %w", r.id, err)
				}
				if _, err := tx.exec(ctx, `UPDATE people SET id_sealed = ?, phone_sealed = ?, key_version = ? WHERE id = ?`,
					sl.idSealed, sl.phoneSealed, sl.keyVersion, r.id); err != nil {
					return fmt.Errorf("reseal person %d: %w", r.id, err)
				}
			}
			return tx.audit(ctx, civic.System, "people.reseal", "person", fmt.Sprintf("%d-%d", batch[0].id, after), "", nil,
				map[string]int{"people": len(batch), "key_version": active})
		})
		if err != nil {
			return n, err
		}
		n += len(batch)
	}
}
