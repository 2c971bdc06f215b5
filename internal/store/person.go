package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/textseg"
	"github.com/civicgrid/civicgrid/internal/vault"
)

// People (实有人口): ID and phone numbers are sealed with the store's vault,
// indexed by keyed hash, and shown masked; UnmaskPerson is the only way to
// read them back and it is audited.

// Lookup kinds for the keyed hash.
const (
	lookupID    = "id"
	lookupPhone = "phone"
)

// sealed is a person's personal data as stored.
type sealed struct {
	idSealed, idHash, idMask          string
	phoneSealed, phoneHash, phoneMask string
	keyVersion                        int
}

// errNoVault is returned when personal data must be sealed but no keys
// were configured.
var errNoVault = errors.New("no personal-data keys configured (CIVICGRID_KEYS or --keys)")

// Vault is the keyring personal data is sealed with, nil if none.
func (s *Store) Vault() *vault.Keyring { return s.vault }

func sealPerson(k *vault.Keyring, id, phone string) (sealed, error) {
	if k == nil {
		if id == "" && phone == "" {
			return sealed{}, nil
		}
		return sealed{}, errNoVault
	}
	var out sealed
	var err error
	if out.idSealed, err = k.Seal(id); err != nil {
		return out, err
	}
	if out.phoneSealed, err = k.Seal(phone); err != nil {
		return out, err
	}
	out.idHash, out.idMask = k.Lookup(lookupID, id), civic.MaskID(id)
	out.phoneHash, out.phoneMask = k.Lookup(lookupPhone, phone), civic.MaskPhone(phone)
	out.keyVersion = k.Active()
	return out, nil
}

const personCols = `p.id, p.grid_code, COALESCE(g.name, ''), p.name, p.gender, p.birth_date, p.id_type, p.id_mask, p.phone_mask, p.residence_type, p.ethnic, p.workplace, p.note, p.houses, p.address, p.created_at, p.updated_at`
const personFrom = ` FROM people p LEFT JOIN regions g ON g.code = p.grid_code`

func scanPerson(sc interface{ Scan(...any) error }) (civic.Person, error) {
	var p civic.Person
	var gender, idType, res string
	err := sc.Scan(&p.ID, &p.GridCode, &p.GridName, &p.Name, &gender, &p.BirthDate, &idType, &p.IDNumber, &p.Phone, &res, &p.Ethnic, &p.Workplace, &p.Note, &p.Houses, &p.Address, &p.CreatedAt, &p.UpdatedAt)
	p.Gender, p.IDType, p.ResidenceType = civic.Gender(gender), civic.IDType(idType), civic.ResidenceType(res)
	p.Masked = true
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, err
}

func personNotFound(id int64) error {
	return civic.NotFound(fmt.Sprintf("人员 %d", id), fmt.Sprintf("person %d", id))
}

// GetPerson returns a person in the actor's scope, masked, with tags.
func (s *Store) GetPerson(ctx context.Context, a civic.Actor, id int64) (civic.Person, error) {
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return civic.Person{}, err
	}
	p, err := scanPerson(s.queryRow(ctx, `SELECT `+personCols+personFrom+` WHERE p.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(p.GridCode)) {
		return civic.Person{}, personNotFound(id)
	}
	if err != nil {
		return civic.Person{}, fmt.Errorf("get person %d: %w", id, err)
	}
	list := []civic.Person{p}
	if err := s.loadTags(ctx, list); err != nil {
		return civic.Person{}, err
	}
	return list[0], nil
}

// loadTags fills in the tags of a page of people in one query.
func (s *Store) loadTags(ctx context.Context, people []civic.Person) error {
	if len(people) == 0 {
		return nil
	}
	at := map[int64]int{}
	ids := make([]string, len(people))
	for i, p := range people {
		at[p.ID] = i
		ids[i] = fmt.Sprint(p.ID)
	}
	// IDs are integers from our own rows, so listing them inline is safe
	// and keeps one statement for any page size.
	rows, err := s.query(ctx, `SELECT person_id, tag FROM person_tags WHERE person_id IN (`+strings.Join(ids, ",")+`)`)
	if err != nil {
		return fmt.Errorf("read tags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var tag string
		if err := rows.Scan(&id, &tag); err != nil {
			return fmt.Errorf("scan tag: %w", err)
		}
		people[at[id]].Tags = append(people[at[id]].Tags, civic.Tag(tag))
	}
	for i := range people {
		if people[i].Tags == nil {
			people[i].Tags = []civic.Tag{} // an empty list, not null, in JSON
		}
		slices.SortFunc(people[i].Tags, func(x, y civic.Tag) int { return slices.Index(civic.Tags, x) - slices.Index(civic.Tags, y) })
	}
	return rows.Err()
}

// PeopleFilter narrows ListPeople.
type PeopleFilter struct {
	Under string // region code prefix
	// Query is a name or address (Chinese, partial), or an exact ID or
	// phone number.
	Query    string
	Tag      civic.Tag
	HouseID  int64 // current residents of a house
	Unlinked bool  // people with no current house
	Page
}

// ListPeople finds people in the actor's scope, masked, by name or address
// words, exact ID or phone number, tag, house or region.
func (s *Store) ListPeople(ctx context.Context, a civic.Actor, f PeopleFilter) ([]civic.Person, int, error) {
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return nil, 0, err
	}
	where, args := scopeClause(a, "p.grid_code")
	under := a.Scope.RegionCode
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		where += " AND p.grid_code >= ? AND p.grid_code < ?"
		args = append(args, lo, hi)
		if len(f.Under) > len(under) {
			under = f.Under
		}
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		if num, ok := civic.ExactNumber(q); ok {
			if s.vault == nil {
				return nil, 0, errNoVault
			}
			if !a.Can(civic.PermPeopleUnmask) {
				if err := s.numberSearch(ctx, a, "person", num); err != nil {
					return nil, 0, err
				}
			}
			// The "<> ''" terms let SQLite use the partial hash indexes;
			// without them an exact search scans the scope.
			where += " AND ((p.id_hash = ? AND p.id_hash <> '') OR (p.phone_hash = ? AND p.phone_hash <> ''))"
			args = append(args, s.vault.Lookup(lookupID, num), s.vault.Lookup(lookupPhone, num))
		} else if terms := textseg.Query(q); len(terms) > 0 {
			// The region's own term narrows the full-text match to the
			// scope, so a name search in one street never scans the city.
			if rt := regionTerms(under); len(rt) > 0 {
				terms = append(terms, rt[len(rt)-1])
			}
			if s.engine == Postgres {
				where += " AND p.search_terms @@ plainto_tsquery('simple', ?)"
				args = append(args, strings.Join(terms, " "))
			} else {
				where += " AND p.id IN (SELECT rowid FROM person_fts WHERE person_fts MATCH ?)"
				args = append(args, ftsMatch(terms))
			}
		}
	}
	if f.Tag != "" {
		where += " AND p.id IN (SELECT person_id FROM person_tags WHERE tag = ?)"
		args = append(args, string(f.Tag))
	}
	if f.HouseID != 0 {
		where += " AND p.id IN (SELECT person_id FROM person_houses WHERE house_id = ? AND move_out = '')"
		args = append(args, f.HouseID)
	}
	if f.Unlinked {
		where += " AND p.houses = 0"
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM people p WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count people: %w", err)
	}
	p := f.Page.normal()
	rows, err := s.query(ctx, `SELECT `+personCols+personFrom+` WHERE `+where+` ORDER BY p.id LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list people: %w", err)
	}
	var out []civic.Person
	for rows.Next() {
		m, err := scanPerson(rows)
		if err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("scan person: %w", err)
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list people: %w", err)
	}
	return out, total, s.loadTags(ctx, out)
}

// storedPerson reads what SavePerson needs of an existing row.
type storedPerson struct {
	civic.Person
	sealed
}

func (tx *Tx) storedPerson(ctx context.Context, id int64) (storedPerson, error) {
	return readStoredPerson(ctx, tx, id)
}

func readStoredPerson(ctx context.Context, q querier, id int64) (storedPerson, error) {
	var sp storedPerson
	p, err := scanPerson(q.queryRow(ctx, `SELECT `+personCols+personFrom+` WHERE p.id = ?`, id))
	if err != nil {
		return sp, err
	}
	sp.Person = p
	err = q.queryRow(ctx, `SELECT id_sealed, id_hash, id_mask, phone_sealed, phone_hash, phone_mask, key_version FROM people WHERE id = ?`, id).
		Scan(&sp.idSealed, &sp.idHash, &sp.idMask, &sp.phoneSealed, &sp.phoneHash, &sp.phoneMask, &sp.keyVersion)
	return sp, err
}

// maxTagReason bounds the reason written to the tag history, in
// characters, as the person form asks.
const maxTagReason = 200

// SavePerson creates a person (ID 0) or replaces one's fields. An ID or
// phone number given in its masked form (as an edit form shows it) keeps
// the stored value. Tags given are the staff-set ones; derived tags follow
// from the data. The result is masked.
func (s *Store) SavePerson(ctx context.Context, a civic.Actor, p civic.Person, reason string) (civic.Person, error) {
	if err := a.Must(civic.PermPeopleWrite); err != nil {
		return p, err
	}
	if !a.InScope(p.GridCode) {
		return p, gridOutOfScope(ctx, s, p.GridCode)
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > maxTagReason {
		return p, civic.Invalid(civic.FieldErr("reason", "标签变更原因不超过%d字", "the reason for tag changes is at most %d characters", maxTagReason))
	}
	given := p
	err := s.write(ctx, func(tx *Tx) error {
		// Every run starts from what was given: savePerson sets the new
		// ID and masks the numbers, and write may run this again.
		p = given
		var before *storedPerson
		if p.ID != 0 {
			sp, err := tx.storedPerson(ctx, p.ID)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(sp.GridCode)) {
				return personNotFound(p.ID)
			}
			if err != nil {
				return fmt.Errorf("read person %d: %w", p.ID, err)
			}
			before = &sp
			// Masked values stand for "unchanged".
			if strings.Contains(p.IDNumber, "*") {
				if p.IDNumber, err = tx.s.open(sp.idSealed); err != nil {
					return err
				}
			}
			if strings.Contains(p.Phone, "*") {
				if p.Phone, err = tx.s.open(sp.phoneSealed); err != nil {
					return err
				}
			}
		}
		return tx.savePerson(ctx, a, &p, before, reason)
	})
	if err != nil {
		return civic.Person{}, err
	}
	return s.GetPerson(ctx, a, p.ID)
}

func (s *Store) open(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if s.vault == nil {
		return "", errNoVault
	}
	plain, err := s.vault.Open(v)
	if err != nil {
		return "", fmt.Errorf("open personal data: %w", err)
	}
	return plain, nil
}

// savePerson validates and writes p inside tx, with its tags, search terms
// and audit entry. before is the stored row for an update.
func (tx *Tx) savePerson(ctx context.Context, a civic.Actor, p *civic.Person, before *storedPerson, reason string) error {
	if err := p.Validate(tx.now); err != nil {
		return err
	}
	if ok, err := regionExists(ctx, tx, p.GridCode); err != nil {
		return err
	} else if !ok {
		return civic.Invalid(civic.FieldErr("grid_code", "网格“%s”不存在", "grid %q does not exist", p.GridCode))
	}
	sl, err := sealPerson(tx.s.vault, p.IDNumber, p.Phone)
	if err != nil {
		return fmt.Errorf("seal person: %w", err)
	}
	if sl.idHash != "" {
		var other int64
		var grid string
		err := tx.queryRow(ctx, `SELECT id, grid_code FROM people WHERE id_hash = ?`, sl.idHash).Scan(&other, &grid)
		if err == nil && other != p.ID {
			if a.InScope(grid) {
				return civic.Errorf(civic.EConflict, "该证件号已登记（人员编号%d）", "this ID number is already registered (person %d)", other)
			}
			return civic.Errorf(civic.EConflict, "该证件号已在其他辖区登记，请联系社区核实", "this ID number is registered elsewhere; ask the community to check")
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("check ID number: %w", err)
		}
	}
	// Keep the sealed value (and its key version) when the number did
	// not change, so that saving a person does not rotate keys piecemeal.
	if before != nil {
		if sl.idHash == before.idHash {
			sl.idSealed = before.idSealed
		}
		if sl.phoneHash == before.phoneHash {
			sl.phoneSealed = before.phoneSealed
		}
		if sl.idHash == before.idHash && sl.phoneHash == before.phoneHash {
			sl.keyVersion = before.keyVersion
		}
	}
	if before == nil {
		id, err := tx.insertID(ctx, `INSERT INTO people (grid_code, name, gender, birth_date, id_type, id_sealed, id_hash, id_mask, phone_sealed, phone_hash, phone_mask, key_version,
			residence_type, ethnic, workplace, note, houses, address, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '', ?, ?)`,
			p.GridCode, p.Name, string(p.Gender), p.BirthDate, string(p.IDType), sl.idSealed, sl.idHash, sl.idMask, sl.phoneSealed, sl.phoneHash, sl.phoneMask, sl.keyVersion,
			string(p.ResidenceType), p.Ethnic, p.Workplace, p.Note, tx.now, tx.now)
		if isUniqueViolation(err) {
			return civic.Errorf(civic.EConflict, "该证件号已登记", "this ID number is already registered")
		}
		if err != nil {
			return fmt.Errorf("insert person: %w", err)
		}
		p.ID = id
	} else {
		_, err := tx.exec(ctx, `UPDATE people SET grid_code = ?, name = ?, gender = ?, birth_date = ?, id_type = ?, id_sealed = ?, id_hash = ?, id_mask = ?,
			phone_sealed = ?, phone_hash = ?, phone_mask = ?, key_version = ?, residence_type = ?, ethnic = ?, workplace = ?, note = ?, updated_at = ? WHERE id = ?`,
			p.GridCode, p.Name, string(p.Gender), p.BirthDate, string(p.IDType), sl.idSealed, sl.idHash, sl.idMask, sl.phoneSealed, sl.phoneHash, sl.phoneMask, sl.keyVersion,
			string(p.ResidenceType), p.Ethnic, p.Workplace, p.Note, tx.now, p.ID)
		if isUniqueViolation(err) {
			return civic.Errorf(civic.EConflict, "该证件号已登记", "this ID number is already registered")
		}
		if err != nil {
			return fmt.Errorf("update person %d: %w", p.ID, err)
		}
		if before.GridCode != p.GridCode {
			if _, err := tx.exec(ctx, `UPDATE person_tags SET grid_code = ? WHERE person_id = ?`, p.GridCode, p.ID); err != nil {
				return fmt.Errorf("move person %d tags: %w", p.ID, err)
			}
		}
	}
	var manual []civic.Tag
	for _, t := range p.Tags {
		if !t.Derived() && !slices.Contains(manual, t) {
			manual = append(manual, t)
		}
	}
	want := append(civic.DerivedTags(p.BirthDate, p.ResidenceType, tx.now), manual...)
	if err := tx.setTags(ctx, a, p.ID, p.GridCode, want, reason); err != nil {
		return err
	}
	if err := tx.indexPerson(ctx, p.ID); err != nil {
		return err
	}
	// The audit log sees masked numbers only.
	p.IDNumber, p.Phone, p.Masked = sl.idMask, sl.phoneMask, true
	p.Tags = want
	if p.Tags == nil {
		p.Tags = []civic.Tag{}
	}
	if before == nil {
		return tx.audit(ctx, a, "person.create", "person", p.ID, p.GridCode, nil, p)
	}
	b := before.Person
	return tx.audit(ctx, a, "person.update", "person", p.ID, p.GridCode, b, p)
}

// Reasons the system writes into the tag history, in both languages
// ("中文 / English"); pages show the reader's half. A reason a person typed
// is shown as typed.
const (
	TagReasonBirthDate = "按出生日期自动更新 / updated from birth date"
	TagReasonRental    = "房东报备 / rental report"
)

// TagReasonImport is the tag history's reason for import run id.
func TagReasonImport(id int64) string {
	return fmt.Sprintf("批量导入（任务%d） / import %d", id, id)
}

// IsSystemTagReason reports whether reason is one the system wrote.
func IsSystemTagReason(reason string) bool {
	var id int64
	if reason == TagReasonBirthDate || reason == TagReasonRental {
		return true
	}
	if _, err := fmt.Sscanf(reason, "批量导入（任务%d）", &id); err == nil {
		return reason == TagReasonImport(id)
	}
	return false
}

// setTags makes a person's tags exactly want, writing each change to the
// tag history.
func (tx *Tx) setTags(ctx context.Context, a civic.Actor, personID int64, grid string, want []civic.Tag, reason string) error {
	rows, err := tx.query(ctx, `SELECT tag FROM person_tags WHERE person_id = ?`, personID)
	if err != nil {
		return fmt.Errorf("read person %d tags: %w", personID, err)
	}
	var have []civic.Tag
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("scan tag: %w", err)
		}
		have = append(have, civic.Tag(t))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read person %d tags: %w", personID, err)
	}
	history := func(t civic.Tag, added bool) error {
		_, err := tx.exec(ctx, `INSERT INTO person_tag_history (person_id, tag, added, at, user_id, username, reason) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			personID, string(t), added, tx.now, a.UserID, a.Username, reason)
		if err != nil {
			return fmt.Errorf("write tag history: %w", err)
		}
		return nil
	}
	for _, t := range want {
		if slices.Contains(have, t) {
			continue
		}
		if _, err := tx.exec(ctx, `INSERT INTO person_tags (person_id, tag, grid_code, since) VALUES (?, ?, ?, ?)`, personID, string(t), grid, tx.now); err != nil {
			return fmt.Errorf("add tag %s: %w", t, err)
		}
		if err := history(t, true); err != nil {
			return err
		}
	}
	for _, t := range have {
		if slices.Contains(want, t) {
			continue
		}
		if _, err := tx.exec(ctx, `DELETE FROM person_tags WHERE person_id = ? AND tag = ?`, personID, string(t)); err != nil {
			return fmt.Errorf("remove tag %s: %w", t, err)
		}
		if err := history(t, false); err != nil {
			return err
		}
	}
	return nil
}

// personTerms are a person's search terms: name and current address cut
// as Chinese text, and the terms of the regions above their grid.
func personTerms(name, address, grid string) string {
	return strings.Join(append(append(textseg.Terms(name), textseg.Terms(address)...), regionTerms(grid)...), " ")
}

// indexPerson rewrites a person's search terms from the row.
func (tx *Tx) indexPerson(ctx context.Context, id int64) error {
	var name, address, grid string
	if err := tx.queryRow(ctx, `SELECT name, address, grid_code FROM people WHERE id = ?`, id).Scan(&name, &address, &grid); err != nil {
		return fmt.Errorf("read person %d to index: %w", id, err)
	}
	terms := personTerms(name, address, grid)
	var err error
	if tx.s.engine == Postgres {
		_, err = tx.exec(ctx, `UPDATE people SET search_terms = to_tsvector('simple', ?) WHERE id = ?`, terms, id)
	} else {
		if _, err = tx.exec(ctx, `DELETE FROM person_fts WHERE rowid = ?`, id); err == nil {
			_, err = tx.exec(ctx, `INSERT INTO person_fts (rowid, terms) VALUES (?, ?)`, id, terms)
		}
	}
	if err != nil {
		return fmt.Errorf("index person %d: %w", id, err)
	}
	return nil
}

// UnmaskPerson returns a person's ID and phone numbers in clear, for an
// actor allowed to see them, and writes who asked and why to the audit log.
func (s *Store) UnmaskPerson(ctx context.Context, a civic.Actor, id int64, reason string) (idNumber, phone string, err error) {
	if err := a.Must(civic.PermPeopleUnmask); err != nil {
		return "", "", err
	}
	reason = strings.TrimSpace(reason)
	if n := len([]rune(reason)); n < 2 || n > 200 {
		return "", "", civic.Invalid(civic.FieldErr("reason", "查看完整号码须填写事由（2到200字）", "give a reason to see the full numbers (2 to 200 characters)"))
	}
	err = s.write(ctx, func(tx *Tx) error {
		sp, err := tx.storedPerson(ctx, id)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(sp.GridCode)) {
			return personNotFound(id)
		}
		if err != nil {
			return fmt.Errorf("read person %d: %w", id, err)
		}
		if idNumber, err = s.open(sp.idSealed); err != nil {
			return err
		}
		if phone, err = s.open(sp.phoneSealed); err != nil {
			return err
		}
		return tx.audit(ctx, a, "person.unmask", "person", id, sp.GridCode, nil, map[string]string{"reason": reason, "name": sp.Name})
	})
	if err != nil {
		return "", "", err
	}
	return idNumber, phone, nil
}

// TagHistory lists a person's tag changes, newest first.
func (s *Store) TagHistory(ctx context.Context, a civic.Actor, id int64) ([]civic.TagChange, error) {
	if _, err := s.GetPerson(ctx, a, id); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, `SELECT tag, added, at, username, reason FROM person_tag_history WHERE person_id = ? ORDER BY at DESC, id DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("read tag history: %w", err)
	}
	defer rows.Close()
	var out []civic.TagChange
	for rows.Next() {
		var c civic.TagChange
		var tag string
		if err := rows.Scan(&tag, &c.Added, &c.At, &c.By, &c.Reason); err != nil {
			return nil, fmt.Errorf("scan tag change: %w", err)
		}
		c.Tag, c.At = civic.Tag(tag), c.At.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// RefreshDerivedTags keeps age tags current: it looks at everyone whose
// 14th, 60th or 80th birthday fell in the last lookback days (so missed
// days are caught up) and sets their derived tags from their data. It is
// idempotent; the jobs runner calls it daily. It returns how many people
// changed.
func (s *Store) RefreshDerivedTags(ctx context.Context, lookback int) (int, error) {
	now := s.Now()
	changed := 0
	for _, age := range []int{14, 60, 80} {
		hi := now.AddDate(-age, 0, 0).Format(civic.DateLayout)
		lo := now.AddDate(-age, 0, -lookback).Format(civic.DateLayout)
		var after int64
		for {
			rows, err := s.query(ctx, `SELECT id FROM people WHERE birth_date > ? AND birth_date <= ? AND id > ? ORDER BY id LIMIT 500`, lo, hi, after)
			if err != nil {
				return changed, fmt.Errorf("find birthdays: %w", err)
			}
			var ids []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return changed, fmt.Errorf("scan person: %w", err)
				}
				ids = append(ids, id)
			}
			rows.Close()
			if len(ids) == 0 {
				break
			}
			after = ids[len(ids)-1]
			// Counted when the page commits: write may run it again.
			page := 0
			err = s.write(ctx, func(tx *Tx) error {
				page = 0
				for _, id := range ids {
					n, err := tx.refreshDerived(ctx, id)
					if err != nil {
						return err
					}
					page += n
				}
				return nil
			})
			if err != nil {
				return changed, err
			}
			changed += page
		}
	}
	return changed, nil
}

// refreshDerived sets one person's derived tags from their data, keeping
// staff-set tags; it returns 1 if anything changed.
func (tx *Tx) refreshDerived(ctx context.Context, id int64) (int, error) {
	var birth, res, grid string
	if err := tx.queryRow(ctx, `SELECT birth_date, residence_type, grid_code FROM people WHERE id = ?`, id).Scan(&birth, &res, &grid); err != nil {
		return 0, fmt.Errorf("read person %d: %w", id, err)
	}
	rows, err := tx.query(ctx, `SELECT tag FROM person_tags WHERE person_id = ?`, id)
	if err != nil {
		return 0, fmt.Errorf("read person %d tags: %w", id, err)
	}
	var have, want []civic.Tag
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return 0, err
		}
		have = append(have, civic.Tag(t))
		if !civic.Tag(t).Derived() {
			want = append(want, civic.Tag(t))
		}
	}
	rows.Close()
	want = append(want, civic.DerivedTags(birth, civic.ResidenceType(res), tx.now)...)
	if sameTags(have, want) {
		return 0, nil
	}
	return 1, tx.setTags(ctx, civic.System, id, grid, want, TagReasonBirthDate)
}

func sameTags(a, b []civic.Tag) bool {
	if len(a) != len(b) {
		return false
	}
	for _, t := range a {
		if !slices.Contains(b, t) {
			return false
		}
	}
	return true
}

// Today's date for link defaults.
func today(t time.Time) string { return t.Format(civic.DateLayout) }

const linkCols = `l.id, l.person_id, p.name, l.house_id, h.address, l.relation, l.move_in, l.move_out, l.created_at, p.grid_code`
const linkFrom = ` FROM person_houses l JOIN people p ON p.id = l.person_id JOIN houses h ON h.id = l.house_id`

// scanLink reads a link as the actor may see it: a person registered
// outside the actor's scope is listed without name or ID (OutsideScope),
// as nobody sees a person outside their scope (DESIGN.md §1), while the
// link itself says the house is lived in.
func scanLink(a civic.Actor, sc interface{ Scan(...any) error }) (civic.HouseLink, error) {
	var l civic.HouseLink
	var rel, grid string
	err := sc.Scan(&l.ID, &l.PersonID, &l.PersonName, &l.HouseID, &l.HouseAddress, &rel, &l.MoveIn, &l.MoveOut, &l.CreatedAt, &grid)
	l.Relation, l.CreatedAt = civic.Relation(rel), l.CreatedAt.UTC()
	if err == nil && !a.InScope(grid) {
		l.PersonID, l.PersonName, l.OutsideScope = 0, "", true
	}
	return l, err
}

func (s *Store) listLinks(ctx context.Context, a civic.Actor, cond string, arg any) ([]civic.HouseLink, error) {
	rows, err := s.query(ctx, `SELECT `+linkCols+linkFrom+` WHERE `+cond+` ORDER BY l.move_out <> '', l.move_in DESC, l.id DESC`, arg)
	if err != nil {
		return nil, fmt.Errorf("list house links: %w", err)
	}
	defer rows.Close()
	var out []civic.HouseLink
	for rows.Next() {
		l, err := scanLink(a, rows)
		if err != nil {
			return nil, fmt.Errorf("scan house link: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Household lists everyone who lives or lived in a house, current first;
// those registered outside the actor's scope without name or ID.
func (s *Store) Household(ctx context.Context, a civic.Actor, houseID int64) ([]civic.HouseLink, error) {
	if _, err := s.GetHouse(ctx, a, houseID); err != nil {
		return nil, err
	}
	return s.listLinks(ctx, a, "l.house_id = ?", houseID)
}

// PersonHouses lists the houses a person lives or lived in, current first.
func (s *Store) PersonHouses(ctx context.Context, a civic.Actor, personID int64) ([]civic.HouseLink, error) {
	if _, err := s.GetPerson(ctx, a, personID); err != nil {
		return nil, err
	}
	return s.listLinks(ctx, a, "l.person_id = ?", personID)
}

// LinkHouse records that a person lives in (or owns) a house from MoveIn
// (default today). Both must be in scope; one person has at most one
// current link to one house.
func (s *Store) LinkHouse(ctx context.Context, a civic.Actor, l civic.HouseLink) (civic.HouseLink, error) {
	if err := a.Must(civic.PermPeopleWrite); err != nil {
		return l, err
	}
	given := l
	err := s.write(ctx, func(tx *Tx) error {
		l = given // linkHouse dates it today if undated; write may run this again
		return tx.linkHouse(ctx, a, &l)
	})
	if err != nil {
		return civic.HouseLink{}, err
	}
	return l, nil
}

func (tx *Tx) linkHouse(ctx context.Context, a civic.Actor, l *civic.HouseLink) error {
	if l.MoveIn == "" {
		l.MoveIn = today(tx.now)
	}
	var fs []civic.FieldError
	if !l.Relation.Valid() {
		fs = append(fs, civic.FieldErr("relation", "请选择与房屋的关系（产权人、租户或家庭成员）", "choose the relation: owner, tenant or family member"))
	}
	if d, err := time.Parse(civic.DateLayout, l.MoveIn); err != nil {
		fs = append(fs, civic.FieldErr("move_in", "入住日期格式应为YYYY-MM-DD", "the move-in date is YYYY-MM-DD"))
	} else if d.Year() < 1900 || l.MoveIn > today(tx.now.AddDate(0, 0, 366)) {
		fs = append(fs, civic.FieldErr("move_in", "入住日期应在1900年之后、一年之内", "the move-in date must be after 1900 and within a year from now"))
	}
	if len(fs) > 0 {
		return civic.Invalid(fs...)
	}
	var pGrid, pName string
	var pHouses int
	err := tx.queryRow(ctx, `SELECT grid_code, name, houses FROM people WHERE id = ?`, l.PersonID).Scan(&pGrid, &pName, &pHouses)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(pGrid)) {
		return civic.Invalid(civic.FieldErr("person_id", "人员不存在", "the person does not exist"))
	}
	if err != nil {
		return fmt.Errorf("read person %d: %w", l.PersonID, err)
	}
	var hGrid, address string
	err = tx.queryRow(ctx, `SELECT grid_code, address FROM houses WHERE id = ?`, l.HouseID).Scan(&hGrid, &address)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(hGrid)) {
		return civic.Invalid(civic.FieldErr("house_id", "房屋不存在", "the house does not exist"))
	}
	if err != nil {
		return fmt.Errorf("read house %d: %w", l.HouseID, err)
	}
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM person_houses WHERE person_id = ? AND house_id = ? AND move_out = ''`, l.PersonID, l.HouseID).Scan(&n); err != nil {
		return fmt.Errorf("check house link: %w", err)
	}
	if n > 0 {
		return civic.Errorf(civic.EConflict, "%s已登记在该房屋", "%s is already linked to this house", pName)
	}
	id, err := tx.insertID(ctx, `INSERT INTO person_houses (person_id, house_id, relation, move_in, move_out, created_at, updated_at) VALUES (?, ?, ?, ?, '', ?, ?)`,
		l.PersonID, l.HouseID, string(l.Relation), l.MoveIn, tx.now, tx.now)
	if err != nil {
		return fmt.Errorf("insert house link: %w", err)
	}
	l.ID, l.PersonName, l.HouseAddress, l.CreatedAt = id, pName, address, tx.now
	// A person with no other home moves to the house's grid, so that the
	// grid that serves the house also sees its residents.
	if pHouses == 0 && pGrid != hGrid {
		if _, err := tx.exec(ctx, `UPDATE people SET grid_code = ? WHERE id = ?`, hGrid, l.PersonID); err != nil {
			return fmt.Errorf("move person %d to grid %s: %w", l.PersonID, hGrid, err)
		}
		if _, err := tx.exec(ctx, `UPDATE person_tags SET grid_code = ? WHERE person_id = ?`, hGrid, l.PersonID); err != nil {
			return fmt.Errorf("move person %d tags: %w", l.PersonID, err)
		}
	}
	if err := tx.refreshLinks(ctx, l.PersonID, l.HouseID); err != nil {
		return err
	}
	return tx.audit(ctx, a, "person.link", "person", l.PersonID, hGrid, nil, l)
}

// EndLink records that a person moved out of a house on moveOut (default
// today). The link stays, as history. A houseID other than 0 is the house
// the caller means (the page the form was on): a link of another house is
// then not found.
func (s *Store) EndLink(ctx context.Context, a civic.Actor, houseID, linkID int64, moveOut string) error {
	if err := a.Must(civic.PermPeopleWrite); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		l, err := scanLink(a, tx.queryRow(ctx, `SELECT `+linkCols+linkFrom+` WHERE l.id = ?`, linkID))
		var grid string
		if err == nil {
			err = tx.queryRow(ctx, `SELECT grid_code FROM houses WHERE id = ?`, l.HouseID).Scan(&grid)
		}
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (!a.InScope(grid) || houseID != 0 && l.HouseID != houseID)) {
			return civic.NotFound(fmt.Sprintf("人房关联 %d", linkID), fmt.Sprintf("house link %d", linkID))
		}
		if err != nil {
			return fmt.Errorf("read house link %d: %w", linkID, err)
		}
		if !l.Current() {
			return civic.Errorf(civic.EConflict, "%s已于%s迁出", "%s moved out on %s", l.PersonName, l.MoveOut)
		}
		if moveOut == "" {
			moveOut = today(tx.now)
		}
		if _, err := time.Parse(civic.DateLayout, moveOut); err != nil || moveOut < l.MoveIn {
			return civic.Invalid(civic.FieldErr("move_out", "迁出日期应为YYYY-MM-DD且不早于入住日期%s", "the move-out date is YYYY-MM-DD, not before the move-in date %s", l.MoveIn))
		}
		if moveOut > today(tx.now) {
			// A move-out ends the link at once: a later date would show
			// the person gone before they are.
			return civic.Invalid(civic.FieldErr("move_out", "迁出日期不能晚于今天；请在迁出后登记", "the move-out date cannot be after today; record it once they have moved"))
		}
		if _, err := tx.exec(ctx, `UPDATE person_houses SET move_out = ?, updated_at = ? WHERE id = ?`, moveOut, tx.now, linkID); err != nil {
			return fmt.Errorf("end house link %d: %w", linkID, err)
		}
		if err := tx.refreshLinks(ctx, l.PersonID, l.HouseID); err != nil {
			return err
		}
		before := l
		l.MoveOut = moveOut
		return tx.audit(ctx, a, "person.move_out", "person", l.PersonID, grid, before, l)
	})
}

// refreshLinks recounts a person's current houses and a house's current
// residents, and refreshes the person's cached address and search terms.
func (tx *Tx) refreshLinks(ctx context.Context, personID, houseID int64) error {
	if _, err := tx.exec(ctx, `UPDATE houses SET residents = (SELECT COUNT(*) FROM person_houses WHERE house_id = ? AND move_out = '') WHERE id = ?`, houseID, houseID); err != nil {
		return fmt.Errorf("count house %d residents: %w", houseID, err)
	}
	return tx.refreshPerson(ctx, personID)
}

func (tx *Tx) refreshPerson(ctx context.Context, personID int64) error {
	var address string
	err := tx.queryRow(ctx, `SELECT h.address FROM person_houses l JOIN houses h ON h.id = l.house_id
		WHERE l.person_id = ? AND l.move_out = '' ORDER BY l.move_in DESC, l.id DESC LIMIT 1`, personID).Scan(&address)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read person %d address: %w", personID, err)
	}
	if _, err := tx.exec(ctx, `UPDATE people SET houses = (SELECT COUNT(*) FROM person_houses WHERE person_id = ? AND move_out = ''), address = ?, updated_at = ? WHERE id = ?`,
		personID, address, tx.now, personID); err != nil {
		return fmt.Errorf("count person %d houses: %w", personID, err)
	}
	return tx.indexPerson(ctx, personID)
}

// refreshResidentsOf refreshes the cached address of a house's residents
// after the house's address changed.
func (tx *Tx) refreshResidentsOf(ctx context.Context, houseID int64) error {
	rows, err := tx.query(ctx, `SELECT DISTINCT person_id FROM person_houses WHERE house_id = ? AND move_out = ''`, houseID)
	if err != nil {
		return fmt.Errorf("read house %d residents: %w", houseID, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := tx.refreshPerson(ctx, id); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Completeness is the linkage completeness (人房关联完善率) of every region
// of a level under root in the actor's scope: houses with a current
// resident or marked vacant, and people with a current house.
func (s *Store) Completeness(ctx context.Context, a civic.Actor, root string, level civic.Level) ([]civic.Completeness, error) {
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return nil, err
	}
	n := map[civic.Level]int{civic.LevelDistrict: 6, civic.LevelStreet: 9, civic.LevelCommunity: 12, civic.LevelGrid: 15}[level]
	if n == 0 {
		return nil, civic.Invalid(civic.FieldErr("level", "按区、街道、社区或网格统计", "count by district, street, community or grid"))
	}
	byCode := map[string]*civic.Completeness{}
	var order []string
	get := func(code string) *civic.Completeness {
		c := byCode[code]
		if c == nil {
			c = &civic.Completeness{RegionCode: code}
			byCode[code] = c
			order = append(order, code)
		}
		return c
	}
	scope := func(col string) (string, []any) {
		where, args := scopeClause(a, col)
		if root != "" {
			lo, hi := civic.ScopePrefixRange(root)
			where += " AND " + col + " >= ? AND " + col + " < ?"
			args = append(args, lo, hi)
		}
		return where, args
	}
	where, args := scope("grid_code")
	rows, err := s.query(ctx, fmt.Sprintf(`SELECT substr(grid_code, 1, %d), COUNT(*), SUM(CASE WHEN residents > 0 OR use = 'vacant' THEN 1 ELSE 0 END)
		FROM houses WHERE %s AND LENGTH(grid_code) >= %d GROUP BY substr(grid_code, 1, %d)`, n, where, n, n), args...)
	if err != nil {
		return nil, fmt.Errorf("count houses: %w", err)
	}
	for rows.Next() {
		var code string
		var total, done int
		if err := rows.Scan(&code, &total, &done); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan house counts: %w", err)
		}
		c := get(code)
		c.Houses, c.HousesComplete = total, done
	}
	rows.Close()
	rows, err = s.query(ctx, fmt.Sprintf(`SELECT substr(grid_code, 1, %d), COUNT(*), SUM(CASE WHEN houses > 0 THEN 1 ELSE 0 END)
		FROM people WHERE %s AND LENGTH(grid_code) >= %d GROUP BY substr(grid_code, 1, %d)`, n, where, n, n), args...)
	if err != nil {
		return nil, fmt.Errorf("count people: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var total, linked int
		if err := rows.Scan(&code, &total, &linked); err != nil {
			return nil, fmt.Errorf("scan people counts: %w", err)
		}
		c := get(code)
		c.People, c.PeopleLinked = total, linked
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Sort(order)
	out := make([]civic.Completeness, len(order))
	for i, code := range order {
		out[i] = *byCode[code]
	}
	return out, nil
}
