package civic

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Party-member household contact (党员包联): a party member (a person
// tagged party) is assigned households (houses) to keep in touch with, at
// most a configured number each, and their contacts are recorded.

// ContactWay is how a party member reached a household.
type ContactWay string

const (
	ContactVisit  ContactWay = "visit"  // 入户
	ContactPhone  ContactWay = "phone"  // 电话
	ContactWeChat ContactWay = "wechat" // 微信
	ContactOther  ContactWay = "other"  // 其他
)

// ContactWays lists every way in display order.
var ContactWays = []ContactWay{ContactVisit, ContactPhone, ContactWeChat, ContactOther}

var contactWayLabels = map[ContactWay]Text{
	ContactVisit:  T("入户走访", "Home visit"),
	ContactPhone:  T("电话", "Phone"),
	ContactWeChat: T("微信", "WeChat"),
	ContactOther:  T("其他", "Other"),
}

func (w ContactWay) Valid() bool { _, ok := contactWayLabels[w]; return ok }
func (w ContactWay) Label() Text { return contactWayLabels[w] }

// PartyHousehold is one household assigned to a party member from Since
// until Until (empty while current). Ending an assignment keeps the row.
type PartyHousehold struct {
	ID           int64  `json:"id"`
	MemberID     int64  `json:"member_id"`
	MemberName   string `json:"member_name,omitempty"`
	HouseID      int64  `json:"house_id"`
	HouseAddress string `json:"house_address,omitempty"`
	GridCode     string `json:"grid_code"`
	GridName     string `json:"grid_name,omitempty"`
	Since        string `json:"since"`
	Until        string `json:"until,omitempty"`
	// LastContact is the member's latest contact with the household since
	// the assignment began, nil if none.
	LastContact *time.Time `json:"last_contact,omitempty"`
	// Quiet counts the days since the last contact, or since the
	// assignment began when there was none.
	Quiet     int       `json:"quiet_days"`
	CreatedAt time.Time `json:"created_at"`
}

// Current reports whether the assignment still holds.
func (h PartyHousehold) Current() bool { return h.Until == "" }

// QuietDays is the number of whole China calendar days from the last
// contact (or the start of the assignment) to today.
func QuietDays(last *time.Time, since string, now time.Time) int {
	from := since
	if last != nil {
		from = Today(*last)
	}
	a, err1 := time.Parse(DateLayout, from)
	b, err2 := time.Parse(DateLayout, Today(now))
	if err1 != nil || err2 != nil || b.Before(a) {
		return 0
	}
	return int(b.Sub(a).Hours() / 24)
}

// PartyMember is a party member with the size of their contact list.
type PartyMember struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	GridCode   string `json:"grid_code"`
	GridName   string `json:"grid_name,omitempty"`
	Phone      string `json:"phone"` // masked
	Address    string `json:"address,omitempty"`
	Households int    `json:"households"`
	// Quiet counts current households not contacted for the days asked.
	Quiet int `json:"quiet"`
}

// PartyContact is one contact of a party member with a household,
// recorded by the member or by staff on the member's behalf.
type PartyContact struct {
	ID           int64      `json:"id"`
	MemberID     int64      `json:"member_id"`
	MemberName   string     `json:"member_name,omitempty"`
	HouseID      int64      `json:"house_id"`
	HouseAddress string     `json:"house_address,omitempty"`
	GridCode     string     `json:"grid_code"`
	ContactedAt  time.Time  `json:"contacted_at"`
	Way          ContactWay `json:"way"`
	Notes        string     `json:"notes"`
	RecorderID   int64      `json:"recorder_id"`
	RecorderName string     `json:"recorder_name"`
	CreatedAt    time.Time  `json:"created_at"`
}

// Validate checks a contact's own fields; a zero time means now.
func (c *PartyContact) Validate(now time.Time) error {
	c.Notes = strings.TrimSpace(c.Notes)
	var fs []FieldError
	if c.MemberID == 0 {
		fs = append(fs, FieldErr("member_id", "请选择党员", "choose the party member"))
	}
	if c.HouseID == 0 {
		fs = append(fs, FieldErr("house_id", "请选择联系的住户", "choose the household"))
	}
	if c.Way == "" {
		c.Way = ContactVisit
	}
	if !c.Way.Valid() {
		fs = append(fs, FieldErr("way", "联系方式应为入户走访、电话、微信或其他", "the way is a home visit, phone, WeChat or other"))
	}
	if c.ContactedAt.IsZero() {
		c.ContactedAt = now
	}
	if c.ContactedAt.After(now.Add(time.Hour)) {
		fs = append(fs, FieldErr("contacted_at", "联系时间不能晚于现在", "the contact cannot be in the future"))
	}
	if n := utf8.RuneCountInString(c.Notes); n > 1000 {
		fs = append(fs, FieldErr("notes", "情况记录不超过1000字", "notes at most 1000 characters"))
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}
