package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// Assessments (考核) put the figures of docs/METRICS.md side by side per
// handler, street or community for a month, quarter or year, add the
// counts behind them, weigh them into a score and rank the units. The
// rates are CaseMetricsBy's and the whistle records whistleFacts', never
// computed a second way; docs/INSIGHT.md ("Assessments") has the formula.

// AssessmentQuery chooses the level and period of an assessment.
type AssessmentQuery struct {
	Level  civic.AssessLevel
	Period civic.Period
}

// AssessmentWhistles is a unit's record of answering whistles (吹哨报到):
// at the handler level the department summoned, at the region levels the
// summons over the cases of the region.
type AssessmentWhistles struct {
	Summoned  int `json:"summoned"`
	CheckedIn int `json:"checked_in"`
	OnTime    int `json:"on_time"`
	Missed    int `json:"missed"`
}

// AssessmentUnit is one assessed handler, street or community.
type AssessmentUnit struct {
	// Key is "org:<id>" or "region:<code>" (a region acting as handler) at
	// the handler level, the region code at the street and community levels.
	Key        string `json:"key"`
	Name       string `json:"name"`
	OrgID      int64  `json:"org_id,omitempty"`
	RegionCode string `json:"region_code,omitempty"`

	Reported   int `json:"reported"`   // cases filed in the period (street and community levels)
	Dispatched int `json:"dispatched"` // dispatches and transfers made in the period
	Closed     int `json:"closed"`     // closes (verify_pass) in the period
	Overdue    int `json:"overdue"`    // dispatches due in the period and not closed by their deadline
	Reworked   int `json:"reworked"`   // 核查不通过 (verify_fail) and 重办 (reopen) in the period
	Returned   int `json:"returned"`   // 退单 in the period

	Response     Rate `json:"response_rate"`
	Solved       Rate `json:"solved_rate"`
	Satisfaction Rate `json:"satisfaction_rate"`
	Completion   Rate `json:"completion_rate"`
	OverdueRate  Rate `json:"overdue_rate"`
	ReworkRate   Rate `json:"rework_rate"`  // (verify_fail + reopen) ÷ (verify_pass + verify_fail + reopen)
	WhistleRate  Rate `json:"whistle_rate"` // on time ÷ (checked in + missed)

	Whistles AssessmentWhistles `json:"whistles"`

	// Score is 0–100, nil when no weighted indicator has a denominator.
	Score *float64 `json:"score"`
	// Ranked says the unit had at least MinCases dispatches and a score;
	// Rank is then its place within the level (ties share a place).
	Ranked bool `json:"ranked"`
	Rank   int  `json:"rank,omitempty"`
}

// Rate returns the unit's figure of an indicator.
func (u AssessmentUnit) Rate(i civic.Indicator) Rate {
	switch i {
	case civic.IndResponse:
		return u.Response
	case civic.IndSolved:
		return u.Solved
	case civic.IndSatisfaction:
		return u.Satisfaction
	case civic.IndCompletion:
		return u.Completion
	case civic.IndOverdue:
		return u.OverdueRate
	case civic.IndRework:
		return u.ReworkRate
	case civic.IndWhistle:
		return u.WhistleRate
	}
	return Rate{}
}

// Assessment is the ranking of one level and period: ranked units first
// by rank, then the units with too few cases by key.
type Assessment struct {
	Level    civic.AssessLevel        `json:"level"`
	Period   civic.Period             `json:"period"`
	Settings civic.AssessmentSettings `json:"settings"`
	Units    []AssessmentUnit         `json:"items"`
	// Red and Black are the keys of the 红榜 (the TopN best, best first)
	// and the 黑榜 (the TopN worst not already on the red list, worst
	// first).
	Red   []string `json:"red"`
	Black []string `json:"black"`
}

// Unit returns the unit with the key.
func (a Assessment) Unit(key string) (AssessmentUnit, bool) {
	for _, u := range a.Units {
		if u.Key == key {
			return u, true
		}
	}
	return AssessmentUnit{}, false
}

// RedUnits and BlackUnits are the lists' units in order.
func (a Assessment) RedUnits() []AssessmentUnit   { return a.unitsOf(a.Red) }
func (a Assessment) BlackUnits() []AssessmentUnit { return a.unitsOf(a.Black) }

func (a Assessment) unitsOf(keys []string) []AssessmentUnit {
	out := make([]AssessmentUnit, 0, len(keys))
	for _, k := range keys {
		if u, ok := a.Unit(k); ok {
			out = append(out, u)
		}
	}
	return out
}

var assessGroupings = map[civic.AssessLevel]string{
	civic.AssessOrg: GroupByOrg, civic.AssessStreet: GroupByStreet, civic.AssessCommunity: GroupByCommunity,
}

func (q AssessmentQuery) check() error {
	if !q.Level.Valid() {
		return civic.Invalid(civic.FieldErr("level", "考核对象应为 org、street 或 community", "level is org, street or community"))
	}
	if q.Period.From.IsZero() || !q.Period.From.Before(q.Period.To) {
		return civic.Invalid(civic.FieldErr("period", "考核期间无效", "the period is not valid"))
	}
	return nil
}

// Assessment computes the figures, scores and ranking of a level and
// period over what the actor may assess (the scope of CaseMetrics: staff
// who oversee see the cases of their region scope, a handling
// organisation's staff their own organisation's work).
func (s *Store) Assessment(ctx context.Context, a civic.Actor, q AssessmentQuery) (Assessment, error) {
	if err := q.check(); err != nil {
		return Assessment{}, err
	}
	settings, err := s.AssessmentSettings(ctx)
	if err != nil {
		return Assessment{}, err
	}
	f := MetricsFilter{From: q.Period.From, To: q.Period.To}
	rows, err := s.CaseMetricsBy(ctx, a, f, assessGroupings[q.Level])
	if err != nil {
		return Assessment{}, err
	}
	units := map[string]*AssessmentUnit{}
	unit := func(key string) *AssessmentUnit {
		u := units[key]
		if u == nil {
			u = &AssessmentUnit{Key: key}
			switch {
			case strings.HasPrefix(key, "org:"):
				u.OrgID, _ = strconv.ParseInt(key[4:], 10, 64)
			case strings.HasPrefix(key, "region:"):
				u.RegionCode = key[7:]
			default:
				u.RegionCode = key
			}
			units[key] = u
		}
		return u
	}
	for _, r := range rows {
		if r.Key == "" {
			// Consultations answered directly have no handler, and a
			// case without a region has no street: nobody to assess.
			continue
		}
		m := r.Metrics
		u := unit(r.Key)
		u.Name = r.Name
		u.Dispatched, u.Closed, u.Returned = m.Counts.Dispatched, m.Counts.Closed, m.Counts.Returned
		u.Overdue = int(m.Overdue.Numerator)
		u.Reworked = m.Counts.Reworked + m.Counts.Reopened
		u.Response, u.Solved, u.Satisfaction, u.Completion, u.OverdueRate = m.Response, m.Solved, m.Satisfaction, m.Completion, m.Overdue
		u.ReworkRate = rate(float64(u.Reworked), m.Rework.Denominator+m.Counts.Reopened)
	}
	facts, err := s.whistleFacts(ctx, a, f)
	if err != nil {
		return Assessment{}, err
	}
	for _, w := range facts {
		key := whistleKey(q.Level, w)
		if key == "" {
			continue
		}
		u := unit(key)
		u.Whistles.Summoned++
		if !w.checkedIn.IsZero() {
			u.Whistles.CheckedIn++
		}
		if w.onTime {
			u.Whistles.OnTime++
		}
		if w.missed {
			u.Whistles.Missed++
		}
	}
	if q.Level != civic.AssessOrg {
		reported, err := s.assessReported(ctx, a, q)
		if err != nil {
			return Assessment{}, err
		}
		for key, n := range reported {
			unit(key).Reported = n
		}
	}
	out := Assessment{Level: q.Level, Period: q.Period, Settings: settings}
	var orgIDs, regions []any
	for _, u := range units {
		u.WhistleRate = rate(float64(u.Whistles.OnTime), u.Whistles.CheckedIn+u.Whistles.Missed)
		u.Score = assessScore(*u, settings.Weights)
		u.Ranked = u.Score != nil && u.Dispatched >= settings.MinCases
		if u.Name == "" {
			if u.OrgID != 0 {
				orgIDs = append(orgIDs, u.OrgID)
			} else {
				regions = append(regions, u.RegionCode)
			}
		}
		out.Units = append(out.Units, *u)
	}
	if err := s.nameUnits(ctx, out.Units, orgIDs, regions); err != nil {
		return Assessment{}, err
	}
	rankUnits(&out)
	return out, nil
}

// whistleKey is the unit a summons counts for at a level.
func whistleKey(l civic.AssessLevel, w whistleFact) string {
	switch l {
	case civic.AssessOrg:
		return "org:" + strconv.FormatInt(w.orgID, 10)
	case civic.AssessStreet:
		return prefixOf(w.region, civic.LevelStreet)
	}
	return prefixOf(w.region, civic.LevelCommunity)
}

// assessLevelOf is the region level of a street or community assessment.
func assessLevelOf(l civic.AssessLevel) civic.Level {
	if l == civic.AssessStreet {
		return civic.LevelStreet
	}
	return civic.LevelCommunity
}

// assessReported counts the cases filed in the period per street or
// community, in the actor's scope. A handling organisation's staff are
// assessed on their dispatches only and get no reports.
func (s *Store) assessReported(ctx context.Context, a civic.Actor, q AssessmentQuery) (map[string]int, error) {
	f := MetricsFilter{}
	where, args, err := metricsScope(a, &f)
	if err != nil || f.HandlerOrgID != 0 {
		return nil, err
	}
	n := 9
	if q.Level == civic.AssessCommunity {
		n = 12
	}
	rows, err := s.query(ctx, `SELECT substr(c.region_code, 1, `+strconv.Itoa(n)+`), COUNT(*) FROM cases c
		WHERE `+where+` AND c.created_at >= ? AND c.created_at < ? AND length(c.region_code) >= `+strconv.Itoa(n)+`
		GROUP BY substr(c.region_code, 1, `+strconv.Itoa(n)+`)`, append(args, q.Period.From.UTC(), q.Period.To.UTC())...)
	if err != nil {
		return nil, fmt.Errorf("count reported cases: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var code string
		var c int
		if err := rows.Scan(&code, &c); err != nil {
			return nil, fmt.Errorf("scan reported count: %w", err)
		}
		out[code] = c
	}
	return out, rows.Err()
}

func (s *Store) nameUnits(ctx context.Context, units []AssessmentUnit, orgIDs, regions []any) error {
	orgs, err := s.namesOf(ctx, "organisations", "id", orgIDs)
	if err != nil {
		return err
	}
	names, err := s.namesOf(ctx, "regions", "code", regions)
	if err != nil {
		return err
	}
	for i := range units {
		u := &units[i]
		switch {
		case u.Name != "":
		case u.OrgID != 0:
			u.Name = orgs[strconv.FormatInt(u.OrgID, 10)]
		default:
			u.Name = names[u.RegionCode]
		}
	}
	return nil
}

// assessScore is 100 × Σ wᵢ·vᵢ ÷ Σ wᵢ over the indicators with a weight
// and a denominator, vᵢ the rate (1 − rate when lower is better); nil when
// there are none.
func assessScore(u AssessmentUnit, weights map[civic.Indicator]float64) *float64 {
	var num, den float64
	for _, i := range civic.Indicators {
		w, r := weights[i], u.Rate(i)
		if w <= 0 || r.Ratio == nil {
			continue
		}
		v := *r.Ratio
		if i.LowerIsBetter() {
			v = 1 - v
		}
		num += w * v
		den += w
	}
	if den == 0 {
		return nil
	}
	sc := math.Round(100*num/den*100) / 100
	return &sc
}

// rankUnits orders the units (ranked by score, best first, ties by key;
// then the rest by key), gives ranks (ties share one) and picks the lists.
func rankUnits(a *Assessment) {
	us := a.Units
	sort.Slice(us, func(i, j int) bool {
		x, y := us[i], us[j]
		if x.Ranked != y.Ranked {
			return x.Ranked
		}
		if x.Ranked && *x.Score != *y.Score {
			return *x.Score > *y.Score
		}
		return x.Key < y.Key
	})
	n := 0
	for i := range us {
		if !us[i].Ranked {
			break
		}
		n++
		us[i].Rank = i + 1
		if i > 0 && *us[i].Score == *us[i-1].Score {
			us[i].Rank = us[i-1].Rank
		}
	}
	red := min(a.Settings.TopN, n)
	a.Red, a.Black = []string{}, []string{}
	for i := 0; i < red; i++ {
		a.Red = append(a.Red, us[i].Key)
	}
	for i := n - 1; i >= red && len(a.Black) < a.Settings.TopN; i-- {
		a.Black = append(a.Black, us[i].Key)
	}
}

// Figures a drill-down can list the cases of (AssessmentCases), each
// counted exactly as the assessment counts it.
const (
	FigReported       = "reported"        // filed in the period
	FigDispatched     = "dispatched"      // dispatched (or transferred) to the unit in the period
	FigClosed         = "closed"          // closed in the period
	FigResponded      = "responded"       // 响应率 numerator
	FigResponse       = "response"        // 响应率 denominator
	FigVisits         = "visits"          // valid visits: 解决率 and 满意率 denominator
	FigSolved         = "solved"          // 解决率 numerator
	FigSatisfied      = "satisfied"       // rated 满意
	FigBasic          = "basic"           // rated 基本满意
	FigDissatisfied   = "dissatisfied"    // rated 不满意
	FigDue            = "due"             // 办结率 denominator
	FigDueClosed      = "due_closed"      // 办结率 numerator
	FigOverdue        = "overdue"         // 超期
	FigReworked       = "reworked"        // 返工: verify_fail or reopen
	FigReworkBase     = "rework_base"     // 返工率 denominator
	FigReturned       = "returned"        // 退单
	FigWhistles       = "whistles"        // summoned
	FigWhistleOnTime  = "whistle_on_time" // checked in on time
	FigWhistleDecided = "whistle_base"    // checked in or missed: the whistle rate's denominator
)

// assessTallyFigures read a drill-down figure from one case's tally.
var assessTallyFigures = map[string]func(t *metricsTally) int{
	FigDispatched:   func(t *metricsTally) int { return t.dispatched },
	FigClosed:       func(t *metricsTally) int { return t.closed },
	FigResponded:    func(t *metricsTally) int { return t.responded },
	FigResponse:     func(t *metricsTally) int { return t.responded + t.unresponded },
	FigVisits:       func(t *metricsTally) int { return t.visits },
	FigSolved:       func(t *metricsTally) int { return t.solved },
	FigSatisfied:    func(t *metricsTally) int { return t.satisfied },
	FigBasic:        func(t *metricsTally) int { return t.basic },
	FigDissatisfied: func(t *metricsTally) int { return t.dissatisfied },
	FigDue:          func(t *metricsTally) int { return t.due },
	FigDueClosed:    func(t *metricsTally) int { return t.dueClosed },
	FigOverdue:      func(t *metricsTally) int { return t.dueOverdue },
	FigReworked:     func(t *metricsTally) int { return t.verifyFail + t.reopened },
	FigReworkBase:   func(t *metricsTally) int { return t.verifyPass + t.verifyFail + t.reopened },
	FigReturned:     func(t *metricsTally) int { return t.returned },
}

var assessWhistleFigures = map[string]func(w whistleFact) bool{
	FigWhistles:       func(whistleFact) bool { return true },
	FigWhistleOnTime:  func(w whistleFact) bool { return w.onTime },
	FigWhistleDecided: func(w whistleFact) bool { return !w.checkedIn.IsZero() || w.missed },
}

// AssessmentFigure names the cases behind one figure of one unit of an
// assessment, for the case list.
type AssessmentFigure struct {
	AssessmentQuery
	Unit   string // an AssessmentUnit's key
	Figure string // one of the Fig… names
}

// AssessmentCases returns the IDs of the cases behind a figure, in the
// actor's scope, ascending, and the figure itself. A case counted twice in
// a figure (two dispatches in the period, say) is listed once, so the
// figure may exceed the number of cases.
func (s *Store) AssessmentCases(ctx context.Context, a civic.Actor, fig AssessmentFigure) ([]int64, int, error) {
	if err := fig.check(); err != nil {
		return nil, 0, err
	}
	f := MetricsFilter{From: fig.Period.From, To: fig.Period.To}
	var bad bool
	switch {
	case fig.Level != civic.AssessOrg:
		bad = len(fig.Unit) != map[civic.AssessLevel]int{civic.AssessStreet: 9, civic.AssessCommunity: 12}[fig.Level] || !isDigits(fig.Unit)
		f.Under = fig.Unit
	case strings.HasPrefix(fig.Unit, "org:"):
		id, err := strconv.ParseInt(fig.Unit[4:], 10, 64)
		bad = err != nil || id <= 0
		f.HandlerOrgID = id
	case strings.HasPrefix(fig.Unit, "region:"):
		f.HandlerRegion = fig.Unit[7:]
		bad = !isDigits(f.HandlerRegion)
	default:
		bad = true
	}
	if bad {
		return nil, 0, civic.Invalid(civic.FieldErr("unit", "考核对象“%s”无效", "unit %q is not valid", fig.Unit))
	}
	seen := map[int64]bool{}
	n := 0
	switch {
	case fig.Figure == FigReported:
		if fig.Level == civic.AssessOrg {
			return nil, 0, civic.Invalid(civic.FieldErr("figure", "承办单位没有受理数", "handlers have no reported count"))
		}
		scope := MetricsFilter{}
		where, args, err := metricsScope(a, &scope)
		if err != nil || scope.HandlerOrgID != 0 {
			return []int64{}, 0, err
		}
		lo, hi := civic.ScopePrefixRange(fig.Unit)
		rows, err := s.query(ctx, `SELECT c.id FROM cases c WHERE `+where+` AND c.created_at >= ? AND c.created_at < ? AND c.region_code >= ? AND c.region_code < ?`,
			append(args, fig.Period.From.UTC(), fig.Period.To.UTC(), lo, hi)...)
		if err != nil {
			return nil, 0, fmt.Errorf("reported cases: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, 0, fmt.Errorf("scan case id: %w", err)
			}
			seen[id] = true
			n++
		}
		if err := rows.Err(); err != nil {
			return nil, 0, fmt.Errorf("reported cases: %w", err)
		}
	case assessWhistleFigures[fig.Figure] != nil:
		facts, err := s.whistleFacts(ctx, a, f)
		if err != nil {
			return nil, 0, err
		}
		for _, w := range facts {
			if whistleKey(fig.Level, w) == fig.Unit && assessWhistleFigures[fig.Figure](w) {
				seen[w.caseID] = true
				n++
			}
		}
	case assessTallyFigures[fig.Figure] != nil:
		m, cases, err := s.metricsRunFor(ctx, a, f, assessGroupings[fig.Level])
		if err != nil {
			return nil, 0, err
		}
		count := assessTallyFigures[fig.Figure]
		for _, c := range cases {
			// One case at a time, so that what it adds to the unit is
			// what it contributes to the figure.
			m.tallies = map[string]*metricsTally{}
			if err := m.walk(ctx, s, c); err != nil {
				return nil, 0, err
			}
			if t := m.tallies[fig.Unit]; t != nil && count(t) > 0 {
				seen[c.id] = true
				n += count(t)
			}
		}
	default:
		return nil, 0, civic.Invalid(civic.FieldErr("figure", "没有这项数字“%s”", "no figure %q", fig.Figure))
	}
	ids := make([]int64, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, n, nil
}

// AssessmentUnitName names a unit key ("org:<id>", "region:<code>" or a
// region code): an organisation's or region's name, "" when unknown.
func (s *Store) AssessmentUnitName(ctx context.Context, unit string) (string, error) {
	table, col, key := "regions", "code", strings.TrimPrefix(unit, "region:")
	if strings.HasPrefix(unit, "org:") {
		table, col, key = "organisations", "id", unit[4:]
	}
	if !isDigits(key) {
		return "", nil
	}
	names, err := s.namesOf(ctx, table, col, []any{key})
	return names[key], err
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// AssessmentSettings returns the weights and ranking rules in force: the
// stored ones, or the defaults.
func (s *Store) AssessmentSettings(ctx context.Context) (civic.AssessmentSettings, error) {
	st := civic.AssessmentSettings{Weights: map[civic.Indicator]float64{}}
	w := make([]float64, len(civic.Indicators))
	dst := []any{}
	for i := range w {
		dst = append(dst, &w[i])
	}
	dst = append(dst, &st.MinCases, &st.TopN, &st.UpdatedAt, &st.UpdatedBy)
	err := s.queryRow(ctx, `SELECT `+assessWeightCols+`, min_cases, top_n, updated_at, updated_by FROM assessment_settings WHERE id = 1`).Scan(dst...)
	if errors.Is(err, sql.ErrNoRows) {
		return civic.DefaultAssessmentSettings(), nil
	}
	if err != nil {
		return st, fmt.Errorf("read assessment settings: %w", err)
	}
	for i, ind := range civic.Indicators {
		st.Weights[ind] = w[i]
	}
	st.UpdatedAt = st.UpdatedAt.UTC()
	return st, nil
}

// assessWeightCols are the weight columns in the order of civic.Indicators.
var assessWeightCols = func() string {
	cols := make([]string, len(civic.Indicators))
	for i, ind := range civic.Indicators {
		cols[i] = "w_" + string(ind)
	}
	return strings.Join(cols, ", ")
}()

// SetAssessmentSettings replaces the weights and ranking rules
// (administrators only); a weight left out is 0. The change is audited in
// the same transaction.
func (s *Store) SetAssessmentSettings(ctx context.Context, a civic.Actor, st civic.AssessmentSettings) (civic.AssessmentSettings, error) {
	if err := a.Must(civic.PermAssessWeights); err != nil {
		return st, err
	}
	if err := st.Validate(); err != nil {
		return st, err
	}
	before, err := s.AssessmentSettings(ctx)
	if err != nil {
		return st, err
	}
	args := []any{}
	for _, ind := range civic.Indicators {
		args = append(args, st.Weights[ind])
	}
	err = s.write(ctx, func(tx *Tx) error {
		// A fresh slice on every run: write may run this again.
		args := append(slices.Clip(args), st.MinCases, st.TopN, tx.now, a.Username)
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")
		set := []string{}
		for _, c := range strings.Split(assessWeightCols+", min_cases, top_n, updated_at, updated_by", ", ") {
			set = append(set, c+" = excluded."+c)
		}
		if _, err := tx.exec(ctx, `INSERT INTO assessment_settings (id, `+assessWeightCols+`, min_cases, top_n, updated_at, updated_by)
			VALUES (1, `+marks+`) ON CONFLICT (id) DO UPDATE SET `+strings.Join(set, ", "), args...); err != nil {
			return fmt.Errorf("save assessment settings: %w", err)
		}
		return tx.audit(ctx, a, "assessment.settings", "assessment_settings", 1, a.Scope.RegionCode, before, st)
	})
	if err != nil {
		return st, err
	}
	return s.AssessmentSettings(ctx)
}
