package civic

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// RequestType is what a resident asks for (诉求类型); it decides how a case
// is answered and which metrics it counts towards.
type RequestType string

const (
	RequestConsult    RequestType = "consult"    // 咨询
	RequestHelp       RequestType = "help"       // 求助
	RequestComplaint  RequestType = "complaint"  // 投诉
	RequestReport     RequestType = "report"     // 举报
	RequestSuggestion RequestType = "suggestion" // 建议
	RequestPraise     RequestType = "praise"     // 表扬
)

// RequestTypes lists every request type in display order.
var RequestTypes = []RequestType{RequestConsult, RequestHelp, RequestComplaint, RequestReport, RequestSuggestion, RequestPraise}

var requestTypeLabels = map[RequestType]Text{
	RequestConsult:    T("咨询", "Consultation"),
	RequestHelp:       T("求助", "Request for help"),
	RequestComplaint:  T("投诉", "Complaint"),
	RequestReport:     T("举报", "Report of wrongdoing"),
	RequestSuggestion: T("建议", "Suggestion"),
	RequestPraise:     T("表扬", "Praise"),
}

func (t RequestType) Valid() bool { _, ok := requestTypeLabels[t]; return ok }
func (t RequestType) Label() Text { return requestTypeLabels[t] }

// Stage is one of the clocks a case runs against.
type Stage string

const (
	StageClaim    Stage = "claim"    // 签收
	StageFeedback Stage = "feedback" // 反馈 (first contact with the resident)
	StageComplete Stage = "complete" // 办结
	StageVisit    Stage = "visit"    // 回访
)

// Stages lists the clocks in the order a case meets them.
var Stages = []Stage{StageClaim, StageFeedback, StageComplete, StageVisit}

var stageLabels = map[Stage]Text{
	StageClaim:    T("签收", "Claim"),
	StageFeedback: T("反馈", "Feedback"),
	StageComplete: T("办结", "Completion"),
	StageVisit:    T("回访", "Return visit"),
}

func (s Stage) Valid() bool { _, ok := stageLabels[s]; return ok }
func (s Stage) Label() Text { return stageLabels[s] }

// TimeUnit is how a time limit is counted. The strings are the calendar
// package's, so a limit can be handed to the deadline arithmetic unchanged.
type TimeUnit string

const (
	UnitWorkHours TimeUnit = "work_hours" // 工作时: hours inside working periods
	UnitWorkDays  TimeUnit = "work_days"  // 工作日
	UnitHours     TimeUnit = "hours"      // 自然小时: the clock never stops
)

// TimeUnits lists every unit in display order.
var TimeUnits = []TimeUnit{UnitWorkHours, UnitWorkDays, UnitHours}

var timeUnitLabels = map[TimeUnit]Text{
	UnitWorkHours: T("工作时", "work_hours"),
	UnitWorkDays:  T("工作日", "work_days"),
	UnitHours:     T("小时", "hours"),
}

func (u TimeUnit) Valid() bool { _, ok := timeUnitLabels[u]; return ok }
func (u TimeUnit) Label() Text { return timeUnitLabels[u] }

// timeUnitWords are the spellings ParseTimeLimit accepts, longest first
// within each unit so that "个工作日" is not read as "日".
var timeUnitWords = []struct {
	word string
	unit TimeUnit
}{
	{"个工作小时", UnitWorkHours}, {"工作小时", UnitWorkHours}, {"个工作时", UnitWorkHours}, {"工作时", UnitWorkHours},
	{"work_hours", UnitWorkHours}, {"work hours", UnitWorkHours}, {"work_hour", UnitWorkHours}, {"wh", UnitWorkHours},
	{"个工作日", UnitWorkDays}, {"工作日", UnitWorkDays}, {"work_days", UnitWorkDays}, {"work days", UnitWorkDays},
	{"work_day", UnitWorkDays}, {"wd", UnitWorkDays},
	{"个自然小时", UnitHours}, {"自然小时", UnitHours}, {"个小时", UnitHours}, {"小时", UnitHours},
	{"hours", UnitHours}, {"hour", UnitHours}, {"h", UnitHours},
}

// Upper bounds of a time limit: a year of working time or of hours. Larger
// values are typing mistakes, not policies.
var maxTimeLimit = map[TimeUnit]float64{UnitWorkHours: 2000, UnitWorkDays: 250, UnitHours: 8760}

// TimeLimit is a budget for one stage.
type TimeLimit struct {
	Amount float64  `json:"amount"`
	Unit   TimeUnit `json:"unit"`
}

// IsZero reports an unset limit.
func (l TimeLimit) IsZero() bool { return l.Amount == 0 && l.Unit == "" }

// String writes the limit the way ParseTimeLimit reads it: "2工作日" in
// Chinese, "2 work_days" in English.
func (l TimeLimit) String(lang string) string {
	if l.IsZero() {
		return ""
	}
	n := strconv.FormatFloat(l.Amount, 'f', -1, 64)
	if lang == "en" {
		return n + " " + string(l.Unit)
	}
	return n + l.Unit.Label().ZH
}

// check returns the reason a limit is refused, or nil.
func (l TimeLimit) check(field string) *FieldError {
	if !l.Unit.Valid() {
		fe := FieldErr(field, "时限单位应为工作时、工作日或小时", "the unit must be work_hours, work_days or hours")
		return &fe
	}
	if max := maxTimeLimit[l.Unit]; !(l.Amount > 0) || l.Amount > max || math.IsNaN(l.Amount) {
		fe := FieldError{Field: field, Msg: T(sprintf("时限应大于0且不超过%g%s", max, l.Unit.Label().ZH), sprintf("the limit must be above 0 and at most %g %s", max, l.Unit))}
		return &fe
	}
	return nil
}

// ParseTimeLimit reads a limit written as a number and a unit: "2工作日",
// "2个工作日", "4工作时", "24小时", "0.5 hours", "2 work_days". Blank text
// is the zero limit.
func ParseTimeLimit(s string) (TimeLimit, *FieldError) {
	s = strings.TrimSpace(s)
	if s == "" {
		return TimeLimit{}, nil
	}
	i := strings.IndexFunc(s, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.') })
	bad := func() (TimeLimit, *FieldError) {
		fe := FieldError{Msg: T(sprintf("“%s”不是有效的时限，应写作如“2工作日”“4工作时”“24小时”", s),
			sprintf("%q is not a time limit; write e.g. \"2 work_days\", \"4 work_hours\", \"24 hours\"", s))}
		return TimeLimit{}, &fe
	}
	if i <= 0 {
		return bad()
	}
	amount, err := ParseNumber(s[:i])
	if err != nil {
		return bad()
	}
	word := strings.ToLower(strings.TrimSpace(s[i:]))
	for _, w := range timeUnitWords {
		if word == w.word {
			return TimeLimit{Amount: amount, Unit: w.unit}, nil
		}
	}
	return bad()
}

// HandlerTarget is who a case in the category goes to by default.
type HandlerTarget string

const (
	HandlerProperty   HandlerTarget = "property"   // the compound's property company (物业)
	HandlerGrid       HandlerTarget = "grid"       // the grid's workers (网格)
	HandlerCommunity  HandlerTarget = "community"  // the community committee (社区)
	HandlerStreet     HandlerTarget = "street"     // the street office (街道)
	HandlerDepartment HandlerTarget = "department" // a named department (职能部门)
)

// HandlerTargets lists every target in display order.
var HandlerTargets = []HandlerTarget{HandlerProperty, HandlerGrid, HandlerCommunity, HandlerStreet, HandlerDepartment}

var handlerTargetLabels = map[HandlerTarget]Text{
	HandlerProperty:   T("物业", "Property company"),
	HandlerGrid:       T("网格", "Grid"),
	HandlerCommunity:  T("社区", "Community"),
	HandlerStreet:     T("街道", "Street office"),
	HandlerDepartment: T("职能部门", "Department"),
}

func (h HandlerTarget) Valid() bool { _, ok := handlerTargetLabels[h]; return ok }
func (h HandlerTarget) Label() Text { return handlerTargetLabels[h] }

// ParseHandlerTarget accepts a target's key or its Chinese or English label.
func ParseHandlerTarget(s string) (HandlerTarget, bool) {
	s = strings.TrimSpace(s)
	for _, h := range HandlerTargets {
		l := h.Label()
		if s == string(h) || s == l.ZH || strings.EqualFold(s, l.EN) {
			return h, true
		}
	}
	return "", false
}

// ParseRequestType accepts a type's key or its Chinese or English label.
func ParseRequestType(s string) (RequestType, bool) {
	s = strings.TrimSpace(s)
	for _, t := range RequestTypes {
		l := t.Label()
		if s == string(t) || s == l.ZH || strings.EqualFold(s, l.EN) {
			return t, true
		}
	}
	return "", false
}

// HandlerRule is a category's default routing. Department names a kind of
// department, not one office: routing picks, among the organisations of
// kind department whose jurisdiction covers the case's location, the one
// whose name MatchesDepartment. That way one catalogue serves every district.
type HandlerRule struct {
	Target     HandlerTarget `json:"target"`
	Department string        `json:"department,omitempty"`
}

// MatchesDepartment reports whether an organisation's name answers to a
// handler rule's department name. The name must end with the department
// ("北京市东城区城市管理委员会" answers to "城市管理委员会"); a * in the
// department stands for any text, for names with the district inside them
// ("北京市公安局东城分局" answers to "公安局*分局").
func MatchesDepartment(orgName, department string) bool {
	if department == "" {
		return false
	}
	head, tail, wild := strings.Cut(department, "*")
	if !wild {
		return strings.HasSuffix(orgName, department)
	}
	i := strings.Index(orgName, head)
	return i >= 0 && strings.HasSuffix(orgName[i+len(head):], tail)
}

// String describes the rule for lists and exports: "物业", "职能部门：水务局".
func (h HandlerRule) String(lang string) string {
	s := h.Target.Label().In(lang)
	if h.Target == HandlerDepartment && h.Department != "" {
		if lang == "en" {
			return s + ": " + h.Department
		}
		return s + "：" + h.Department
	}
	return s
}

// MaxCategoryDepth bounds the tree: 大类, 中类, 小类 and one more level
// for cities that need it, two digits each.
const MaxCategoryDepth = 4

// Category is one node of the case category catalogue (工单分类目录).
// Cases are filed under leaves (小类); the levels above only group them.
// Cases keep a category's code, so a category in use is deactivated, never
// deleted or recoded.
type Category struct {
	ID         int64  `json:"id"`
	Code       string `json:"code"`
	ParentCode string `json:"parent_code,omitempty"`
	// Leaf marks a category cases are filed under. It is stored rather
	// than derived from the tree so that a new leaf with no siblings yet
	// and an empty new group can be told apart.
	Leaf    bool                `json:"leaf"`
	Name    string              `json:"name"`
	NameEN  string              `json:"name_en,omitempty"`
	Type    RequestType         `json:"type,omitempty"`
	Handler HandlerRule         `json:"handler"`
	Limits  map[Stage]TimeLimit `json:"limits,omitempty"`
	// Yellow and Red are the fractions of each stage's budget at which the
	// case turns yellow and red.
	Yellow float64 `json:"yellow"`
	Red    float64 `json:"red"`
	// Accepted false puts the category on the 不受理清单: intake refuses
	// such a case and shows NotAcceptedReason to the resident.
	Accepted          bool      `json:"accepted"`
	NotAcceptedReason string    `json:"not_accepted_reason,omitempty"`
	Active            bool      `json:"active"`
	Sort              int       `json:"sort"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// IsLeaf reports whether cases are filed under the category.
func (c *Category) IsLeaf() bool { return c.Leaf }

// Depth is the category's level: 1 for a 大类.
func (c *Category) Depth() int { return len(c.Code) / 2 }

// Limit returns the budget for a stage (zero when unset).
func (c *Category) Limit(s Stage) TimeLimit { return c.Limits[s] }

// Label is the name in a language, falling back to Chinese.
func (c *Category) Label(lang string) string {
	if lang == "en" && c.NameEN != "" {
		return c.NameEN
	}
	return c.Name
}

// ParentOfCategoryCode returns the code one level up ("" for a 大类).
func ParentOfCategoryCode(code string) string {
	if len(code) <= 2 {
		return ""
	}
	return code[:len(code)-2]
}

// ValidCategoryCode reports whether code is 2 to 2·MaxCategoryDepth digits,
// two per level, and no level is "00".
func ValidCategoryCode(code string) bool {
	if n := len(code); n == 0 || n%2 != 0 || n > 2*MaxCategoryDepth {
		return false
	}
	for i := 0; i < len(code); i += 2 {
		a, b := code[i], code[i+1]
		if a < '0' || a > '9' || b < '0' || b > '9' || code[i:i+2] == "00" {
			return false
		}
	}
	return true
}

// Validate checks the category's own fields and tidies them: names are
// trimmed, the parent code is derived from the code, and fields that do not
// apply (limits of a group, the reason of an accepted category) are
// cleared. Whether the parent exists is the store's business.
func (c *Category) Validate() error {
	c.Code = strings.TrimSpace(c.Code)
	c.Name = strings.TrimSpace(c.Name)
	c.NameEN = strings.TrimSpace(c.NameEN)
	c.Handler.Department = strings.TrimSpace(c.Handler.Department)
	c.NotAcceptedReason = strings.TrimSpace(c.NotAcceptedReason)
	var fs []FieldError
	add := func(field, zh, en string, args ...any) {
		fs = append(fs, FieldErr(field, zh, en, args...))
	}
	if c.Sort < -1000000 || c.Sort > 1000000 {
		add("sort", "排序值应在-1000000到1000000之间", "the sort order must be between -1,000,000 and 1,000,000")
	}
	if !ValidCategoryCode(c.Code) {
		add("code", "编码应为2到%d位数字，每级两位且不为00（如 01、0103）", "the code must be 2 to %d digits, two per level and never 00 (e.g. 01, 0103)", 2*MaxCategoryDepth)
	} else {
		parent := ParentOfCategoryCode(c.Code)
		if c.ParentCode != "" && c.ParentCode != parent {
			add("code", "编码应以上级编码 %s 开头并多两位", "the code must be the parent's code %s followed by two digits", c.ParentCode)
		}
		c.ParentCode = parent
	}
	if n := len([]rune(c.Name)); n == 0 || n > 50 {
		add("name", "名称不能为空且不超过50字", "name is required, at most 50 characters")
	}
	if len([]rune(c.NameEN)) > 100 {
		add("name_en", "英文名称不超过100字", "English name is at most 100 characters")
	}
	if c.Type != "" && !c.Type.Valid() {
		add("type", "请选择诉求类型", "choose a request type")
	}
	if c.Leaf && ValidCategoryCode(c.Code) && c.ParentCode == "" {
		add("code", "小类须在大类之下（编码至少四位）", "a leaf must sit under a top-level category (at least four digits)")
	}
	// Yellow must come before red and both inside the budget; a group
	// may leave both at zero.
	if c.Leaf || c.Yellow != 0 || c.Red != 0 {
		if !(c.Yellow > 0 && c.Yellow < 1) {
			add("yellow", "黄色预警比例应大于0且小于1（如 0.5）", "the yellow warning fraction must be above 0 and below 1 (e.g. 0.5)")
		}
		if !(c.Red > 0 && c.Red <= 1) {
			add("red", "红色预警比例应大于0且不超过1（如 0.8）", "the red warning fraction must be above 0 and at most 1 (e.g. 0.8)")
		} else if c.Yellow > 0 && c.Red <= c.Yellow {
			add("red", "红色预警比例应大于黄色预警比例", "the red fraction must be above the yellow one")
		}
	}
	if c.Accepted {
		c.NotAcceptedReason = ""
	} else if n := len([]rune(c.NotAcceptedReason)); n == 0 || n > 200 {
		add("not_accepted_reason", "不受理的分类须填写告知群众的原因（不超过200字）", "a category that is not accepted needs the reason shown to the resident (at most 200 characters)")
	}
	if c.Handler.Target != HandlerDepartment {
		c.Handler.Department = ""
	}
	switch {
	case !c.Leaf:
		// Groups only group: routing and clocks belong to leaves.
		c.Limits = nil
		c.Handler = HandlerRule{}
	case !c.Accepted:
		// A refused matter never reaches a handler, so it needs no rule
		// and no clocks; any given are still checked.
		fs = append(fs, c.checkHandler(false)...)
		fs = append(fs, c.checkLimits(false)...)
	default:
		if !c.Type.Valid() {
			add("type", "请选择诉求类型", "choose a request type")
		}
		fs = append(fs, c.checkHandler(true)...)
		fs = append(fs, c.checkLimits(true)...)
	}
	if len(fs) > 0 {
		return Invalid(dedupeFields(fs)...)
	}
	return nil
}

func (c *Category) checkHandler(required bool) []FieldError {
	h := c.Handler
	if h.Target == "" && !required {
		return nil
	}
	if !h.Target.Valid() {
		return []FieldError{FieldErr("handler", "请选择承办对象（物业、网格、社区、街道或职能部门）", "choose a handler: property, grid, community, street or department")}
	}
	if h.Target == HandlerDepartment {
		if n := len([]rune(h.Department)); n == 0 || n > 50 {
			return []FieldError{FieldErr("department", "承办对象为职能部门时须填写部门名称（不超过50字）", "name the department (at most 50 characters)")}
		}
		if strings.Count(h.Department, "*") > 1 {
			return []FieldError{FieldErr("department", "部门名称中最多一个 *", "a department name may hold one * at most")}
		}
	}
	return nil
}

func (c *Category) checkLimits(required bool) []FieldError {
	var fs []FieldError
	for s := range c.Limits {
		if !s.Valid() {
			fs = append(fs, FieldErr("limits", "未知的时限环节“%s”", "unknown stage “%s”", string(s)))
		}
	}
	for _, s := range Stages {
		l, ok := c.Limits[s]
		if !ok || l.IsZero() {
			if required {
				fs = append(fs, FieldError{Field: string(s), Msg: T(sprintf("请填写%s时限", s.Label().ZH), sprintf("enter the %s time limit", strings.ToLower(s.Label().EN)))})
			}
			continue
		}
		if fe := l.check(string(s)); fe != nil {
			fs = append(fs, *fe)
		}
	}
	return fs
}

// dedupeFields keeps the first error of each field so that a form shows
// one message per field.
func dedupeFields(fs []FieldError) []FieldError {
	seen := map[string]bool{}
	out := fs[:0]
	for _, f := range fs {
		if !seen[f.Field] {
			seen[f.Field] = true
			out = append(out, f)
		}
	}
	return out
}
