package api

import (
	"net/http"
	"strings"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

func (a *API) login(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	// Missing fields are a malformed request, not a failed sign-in: they
	// neither count towards the lockout nor read as wrong credentials.
	var fs []civic.FieldError
	if strings.TrimSpace(in.Username) == "" {
		fs = append(fs, civic.FieldErr("username", "请填写用户名", "give the username"))
	}
	if in.Password == "" {
		fs = append(fs, civic.FieldErr("password", "请填写密码", "give the password"))
	}
	if len(fs) > 0 {
		return civic.Invalid(fs...)
	}
	u, err := a.auth.Login(w, r, in.Username, in.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (a *API) logout(w http.ResponseWriter, r *http.Request) error {
	if err := a.auth.Logout(w, r); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) me(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	u, err := a.store.GetUser(r.Context(), act, act.UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (a *API) updateMe(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		DisplayName *string `json:"display_name"`
		Phone       *string `json:"phone"`
		Lang        *string `json:"lang"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	u, err := a.store.UpdateUser(r.Context(), act, act.UserID, store.UserUpdate{DisplayName: in.DisplayName, Phone: in.Phone, Lang: in.Lang})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// changePassword needs a session, not an API token (auth.SessionActor); the
// user's other sessions end and their tokens are revoked.
func (a *API) changePassword(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.SessionActor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := a.store.SetPassword(r.Context(), act, act.UserID, in.Current, in.New, auth.SessionToken(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listTokens(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	ts, err := a.store.ListTokens(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(ts, len(ts), pageOf(len(ts))))
	return nil
}

// createToken needs a session: a token may not make tokens.
func (a *API) createToken(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.SessionActor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	t, secret, err := a.store.CreateToken(r.Context(), act, in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		store.APIToken
		Token string `json:"token"`
	}{t, secret})
	return nil
}

func (a *API) revokeToken(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.store.RevokeToken(r.Context(), act, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
