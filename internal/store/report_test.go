package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

const street1 = "110101001"

// mustReportPeople plants the people register of the report test: in grid1
// a building with two houses, an 85-year-old living alone linked to the
// first, a person on 低保 linked to nothing, the second house vacant; in
// street 2 one person, who must not count.
func mustReportPeople(t *testing.T, w *metricsWorld) {
	t.Helper()
	ctx := context.Background()
	s := w.s
	b, err := s.SaveBuilding(ctx, civic.System, civic.Building{GridCode: grid1, Name: "1号楼", Floors: 2, Units: 1})
	if err != nil {
		t.Fatal(err)
	}
	h1, err := s.SaveHouse(ctx, civic.System, civic.House{BuildingID: b.ID, Unit: 1, Floor: 1, Number: "101"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveHouse(ctx, civic.System, civic.House{BuildingID: b.ID, Unit: 1, Floor: 2, Number: "201", Use: civic.HouseVacant}); err != nil {
		t.Fatal(err)
	}
	old := mustPerson(t, s, civic.System, grid1, "王奶奶", "1940-05-01", civic.TagAlone)
	if _, err := s.LinkHouse(ctx, civic.System, civic.HouseLink{PersonID: old.ID, HouseID: h1.ID, Relation: civic.RelationOwner}); err != nil {
		t.Fatal(err)
	}
	mustPerson(t, s, civic.System, grid1, "李大哥", "1980-02-03", civic.TagDibao)
	mustPerson(t, s, civic.System, metricsStreet2+"001", "张三", "1990-01-01", civic.TagDibao)
}

// reportTemplateAll is a monthly template with every figure the test
// counts by hand, a custom label and a manual row.
func reportTemplateAll() civic.ReportTemplate {
	t := civic.ReportTemplate{Name: "测试月报", Kind: civic.ReportMonthly, ScopeLevel: "street", Active: false}
	for _, k := range []string{"cases.received", "cases.src.resident", "cases.src.hotline", "cases.dispatched", "cases.returned", "cases.closed",
		"cases.answered", "cases.reopened", "cases.visits", "cases.open_end", "cases.top_categories",
		"rate.response", "rate.solved", "rate.satisfaction", "rate.completion", "rate.on_time", "rate.overdue", "rate.rework", "cases.handling_hours",
		"people.population", "houses.total", "people.linked_rate", "houses.complete_rate", "people.tag.age80", "people.tag.alone", "people.tag.dibao"} {
		t.Rows = append(t.Rows, civic.ReportRow{Figure: k})
	}
	t.Rows[0].Label = "本月受理"
	t.Rows = append(t.Rows, civic.ReportRow{Manual: true, Label: "本月工作小结"})
	return t
}

// TestReportMonthly walks the metrics scenario (March 2026), plants people
// and houses, generates street 1's March report on 1 April and checks every
// value, in the store and read back from the .xlsx, against a hand count.
func TestReportMonthly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustMetricsWorld(t, s)
		mustReportPeople(t, w)
		mustWalkMetricsScenario(t, w, clock)
		clock.T = cstAt(4, 1, 1, 0)
		admin := mustActor(t, s, "cityadmin", civic.RoleAdmin, "1101")
		tpl, err := s.SaveReportTemplate(ctx, admin, reportTemplateAll())
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.GenerateReport(ctx, w.street, tpl.ID, street1, "2026-03-15")
		if err != nil {
			t.Fatal(err)
		}
		if r.From != "2026-03-01" || r.To != "2026-04-01" || r.Version != 1 || r.State != civic.ReportDraft || r.RegionName == "" {
			t.Fatalf("report = %+v", r)
		}
		// Street 1 holds A–G (H is in street 2), all filed in March.
		counts := map[string]float64{
			"cases.received": 7, "cases.src.resident": 6, "cases.src.hotline": 1,
			// D, A, B, C, E→dept, E→grid, C again, G.
			"cases.dispatched": 8, "cases.returned": 1,
			// A, B, C, E; F answered directly; C reopened once; visits A, B, C, E, F.
			"cases.closed": 4, "cases.answered": 1, "cases.reopened": 1, "cases.visits": 5,
			// C (reopened, in progress), D (never closed), G (never claimed).
			"cases.open_end":    3,
			"people.population": 2, "houses.total": 2, "people.tag.age80": 1, "people.tag.alone": 1, "people.tag.dibao": 1,
			// Natural hours A 25, B 48, C 78, E 5 → 156 ÷ 4.
			"cases.handling_hours": 39,
		}
		rates := map[string][2]float64{
			// With now on 1 April every claim deadline has passed: responded
			// D, A, E→grid, C again; not B (late claim), C (late feedback),
			// G (never claimed); E→dept left out.
			"rate.response": {4, 7},
			"rate.solved":   {4, 5}, "rate.satisfaction": {3.8, 5},
			// Due in March: A, B, C, D, E→grid, C again, G; closed A, B, C, E;
			// overdue C (late), D, C again, G.
			"rate.completion": {4, 7}, "rate.overdue": {4, 7},
			"rate.on_time": {3, 4}, "rate.rework": {1, 5},
			"people.linked_rate": {1, 2}, "houses.complete_rate": {2, 2},
		}
		if len(r.Values) != len(tpl.Rows) {
			t.Fatalf("%d values for %d rows", len(r.Values), len(tpl.Rows))
		}
		for _, v := range r.Values {
			switch {
			case v.Manual:
				if v.Label.ZH != "本月工作小结" || v.Text != "" {
					t.Errorf("manual row = %+v", v)
				}
			case v.Figure == "cases.top_categories":
				if len(v.Items) == 0 || v.Items[0].Code != "0101" || v.Items[0].Count != 5 {
					t.Errorf("top categories = %+v, want 0101 (D, A, B, E, G) first with 5", v.Items)
				}
			case counts[v.Figure] != 0 || strings.HasPrefix(v.Figure, "cases.") || strings.HasPrefix(v.Figure, "people.tag"):
				if v.Value == nil || math.Abs(*v.Value-counts[v.Figure]) > 1e-9 {
					t.Errorf("%s = %v, want %g", v.Figure, v.Value, counts[v.Figure])
				}
			default:
				rw, ok := rates[v.Figure]
				if !ok {
					t.Errorf("no hand count for %s", v.Figure)
					continue
				}
				if v.Value == nil || math.Abs(v.Numerator-rw[0]) > 1e-9 || v.Denominator != int64(rw[1]) || math.Abs(*v.Value-rw[0]/rw[1]) > 1e-6 {
					t.Errorf("%s = %v (%g/%d), want %g/%g", v.Figure, v.Value, v.Numerator, v.Denominator, rw[0], rw[1])
				}
			}
		}
		if r.Values[0].Label.ZH != "本月受理" {
			t.Errorf("custom label = %+v", r.Values[0].Label)
		}

		// The workbook: every figure a number, rates as percentages.
		var buf bytes.Buffer
		if err := store.WriteReportSheet(&buf, r, "zh"); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sh := f.GetSheetName(0)
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(rows[0][0], "测试月报") || !strings.Contains(rows[1][0], "2026-03-01") || !strings.Contains(rows[1][0], "2026-03-31") {
			t.Errorf("title rows = %q", rows[:3])
		}
		byLabel := map[string]int{}
		for i, row := range rows {
			if len(row) > 0 {
				byLabel[row[0]] = i + 1
			}
		}
		cellOf := func(label string) (raw string, typ excelize.CellType, format string) {
			t.Helper()
			n, ok := byLabel[label]
			if !ok {
				t.Fatalf("no row %q in %q", label, rows)
			}
			cell := "B" + strconv.Itoa(n)
			raw, _ = f.GetCellValue(sh, cell, excelize.Options{RawCellValue: true})
			typ, _ = f.GetCellType(sh, cell)
			formatted, _ := f.GetCellValue(sh, cell)
			return raw, typ, formatted
		}
		for _, v := range r.Values {
			if v.Manual || v.Kind == civic.FigureList {
				continue
			}
			raw, typ, formatted := cellOf(v.Label.ZH)
			if typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
				t.Errorf("%s is text (%q), want a number", v.Figure, raw)
				continue
			}
			got, err := strconv.ParseFloat(raw, 64)
			if err != nil || math.Abs(got-*v.Value) > 1e-6 {
				t.Errorf("%s in the sheet = %q, want %g", v.Figure, raw, *v.Value)
			}
			if v.Kind == civic.FigureRate && !strings.HasSuffix(formatted, "%") {
				t.Errorf("%s shown as %q, want a percentage", v.Figure, formatted)
			}
		}
		if raw, _, _ := cellOf("本月受理"); raw != "7" {
			t.Errorf("本月受理 in the sheet = %q, want 7", raw)
		}
		if raw, _, _ := cellOf("  1. " + r.Values[10].Items[0].Name); raw != "5" {
			t.Errorf("top category in the sheet = %q, want 5", raw)
		}

		// The snapshot does not move when the cases do; a new version does.
		// D is closed on 1 April: open at the end of March goes from 3 to 2
		// in a new version, and stays 3 in the first.
		d := mustCaseID(t, s, "D 占道")
		w.act(t, w.handler, d, store.CaseInput{Action: civic.ActHandle, Note: "已清理"})
		w.act(t, w.community, d, store.CaseInput{Action: civic.ActVerifyPass})
		again, err := s.GetReport(ctx, w.street, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := s.GenerateReport(ctx, w.street, tpl.ID, street1, "2026-03-01")
		if err != nil {
			t.Fatal(err)
		}
		if again.Values[9].Figure != "cases.open_end" || *again.Values[9].Value != 3 || *r2.Values[9].Value != 2 || r2.Version != 2 || r2.ID == r.ID {
			t.Errorf("snapshot open %v, regenerated open %v version %d id %d (first %d)", *again.Values[9].Value, *r2.Values[9].Value, r2.Version, r2.ID, r.ID)
		}

		// Manual rows: issuing needs them written; then the report is frozen.
		if _, err := s.FillReport(ctx, w.street, r.ID, nil, true); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Errorf("issue without the manual row: %v", err)
		}
		last := len(r.Values) - 1
		if _, err := s.FillReport(ctx, w.street, r.ID, map[int]string{0: "x"}, false); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Errorf("text for a figure row: %v", err)
		}
		issued, err := s.FillReport(ctx, w.street, r.ID, map[int]string{last: "环境整治成效明显"}, true)
		if err != nil {
			t.Fatal(err)
		}
		if issued.State != civic.ReportIssued || issued.IssuedAt == nil || issued.Values[last].Text != "环境整治成效明显" {
			t.Errorf("issued = %+v", issued)
		}
		if _, err := s.FillReport(ctx, w.street, r.ID, map[int]string{last: "改"}, false); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Errorf("change an issued report: %v", err)
		}
	})
}

// mustCaseID finds a case by its title.
func mustCaseID(t *testing.T, s *store.Store, title string) int64 {
	t.Helper()
	cs, _, err := s.ListCases(context.Background(), civic.System, store.CaseFilter{Page: store.Page{Limit: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Title == title {
			return c.ID
		}
	}
	t.Fatalf("no case %q", title)
	return 0
}

// TestReportSchedule runs the schedule twice and from two goroutines at
// once: each active template makes exactly one report per region of its
// level and period; a later day makes the next daily report only.
func TestReportSchedule(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		mustMetricsWorld(t, s)
		clock.T = cstAt(4, 1, 0, 30) // a Wednesday: the daily and the monthly are due, and last week's
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.RunScheduledReports(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n, err := s.RunScheduledReports(ctx); err != nil || n != 0 {
			t.Errorf("second run made %d (%v), want 0", n, err)
		}
		rs, total, err := s.ListReports(ctx, civic.System, store.ReportFilter{Page: store.Page{Limit: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		streets, _, err := s.ListRegions(ctx, civic.System, store.RegionFilter{Level: civic.LevelStreet, Page: store.Page{Limit: 100}})
		if err != nil {
			t.Fatal(err)
		}
		if len(streets) < 2 || total != 3*len(streets) {
			t.Fatalf("%d reports for %d streets × 3 default templates", total, len(streets))
		}
		seen := map[string]bool{}
		periods := map[civic.ReportKind]string{civic.ReportDaily: "2026-03-31/2026-04-01", civic.ReportWeekly: "2026-03-23/2026-03-30", civic.ReportMonthly: "2026-03-01/2026-04-01"}
		for _, r := range rs {
			key := r.RegionCode + string(r.Kind)
			if seen[key] || r.Version != 1 || !r.Scheduled || periods[r.Kind] != r.From+"/"+r.To {
				t.Errorf("report %+v (duplicate %v)", r, seen[key])
			}
			seen[key] = true
		}
		clock.T = cstAt(4, 2, 0, 30)
		if n, err := s.RunScheduledReports(ctx); err != nil || n != len(streets) {
			t.Errorf("next day made %d (%v), want %d daily reports", n, err, len(streets))
		}
	})
}

// TestReportCatchUp: after days without a server the schedule makes every
// missed period since the template became active, not one before; a
// template switched off and on again owes nothing for the time it was off.
func TestReportCatchUp(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		mustMetricsWorld(t, s)
		admin := mustActor(t, s, "cityadmin", civic.RoleAdmin, "1101")
		clock.T = cstAt(4, 1, 10, 0) // Wednesday
		tpl, err := s.SaveReportTemplate(ctx, admin, civic.ReportTemplate{Name: "甲一街道日报", Kind: civic.ReportDaily, ScopeLevel: "street",
			RegionCode: street1, Active: true, Rows: []civic.ReportRow{{Figure: "cases.received"}}})
		if err != nil || !tpl.ActiveSince.Equal(clock.T) {
			t.Fatalf("save = %+v, %v", tpl, err)
		}
		froms := func() string {
			t.Helper()
			rs, _, err := s.ListReports(ctx, civic.System, store.ReportFilter{TemplateID: tpl.ID, Page: store.Page{Limit: 100}})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range rs {
				if !r.Scheduled || r.Version != 1 || r.RegionCode != street1 {
					t.Errorf("report %+v", r)
				}
				out = append(out, r.From)
			}
			sort.Strings(out)
			return strings.Join(out, " ")
		}
		run := func() {
			t.Helper()
			if _, err := s.RunScheduledReports(ctx); err != nil {
				t.Fatal(err)
			}
		}
		clock.T = cstAt(4, 5, 9, 0) // Sunday: no server since Wednesday morning
		run()
		run()
		if got, want := froms(), "2026-03-31 2026-04-01 2026-04-02 2026-04-03 2026-04-04"; got != want {
			t.Errorf("after the outage: %s; want %s", got, want)
		}
		clock.T = cstAt(4, 5, 10, 0)
		tpl.Active = false
		if tpl, err = s.SaveReportTemplate(ctx, admin, tpl); err != nil {
			t.Fatal(err)
		}
		clock.T = cstAt(4, 9, 10, 0)
		run()
		tpl.Active = true
		if tpl, err = s.SaveReportTemplate(ctx, admin, tpl); err != nil || !tpl.ActiveSince.Equal(clock.T) {
			t.Fatalf("switched on again: %+v, %v", tpl, err)
		}
		clock.T = cstAt(4, 10, 1, 0)
		run()
		if got, want := froms(), "2026-03-31 2026-04-01 2026-04-02 2026-04-03 2026-04-04 2026-04-08 2026-04-09"; got != want {
			t.Errorf("switched off and on: %s; want %s", got, want)
		}
		tpl.Name = "甲一街道日报（新）"
		if tpl, err = s.SaveReportTemplate(ctx, admin, tpl); err != nil || !tpl.ActiveSince.Equal(cstAt(4, 9, 10, 0)) {
			t.Errorf("an edit keeps active_since: %+v, %v", tpl, err)
		}
	})
}

// TestReportScopeAndTemplates checks who reads which report and who keeps
// templates, and that a template naming an unknown figure is refused by
// row, in both languages.
func TestReportScopeAndTemplates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustMetricsWorld(t, s)
		ts, err := s.ListReportTemplates(ctx, w.community)
		if err != nil || len(ts) != 3 {
			t.Fatalf("default templates = %d (%v)", len(ts), err)
		}
		other := metricsStreet2 + "001"
		mine, err := s.GenerateReport(ctx, civic.System, ts[0].ID, "110101001001", "2026-03-09")
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := s.GenerateReport(ctx, civic.System, ts[0].ID, other, "2026-03-09")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetReport(ctx, w.community, mine.ID); err != nil {
			t.Errorf("community reads its own report: %v", err)
		}
		if _, err := s.GetReport(ctx, w.community, theirs.ID); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Errorf("community reads another community's report: %v", err)
		}
		if _, err := s.GenerateReport(ctx, w.community, ts[0].ID, other, "2026-03-09"); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Errorf("community generates for another community: %v", err)
		}
		if _, err := s.GetReport(ctx, w.grid, mine.ID); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Errorf("grid worker reads a report: %v", err)
		}
		list, _, err := s.ListReports(ctx, w.community, store.ReportFilter{})
		if err != nil || len(list) != 1 || list[0].ID != mine.ID {
			t.Errorf("community's list = %+v (%v)", list, err)
		}
		if _, err := s.GenerateReport(ctx, w.community, ts[0].ID, "110101001001", "2026-03-11"); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Errorf("a period in the future: %v", err)
		}

		bad := civic.ReportTemplate{Name: "坏模板", Kind: civic.ReportDaily, ScopeLevel: "street", Rows: []civic.ReportRow{{Figure: "cases.received"}, {Figure: "cases.bogus"}}}
		admin := mustActor(t, s, "cityadmin", civic.RoleAdmin, "1101")
		_, err = s.SaveReportTemplate(ctx, admin, bad)
		var e *civic.Error
		if !errors.As(err, &e) || e.Code != civic.EInvalid || len(e.Fields) != 1 ||
			e.Fields[0].Msg.ZH != "第2行：没有“cases.bogus”这个指标" || e.Fields[0].Msg.EN != `row 2: there is no figure "cases.bogus"` {
			t.Errorf("unknown figure: %#v", err)
		}
		good := bad
		good.Rows = []civic.ReportRow{{Figure: "cases.received"}}
		if _, err := s.SaveReportTemplate(ctx, w.street, good); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Errorf("street staff saves a template: %v", err)
		}
		streetAdmin := mustActor(t, s, "streetadmin", civic.RoleAdmin, street1)
		if _, err := s.SaveReportTemplate(ctx, streetAdmin, good); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Errorf("a street's admin saves a template for every street: %v", err)
		}
		good.RegionCode = street1
		saved, err := s.SaveReportTemplate(ctx, streetAdmin, good)
		if err != nil || saved.ScopeLevel != "street" {
			t.Fatalf("a street's admin saves its street's template: %+v %v", saved, err)
		}
		saved.Name = "甲一街道日报"
		if saved, err = s.SaveReportTemplate(ctx, streetAdmin, saved); err != nil || saved.Name != "甲一街道日报" {
			t.Errorf("update = %+v %v", saved, err)
		}
	})
}

// TestReportTemplateDelete: a template made by mistake is deleted by whoever
// may keep it; one that reports were generated from is refused, in both
// languages, and stays.
func TestReportTemplateDelete(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustMetricsWorld(t, s)
		admin := mustActor(t, s, "cityadmin", civic.RoleAdmin, "1101")
		streetAdmin := mustActor(t, s, "streetadmin", civic.RoleAdmin, street1)
		ts, err := s.ListReportTemplates(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.GenerateReport(ctx, civic.System, ts[0].ID, street1, "2026-03-09"); err != nil {
			t.Fatal(err)
		}
		err = s.DeleteReportTemplate(ctx, admin, ts[0].ID)
		if e := civic.AsError(err); e.Code != civic.EConflict || !strings.Contains(e.Msg.ZH, "已按该模板生成了1份报表") || !strings.Contains(e.Msg.EN, "switch off its schedule") {
			t.Errorf("delete a used template: %v", err)
		}
		if n, err := s.ReportTemplateUses(ctx, w.street, ts[0].ID); err != nil || n != 1 {
			t.Errorf("uses = %d, %v", n, err)
		}
		if err := s.DeleteReportTemplate(ctx, streetAdmin, ts[1].ID); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Errorf("a street's admin deletes a city-wide template: %v", err)
		}
		mine, err := s.SaveReportTemplate(ctx, streetAdmin, civic.ReportTemplate{Name: "误建", Kind: civic.ReportDaily, ScopeLevel: "street",
			RegionCode: street1, Rows: []civic.ReportRow{{Figure: "cases.received"}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteReportTemplate(ctx, w.street, mine.ID); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Errorf("street staff delete a template: %v", err)
		}
		if err := s.DeleteReportTemplate(ctx, streetAdmin, mine.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetReportTemplate(ctx, admin, mine.ID); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Errorf("deleted template: %v", err)
		}
		if err := s.DeleteReportTemplate(ctx, admin, mine.ID); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Errorf("delete twice: %v", err)
		}
		if ts2, _ := s.ListReportTemplates(ctx, admin); len(ts2) != len(ts) {
			t.Errorf("templates after: %d, want %d", len(ts2), len(ts))
		}
	})
}

// TestReportTemplateUnknownRegion: a template for a region code that is
// not in the region tree is refused, so the schedule never meets one.
func TestReportTemplateUnknownRegion(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		mustMetricsWorld(t, s)
		admin := mustActor(t, s, "cityadmin", civic.RoleAdmin, "1101")
		_, err := s.SaveReportTemplate(ctx, admin, civic.ReportTemplate{Name: "x", Kind: civic.ReportDaily, RegionCode: "110101009", Active: true,
			Rows: []civic.ReportRow{{Figure: "cases.received"}}})
		var e *civic.Error
		if !errors.As(err, &e) || e.Code != civic.EInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "region_code" {
			t.Fatalf("a template for a region that does not exist: %v", err)
		}
	})
}

// TestReportScheduleBackoff: a template whose reports fail is tried again
// 1, 2, 4, 8 … minutes after each failed pass, at most 6 hours, and left
// alone in between (nothing counted, nothing said) while the other
// templates go on; its error and next attempt are kept on the template,
// and a pass that succeeds clears them, so the next failure waits a
// minute again. Saving the template clears them too.
func TestReportScheduleBackoff(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		mustMetricsWorld(t, s)
		admin := mustActor(t, s, "cityadmin", civic.RoleAdmin, "1101")
		clock.T = cstAt(4, 1, 10, 0)
		tpl, err := s.SaveReportTemplate(ctx, admin, civic.ReportTemplate{Name: "甲一街道日报", Kind: civic.ReportDaily, ScopeLevel: "street",
			RegionCode: street1, Active: true, Rows: []civic.ReportRow{{Figure: "cases.received"}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.PoisonForTest(ctx, "reports", fmt.Sprintf("NEW.template_id = %d", tpl.ID)); err != nil {
			t.Fatal(err)
		}
		get := func() civic.ReportTemplate {
			t.Helper()
			got, err := s.GetReportTemplate(ctx, civic.System, tpl.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		// The failing template's pass, and what it keeps.
		fail := func(failures int, wait time.Duration) {
			t.Helper()
			n, err := s.RunScheduledReports(ctx)
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("甲一街道日报\", failure %d in a row", failures)) || !strings.Contains(err.Error(), "poisoned row") {
				t.Fatalf("failing pass %d: made %d, %v", failures, n, err)
			}
			if got := get(); got.ScheduleFailures != failures || !got.ScheduleRetryAt.Equal(clock.T.Add(wait)) || !strings.Contains(got.ScheduleError, "poisoned row") {
				t.Fatalf("after failure %d: %d failures, next attempt %v (want %v), error %q", failures, got.ScheduleFailures, got.ScheduleRetryAt, clock.T.Add(wait), got.ScheduleError)
			}
		}
		// Between attempts the template is not tried: no error, no count.
		wait := func(failures int, d time.Duration) {
			t.Helper()
			clock.Advance(d - time.Second)
			if _, err := s.RunScheduledReports(ctx); err != nil {
				t.Fatalf("a pass before the next attempt tried the template: %v", err)
			}
			if got := get(); got.ScheduleFailures != failures {
				t.Fatalf("a pass before the next attempt counted: %d failures, want %d", got.ScheduleFailures, failures)
			}
			clock.Advance(time.Second)
		}
		// The first pass makes the default templates' reports all the same.
		n, err := s.RunScheduledReports(ctx)
		if n == 0 || err == nil {
			t.Fatalf("first pass made %d, %v", n, err)
		}
		if got := get(); got.ScheduleFailures != 1 || !got.ScheduleRetryAt.Equal(clock.T.Add(time.Minute)) {
			t.Fatalf("after the first failure %+v", got)
		}
		for i, d := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute} {
			wait(i+1, d)
			fail(i+2, 2*d)
		}
		// Far into the failures the wait stops at 6 hours.
		if _, err := s.ExecForTest(ctx, `UPDATE report_templates SET schedule_failures = 20 WHERE id = ?`, tpl.ID); err != nil {
			t.Fatal(err)
		}
		clock.Advance(16 * time.Minute)
		fail(21, civic.ReportRetryMax)

		// The cause removed, the next attempt succeeds and clears it all.
		if err := s.UnpoisonForTest(ctx, "reports"); err != nil {
			t.Fatal(err)
		}
		wait(21, civic.ReportRetryMax)
		if n, err := s.RunScheduledReports(ctx); n != 1 || err != nil {
			t.Fatalf("the attempt after the fix made %d, %v", n, err)
		}
		if got := get(); got.ScheduleFailures != 0 || got.ScheduleError != "" || !got.ScheduleRetryAt.IsZero() {
			t.Fatalf("after a success %+v", got)
		}
		// A new failure starts from a minute again.
		if err := s.PoisonForTest(ctx, "reports", fmt.Sprintf("NEW.template_id = %d", tpl.ID)); err != nil {
			t.Fatal(err)
		}
		clock.T = cstAt(4, 2, 10, 0)
		fail(1, time.Minute)
		// An administrator's edit (the fix, say) clears the wait.
		tpl.Name = "甲一街道日报（改）"
		if saved, err := s.SaveReportTemplate(ctx, admin, tpl); err != nil || saved.ScheduleFailures != 0 || saved.ScheduleError != "" || !saved.ScheduleRetryAt.IsZero() {
			t.Fatalf("saved %+v, %v", saved, err)
		}
	})
}
