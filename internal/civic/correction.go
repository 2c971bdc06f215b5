package civic

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A correction (信息纠错) is a change to a person's or a house's record that
// a grid worker proposes from the field. Community staff review it: an
// approved correction changes the record, a rejected one says why. Until
// then the record is untouched.

// CorrectionKind is what a correction changes.
type CorrectionKind string

const (
	CorrectPerson CorrectionKind = "person"
	CorrectHouse  CorrectionKind = "house"
)

func (k CorrectionKind) Valid() bool { return k == CorrectPerson || k == CorrectHouse }

func (k CorrectionKind) Label() Text {
	if k == CorrectHouse {
		return T("房屋", "House")
	}
	return T("人员", "Person")
}

// CorrectionState is where a correction stands.
type CorrectionState string

const (
	CorrectionPending  CorrectionState = "pending"
	CorrectionApproved CorrectionState = "approved"
	CorrectionRejected CorrectionState = "rejected"
)

var correctionStateLabels = map[CorrectionState]Text{
	CorrectionPending:  T("待审核", "Pending"),
	CorrectionApproved: T("已采纳", "Approved"),
	CorrectionRejected: T("未采纳", "Rejected"),
}

func (s CorrectionState) Valid() bool { _, ok := correctionStateLabels[s]; return ok }
func (s CorrectionState) Label() Text { return correctionStateLabels[s] }

// FieldChange is one field of a correction: the value the proposer saw and
// the value they propose. ID and phone numbers appear masked. Current is the
// record's value now, filled in while the correction is pending; Stale
// marks a field the record changed in since the proposal.
type FieldChange struct {
	Field   string `json:"field"`
	Old     string `json:"old"`
	New     string `json:"new"`
	Current string `json:"current,omitempty"`
	Stale   bool   `json:"stale,omitempty"`
}

// Label names the field in both languages.
func (c FieldChange) Label() Text { return CorrectionFieldLabel(c.Field) }

// OldText, NewText and CurrentText are the values as people read them.
func (c FieldChange) OldText() Text     { return ShowValue(c.Field, c.Old) }
func (c FieldChange) NewText() Text     { return ShowValue(c.Field, c.New) }
func (c FieldChange) CurrentText() Text { return ShowValue(c.Field, c.Current) }

// Correction is a proposed change and its review.
type Correction struct {
	ID         int64          `json:"id"`
	Kind       CorrectionKind `json:"kind"`
	TargetID   int64          `json:"target_id"`
	TargetName string         `json:"target_name"`
	GridCode   string         `json:"grid_code"`
	// Changes lists the fields proposed, in form order.
	Changes      []FieldChange   `json:"changes"`
	Reason       string          `json:"reason"`
	ProposerID   int64           `json:"proposer_id"`
	ProposerName string          `json:"proposer_name"`
	State        CorrectionState `json:"state"`
	ReviewerName string          `json:"reviewer_name,omitempty"`
	ReviewNote   string          `json:"review_note,omitempty"`
	ReviewedAt   *time.Time      `json:"reviewed_at,omitempty"`
	CreatedAt    time.Time       `json:"created_at"`
	// Stale reports that the record changed, since the proposal, in a
	// field the correction changes: approving then needs the reviewer to
	// confirm that the proposed values should replace the current ones.
	Stale bool `json:"stale,omitempty"`
}

// PersonFields and HouseFields are the fields a correction may change, in
// the order forms show them. A person's grid follows their house and is
// changed through house links, not corrections.
var (
	PersonFields = []string{"name", "gender", "birth_date", "id_type", "id_number", "phone", "residence_type", "ethnic", "workplace", "tags", "note"}
	HouseFields  = []string{"unit", "floor", "number", "area_m2", "use"}
)

// PersonalField reports the fields whose values are sealed and masked.
func PersonalField(f string) bool { return f == "id_number" || f == "phone" }

var correctionFieldLabels = map[string]Text{
	"name":           T("姓名", "Name"),
	"gender":         T("性别", "Gender"),
	"birth_date":     T("出生日期", "Birth date"),
	"id_type":        T("证件类型", "Document type"),
	"id_number":      T("证件号码", "ID number"),
	"phone":          T("联系电话", "Phone"),
	"residence_type": T("人口类型", "Residence type"),
	"ethnic":         T("民族", "Ethnic group"),
	"workplace":      T("工作单位", "Workplace"),
	"tags":           T("关爱标签", "Care tags"),
	"note":           T("备注", "Note"),
	"unit":           T("单元", "Unit"),
	"floor":          T("楼层", "Floor"),
	"number":         T("门牌号", "Number"),
	"area_m2":        T("面积（平方米）", "Area (m²)"),
	"use":            T("房屋用途", "Use"),
}

// CorrectionFieldLabel names a correctable field.
func CorrectionFieldLabel(f string) Text {
	if t, ok := correctionFieldLabels[f]; ok {
		return t
	}
	return T(f, f)
}

// CorrectableField reports whether a correction of kind may change f.
func CorrectableField(k CorrectionKind, f string) bool {
	if k == CorrectHouse {
		return slices.Contains(HouseFields, f)
	}
	return slices.Contains(PersonFields, f)
}

// ValidateCorrectionReason checks the reason a proposer or reviewer gives.
func ValidateCorrectionReason(field, reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 2 || n > 500 {
		return reason, Invalid(FieldErr(field, "请说明理由（2到500字）", "give a reason (2 to 500 characters)"))
	}
	return reason, nil
}

// staffTags are a person's tags that staff set, as a correction shows them:
// keys in display order, comma-separated.
func staffTags(tags []Tag) string {
	var keep []string
	for _, t := range Tags {
		if slices.Contains(tags, t) && !t.Derived() {
			keep = append(keep, string(t))
		}
	}
	return strings.Join(keep, ",")
}

// PersonValue is a person's value of a correctable field as a correction
// records it. ID and phone numbers are whatever the person holds (masked
// when read for display).
func PersonValue(p Person, f string) string {
	switch f {
	case "name":
		return p.Name
	case "gender":
		return string(p.Gender)
	case "birth_date":
		return p.BirthDate
	case "id_type":
		return string(p.IDType)
	case "id_number":
		return p.IDNumber
	case "phone":
		return p.Phone
	case "residence_type":
		return string(p.ResidenceType)
	case "ethnic":
		return p.Ethnic
	case "workplace":
		return p.Workplace
	case "tags":
		return staffTags(p.Tags)
	case "note":
		return p.Note
	}
	return ""
}

// SetPersonValue sets a correctable field of p from its text form. Values
// are checked as far as one field allows; Person.Validate checks the rest.
func SetPersonValue(p *Person, f, v string) *FieldError {
	v = strings.TrimSpace(v)
	bad := func(zh, en string) *FieldError { return &FieldError{Field: f, Msg: T(zh, en)} }
	switch f {
	case "name":
		p.Name = v
	case "gender":
		if v == "" {
			p.Gender = ""
			break
		}
		g, ok := ParseGender(v)
		if !ok {
			return bad("性别应为男或女", "gender is male or female")
		}
		p.Gender = g
	case "birth_date":
		p.BirthDate = v
	case "id_type":
		t, ok := ParseIDType(v)
		if !ok {
			return bad("未知证件类型", "unknown document type")
		}
		p.IDType = t
	case "id_number":
		p.IDNumber = v
	case "phone":
		p.Phone = v
	case "residence_type":
		r, ok := ParseResidenceType(v)
		if !ok {
			return bad("人口类型应为户籍、常住、流动或租住", "residence type is hukou, resident, floating or tenant")
		}
		p.ResidenceType = r
	case "ethnic":
		p.Ethnic = v
	case "workplace":
		p.Workplace = v
	case "tags":
		var tags []Tag
		for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == ' ' }) {
			t, ok := ParseTag(s)
			if !ok {
				fe := FieldErr(f, "未知标签“%s”", "unknown tag %q", s)
				return &fe
			}
			if t.Derived() {
				fe := FieldErr(f, "“%s”由出生日期或人口类型自动计算，不能直接修改", "%q follows from the birth date or residence type and cannot be set", t.Label().ZH)
				return &fe
			}
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
		// Derived tags stay: the store recomputes them from the data.
		for _, t := range p.Tags {
			if t.Derived() {
				tags = append(tags, t)
			}
		}
		p.Tags = tags
	case "note":
		p.Note = v
	default:
		return bad("该字段不能纠错", "this field cannot be corrected")
	}
	return nil
}

// HouseValue is a house's value of a correctable field in text form.
func HouseValue(h House, f string) string {
	switch f {
	case "unit":
		return strconv.Itoa(h.Unit)
	case "floor":
		return strconv.Itoa(h.Floor)
	case "number":
		return h.Number
	case "area_m2":
		return strconv.FormatFloat(h.AreaM2, 'f', -1, 64)
	case "use":
		return string(h.Use)
	}
	return ""
}

// SetHouseValue sets a correctable field of h from its text form;
// House.Validate checks the result against its building.
func SetHouseValue(h *House, f, v string) *FieldError {
	v = strings.TrimSpace(v)
	bad := func(zh, en string) *FieldError { return &FieldError{Field: f, Msg: T(zh, en)} }
	switch f {
	case "unit", "floor":
		n, err := strconv.Atoi(v)
		if err != nil {
			return bad("应为整数", "must be a whole number")
		}
		if f == "unit" {
			h.Unit = n
		} else {
			h.Floor = n
		}
	case "number":
		h.Number = v
	case "area_m2":
		a, err := ParseNumber(v)
		if err != nil {
			return bad("面积应为数字", "the area must be a number")
		}
		h.AreaM2 = a
	case "use":
		u, ok := ParseHouseUse(v)
		if !ok {
			return bad("房屋用途应为自住、出租、空置或商用", "the use must be own, rented, vacant or commercial")
		}
		h.Use = u
	default:
		return bad("该字段不能纠错", "this field cannot be corrected")
	}
	return nil
}

// ShowValue is how a field's stored text reads to people: labels for keyed
// values (gender, types, tags, use), the text itself otherwise.
func ShowValue(f, v string) Text {
	if v == "" {
		return T("（空）", "(empty)")
	}
	switch f {
	case "gender":
		return Gender(v).Label()
	case "id_type":
		return IDType(v).Label()
	case "residence_type":
		return ResidenceType(v).Label()
	case "use":
		return HouseUse(v).Label()
	case "tags":
		var zh, en []string
		for _, s := range strings.Split(v, ",") {
			l := Tag(s).Label()
			zh, en = append(zh, l.ZH), append(en, l.EN)
		}
		return T(strings.Join(zh, "、"), strings.Join(en, ", "))
	}
	return T(v, v)
}
