package web

import (
	"net/http"
	"strings"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// accountPage is the user's own profile, password and API tokens.
type accountPage struct {
	Page
	Profile   profileForm
	Errs      FormErrors
	PwErrs    FormErrors
	TokenErrs FormErrors
	TokenName string
	Langs     []Option
	Tokens    []store.APIToken
	// NewSecret is a just-created token's secret, shown this once.
	NewSecret string
}

type profileForm struct {
	DisplayName string
	Phone       string
	Lang        string
}

var profileFields = []string{"display_name", "phone", "lang"}

func (h *Web) accountPage(w http.ResponseWriter, r *http.Request, c *rq, prof profileForm) (accountPage, error) {
	p := accountPage{Page: h.base(w, c, "account.title", "/account"), Profile: prof, Langs: langOptions(prof.Lang)}
	var err error
	p.Tokens, err = h.store.ListTokens(r.Context(), c.Actor)
	return p, err
}

func profileOf(u civic.User) profileForm {
	return profileForm{DisplayName: u.DisplayName, Phone: u.Phone, Lang: u.Lang}
}

func (h *Web) account(w http.ResponseWriter, r *http.Request, c *rq) error {
	p, err := h.accountPage(w, r, c, profileOf(c.User))
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "account", p)
	return nil
}

func (h *Web) updateAccount(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := profileForm{DisplayName: v("display_name"), Phone: v("phone"), Lang: v("lang")}
	_, err := h.store.UpdateUser(r.Context(), c.Actor, c.User.ID, store.UserUpdate{DisplayName: &f.DisplayName, Phone: &f.Phone, Lang: &f.Lang})
	if err != nil {
		errs, err := formErrors(err, c.Lang, profileFields...)
		if err != nil {
			return err
		}
		p, err := h.accountPage(w, r, c, f)
		if err != nil {
			return err
		}
		p.Errs = errs
		h.render(w, c, errs.Status(), "account", p)
		return nil
	}
	// The language cookie outranks the saved preference, so it follows the
	// choice made here.
	h.auth.SetLang(w, f.Lang)
	h.flash(w, "flash.saved")
	redirect(w, r, "/account")
	return nil
}

func (h *Web) changePassword(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	next, err := newPassword(r)
	if err == nil {
		// The current session survives; every other one ends.
		err = h.store.SetPassword(r.Context(), c.Actor, c.User.ID, r.PostFormValue("current_password"), next, auth.SessionToken(r))
	}
	if err != nil {
		errs, err := formErrors(err, c.Lang, "current_password", "new_password", "confirm_password")
		if err != nil {
			return err
		}
		p, err := h.accountPage(w, r, c, profileOf(c.User))
		if err != nil {
			return err
		}
		p.PwErrs = errs
		h.render(w, c, errs.Status(), "account", p)
		return nil
	}
	h.flash(w, "flash.password_changed")
	redirect(w, r, "/account")
	return nil
}

// createToken shows the new secret in the response itself rather than
// after a redirect: it exists nowhere else and must not sit in a cookie.
func (h *Web) createToken(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	_, secret, err := h.store.CreateToken(r.Context(), c.Actor, name)
	status := http.StatusOK
	var errs FormErrors
	if err != nil {
		if errs, err = formErrors(err, c.Lang, "name"); err != nil {
			return err
		}
		status = errs.Status()
	}
	p, err := h.accountPage(w, r, c, profileOf(c.User))
	if err != nil {
		return err
	}
	p.NewSecret, p.TokenErrs = secret, errs
	if secret == "" {
		p.TokenName = name
	}
	h.render(w, c, status, "account", p)
	return nil
}

// newPassword reads a new password typed twice; the store checks its
// strength, the web layer only that both copies agree.
func newPassword(r *http.Request) (string, error) {
	next := r.PostFormValue("new_password")
	if next != r.PostFormValue("confirm_password") {
		return "", civic.Invalid(civic.FieldErr("confirm_password", "两次输入的密码不一致", "the passwords do not match"))
	}
	return next, nil
}

func (h *Web) revokeToken(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.store.RevokeToken(r.Context(), c.Actor, id); err != nil {
		return err
	}
	h.flash(w, "flash.token_revoked")
	redirect(w, r, "/account")
	return nil
}
