package civic

import (
	"strings"
	"time"
)

// OrgKind is what sort of organisation it is.
type OrgKind string

const (
	OrgStreetOffice       OrgKind = "street_office"
	OrgCommunityCommittee OrgKind = "community_committee"
	OrgDepartment         OrgKind = "department"
	OrgPropertyCompany    OrgKind = "property_company"
	OrgPartyOrg           OrgKind = "party_org"
	OrgCoBuildingUnit     OrgKind = "co_building_unit"
	OrgSocialOrg          OrgKind = "social_org"
	OrgVolunteerTeam      OrgKind = "volunteer_team"
)

// OrgKinds lists every kind in display order.
var OrgKinds = []OrgKind{OrgStreetOffice, OrgCommunityCommittee, OrgDepartment, OrgPropertyCompany, OrgPartyOrg, OrgCoBuildingUnit, OrgSocialOrg, OrgVolunteerTeam}

var orgKindLabels = map[OrgKind]Text{
	OrgStreetOffice:       T("街道办事处", "Street office"),
	OrgCommunityCommittee: T("社区居委会", "Community committee"),
	OrgDepartment:         T("职能部门", "Department"),
	OrgPropertyCompany:    T("物业公司", "Property company"),
	OrgPartyOrg:           T("党组织", "Party organisation"),
	OrgCoBuildingUnit:     T("共建单位", "Co-building unit"),
	OrgSocialOrg:          T("社会组织", "Social organisation"),
	OrgVolunteerTeam:      T("志愿服务队", "Volunteer team"),
}

func (k OrgKind) Valid() bool { _, ok := orgKindLabels[k]; return ok }
func (k OrgKind) Label() Text { return orgKindLabels[k] }

// Organisation is a body with a jurisdiction in the region tree.
type Organisation struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Kind       OrgKind   `json:"kind"`
	RegionCode string    `json:"region_code"`
	RegionName string    `json:"region_name,omitempty"`
	Phone      string    `json:"phone"`
	Address    string    `json:"address"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Validate checks an organisation's own fields.
func (o *Organisation) Validate() error {
	o.Name = strings.TrimSpace(o.Name)
	var fs []FieldError
	if o.Name == "" || len([]rune(o.Name)) > 100 {
		fs = append(fs, FieldErr("name", "名称不能为空且不超过100字", "name is required, at most 100 characters"))
	}
	if !o.Kind.Valid() {
		fs = append(fs, FieldErr("kind", "请选择组织类型", "choose a kind of organisation"))
	}
	if _, ok := LevelOfCode(o.RegionCode); !ok {
		fs = append(fs, FieldErr("region_code", "请选择管辖区域", "choose a jurisdiction"))
	}
	if o.Phone != "" && !ValidPhone(o.Phone) {
		fs = append(fs, FieldErr("phone", "电话号码格式不正确", "phone number is not valid"))
	}
	o.Address = strings.TrimSpace(o.Address)
	if len([]rune(o.Address)) > 200 {
		fs = append(fs, FieldErr("address", "地址不超过200字", "the address is at most 200 characters"))
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

// ValidPhone accepts a mainland mobile number (11 digits starting with 1), a
// landline with optional area code and extension (010-12345678-123), or an
// international number starting with +.
func ValidPhone(p string) bool {
	// A number is written with at most a few dashes (010-6512-3456, an
	// extension); more is not a phone number but an unbounded field.
	if p == "" || p[0] == '-' || len(p) > 24 {
		return false
	}
	digits := 0
	for i, c := range p {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '-':
		case c == '+' && i == 0:
		default:
			return false
		}
	}
	if len(p) == 11 && digits == 11 && p[0] == '1' {
		return true
	}
	if p[0] == '+' {
		return digits >= 8 && digits <= 15
	}
	return digits >= 7 && digits <= 16 && !(digits == len(p) && p[0] == '1')
}
