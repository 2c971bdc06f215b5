package civic

import "time"

// Overview is the insight module's first page (DESIGN.md §3, issue 5) for
// one scope, city down to grid, as of a moment. Case figures come from the
// roll-ups (internal/store/rollup.go); docs/INSIGHT.md says what each
// counts and where it differs from docs/METRICS.md. Dates are China dates
// (YYYY-MM-DD); periods are [from, to).
type Overview struct {
	Scope string    `json:"scope"`
	AsOf  time.Time `json:"as_of"`
	// Periods are today, this week (from Monday) and this month.
	Periods []OverviewPeriod `json:"periods"`
	// ByState counts every case filed in the scope by its current state.
	ByState map[string]int64 `json:"by_state"`
	// Daily is the last 30 days, oldest first; Monthly the last 12 months
	// (Date is the first of the month).
	Daily   []TrendPoint `json:"daily"`
	Monthly []TrendPoint `json:"monthly"`
	// TopCategories are this week's most reported categories; Rising
	// those reported more this week than the previous four weeks' average.
	TopCategories []CategoryTrend `json:"top_categories"`
	Rising        []CategoryTrend `json:"rising"`
	// Regions counts this month's reports and the open cases per child
	// region (streets of a city, communities of a street, grids of a
	// community), for a map.
	Regions []RegionFigure `json:"regions"`
	// People are the scope's people statistics, for those who may read
	// people (PermPeopleRead); absent otherwise.
	People *PeopleStats `json:"people,omitempty"`
}

// PeopleStats counts the people and houses of a scope from the people
// tables' indexed counters.
type PeopleStats struct {
	Population int64 `json:"population"`
	// ByTag counts people per tag (age80 = 80+, alone = living alone…).
	ByTag map[string]int64 `json:"by_tag"`
	// Linkage is 人房关联 completeness: people linked to a house, houses
	// with residents (or vacant).
	Linkage Completeness `json:"linkage"`
}

// OverviewPeriod holds the figures of one period.
type OverviewPeriod struct {
	Name string `json:"name"` // today, week, month
	From string `json:"from"`
	To   string `json:"to"`
	// Reported counts cases filed in the period; BySource, ByCategory and
	// ByState split them (ByState by their current state).
	Reported   int64            `json:"reported"`
	BySource   map[string]int64 `json:"by_source"`
	ByCategory map[string]int64 `json:"by_category"`
	ByState    map[string]int64 `json:"by_state"`
	// Events counts the period's events by flow kind (the case actions and
	// claim_on_time, close_on_time, visit_*).
	Events map[string]int64 `json:"events"`
	Rates  OverviewRates    `json:"rates"`
	// Warned and Escalated count the system's warnings (预警) and overdue
	// escalations (超期督办) in the period.
	Warned    int64 `json:"warned"`
	Escalated int64 `json:"escalated"`
}

// OverviewRates are the three rates and 办结率 from the roll-ups; nil when
// the denominator is 0.
type OverviewRates struct {
	Response     *float64 `json:"response"`     // 响应率: claims on time ÷ dispatches
	Solved       *float64 `json:"solved"`       // 解决率: solved ÷ valid visits
	Satisfaction *float64 `json:"satisfaction"` // 满意率: (满意 + 0.8·基本满意) ÷ valid visits
	Completion   *float64 `json:"completion"`   // 办结率: closes on time ÷ closes
}

// TrendPoint is one day or month of a trend.
type TrendPoint struct {
	Date     string        `json:"date"`
	Reported int64         `json:"reported"`
	Closed   int64         `json:"closed"`
	Rates    OverviewRates `json:"rates"`
}

// CategoryTrend is one category's reports this week against the previous
// four weeks' average and the same week a year before.
type CategoryTrend struct {
	Code     string  `json:"code"`
	Week     int64   `json:"week"`
	Prev4Avg float64 `json:"prev4_avg"`
	LastYear int64   `json:"last_year"`
}

// RegionFigure is one child region on the map.
type RegionFigure struct {
	Code     string `json:"code"`
	Reported int64  `json:"reported"` // this month
	Open     int64  `json:"open"`     // now, any filing day
}
