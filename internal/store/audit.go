package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// audit appends one entry to the audit log inside the write's transaction,
// so that a write and its record stand or fall together.
func (tx *Tx) audit(ctx context.Context, a civic.Actor, action, entity string, entityID any, regionCode string, before, after any) error {
	b, err := summary(before)
	if err != nil {
		return err
	}
	af, err := summary(after)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO audit_log (at, user_id, username, ip, action, entity, entity_id, region_code, before_json, after_json)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tx.now, a.UserID, a.Username, a.IP, action, entity, fmt.Sprint(entityID), regionCode, b, af)
	if err != nil {
		return fmt.Errorf("write audit entry %s: %w", action, err)
	}
	return nil
}

func summary(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("summarise audit record: %w", err)
	}
	return string(b), nil
}

// AuditFilter narrows the audit log.
type AuditFilter struct {
	Username   string
	Entity     string
	EntityID   string
	Action     string
	RegionCode string
	From, To   time.Time // To is exclusive; zero means open
	Page
}

// ListAudit returns audit entries newest first, limited to the actor's
// scope, and the total count.
func (s *Store) ListAudit(ctx context.Context, a civic.Actor, f AuditFilter) ([]civic.AuditEntry, int, error) {
	if err := a.Must(civic.PermAuditRead); err != nil {
		return nil, 0, err
	}
	where, args := scopeClause(a, "region_code")
	add := func(cond string, v any) { where += " AND " + cond; args = append(args, v) }
	if f.Username != "" {
		add("username = ?", f.Username)
	}
	if f.Entity != "" {
		add("entity = ?", f.Entity)
	}
	if f.EntityID != "" {
		add("entity_id = ?", f.EntityID)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.RegionCode != "" {
		lo, hi := civic.ScopePrefixRange(f.RegionCode)
		add("region_code >= ?", lo)
		add("region_code < ?", hi)
	}
	if !f.From.IsZero() {
		add("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		add("at < ?", f.To.UTC())
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count audit log: %w", err)
	}
	p := f.Page.normal()
	rows, err := s.query(ctx, `SELECT id, at, user_id, username, ip, action, entity, entity_id, region_code, before_json, after_json
		FROM audit_log WHERE `+where+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list audit log: %w", err)
	}
	defer rows.Close()
	var out []civic.AuditEntry
	for rows.Next() {
		var e civic.AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.UserID, &e.Username, &e.IP, &e.Action, &e.Entity, &e.EntityID, &e.RegionCode, &e.Before, &e.After); err != nil {
			return nil, 0, fmt.Errorf("scan audit entry: %w", err)
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	return out, total, rows.Err()
}
