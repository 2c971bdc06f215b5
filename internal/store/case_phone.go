package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/vault"
)

// Reporters' phone numbers (cases.reporter_phone, case_reporters.phone) are
// residents' personal data like the people register's: they are stored
// sealed under the vault's active key, with a keyed hash beside them
// (reporter_phone_hash, phone_hash) for exact search and for telling one
// caller's reports apart, and opened only to be shown — masked or not, as
// maskCase decides. A store opened without keys keeps them as written,
// with no hash; Migrate seals those (and the ones written before migration
// 0036) when the store has keys.

// sealCasePhone returns what is stored for a reporter's phone number and
// its lookup hash.
func (s *Store) sealCasePhone(phone string) (stored, hash string, err error) {
	if phone == "" || s.vault == nil {
		return phone, "", nil
	}
	sealed, err := s.vault.Seal(phone)
	if err != nil {
		return "", "", fmt.Errorf("seal reporter phone: %w", err)
	}
	return sealed, s.phoneHash(phone), nil
}

// phoneHash is the lookup hash of a phone number as the register hashes
// its own (digits only: "139-1234-5678" is 13912345678), so that a
// reporter's number and a registered person's compare equal.
func (s *Store) phoneHash(phone string) string {
	if p, fe := civic.NormalizePhone(phone); fe == nil {
		phone = p
	}
	return s.vault.Lookup(lookupPhone, phone)
}

// isSealed reports whether a stored value was made by the vault; a phone
// number, masked or not, never reads "v<n>:…".
func isSealed(v string) bool {
	_, err := vault.Version(v)
	return err == nil
}

// openCasePhone opens a stored reporter phone; a value stored as written
// (no keys, or shown already) is returned as it is. A value that cannot be
// opened (its key was retired before it was resealed) shows as nothing
// and is logged, so that one bad row does not hide a whole list.
func (s *Store) openCasePhone(stored string) string {
	if !isSealed(stored) {
		return stored
	}
	if s.vault == nil {
		s.log.Warn("reporter phone sealed but the store has no keys")
		return ""
	}
	plain, err := s.vault.Open(stored)
	if err != nil {
		s.log.Warn("open reporter phone", "err", err)
		return ""
	}
	return plain
}

// phoneMatch is the condition that a reporter phone column (col, with its
// hash column) holds phone: by its hash where the store has keys (Migrate
// has sealed and hashed every phone then), as written where it has none.
func (s *Store) phoneMatch(col, hashCol, phone string) (string, []any) {
	if s.vault == nil {
		return col + " = ?", []any{phone}
	}
	return hashCol + " = ?", []any{s.phoneHash(phone)}
}

// phoneKey is a stored phone's identity for telling callers apart: its
// hash, or the number itself where there is none.
func phoneKey(stored, hash string) string {
	if hash != "" {
		return "h" + hash
	}
	if stored == "" || isSealed(stored) {
		return ""
	}
	return stored
}

// casePhoneColumns are where reporters' phones are stored, each with its
// hash column.
var casePhoneColumns = []struct{ table, col, hash string }{
	{"cases", "reporter_phone", "reporter_phone_hash"},
	{"case_reporters", "phone", "phone_hash"},
}

// SealCasePhones seals the reporter phones stored as written (before
// migration 0036, or by a store opened without keys), 500 to a
// transaction; Migrate runs it whenever the store has keys, so that no
// phone stays in clear and every one has its hash. It returns how many it
// sealed.
func (s *Store) SealCasePhones(ctx context.Context) (int, error) {
	n, err := s.rewriteCasePhones(ctx, func(col, hash string) (string, []any) {
		return hash + ` = '' AND ` + col + ` <> ''`, nil
	}, "")
	if n > 0 {
		s.log.Info("sealed reporter phones stored in clear", "phones", n)
	}
	return n, err
}

// ResealCasePhones re-encrypts the reporter phones sealed under an older
// key with the active one, as ResealPeople does for the register, so that
// the old key can be retired. Hashes do not change. It returns how many
// phones it resealed.
func (s *Store) ResealCasePhones(ctx context.Context) (int, error) {
	if s.vault == nil {
		return 0, errNoVault
	}
	active := fmt.Sprintf("v%d:%%", s.vault.Active())
	return s.rewriteCasePhones(ctx, func(col, _ string) (string, []any) {
		return col + ` LIKE 'v%' AND ` + col + ` NOT LIKE ?`, []any{active}
	}, "reseal_phones")
}

// rewriteCasePhones stores again, sealed under the active key and with its
// hash, every reporter phone that where (given a table's phone and hash
// columns) picks, 500 to a transaction; each batch is audited as action
// when it is not "". It returns how many phones it rewrote.
func (s *Store) rewriteCasePhones(ctx context.Context, where func(col, hash string) (string, []any), action string) (int, error) {
	if s.vault == nil {
		return 0, errNoVault
	}
	type row struct {
		id    int64
		plain string
	}
	n := 0
	for _, t := range casePhoneColumns {
		cond, args := where(t.col, t.hash)
		var after int64
		for {
			rows, err := s.query(ctx, `SELECT id, `+t.col+` FROM `+t.table+` WHERE `+cond+` AND id > ? ORDER BY id LIMIT 500`, append(slices.Clone(args), after)...)
			if err != nil {
				return n, fmt.Errorf("read %s phones to seal: %w", t.table, err)
			}
			var batch []row
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.id, &r.plain); err != nil {
					rows.Close()
					return n, fmt.Errorf("read %s phone: %w", t.table, err)
				}
				if isSealed(r.plain) {
					if r.plain, err = s.vault.Open(r.plain); err != nil {
						rows.Close()
						return n, fmt.Errorf("%s %d: %w", t.table, r.id, err)
					}
				}
				batch = append(batch, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return n, fmt.Errorf("read %s phones to seal: %w", t.table, err)
			}
			if len(batch) == 0 {
				break
			}
			after = batch[len(batch)-1].id
			err = s.write(ctx, func(tx *Tx) error {
				for _, r := range batch {
					stored, hash, err := s.sealCasePhone(r.plain)
					if err != nil {
						return err
					}
					if _, err := tx.exec(ctx, `UPDATE `+t.table+` SET `+t.col+` = ?, `+t.hash+` = ? WHERE id = ?`, stored, hash, r.id); err != nil {
						return fmt.Errorf("seal %s phone %d: %w", t.table, r.id, err)
					}
				}
				if action == "" {
					return nil
				}
				return tx.audit(ctx, civic.System, t.table+"."+action, t.table, fmt.Sprintf("%d-%d", batch[0].id, after), "", nil,
					map[string]int{"phones": len(batch), "key_version": s.vault.Active()})
			})
			if err != nil {
				return n, err
			}
			n += len(batch)
		}
	}
	return n, nil
}
