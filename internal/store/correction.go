package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// Corrections (信息纠错): a grid worker proposes changes to a person or a
// house from the field; community staff with write access to the record
// approve or reject them. Approval writes the record through the same path
// as editing it (savePerson, saveHouse) in the transaction that marks the
// correction approved, so that a refusal there (an invalid value, an ID
// number registered to someone else) leaves the correction pending.
//
// A proposal records, per field, the value the proposer saw. If the record
// has since changed in one of those fields, the correction is stale: an
// approval is refused with a conflict naming the fields, unless the
// reviewer, having seen the current values, confirms that the proposed
// ones should replace them. Changes to other fields (or the record's
// updated_at moving because someone moved house) do not count.

// CorrectionInput is a proposal: the fields to change, by name (see
// civic.PersonFields and civic.HouseFields), to their new text values.
type CorrectionInput struct {
	Kind     civic.CorrectionKind
	TargetID int64
	Changes  map[string]string
	Reason   string
	// Key makes a retried proposal return the first one.
	Key string
}

// current is a target's record as a correction compares and changes it.
type current struct {
	grid, name string
	person     *storedPerson // with plain ID and phone numbers in Person
	house      *civic.House
	building   civic.Building
}

func (c current) value(f string) string {
	if c.house != nil {
		return civic.HouseValue(*c.house, f)
	}
	return civic.PersonValue(c.person.Person, f)
}

// display is a field's current value as people may see it: masked for ID
// and phone numbers.
func (c current) display(f string) string {
	if c.person != nil && civic.PersonalField(f) {
		if f == "id_number" {
			return c.person.idMask
		}
		return c.person.phoneMask
	}
	return c.value(f)
}

// readTarget loads a correction's target for an actor who must have it in
// scope, from the read pool or inside a transaction. plain opens the
// person's ID and phone numbers, which only applying a correction needs.
func (s *Store) readTarget(ctx context.Context, q querier, a civic.Actor, kind civic.CorrectionKind, id int64, plain bool) (current, error) {
	var c current
	if kind == civic.CorrectHouse {
		h, err := scanHouse(q.queryRow(ctx, `SELECT `+houseCols+houseFrom+` WHERE h.id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(h.GridCode)) {
			return c, civic.NotFound(fmt.Sprintf("房屋 %d", id), fmt.Sprintf("house %d", id))
		}
		if err != nil {
			return c, fmt.Errorf("read house %d: %w", id, err)
		}
		b, err := scanBuilding(q.queryRow(ctx, `SELECT `+buildingCols+buildingFrom+` WHERE b.id = ?`, h.BuildingID))
		if err != nil {
			return c, fmt.Errorf("read building %d: %w", h.BuildingID, err)
		}
		c.house, c.building, c.grid, c.name = &h, b, h.GridCode, h.Address
		return c, nil
	}
	sp, err := readStoredPerson(ctx, q, id)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(sp.GridCode)) {
		return c, personNotFound(id)
	}
	if err != nil {
		return c, fmt.Errorf("read person %d: %w", id, err)
	}
	if plain {
		if sp.IDNumber, err = s.open(sp.idSealed); err != nil {
			return c, err
		}
		if sp.Phone, err = s.open(sp.phoneSealed); err != nil {
			return c, err
		}
		sp.Masked = false
	}
	rows, err := q.query(ctx, `SELECT tag FROM person_tags WHERE person_id = ?`, id)
	if err != nil {
		return c, fmt.Errorf("read person %d tags: %w", id, err)
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return c, fmt.Errorf("scan tag: %w", err)
		}
		sp.Tags = append(sp.Tags, civic.Tag(t))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("read person %d tags: %w", id, err)
	}
	c.person, c.grid, c.name = &sp, sp.GridCode, sp.Name
	return c, nil
}

// apply sets the changes on a copy of the record and validates it; it
// returns the changed copy.
func (c current) apply(now func() civic.Person, changes map[string]string) (civic.Person, civic.House, error) {
	var fs []civic.FieldError
	if c.house != nil {
		h := *c.house
		for f, v := range changes {
			if fe := civic.SetHouseValue(&h, f, v); fe != nil {
				fs = append(fs, *fe)
			}
		}
		if len(fs) > 0 {
			return civic.Person{}, h, civic.Invalid(fs...)
		}
		return civic.Person{}, h, h.Validate(c.building)
	}
	p := now()
	for f, v := range changes {
		if fe := civic.SetPersonValue(&p, f, v); fe != nil {
			fs = append(fs, *fe)
		}
	}
	if len(fs) > 0 {
		return p, civic.House{}, civic.Invalid(fs...)
	}
	return p, civic.House{}, nil
}

// ProposeCorrection records a proposed change to a person or house in the
// actor's scope. Only fields whose value really changes are kept; the
// result is checked as an edit would be, so that the proposer hears of a
// mistyped ID number in the field rather than from the reviewer. Proposed
// ID and phone numbers are sealed; everything shown or audited is masked.
func (s *Store) ProposeCorrection(ctx context.Context, a civic.Actor, in CorrectionInput) (civic.Correction, error) {
	if err := a.Must(civic.PermPeoplePropose); err != nil {
		return civic.Correction{}, err
	}
	reason, err := civic.ValidateCorrectionReason("reason", in.Reason)
	if err != nil {
		return civic.Correction{}, err
	}
	if !in.Kind.Valid() {
		return civic.Correction{}, civic.Invalid(civic.FieldErr("kind", "纠错对象应为人员或房屋", "a correction is to a person or a house"))
	}
	for f := range in.Changes {
		if !civic.CorrectableField(in.Kind, f) {
			return civic.Correction{}, civic.Invalid(civic.FieldErr(f, "“%s”不能通过纠错修改", "%q cannot be changed by a correction", f))
		}
	}
	if len(in.Key) > 100 {
		return civic.Correction{}, civic.Invalid(civic.FieldErr("key", "幂等键不超过100个字符", "the idempotency key is at most 100 characters"))
	}
	var id int64
	err = s.write(ctx, func(tx *Tx) error {
		if in.Key != "" {
			err := tx.queryRow(ctx, `SELECT id FROM corrections WHERE proposer_id = ? AND client_key = ?`, a.UserID, in.Key).Scan(&id)
			if err == nil {
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("look up correction key: %w", err)
			}
		}
		cur, err := tx.s.readTarget(ctx, tx, a, in.Kind, in.TargetID, true)
		if err != nil {
			return err
		}
		p, h, err := cur.apply(func() civic.Person { return cur.person.Person }, in.Changes)
		if err != nil {
			return err
		}
		if cur.person != nil {
			if err := p.Validate(tx.now); err != nil {
				return err
			}
		}
		fields := civic.PersonFields
		if in.Kind == civic.CorrectHouse {
			fields = civic.HouseFields
		}
		var changes []civic.FieldChange
		var idSealed, phoneSealed string
		for _, f := range fields {
			if _, asked := in.Changes[f]; !asked {
				continue
			}
			var next string
			if cur.house != nil {
				next = civic.HouseValue(h, f)
			} else {
				next = civic.PersonValue(p, f)
			}
			if next == cur.value(f) {
				continue
			}
			ch := civic.FieldChange{Field: f, Old: cur.display(f), New: next}
			if civic.PersonalField(f) {
				if next != "" && tx.s.vault == nil {
					return errNoVault
				}
				sealedNext := ""
				if next != "" {
					if sealedNext, err = tx.s.vault.Seal(next); err != nil {
						return fmt.Errorf("seal proposed %s: %w", f, err)
					}
				}
				if f == "id_number" {
					ch.New, idSealed = civic.MaskID(next), sealedNext
				} else {
					ch.New, phoneSealed = civic.MaskPhone(next), sealedNext
				}
			}
			changes = append(changes, ch)
		}
		if len(changes) == 0 {
			return civic.Invalid(civic.FieldErr("changes", "没有与现有记录不同的内容", "nothing differs from the record"))
		}
		js, err := json.Marshal(changes)
		if err != nil {
			return fmt.Errorf("encode changes: %w", err)
		}
		var baseID, basePhone string
		if cur.person != nil {
			baseID, basePhone = cur.person.idHash, cur.person.phoneHash
		}
		name := a.DisplayName
		if name == "" {
			name = a.Username
		}
		id, err = tx.insertID(ctx, `INSERT INTO corrections (kind, target_id, target_name, grid_code, changes_json, id_sealed, phone_sealed, base_id_hash, base_phone_hash,
				reason, proposer_id, proposer_name, client_key, state, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			string(in.Kind), in.TargetID, cur.name, cur.grid, string(js), idSealed, phoneSealed, baseID, basePhone,
			reason, a.UserID, name, in.Key, string(civic.CorrectionPending), tx.now)
		if err != nil {
			return fmt.Errorf("insert correction: %w", err)
		}
		return tx.audit(ctx, a, "correction.propose", "correction", id, cur.grid, nil,
			map[string]any{"kind": in.Kind, "target_id": in.TargetID, "changes": changes, "reason": reason})
	})
	if err != nil {
		return civic.Correction{}, err
	}
	return s.GetCorrection(ctx, a, id)
}

const correctionCols = `id, kind, target_id, target_name, grid_code, changes_json, reason, proposer_id, proposer_name, state, reviewer_name, review_note, reviewed_at, created_at`

func scanCorrection(sc interface{ Scan(...any) error }) (civic.Correction, error) {
	var c civic.Correction
	var kind, state, js string
	var reviewed sql.NullTime
	err := sc.Scan(&c.ID, &kind, &c.TargetID, &c.TargetName, &c.GridCode, &js, &c.Reason, &c.ProposerID, &c.ProposerName, &state, &c.ReviewerName, &c.ReviewNote, &reviewed, &c.CreatedAt)
	if err != nil {
		return c, err
	}
	c.Kind, c.State, c.CreatedAt = civic.CorrectionKind(kind), civic.CorrectionState(state), c.CreatedAt.UTC()
	if reviewed.Valid {
		t := reviewed.Time.UTC()
		c.ReviewedAt = &t
	}
	if err := json.Unmarshal([]byte(js), &c.Changes); err != nil {
		return c, fmt.Errorf("decode correction %d changes: %w", c.ID, err)
	}
	return c, nil
}

// seesCorrection: the proposer sees their own; reviewers every one in
// scope.
func seesCorrection(a civic.Actor, c civic.Correction) bool {
	if a.IsSystem() {
		return true
	}
	return a.InScope(c.GridCode) && ((c.ProposerID == a.UserID && a.Can(civic.PermPeoplePropose)) || a.Can(civic.PermPeopleWrite))
}

func correctionNotFound(id int64) error {
	return civic.NotFound(fmt.Sprintf("纠错 %d", id), fmt.Sprintf("correction %d", id))
}

// GetCorrection returns a correction the actor may see. While it is
// pending, each change carries the record's current value and whether the
// record changed in that field since the proposal.
func (s *Store) GetCorrection(ctx context.Context, a civic.Actor, id int64) (civic.Correction, error) {
	if !a.Can(civic.PermPeoplePropose) && !a.Can(civic.PermPeopleWrite) {
		return civic.Correction{}, civic.Forbidden()
	}
	c, err := scanCorrection(s.queryRow(ctx, `SELECT `+correctionCols+` FROM corrections WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !seesCorrection(a, c)) {
		return civic.Correction{}, correctionNotFound(id)
	}
	if err != nil {
		return civic.Correction{}, fmt.Errorf("read correction %d: %w", id, err)
	}
	if c.State != civic.CorrectionPending {
		return c, nil
	}
	cur, err := s.readTarget(ctx, s, civic.System, c.Kind, c.TargetID, false)
	if civic.ErrorCodeOf(err) == civic.ENotFound {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	return c, markStale(ctx, s, &c, cur)
}

// markStale fills in the current values of a pending correction's fields
// and marks those the record changed in since the proposal.
func markStale(ctx context.Context, q querier, c *civic.Correction, cur current) error {
	var baseID, basePhone string
	if err := q.queryRow(ctx, `SELECT base_id_hash, base_phone_hash FROM corrections WHERE id = ?`, c.ID).Scan(&baseID, &basePhone); err != nil {
		return fmt.Errorf("read correction %d: %w", c.ID, err)
	}
	c.Stale = false
	for i := range c.Changes {
		ch := &c.Changes[i]
		ch.Current = cur.display(ch.Field)
		switch ch.Field {
		case "id_number":
			ch.Stale = cur.person.idHash != baseID
		case "phone":
			ch.Stale = cur.person.phoneHash != basePhone
		default:
			ch.Stale = ch.Current != ch.Old
		}
		c.Stale = c.Stale || ch.Stale
	}
	return nil
}

// CorrectionFilter narrows ListCorrections.
type CorrectionFilter struct {
	State civic.CorrectionState
	Kind  civic.CorrectionKind
	// TargetID with Kind lists the corrections of one record.
	TargetID int64
	Under    string
	// Mine lists only the actor's own proposals (what a worker sees).
	Mine bool
	Page
}

// ListCorrections returns corrections the actor may see, oldest pending
// first for a review queue, else newest first.
func (s *Store) ListCorrections(ctx context.Context, a civic.Actor, f CorrectionFilter) ([]civic.Correction, int, error) {
	if !a.Can(civic.PermPeoplePropose) && !a.Can(civic.PermPeopleWrite) {
		return nil, 0, civic.Forbidden()
	}
	where, args := scopeClause(a, "grid_code")
	add := func(cond string, v ...any) { where += " AND " + cond; args = append(args, v...) }
	if f.Mine || !a.Can(civic.PermPeopleWrite) {
		add("proposer_id = ?", a.UserID)
	}
	if f.State != "" {
		add("state = ?", string(f.State))
	}
	if f.Kind != "" {
		add("kind = ?", string(f.Kind))
	}
	if f.TargetID != 0 {
		add("target_id = ?", f.TargetID)
	}
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		add("grid_code >= ? AND grid_code < ?", lo, hi)
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM corrections WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count corrections: %w", err)
	}
	order := "created_at DESC, id DESC"
	if f.State == civic.CorrectionPending {
		order = "created_at, id"
	}
	pg := f.Page.normal()
	rows, err := s.query(ctx, `SELECT `+correctionCols+` FROM corrections WHERE `+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`, append(args, pg.Limit, pg.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list corrections: %w", err)
	}
	defer rows.Close()
	var out []civic.Correction
	for rows.Next() {
		c, err := scanCorrection(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("scan correction: %w", err)
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// Review is a reviewer's decision on a correction.
type Review struct {
	Approve bool
	Note    string
	// Overwrite confirms an approval of a stale correction: the proposed
	// values replace values the record took after the proposal.
	Overwrite bool
}

// ReviewCorrection approves or rejects a pending correction in the
// reviewer's scope. Rejecting needs a note the proposer will read. An
// approval changes the record in the same transaction, and any refusal
// leaves the correction pending.
func (s *Store) ReviewCorrection(ctx context.Context, a civic.Actor, id int64, r Review) (civic.Correction, error) {
	if err := a.Must(civic.PermPeopleWrite); err != nil {
		return civic.Correction{}, err
	}
	r.Note = strings.TrimSpace(r.Note)
	if !r.Approve {
		var err error
		if r.Note, err = civic.ValidateCorrectionReason("note", r.Note); err != nil {
			return civic.Correction{}, err
		}
	} else if len([]rune(r.Note)) > 500 {
		return civic.Correction{}, civic.Invalid(civic.FieldErr("note", "审核意见不超过500字", "the note is at most 500 characters"))
	}
	err := s.write(ctx, func(tx *Tx) error {
		c, err := scanCorrection(tx.queryRow(ctx, `SELECT `+correctionCols+` FROM corrections WHERE id = ?`+tx.s.forUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !seesCorrection(a, c)) {
			return correctionNotFound(id)
		}
		if err != nil {
			return fmt.Errorf("read correction %d: %w", id, err)
		}
		if c.State != civic.CorrectionPending {
			return &civic.Error{Code: civic.EConflict, Msg: civic.T(fmt.Sprintf("该纠错已由%s审核（%s）", c.ReviewerName, c.State.Label().ZH),
				fmt.Sprintf("this correction was already reviewed by %s (%s)", c.ReviewerName, c.State.Label().EN))}
		}
		state := civic.CorrectionRejected
		if r.Approve {
			state = civic.CorrectionApproved
			if err := tx.applyCorrection(ctx, a, &c, r.Overwrite); err != nil {
				return err
			}
		}
		name := a.DisplayName
		if name == "" {
			name = a.Username
		}
		if _, err := tx.exec(ctx, `UPDATE corrections SET state = ?, reviewer_id = ?, reviewer_name = ?, review_note = ?, reviewed_at = ? WHERE id = ?`,
			string(state), a.UserID, name, r.Note, tx.now, id); err != nil {
			return fmt.Errorf("review correction %d: %w", id, err)
		}
		return tx.audit(ctx, a, "correction."+map[bool]string{true: "approve", false: "reject"}[r.Approve], "correction", id, c.GridCode,
			map[string]any{"state": civic.CorrectionPending}, map[string]any{"state": state, "note": r.Note, "overwrite": r.Overwrite && c.Stale})
	})
	if err != nil {
		return civic.Correction{}, err
	}
	return s.GetCorrection(ctx, a, id)
}

// applyCorrection writes a correction's proposed values to its record.
func (tx *Tx) applyCorrection(ctx context.Context, a civic.Actor, c *civic.Correction, overwrite bool) error {
	cur, err := tx.s.readTarget(ctx, tx, a, c.Kind, c.TargetID, true)
	if civic.ErrorCodeOf(err) == civic.ENotFound {
		return civic.Errorf(civic.EConflict, "纠错对象已不存在或已不在您的管辖范围内", "the record no longer exists or is no longer in your scope")
	}
	if err != nil {
		return err
	}
	if err := markStale(ctx, tx, c, cur); err != nil {
		return err
	}
	if c.Stale && !overwrite {
		var zh, en []string
		for _, ch := range c.Changes {
			if ch.Stale {
				zh, en = append(zh, ch.Label().ZH), append(en, ch.Label().EN)
			}
		}
		return &civic.Error{Code: civic.EConflict, Msg: civic.T(
			fmt.Sprintf("提交纠错后记录的%s已被修改，请核对当前值后确认覆盖或退回", strings.Join(zh, "、")),
			fmt.Sprintf("the record's %s changed after the correction was proposed; check the current values, then confirm to overwrite or reject", strings.Join(en, ", ")))}
	}
	changes := map[string]string{}
	var idSealed, phoneSealed string
	if err := tx.queryRow(ctx, `SELECT id_sealed, phone_sealed FROM corrections WHERE id = ?`, c.ID).Scan(&idSealed, &phoneSealed); err != nil {
		return fmt.Errorf("read correction %d: %w", c.ID, err)
	}
	for _, ch := range c.Changes {
		v := ch.New
		switch ch.Field {
		case "id_number":
			if v, err = tx.s.open(idSealed); err != nil {
				return err
			}
		case "phone":
			if v, err = tx.s.open(phoneSealed); err != nil {
				return err
			}
		}
		changes[ch.Field] = v
	}
	p, h, err := cur.apply(func() civic.Person { return cur.person.Person }, changes)
	if err != nil {
		return err
	}
	reason := fmt.Sprintf("信息纠错#%d（%s）：%s", c.ID, c.ProposerName, c.Reason)
	if cur.house != nil {
		return tx.saveHouse(ctx, a, &h, cur.building, cur.house)
	}
	// The tags to keep are the staff-set ones; savePerson derives the rest.
	p.Tags = slices.DeleteFunc(p.Tags, func(t civic.Tag) bool { return t.Derived() })
	return tx.savePerson(ctx, a, &p, cur.person, reason)
}
