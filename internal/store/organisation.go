package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
)

const orgCols = `o.id, o.name, o.kind, o.region_code, COALESCE(r.name, ''), o.phone, o.address, o.created_at, o.updated_at`
const orgFrom = ` FROM organisations o LEFT JOIN regions r ON r.code = o.region_code`

func scanOrg(sc interface{ Scan(...any) error }) (civic.Organisation, error) {
	var o civic.Organisation
	err := sc.Scan(&o.ID, &o.Name, &o.Kind, &o.RegionCode, &o.RegionName, &o.Phone, &o.Address, &o.CreatedAt, &o.UpdatedAt)
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return o, err
}

// orgVisible reports whether the actor may see the organisation: its
// jurisdiction must be in scope and, for an actor bound to one
// organisation, it must be that one.
func orgVisible(a civic.Actor, o civic.Organisation) bool {
	if a.IsSystem() {
		return true
	}
	if a.Scope.OrgID != 0 && a.Scope.OrgID != o.ID {
		return false
	}
	return a.InScope(o.RegionCode)
}

// GetOrganisation returns one organisation in the actor's scope.
func (s *Store) GetOrganisation(ctx context.Context, a civic.Actor, id int64) (civic.Organisation, error) {
	if err := a.Must(civic.PermOrgRead); err != nil {
		return civic.Organisation{}, err
	}
	o, err := scanOrg(s.queryRow(ctx, `SELECT `+orgCols+orgFrom+` WHERE o.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !orgVisible(a, o)) {
		return civic.Organisation{}, civic.NotFound(fmt.Sprintf("组织 %d", id), fmt.Sprintf("organisation %d", id))
	}
	if err != nil {
		return civic.Organisation{}, fmt.Errorf("get organisation %d: %w", id, err)
	}
	return o, nil
}

// OrgFilter narrows ListOrganisations.
type OrgFilter struct {
	Kind  civic.OrgKind
	Under string // jurisdiction in this subtree
	// Covering adds the organisations whose jurisdiction covers the actor's
	// scope (its street office, its district's departments and property
	// companies): the ones a record in the scope may be linked to.
	Covering bool
	Query    string
	Page
}

// ancestorCodes are code's ancestors, nearest first.
func ancestorCodes(code string) []any {
	var out []any
	for p := civic.ParentCodeOf(code); p != ""; p = civic.ParentCodeOf(p) {
		out = append(out, p)
	}
	return out
}

// orgLinkable reports whether a record at region target (in the actor's
// scope) may be linked to an organisation whose jurisdiction is orgRegion:
// one in the actor's scope, or one whose jurisdiction covers the record.
func orgLinkable(a civic.Actor, orgRegion, target string) bool {
	return a.InScope(orgRegion) || orgRegion != "" && strings.HasPrefix(target, orgRegion)
}

// ListOrganisations returns organisations in the actor's scope by name.
func (s *Store) ListOrganisations(ctx context.Context, a civic.Actor, f OrgFilter) ([]civic.Organisation, int, error) {
	if err := a.Must(civic.PermOrgRead); err != nil {
		return nil, 0, err
	}
	where, args := scopeClause(a, "o.region_code")
	if anc := ancestorCodes(a.Scope.RegionCode); f.Covering && len(anc) > 0 && !a.IsSystem() {
		where = "(" + where + " OR o.region_code IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(anc)), ", ") + "))"
		args = append(args, anc...)
	}
	if a.Scope.OrgID != 0 && !a.IsSystem() {
		where += " AND o.id = ?"
		args = append(args, a.Scope.OrgID)
	}
	if f.Kind != "" {
		where += " AND o.kind = ?"
		args = append(args, string(f.Kind))
	}
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		where += " AND o.region_code >= ? AND o.region_code < ?"
		args = append(args, lo, hi)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		cond, qargs := containsAny(q, "o.name")
		where += " AND " + cond
		args = append(args, qargs...)
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*)`+orgFrom+` WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count organisations: %w", err)
	}
	p := f.Page.normal()
	rows, err := s.query(ctx, `SELECT `+orgCols+orgFrom+` WHERE `+where+` ORDER BY o.region_code, o.kind, o.name, o.id LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list organisations: %w", err)
	}
	defer rows.Close()
	var out []civic.Organisation
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("scan organisation: %w", err)
		}
		out = append(out, o)
	}
	return out, total, rows.Err()
}

// regionExists checks that a region code is in the tree.
func regionExists(ctx context.Context, q querier, code string) (bool, error) {
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM regions WHERE code = ?`, code).Scan(&n); err != nil {
		return false, fmt.Errorf("look up region %s: %w", code, err)
	}
	return n > 0, nil
}

// CreateOrganisation adds an organisation whose jurisdiction lies in scope.
func (s *Store) CreateOrganisation(ctx context.Context, a civic.Actor, o civic.Organisation) (civic.Organisation, error) {
	if err := a.Must(civic.PermOrgWrite); err != nil {
		return o, err
	}
	if err := o.Validate(); err != nil {
		return o, err
	}
	if !a.InScope(o.RegionCode) {
		return o, regionOutOfScope(ctx, s, "region_code", o.RegionCode, civic.OutOfScope("region_code", "管辖区域不在您的范围内", "the jurisdiction is outside your scope"))
	}
	err := s.write(ctx, func(tx *Tx) error {
		if ok, err := regionExists(ctx, tx, o.RegionCode); err != nil {
			return err
		} else if !ok {
			return civic.Invalid(civic.FieldErr("region_code", "区域“%s”不存在", "region %q does not exist", o.RegionCode))
		}
		id, err := tx.insertID(ctx, `INSERT INTO organisations (name, kind, region_code, phone, address, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			o.Name, string(o.Kind), o.RegionCode, o.Phone, o.Address, tx.now, tx.now)
		if err != nil {
			return fmt.Errorf("insert organisation: %w", err)
		}
		o.ID, o.CreatedAt, o.UpdatedAt = id, tx.now, tx.now
		return tx.audit(ctx, a, "organisation.create", "organisation", id, o.RegionCode, nil, o)
	})
	if err != nil {
		return civic.Organisation{}, err
	}
	return s.GetOrganisation(ctx, a, o.ID)
}

// UpdateOrganisation replaces an organisation's fields. Both the old and the
// new jurisdiction must be in scope.
func (s *Store) UpdateOrganisation(ctx context.Context, a civic.Actor, o civic.Organisation) (civic.Organisation, error) {
	if err := a.Must(civic.PermOrgWrite); err != nil {
		return o, err
	}
	before, err := s.GetOrganisation(ctx, a, o.ID)
	if err != nil {
		return o, err
	}
	if err := o.Validate(); err != nil {
		return o, err
	}
	if !a.InScope(o.RegionCode) {
		return o, regionOutOfScope(ctx, s, "region_code", o.RegionCode, civic.OutOfScope("region_code", "管辖区域不在您的范围内", "the jurisdiction is outside your scope"))
	}
	err = s.write(ctx, func(tx *Tx) error {
		if ok, err := regionExists(ctx, tx, o.RegionCode); err != nil {
			return err
		} else if !ok {
			return civic.Invalid(civic.FieldErr("region_code", "区域“%s”不存在", "region %q does not exist", o.RegionCode))
		}
		_, err := tx.exec(ctx, `UPDATE organisations SET name = ?, kind = ?, region_code = ?, phone = ?, address = ?, updated_at = ? WHERE id = ?`,
			o.Name, string(o.Kind), o.RegionCode, o.Phone, o.Address, tx.now, o.ID)
		if err != nil {
			return fmt.Errorf("update organisation %d: %w", o.ID, err)
		}
		return tx.audit(ctx, a, "organisation.update", "organisation", o.ID, o.RegionCode, before, o)
	})
	if err != nil {
		return civic.Organisation{}, err
	}
	return s.GetOrganisation(ctx, a, o.ID)
}

// ImportOrganisations adds many organisations in one transaction, all or
// nothing, and returns them with their IDs.
func (s *Store) ImportOrganisations(ctx context.Context, a civic.Actor, list []civic.Organisation) ([]civic.Organisation, error) {
	if err := a.Must(civic.PermOrgWrite); err != nil {
		return nil, err
	}
	for i := range list {
		if err := list[i].Validate(); err != nil {
			return nil, fmt.Errorf("organisation %d (%s): %w", i+1, list[i].Name, err)
		}
		if !a.InScope(list[i].RegionCode) {
			return nil, civic.OutOfScope("region_code", fmt.Sprintf("第%d个组织的管辖区域不在您的范围内", i+1), fmt.Sprintf("organisation %d: the jurisdiction is outside your scope", i+1))
		}
	}
	err := s.write(ctx, func(tx *Tx) error {
		for i := range list {
			o := &list[i]
			if ok, err := regionExists(ctx, tx, o.RegionCode); err != nil {
				return err
			} else if !ok {
				return civic.Invalid(civic.FieldErr("region_code", "第%d个组织：区域“%s”不存在", "organisation %d: region %q does not exist", i+1, o.RegionCode))
			}
			id, err := tx.insertID(ctx, `INSERT INTO organisations (name, kind, region_code, phone, address, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				o.Name, string(o.Kind), o.RegionCode, o.Phone, o.Address, tx.now, tx.now)
			if err != nil {
				return fmt.Errorf("insert organisation %s: %w", o.Name, err)
			}
			o.ID, o.CreatedAt, o.UpdatedAt = id, tx.now, tx.now
			if err := tx.audit(ctx, a, "organisation.create", "organisation", id, o.RegionCode, nil, o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}
