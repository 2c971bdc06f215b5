package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// WhistleStat is one department's record of answering whistles (吹哨报到)
// in a period, for its assessment: how often it was summoned, how often it
// checked in, how often on time, and how long it took on average.
type WhistleStat struct {
	OrgID    int64  `json:"org_id"`
	OrgName  string `json:"org_name"`
	Summoned int    `json:"summoned"`
	Lead     int    `json:"lead"`
	// CheckedIn counts check-ins so far; OnTime those by the deadline.
	CheckedIn int `json:"checked_in"`
	OnTime    int `json:"on_time"`
	// Missed are summons whose deadline passed without a check-in.
	Missed int `json:"missed"`
	// AvgResponseMinutes is the mean natural time from summons to
	// check-in; 0 without check-ins.
	AvgResponseMinutes float64 `json:"avg_response_minutes"`
}

// whistleFact is one summons with what the figures need of it.
type whistleFact struct {
	caseID         int64
	region         string // the case's place
	orgID          int64
	orgName        string
	lead           bool
	summoned, due  time.Time
	checkedIn      time.Time // zero: not yet
	onTime, missed bool
}

// WhistleStats lists, per summoned department, the whistles of the period
// (summoned in [From, To)) over the cases the actor may assess — the same
// scope as CaseMetrics.
func (s *Store) WhistleStats(ctx context.Context, a civic.Actor, f MetricsFilter) ([]WhistleStat, error) {
	facts, err := s.whistleFacts(ctx, a, f)
	if err != nil {
		return nil, err
	}
	byOrg := map[int64]*WhistleStat{}
	var order []int64
	minutes := map[int64]float64{}
	for _, w := range facts {
		st, ok := byOrg[w.orgID]
		if !ok {
			st = &WhistleStat{OrgID: w.orgID, OrgName: w.orgName}
			byOrg[w.orgID] = st
			order = append(order, w.orgID)
		}
		st.Summoned++
		if w.lead {
			st.Lead++
		}
		if !w.checkedIn.IsZero() {
			st.CheckedIn++
			minutes[w.orgID] += w.checkedIn.Sub(w.summoned).Minutes()
		}
		if w.onTime {
			st.OnTime++
		}
		if w.missed {
			st.Missed++
		}
	}
	out := make([]WhistleStat, 0, len(order))
	for _, org := range order {
		st := byOrg[org]
		if st.CheckedIn > 0 {
			st.AvgResponseMinutes = minutes[org] / float64(st.CheckedIn)
		}
		out = append(out, *st)
	}
	return out, nil
}

// whistleFacts reads the summons of the period over the cases the actor
// may assess, ordered by department.
func (s *Store) whistleFacts(ctx context.Context, a civic.Actor, f MetricsFilter) ([]whistleFact, error) {
	where, args, err := metricsScope(a, &f)
	if err != nil {
		return nil, err
	}
	if err := f.normalise(); err != nil {
		return nil, err
	}
	q := `SELECT w.case_id, c.region_code, w.org_id, COALESCE(o.name, ''), w.lead, w.summoned_at, w.due_at, w.checked_in_at
		FROM case_whistles w JOIN cases c ON c.id = w.case_id LEFT JOIN organisations o ON o.id = w.org_id
		WHERE ` + where + ` AND w.summoned_at >= ? AND w.summoned_at < ?`
	args = append(args, f.From, f.To)
	if f.HandlerOrgID != 0 {
		q += ` AND w.org_id = ?`
		args = append(args, f.HandlerOrgID)
	}
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		q += ` AND c.region_code >= ? AND c.region_code < ?`
		args = append(args, lo, hi)
	}
	rows, err := s.query(ctx, q+` ORDER BY w.org_id, w.case_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("whistle stats: %w", err)
	}
	defer rows.Close()
	now := s.Now()
	var out []whistleFact
	for rows.Next() {
		var w whistleFact
		var in sql.NullTime
		if err := rows.Scan(&w.caseID, &w.region, &w.orgID, &w.orgName, &w.lead, &w.summoned, &w.due, &in); err != nil {
			return nil, fmt.Errorf("scan whistle: %w", err)
		}
		switch {
		case in.Valid:
			w.checkedIn = in.Time
			w.onTime = !in.Time.After(w.due)
		case now.After(w.due):
			w.missed = true
		}
		out = append(out, w)
	}
	return out, rows.Err()
}
