package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// The people import's bulk path. Rows are validated and their numbers
// sealed in Go by a pool of workers (the CPU-heavy part: AES-GCM and
// HMAC per number), then written by the one writer in a batch
// transaction with multi-row INSERTs — people, their search terms, tags,
// tag history and house links — and the house counters raised by what
// the batch linked. A row whose ID number is registered merges into that
// person; people without an ID number are matched by name, birth date
// and grid.

// houseRef is a house as a people row names it.
type houseRef struct {
	id      int64
	grid    string
	address string
}

// houseCache finds houses by compound, building, unit and number within
// a grid, reading each grid's houses once per run.
type houseCache struct {
	s     *Store
	mu    sync.Mutex
	grids map[string]map[string]houseRef
}

func houseKey(compound, building string, unit int, number string) string {
	return compound + "\x00" + building + "\x00" + strconv.Itoa(unit) + "\x00" + number
}

func (c *houseCache) find(ctx context.Context, grid, key string) (houseRef, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.grids[grid]
	if !ok {
		rows, err := c.s.query(ctx, `SELECT h.id, COALESCE(c.name, ''), b.name, h.unit, h.number, h.address FROM houses h
			JOIN buildings b ON b.id = h.building_id LEFT JOIN compounds c ON c.id = b.compound_id WHERE h.grid_code = ?`, grid)
		if err != nil {
			return houseRef{}, false, fmt.Errorf("read grid %s houses: %w", grid, err)
		}
		m = map[string]houseRef{}
		for rows.Next() {
			var r houseRef
			var cn, bn, num string
			var unit int
			if err := rows.Scan(&r.id, &cn, &bn, &unit, &num, &r.address); err != nil {
				rows.Close()
				return houseRef{}, false, fmt.Errorf("scan house: %w", err)
			}
			r.grid = grid
			m[houseKey(cn, bn, unit, num)] = r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return houseRef{}, false, fmt.Errorf("read grid %s houses: %w", grid, err)
		}
		if c.grids == nil {
			c.grids = map[string]map[string]houseRef{}
		}
		c.grids[grid] = m
	}
	r, ok := m[key]
	return r, ok, nil
}

// personRow is a people row, parsed, validated and sealed.
type personRow struct {
	importRow
	errs        []civic.CellError
	p           civic.Person
	idTypeGiven bool
	resGiven    bool
	manual      []civic.Tag
	house       houseRef
	hasHouse    bool
	relation    civic.Relation
	moveIn      string
	sl          sealed
	terms       string
	// key identifies the person across rows: the ID number's lookup
	// hash, or name, birth date and grid for people without one.
	key uint64
}

func keyOf(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// preparePerson reads and checks one row; it touches the database only to
// find the row's house.
func (run *importRun) preparePerson(ctx context.Context, r importRow, now time.Time) (*personRow, error) {
	pr := &personRow{importRow: r}
	cell := func(k string) string { return run.cell(r, k) }
	bad := func(key, zh, en string, args ...any) { pr.errs = append(pr.errs, run.cellErr(key, zh, en, args...)) }
	p := civic.Person{Name: cell("name"), IDNumber: cell("id_number"), Phone: cell("phone"), Ethnic: cell("ethnic"),
		Workplace: cell("workplace"), Note: cell("note"), GridCode: cell("grid_code"), BirthDate: normDate(cell("birth_date"))}
	if s := cell("id_type"); s != "" {
		if t, ok := civic.ParseIDType(s); ok {
			p.IDType, pr.idTypeGiven = t, true
		} else {
			bad("id_type", "未知证件类型“%s”", "unknown ID type %q", s)
		}
	}
	if s := cell("gender"); s != "" {
		if g, ok := civic.ParseGender(s); ok {
			p.Gender = g
		} else {
			bad("gender", "性别应为男或女（现为“%s”）", "gender is 男 or 女 (not %q)", s)
		}
	}
	if s := cell("residence_type"); s != "" {
		if t, ok := civic.ParseResidenceType(s); ok {
			p.ResidenceType, pr.resGiven = t, true
		} else {
			bad("residence_type", "人口类型应为户籍、常住、流动或租住（现为“%s”）", "residence type is 户籍, 常住, 流动 or 租住 (not %q)", s)
		}
	}
	for _, s := range civic.SplitTags(cell("tags")) {
		t, ok := civic.ParseTag(s)
		switch {
		case !ok:
			bad("tags", "未知标签“%s”", "unknown tag %q", s)
		case !t.Derived() && !slices.Contains(pr.manual, t):
			pr.manual = append(pr.manual, t)
		}
	}
	if err := p.Validate(now); err != nil {
		errs, err := run.fieldErrs(err)
		if err != nil {
			return nil, err
		}
		pr.errs = append(pr.errs, errs...)
	}
	if p.GridCode != "" && !run.gridOK(p.GridCode) {
		bad("grid_code", "网格“%s”不存在", "grid %q does not exist", p.GridCode)
	}
	comp, bld, unitS, num := cell("compound"), cell("building"), cell("unit"), cell("number")
	if comp != "" || bld != "" || unitS != "" || num != "" {
		unit, ok := parseInt(unitS)
		switch {
		case bld == "" || unitS == "" || num == "":
			missing := "number"
			if bld == "" {
				missing = "building"
			} else if unitS == "" {
				missing = "unit"
			}
			bad(missing, "楼栋、单元、门牌号须同时填写", "give the building, unit and house number together")
		case !ok || unit < 1:
			bad("unit", "单元应为正整数（现为“%s”）", "the unit is a whole number (not %q)", unitS)
		case run.gridOK(p.GridCode):
			ref, found, err := run.houses.find(ctx, p.GridCode, houseKey(comp, bld, unit, num))
			if err != nil {
				return nil, err
			}
			if !found {
				addr := civic.HouseAddress(comp, bld, unit, num)
				bad("number", "房屋“%s”在网格%s中不存在", "the house %q does not exist in grid %s", addr, p.GridCode)
			} else {
				pr.house, pr.hasHouse = ref, true
			}
		}
		pr.relation = civic.RelationFamily
		if s := cell("relation"); s != "" {
			if rel, ok := civic.ParseRelation(s); ok {
				pr.relation = rel
			} else {
				bad("relation", "与房屋关系应为产权人、租户或家庭成员（现为“%s”）", "the relation is owner, tenant or family member (not %q)", s)
			}
		}
		pr.moveIn = normDate(cell("move_in"))
		if pr.moveIn == "" {
			pr.moveIn = today(now)
		} else if d, err := time.Parse(civic.DateLayout, pr.moveIn); err != nil || d.Year() < 1900 || d.After(now.AddDate(1, 0, 0)) {
			bad("move_in", "入住日期“%s”无效（格式YYYY-MM-DD）", "the move-in date %q is not valid (YYYY-MM-DD)", cell("move_in"))
		}
	}
	pr.p = p
	if len(pr.errs) > 0 {
		return pr, nil
	}
	var err error
	if pr.sl, err = sealPerson(run.s.vault, p.IDNumber, p.Phone); err != nil {
		return nil, fmt.Errorf("seal person: %w", err)
	}
	if pr.sl.idHash != "" {
		pr.key = keyOf(pr.sl.idHash)
	} else {
		pr.key = keyOf("", p.Name, p.BirthDate, p.GridCode)
	}
	pr.terms = personTerms(p.Name, pr.house.address, p.GridCode)
	return pr, nil
}

// personState is a person as the import sees and changes it: a stored
// person, or a new one this batch will insert.
type personState struct {
	id                                    int64
	fresh                                 bool
	grid, name, gender, birth, idType     string
	residence, ethnic, workplace, note    string
	idSealed, idHash, idMask              string
	phoneSealed, phoneHash, phoneMask     string
	keyVersion                            int
	tags                                  []civic.Tag
	links                                 []stateLink
	terms, termsFor                       string
	gridMoved, tagsChanged, fieldsChanged bool
	nameChanged                           bool
}

type stateLink struct {
	house    houseRef
	relation civic.Relation
	moveIn   string
	added    bool
}

func newPersonState(r *personRow, now time.Time) *personState {
	p := r.p
	st := &personState{fresh: true, grid: p.GridCode, name: p.Name, gender: string(p.Gender), birth: p.BirthDate, idType: string(p.IDType),
		residence: string(p.ResidenceType), ethnic: p.Ethnic, workplace: p.Workplace, note: p.Note,
		idSealed: r.sl.idSealed, idHash: r.sl.idHash, idMask: r.sl.idMask, phoneSealed: r.sl.phoneSealed, phoneHash: r.sl.phoneHash, phoneMask: r.sl.phoneMask,
		keyVersion: r.sl.keyVersion, terms: r.terms, termsFor: r.house.address}
	st.tags = append(civic.DerivedTags(p.BirthDate, p.ResidenceType, now), r.manual...)
	if r.hasHouse {
		st.links = []stateLink{{house: r.house, relation: r.relation, moveIn: r.moveIn, added: true}}
	}
	return st
}

// address is the house the person moved into last, as refreshPerson
// picks it.
func (st *personState) address() string {
	best := -1
	for i, l := range st.links {
		if best < 0 || l.moveIn >= st.links[best].moveIn {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return st.links[best].house.address
}

func tagLabels(ts []civic.Tag) string {
	var out []string
	for _, t := range civic.Tags {
		if slices.Contains(ts, t) {
			out = append(out, t.Label().ZH)
		}
	}
	return strings.Join(out, "、")
}

// merge applies a row's non-empty fields to a person and says what
// changed; numbers appear masked.
func (run *importRun) merge(st *personState, r *personRow, now time.Time) []civic.MergeChange {
	var out []civic.MergeChange
	change := func(field, before, after string) {
		out = append(out, civic.MergeChange{Field: field, Column: run.kind.ColumnLabel(field, "zh"), Before: before, After: after})
	}
	set := func(field string, dst *string, v string, show func(string) string) {
		if v != "" && *dst != v {
			change(field, show(*dst), show(v))
			*dst = v
			st.fieldsChanged = true
		}
	}
	same := func(s string) string { return s }
	p := r.p
	if p.Name != st.name && p.Name != "" {
		st.nameChanged = true
	}
	set("name", &st.name, p.Name, same)
	set("gender", &st.gender, string(p.Gender), func(s string) string { return civic.Gender(s).Label().ZH })
	set("birth_date", &st.birth, p.BirthDate, same)
	if r.idTypeGiven {
		set("id_type", &st.idType, string(p.IDType), func(s string) string { return civic.IDType(s).Label().ZH })
	}
	if r.sl.phoneHash != "" && r.sl.phoneHash != st.phoneHash {
		change("phone", st.phoneMask, r.sl.phoneMask)
		st.phoneSealed, st.phoneHash, st.phoneMask = r.sl.phoneSealed, r.sl.phoneHash, r.sl.phoneMask
		if st.idSealed == "" || r.sl.keyVersion < st.keyVersion {
			st.keyVersion = r.sl.keyVersion
		}
		st.fieldsChanged = true
	}
	if r.resGiven {
		set("residence_type", &st.residence, string(p.ResidenceType), func(s string) string { return civic.ResidenceType(s).Label().ZH })
	}
	set("ethnic", &st.ethnic, p.Ethnic, same)
	set("workplace", &st.workplace, p.Workplace, same)
	set("note", &st.note, p.Note, same)
	if p.GridCode != st.grid {
		set("grid_code", &st.grid, p.GridCode, same)
		st.gridMoved = true
	}
	var manual []civic.Tag
	for _, t := range st.tags {
		if !t.Derived() {
			manual = append(manual, t)
		}
	}
	for _, t := range r.manual {
		if !slices.Contains(manual, t) {
			manual = append(manual, t)
		}
	}
	want := append(civic.DerivedTags(st.birth, civic.ResidenceType(st.residence), now), manual...)
	if !sameTags(st.tags, want) {
		change("tags", tagLabels(st.tags), tagLabels(want))
		st.tags, st.tagsChanged = want, true
	}
	if r.hasHouse && !slices.ContainsFunc(st.links, func(l stateLink) bool { return l.house.id == r.house.id }) {
		change("house", "", r.house.address)
		st.links = append(st.links, stateLink{house: r.house, relation: r.relation, moveIn: r.moveIn, added: true})
	}
	return out
}

const stateCols = `id, grid_code, name, gender, birth_date, id_type, residence_type, ethnic, workplace, note, id_sealed, id_hash, id_mask, phone_sealed, phone_hash, phone_mask, key_version`

func scanState(sc interface{ Scan(...any) error }) (*personState, error) {
	st := &personState{}
	err := sc.Scan(&st.id, &st.grid, &st.name, &st.gender, &st.birth, &st.idType, &st.residence, &st.ethnic, &st.workplace, &st.note,
		&st.idSealed, &st.idHash, &st.idMask, &st.phoneSealed, &st.phoneHash, &st.phoneMask, &st.keyVersion)
	return st, err
}

// loadStates reads the tags and current links of stored people.
func (tx *Tx) loadStates(ctx context.Context, byID map[int64]*personState) error {
	if len(byID) == 0 {
		return nil
	}
	ids := make([]any, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	err := tx.fixedIn(ctx, `SELECT person_id, tag FROM person_tags WHERE person_id IN (`, ids, int64(0), func(rows *sql.Rows) error {
		var id int64
		var t string
		if err := rows.Scan(&id, &t); err != nil {
			return err
		}
		byID[id].tags = append(byID[id].tags, civic.Tag(t))
		return nil
	})
	if err != nil {
		return fmt.Errorf("read tags: %w", err)
	}
	err = tx.fixedIn(ctx, `SELECT l.person_id, l.house_id, h.grid_code, h.address, l.relation, l.move_in FROM person_houses l JOIN houses h ON h.id = l.house_id
		WHERE l.move_out = '' AND l.person_id IN (`, ids, int64(0), func(rows *sql.Rows) error {
		var id int64
		var l stateLink
		var rel string
		if err := rows.Scan(&id, &l.house.id, &l.house.grid, &l.house.address, &rel, &l.moveIn); err != nil {
			return err
		}
		l.relation = civic.Relation(rel)
		byID[id].links = append(byID[id].links, l)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read house links: %w", err)
	}
	return nil
}

// preparePeople prepares a batch of rows on every core.
func (run *importRun) preparePeople(ctx context.Context, batch []importRow) ([]*personRow, error) {
	now := run.s.Now()
	prepared := make([]*personRow, len(batch))
	workers := runtime.GOMAXPROCS(0)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(batch); i += workers {
				pr, err := run.preparePerson(ctx, batch[i], now)
				if err != nil {
					errs[w] = err
					return
				}
				prepared[i] = pr
			}
		}(w)
	}
	wg.Wait()
	return prepared, errors.Join(errs...)
}

// writePeopleBatch writes a prepared batch in one transaction.
func (run *importRun) writePeopleBatch(ctx context.Context, prepared []*personRow) error {
	before := run.counts
	again := false
	err := run.s.write(ctx, func(tx *Tx) error {
		if again && len(prepared) > 0 {
			run.rewind(before, prepared[0].no)
		}
		again = true
		return run.writePeople(ctx, tx, prepared, before)
	})
	if err != nil {
		run.counts = before
	}
	return err
}

func (run *importRun) writePeople(ctx context.Context, tx *Tx, rows []*personRow, before importCounts) error {
	now := tx.now
	reason := TagReasonImport(run.id)
	// Stored people named by the batch's ID numbers, read inside the
	// transaction so that nobody adds one between the look and the write.
	var hashes []any
	for _, r := range rows {
		if len(r.errs) == 0 && r.sl.idHash != "" {
			hashes = append(hashes, r.sl.idHash)
		}
	}
	byHash := map[string]*personState{}
	byID := map[int64]*personState{}
	// "id_hash <> ''" lets SQLite use the partial index on id_hash.
	err := tx.fixedIn(ctx, `SELECT `+stateCols+` FROM people WHERE id_hash <> '' AND id_hash IN (`, hashes, "-", func(rows *sql.Rows) error {
		st, err := scanState(rows)
		if err != nil {
			return err
		}
		byHash[st.idHash], byID[st.id] = st, st
		return nil
	})
	if err != nil {
		return fmt.Errorf("look up ID numbers: %w", err)
	}
	if err := tx.loadStates(ctx, byID); err != nil {
		return err
	}
	var issues []civic.ImportIssue
	pending := map[uint64]*personState{}
	later := map[int]*personState{} // merge reports waiting for a new person's ID
	var fresh []*personState
	for _, r := range rows {
		run.counts.Done++
		if len(r.errs) > 0 {
			run.counts.Rejected++
			issues = append(issues, civic.ImportIssue{Row: r.no, Kind: civic.IssueRejected, Cells: r.cells, Errors: r.errs})
			continue
		}
		sameAs := 0
		if first, dup := run.seen[r.key]; dup {
			sameAs = int(first)
		} else {
			run.seen[r.key] = int32(r.no)
		}
		st := pending[r.key]
		if st == nil && r.sl.idHash != "" {
			st = byHash[r.sl.idHash]
		}
		if st == nil && r.sl.idHash == "" {
			if st, err = tx.findWithoutID(ctx, r.p); err != nil {
				return err
			}
		}
		if st == nil {
			st = newPersonState(r, now)
			pending[r.key] = st
			fresh = append(fresh, st)
			run.counts.Created++
			continue
		}
		if !st.fresh && !run.a.InScope(st.grid) {
			run.counts.Rejected++
			issues = append(issues, civic.ImportIssue{Row: r.no, Kind: civic.IssueRejected, Cells: r.cells,
				Errors: []civic.CellError{run.cellErr("id_number", "该证件号已在其他辖区登记，请联系社区核实", "this ID number is registered elsewhere; ask the community to check")}})
			continue
		}
		changes := run.merge(st, r, now)
		if !st.fresh && len(changes) > 0 {
			if err := run.updatePerson(ctx, tx, st, reason); err != nil {
				return err
			}
		}
		if len(changes) > 0 {
			run.counts.Merged++
		} else {
			run.counts.Unchanged++
		}
		if len(changes) > 0 || sameAs != 0 {
			if st.fresh {
				later[len(issues)] = st
			}
			issues = append(issues, civic.ImportIssue{Row: r.no, Kind: civic.IssueMerged, Changes: changes, PersonID: st.id, SameAs: sameAs})
		}
	}
	if err := run.insertPeople(ctx, tx, fresh, reason); err != nil {
		return err
	}
	// Merges into people new in this batch learn their IDs only now.
	for i, st := range later {
		issues[i].PersonID = st.id
	}
	return run.finishBatch(ctx, tx, issues, before, nil)
}

// findWithoutID finds a stored person without an ID number by name,
// birth date and grid.
func (tx *Tx) findWithoutID(ctx context.Context, p civic.Person) (*personState, error) {
	st, err := scanState(tx.queryRow(ctx, `SELECT `+stateCols+` FROM people WHERE id_hash = '' AND grid_code = ? AND name = ? AND birth_date = ? ORDER BY id LIMIT 1`,
		p.GridCode, p.Name, p.BirthDate))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up person without ID: %w", err)
	}
	if err := tx.loadStates(ctx, map[int64]*personState{st.id: st}); err != nil {
		return nil, err
	}
	return st, nil
}

// updatePerson writes a merge into a stored person.
func (run *importRun) updatePerson(ctx context.Context, tx *Tx, st *personState, reason string) error {
	if st.fieldsChanged {
		_, err := tx.exec(ctx, `UPDATE people SET grid_code = ?, name = ?, gender = ?, birth_date = ?, id_type = ?, phone_sealed = ?, phone_hash = ?, phone_mask = ?,
			key_version = ?, residence_type = ?, ethnic = ?, workplace = ?, note = ?, updated_at = ? WHERE id = ?`,
			st.grid, st.name, st.gender, st.birth, st.idType, st.phoneSealed, st.phoneHash, st.phoneMask, st.keyVersion,
			st.residence, st.ethnic, st.workplace, st.note, tx.now, st.id)
		if err != nil {
			return fmt.Errorf("update person %d: %w", st.id, err)
		}
		st.fieldsChanged = false
	}
	if st.gridMoved {
		if _, err := tx.exec(ctx, `UPDATE person_tags SET grid_code = ? WHERE person_id = ?`, st.grid, st.id); err != nil {
			return fmt.Errorf("move person %d tags: %w", st.id, err)
		}
	}
	if st.tagsChanged {
		if err := tx.setTags(ctx, run.a, st.id, st.grid, st.tags, reason); err != nil {
			return err
		}
		st.tagsChanged = false
	}
	linked := false
	for i, l := range st.links {
		if !l.added {
			continue
		}
		if _, err := tx.exec(ctx, `INSERT INTO person_houses (person_id, house_id, relation, move_in, move_out, created_at, updated_at) VALUES (?, ?, ?, ?, '', ?, ?)`,
			st.id, l.house.id, string(l.relation), l.moveIn, tx.now, tx.now); err != nil {
			return fmt.Errorf("link person %d: %w", st.id, err)
		}
		if err := tx.refreshLinks(ctx, st.id, l.house.id); err != nil {
			return err
		}
		st.links[i].added, linked = false, true
	}
	if !linked && (st.nameChanged || st.gridMoved) {
		if err := tx.indexPerson(ctx, st.id); err != nil {
			return err
		}
	}
	st.nameChanged, st.gridMoved = false, false
	return nil
}

// insertPeople writes a batch's new people with multi-row INSERTs.
func (run *importRun) insertPeople(ctx context.Context, tx *Tx, fresh []*personState, reason string) error {
	if len(fresh) == 0 {
		return nil
	}
	ids, err := tx.reserveIDs(ctx, "people", len(fresh))
	if err != nil {
		return err
	}
	pg := tx.s.engine == Postgres
	now := tx.now
	people := make([][]any, 0, len(fresh))
	var fts, tags, history, links [][]any
	residents := map[int64]int{}
	for i, st := range fresh {
		st.id = ids[i]
		addr := st.address()
		if addr != st.termsFor {
			st.terms = personTerms(st.name, addr, st.grid)
		}
		row := []any{st.id, st.grid, st.name, st.gender, st.birth, st.idType, st.idSealed, st.idHash, st.idMask, st.phoneSealed, st.phoneHash, st.phoneMask,
			st.keyVersion, st.residence, st.ethnic, st.workplace, st.note, len(st.links), addr, now, now}
		if pg {
			row = append(row, st.terms)
		} else {
			fts = append(fts, []any{st.id, st.terms})
		}
		people = append(people, row)
		for _, t := range st.tags {
			tags = append(tags, []any{st.id, string(t), st.grid, now})
			history = append(history, []any{st.id, string(t), true, now, run.a.UserID, run.a.Username, reason})
		}
		for _, l := range st.links {
			links = append(links, []any{st.id, l.house.id, string(l.relation), l.moveIn, now, now})
			residents[l.house.id]++
		}
	}
	head := `INSERT INTO people (id, grid_code, name, gender, birth_date, id_type, id_sealed, id_hash, id_mask, phone_sealed, phone_hash, phone_mask, key_version,
		residence_type, ethnic, workplace, note, houses, address, created_at, updated_at`
	one := `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`
	if pg {
		head += `, search_terms`
		one += `, to_tsvector('simple', ?)`
	}
	if err := tx.insertRows(ctx, head+`)`, one+`)`, people); err != nil {
		return fmt.Errorf("insert people: %w", err)
	}
	if !pg {
		if err := tx.insertRows(ctx, `INSERT INTO person_fts (rowid, terms)`, `(?, ?)`, fts); err != nil {
			return fmt.Errorf("index people: %w", err)
		}
	}
	if err := tx.insertRows(ctx, `INSERT INTO person_tags (person_id, tag, grid_code, since)`, `(?, ?, ?, ?)`, tags); err != nil {
		return fmt.Errorf("insert tags: %w", err)
	}
	if err := tx.insertRows(ctx, `INSERT INTO person_tag_history (person_id, tag, added, at, user_id, username, reason)`, `(?, ?, ?, ?, ?, ?, ?)`, history); err != nil {
		return fmt.Errorf("insert tag history: %w", err)
	}
	if err := tx.insertRows(ctx, `INSERT INTO person_houses (person_id, house_id, relation, move_in, move_out, created_at, updated_at)`, `(?, ?, ?, ?, '', ?, ?)`, links); err != nil {
		return fmt.Errorf("insert house links: %w", err)
	}
	houseIDs := make([]int64, 0, len(residents))
	for id := range residents {
		houseIDs = append(houseIDs, id)
	}
	slices.Sort(houseIDs) // a fixed order, so that concurrent batches on PostgreSQL lock alike
	for _, id := range houseIDs {
		if _, err := tx.exec(ctx, `UPDATE houses SET residents = residents + ?, updated_at = ? WHERE id = ?`, residents[id], now, id); err != nil {
			return fmt.Errorf("count house %d residents: %w", id, err)
		}
	}
	for _, st := range fresh {
		st.fresh = false
	}
	return nil
}
