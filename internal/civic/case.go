package civic

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CaseState is where a case stands in the loop of DESIGN.md §4.
type CaseState string

const (
	StateReported   CaseState = "reported"    // 待受理
	StateAccepted   CaseState = "accepted"    // 已受理，待派单
	StateRejected   CaseState = "rejected"    // 不予受理
	StateDispatched CaseState = "dispatched"  // 已派单，待签收
	StateInProgress CaseState = "in_progress" // 处理中
	StateHandled    CaseState = "handled"     // 已办结，待核查
	StateClosed     CaseState = "closed"      // 已结案，待回访
	StateVisited    CaseState = "visited"     // 已回访
	StateMerged     CaseState = "merged"      // 已并入他案
)

// CaseStates lists every state in loop order.
var CaseStates = []CaseState{StateReported, StateAccepted, StateRejected, StateDispatched, StateInProgress, StateHandled, StateClosed, StateVisited, StateMerged}

var caseStateLabels = map[CaseState]Text{
	StateReported:   T("待受理", "Reported"),
	StateAccepted:   T("待派单", "Accepted"),
	StateRejected:   T("不予受理", "Rejected"),
	StateDispatched: T("待签收", "Dispatched"),
	StateInProgress: T("处理中", "In progress"),
	StateHandled:    T("待核查", "Awaiting check"),
	StateClosed:     T("待回访", "Closed"),
	StateVisited:    T("已回访", "Visited"),
	StateMerged:     T("已合并", "Merged"),
}

func (s CaseState) Valid() bool { _, ok := caseStateLabels[s]; return ok }
func (s CaseState) Label() Text { return caseStateLabels[s] }

// Open reports whether the case still needs someone to act.
func (s CaseState) Open() bool {
	switch s {
	case StateRejected, StateVisited, StateMerged:
		return false
	}
	return true
}

// CaseAction is something done to a case. Each action is one event in the
// case's timeline.
type CaseAction string

const (
	ActReport        CaseAction = "report"         // 上报 (intake)
	ActAccept        CaseAction = "accept"         // 受理
	ActReject        CaseAction = "reject"         // 不予受理
	ActAnswer        CaseAction = "answer"         // 直接答复 (consultations answered by the hotline)
	ActDispatch      CaseAction = "dispatch"       // 派单
	ActRecall        CaseAction = "recall"         // 撤回 (dispatch not claimed in time)
	ActClaim         CaseAction = "claim"          // 签收
	ActReturn        CaseAction = "return"         // 退单
	ActTransfer      CaseAction = "transfer"       // 转派
	ActFeedback      CaseAction = "feedback"       // 阶段反馈
	ActHandle        CaseAction = "handle"         // 办结反馈 (report back)
	ActVerifyPass    CaseAction = "verify_pass"    // 核查通过
	ActVerifyFail    CaseAction = "verify_fail"    // 核查不通过 (返工)
	ActVisit         CaseAction = "visit"          // 回访评价
	ActReopen        CaseAction = "reopen"         // 重办
	ActMerge         CaseAction = "merge"          // 并入他案
	ActComment       CaseAction = "comment"        // 备注
	ActRequestExtend CaseAction = "request_extend" // 申请延期
	ActRequestPause  CaseAction = "request_pause"  // 申请挂账
	ActDecide        CaseAction = "decide"         // 审批延期/挂账
	ActResume        CaseAction = "resume"         // 解除挂账
	ActWhistle       CaseAction = "whistle"        // 吹哨
	ActCheckIn       CaseAction = "check_in"       // 部门报到
	ActWarn          CaseAction = "warn"           // 预警 (yellow/red, by the system)
	ActEscalate      CaseAction = "escalate"       // 超期升级督办 (by the system)
)

var caseActionLabels = map[CaseAction]Text{
	ActReport:        T("上报", "Reported"),
	ActAccept:        T("受理", "Accept"),
	ActReject:        T("不予受理", "Reject"),
	ActAnswer:        T("直接答复", "Answer directly"),
	ActDispatch:      T("派单", "Dispatch"),
	ActRecall:        T("撤回派单", "Recall"),
	ActClaim:         T("签收", "Claim"),
	ActReturn:        T("退单", "Return"),
	ActTransfer:      T("转派", "Transfer"),
	ActFeedback:      T("阶段反馈", "Progress note"),
	ActHandle:        T("办结反馈", "Report back"),
	ActVerifyPass:    T("核查通过", "Verify: pass"),
	ActVerifyFail:    T("核查不通过", "Verify: fail"),
	ActVisit:         T("回访评价", "Return visit"),
	ActReopen:        T("重办", "Reopen"),
	ActMerge:         T("合并", "Merge"),
	ActComment:       T("备注", "Comment"),
	ActRequestExtend: T("申请延期", "Request extension"),
	ActRequestPause:  T("申请挂账", "Request suspension"),
	ActDecide:        T("审批", "Decide request"),
	ActResume:        T("解除挂账", "Resume"),
	ActWhistle:       T("吹哨", "Whistle"),
	ActCheckIn:       T("报到", "Check in"),
	ActWarn:          T("预警", "Warning"),
	ActEscalate:      T("超期督办", "Overdue escalation"),
}

func (a CaseAction) Valid() bool { _, ok := caseActionLabels[a]; return ok }
func (a CaseAction) Label() Text { return caseActionLabels[a] }

// transitions is the state machine: for each action, the states it may be
// taken in and the state it leads to ("" keeps the state).
var transitions = map[CaseAction]struct {
	from []CaseState
	to   CaseState
}{
	ActAccept:        {[]CaseState{StateReported}, StateAccepted},
	ActReject:        {[]CaseState{StateReported}, StateRejected},
	ActAnswer:        {[]CaseState{StateReported, StateAccepted}, StateClosed},
	ActDispatch:      {[]CaseState{StateReported, StateAccepted}, StateDispatched},
	ActRecall:        {[]CaseState{StateDispatched}, StateAccepted},
	ActClaim:         {[]CaseState{StateDispatched}, StateInProgress},
	ActReturn:        {[]CaseState{StateDispatched, StateInProgress}, StateAccepted},
	ActTransfer:      {[]CaseState{StateDispatched, StateInProgress}, StateDispatched},
	ActFeedback:      {[]CaseState{StateInProgress}, ""},
	ActHandle:        {[]CaseState{StateInProgress}, StateHandled},
	ActVerifyPass:    {[]CaseState{StateHandled}, StateClosed},
	ActVerifyFail:    {[]CaseState{StateHandled}, StateInProgress},
	ActVisit:         {[]CaseState{StateClosed}, StateVisited},
	ActReopen:        {[]CaseState{StateVisited}, StateAccepted},
	ActMerge:         {[]CaseState{StateReported, StateAccepted, StateDispatched, StateInProgress}, StateMerged},
	ActComment:       {CaseStates, ""},
	ActRequestExtend: {[]CaseState{StateDispatched, StateInProgress}, ""},
	ActRequestPause:  {[]CaseState{StateDispatched, StateInProgress}, ""},
	ActDecide:        {[]CaseState{StateDispatched, StateInProgress}, ""},
	ActResume:        {[]CaseState{StateDispatched, StateInProgress, StateHandled}, ""},
	ActWhistle:       {[]CaseState{StateAccepted, StateDispatched, StateInProgress}, ""},
	ActCheckIn:       {[]CaseState{StateAccepted, StateDispatched, StateInProgress, StateHandled}, ""},
	ActWarn:          {[]CaseState{StateDispatched, StateInProgress, StateClosed}, ""},
	ActEscalate:      {[]CaseState{StateDispatched, StateInProgress, StateClosed}, ""},
}

// NextState returns the state an action leads to from s, or a Conflict
// error that says, in both languages, why the action cannot be taken now.
func NextState(s CaseState, a CaseAction) (CaseState, error) {
	t, ok := transitions[a]
	if !ok {
		return "", Errorf(EInvalid, "未知的操作“%s”", "unknown action %q", a)
	}
	for _, f := range t.from {
		if f == s {
			if t.to == "" {
				return s, nil
			}
			return t.to, nil
		}
	}
	var zh, en []string
	for _, f := range t.from {
		zh = append(zh, f.Label().ZH)
		en = append(en, f.Label().EN)
	}
	return "", &Error{Code: EConflict, Msg: T(
		fmt.Sprintf("工单当前为“%s”，不能%s（仅限：%s）", s.Label().ZH, a.Label().ZH, strings.Join(zh, "、")),
		fmt.Sprintf("the case is %s; %q is possible only when %s", strings.ToLower(s.Label().EN), strings.ToLower(a.Label().EN), strings.ToLower(strings.Join(en, ", "))))}
}

// Source is the channel a case came in through.
type Source string

const (
	SourceResident Source = "resident" // 居民随手拍/一键报事
	SourcePatrol   Source = "patrol"   // 网格员巡查上报
	SourceHotline  Source = "hotline"  // 12345 热线
	SourceQR       Source = "qr"       // 场所二维码
	SourceAPI      Source = "api"      // 接口
)

var sourceLabels = map[Source]Text{
	SourceResident: T("居民上报", "Resident"),
	SourcePatrol:   T("网格员巡查", "Grid patrol"),
	SourceHotline:  T("12345热线", "12345 hotline"),
	SourceQR:       T("场所二维码", "Place QR code"),
	SourceAPI:      T("接口", "API"),
}

func (s Source) Valid() bool { _, ok := sourceLabels[s]; return ok }
func (s Source) Label() Text { return sourceLabels[s] }

// Satisfaction is a reporter's rating at the return visit.
type Satisfaction string

const (
	Satisfied      Satisfaction = "satisfied"       // 满意
	BasicSatisfied Satisfaction = "basic_satisfied" // 基本满意
	Dissatisfied   Satisfaction = "dissatisfied"    // 不满意
)

var satisfactionLabels = map[Satisfaction]Text{
	Satisfied:      T("满意", "Satisfied"),
	BasicSatisfied: T("基本满意", "Mostly satisfied"),
	Dissatisfied:   T("不满意", "Dissatisfied"),
}

func (s Satisfaction) Valid() bool { _, ok := satisfactionLabels[s]; return ok }
func (s Satisfaction) Label() Text { return satisfactionLabels[s] }

// CaseNumber is the number residents quote: the China date the case was
// reported (8 digits) and its ID (at least 7 digits), e.g. 202603100001234.
// It is derived, never stored, so intake needs no sequence.
func CaseNumber(createdAt time.Time, id int64) string {
	return createdAt.In(ChinaTime).Format("20060102") + fmt.Sprintf("%07d", id)
}

// ParseCaseNumber returns the case ID in a case number, or false if s is not
// one. The date part is checked by the caller against the stored case.
func ParseCaseNumber(s string) (id int64, date string, ok bool) {
	if len(s) < 15 || !isDigits(s) {
		return 0, "", false
	}
	id, err := strconv.ParseInt(s[8:], 10, 64)
	if err != nil || id <= 0 {
		return 0, "", false
	}
	return id, s[:8], true
}

// Case is one problem, whatever channel it came from: the current summary
// of its timeline.
type Case struct {
	ID           int64     `json:"id"`
	Number       string    `json:"number"`
	State        CaseState `json:"state"`
	CategoryCode string    `json:"category_code"`
	CategoryName string    `json:"category_name,omitempty"`
	RequestType  string    `json:"request_type,omitempty"`
	Title        string    `json:"title"`
	Description  string    `json:"description"`
	Source       Source    `json:"source"`
	HasLocation  bool      `json:"has_location"`
	Lng          float64   `json:"lng,omitempty"`
	Lat          float64   `json:"lat,omitempty"`
	Address      string    `json:"address"`
	RegionCode   string    `json:"region_code"`
	RegionName   string    `json:"region_name,omitempty"`
	ReporterID   int64     `json:"reporter_id,omitempty"`
	ReporterName string    `json:"reporter_name,omitempty"`
	// ReporterPhone is masked (138****1234) unless the viewer may see it.
	ReporterPhone string `json:"reporter_phone,omitempty"`
	Anonymous     bool   `json:"anonymous"`
	// HouseID is the house the case was reported from (a household's own
	// problem, or the home the reporter named), PersonID the resident it
	// was filed for; 0 when none.
	HouseID           int64  `json:"house_id,omitempty"`
	PersonID          int64  `json:"person_id,omitempty"`
	HandlerOrgID      int64  `json:"handler_org_id,omitempty"`
	HandlerOrgName    string `json:"handler_org_name,omitempty"`
	HandlerRegionCode string `json:"handler_region_code,omitempty"`
	HandlerName       string `json:"handler_name,omitempty"`
	Priority          int    `json:"priority"`
	Paused            bool   `json:"paused"`
	ReworkCount       int    `json:"rework_count"`
	ReopenCount       int    `json:"reopen_count"`
	ReturnCount       int    `json:"return_count"`
	MergedInto        int64  `json:"merged_into,omitempty"`
	// CompleteExtra is granted extension, in the completion limit's unit.
	CompleteExtra float64      `json:"complete_extra,omitempty"`
	Satisfaction  Satisfaction `json:"satisfaction,omitempty"`
	Solved        *bool        `json:"solved,omitempty"`
	DispatchedAt  *time.Time   `json:"dispatched_at,omitempty"`
	ClaimedAt     *time.Time   `json:"claimed_at,omitempty"`
	FeedbackAt    *time.Time   `json:"feedback_at,omitempty"`
	HandledAt     *time.Time   `json:"handled_at,omitempty"`
	ClosedAt      *time.Time   `json:"closed_at,omitempty"`
	VisitedAt     *time.Time   `json:"visited_at,omitempty"`
	ClaimDue      *time.Time   `json:"claim_due,omitempty"`
	FeedbackDue   *time.Time   `json:"feedback_due,omitempty"`
	CompleteDue   *time.Time   `json:"complete_due,omitempty"`
	VisitDue      *time.Time   `json:"visit_due,omitempty"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
}

// CaseEvent is one entry of a case's timeline: append-only, written in the
// same transaction as the change to the case row.
type CaseEvent struct {
	ID        int64     `json:"id"`
	CaseID    int64     `json:"case_id"`
	At        time.Time `json:"at"`
	ActorID   int64     `json:"actor_id,omitempty"`
	ActorName string    `json:"actor_name"`
	ActorRole Role      `json:"actor_role,omitempty"`
	// ActorHidden: the author is a reporter the reader may not know (an
	// anonymous one, or, to a co-reporter, another resident); ActorID and
	// ActorName are then empty.
	ActorHidden bool       `json:"actor_hidden,omitempty"`
	Action      CaseAction `json:"action"`
	FromState   CaseState  `json:"from_state,omitempty"`
	ToState     CaseState  `json:"to_state,omitempty"`
	Note        string     `json:"note,omitempty"`
	// Public events are shown to the reporter; internal ones only to staff.
	Public bool   `json:"public"`
	Data   string `json:"data,omitempty"` // JSON details, e.g. the routing explanation
}

// MaskPhone hides the middle of a phone number: 13812341234 → 138****1234.
func MaskPhone(p string) string {
	r := []rune(p)
	if len(r) < 7 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}

// Whistle is one department summoned to a case (吹哨报到): it must check in
// by DueAt; one leads and the others assist.
type Whistle struct {
	CaseID      int64      `json:"case_id"`
	OrgID       int64      `json:"org_id"`
	OrgName     string     `json:"org_name"`
	Lead        bool       `json:"lead"`
	SummonedAt  time.Time  `json:"summoned_at"`
	DueAt       time.Time  `json:"due_at"`
	CheckedInAt *time.Time `json:"checked_in_at,omitempty"`
	// ResponseMinutes is the natural time from summons to check-in.
	ResponseMinutes float64 `json:"response_minutes,omitempty"`
	Late            bool    `json:"late"`
}

// CoReporter is someone besides the first reporter who reported the same
// problem (附议, or through a merge). Each is told the outcome and rates
// separately.
type CoReporter struct {
	ID           int64        `json:"id"`
	CaseID       int64        `json:"case_id"`
	FromCaseID   int64        `json:"from_case_id,omitempty"`
	UserID       int64        `json:"user_id,omitempty"`
	Name         string       `json:"name,omitempty"`
	Phone        string       `json:"phone,omitempty"`
	Source       Source       `json:"source"`
	JoinedAt     time.Time    `json:"joined_at"`
	Note         string       `json:"note,omitempty"`
	Satisfaction Satisfaction `json:"satisfaction,omitempty"`
	Solved       *bool        `json:"solved,omitempty"`
	VisitedAt    *time.Time   `json:"visited_at,omitempty"`
	// Anonymous: they filed anonymously (their case was merged into this
	// one); no one but they see who they are.
	Anonymous bool `json:"anonymous,omitempty"`
}

// NearbyCase is what a resident about to report sees of an open case close
// by: enough to recognise the same problem and join it, nothing personal.
type NearbyCase struct {
	ID        int64     `json:"id"`
	Number    string    `json:"number"`
	Title     string    `json:"title"`
	State     CaseState `json:"state"`
	DistanceM float64   `json:"distance_m"`
	Reporters int       `json:"reporters"`
	CreatedAt time.Time `json:"created_at"`
}

// BlockedCaller is a phone number refused at intake for abuse, until an
// optional expiry.
type BlockedCaller struct {
	ID        int64      `json:"id"`
	Phone     string     `json:"phone"`
	Reason    string     `json:"reason"`
	Until     *time.Time `json:"until,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

// Deputy is a people's deputy or committee member (两代表一委员) whose cases
// are flagged for priority handling.
type Deputy struct {
	ID        int64     `json:"id"`
	Phone     string    `json:"phone"`
	Name      string    `json:"name"`
	Title     string    `json:"title"`
	CreatedAt time.Time `json:"created_at"`
}

// Notification is one message in a user's inbox.
type Notification struct {
	ID        int64      `json:"id"`
	CaseID    int64      `json:"case_id,omitempty"`
	Kind      string     `json:"kind"` // dispatch, warning, whistle, progress, returned, verify, approval
	Title     string     `json:"title"`
	Body      string     `json:"body,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

// PlaceCode is a printed QR code for a place or compound (场所二维码): it
// opens the report form with the place and its region filled in.
type PlaceCode struct {
	ID          int64   `json:"id"`
	Token       string  `json:"token"`
	Name        string  `json:"name"`
	RegionCode  string  `json:"region_code"`
	RegionName  string  `json:"region_name,omitempty"`
	Address     string  `json:"address,omitempty"`
	HasLocation bool    `json:"has_location"`
	Lng         float64 `json:"lng,omitempty"`
	Lat         float64 `json:"lat,omitempty"`
	// CompoundID makes the code stand for a compound: cases reported
	// through it go to the compound's property company.
	CompoundID   int64     `json:"compound_id,omitempty"`
	CompoundName string    `json:"compound_name,omitempty"`
	Active       bool      `json:"active"`
	CreatedAt    time.Time `json:"created_at"`
}
