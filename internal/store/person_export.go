package store

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
)

// Exports of people and houses in the import template's columns, so that
// an export edited in a spreadsheet imports back. They hold only what the
// actor's scope holds; people's numbers are masked unless the actor may
// export them plain and asks to. Every export is audited, without the
// data itself.

// ExportFilter narrows an export.
type ExportFilter struct {
	Under string    // region code prefix
	Tag   civic.Tag // people with this tag
	// Plain asks for ID and phone numbers in clear
	// (civic.PermPeopleExportPlain).
	Plain bool
}

// exportPage is how many records one read of an export takes.
const exportPage = 2000

// startExport checks the permissions of an export, writes its audit entry
// and returns the scope condition on col.
func (s *Store) startExport(ctx context.Context, a civic.Actor, kind civic.ImportKind, f ExportFilter, col string) (string, []any, error) {
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return "", nil, err
	}
	if f.Plain {
		if err := a.Must(civic.PermPeopleExportPlain); err != nil {
			return "", nil, err
		}
		if kind == civic.ImportPeople && s.vault == nil {
			return "", nil, errNoVault
		}
	}
	where, args := scopeClause(a, col)
	region := a.Scope.RegionCode
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		where += " AND " + col + " >= ? AND " + col + " < ?"
		args = append(args, lo, hi)
		if len(f.Under) > len(region) {
			region = f.Under
		}
	}
	err := s.write(ctx, func(tx *Tx) error {
		action := string(kind) + ".export"
		if f.Plain {
			action += "_plain"
		}
		return tx.audit(ctx, a, action, "export", string(kind), region, nil, map[string]any{"under": f.Under, "tag": f.Tag, "plain": f.Plain})
	})
	return where, args, err
}

// ExportPeople calls emit with the header row and then one row per person
// and current house (a person without a house has one row), in the
// people template's columns with headers in lang. It returns how many
// people it wrote.
func (s *Store) ExportPeople(ctx context.Context, a civic.Actor, f ExportFilter, lang string, emit func(row []string) error) (int, error) {
	where, args, err := s.startExport(ctx, a, civic.ImportPeople, f, "p.grid_code")
	if err != nil {
		return 0, err
	}
	if f.Tag != "" {
		where += " AND p.id IN (SELECT person_id FROM person_tags WHERE tag = ?)"
		args = append(args, string(f.Tag))
	}
	cols := civic.PeopleColumns
	head := make([]string, len(cols))
	at := map[string]int{}
	for i, c := range cols {
		head[i], at[c.Key] = c.Label.In(lang), i
	}
	if err := emit(head); err != nil {
		return 0, err
	}
	numbers := "p.id_mask, p.phone_mask"
	if f.Plain {
		numbers = "p.id_sealed, p.phone_sealed"
	}
	n := 0
	var after int64
	for {
		rows, err := s.query(ctx, `SELECT p.id, p.name, p.id_type, `+numbers+`, p.gender, p.birth_date, p.residence_type, p.ethnic, p.workplace, p.grid_code, p.note
			FROM people p WHERE `+where+` AND p.id > ? ORDER BY p.id LIMIT ?`, append(slices.Clone(args), after, exportPage)...)
		if err != nil {
			return n, fmt.Errorf("export people: %w", err)
		}
		type rec struct {
			id  int64
			row []string
		}
		var page []rec
		for rows.Next() {
			var id int64
			var name, idType, idNum, phone, gender, birth, res, ethnic, work, grid, note string
			if err := rows.Scan(&id, &name, &idType, &idNum, &phone, &gender, &birth, &res, &ethnic, &work, &grid, &note); err != nil {
				rows.Close()
				return n, fmt.Errorf("scan person: %w", err)
			}
			row := make([]string, len(cols))
			row[at["name"]], row[at["id_type"]], row[at["id_number"]], row[at["phone"]] = name, civic.IDType(idType).Label().In(lang), idNum, phone
			if gender != "" {
				row[at["gender"]] = civic.Gender(gender).Label().In(lang)
			}
			row[at["birth_date"]], row[at["residence_type"]], row[at["ethnic"]] = birth, civic.ResidenceType(res).Label().In(lang), ethnic
			row[at["workplace"]], row[at["grid_code"]], row[at["note"]] = work, grid, note
			page = append(page, rec{id, row})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, fmt.Errorf("export people: %w", err)
		}
		if len(page) == 0 {
			return n, nil
		}
		after = page[len(page)-1].id
		ids := make([]string, len(page))
		for i, r := range page {
			ids[i] = strconv.FormatInt(r.id, 10)
		}
		// IDs are integers from our own rows, safe to list inline.
		in := strings.Join(ids, ",")
		tags := map[int64][]civic.Tag{}
		trows, err := s.query(ctx, `SELECT person_id, tag FROM person_tags WHERE person_id IN (`+in+`)`)
		if err != nil {
			return n, fmt.Errorf("export tags: %w", err)
		}
		for trows.Next() {
			var id int64
			var t string
			if err := trows.Scan(&id, &t); err != nil {
				trows.Close()
				return n, err
			}
			// Derived tags follow from the data; exporting them would
			// only add noise to a re-import.
			if !civic.Tag(t).Derived() {
				tags[id] = append(tags[id], civic.Tag(t))
			}
		}
		trows.Close()
		type link struct{ compound, building, unit, number, relation, moveIn string }
		links := map[int64][]link{}
		lrows, err := s.query(ctx, `SELECT l.person_id, COALESCE(c.name, ''), b.name, h.unit, h.number, l.relation, l.move_in FROM person_houses l
			JOIN houses h ON h.id = l.house_id JOIN buildings b ON b.id = h.building_id LEFT JOIN compounds c ON c.id = b.compound_id
			WHERE l.move_out = '' AND l.person_id IN (`+in+`) ORDER BY l.move_in, l.id`)
		if err != nil {
			return n, fmt.Errorf("export house links: %w", err)
		}
		for lrows.Next() {
			var id int64
			var l link
			var unit int
			if err := lrows.Scan(&id, &l.compound, &l.building, &unit, &l.number, &l.relation, &l.moveIn); err != nil {
				lrows.Close()
				return n, err
			}
			l.unit = strconv.Itoa(unit)
			links[id] = append(links[id], l)
		}
		lrows.Close()
		for _, r := range page {
			row := r.row
			if f.Plain {
				if row[at["id_number"]], err = s.open(row[at["id_number"]]); err != nil {
					return n, err
				}
				if row[at["phone"]], err = s.open(row[at["phone"]]); err != nil {
					return n, err
				}
			}
			var labels []string
			for _, t := range civic.Tags {
				if slices.Contains(tags[r.id], t) {
					labels = append(labels, t.Label().In(lang))
				}
			}
			row[at["tags"]] = strings.Join(labels, "、")
			ls := links[r.id]
			if len(ls) == 0 {
				ls = []link{{}}
			}
			for _, l := range ls {
				out := slices.Clone(row)
				out[at["compound"]], out[at["building"]], out[at["unit"]], out[at["number"]] = l.compound, l.building, l.unit, l.number
				if l.relation != "" {
					out[at["relation"]] = civic.Relation(l.relation).Label().In(lang)
				}
				out[at["move_in"]] = l.moveIn
				if err := emit(out); err != nil {
					return n, err
				}
			}
			n++
		}
	}
}

// ExportHouses calls emit with the header row and then every house in the
// actor's scope, in the houses template's columns. It returns how many
// houses it wrote.
func (s *Store) ExportHouses(ctx context.Context, a civic.Actor, f ExportFilter, lang string, emit func(row []string) error) (int, error) {
	f.Plain = false // houses hold no personal numbers
	where, args, err := s.startExport(ctx, a, civic.ImportHouses, f, "h.grid_code")
	if err != nil {
		return 0, err
	}
	cols := civic.HouseColumns
	head := make([]string, len(cols))
	for i, c := range cols {
		head[i] = c.Label.In(lang)
	}
	if err := emit(head); err != nil {
		return 0, err
	}
	n := 0
	var after int64
	for {
		rows, err := s.query(ctx, `SELECT h.id, h.grid_code, COALESCE(c.name, ''), b.name, h.unit, h.floor, h.number, h.area_m2, h.use, COALESCE(o.name, '')
			FROM houses h JOIN buildings b ON b.id = h.building_id LEFT JOIN compounds c ON c.id = b.compound_id LEFT JOIN organisations o ON o.id = c.property_org_id
			WHERE `+where+` AND h.id > ? ORDER BY h.id LIMIT ?`, append(slices.Clone(args), after, exportPage)...)
		if err != nil {
			return n, fmt.Errorf("export houses: %w", err)
		}
		k := 0
		for rows.Next() {
			var grid, comp, bld, num, use, org string
			var unit, floor int
			var area float64
			if err := rows.Scan(&after, &grid, &comp, &bld, &unit, &floor, &num, &area, &use, &org); err != nil {
				rows.Close()
				return n, fmt.Errorf("scan house: %w", err)
			}
			areaS := ""
			if area != 0 {
				areaS = strconv.FormatFloat(area, 'f', -1, 64)
			}
			row := []string{grid, comp, bld, strconv.Itoa(unit), strconv.Itoa(floor), num, areaS, civic.HouseUse(use).Label().In(lang), org}
			if err := emit(row); err != nil {
				rows.Close()
				return n, err
			}
			k++
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, fmt.Errorf("export houses: %w", err)
		}
		if k < exportPage {
			return n, nil
		}
	}
}

// WriteExport writes what run emits as CSV (streamed, with a byte-order
// mark so that Excel reads UTF-8) or as an .xlsx sheet named sheetName.
func WriteExport(w io.Writer, format, sheetName string, run func(emit func(row []string) error) (int, error)) error {
	if format != "xlsx" {
		// Nothing is written before the first row, so that a refusal
		// (scope, permission) can still become an error response.
		cw := sheet.NewCSVWriter(w)
		started := false
		emit := func(row []string) error {
			if !started {
				started = true
				if _, err := io.WriteString(w, "\ufeff"); err != nil {
					return err
				}
			}
			return cw.Write(row)
		}
		if _, err := run(emit); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	}
	t := sheet.Table{Sheet: sheetName}
	_, err := run(func(row []string) error {
		if t.Header == nil {
			t.Header = row
			return nil
		}
		cells := make([]any, len(row))
		for i, c := range row {
			cells[i] = c
		}
		t.Rows = append(t.Rows, cells)
		return nil
	})
	if err != nil {
		return err
	}
	return sheet.Write(w, t)
}
