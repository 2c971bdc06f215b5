package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
)

// Short-term rental reports (房东报备). Staff report for houses in their
// scope; a resident reports as a landlord for the houses they own now,
// their account being tied to their person in the register through
// person_accounts (LinkAccount, done by community staff). The tenant is
// found by the keyed hash of their ID number or registered as floating
// population in the house's grid, and linked to the house as a tenant from
// the arrival day; EndRentals ends the link on the departure day once it
// has passed.

// LinkAccount ties a resident's account to a person of the register, so
// that they can report tenants of the houses that person owns. A person
// has at most one account and an account one person; linking again moves
// the link.
func (s *Store) LinkAccount(ctx context.Context, a civic.Actor, userID, personID int64) error {
	if err := a.Must(civic.PermPeopleWrite); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		var grid, name string
		err := tx.queryRow(ctx, `SELECT grid_code, name FROM people WHERE id = ?`, personID).Scan(&grid, &name)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(grid)) {
			return civic.Invalid(civic.FieldErr("person_id", "人员不存在", "the person does not exist"))
		}
		if err != nil {
			return fmt.Errorf("read person %d: %w", personID, err)
		}
		var role, username string
		err = tx.queryRow(ctx, `SELECT role, username FROM users WHERE id = ?`, userID).Scan(&role, &username)
		if errors.Is(err, sql.ErrNoRows) {
			return civic.Invalid(civic.FieldErr("user_id", "账号不存在", "the account does not exist"))
		}
		if err != nil {
			return fmt.Errorf("read user %d: %w", userID, err)
		}
		if civic.Role(role) != civic.RoleResident {
			return civic.Invalid(civic.FieldErr("user_id", "只能关联居民账号", "only resident accounts are tied to people"))
		}
		if _, err := tx.exec(ctx, `DELETE FROM person_accounts WHERE user_id = ? OR person_id = ?`, userID, personID); err != nil {
			return fmt.Errorf("unlink account %d: %w", userID, err)
		}
		if _, err := tx.exec(ctx, `INSERT INTO person_accounts (user_id, person_id, linked_at, linked_by) VALUES (?, ?, ?, ?)`, userID, personID, tx.now, a.Username); err != nil {
			return fmt.Errorf("link account %d: %w", userID, err)
		}
		return tx.audit(ctx, a, "person.account", "person", personID, grid, nil, map[string]any{"user_id": userID, "username": username, "name": name})
	})
}

// OwnedHouses lists the houses the resident's linked person owns now: the
// houses a landlord may report tenants for.
func (s *Store) OwnedHouses(ctx context.Context, a civic.Actor) ([]civic.House, error) {
	if err := a.Must(civic.PermRentalReport); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, `SELECT h.id, h.grid_code, h.address FROM person_accounts pa
		JOIN person_houses l ON l.person_id = pa.person_id AND l.relation = 'owner' AND l.move_out = ''
		JOIN houses h ON h.id = l.house_id WHERE pa.user_id = ? ORDER BY h.address, h.id`, a.UserID)
	if err != nil {
		return nil, fmt.Errorf("list owned houses: %w", err)
	}
	defer rows.Close()
	var out []civic.House
	for rows.Next() {
		var h civic.House
		if err := rows.Scan(&h.ID, &h.GridCode, &h.Address); err != nil {
			return nil, fmt.Errorf("scan house: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// rentalHouse checks that the actor may report tenants for a house and
// returns its grid and address, and the actor the writes run as. A
// landlord's own scope says nothing about the house, so their writes run
// with the scope of the house's community (where the tenant may already be
// registered), still under their own name in the audit log.
func (tx *Tx) rentalHouse(ctx context.Context, a civic.Actor, houseID int64) (grid, address string, as civic.Actor, err error) {
	if a.Role != civic.RoleResident {
		grid, address, err = tx.houseInScope(ctx, a, houseID, "house_id")
		return grid, address, a, err
	}
	err = tx.queryRow(ctx, `SELECT h.grid_code, h.address FROM person_accounts pa
		JOIN person_houses l ON l.person_id = pa.person_id AND l.relation = 'owner' AND l.move_out = ''
		JOIN houses h ON h.id = l.house_id WHERE pa.user_id = ? AND h.id = ?`, a.UserID, houseID).Scan(&grid, &address)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", a, civic.Invalid(civic.FieldErr("house_id", "只能报备您名下的房屋，如有疑问请联系社区", "you can report tenants only for houses you own; ask the community if this is wrong"))
	}
	if err != nil {
		return "", "", a, fmt.Errorf("read owned house %d: %w", houseID, err)
	}
	as = a
	as.Scope = civic.Scope{RegionCode: grid}
	if len(grid) >= 12 {
		as.Scope.RegionCode = grid[:12]
	}
	return grid, address, as, nil
}

// ReportRental records a short-term tenant: finds or registers the person,
// links them to the house as a tenant from the arrival day, and files the
// report. The result is masked.
func (s *Store) ReportRental(ctx context.Context, a civic.Actor, r civic.Rental) (civic.Rental, error) {
	if err := a.Must(civic.PermRentalReport); err != nil {
		return r, err
	}
	if err := r.Validate(civic.Today(s.Now())); err != nil {
		return r, err
	}
	if s.vault == nil {
		return r, errNoVault
	}
	given := r
	err := s.write(ctx, func(tx *Tx) error {
		// Every run starts from what was given: the numbers are masked
		// below, and write may run this again.
		r = given
		grid, address, as, err := tx.rentalHouse(ctx, a, r.HouseID)
		if err != nil {
			return err
		}
		var pGrid, pName string
		err = tx.queryRow(ctx, `SELECT id, grid_code, name FROM people WHERE id_hash = ?`, s.vault.Lookup(lookupID, r.IDNumber)).Scan(&r.TenantID, &pGrid, &pName)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			p := civic.Person{GridCode: grid, Name: r.TenantName, IDType: r.IDType, IDNumber: r.IDNumber, Phone: r.Phone, ResidenceType: civic.ResidenceFloating}
			if err := tx.savePerson(ctx, as, &p, nil, TagReasonRental); err != nil {
				return err
			}
			r.TenantID = p.ID
		case err != nil:
			return fmt.Errorf("look up tenant: %w", err)
		case !as.InScope(pGrid):
			return civic.Errorf(civic.EConflict, "该证件号已在其他辖区登记，请联系社区办理", "this ID number is registered elsewhere; ask the community")
		case pName != r.TenantName:
			// The registered name is not shown: the reporter may be a
			// landlord, who has no right to read the register.
			return civic.Invalid(civic.FieldErr("tenant_name", "姓名与该证件号的登记信息不符", "the name does not match the one registered with this ID number"))
		}
		link := civic.HouseLink{PersonID: r.TenantID, HouseID: r.HouseID, Relation: civic.RelationTenant, MoveIn: r.From}
		if err := tx.linkHouse(ctx, as, &link); err != nil {
			return err
		}
		r.LinkID, r.GridCode, r.HouseAddress = link.ID, grid, address
		r.ReporterID, r.ReporterName, r.ByLandlord, r.CreatedAt = a.UserID, a.DisplayName, a.Role == civic.RoleResident, tx.now
		if r.ReporterName == "" {
			r.ReporterName = a.Username
		}
		// The tenant may have moved grid with the link.
		if err := tx.queryRow(ctx, `SELECT id_mask, phone_mask FROM people WHERE id = ?`, r.TenantID).Scan(&r.IDNumber, &r.Phone); err != nil {
			return fmt.Errorf("read tenant %d: %w", r.TenantID, err)
		}
		id, err := tx.insertID(ctx, `INSERT INTO rentals (house_id, grid_code, tenant_id, link_id, from_date, to_date, ended, note, reporter_id, reporter_name, by_landlord, created_at)
			VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?)`, r.HouseID, grid, r.TenantID, r.LinkID, r.From, r.To, r.Note, r.ReporterID, r.ReporterName, r.ByLandlord, tx.now)
		if err != nil {
			return fmt.Errorf("insert rental: %w", err)
		}
		r.ID = id
		return tx.audit(ctx, a, "rental.create", "rental", id, grid, nil, r)
	})
	if err != nil {
		return civic.Rental{}, err
	}
	return r, nil
}

const rentalCols = `r.id, r.house_id, h.address, r.grid_code, COALESCE(g.name, ''), r.tenant_id, r.link_id, p.name, p.id_type, p.id_mask, p.phone_mask,
	r.from_date, r.to_date, r.ended, r.note, r.reporter_id, r.reporter_name, r.by_landlord, r.created_at`
const rentalFrom = ` FROM rentals r JOIN houses h ON h.id = r.house_id JOIN people p ON p.id = r.tenant_id LEFT JOIN regions g ON g.code = r.grid_code`

func scanRental(sc interface{ Scan(...any) error }) (civic.Rental, error) {
	var r civic.Rental
	var idType string
	err := sc.Scan(&r.ID, &r.HouseID, &r.HouseAddress, &r.GridCode, &r.GridName, &r.TenantID, &r.LinkID, &r.TenantName, &idType, &r.IDNumber, &r.Phone,
		&r.From, &r.To, &r.Ended, &r.Note, &r.ReporterID, &r.ReporterName, &r.ByLandlord, &r.CreatedAt)
	r.IDType, r.CreatedAt = civic.IDType(idType), r.CreatedAt.UTC()
	return r, err
}

// RentalFilter narrows ListRentals.
type RentalFilter struct {
	Under   string
	HouseID int64
	// Arriving and Leaving pick reports whose arrival or departure day is
	// the date given (YYYY-MM-DD).
	Arriving string
	Leaving  string
	// Current picks stays not yet ended.
	Current bool
	Page
}

// ListRentals lists reports, masked: staff see those in their scope, a
// landlord the ones they filed.
func (s *Store) ListRentals(ctx context.Context, a civic.Actor, f RentalFilter) ([]civic.Rental, int, error) {
	var where string
	var args []any
	switch {
	case a.Can(civic.PermPeopleRead):
		where, args = scopeClause(a, "r.grid_code")
	case a.Can(civic.PermRentalReport):
		where, args = "r.reporter_id = ?", []any{a.UserID}
	default:
		return nil, 0, civic.Forbidden()
	}
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		where += " AND r.grid_code >= ? AND r.grid_code < ?"
		args = append(args, lo, hi)
	}
	if f.HouseID != 0 {
		where += " AND r.house_id = ?"
		args = append(args, f.HouseID)
	}
	if f.Arriving != "" {
		where += " AND r.from_date = ?"
		args = append(args, f.Arriving)
	}
	if f.Leaving != "" {
		where += " AND r.to_date = ?"
		args = append(args, f.Leaving)
	}
	if f.Current {
		where += " AND r.ended = ''"
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM rentals r WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count rentals: %w", err)
	}
	p := f.Page.normal()
	rows, err := s.query(ctx, `SELECT `+rentalCols+rentalFrom+` WHERE `+where+` ORDER BY r.from_date DESC, r.id DESC LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list rentals: %w", err)
	}
	defer rows.Close()
	var out []civic.Rental
	for rows.Next() {
		r, err := scanRental(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("scan rental: %w", err)
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// RentalDay is one day's arrivals and departures in a community (or any
// region) for the floating-population daily list.
type RentalDay struct {
	Date       string         `json:"date"`
	Under      string         `json:"under"`
	Arrivals   []civic.Rental `json:"arrivals"`
	Departures []civic.Rental `json:"departures"`
}

// DailyRentals lists the arrivals and departures of one day under a
// region in the actor's scope.
func (s *Store) DailyRentals(ctx context.Context, a civic.Actor, under, day string) (RentalDay, error) {
	d := RentalDay{Date: day, Under: under}
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return d, err
	}
	if _, err := time.Parse(civic.DateLayout, day); err != nil {
		return d, civic.Invalid(civic.FieldErr("date", "日期格式应为YYYY-MM-DD", "the date is YYYY-MM-DD"))
	}
	var err error
	if d.Arrivals, _, err = s.ListRentals(ctx, a, RentalFilter{Under: under, Arriving: day, Page: Page{Limit: 10000}}); err != nil {
		return d, err
	}
	d.Departures, _, err = s.ListRentals(ctx, a, RentalFilter{Under: under, Leaving: day, Page: Page{Limit: 10000}})
	return d, err
}

// EndRentals ends the tenant links of stays whose departure day has passed
// (China date) and returns how many ended. It is idempotent; the care job
// runs it.
func (s *Store) EndRentals(ctx context.Context) (int, error) {
	today := civic.Today(s.Now())
	ended := 0
	for {
		rows, err := s.query(ctx, `SELECT id FROM rentals WHERE ended = '' AND to_date < ? ORDER BY id LIMIT 200`, today)
		if err != nil {
			return ended, fmt.Errorf("find ended stays: %w", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return ended, fmt.Errorf("scan rental: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) == 0 {
			return ended, nil
		}
		// Counted when the page commits: write may run it again.
		page := 0
		err = s.write(ctx, func(tx *Tx) error {
			page = 0
			for _, id := range ids {
				n, err := tx.endRental(ctx, id)
				if err != nil {
					return err
				}
				page += n
			}
			return nil
		})
		if err != nil {
			return ended, err
		}
		ended += page
	}
}

// endRental ends one stay's link on its departure day, unless someone
// ended it already or another server got there first.
func (tx *Tx) endRental(ctx context.Context, id int64) (int, error) {
	var link, tenant, house int64
	var to, grid string
	err := tx.queryRow(ctx, `SELECT link_id, tenant_id, house_id, to_date, grid_code FROM rentals WHERE id = ? AND ended = ''`+tx.s.forUpdate(), id).Scan(&link, &tenant, &house, &to, &grid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read rental %d: %w", id, err)
	}
	if _, err := tx.exec(ctx, `UPDATE person_houses SET move_out = ?, updated_at = ? WHERE id = ? AND move_out = ''`, to, tx.now, link); err != nil {
		return 0, fmt.Errorf("end rental %d link: %w", id, err)
	}
	if err := tx.refreshLinks(ctx, tenant, house); err != nil {
		return 0, err
	}
	if _, err := tx.exec(ctx, `UPDATE rentals SET ended = ? WHERE id = ?`, to, id); err != nil {
		return 0, fmt.Errorf("end rental %d: %w", id, err)
	}
	return 1, tx.audit(ctx, civic.System, "rental.end", "rental", id, grid, nil, map[string]any{"tenant_id": tenant, "house_id": house, "move_out": to})
}

// WriteRentalDay writes a day's list as .xlsx or .csv, arrivals then
// departures, with masked ID and phone numbers.
func WriteRentalDay(w io.Writer, d RentalDay, format SheetFormat, lang string) error {
	zh := lang != "en"
	pick := func(z, e string) string {
		if zh {
			return z
		}
		return e
	}
	header := []string{pick("类别", "kind"), pick("租客", "tenant"), pick("证件类型", "document"), pick("证件号码", "ID number"), pick("电话", "phone"),
		pick("房屋", "house"), pick("网格", "grid"), pick("入住日期", "arrival"), pick("离开日期", "departure"), pick("报备人", "reported by"), pick("备注", "note")}
	var rows [][]string
	for _, part := range []struct {
		kind string
		rs   []civic.Rental
	}{{pick("入住", "arrival"), d.Arrivals}, {pick("离开", "departure"), d.Departures}} {
		for _, r := range part.rs {
			rows = append(rows, []string{part.kind, r.TenantName, r.IDType.Label().In(lang), r.IDNumber, r.Phone, r.HouseAddress, r.GridName, r.From, r.To, r.ReporterName, r.Note})
		}
	}
	switch format {
	case SheetCSV:
		// The BOM makes Excel open the file as UTF-8 rather than GBK.
		if _, err := io.WriteString(w, "\xef\xbb\xbf"); err != nil {
			return fmt.Errorf("write rentals csv: %w", err)
		}
		cw := sheet.NewCSVWriter(w)
		if err := cw.Write(header); err != nil {
			return fmt.Errorf("write rentals csv: %w", err)
		}
		if err := cw.WriteAll(rows); err != nil {
			return fmt.Errorf("write rentals csv: %w", err)
		}
		return nil
	case SheetXLSX:
		t := sheet.Table{Sheet: pick("流动人口"+d.Date, "rentals "+d.Date), Header: header, Widths: []float64{8, 10, 16, 22, 14, 30, 16, 12, 12, 12, 24}}
		for _, r := range rows {
			cells := make([]any, len(r))
			for i, v := range r {
				cells[i] = v
			}
			t.Rows = append(t.Rows, cells)
		}
		return sheet.Write(w, t)
	}
	return civic.Invalid(civic.FieldErr("format", "格式应为xlsx或csv", "the format is xlsx or csv"))
}
