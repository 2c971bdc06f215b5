package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// overviewWindow is the China dates an overview looks at, as of now.
type overviewWindow struct {
	now                                   time.Time
	today, tomorrow, week, month, nextMon string
	prev4                                 string // the Monday four weeks before this week's
	first, lastYearEnd                    string // the same week a year before: [first, lastYearEnd)
}

func newOverviewWindow(now time.Time) overviewWindow {
	t := now.In(civic.ChinaTime)
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, civic.ChinaTime)
	wd := (int(d.Weekday()) + 6) % 7 // Monday = 0
	w := d.AddDate(0, 0, -wd)
	m := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, civic.ChinaTime)
	f := func(x time.Time) string { return x.Format(civic.DateLayout) }
	return overviewWindow{now: now, today: f(d), tomorrow: f(d.AddDate(0, 0, 1)), week: f(w), month: f(m),
		nextMon: f(m.AddDate(0, 1, 0)), prev4: f(w.AddDate(0, 0, -28)), first: f(w.AddDate(0, 0, -364)), lastYearEnd: f(w.AddDate(0, 0, -357))}
}

// overviewScope checks the actor and returns the scope code and its
// condition on column col.
func overviewScope(a civic.Actor, scope, col string) (string, string, []any, error) {
	if err := a.Must(civic.PermCaseMetrics); err != nil {
		return "", "", nil, err
	}
	if scope == "" {
		scope = a.Scope.RegionCode
	}
	if scope != "" && !a.InScope(scope) {
		return "", "", nil, civic.NotFound("区域", "region")
	}
	if scope == "" {
		if !a.IsSystem() {
			return "", "", nil, civic.NotFound("区域", "region")
		}
		return "", "1=1", nil, nil
	}
	lo, hi := civic.ScopePrefixRange(scope)
	return scope, col + " >= ? AND " + col + " < ?", []any{lo, hi}, nil
}

// overviewLevel is the roll-up level an overview of scope reads from a
// table: the level of the scope's children, which the map shows (streets
// for the city, communities for a street, the cases' own regions below);
// categories, which the map does not show, at the scope's own level.
func overviewLevel(scope, table string) int {
	switch {
	case len(scope) < 9 && table == "case_flow_category":
		return 3
	case len(scope) < 9 || (len(scope) == 9 && table == "case_flow_category"):
		return 1
	case len(scope) == 9:
		return 2
	case len(scope) == 12 && table == "case_flow_category":
		return 2
	}
	return 0
}

// Overview computes the overview of a scope ("" for the actor's own) as of
// the store's clock, from the roll-ups: three index ranges, no case scan.
func (s *Store) Overview(ctx context.Context, a civic.Actor, scope string) (civic.Overview, error) {
	scope, where, args, err := overviewScope(a, scope, "region_code")
	if err != nil {
		return civic.Overview{}, err
	}
	win := newOverviewWindow(s.Now())
	m := rollups{}
	for _, t := range rollupTables {
		level := overviewLevel(scope, t.name)
		// Summed in SQL per child region (or category) and day: a few
		// thousand rows to Go, whatever the scope.
		region, key, cond, xargs := fmt.Sprintf("substr(region_code, 1, %d)", childLen(scope)), "''", "", []any{}
		switch t.name {
		case "case_flow":
			cond, xargs = " AND day >= ?", []any{win.first}
		case "case_flow_category": // this month and the four weeks before, and last year's week
			region, key = "''", t.key
		}
		sums := make([]string, len(t.cols))
		for i, c := range t.cols {
			sums[i] = "SUM(" + c + ")"
		}
		group := region + ", day"
		if key != "''" {
			group = "day, " + key
		}
		w, wargs := rollupScope(scope, level, where, args)
		from, fargs := t.name, []any{}
		switch {
		case t.name == "case_flow_category" && w == "region_code = ?":
			// Two day ranges as two index seeks: SQLite does not seek
			// into either range of an OR and would read every day of
			// the scope's region.
			part := `SELECT day, ` + t.key + `, ` + strings.Join(t.cols, ", ") + ` FROM ` + t.name + ` WHERE level = ? AND ` + w
			from = `(` + part + ` AND day >= ? UNION ALL ` + part + ` AND day >= ? AND day < ?) r`
			fargs = append(append(append(append([]any{level}, wargs...), min(win.month, win.prev4), level), wargs...), win.first, win.lastYearEnd)
		case t.name == "case_flow_category":
			// A range of regions (or all): one pass over the level.
			cond, xargs = " AND (day >= ? OR (day >= ? AND day < ?))", []any{min(win.month, win.prev4), win.first, win.lastYearEnd}
		}
		var q string
		var qargs []any
		if len(fargs) > 0 {
			q = `SELECT ` + region + `, day, ` + key + `, ` + strings.Join(sums, ", ") + ` FROM ` + from + ` GROUP BY ` + group
			qargs = fargs
		} else {
			q = `SELECT ` + region + `, day, ` + key + `, ` + strings.Join(sums, ", ") + ` FROM ` + from + ` WHERE level = ? AND ` + w + cond + ` GROUP BY ` + group
			qargs = append(append([]any{level}, wargs...), xargs...)
		}
		rows, err := s.query(ctx, q, qargs...)
		if err != nil {
			return civic.Overview{}, fmt.Errorf("overview: read %s: %w", t.name, err)
		}
		for rows.Next() {
			k := rollupKey{table: t.name, level: level}
			ns := make([]int64, len(t.cols))
			dest := []any{&k.region, &k.day, &k.category}
			for i := range ns {
				dest = append(dest, &ns[i])
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return civic.Overview{}, fmt.Errorf("overview: read %s: %w", t.name, err)
			}
			cols := map[string]int64{}
			for i, n := range ns {
				if n != 0 {
					cols[t.cols[i]] = n
				}
			}
			m[k] = cols
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return civic.Overview{}, fmt.Errorf("overview: read %s: %w", t.name, err)
		}
	}
	if err := s.addPendingClaims(ctx, scope, win, m); err != nil {
		return civic.Overview{}, err
	}
	o := buildOverview(scope, win, m)
	o.People, err = s.peopleStats(ctx, a, where, args)
	return o, err
}

// KindClaimPending counts, at read time, dispatches still waiting for a
// claim whose claim deadline is ahead: not late yet, so left out of
// 响应率's denominator — else every morning's first dispatches read 0 %.
const KindClaimPending = "claim_pending"

// addPendingClaims adds KindClaimPending to the overview's case_flow
// counts of scope (""= all): the cases dispatched (or transferred) since
// the daily trend's first day, not yet claimed, whose claim deadline is
// after now, each on the day of its dispatch. A claim limit is hours, so
// these are the last day or two's cases, read through a partial index of
// dispatched cases' claim deadlines (migration 0028).
func (s *Store) addPendingClaims(ctx context.Context, scope string, win overviewWindow, m rollups) error {
	// The month's first day less 30 covers the month and the 30-day trend.
	since, _ := time.ParseInLocation(civic.DateLayout, win.month, civic.ChinaTime)
	since = since.AddDate(0, 0, -30)
	indexed := ""
	if s.engine != Postgres {
		indexed = " INDEXED BY cases_claim_pending" // see migration 0028
	}
	q := `SELECT region_code, dispatched_at FROM cases` + indexed + ` WHERE state = 'dispatched' AND claim_due > ? AND dispatched_at >= ?`
	args := []any{win.now.UTC(), since.UTC()}
	if scope != "" {
		lo, hi := civic.ScopePrefixRange(scope)
		q += ` AND region_code >= ? AND region_code < ?`
		args = append(args, lo, hi)
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("overview: read pending claims: %w", err)
	}
	defer rows.Close()
	level, cl := overviewLevel(scope, "case_flow"), childLen(scope)
	for rows.Next() {
		var region string
		var at time.Time
		if err := rows.Scan(&region, &at); err != nil {
			return fmt.Errorf("overview: read pending claims: %w", err)
		}
		if len(region) > cl {
			region = region[:cl]
		}
		k := rollupKey{table: "case_flow", level: level, region: region, day: civic.Today(at)}
		if m[k] == nil {
			m[k] = map[string]int64{}
		}
		m[k][KindClaimPending]++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("overview: read pending claims: %w", err)
	}
	return nil
}

// peopleStats counts people, tags and linkage under where (on a
// region_code column, rewritten to grid_code), for readers of people.
func (s *Store) peopleStats(ctx context.Context, a civic.Actor, where string, args []any) (*civic.PeopleStats, error) {
	if !a.Can(civic.PermPeopleRead) {
		return nil, nil
	}
	where = strings.ReplaceAll(strings.ReplaceAll(where, "c.region_code", "grid_code"), "region_code", "grid_code")
	p := &civic.PeopleStats{ByTag: map[string]int64{}}
	var linked, houses, complete int64
	if err := s.queryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN houses > 0 THEN 1 ELSE 0 END), 0) FROM people WHERE `+where, args...).Scan(&p.Population, &linked); err != nil {
		return nil, fmt.Errorf("overview: count people: %w", err)
	}
	if err := s.queryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN residents > 0 OR use = 'vacant' THEN 1 ELSE 0 END), 0) FROM houses WHERE `+where, args...).Scan(&houses, &complete); err != nil {
		return nil, fmt.Errorf("overview: count houses: %w", err)
	}
	tags := make([]any, 0, len(civic.Tags))
	marks := ""
	for i, t := range civic.Tags {
		if i > 0 {
			marks += ", "
		}
		marks += "?"
		tags = append(tags, string(t))
	}
	rows, err := s.query(ctx, `SELECT tag, COUNT(*) FROM person_tags WHERE tag IN (`+marks+`) AND `+where+` GROUP BY tag`, append(tags, args...)...)
	if err != nil {
		return nil, fmt.Errorf("overview: count tags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		var n int64
		if err := rows.Scan(&t, &n); err != nil {
			return nil, fmt.Errorf("overview: count tags: %w", err)
		}
		p.ByTag[t] = n
	}
	p.Linkage = civic.Completeness{Houses: int(houses), HousesComplete: int(complete), People: int(p.Population), PeopleLinked: int(linked)}
	return p, rows.Err()
}

// OverviewByScan computes the same overview by walking the timelines of
// every case in the scope: the baseline the roll-ups are measured against,
// and a second check of them in tests.
func (s *Store) OverviewByScan(ctx context.Context, a civic.Actor, scope string) (civic.Overview, error) {
	scope, where, args, err := overviewScope(a, scope, "c.region_code")
	if err != nil {
		return civic.Overview{}, err
	}
	win := newOverviewWindow(s.Now())
	m, err := s.scanRollups(ctx, s, where, args, time.Time{})
	if err != nil {
		return civic.Overview{}, err
	}
	if err := s.addPendingClaims(ctx, scope, win, m); err != nil {
		return civic.Overview{}, err
	}
	o := buildOverview(scope, win, m)
	o.People, err = s.peopleStats(ctx, a, where, args)
	return o, err
}

func ratio(num float64, den int64) *float64 {
	if den == 0 {
		return nil
	}
	r := num / float64(den)
	return &r
}

func ratesOf(ev map[string]int64) civic.OverviewRates {
	valid := ev[KindVisitValid]
	return civic.OverviewRates{
		Response:     ratio(float64(ev[KindClaimOnTime]), max(0, ev[string(civic.ActDispatch)]+ev[string(civic.ActTransfer)]-ev[KindClaimPending])),
		Solved:       ratio(float64(ev[KindVisitSolved]), valid),
		Satisfaction: ratio(float64(ev[KindVisitSatisfied])+DefaultBasicWeight*float64(ev[KindVisitBasic]), valid),
		Completion:   ratio(float64(ev[KindCloseOnTime]), ev[string(civic.ActVerifyPass)]),
	}
}

// rollupScope narrows a roll-up read of level to scope: an equality when
// the level keeps its counts under codes of the scope's own length (a
// street's counts at the street level), so the index seeks straight to
// the scope's days instead of filtering every day of it; else the prefix
// range where, args.
func rollupScope(scope string, level int, where string, args []any) (string, []any) {
	if scope != "" && level > 0 && rollupLevelLen[level] == len(scope) {
		return "region_code = ?", []any{scope}
	}
	return where, args
}

// childLen is the code length of the regions one level below scope.
func childLen(scope string) int {
	for _, l := range []int{6, 9, 12, 15} {
		if l > len(scope) {
			return l
		}
	}
	return len(scope)
}

func isOpen(state string) bool {
	switch civic.CaseState(state) {
	case civic.StateReported, civic.StateAccepted, civic.StateDispatched, civic.StateInProgress, civic.StateHandled:
		return true
	}
	return false
}

// buildOverview folds roll-up rows (of the levels overviewLevel says) into the overview;
// Overview and OverviewByScan share it, so they differ only in where the
// counts come from.
func buildOverview(scope string, win overviewWindow, m rollups) civic.Overview {
	o := civic.Overview{Scope: scope, AsOf: win.now, ByState: map[string]int64{}}
	type span struct{ name, from, to string }
	spans := []span{{"today", win.today, win.tomorrow}, {"week", win.week, win.tomorrow}, {"month", win.month, win.tomorrow}}
	for _, sp := range spans {
		o.Periods = append(o.Periods, civic.OverviewPeriod{Name: sp.name, From: sp.from, To: sp.to,
			BySource: map[string]int64{}, ByCategory: map[string]int64{}, ByState: map[string]int64{}, Events: map[string]int64{}})
	}
	t, _ := time.ParseInLocation(civic.DateLayout, win.today, civic.ChinaTime)
	dayStart := t.AddDate(0, 0, -29).Format(civic.DateLayout)
	mt := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, civic.ChinaTime)
	monthStart := mt.AddDate(0, -11, 0).Format(civic.DateLayout)
	days := map[string]map[string]int64{}
	months := map[string]map[string]int64{}
	cats := map[string]*civic.CategoryTrend{}
	cat := func(c string) *civic.CategoryTrend {
		if cats[c] == nil {
			cats[c] = &civic.CategoryTrend{Code: c}
		}
		return cats[c]
	}
	regions := map[string]*civic.RegionFigure{}
	cl := childLen(scope)
	region := func(code string) *civic.RegionFigure {
		if len(code) >= cl {
			code = code[:cl]
		}
		if regions[code] == nil {
			regions[code] = &civic.RegionFigure{Code: code}
		}
		return regions[code]
	}
	bump := func(into map[string]map[string]int64, key, col string, n int64) {
		if into[key] == nil {
			into[key] = map[string]int64{}
		}
		into[key][col] += n
	}
	for k, cols := range m {
		if k.level != overviewLevel(scope, k.table) || k.day >= win.tomorrow {
			continue
		}
		for col, n := range cols {
			if n == 0 {
				continue
			}
			switch k.table {
			case "case_stock":
				o.ByState[col] += n
				if isOpen(col) {
					region(k.region).Open += n
				}
				for i, sp := range spans {
					if k.day >= sp.from {
						o.Periods[i].ByState[col] += n
					}
				}
			case "case_flow_category":
				for i, sp := range spans {
					if k.day >= sp.from {
						o.Periods[i].ByCategory[k.category] += n
					}
				}
				switch {
				case k.day >= win.week:
					cat(k.category).Week += n
				case k.day >= win.prev4:
					cat(k.category).Prev4Avg += float64(n) / 4
				case k.day >= win.first && k.day < win.lastYearEnd:
					cat(k.category).LastYear += n
				}
			case "case_flow":
				for i, sp := range spans {
					if k.day < sp.from {
						continue
					}
					p := &o.Periods[i]
					if strings.HasPrefix(col, "src_") {
						p.BySource[col[4:]] += n
					} else {
						p.Events[col] += n
					}
				}
				if strings.HasPrefix(col, "src_") {
					continue
				}
				if k.day >= dayStart {
					bump(days, k.day, col, n)
				}
				if k.day >= monthStart {
					bump(months, k.day[:8]+"01", col, n)
				}
				if col == "report" && k.day >= win.month {
					region(k.region).Reported += n
				}
			}
		}
	}
	for i := range o.Periods {
		p := &o.Periods[i]
		p.Reported = p.Events["report"]
		p.Rates = ratesOf(p.Events)
		p.Warned, p.Escalated = p.Events["warn"], p.Events["escalate"]
	}
	point := func(date string, ev map[string]int64) civic.TrendPoint {
		return civic.TrendPoint{Date: date, Reported: ev["report"], Closed: ev["verify_pass"] + ev["answer"], Rates: ratesOf(ev)}
	}
	for i := 29; i >= 0; i-- {
		d := t.AddDate(0, 0, -i).Format(civic.DateLayout)
		o.Daily = append(o.Daily, point(d, days[d]))
	}
	for i := 11; i >= 0; i-- {
		d := mt.AddDate(0, -i, 0).Format(civic.DateLayout)
		o.Monthly = append(o.Monthly, point(d, months[d]))
	}
	for _, c := range cats {
		if c.Week > 0 {
			o.TopCategories = append(o.TopCategories, *c)
			if float64(c.Week) > c.Prev4Avg {
				o.Rising = append(o.Rising, *c)
			}
		}
	}
	sort.Slice(o.TopCategories, func(i, j int) bool {
		a, b := o.TopCategories[i], o.TopCategories[j]
		return a.Week > b.Week || a.Week == b.Week && a.Code < b.Code
	})
	sort.Slice(o.Rising, func(i, j int) bool {
		a, b := o.Rising[i], o.Rising[j]
		da, db := float64(a.Week)-a.Prev4Avg, float64(b.Week)-b.Prev4Avg
		return da > db || da == db && a.Code < b.Code
	})
	o.TopCategories = o.TopCategories[:min(10, len(o.TopCategories))]
	o.Rising = o.Rising[:min(10, len(o.Rising))]
	for _, r := range regions {
		o.Regions = append(o.Regions, *r)
	}
	sort.Slice(o.Regions, func(i, j int) bool { return o.Regions[i].Code < o.Regions[j].Code })
	return o
}
