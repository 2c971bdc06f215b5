package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/calendar"
	"github.com/civicgrid/civicgrid/internal/civic"
)

// summoned reports whether the actor's organisation has been summoned to
// the case: summoned departments see the case they must check in to.
func summoned(ctx context.Context, q querier, caseID int64, a civic.Actor) (bool, error) {
	if a.Scope.OrgID == 0 {
		return false, nil
	}
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM case_whistles WHERE case_id = ? AND org_id = ?`, caseID, a.Scope.OrgID).Scan(&n); err != nil {
		return false, fmt.Errorf("look up summons: %w", err)
	}
	return n > 0, nil
}

// whistle summons departments to a case (吹哨): each gets a check-in
// deadline on the working calendar; the lead is recorded.
func (tx *Tx) whistle(ctx context.Context, a civic.Actor, c *civic.Case, in CaseInput, ev *caseEvent) error {
	if len(in.WhistleOrgIDs) == 0 {
		return need("whistle_org_ids", "请选择要吹哨召集的部门", "choose the departments to summon")
	}
	lead := in.LeadOrgID
	if lead == 0 {
		lead = in.WhistleOrgIDs[0]
	}
	found := false
	for _, id := range in.WhistleOrgIDs {
		found = found || id == lead
	}
	if !found {
		return need("lead_org_id", "牵头部门必须是被召集的部门之一", "the lead must be one of the summoned departments")
	}
	cal, err := tx.s.workCalendar(ctx)
	if err != nil {
		return err
	}
	set := tx.s.caseSettings()
	due := cal.Deadline(tx.now, calendar.Budget{Amount: set.CheckInHours, Unit: calendar.WorkHours}, nil).UTC()
	var names []string
	for _, id := range in.WhistleOrgIDs {
		var name, kind, code string
		err := tx.queryRow(ctx, `SELECT name, kind, region_code FROM organisations WHERE id = ?`, id).Scan(&name, &kind, &code)
		// A summoned department reads the case: like a dispatch, it must
		// serve the place or lie in the whistle-blower's territory, and one
		// that does not answers as one that does not exist.
		if errors.Is(err, sql.ErrNoRows) || err == nil && !civic.InSubtree(c.RegionCode, code) && !a.InScope(code) {
			return need("whistle_org_ids", "被召集的部门不存在或其管辖范围不包括事发地", "a summoned department does not exist or its jurisdiction does not cover the place")
		}
		if err != nil {
			return fmt.Errorf("read organisation %d: %w", id, err)
		}
		if kind == string(civic.OrgCommunityCommittee) || kind == string(civic.OrgStreetOffice) {
			return need("whistle_org_ids", "吹哨召集的是职能部门或承办单位，不是街道或社区", "summon departments or handling organisations, not streets or communities")
		}
		_, err = tx.exec(ctx, `INSERT INTO case_whistles (case_id, org_id, lead, summoned_by, summoned_at, due_at, note) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			c.ID, id, id == lead, a.UserID, tx.now, due, in.Note)
		if err != nil {
			return fmt.Errorf("summon organisation %d: %w", id, err)
		}
		role := "协办"
		if id == lead {
			role = "牵头"
		}
		names = append(names, name+"（"+role+"）")
	}
	ev.skipUpdate = true
	ev.note = strings.TrimSpace(fmt.Sprintf("吹哨召集：%s，须于%s前报到。%s", strings.Join(names, "、"), due.In(civic.ChinaTime).Format("01-02 15:04"), in.Note))
	ev.data = fmt.Sprintf(`{"orgs":%s,"lead":%d,"due":%q}`, jsonInts(in.WhistleOrgIDs), lead, due.Format(time.RFC3339))
	return nil
}

// checkIn records a summoned department reporting in (报到).
func (tx *Tx) checkIn(ctx context.Context, a civic.Actor, c *civic.Case, in CaseInput, ev *caseEvent) error {
	var summonedAt, due time.Time
	var at sql.NullTime
	err := tx.queryRow(ctx, `SELECT summoned_at, due_at, checked_in_at FROM case_whistles WHERE case_id = ? AND org_id = ?`, c.ID, a.Scope.OrgID).Scan(&summonedAt, &due, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return civic.Forbidden()
	}
	if err != nil {
		return fmt.Errorf("read summons: %w", err)
	}
	if at.Valid {
		return civic.Errorf(civic.EConflict, "本单位已经报到", "your organisation has checked in already")
	}
	res, err := tx.exec(ctx, `UPDATE case_whistles SET checked_in_at = ?, checked_in_by = ? WHERE case_id = ? AND org_id = ? AND checked_in_at IS NULL`,
		tx.now, a.UserID, c.ID, a.Scope.OrgID)
	if err != nil {
		return fmt.Errorf("check in: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errRaced
	}
	mins := tx.now.Sub(summonedAt).Minutes()
	late := tx.now.After(due)
	ev.skipUpdate = true
	ev.note = strings.TrimSpace(fmt.Sprintf("已报到（用时%.0f分钟%s）。%s", mins, map[bool]string{true: "，超时", false: ""}[late], in.Note))
	ev.data = fmt.Sprintf(`{"org_id":%d,"response_minutes":%.1f,"late":%v}`, a.Scope.OrgID, mins, late)
	return nil
}

// CaseWhistles lists the departments summoned to a case and their
// check-ins.
func (s *Store) CaseWhistles(ctx context.Context, a civic.Actor, id int64) ([]civic.Whistle, error) {
	if _, err := s.GetCase(ctx, a, id); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, `SELECT w.case_id, w.org_id, COALESCE(o.name, ''), w.lead, w.summoned_at, w.due_at, w.checked_in_at
		FROM case_whistles w LEFT JOIN organisations o ON o.id = w.org_id WHERE w.case_id = ? ORDER BY w.lead DESC, w.id`, id)
	if err != nil {
		return nil, fmt.Errorf("case %d whistles: %w", id, err)
	}
	defer rows.Close()
	now := s.Now()
	var out []civic.Whistle
	for rows.Next() {
		var w civic.Whistle
		var at sql.NullTime
		if err := rows.Scan(&w.CaseID, &w.OrgID, &w.OrgName, &w.Lead, &w.SummonedAt, &w.DueAt, &at); err != nil {
			return nil, fmt.Errorf("scan whistle: %w", err)
		}
		w.SummonedAt, w.DueAt = w.SummonedAt.UTC(), w.DueAt.UTC()
		if at.Valid {
			t := at.Time.UTC()
			w.CheckedInAt = &t
			w.ResponseMinutes = t.Sub(w.SummonedAt).Minutes()
			w.Late = t.After(w.DueAt)
		} else {
			w.Late = now.After(w.DueAt)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

func jsonInts(xs []int64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return "[" + strings.Join(parts, ",") + "]"
}
