package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
)

const placeCols = `p.id, p.token, p.name, p.region_code, COALESCE(r.name, ''), p.address, p.has_location, p.lng, p.lat, p.active, p.created_at,
	COALESCE(p.compound_id, 0), COALESCE(cp.name, '')`
const placeFrom = ` FROM place_codes p LEFT JOIN regions r ON r.code = p.region_code LEFT JOIN compounds cp ON cp.id = p.compound_id`

func scanPlace(sc interface{ Scan(...any) error }) (civic.PlaceCode, error) {
	var p civic.PlaceCode
	err := sc.Scan(&p.ID, &p.Token, &p.Name, &p.RegionCode, &p.RegionName, &p.Address, &p.HasLocation, &p.Lng, &p.Lat, &p.Active, &p.CreatedAt, &p.CompoundID, &p.CompoundName)
	p.CreatedAt = p.CreatedAt.UTC()
	return p, err
}

// CreatePlaceCode makes a QR code for a place in the actor's scope. The
// token is random, so codes cannot be enumerated. A code may stand for a
// compound in scope: its name, region and point fill what is not given,
// and cases reported through it go to the compound's property company.
func (s *Store) CreatePlaceCode(ctx context.Context, a civic.Actor, loc *Locator, p civic.PlaceCode) (civic.PlaceCode, error) {
	if err := a.Must(civic.PermCaseDispatch); err != nil {
		return p, err
	}
	p.Name, p.Address = strings.TrimSpace(p.Name), strings.TrimSpace(p.Address)
	if p.CompoundID != 0 {
		var cp civic.Compound
		err := s.queryRow(ctx, `SELECT name, address, region_code, lng, lat FROM compounds WHERE id = ?`, p.CompoundID).Scan(&cp.Name, &cp.Address, &cp.RegionCode, &cp.Lng, &cp.Lat)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(cp.RegionCode)) {
			return p, civic.Invalid(civic.FieldErr("compound_id", "小区不存在", "the compound does not exist"))
		}
		if err != nil {
			return p, fmt.Errorf("read compound %d: %w", p.CompoundID, err)
		}
		p.CompoundName = cp.Name
		if p.Name == "" {
			p.Name = cp.Name
		}
		if p.Address == "" {
			p.Address = cp.Address
		}
		if p.RegionCode == "" {
			p.RegionCode = cp.RegionCode
		}
		if !p.HasLocation && (cp.Lng != 0 || cp.Lat != 0) {
			p.HasLocation, p.Lng, p.Lat = true, cp.Lng, cp.Lat
		}
	}
	var fs []civic.FieldError
	if n := len([]rune(p.Name)); n == 0 || n > 60 {
		fs = append(fs, civic.FieldErr("name", "请填写场所名称（不超过60字）", "name the place (at most 60 characters)"))
	}
	if len([]rune(p.Address)) > 200 {
		fs = append(fs, civic.FieldErr("address", "地址不超过200字", "the address is at most 200 characters"))
	}
	if p.HasLocation {
		if !civic.InRange(p.Lng, -180, 180) || !civic.InRange(p.Lat, -90, 90) {
			fs = append(fs, civic.FieldErr("location", "位置坐标超出范围", "the location is out of range"))
		} else if code, err := loc.Locate(ctx, geo.Point{Lng: p.Lng, Lat: p.Lat}, WGS84); err != nil {
			return p, err
		} else if code != "" {
			p.RegionCode = code
		}
	}
	if p.RegionCode == "" {
		fs = append(fs, civic.FieldErr("region_code", "请选择场所所在区域或在地图上选点", "choose the area or pick the place on the map"))
	}
	if len(fs) > 0 {
		return p, civic.Invalid(fs...)
	}
	if !a.InScope(p.RegionCode) {
		return p, regionOutOfScope(ctx, s, "region_code", p.RegionCode, civic.OutOfScope("region_code", "该场所不在您的管辖范围内", "the place is outside your scope"))
	}
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return p, fmt.Errorf("place token: %w", err)
	}
	p.Token = strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	err := s.write(ctx, func(tx *Tx) error {
		if ok, err := regionExists(ctx, tx, p.RegionCode); err != nil {
			return err
		} else if !ok {
			return civic.Invalid(civic.FieldErr("region_code", "区域“%s”不存在", "region %q does not exist", p.RegionCode))
		}
		id, err := tx.insertID(ctx, `INSERT INTO place_codes (token, name, region_code, address, has_location, lng, lat, active, created_by, created_at, compound_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, p.Token, p.Name, p.RegionCode, p.Address, p.HasLocation, p.Lng, p.Lat, true, a.UserID, tx.now, nullID(p.CompoundID))
		if err != nil {
			return fmt.Errorf("insert place code: %w", err)
		}
		p.ID, p.Active, p.CreatedAt = id, true, tx.now
		return tx.audit(ctx, a, "place.create", "place", id, p.RegionCode, nil, p)
	})
	return p, err
}

// PlaceByToken reads an active place code; anyone holding the code may.
func (s *Store) PlaceByToken(ctx context.Context, token string) (civic.PlaceCode, error) {
	p, err := scanPlace(s.queryRow(ctx, `SELECT `+placeCols+placeFrom+` WHERE p.token = ? AND p.active = ?`, token, true))
	if errors.Is(err, sql.ErrNoRows) {
		return p, civic.NotFound("场所二维码", "place code")
	}
	if err != nil {
		return p, fmt.Errorf("read place code: %w", err)
	}
	return p, nil
}

// ListPlaceCodes lists the place codes in the actor's scope.
func (s *Store) ListPlaceCodes(ctx context.Context, a civic.Actor) ([]civic.PlaceCode, error) {
	if err := a.Must(civic.PermCaseDispatch); err != nil {
		return nil, err
	}
	where, args := scopeClause(a, "p.region_code")
	rows, err := s.query(ctx, `SELECT `+placeCols+placeFrom+` WHERE `+where+` ORDER BY p.id DESC LIMIT 1000`, args...)
	if err != nil {
		return nil, fmt.Errorf("list place codes: %w", err)
	}
	defer rows.Close()
	var out []civic.PlaceCode
	for rows.Next() {
		p, err := scanPlace(rows)
		if err != nil {
			return nil, fmt.Errorf("scan place code: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SetPlaceCodeActive retires or revives a printed code.
func (s *Store) SetPlaceCodeActive(ctx context.Context, a civic.Actor, id int64, active bool) error {
	if err := a.Must(civic.PermCaseDispatch); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		var code string
		err := tx.queryRow(ctx, `SELECT region_code FROM place_codes WHERE id = ?`, id).Scan(&code)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(code)) {
			return civic.NotFound(fmt.Sprintf("场所二维码 %d", id), fmt.Sprintf("place code %d", id))
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE place_codes SET active = ? WHERE id = ?`, active, id); err != nil {
			return fmt.Errorf("update place code: %w", err)
		}
		return tx.audit(ctx, a, "place.active", "place", id, code, nil, map[string]bool{"active": active})
	})
}
