package civic

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a user does in civicgrid (DESIGN.md §1).
type Role string

const (
	RoleResident       Role = "resident"
	RoleGridWorker     Role = "grid_worker"
	RoleCommunityStaff Role = "community_staff"
	RoleStreetStaff    Role = "street_staff"
	RoleHandler        Role = "handler"
	RoleOperator       Role = "operator"
	RoleVolunteer      Role = "volunteer"
	RoleLeader         Role = "leader"
	RoleAdmin          Role = "admin"
)

// Roles lists every role in display order.
var Roles = []Role{RoleAdmin, RoleLeader, RoleStreetStaff, RoleCommunityStaff, RoleGridWorker, RoleHandler, RoleOperator, RoleVolunteer, RoleResident}

var roleLabels = map[Role]Text{
	RoleResident:       T("居民", "Resident"),
	RoleGridWorker:     T("网格员", "Grid worker"),
	RoleCommunityStaff: T("社区工作者", "Community staff"),
	RoleStreetStaff:    T("街道工作人员", "Street staff"),
	RoleHandler:        T("承办单位（部门/物业）", "Handler (department / property)"),
	RoleOperator:       T("12345话务员", "Hotline operator"),
	RoleVolunteer:      T("党员/志愿者", "Party member / volunteer"),
	RoleLeader:         T("领导", "Leader"),
	RoleAdmin:          T("管理员", "Administrator"),
}

func (r Role) Valid() bool { _, ok := roleLabels[r]; return ok }
func (r Role) Label() Text { return roleLabels[r] }

// WidestLevel is the highest level of the region tree a role's data scope
// may be rooted at. Front-line roles work one place: a grid worker (or the
// grid head, 网格长) a grid or at most the community that holds their grids,
// community staff a community, street staff a street. Their pages show
// people, houses and phones of their scope, so a city-wide scope given by
// mistake would open the whole city's registers to them. Handlers are bound
// by their organisation, and operators, leaders, volunteers, residents and
// admins may be given any level.
func (r Role) WidestLevel() Level {
	switch r {
	case RoleGridWorker, RoleCommunityStaff:
		return LevelCommunity
	case RoleStreetStaff:
		return LevelStreet
	}
	return LevelCity
}

// ScopeProblems says why a scope does not suit the role it is given with:
// a handler works the cases sent to its organisation, so without one it
// would read every case of its region like community staff; front-line
// roles hold at most their role's level (WidestLevel).
func ScopeProblems(role Role, scope Scope) []FieldError {
	var fs []FieldError
	if l, ok := LevelOfCode(scope.RegionCode); ok && role.Valid() && l < role.WidestLevel() {
		w := role.WidestLevel()
		fs = append(fs, FieldError{Field: "scope_code", Msg: T(
			fmt.Sprintf("%s的数据范围最大到%s，不能是整个%s", role.Label().ZH, w.Label().ZH, l.Label().ZH),
			fmt.Sprintf("the data scope of a %s account is at most a %s, not a whole %s", strings.ToLower(role.Label().EN), strings.ToLower(w.Label().EN), strings.ToLower(l.Label().EN)))})
	}
	if role == RoleHandler && scope.OrgID == 0 {
		fs = append(fs, FieldErr("scope_org_id", "承办人员须选择所属单位（职能部门或物业公司）", "a handler needs their organisation (a department or property company)"))
	}
	return fs
}

// ScopeFits reports whether the account's scope suits its role; one that
// does not (made before a rule) cannot sign in until an admin fixes it.
func (u User) ScopeFits() bool { return len(ScopeProblems(u.Role, u.Scope)) == 0 }

// Scope is the part of the world a user may see: the subtree of the region
// tree rooted at RegionCode and, for handlers, one organisation.
type Scope struct {
	RegionCode string `json:"region_code"`
	OrgID      int64  `json:"org_id,omitempty"`
}

// Contains reports whether a region code lies in the scope's subtree.
func (s Scope) Contains(code string) bool { return s.RegionCode != "" && InSubtree(code, s.RegionCode) }

// User is an account.
type User struct {
	ID          int64  `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        Role   `json:"role"`
	Scope       Scope  `json:"scope"`
	ScopeName   string `json:"scope_name,omitempty"`
	Phone       string `json:"phone,omitempty"`
	// IdentityChecked: the name and phone were entered or confirmed by an
	// admin, not changed by the user since; only then does the account
	// stand for the registered person they match (二要素).
	IdentityChecked bool      `json:"identity_checked"`
	Disabled        bool      `json:"disabled"`
	Lang            string    `json:"lang"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// Actor is who performs an action: a signed-in user, seen by every store
// call so that role and scope are enforced where the data is.
type Actor struct {
	UserID   int64
	Username string
	// DisplayName is how the actor appears in timelines.
	DisplayName string
	Role        Role
	Scope       Scope
	IP          string
}

// System is the actor for set-up work (migrations, demo generation, the
// command line). It may do anything everywhere.
var System = Actor{Username: "system", Role: RoleAdmin}

// IsSystem reports whether a is the built-in system actor.
func (a Actor) IsSystem() bool { return a.UserID == 0 && a.Username == "system" }

// InScope reports whether the actor may see a record filed under code.
func (a Actor) InScope(code string) bool { return a.IsSystem() || a.Scope.Contains(code) }

// ValidateUsername and ValidatePassword are the account rules, checked at the
// edge and again in the store.
func ValidateUsername(u string) *FieldError {
	if n := len(u); n < 3 || n > 32 {
		fe := FieldErr("username", "用户名长度应为3到32个字符", "username must be 3 to 32 characters")
		return &fe
	}
	for _, c := range u {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			fe := FieldErr("username", "用户名只能包含小写字母、数字和 _ . -", "username may contain lowercase letters, digits, _ . - only")
			return &fe
		}
	}
	return nil
}

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 8

func ValidatePassword(p string) *FieldError {
	if utf8.RuneCountInString(p) < MinPasswordLen {
		fe := FieldErr("password", "密码至少%d位", "password must have at least %d characters", MinPasswordLen)
		return &fe
	}
	if len(p) > 256 {
		fe := FieldErr("password", "密码过长", "password is too long")
		return &fe
	}
	return nil
}

// MustCityWide checks p and that the actor's scope is a whole city: the
// working calendar and the category catalogue apply city-wide, so an
// administrator of one street must not change them.
func (a Actor) MustCityWide(p Permission) error {
	if err := a.Must(p); err != nil || a.IsSystem() {
		return err
	}
	if l, ok := LevelOfCode(a.Scope.RegionCode); !ok || l != LevelCity {
		return Errorf(EForbidden, "只有全市范围的管理员可以修改此项配置", "only a city-wide administrator may change this setting")
	}
	return nil
}
