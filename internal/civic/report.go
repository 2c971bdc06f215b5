package civic

import (
	"strings"
	"time"
)

// Reports (日报/周报/月报, 一表通; issue 5): a template names the figures a
// report shows, in order, from a fixed catalogue; generating it for a region
// and a period pulls every figure from the case roll-ups, the case metrics
// and the people register, so nothing is typed twice. Only the rows a
// template marks as manual are written by hand before the report is
// issued. docs/REPORTS.md defines every figure.

// ReportKind is how long a report's period is.
type ReportKind string

const (
	ReportDaily   ReportKind = "daily"   // 日报: one China day
	ReportWeekly  ReportKind = "weekly"  // 周报: Monday to Sunday
	ReportMonthly ReportKind = "monthly" // 月报: a calendar month
)

// ReportKinds lists the kinds in display order.
var ReportKinds = []ReportKind{ReportDaily, ReportWeekly, ReportMonthly}

var reportKindLabels = map[ReportKind]Text{
	ReportDaily:   T("日报", "Daily"),
	ReportWeekly:  T("周报", "Weekly"),
	ReportMonthly: T("月报", "Monthly"),
}

func (k ReportKind) Valid() bool { _, ok := reportKindLabels[k]; return ok }
func (k ReportKind) Label() Text { return reportKindLabels[k] }

// PeriodStart returns the first day of the period of kind that contains the
// China date day.
func (k ReportKind) PeriodStart(day time.Time) time.Time {
	d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, ChinaTime)
	switch k {
	case ReportWeekly:
		return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	case ReportMonthly:
		return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, ChinaTime)
	}
	return d
}

// PeriodEnd returns the day after the period that starts on from.
func (k ReportKind) PeriodEnd(from time.Time) time.Time {
	switch k {
	case ReportWeekly:
		return from.AddDate(0, 0, 7)
	case ReportMonthly:
		return from.AddDate(0, 1, 0)
	}
	return from.AddDate(0, 0, 1)
}

// Period parses the first day of a period (YYYY-MM-DD; any day of the
// period is accepted and moved to its first) and returns [from, to) as
// China dates.
func (k ReportKind) Period(day string) (from, to string, err error) {
	d, perr := time.ParseInLocation(DateLayout, strings.TrimSpace(day), ChinaTime)
	if perr != nil {
		return "", "", Invalid(FieldErr("period", "请给出统计期间的日期（YYYY-MM-DD）", "give the period as a date (YYYY-MM-DD)"))
	}
	f := k.PeriodStart(d)
	return f.Format(DateLayout), k.PeriodEnd(f).Format(DateLayout), nil
}

// LastPeriod returns the last period of kind that has ended by now: for a
// daily report yesterday, weekly the week before this Monday, monthly the
// month before this one (China dates).
func (k ReportKind) LastPeriod(now time.Time) (from, to string) {
	cur := k.PeriodStart(now.In(ChinaTime))
	return k.prev(cur).Format(DateLayout), cur.Format(DateLayout)
}

// catchUp is how many ended periods of each kind the schedule makes at
// most in one pass: about a month of each, enough to make good a long
// holiday without a server; older gaps are generated on demand.
var catchUp = map[ReportKind]int{ReportDaily: 31, ReportWeekly: 5, ReportMonthly: 2}

// ReportPeriod is a report period [From, To) as China dates.
type ReportPeriod struct{ From, To string }

// DuePeriods returns, oldest first, the ended periods of kind that a
// template active since since owes by now: from the last period that had
// ended when it became active (so a new template makes last period's
// report at once) to the last that has ended now, at most catchUp of them.
// A zero since owes the last ended period only.
func (k ReportKind) DuePeriods(since, now time.Time) []ReportPeriod {
	last := k.PeriodStart(now.In(ChinaTime))
	first := last
	if !since.IsZero() && since.Before(now) {
		first = k.PeriodStart(since.In(ChinaTime))
	}
	var out []ReportPeriod
	for p := k.prev(last); !p.Before(k.prev(first)); p = k.prev(p) {
		out = append(out, ReportPeriod{p.Format(DateLayout), k.PeriodEnd(p).Format(DateLayout)})
		if len(out) == catchUp[k] {
			break
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// prev is the start of the period before the one starting on from.
func (k ReportKind) prev(from time.Time) time.Time {
	switch k {
	case ReportWeekly:
		return from.AddDate(0, 0, -7)
	case ReportMonthly:
		return from.AddDate(0, -1, 0)
	}
	return from.AddDate(0, 0, -1)
}

// FigureKind says what a figure's value is and how it is shown.
type FigureKind string

const (
	FigureCount FigureKind = "count" // a whole number
	FigureRate  FigureKind = "rate"  // a fraction shown as a percentage; empty when nothing to divide by
	FigureHours FigureKind = "hours" // a mean number of hours; empty when nothing to average
	FigureList  FigureKind = "list"  // named counts (the top categories)
)

// Figure sources: when the figure is taken.
const (
	FromCases  = "cases"  // over the report's period
	FromPeople = "people" // at generation time
)

// Figure is one entry of the report figure catalogue.
type Figure struct {
	Key        string     `json:"key"`
	Kind       FigureKind `json:"kind"`
	Source     string     `json:"source"`
	Name       Text       `json:"name"`
	Definition Text       `json:"definition"`
}

// TopCategories is how many categories cases.top_categories lists.
const TopCategories = 5

// reportFigures is the catalogue; docs/REPORTS.md repeats it with the
// reasons. Case counts come from the roll-ups (docs/INSIGHT.md), rates
// from the case metrics (docs/METRICS.md), people figures from the people
// tables' counters.
var reportFigures = func() []Figure {
	c := func(key, zh, en, dzh, den string) Figure {
		return Figure{Key: key, Kind: FigureCount, Source: FromCases, Name: T(zh, en), Definition: T(dzh, den)}
	}
	r := func(key, zh, en, dzh, den string) Figure {
		return Figure{Key: key, Kind: FigureRate, Source: FromCases, Name: T(zh, en), Definition: T(dzh, den)}
	}
	fs := []Figure{
		c("cases.received", "受理诉求总量", "Cases received", "期间内登记的工单数（各渠道）", "cases filed in the period, every channel"),
		c("cases.src.resident", "居民上报", "From residents", "期间内居民随手拍/一键报事登记的工单数", "cases filed by residents in the period"),
		c("cases.src.patrol", "网格员巡查上报", "From grid patrols", "期间内网格员巡查上报的工单数", "cases filed from grid patrols in the period"),
		c("cases.src.hotline", "12345热线", "From the 12345 hotline", "期间内热线登记的工单数", "cases filed by the hotline in the period"),
		c("cases.src.qr", "场所二维码", "From place QR codes", "期间内扫场所二维码上报的工单数", "cases filed from place QR codes in the period"),
		c("cases.src.api", "系统接口", "From the API", "期间内经接口登记的工单数", "cases filed through the API in the period"),
		c("cases.accepted", "受理立案", "Accepted", "期间内受理（立案）的次数", "accept actions in the period"),
		c("cases.rejected", "不予受理", "Rejected", "期间内不予受理的次数", "reject actions in the period"),
		c("cases.answered", "直接答复", "Answered directly", "期间内咨询类直接答复的次数", "consultations answered directly in the period"),
		c("cases.dispatched", "派单", "Dispatched", "期间内派单与转派的次数", "dispatches and transfers in the period"),
		c("cases.returned", "退单", "Returned", "期间内承办单位退单的次数", "returns by handlers in the period"),
		c("cases.closed", "办结", "Closed", "期间内核查通过结案的次数", "closes (verification passed) in the period"),
		c("cases.reopened", "重办", "Reopened", "期间内因不满意重办的次数", "reopenings in the period"),
		c("cases.visits", "有效回访", "Valid return visits", "期间内有满意度和解决情况的回访（含附议人评价）", "visits with a satisfaction and solved/unsolved in the period, co-reporters' included"),
		c("cases.warned", "预警", "Warnings", "期间内系统发出的黄牌/红牌预警", "yellow and red warnings the system raised in the period"),
		c("cases.overdue", "超期督办", "Overdue escalations", "期间内因超期被系统督办（升级）的次数", "escalations of overdue cases in the period"),
		c("cases.open_end", "期末未办结", "Open at period end", "期末以前登记、生成报表时仍未办结（已登记、已受理、已派单、办理中、待核查）的工单数", "cases filed by the end of the period still open (reported, accepted, dispatched, in progress, handled) when the report was generated"),
		{Key: "cases.top_categories", Kind: FigureList, Source: FromCases, Name: T("高发问题类别", "Top categories"),
			Definition: T("期间内登记最多的5个问题类别及其工单数", "the 5 categories with most cases filed in the period, with their counts")},
		r("rate.response", "响应率", "Response rate", "按时签收且按时首次反馈的派单 ÷ 期间内派单（口径见METRICS.md）", "dispatches claimed and first answered in time ÷ dispatches in the period (docs/METRICS.md)"),
		r("rate.solved", "解决率", "Solved rate", "回访已解决 ÷ 期间内有效回访", "visits rated solved ÷ valid visits in the period"),
		r("rate.satisfaction", "满意率", "Satisfaction rate", "（满意 + 0.8×基本满意）÷ 期间内有效回访", "(satisfied + 0.8 × basically satisfied) ÷ valid visits in the period"),
		r("rate.completion", "办结率", "Completion rate", "办结时限在期间内且已办结的派单 ÷ 办结时限在期间内的派单", "dispatches due in the period and closed ÷ dispatches due in the period"),
		r("rate.on_time", "按期办结率", "On-time completion rate", "期间内按时结案 ÷ 期间内结案", "closes by the deadline ÷ closes in the period"),
		r("rate.overdue", "超期率", "Overdue rate", "办结时限在期间内而超期的派单 ÷ 办结时限在期间内的派单", "dispatches due in the period and overdue ÷ dispatches due in the period"),
		r("rate.rework", "返工率", "Rework rate", "核查不通过 ÷ 期间内核查", "failed verifications ÷ verifications in the period"),
		{Key: "cases.handling_hours", Kind: FigureHours, Source: FromCases, Name: T("平均办理时长（小时）", "Average handling time (hours)"),
			Definition: T("期间内结案工单从派单到结案的平均自然小时数", "mean natural hours from dispatch to close of the closes in the period")},
		{Key: "people.population", Kind: FigureCount, Source: FromPeople, Name: T("实有人口", "Population"),
			Definition: T("生成时登记在本区域的实有人口数", "people registered in the region when the report was generated")},
		{Key: "houses.total", Kind: FigureCount, Source: FromPeople, Name: T("房屋（户）数", "Houses"),
			Definition: T("生成时本区域登记的房屋数", "houses registered in the region when the report was generated")},
		{Key: "people.linked_rate", Kind: FigureRate, Source: FromPeople, Name: T("人房关联率（人）", "People linked to a house"),
			Definition: T("关联了房屋的人数 ÷ 实有人口", "people linked to a house ÷ population")},
		{Key: "houses.complete_rate", Kind: FigureRate, Source: FromPeople, Name: T("人房关联率（房）", "Houses with residents or vacant"),
			Definition: T("有住户或标为空置的房屋 ÷ 房屋数", "houses with residents or marked vacant ÷ houses")},
	}
	for _, t := range Tags {
		l := t.Label()
		fs = append(fs, Figure{Key: "people.tag." + string(t), Kind: FigureCount, Source: FromPeople, Name: T(l.ZH+"人数", l.EN),
			Definition: T("生成时带“"+l.ZH+"”标签的人数", "people tagged "+l.EN+" when the report was generated")})
	}
	return fs
}()

// ReportFigures returns the catalogue in display order.
func ReportFigures() []Figure { return append([]Figure(nil), reportFigures...) }

// FigureByKey finds a catalogue figure.
func FigureByKey(key string) (Figure, bool) {
	for _, f := range reportFigures {
		if f.Key == key {
			return f, true
		}
	}
	return Figure{}, false
}

// ReportRow is one row of a template: a catalogue figure, with an optional
// label of the template's own, or a manual row (Manual) whose text is
// written by hand before the report is issued.
type ReportRow struct {
	Figure string `json:"figure,omitempty"`
	Label  string `json:"label,omitempty"`
	Manual bool   `json:"manual,omitempty"`
}

// ReportTemplate is what a report shows and for which regions it is made on
// schedule: every region of ScopeLevel, or only RegionCode when set.
type ReportTemplate struct {
	ID         int64       `json:"id"`
	Name       string      `json:"name"`
	Kind       ReportKind  `json:"kind"`
	ScopeLevel string      `json:"scope_level"` // street, community, grid, district or city
	RegionCode string      `json:"region_code,omitempty"`
	Rows       []ReportRow `json:"rows"`
	// Active templates are generated on schedule; inactive ones only on
	// demand.
	Active bool `json:"active"`
	// ActiveSince is when the template last became active: the schedule
	// makes up periods missed since then, never ones before (zero for a
	// template the schedule has not yet seen active).
	ActiveSince time.Time `json:"active_since,omitzero"`
	UpdatedBy   string    `json:"updated_by,omitempty"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
	// ScheduleFailures counts the schedule's passes in a row that failed
	// to make this template's reports, ScheduleError says why the last
	// did, and ScheduleRetryAt is when the schedule tries the template
	// again (ReportRetryDelay); all zero once a pass succeeds.
	ScheduleFailures int       `json:"schedule_failures,omitempty"`
	ScheduleError    string    `json:"schedule_error,omitempty"`
	ScheduleRetryAt  time.Time `json:"schedule_retry_at,omitzero"`
}

// The schedule's wait after a template's reports failed: the first retry
// after ReportRetryFirst, each further one twice as late, never later
// than ReportRetryMax.
const (
	ReportRetryFirst = time.Minute
	ReportRetryMax   = 6 * time.Hour
)

// ReportRetryDelay is how long the schedule leaves a template alone after
// its failures-th failed pass in a row: 1, 2, 4, 8 … minutes, at most 6
// hours, so a template that keeps failing (a region removed, a figure
// that cannot be computed) is neither retried every minute for ever nor
// given up.
func ReportRetryDelay(failures int) time.Duration {
	d := ReportRetryFirst
	for i := 1; i < failures && d < ReportRetryMax; i++ {
		d *= 2
	}
	return min(d, ReportRetryMax)
}

// MaxReportRows bounds a template.
const MaxReportRows = 100

// Level returns the template's scope level.
func (t *ReportTemplate) Level() Level { l, _ := ParseLevel(t.ScopeLevel); return l }

// Validate checks and tidies a template; every problem is named, an unknown
// figure by its row and key.
func (t *ReportTemplate) Validate() error {
	t.Name = strings.TrimSpace(t.Name)
	t.RegionCode = strings.TrimSpace(t.RegionCode)
	t.ScopeLevel = strings.TrimSpace(t.ScopeLevel)
	var fs []FieldError
	if n := len([]rune(t.Name)); n == 0 || n > 100 {
		fs = append(fs, FieldErr("name", "模板名称不能为空且不超过100字", "the name is required, at most 100 characters"))
	}
	if !t.Kind.Valid() {
		fs = append(fs, FieldErr("kind", "报表类型应为日报、周报或月报", "the kind must be daily, weekly or monthly"))
	}
	if t.RegionCode != "" {
		l, ok := LevelOfCode(t.RegionCode)
		if !ok || l == LevelMicroGrid {
			fs = append(fs, FieldErr("region_code", "区域代码“%s”无效", "region code %q is not valid", Clip(t.RegionCode, 40)))
		} else {
			t.ScopeLevel = l.Key()
		}
	}
	if l, ok := ParseLevel(t.ScopeLevel); !ok || l == LevelMicroGrid {
		fs = append(fs, FieldErr("scope_level", "统计范围应为市、区、街道、社区或网格", "the scope level must be city, district, street, community or grid"))
	} else {
		t.ScopeLevel = l.Key()
	}
	if len(t.Rows) == 0 || len(t.Rows) > MaxReportRows {
		fs = append(fs, FieldErr("rows", "模板应有1到%d行", "a template has 1 to %d rows", MaxReportRows))
	}
	for i := range t.Rows {
		r := &t.Rows[i]
		r.Figure, r.Label = strings.TrimSpace(r.Figure), strings.TrimSpace(r.Label)
		field := sprintf("rows[%d]", i)
		switch {
		case len([]rune(r.Label)) > 100:
			fs = append(fs, FieldErr(field, "第%d行的名称不超过100字", "row %d: the label is at most 100 characters", i+1))
		case r.Manual && r.Figure != "":
			fs = append(fs, FieldErr(field, "第%d行：手填行不能同时取数", "row %d: a manual row takes no figure", i+1))
		case r.Manual && r.Label == "":
			fs = append(fs, FieldErr(field, "第%d行：手填行需要名称", "row %d: a manual row needs a label", i+1))
		case !r.Manual && r.Figure == "":
			fs = append(fs, FieldErr(field, "第%d行：请选择指标或设为手填", "row %d: choose a figure or make the row manual", i+1))
		case !r.Manual:
			if _, ok := FigureByKey(r.Figure); !ok {
				fs = append(fs, FieldErr(field, "第%d行：没有“%s”这个指标", "row %d: there is no figure %q", i+1, Clip(r.Figure, 40)))
			}
		}
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

// HasManual reports whether the template has rows written by hand.
func (t *ReportTemplate) HasManual() bool {
	for _, r := range t.Rows {
		if r.Manual {
			return true
		}
	}
	return false
}

// Report states: a report with manual rows is a draft until they are
// written and it is issued (签发); one without is issued when generated.
const (
	ReportDraft  = "draft"
	ReportIssued = "issued"
)

// Report is a generated report: the template's rows with their values as
// they were at generation (a snapshot that never changes), for one region
// and period. Regenerating makes a new version beside it.
type Report struct {
	ID           int64         `json:"id"`
	TemplateID   int64         `json:"template_id"`
	TemplateName string        `json:"template_name"`
	Kind         ReportKind    `json:"kind"`
	RegionCode   string        `json:"region_code"`
	RegionName   string        `json:"region_name"`
	From         string        `json:"from"` // first day, China date
	To           string        `json:"to"`   // the day after the last
	Version      int           `json:"version"`
	Scheduled    bool          `json:"scheduled"`
	State        string        `json:"state"`
	GeneratedAt  time.Time     `json:"generated_at"`
	GeneratedBy  string        `json:"generated_by"`
	IssuedAt     *time.Time    `json:"issued_at,omitempty"`
	IssuedBy     string        `json:"issued_by,omitempty"`
	Values       []ReportValue `json:"values,omitempty"`
}

// LastDay is the period's last day (To is exclusive).
func (r *Report) LastDay() string {
	t, err := time.ParseInLocation(DateLayout, r.To, ChinaTime)
	if err != nil {
		return r.To
	}
	return t.AddDate(0, 0, -1).Format(DateLayout)
}

// ReportValue is one row of a report. Value is nil for a rate or mean with
// nothing to divide by; a rate also keeps its numerator and denominator.
// A list (top categories) has Items; a manual row has Text.
type ReportValue struct {
	Figure      string       `json:"figure,omitempty"`
	Kind        FigureKind   `json:"kind"`
	Label       Text         `json:"label"`
	Value       *float64     `json:"value"`
	Numerator   float64      `json:"numerator,omitempty"`
	Denominator int64        `json:"denominator,omitempty"`
	Items       []ReportItem `json:"items,omitempty"`
	Manual      bool         `json:"manual,omitempty"`
	Text        string       `json:"text,omitempty"`
}

// ReportItem is one named count of a list figure.
type ReportItem struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// MaxManualText bounds one manual row.
const MaxManualText = 5000
