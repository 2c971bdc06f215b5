package civic

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Care alerts (关爱提醒): a rule names who needs regular contact (people
// with all of some tags, or households where such a person lives) and how
// often; a job files one open task per target that has had no qualifying
// contact (a household visit or a party member's contact) in the rule's
// window, and the task closes when one is recorded.

// CareTarget is what a rule's tasks are about.
type CareTarget string

const (
	CareTargetPerson CareTarget = "person" // 人
	CareTargetHouse  CareTarget = "house"  // 户
)

var careTargetLabels = map[CareTarget]Text{
	CareTargetPerson: T("人员", "Person"),
	CareTargetHouse:  T("住户", "Household"),
}

func (t CareTarget) Valid() bool { _, ok := careTargetLabels[t]; return ok }
func (t CareTarget) Label() Text { return careTargetLabels[t] }

// CarePeriod is how a rule's window is counted: the last N days, or the
// current calendar month or quarter (China time).
type CarePeriod string

const (
	CareEveryDays    CarePeriod = "days"
	CareEveryMonth   CarePeriod = "month"
	CareEveryQuarter CarePeriod = "quarter"
)

var carePeriodLabels = map[CarePeriod]Text{
	CareEveryDays:    T("每N天", "Every N days"),
	CareEveryMonth:   T("每月", "Every month"),
	CareEveryQuarter: T("每季度", "Every quarter"),
}

func (p CarePeriod) Valid() bool { _, ok := carePeriodLabels[p]; return ok }
func (p CarePeriod) Label() Text { return carePeriodLabels[p] }

// CareRule says who must be contacted how often. RegionCode limits it to a
// subtree; empty applies everywhere (the defaults, kept by city-wide
// administrators).
type CareRule struct {
	ID         int64      `json:"id"`
	RegionCode string     `json:"region_code"`
	Name       string     `json:"name"`
	Target     CareTarget `json:"target"`
	Tags       []Tag      `json:"tags"`
	Period     CarePeriod `json:"period"`
	Days       int        `json:"days,omitempty"`
	Active     bool       `json:"active"`
	OpenTasks  int        `json:"open_tasks"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Validate checks a rule's own fields and sorts its tags.
func (r *CareRule) Validate() error {
	r.Name = strings.TrimSpace(r.Name)
	var fs []FieldError
	if n := utf8.RuneCountInString(r.Name); n == 0 || n > 60 {
		fs = append(fs, FieldErr("name", "请填写规则名称（不超过60字）", "name the rule (at most 60 characters)"))
	}
	if !r.Target.Valid() {
		fs = append(fs, FieldErr("target", "提醒对象应为人员或住户", "the target is a person or a household"))
	}
	var tags []Tag
	for _, t := range r.Tags {
		if !t.Valid() {
			fs = append(fs, FieldErr("tags", "未知标签“%s”", "unknown tag %q", string(t)))
		} else if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	slices.SortFunc(tags, func(x, y Tag) int { return slices.Index(Tags, x) - slices.Index(Tags, y) })
	r.Tags = tags
	if len(tags) == 0 {
		fs = append(fs, FieldErr("tags", "请至少选择一个标签", "choose at least one tag"))
	}
	switch r.Period {
	case CareEveryDays:
		if r.Days < 1 || r.Days > 366 {
			fs = append(fs, FieldErr("days", "天数应为1到366", "days must be 1 to 366"))
		}
	case CareEveryMonth, CareEveryQuarter:
		r.Days = 0
	default:
		fs = append(fs, FieldErr("period", "周期应为每N天、每月或每季度", "the period is every N days, month or quarter"))
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

// Window is the span a qualifying contact must fall in for the rule to be
// satisfied at now: the last Days days, or since the start of the current
// month or quarter in China. Due is when a task filed at now falls due:
// now for a rule counted in days (the contact is already late), the end
// of the month or quarter otherwise.
func (r CareRule) Window(now time.Time) (start, due time.Time) {
	c := now.In(ChinaTime)
	switch r.Period {
	case CareEveryMonth:
		start = time.Date(c.Year(), c.Month(), 1, 0, 0, 0, 0, ChinaTime)
		return start.UTC(), start.AddDate(0, 1, 0).UTC()
	case CareEveryQuarter:
		q := (int(c.Month()) - 1) / 3 * 3
		start = time.Date(c.Year(), time.Month(q+1), 1, 0, 0, 0, 0, ChinaTime)
		return start.UTC(), start.AddDate(0, 3, 0).UTC()
	}
	return now.AddDate(0, 0, -r.Days).UTC(), now.UTC()
}

// Describe says the rule in words, e.g. "独居、60岁以上 · 每30天".
func (r CareRule) Describe(lang string) string {
	var names []string
	for _, t := range r.Tags {
		names = append(names, t.Label().In(lang))
	}
	sep, every := "、", r.Period.Label().In(lang)
	if lang == "en" {
		sep = " + "
	}
	if r.Period == CareEveryDays {
		every = sprintf("每%d天", r.Days)
		if lang == "en" {
			every = sprintf("every %d days", r.Days)
		}
	}
	return strings.Join(names, sep) + " · " + every
}

// CareTaskState is where a care task stands.
type CareTaskState string

const (
	CareOpen      CareTaskState = "open"      // 待办
	CareDone      CareTaskState = "done"      // a qualifying contact was recorded
	CareDismissed CareTaskState = "dismissed" // closed by staff with a note
	CareLapsed    CareTaskState = "lapsed"    // the target no longer matches the rule
)

var careStateLabels = map[CareTaskState]Text{
	CareOpen:      T("待办", "Open"),
	CareDone:      T("已联系", "Contacted"),
	CareDismissed: T("已关闭", "Closed"),
	CareLapsed:    T("不再适用", "No longer applies"),
}

func (s CareTaskState) Valid() bool { _, ok := careStateLabels[s]; return ok }
func (s CareTaskState) Label() Text { return careStateLabels[s] }

// CareTask is one to-do of a grid: contact this person or household.
// A contact at or after WindowStart closes it.
type CareTask struct {
	ID          int64         `json:"id"`
	RuleID      int64         `json:"rule_id"`
	RuleName    string        `json:"rule_name"`
	Target      CareTarget    `json:"target"`
	PersonID    int64         `json:"person_id,omitempty"`
	PersonName  string        `json:"person_name,omitempty"`
	HouseID     int64         `json:"house_id,omitempty"`
	Address     string        `json:"address,omitempty"`
	GridCode    string        `json:"grid_code"`
	GridName    string        `json:"grid_name,omitempty"`
	State       CareTaskState `json:"state"`
	WindowStart time.Time     `json:"window_start"`
	DueAt       time.Time     `json:"due_at"`
	CreatedAt   time.Time     `json:"created_at"`
	ClosedAt    *time.Time    `json:"closed_at,omitempty"`
	ClosedBy    string        `json:"closed_by,omitempty"`
	Note        string        `json:"note,omitempty"`
}

// Overdue reports whether the task is past due at now.
func (t CareTask) Overdue(now time.Time) bool { return t.State == CareOpen && now.After(t.DueAt) }

// OverdueDays is how many whole days the task is past due at now.
func (t CareTask) OverdueDays(now time.Time) int {
	if !now.After(t.DueAt) {
		return 0
	}
	return int(now.Sub(t.DueAt).Hours() / 24)
}
