package civic

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// IDType is the kind of identity document a person is registered with.
type IDType string

const (
	IDResident    IDType = "resident"      // 居民身份证 (GB 11643)
	IDHKMacaoTW   IDType = "hmt_residence" // 港澳台居民居住证 (GB 11643 form)
	IDHKMacaoPass IDType = "hk_macao"      // 港澳居民来往内地通行证
	IDTaiwanPass  IDType = "taiwan"        // 台湾居民来往大陆通行证
	IDForeignPerm IDType = "foreign_perm"  // 外国人永久居留身份证
	IDPassport    IDType = "passport"      // 护照
)

// IDTypes lists every document type in display order.
var IDTypes = []IDType{IDResident, IDHKMacaoTW, IDHKMacaoPass, IDTaiwanPass, IDForeignPerm, IDPassport}

var idTypeLabels = map[IDType]Text{
	IDResident:    T("居民身份证", "Resident ID card"),
	IDHKMacaoTW:   T("港澳台居民居住证", "HK/Macao/Taiwan residence permit"),
	IDHKMacaoPass: T("港澳居民来往内地通行证", "HK/Macao home-return permit"),
	IDTaiwanPass:  T("台湾居民来往大陆通行证", "Taiwan compatriot permit"),
	IDForeignPerm: T("外国人永久居留身份证", "Foreign permanent resident ID"),
	IDPassport:    T("护照", "Passport"),
}

func (t IDType) Valid() bool { _, ok := idTypeLabels[t]; return ok }
func (t IDType) Label() Text { return idTypeLabels[t] }

// ParseIDType accepts a type's key or its Chinese or English label.
func ParseIDType(s string) (IDType, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "身份证" {
		return IDResident, true
	}
	for _, t := range IDTypes {
		if s == string(t) || s == t.Label().ZH || strings.EqualFold(s, t.Label().EN) {
			return t, true
		}
	}
	return "", false
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// IDCheckChar is the GB 11643 check character of the first 17 digits.
func IDCheckChar(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return "10X98765432"[sum%11]
}

// provinces are the first two digits GB/T 2260 gives to provincial-level
// divisions, with 81–83 for the HK/Macao/Taiwan residence permits.
var provinces = "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83"

// IDFacts are what an 18-character ID number says about its holder.
type IDFacts struct {
	BirthDate string // YYYY-MM-DD
	Gender    Gender
}

// ParseResidentID checks an 18-character GB 11643 number: digits, a real
// province, a real birth date not in the future, and the check character.
// It returns the number normalised (upper-case X) and its facts.
func ParseResidentID(s string, today time.Time) (string, IDFacts, *FieldError) {
	s = strings.ToUpper(strings.TrimSpace(s))
	bad := func(zh, en string, args ...any) (string, IDFacts, *FieldError) {
		fe := FieldErr("id_number", zh, en, args...)
		return s, IDFacts{}, &fe
	}
	if len(s) != 18 {
		return bad("身份证号应为18位（现为%d位）", "an ID number has 18 characters (this has %d)", utf8.RuneCountInString(s))
	}
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return bad("身份证号前17位应为数字", "the first 17 characters of an ID number are digits")
		}
	}
	if c := s[17]; !(c >= '0' && c <= '9' || c == 'X') {
		return bad("身份证号末位应为数字或X", "the last character of an ID number is a digit or X")
	}
	if !strings.Contains(provinces, s[:2]) || s[1] == ' ' {
		return bad("身份证号前两位“%s”不是有效的省级代码", "%q is not a province code", s[:2])
	}
	birth, err := time.Parse("20060102", s[6:14])
	if err != nil || birth.Year() < 1880 || birth.After(today) {
		return bad("身份证号中的出生日期“%s”无效", "the birth date %q in the ID number is not valid", s[6:14])
	}
	if want := IDCheckChar(s[:17]); s[17] != want {
		return bad("身份证号校验位错误（应为%c）", "the ID number's check character is wrong (should be %c)", want)
	}
	g := GenderFemale
	if (s[16]-'0')%2 == 1 {
		g = GenderMale
	}
	return s, IDFacts{BirthDate: birth.Format(DateLayout), Gender: g}, nil
}

// NormalizeID checks a document number of any type and returns it in its
// stored form. For GB 11643 forms the facts are filled in.
func NormalizeID(t IDType, s string, today time.Time) (string, IDFacts, *FieldError) {
	switch t {
	case IDResident, IDHKMacaoTW:
		n, facts, fe := ParseResidentID(s, today)
		if fe == nil && t == IDHKMacaoTW && !strings.HasPrefix(n, "8") {
			f := FieldErr("id_number", "港澳台居民居住证号码以81、82或83开头", "a HK/Macao/Taiwan residence permit number starts with 81, 82 or 83")
			return n, facts, &f
		}
		if fe == nil && t == IDResident && strings.HasPrefix(n, "8") {
			f := FieldErr("id_number", "以8开头的号码是港澳台居民居住证，请选择对应证件类型", "numbers starting with 8 are HK/Macao/Taiwan residence permits; choose that document type")
			return n, facts, &f
		}
		return n, facts, fe
	}
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	bad := func(zh, en string) (string, IDFacts, *FieldError) {
		return s, IDFacts{}, &FieldError{Field: "id_number", Msg: T(zh, en)}
	}
	switch t {
	case IDHKMacaoPass: // H or M then 8 or 10 digits
		if (len(s) == 9 || len(s) == 11) && (s[0] == 'H' || s[0] == 'M') && allDigits(s[1:]) {
			return s, IDFacts{}, nil
		}
		return bad("港澳通行证号码应为H或M加8位或10位数字", "a home-return permit number is H or M and 8 or 10 digits")
	case IDTaiwanPass: // 8 digits (10 with the old issue suffix)
		if (len(s) == 8 || len(s) == 10) && allDigits(s[:8]) {
			return s, IDFacts{}, nil
		}
		return bad("台胞证号码应为8位数字", "a Taiwan compatriot permit number has 8 digits")
	case IDForeignPerm: // 15 characters (3 letters + 12 digits) or the 2023 18-character form starting with 9
		if len(s) == 15 && isUpperLetters(s[:3]) && allDigits(s[3:]) {
			return s, IDFacts{}, nil
		}
		if len(s) == 18 && s[0] == '9' && allDigits(s[:17]) && s[17] == IDCheckChar(s[:17]) {
			return s, IDFacts{}, nil
		}
		return bad("外国人永久居留身份证号码格式不正确", "not a foreign permanent resident ID number")
	case IDPassport:
		if len(s) >= 5 && len(s) <= 20 && isAlnum(s) {
			return s, IDFacts{}, nil
		}
		return bad("护照号码应为5到20位字母或数字", "a passport number has 5 to 20 letters or digits")
	}
	fe := FieldErr("id_type", "请选择证件类型", "choose a document type")
	return s, IDFacts{}, &fe
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isUpperLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !(s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9') {
			return false
		}
	}
	return true
}

// NormalizePhone keeps the digits of a phone number (and a leading +) and
// checks that it is a mainland mobile (11 digits from 1), a fixed line with
// area code, or an international number.
func NormalizePhone(s string) (string, *FieldError) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == '-' || r == ' ' || r == '(' || r == ')':
		default:
			fe := FieldErr("phone", "电话号码只能包含数字", "a phone number has digits only")
			return s, &fe
		}
	}
	p := b.String()
	if p == "" {
		return "", nil
	}
	if n := len(p); n < 7 || n > 16 || (n == 11 && p[0] == '1' && p[1] < '3') {
		fe := FieldErr("phone", "电话号码“%s”位数不对", "the phone number %q has the wrong number of digits", s)
		return s, &fe
	}
	return p, nil
}

// MaskID shows the first and the last character of a document number
// (1****************4); short numbers keep only their last two.
//
// The familiar 1501**********1234 is not enough here: people are shown with
// their birth date, which is characters 7–14 of a resident ID, so only the
// two district digits would stay hidden, and the check digit and the few
// districts of a city leave one or two candidates. Hiding the sequence
// digits (15–17) as well leaves hundreds, which only the exact-number
// search could try, and that is counted and limited (store.numberSearch).
func MaskID(s string) string {
	n := len(s)
	switch {
	case n == 0:
		return ""
	case n >= 12:
		return s[:1] + strings.Repeat("*", n-2) + s[n-1:]
	case n > 4:
		return strings.Repeat("*", n-2) + s[n-2:]
	}
	return strings.Repeat("*", n)
}

// Gender as recorded.
type Gender string

const (
	GenderMale   Gender = "male"
	GenderFemale Gender = "female"
)

func (g Gender) Valid() bool { return g == GenderMale || g == GenderFemale }
func (g Gender) Label() Text {
	if g == GenderMale {
		return T("男", "Male")
	}
	if g == GenderFemale {
		return T("女", "Female")
	}
	return T("未知", "Unknown")
}

// ParseGender accepts male/female, 男/女, M/F.
func ParseGender(s string) (Gender, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "male", "m", "男":
		return GenderMale, true
	case "female", "f", "女":
		return GenderFemale, true
	}
	return "", false
}

// ResidenceType is how a person lives in the grid (实有人口 categories).
type ResidenceType string

const (
	ResidenceHukou     ResidenceType = "hukou"    // 户籍人口
	ResidencePermanent ResidenceType = "resident" // 常住人口
	ResidenceFloating  ResidenceType = "floating" // 流动人口
	ResidenceTenant    ResidenceType = "tenant"   // 租住人口
)

// ResidenceTypes lists every residence type in display order.
var ResidenceTypes = []ResidenceType{ResidenceHukou, ResidencePermanent, ResidenceFloating, ResidenceTenant}

var residenceLabels = map[ResidenceType]Text{
	ResidenceHukou:     T("户籍", "Registered (hukou)"),
	ResidencePermanent: T("常住", "Permanent"),
	ResidenceFloating:  T("流动", "Floating"),
	ResidenceTenant:    T("租住", "Tenant"),
}

func (r ResidenceType) Valid() bool { _, ok := residenceLabels[r]; return ok }
func (r ResidenceType) Label() Text { return residenceLabels[r] }

// ParseResidenceType accepts a key or a Chinese or English label.
func ParseResidenceType(s string) (ResidenceType, bool) {
	s = strings.TrimSpace(s)
	for _, r := range ResidenceTypes {
		if s == string(r) || s == r.Label().ZH || s == r.Label().ZH+"人口" || strings.EqualFold(s, r.Label().EN) {
			return r, true
		}
	}
	return "", false
}

// Tag marks a person for care work. Some are derived from data and kept
// current by the store (Derived); the rest are set by staff.
type Tag string

const (
	TagAge60    Tag = "age60"    // 60岁以上
	TagAge80    Tag = "age80"    // 80岁以上
	TagChild    Tag = "child"    // 儿童 (under 14)
	TagAlone    Tag = "alone"    // 独居
	TagDisabled Tag = "disabled" // 残疾人
	TagDibao    Tag = "dibao"    // 低保
	TagVeteran  Tag = "veteran"  // 退役军人
	TagParty    Tag = "party"    // 党员
	TagFloating Tag = "floating" // 流动人口
	TagKeyCare  Tag = "keycare"  // 重点关爱
)

// Tags lists every tag in display order.
var Tags = []Tag{TagAge60, TagAge80, TagChild, TagAlone, TagDisabled, TagDibao, TagVeteran, TagParty, TagFloating, TagKeyCare}

var tagLabels = map[Tag]Text{
	TagAge60:    T("60岁以上", "60+"),
	TagAge80:    T("80岁以上", "80+"),
	TagChild:    T("儿童", "Child"),
	TagAlone:    T("独居", "Living alone"),
	TagDisabled: T("残疾人", "Disabled"),
	TagDibao:    T("低保", "Minimum living allowance"),
	TagVeteran:  T("退役军人", "Veteran"),
	TagParty:    T("党员", "Party member"),
	TagFloating: T("流动人口", "Floating population"),
	TagKeyCare:  T("重点关爱", "Key care"),
}

func (t Tag) Valid() bool { _, ok := tagLabels[t]; return ok }
func (t Tag) Label() Text { return tagLabels[t] }

// Derived reports whether the tag follows from a person's data (birth date,
// residence type) rather than from staff judgement.
func (t Tag) Derived() bool {
	return t == TagAge60 || t == TagAge80 || t == TagChild || t == TagFloating
}

// ParseTag accepts a key or a Chinese or English label.
func ParseTag(s string) (Tag, bool) {
	s = strings.TrimSpace(s)
	for _, t := range Tags {
		if s == string(t) || s == t.Label().ZH || strings.EqualFold(s, t.Label().EN) {
			return t, true
		}
	}
	return "", false
}

// AgeOn is the age in whole years on a date, from a YYYY-MM-DD birth date.
func AgeOn(birth string, on time.Time) int {
	b, err := time.Parse(DateLayout, birth)
	if err != nil {
		return -1
	}
	age := on.Year() - b.Year()
	if on.Month() < b.Month() || on.Month() == b.Month() && on.Day() < b.Day() {
		age--
	}
	return age
}

// DerivedTags are the tags a person's data implies on a date.
func DerivedTags(birth string, r ResidenceType, on time.Time) []Tag {
	var out []Tag
	switch age := AgeOn(birth, on); {
	case age >= 80:
		out = append(out, TagAge60, TagAge80)
	case age >= 60:
		out = append(out, TagAge60)
	case age >= 0 && age < 14:
		out = append(out, TagChild)
	}
	if r == ResidenceFloating {
		out = append(out, TagFloating)
	}
	return out
}

// Person is a resident (实有人口). IDNumber and Phone hold masked values
// unless the reader unmasked them; the store keeps them encrypted.
type Person struct {
	ID            int64         `json:"id"`
	GridCode      string        `json:"grid_code"`
	GridName      string        `json:"grid_name,omitempty"`
	Name          string        `json:"name"`
	Gender        Gender        `json:"gender"`
	BirthDate     string        `json:"birth_date"`
	IDType        IDType        `json:"id_type"`
	IDNumber      string        `json:"id_number"`
	Phone         string        `json:"phone"`
	Masked        bool          `json:"masked"`
	ResidenceType ResidenceType `json:"residence_type"`
	Ethnic        string        `json:"ethnic"`
	Workplace     string        `json:"workplace"`
	Note          string        `json:"note,omitempty"`
	Tags          []Tag         `json:"tags"`
	// Houses counts the houses the person lives in now.
	Houses    int       `json:"houses"`
	Address   string    `json:"address,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate checks a person's fields and normalises the ID and phone
// numbers. For GB 11643 numbers the birth date and gender are filled in
// from the number when empty and must agree with it when given.
func (p *Person) Validate(today time.Time) error {
	p.Name = strings.TrimSpace(p.Name)
	p.Ethnic, p.Workplace, p.Note = strings.TrimSpace(p.Ethnic), strings.TrimSpace(p.Workplace), strings.TrimSpace(p.Note)
	var fs []FieldError
	if n := utf8.RuneCountInString(p.Name); n == 0 || n > 40 {
		fs = append(fs, FieldErr("name", "请填写姓名（不超过40字）", "give the name (at most 40 characters)"))
	} else if strings.IndexFunc(p.Name, unicode.IsControl) >= 0 || strings.ContainsAny(p.Name, "0123456789") {
		fs = append(fs, FieldErr("name", "姓名不能包含数字或控制字符", "a name has no digits or control characters"))
	}
	if p.IDType == "" {
		p.IDType = IDResident
	}
	if p.IDNumber != "" || p.IDType != IDResident {
		n, facts, fe := NormalizeID(p.IDType, p.IDNumber, today)
		if fe != nil {
			fs = append(fs, *fe)
		} else {
			p.IDNumber = n
			if facts.BirthDate != "" {
				if p.BirthDate == "" {
					p.BirthDate = facts.BirthDate
				} else if p.BirthDate != facts.BirthDate {
					fs = append(fs, FieldErr("birth_date", "出生日期与身份证号不符（应为%s）", "the birth date does not match the ID number (%s)", facts.BirthDate))
				}
				if p.Gender == "" {
					p.Gender = facts.Gender
				} else if p.Gender != facts.Gender {
					fs = append(fs, FieldError{Field: "gender", Msg: T("性别与身份证号不符（应为"+facts.Gender.Label().ZH+"）", "the gender does not match the ID number ("+facts.Gender.Label().EN+")")})
				}
			}
		}
	}
	if p.IDNumber == "" && p.IDType == IDResident {
		// A person may be recorded before their papers are seen, but
		// then the birth date and gender must be given directly.
		if p.BirthDate == "" {
			fs = append(fs, FieldErr("birth_date", "无证件号时请填写出生日期", "without an ID number, give the birth date"))
		}
	}
	if p.BirthDate != "" {
		if b, err := time.Parse(DateLayout, p.BirthDate); err != nil || b.Year() < 1880 || b.After(today) {
			fs = append(fs, FieldErr("birth_date", "出生日期“%s”无效（格式YYYY-MM-DD）", "the birth date %q is not valid (YYYY-MM-DD)", p.BirthDate))
		}
	}
	if p.Gender != "" && !p.Gender.Valid() {
		fs = append(fs, FieldErr("gender", "性别应为男或女", "gender is male or female"))
	}
	if ph, fe := NormalizePhone(p.Phone); fe != nil {
		fs = append(fs, *fe)
	} else {
		p.Phone = ph
	}
	if p.ResidenceType == "" {
		p.ResidenceType = ResidenceHukou
	}
	if !p.ResidenceType.Valid() {
		fs = append(fs, FieldErr("residence_type", "人口类型应为户籍、常住、流动或租住", "residence type is hukou, resident, floating or tenant"))
	}
	if utf8.RuneCountInString(p.Ethnic) > 20 {
		fs = append(fs, FieldErr("ethnic", "民族不超过20字", "ethnic group at most 20 characters"))
	}
	if utf8.RuneCountInString(p.Workplace) > 100 {
		fs = append(fs, FieldErr("workplace", "工作单位不超过100字", "workplace at most 100 characters"))
	}
	if utf8.RuneCountInString(p.Note) > 500 {
		fs = append(fs, FieldErr("note", "备注不超过500字", "note at most 500 characters"))
	}
	for _, t := range p.Tags {
		if !t.Valid() {
			fs = append(fs, FieldErr("tags", "未知标签“%s”", "unknown tag %q", string(t)))
		}
	}
	if p.GridCode == "" {
		fs = append(fs, FieldErr("grid_code", "请选择所属网格", "choose the person's grid"))
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

// Relation is how a person is tied to a house.
type Relation string

const (
	RelationOwner  Relation = "owner"  // 产权人
	RelationTenant Relation = "tenant" // 租户
	RelationFamily Relation = "family" // 家庭成员
)

// Relations lists every relation in display order.
var Relations = []Relation{RelationOwner, RelationTenant, RelationFamily}

var relationLabels = map[Relation]Text{
	RelationOwner:  T("产权人", "Owner"),
	RelationTenant: T("租户", "Tenant"),
	RelationFamily: T("家庭成员", "Family member"),
}

func (r Relation) Valid() bool { _, ok := relationLabels[r]; return ok }
func (r Relation) Label() Text { return relationLabels[r] }

// ParseRelation accepts a key or a Chinese or English label.
func ParseRelation(s string) (Relation, bool) {
	s = strings.TrimSpace(s)
	for _, r := range Relations {
		if s == string(r) || s == r.Label().ZH || strings.EqualFold(s, r.Label().EN) {
			return r, true
		}
	}
	if s == "业主" || s == "房主" {
		return RelationOwner, true
	}
	return "", false
}

// HouseLink ties a person to a house from MoveIn until MoveOut (empty while
// they live there). Moving out ends the link; it is never deleted.
type HouseLink struct {
	ID           int64     `json:"id"`
	PersonID     int64     `json:"person_id"`
	PersonName   string    `json:"person_name,omitempty"`
	HouseID      int64     `json:"house_id"`
	HouseAddress string    `json:"house_address,omitempty"`
	Relation     Relation  `json:"relation"`
	MoveIn       string    `json:"move_in"`
	MoveOut      string    `json:"move_out,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	// OutsideScope: the person is registered outside the viewer's scope
	// (another grid or community), so the household lists them without
	// PersonID and PersonName.
	OutsideScope bool `json:"outside_scope,omitempty"`
}

// Current reports whether the link is still open.
func (l HouseLink) Current() bool { return l.MoveOut == "" }

// TagChange is one entry of a person's tag history.
type TagChange struct {
	Tag    Tag       `json:"tag"`
	Added  bool      `json:"added"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Reason string    `json:"reason,omitempty"`
}

// Completeness is the 人房关联完善率 of a region: houses with a current
// resident or marked vacant, and people linked to a house.
type Completeness struct {
	RegionCode     string `json:"region_code"`
	Houses         int    `json:"houses"`
	HousesComplete int    `json:"houses_complete"`
	People         int    `json:"people"`
	PeopleLinked   int    `json:"people_linked"`
}

// HouseRate and PeopleRate are the two fractions, 0 when there is nothing
// to count.
func (c Completeness) HouseRate() float64 {
	if c.Houses == 0 {
		return 0
	}
	return float64(c.HousesComplete) / float64(c.Houses)
}

func (c Completeness) PeopleRate() float64 {
	if c.People == 0 {
		return 0
	}
	return float64(c.PeopleLinked) / float64(c.People)
}

// Visit is a household visit (走访) by a grid worker or other staff: whom
// they saw, when, what they noted, needs found and when to come back.
type Visit struct {
	ID       int64 `json:"id"`
	HouseID  int64 `json:"house_id,omitempty"`
	PersonID int64 `json:"person_id,omitempty"`
	// PersonName and HouseAddress name whom and where, as lists show them.
	PersonName   string    `json:"person_name,omitempty"`
	HouseAddress string    `json:"house_address,omitempty"`
	GridCode     string    `json:"grid_code"`
	VisitorID    int64     `json:"visitor_id"`
	VisitorName  string    `json:"visitor_name"`
	VisitedAt    time.Time `json:"visited_at"`
	Notes        string    `json:"notes"`
	Needs        string    `json:"needs,omitempty"`
	NextVisit    string    `json:"next_visit,omitempty"` // YYYY-MM-DD
	CreatedAt    time.Time `json:"created_at"`
}

// Validate checks a visit's own fields.
func (v *Visit) Validate(now time.Time) error {
	v.Notes, v.Needs = strings.TrimSpace(v.Notes), strings.TrimSpace(v.Needs)
	var fs []FieldError
	if v.HouseID == 0 && v.PersonID == 0 {
		fs = append(fs, FieldErr("person_id", "请选择走访的人员或房屋", "choose the person or house visited"))
	}
	if v.VisitedAt.IsZero() {
		v.VisitedAt = now
	}
	if v.VisitedAt.After(now.Add(time.Hour)) {
		fs = append(fs, FieldErr("visited_at", "走访时间不能晚于现在", "the visit cannot be in the future"))
	}
	if n := utf8.RuneCountInString(v.Notes); n == 0 || n > 2000 {
		fs = append(fs, FieldErr("notes", "请填写走访情况（不超过2000字）", "write what you found (at most 2000 characters)"))
	}
	if utf8.RuneCountInString(v.Needs) > 1000 {
		fs = append(fs, FieldErr("needs", "需求不超过1000字", "needs at most 1000 characters"))
	}
	if v.NextVisit != "" {
		if d, err := time.Parse(DateLayout, v.NextVisit); err != nil || d.Before(v.VisitedAt.Truncate(24*time.Hour)) {
			fs = append(fs, FieldErr("next_visit", "下次走访日期应为YYYY-MM-DD且不早于本次", "the next visit is YYYY-MM-DD, not before this one"))
		} else if d.After(v.VisitedAt.AddDate(2, 0, 0)) {
			fs = append(fs, FieldErr("next_visit", "下次走访日期应在本次走访后两年之内", "the next visit must be within two years of this one"))
		}
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

// ExactNumber reports whether a search reads as an ID or phone number rather
// than a name or address: at least 7 characters, mostly digits. Spaces,
// dashes and brackets are dropped, as people type phone numbers with them.
// Such searches are exact matches and must not travel in URLs.
func ExactNumber(q string) (string, bool) {
	q = strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "(", "", ")", "", "\t", "").Replace(strings.TrimSpace(q)))
	digits := 0
	for _, r := range q {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r >= 'A' && r <= 'Z':
		default:
			return "", false
		}
	}
	return q, len(q) >= 7 && digits >= len(q)-3
}
