package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// usersPage is the account administration list.
type usersPage struct {
	Page
	Filter userQuery
	Roles  []Option
	Rows   []civic.User
	Pager  Pager
}

type userQuery struct {
	Q    string
	Role string
}

func roleOptions(lang, selected string) []Option {
	out := make([]Option, 0, len(civic.Roles))
	for _, r := range civic.Roles {
		out = append(out, Option{Value: string(r), Label: r.Label().In(lang), Selected: string(r) == selected})
	}
	return out
}

func langOptions(selected string) []Option {
	return []Option{{Value: "zh", Label: "中文", Selected: selected != "en"}, {Value: "en", Label: "English", Selected: selected == "en"}}
}

func (h *Web) users(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	f := userQuery{Q: strings.TrimSpace(q.Get("q"))}
	if role := civic.Role(q.Get("role")); role.Valid() {
		f.Role = string(role)
	}
	page := pageOf(q)
	rows, total, err := h.store.ListUsers(r.Context(), c.Actor, store.UserFilter{Role: civic.Role(f.Role), Query: f.Q, Page: storePage(page)})
	if err != nil {
		return err
	}
	p := usersPage{Page: h.base(w, c, "users.title", "/users"), Filter: f, Roles: roleOptions(c.Lang, f.Role), Rows: rows,
		Pager: newPager("/users", q, page, total)}
	h.list(w, r, c, "users", p)
	return nil
}

// userForm is the account form as typed.
type userForm struct {
	ID          int64
	Username    string
	DisplayName string
	Role        string
	ScopeCode   string
	ScopeOrgID  string
	Phone       string
	Lang        string
	// IdentityChecked: the admin confirms the name and phone are the
	// holder's (二要素), which lets a resident report from their home.
	IdentityChecked bool
	Disabled        bool
}

var userFields = []string{"username", "display_name", "password", "role", "scope_code", "scope_org_id", "phone", "lang", "disabled"}

// userFormPage is the add and edit page; editing also offers a password
// reset.
type userFormPage struct {
	Page
	Form    userForm
	Errs    FormErrors
	PwErrs  FormErrors
	Roles   []Option
	Langs   []Option
	Orgs    []Option
	Regions []Option
	Action  string
	Editing bool
	Self    bool
}

func (h *Web) userFormPage(w http.ResponseWriter, r *http.Request, c *rq, f userForm) (userFormPage, error) {
	p := userFormPage{Page: h.base(w, c, "users.new", "/users"), Form: f, Roles: roleOptions(c.Lang, f.Role),
		Langs: langOptions(f.Lang), Action: "/users/new", Self: f.ID != 0 && f.ID == c.User.ID}
	if f.ID != 0 {
		p.Title, p.Editing, p.Action = c.T("users.edit")+" · "+f.Username, true, fmt.Sprintf("/users/%d/edit", f.ID)
	}
	p.Crumbs = []Crumb{{Label: c.T("users.title"), URL: "/users"}, {Label: p.Title}}
	var err error
	if p.Orgs, err = h.orgOptions(r.Context(), c.Actor, f.ScopeOrgID); err != nil {
		return p, err
	}
	p.Regions, err = h.jurisdictionOptions(r.Context(), c.Actor)
	return p, err
}

func userFormOf(u civic.User) userForm {
	f := userForm{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: string(u.Role), ScopeCode: u.Scope.RegionCode,
		Phone: u.Phone, Lang: u.Lang, IdentityChecked: u.IdentityChecked, Disabled: u.Disabled}
	if u.Scope.OrgID != 0 {
		f.ScopeOrgID = strconv.FormatInt(u.Scope.OrgID, 10)
	}
	return f
}

func readUserForm(r *http.Request) userForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return userForm{Username: strings.ToLower(v("username")), DisplayName: v("display_name"), Role: v("role"), ScopeCode: v("scope_code"),
		ScopeOrgID: v("scope_org_id"), Phone: v("phone"), Lang: v("lang"),
		IdentityChecked: r.PostFormValue("identity_checked") == "1", Disabled: r.PostFormValue("disabled") == "1"}
}

func (f userForm) scope() (civic.Scope, *civic.FieldError) {
	sc := civic.Scope{RegionCode: f.ScopeCode}
	if f.ScopeOrgID != "" {
		id, err := strconv.ParseInt(f.ScopeOrgID, 10, 64)
		if err != nil || id <= 0 {
			fe := civic.FieldErr("scope_org_id", "请选择组织", "choose an organisation")
			return sc, &fe
		}
		sc.OrgID = id
	}
	return sc, nil
}

// withField is fe, which the form found itself, with the store's reasons
// for the other fields, so that one unreadable field does not hide them;
// the store's words on fe's own field give way to fe's.
func withField(fe civic.FieldError, rest []civic.FieldError) []civic.FieldError {
	out := []civic.FieldError{fe}
	for _, r := range rest {
		if r.Field != fe.Field {
			out = append(out, r)
		}
	}
	return out
}

func (h *Web) newUser(w http.ResponseWriter, r *http.Request, c *rq) error {
	p, err := h.userFormPage(w, r, c, userForm{Role: string(civic.RoleGridWorker), ScopeCode: c.Actor.Scope.RegionCode, Lang: "zh"})
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "user_form", p)
	return nil
}

func (h *Web) createUser(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := readUserForm(r)
	sc, fe := f.scope()
	n := store.NewUser{Username: f.Username, DisplayName: f.DisplayName,
		Password: r.PostFormValue("password"), Role: civic.Role(f.Role), Scope: sc, Phone: f.Phone, Lang: f.Lang}
	var u civic.User
	var err error
	if fe != nil {
		err = civic.Invalid(withField(*fe, store.CheckNewUser(n))...)
	} else {
		u, err = h.store.CreateUser(r.Context(), c.Actor, n)
	}
	if err == nil {
		h.flash(w, "flash.saved")
		redirect(w, r, fmt.Sprintf("/users/%d/edit", u.ID))
		return nil
	}
	return h.refuseUserForm(w, r, c, f, err, false)
}

// refuseUserForm shows the form again with the store's reasons; pw says the
// password reset form was the one refused.
func (h *Web) refuseUserForm(w http.ResponseWriter, r *http.Request, c *rq, f userForm, err error, pw bool) error {
	fields := userFields
	if pw {
		fields = []string{"new_password", "confirm_password"}
	}
	errs, err := formErrors(err, c.Lang, fields...)
	if err != nil {
		return err
	}
	p, err := h.userFormPage(w, r, c, f)
	if err != nil {
		return err
	}
	if pw {
		p.PwErrs = errs
	} else {
		p.Errs = errs
	}
	h.render(w, c, errs.Status(), "user_form", p)
	return nil
}

// userOf loads the account named in the path, if the admin may see it.
func (h *Web) userOf(r *http.Request, c *rq) (civic.User, error) {
	id, err := pathID(r)
	if err != nil {
		return civic.User{}, err
	}
	return h.store.GetUser(r.Context(), c.Actor, id)
}

func (h *Web) editUser(w http.ResponseWriter, r *http.Request, c *rq) error {
	u, err := h.userOf(r, c)
	if err != nil {
		return err
	}
	p, err := h.userFormPage(w, r, c, userFormOf(u))
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "user_form", p)
	return nil
}

func (h *Web) updateUser(w http.ResponseWriter, r *http.Request, c *rq) error {
	cur, err := h.userOf(r, c)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := cur.ID
	f := readUserForm(r)
	f.ID, f.Username = id, cur.Username
	sc, fe := f.scope()
	role := civic.Role(f.Role)
	if fe != nil {
		return h.refuseUserForm(w, r, c, f, civic.Invalid(withField(*fe, store.CheckAccount(f.DisplayName, role, sc, f.Phone, f.Lang))...), false)
	}
	_, err = h.store.UpdateUser(r.Context(), c.Actor, id, store.UserUpdate{DisplayName: &f.DisplayName, Role: &role, Scope: &sc,
		Phone: &f.Phone, IdentityChecked: &f.IdentityChecked, Disabled: &f.Disabled, Lang: &f.Lang})
	if err != nil {
		return h.refuseUserForm(w, r, c, f, err, false)
	}
	h.flash(w, "flash.saved")
	redirect(w, r, fmt.Sprintf("/users/%d/edit", id))
	return nil
}

// resetPassword lets an admin set a new password for someone who forgot
// theirs; the store ends the user's sessions.
func (h *Web) resetPassword(w http.ResponseWriter, r *http.Request, c *rq) error {
	u, err := h.userOf(r, c)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := u.ID
	next, err := newPassword(r)
	if err == nil {
		err = h.store.SetPassword(r.Context(), c.Actor, id, "", next, auth.SessionToken(r))
	}
	if err != nil {
		return h.refuseUserForm(w, r, c, userFormOf(u), err, true)
	}
	h.flash(w, "flash.password_reset")
	redirect(w, r, fmt.Sprintf("/users/%d/edit", id))
	return nil
}
