package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
)

// Reports (日报/周报/月报, 一表通; docs/REPORTS.md). A template's figures are
// computed for a region and a period from what already answers them: case
// counts from the roll-ups (one range read per table), rates from
// CaseMetrics (one pass over the period's timelines, only when the
// template asks for a rate), people figures from the people tables'
// counters. The values are stored as a snapshot and never recomputed.

const reportTemplateCols = `id, name, kind, scope_level, region_code, layout, active, active_since, updated_by, updated_at,
	schedule_failures, schedule_error, schedule_retry_at`

func scanReportTemplate(sc interface{ Scan(...any) error }) (civic.ReportTemplate, error) {
	var t civic.ReportTemplate
	var layout string
	var since, at, retry sql.NullTime
	if err := sc.Scan(&t.ID, &t.Name, &t.Kind, &t.ScopeLevel, &t.RegionCode, &layout, &t.Active, &since, &t.UpdatedBy, &at,
		&t.ScheduleFailures, &t.ScheduleError, &retry); err != nil {
		return t, err
	}
	if since.Valid {
		t.ActiveSince = since.Time
	}
	if retry.Valid {
		t.ScheduleRetryAt = retry.Time
	}
	if at.Valid {
		t.UpdatedAt = at.Time
	}
	if err := json.Unmarshal([]byte(layout), &t.Rows); err != nil {
		return t, fmt.Errorf("report template %d rows: %w", t.ID, err)
	}
	return t, nil
}

// ListReportTemplates returns every template, for those who read reports.
func (s *Store) ListReportTemplates(ctx context.Context, a civic.Actor) ([]civic.ReportTemplate, error) {
	if err := a.Must(civic.PermCaseMetrics); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, `SELECT `+reportTemplateCols+` FROM report_templates ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list report templates: %w", err)
	}
	defer rows.Close()
	var ts []civic.ReportTemplate
	for rows.Next() {
		t, err := scanReportTemplate(rows)
		if err != nil {
			return nil, fmt.Errorf("list report templates: %w", err)
		}
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

// GetReportTemplate returns one template.
func (s *Store) GetReportTemplate(ctx context.Context, a civic.Actor, id int64) (civic.ReportTemplate, error) {
	if err := a.Must(civic.PermCaseMetrics); err != nil {
		return civic.ReportTemplate{}, err
	}
	return s.reportTemplate(ctx, s, id)
}

func (s *Store) reportTemplate(ctx context.Context, q querier, id int64) (civic.ReportTemplate, error) {
	t, err := scanReportTemplate(q.queryRow(ctx, `SELECT `+reportTemplateCols+` FROM report_templates WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, civic.NotFound("报表模板", "report template")
	}
	if err != nil {
		return t, fmt.Errorf("get report template %d: %w", id, err)
	}
	return t, nil
}

// mayEditTemplate checks who may keep a template: an administrator, city-wide
// for a template of a whole level (it is made for every such region), in
// scope for one region's.
func mayEditTemplate(a civic.Actor, t civic.ReportTemplate) error {
	if t.RegionCode == "" {
		return a.MustCityWide(civic.PermReportTemplates)
	}
	if err := a.Must(civic.PermReportTemplates); err != nil {
		return err
	}
	if !a.InScope(t.RegionCode) {
		return civic.OutOfScope("region_code", "该区域不在您的管辖范围内", "the region is outside your scope")
	}
	return nil
}

// templateAudit is what the audit log keeps of a template.
func templateAudit(t civic.ReportTemplate) map[string]any {
	figs := make([]string, len(t.Rows))
	for i, r := range t.Rows {
		figs[i] = r.Figure
		if r.Manual {
			figs[i] = "manual:" + r.Label
		}
	}
	return map[string]any{"name": t.Name, "kind": t.Kind, "scope_level": t.ScopeLevel, "region_code": t.RegionCode, "active": t.Active, "rows": figs}
}

// SaveReportTemplate creates a template (ID 0) or replaces one. Reports
// already generated keep their snapshot.
func (s *Store) SaveReportTemplate(ctx context.Context, a civic.Actor, t civic.ReportTemplate) (civic.ReportTemplate, error) {
	if err := a.Must(civic.PermReportTemplates); err != nil {
		return t, err
	}
	if err := t.Validate(); err != nil {
		return t, err
	}
	if err := mayEditTemplate(a, t); err != nil {
		return t, err
	}
	layout, err := json.Marshal(t.Rows)
	if err != nil {
		return t, fmt.Errorf("encode report template rows: %w", err)
	}
	err = s.write(ctx, func(tx *Tx) error {
		if t.RegionCode != "" {
			var n int
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM regions WHERE code = ?`, t.RegionCode).Scan(&n); err != nil {
				return fmt.Errorf("check region %s: %w", t.RegionCode, err)
			}
			if n == 0 {
				return civic.Invalid(civic.FieldErr("region_code", "没有区域“%s”", "there is no region %q", t.RegionCode))
			}
		}
		if t.ID == 0 {
			var since *time.Time
			if t.Active {
				since = &tx.now
			}
			t.ID, err = tx.insertID(ctx, `INSERT INTO report_templates (name, kind, scope_level, region_code, layout, active, active_since, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				t.Name, t.Kind, t.ScopeLevel, t.RegionCode, string(layout), t.Active, nullTime(since), a.Username, tx.now)
			if err != nil {
				return fmt.Errorf("insert report template: %w", err)
			}
			return tx.audit(ctx, a, "report_template.create", "report_template", t.ID, t.RegionCode, nil, templateAudit(t))
		}
		before, err := s.reportTemplate(ctx, tx, t.ID)
		if err != nil {
			return err
		}
		if err := mayEditTemplate(a, before); err != nil {
			return err
		}
		// Switched on again, a template owes the periods from now on, not
		// those of the time it was off.
		var since *time.Time
		if !before.ActiveSince.IsZero() {
			since = &before.ActiveSince
		}
		if t.Active && !before.Active {
			since = &tx.now
		}
		// An edit may be the fix for what made the schedule fail: the
		// template is tried again at the next pass, not after its wait.
		if _, err := tx.exec(ctx, `UPDATE report_templates SET name = ?, kind = ?, scope_level = ?, region_code = ?, layout = ?, active = ?, active_since = ?, updated_by = ?, updated_at = ?,
			schedule_failures = 0, schedule_error = '', schedule_retry_at = NULL WHERE id = ?`,
			t.Name, t.Kind, t.ScopeLevel, t.RegionCode, string(layout), t.Active, nullTime(since), a.Username, tx.now, t.ID); err != nil {
			return fmt.Errorf("update report template %d: %w", t.ID, err)
		}
		return tx.audit(ctx, a, "report_template.update", "report_template", t.ID, t.RegionCode, templateAudit(before), templateAudit(t))
	})
	if err != nil {
		return t, err
	}
	return s.reportTemplate(ctx, s, t.ID)
}

// DeleteReportTemplate removes a template made by mistake. A template
// that any report was generated from stays, since its reports point at
// it: it is switched off instead (Active false), which stops the schedule.
func (s *Store) DeleteReportTemplate(ctx context.Context, a civic.Actor, id int64) error {
	if err := a.Must(civic.PermReportTemplates); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		before, err := s.reportTemplate(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := mayEditTemplate(a, before); err != nil {
			return err
		}
		n, err := templateUses(ctx, tx, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return civic.Errorf(civic.EConflict, "已按该模板生成了%d份报表，不能删除；不再需要时请取消“按计划生成”",
				"%d reports were generated from this template, so it cannot be deleted; switch off its schedule instead", n)
		}
		if _, err := tx.exec(ctx, `DELETE FROM report_templates WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete report template %d: %w", id, err)
		}
		return tx.audit(ctx, a, "report_template.delete", "report_template", id, before.RegionCode, templateAudit(before), nil)
	})
}

// ReportTemplateUses counts the reports generated from a template.
func (s *Store) ReportTemplateUses(ctx context.Context, a civic.Actor, id int64) (int, error) {
	if err := a.Must(civic.PermCaseMetrics); err != nil {
		return 0, err
	}
	return templateUses(ctx, s, id)
}

func templateUses(ctx context.Context, q querier, id int64) (int, error) {
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM reports WHERE template_id = ?`, id).Scan(&n); err != nil {
		return 0, fmt.Errorf("reports of template %d: %w", id, err)
	}
	return n, nil
}

// reportSums reads the roll-up counts of a region and period: case_flow
// summed per column over [from, to), the open stock of cases filed before
// to, and the most reported categories. Each is one index range at the
// level an overview of the region reads.
type reportSums struct {
	flow       map[string]int64
	open       int64
	categories []civic.ReportItem
}

func (s *Store) reportCaseSums(ctx context.Context, region, from, to string) (reportSums, error) {
	lo, hi := civic.ScopePrefixRange(region)
	out := reportSums{flow: map[string]int64{}}
	cols := rollupTables[0].cols
	sums := make([]string, len(cols))
	for i, c := range cols {
		sums[i] = "COALESCE(SUM(" + c + "), 0)"
	}
	ns := make([]int64, len(cols))
	dest := make([]any, len(cols))
	for i := range ns {
		dest[i] = &ns[i]
	}
	if err := s.queryRow(ctx, `SELECT `+strings.Join(sums, ", ")+` FROM case_flow WHERE level = ? AND region_code >= ? AND region_code < ? AND day >= ? AND day < ?`,
		overviewLevel(region, "case_flow"), lo, hi, from, to).Scan(dest...); err != nil {
		return out, fmt.Errorf("report: sum case flow of %s: %w", region, err)
	}
	for i, c := range cols {
		out.flow[c] = ns[i]
	}
	if err := s.queryRow(ctx, `SELECT COALESCE(SUM(reported + accepted + dispatched + in_progress + handled), 0) FROM case_stock WHERE level = ? AND region_code >= ? AND region_code < ? AND day < ?`,
		overviewLevel(region, "case_stock"), lo, hi, to).Scan(&out.open); err != nil {
		return out, fmt.Errorf("report: sum open cases of %s: %w", region, err)
	}
	rows, err := s.query(ctx, `SELECT f.category_code, COALESCE(MAX(c.name), ''), SUM(f.report) AS n FROM case_flow_category f LEFT JOIN categories c ON c.code = f.category_code
		WHERE f.level = ? AND f.region_code >= ? AND f.region_code < ? AND f.day >= ? AND f.day < ? GROUP BY f.category_code HAVING SUM(f.report) > 0 ORDER BY n DESC, f.category_code LIMIT ?`,
		overviewLevel(region, "case_flow_category"), lo, hi, from, to, civic.TopCategories)
	if err != nil {
		return out, fmt.Errorf("report: top categories of %s: %w", region, err)
	}
	defer rows.Close()
	for rows.Next() {
		var it civic.ReportItem
		if err := rows.Scan(&it.Code, &it.Name, &it.Count); err != nil {
			return out, fmt.Errorf("report: top categories of %s: %w", region, err)
		}
		out.categories = append(out.categories, it)
	}
	return out, rows.Err()
}

// reportFlowColumn maps the count figures to their case_flow columns
// (summed when several).
var reportFlowColumn = map[string][]string{
	"cases.received": {"report"}, "cases.src.resident": {"src_resident"}, "cases.src.patrol": {"src_patrol"},
	"cases.src.hotline": {"src_hotline"}, "cases.src.qr": {"src_qr"}, "cases.src.api": {"src_api"},
	"cases.accepted": {"accept"}, "cases.rejected": {"reject"}, "cases.answered": {"answer"},
	"cases.dispatched": {"dispatch", "transfer"}, "cases.returned": {"returned"}, "cases.closed": {"verify_pass"},
	"cases.reopened": {"reopen"}, "cases.visits": {KindVisitValid}, "cases.warned": {"warn"}, "cases.overdue": {"escalate"},
}

// chinaDay parses a China date as the instant it starts.
func chinaDay(d string) (time.Time, error) {
	return time.ParseInLocation(civic.DateLayout, d, civic.ChinaTime)
}

// reportValues computes a template's rows for a region and [from, to).
func (s *Store) reportValues(ctx context.Context, t civic.ReportTemplate, region, from, to string) ([]civic.ReportValue, error) {
	var needCases, needMetrics, needPeople bool
	for _, r := range t.Rows {
		f, ok := civic.FigureByKey(r.Figure)
		switch {
		case !ok:
		case f.Source == civic.FromPeople:
			needPeople = true
		case strings.HasPrefix(f.Key, "rate.") || f.Key == "cases.handling_hours":
			needMetrics = true
		default:
			needCases = true
		}
	}
	var sums reportSums
	if needCases {
		var err error
		if sums, err = s.reportCaseSums(ctx, region, from, to); err != nil {
			return nil, err
		}
	}
	var m Metrics
	if needMetrics {
		ft, err1 := chinaDay(from)
		tt, err2 := chinaDay(to)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("report period %s–%s: %w", from, to, err)
		}
		var err error
		if m, err = s.CaseMetrics(ctx, civic.System, MetricsFilter{Under: region, From: ft, To: tt}); err != nil {
			return nil, fmt.Errorf("report metrics of %s: %w", region, err)
		}
	}
	var people *civic.PeopleStats
	if needPeople {
		lo, hi := civic.ScopePrefixRange(region)
		var err error
		if people, err = s.peopleStats(ctx, civic.System, "region_code >= ? AND region_code < ?", []any{lo, hi}); err != nil {
			return nil, fmt.Errorf("report people of %s: %w", region, err)
		}
	}
	num := func(v float64) *float64 { return &v }
	out := make([]civic.ReportValue, 0, len(t.Rows))
	for _, r := range t.Rows {
		if r.Manual {
			out = append(out, civic.ReportValue{Manual: true, Label: civic.T(r.Label, r.Label)})
			continue
		}
		f, _ := civic.FigureByKey(r.Figure)
		v := civic.ReportValue{Figure: f.Key, Kind: f.Kind, Label: f.Name}
		if r.Label != "" {
			v.Label = civic.T(r.Label, r.Label)
		}
		rate := func(x Rate) {
			v.Numerator, v.Denominator, v.Value = x.Numerator, int64(x.Denominator), x.Ratio
		}
		share := func(n, d int) {
			v.Numerator, v.Denominator = float64(n), int64(d)
			if d > 0 {
				v.Value = num(float64(n) / float64(d))
			}
		}
		switch key := f.Key; {
		case reportFlowColumn[key] != nil:
			var n int64
			for _, c := range reportFlowColumn[key] {
				n += sums.flow[c]
			}
			v.Value = num(float64(n))
		case key == "cases.open_end":
			v.Value = num(float64(sums.open))
		case key == "cases.top_categories":
			v.Items = append([]civic.ReportItem{}, sums.categories...)
		case key == "rate.response":
			rate(m.Response)
		case key == "rate.solved":
			rate(m.Solved)
		case key == "rate.satisfaction":
			rate(m.Satisfaction)
		case key == "rate.completion":
			rate(m.Completion)
		case key == "rate.on_time":
			rate(m.OnTime)
		case key == "rate.overdue":
			rate(m.Overdue)
		case key == "rate.rework":
			rate(m.Rework)
		case key == "cases.handling_hours":
			v.Value = m.HandlingTime.NaturalHours
		case key == "people.population":
			v.Value = num(float64(people.Population))
		case key == "houses.total":
			v.Value = num(float64(people.Linkage.Houses))
		case key == "people.linked_rate":
			share(people.Linkage.PeopleLinked, people.Linkage.People)
		case key == "houses.complete_rate":
			share(people.Linkage.HousesComplete, people.Linkage.Houses)
		case strings.HasPrefix(key, "people.tag."):
			v.Value = num(float64(people.ByTag[strings.TrimPrefix(key, "people.tag.")]))
		default:
			return nil, fmt.Errorf("report figure %s has no computation", key)
		}
		out = append(out, v)
	}
	return out, nil
}

// regionName returns a region's name, "" when it does not exist.
func (s *Store) regionName(ctx context.Context, code string) (string, error) {
	var name string
	err := s.queryRow(ctx, `SELECT name FROM regions WHERE code = ?`, code).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("region %s: %w", code, err)
	}
	return name, nil
}

// reportSnapshot is what the snapshot column holds.
type reportSnapshot struct {
	RegionName string              `json:"region_name"`
	Values     []civic.ReportValue `json:"values"`
}

// GenerateReport makes a report of a template for a region and the period
// of the template's kind that contains day, now, as a new version beside any
// made before (the earlier ones never change). A period still running is
// reported up to now; one that starts in the future is refused.
func (s *Store) GenerateReport(ctx context.Context, a civic.Actor, templateID int64, region, day string) (civic.Report, error) {
	if err := a.Must(civic.PermCaseMetrics); err != nil {
		return civic.Report{}, err
	}
	region = strings.TrimSpace(region)
	if region == "" {
		region = a.Scope.RegionCode
	}
	if l, ok := civic.LevelOfCode(region); !ok || l == civic.LevelMicroGrid {
		return civic.Report{}, civic.Invalid(civic.FieldErr("region_code", "请选择街道、社区、网格等区域", "choose a region: a street, community, grid…"))
	}
	if !a.InScope(region) {
		return civic.Report{}, civic.NotFound("区域", "region")
	}
	t, err := s.reportTemplate(ctx, s, templateID)
	if err != nil {
		return civic.Report{}, err
	}
	from, to, err := t.Kind.Period(day)
	if err != nil {
		return civic.Report{}, err
	}
	if from > civic.Today(s.Now()) {
		return civic.Report{}, civic.Invalid(civic.FieldErr("period", "统计期间尚未开始", "the period has not begun"))
	}
	id, err := s.makeReport(ctx, a, t, region, from, to, false)
	if err != nil {
		return civic.Report{}, err
	}
	return s.GetReport(ctx, a, id)
}

// makeReport computes and stores one report. scheduled writes version 1
// only, and nothing when it exists (returning 0); on demand takes the next
// version, trying again if another was stored meanwhile.
func (s *Store) makeReport(ctx context.Context, a civic.Actor, t civic.ReportTemplate, region, from, to string, scheduled bool) (int64, error) {
	name, err := s.regionName(ctx, region)
	if err != nil {
		return 0, err
	}
	if name == "" {
		return 0, civic.NotFound("区域", "region")
	}
	values, err := s.reportValues(ctx, t, region, from, to)
	if err != nil {
		return 0, err
	}
	snap, err := json.Marshal(reportSnapshot{RegionName: name, Values: values})
	if err != nil {
		return 0, fmt.Errorf("encode report snapshot: %w", err)
	}
	state := civic.ReportIssued
	if t.HasManual() {
		state = civic.ReportDraft
	}
	for attempt := 0; attempt < 5; attempt++ {
		var id int64
		err := s.write(ctx, func(tx *Tx) error {
			version := 1
			if !scheduled {
				if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM reports WHERE template_id = ? AND region_code = ? AND period_from = ?`,
					t.ID, region, from).Scan(&version); err != nil {
					return fmt.Errorf("next report version: %w", err)
				}
			}
			var issued any
			issuedBy := ""
			if state == civic.ReportIssued {
				issued, issuedBy = tx.now, a.Username
			}
			err := tx.queryRow(ctx, `INSERT INTO reports (template_id, template_name, kind, region_code, period_from, period_to, version, scheduled, state, snapshot, generated_at, generated_by, issued_at, issued_by)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (template_id, region_code, period_from, version) DO NOTHING RETURNING id`,
				t.ID, t.Name, t.Kind, region, from, to, version, scheduled, state, string(snap), tx.now, a.Username, issued, issuedBy).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				id = 0
				return nil
			}
			if err != nil {
				return fmt.Errorf("insert report: %w", err)
			}
			return tx.audit(ctx, a, "report.generate", "report", id, region, nil,
				map[string]any{"template": t.Name, "period": from + "/" + to, "version": version, "scheduled": scheduled})
		})
		if err != nil || id != 0 || scheduled {
			return id, err
		}
	}
	return 0, civic.Errorf(civic.EConflict, "报表正在生成，请稍后重试", "the report is being generated; try again shortly")
}

// RunScheduledReports makes the reports due as of now: for every active
// template, each period of its kind that has ended since the template
// became active (yesterday, last week, last month, and after an outage
// every missed one up to about a month back; civic.DuePeriods), for its
// region or every region of its level, oldest first. A report that exists
// is left alone, so the run is idempotent and safe in several servers at
// once (the unique index keeps one version 1). It returns how many it made.
//
// A template whose reports fail is left alone until its
// ScheduleRetryAt, 1, 2, 4 … minutes after each failed pass in a row and
// at most 6 hours (civic.ReportRetryDelay), with the error kept on the
// template; a pass that succeeds clears both. The error returned names
// each template that failed on this pass, once, with its next attempt.
func (s *Store) RunScheduledReports(ctx context.Context) (int, error) {
	ts, err := s.ListReportTemplates(ctx, civic.System)
	if err != nil {
		return 0, err
	}
	made := 0
	var failed []error
	for _, t := range ts {
		if !t.Active || s.Now().Before(t.ScheduleRetryAt) {
			continue
		}
		if t.ActiveSince.IsZero() {
			// First seen active (a default template, or one from before
			// active_since was kept): it owes the last period from now on.
			if t.ActiveSince, err = s.markActiveSince(ctx, t.ID); err != nil {
				return made, err
			}
		}
		var tfailed []error
		for _, p := range t.Kind.DuePeriods(t.ActiveSince, s.Now()) {
			n, err := s.makeDueReports(ctx, t, p.From, p.To)
			made += n
			if err != nil {
				if ctx.Err() != nil {
					return made, ctx.Err()
				}
				tfailed = append(tfailed, err)
			}
		}
		if err := s.recordSchedule(ctx, t, errors.Join(tfailed...)); err != nil {
			failed = append(failed, err)
		}
	}
	return made, errors.Join(failed...)
}

// maxScheduleError bounds the error kept on a template, in characters:
// a level's template may fail for hundreds of regions at once.
const maxScheduleError = 1000

// recordSchedule keeps the outcome of a template's pass: a failure counts
// and sets the next attempt, a success clears an earlier failure. It
// returns the failure with the template and its next attempt named.
func (s *Store) recordSchedule(ctx context.Context, t civic.ReportTemplate, failed error) error {
	if failed == nil {
		if t.ScheduleFailures == 0 && t.ScheduleError == "" && t.ScheduleRetryAt.IsZero() {
			return nil
		}
		err := s.write(ctx, func(tx *Tx) error {
			_, err := tx.exec(ctx, `UPDATE report_templates SET schedule_failures = 0, schedule_error = '', schedule_retry_at = NULL WHERE id = ?`, t.ID)
			return err
		})
		if err != nil {
			return fmt.Errorf("report template %d %q: clear schedule failure: %w", t.ID, t.Name, err)
		}
		return nil
	}
	msg := failed.Error()
	if r := []rune(msg); len(r) > maxScheduleError {
		msg = string(r[:maxScheduleError]) + "…"
	}
	var failures int
	var retry time.Time
	// Read and counted in one write: runners on several servers (which
	// the schedule's lease makes rare) count each failed pass once.
	err := s.write(ctx, func(tx *Tx) error {
		if err := tx.queryRow(ctx, `SELECT schedule_failures FROM report_templates WHERE id = ?`, t.ID).Scan(&failures); err != nil {
			return err
		}
		failures++
		retry = tx.now.Add(civic.ReportRetryDelay(failures))
		_, err := tx.exec(ctx, `UPDATE report_templates SET schedule_failures = ?, schedule_error = ?, schedule_retry_at = ? WHERE id = ?`,
			failures, msg, retry, t.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("report template %d %q: %w (and keeping the failure: %v)", t.ID, t.Name, failed, err)
	}
	return fmt.Errorf("report template %d %q, failure %d in a row, next attempt at %s: %w",
		t.ID, t.Name, failures, retry.Format(time.RFC3339), failed)
}

// markActiveSince sets a template's active_since to now unless it is set,
// and returns what it holds.
func (s *Store) markActiveSince(ctx context.Context, id int64) (time.Time, error) {
	var since sql.NullTime
	err := s.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `UPDATE report_templates SET active_since = ? WHERE id = ? AND active_since IS NULL`, tx.now, id); err != nil {
			return err
		}
		return tx.queryRow(ctx, `SELECT active_since FROM report_templates WHERE id = ?`, id).Scan(&since)
	})
	if err != nil || !since.Valid {
		return time.Time{}, fmt.Errorf("report template %d: mark active: %w", id, err)
	}
	return since.Time, nil
}

// makeDueReports makes a template's scheduled reports of one period that
// do not exist yet, and returns how many it made.
func (s *Store) makeDueReports(ctx context.Context, t civic.ReportTemplate, from, to string) (int, error) {
	regions := []string{t.RegionCode}
	if t.RegionCode == "" {
		var err error
		if regions, err = s.codesMissingReport(ctx, t, from); err != nil {
			return 0, err
		}
	}
	made := 0
	var failed []error
	for _, region := range regions {
		if ctx.Err() != nil {
			return made, ctx.Err()
		}
		var n int
		if err := s.queryRow(ctx, `SELECT COUNT(*) FROM reports WHERE template_id = ? AND region_code = ? AND period_from = ?`, t.ID, region, from).Scan(&n); err != nil {
			return made, fmt.Errorf("scheduled report: %w", err)
		}
		if n > 0 {
			continue
		}
		id, err := s.makeReport(ctx, civic.System, t, region, from, to, true)
		if err != nil {
			// One template's trouble (a region since removed) must not
			// hold back the others; the pass reports it and is retried.
			failed = append(failed, fmt.Errorf("scheduled report %q for %s %s: %w", t.Name, region, from, err))
			continue
		}
		if id != 0 {
			made++
		}
	}
	return made, errors.Join(failed...)
}

// codesMissingReport lists the regions of a template's level that have no
// report of it for the period starting on from.
func (s *Store) codesMissingReport(ctx context.Context, t civic.ReportTemplate, from string) ([]string, error) {
	rows, err := s.query(ctx, `SELECT g.code FROM regions g WHERE g.level = ? AND NOT EXISTS
		(SELECT 1 FROM reports r WHERE r.template_id = ? AND r.region_code = g.code AND r.period_from = ?) ORDER BY g.code`, int(t.Level()), t.ID, from)
	if err != nil {
		return nil, fmt.Errorf("regions for report %q: %w", t.Name, err)
	}
	defer rows.Close()
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("regions for report %q: %w", t.Name, err)
		}
		codes = append(codes, c)
	}
	return codes, rows.Err()
}

// ReportFilter narrows ListReports.
type ReportFilter struct {
	Under      string // the report's region lies in this subtree
	Kind       civic.ReportKind
	TemplateID int64
	Page       Page
}

const reportCols = `r.id, r.template_id, r.template_name, r.kind, r.region_code, COALESCE(g.name, ''), r.period_from, r.period_to, r.version, r.scheduled,
	r.state, r.generated_at, r.generated_by, r.issued_at, r.issued_by`
const reportFrom = ` FROM reports r LEFT JOIN regions g ON g.code = r.region_code`

func scanReport(sc interface{ Scan(...any) error }, extra ...any) (civic.Report, error) {
	var r civic.Report
	var issued sql.NullTime
	err := sc.Scan(append([]any{&r.ID, &r.TemplateID, &r.TemplateName, &r.Kind, &r.RegionCode, &r.RegionName, &r.From, &r.To, &r.Version, &r.Scheduled,
		&r.State, &r.GeneratedAt, &r.GeneratedBy, &issued, &r.IssuedBy}, extra...)...)
	if issued.Valid {
		t := issued.Time
		r.IssuedAt = &t
	}
	return r, err
}

// ListReports returns the reports of regions in the actor's scope, newest
// period first, without their values.
func (s *Store) ListReports(ctx context.Context, a civic.Actor, f ReportFilter) ([]civic.Report, int, error) {
	if err := a.Must(civic.PermCaseMetrics); err != nil {
		return nil, 0, err
	}
	p := f.Page.normal()
	w, args := scopeClause(a, "r.region_code")
	where := []string{w}
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		where = append(where, "r.region_code >= ? AND r.region_code < ?")
		args = append(args, lo, hi)
	}
	if f.Kind != "" {
		where = append(where, "r.kind = ?")
		args = append(args, string(f.Kind))
	}
	if f.TemplateID != 0 {
		where = append(where, "r.template_id = ?")
		args = append(args, f.TemplateID)
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM reports r WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count reports: %w", err)
	}
	rows, err := s.query(ctx, `SELECT `+reportCols+reportFrom+` WHERE `+cond+` ORDER BY r.period_from DESC, r.kind, r.region_code, r.template_id, r.version DESC LIMIT ? OFFSET ?`,
		append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list reports: %w", err)
	}
	defer rows.Close()
	var out []civic.Report
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list reports: %w", err)
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// GetReport returns a report with its values; one outside the actor's scope
// is not found.
func (s *Store) GetReport(ctx context.Context, a civic.Actor, id int64) (civic.Report, error) {
	if err := a.Must(civic.PermCaseMetrics); err != nil {
		return civic.Report{}, err
	}
	return s.report(ctx, s, a, id)
}

func (s *Store) report(ctx context.Context, q querier, a civic.Actor, id int64) (civic.Report, error) {
	var snap string
	r, err := scanReport(q.queryRow(ctx, `SELECT `+reportCols+`, r.snapshot`+reportFrom+` WHERE r.id = ?`, id), &snap)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !a.InScope(r.RegionCode) {
		return civic.Report{}, civic.NotFound("报表", "report")
	}
	if err != nil {
		return r, fmt.Errorf("get report %d: %w", id, err)
	}
	var sn reportSnapshot
	if err := json.Unmarshal([]byte(snap), &sn); err != nil {
		return r, fmt.Errorf("report %d snapshot: %w", id, err)
	}
	r.Values = sn.Values
	if r.RegionName == "" {
		r.RegionName = sn.RegionName
	}
	return r, nil
}

// FillReport writes the manual rows of a draft (texts by row index) and,
// with issue, issues it (签发): every manual row must then be written.
// An issued report is never changed.
func (s *Store) FillReport(ctx context.Context, a civic.Actor, id int64, texts map[int]string, issue bool) (civic.Report, error) {
	if err := a.Must(civic.PermCaseMetrics); err != nil {
		return civic.Report{}, err
	}
	err := s.write(ctx, func(tx *Tx) error {
		r, err := s.report(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if r.State != civic.ReportDraft {
			return civic.Errorf(civic.EConflict, "报表已签发，不能再修改", "the report is issued and cannot be changed")
		}
		var fs []civic.FieldError
		for i, t := range texts {
			if i < 0 || i >= len(r.Values) || !r.Values[i].Manual {
				fs = append(fs, civic.FieldErr(fmt.Sprintf("texts[%d]", i), "第%d行不是手填行", "row %d is not a manual row", i+1))
				continue
			}
			t = strings.TrimSpace(t)
			if len([]rune(t)) > civic.MaxManualText {
				fs = append(fs, civic.FieldErr(fmt.Sprintf("texts[%d]", i), "第%d行不超过%d字", "row %d: at most %d characters", i+1, civic.MaxManualText))
				continue
			}
			r.Values[i].Text = t
		}
		if issue {
			for i, v := range r.Values {
				if v.Manual && v.Text == "" {
					fs = append(fs, civic.FieldErr(fmt.Sprintf("texts[%d]", i), "签发前请填写“%s”", "fill in %q before issuing", v.Label.ZH))
				}
			}
		}
		if len(fs) > 0 {
			return civic.Invalid(fs...)
		}
		snap, err := json.Marshal(reportSnapshot{RegionName: r.RegionName, Values: r.Values})
		if err != nil {
			return fmt.Errorf("encode report snapshot: %w", err)
		}
		state, action := civic.ReportDraft, "report.fill"
		var issuedAt any
		issuedBy := ""
		if issue {
			state, action, issuedAt, issuedBy = civic.ReportIssued, "report.issue", tx.now, a.Username
		}
		res, err := tx.exec(ctx, `UPDATE reports SET snapshot = ?, state = ?, issued_at = ?, issued_by = ? WHERE id = ? AND state = ?`,
			string(snap), state, issuedAt, issuedBy, id, civic.ReportDraft)
		if err != nil {
			return fmt.Errorf("fill report %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return civic.Errorf(civic.EConflict, "报表已签发，不能再修改", "the report is issued and cannot be changed")
		}
		return tx.audit(ctx, a, action, "report", id, r.RegionCode, nil, map[string]any{"rows": len(texts)})
	})
	if err != nil {
		return civic.Report{}, err
	}
	return s.GetReport(ctx, a, id)
}

// WriteReportSheet writes a report as an .xlsx workbook: title lines with
// the region, period and generation time, then one row per figure with its
// value as a number (rates as percentages), a list figure's items on rows
// of their own, manual rows as text.
func WriteReportSheet(w io.Writer, r civic.Report, lang string) error {
	in := func(zh, en string) string { return civic.T(zh, en).In(lang) }
	title := []string{
		r.RegionName + " " + r.TemplateName,
		in("统计期间：", "Period: ") + r.From + " — " + r.LastDay(),
		in("生成时间：", "Generated: ") + r.GeneratedAt.In(civic.ChinaTime).Format("2006-01-02 15:04") + fmt.Sprintf(in("（第%d版）", " (version %d)"), r.Version),
	}
	t := sheet.Table{Sheet: r.Kind.Label().In(lang), Title: title, Header: []string{in("项目", "Item"), in("数值", "Value"), in("说明", "Note")}, Widths: []float64{34, 16, 60}}
	for _, v := range r.Values {
		label := v.Label.In(lang)
		switch {
		case v.Manual:
			t.Rows = append(t.Rows, []any{label, "", v.Text})
		case v.Kind == civic.FigureList:
			t.Rows = append(t.Rows, []any{label, "", ""})
			for i, it := range v.Items {
				t.Rows = append(t.Rows, []any{fmt.Sprintf("  %d. %s", i+1, it.Name), it.Count, it.Code})
			}
		case v.Value == nil:
			t.Rows = append(t.Rows, []any{label, "", in("无可计算的数据", "nothing to compute")})
		case v.Kind == civic.FigureRate:
			t.Rows = append(t.Rows, []any{label, sheet.Percent(*v.Value), fmt.Sprintf("%g / %d", v.Numerator, v.Denominator)})
		case v.Kind == civic.FigureHours:
			t.Rows = append(t.Rows, []any{label, *v.Value, ""})
		default:
			t.Rows = append(t.Rows, []any{label, int64(*v.Value), ""})
		}
	}
	return sheet.Write(w, t)
}
