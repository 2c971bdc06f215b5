package api

import (
	"net/http"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	under, err := subtreeParam(r, act, "under")
	if err != nil {
		return err
	}
	us, total, err := a.store.ListUsers(r.Context(), act, store.UserFilter{Role: civic.Role(q.Get("role")), Under: under, Query: q.Get("q"), Page: p})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(us, total, p))
	return nil
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if !act.Can(civic.PermUserAdmin) && act.UserID != id {
		return civic.Forbidden()
	}
	u, err := a.store.GetUser(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		Username    string      `json:"username"`
		DisplayName string      `json:"display_name"`
		Password    string      `json:"password"`
		Role        civic.Role  `json:"role"`
		Scope       civic.Scope `json:"scope"`
		Phone       string      `json:"phone"`
		Lang        string      `json:"lang"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	u, err := a.store.CreateUser(r.Context(), act, store.NewUser{Username: in.Username, DisplayName: in.DisplayName, Password: in.Password, Role: in.Role, Scope: in.Scope, Phone: in.Phone, Lang: in.Lang})
	if err != nil {
		return scopeFields(err)
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (a *API) updateUser(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if !act.Can(civic.PermUserAdmin) {
		return civic.Forbidden()
	}
	var in struct {
		DisplayName *string      `json:"display_name"`
		Role        *civic.Role  `json:"role"`
		Scope       *civic.Scope `json:"scope"`
		Phone       *string      `json:"phone"`
		// IdentityChecked confirms the name and phone are the holder's.
		IdentityChecked *bool   `json:"identity_checked"`
		Disabled        *bool   `json:"disabled"`
		Lang            *string `json:"lang"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	u, err := a.store.UpdateUser(r.Context(), act, id, store.UserUpdate{DisplayName: in.DisplayName, Role: in.Role, Scope: in.Scope, Phone: in.Phone,
		IdentityChecked: in.IdentityChecked, Disabled: in.Disabled, Lang: in.Lang})
	if err != nil {
		return scopeFields(err)
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// resetPassword is an admin setting another user's password.
// resetPassword needs a session (auth.SessionActor): a leaked admin token
// that could set another person's password would sign in as them, act in
// their name and outlive its own revocation.
func (a *API) resetPassword(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.SessionActor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if !act.Can(civic.PermUserAdmin) {
		return civic.Forbidden()
	}
	var in struct {
		NewPassword string `json:"new_password"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if id == act.UserID {
		return civic.Errorf(civic.EConflict, "修改自己的密码请使用 /api/v1/me/password", "change your own password at /api/v1/me/password")
	}
	if err := a.store.SetPassword(r.Context(), act, id, "", in.NewPassword, ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// scopeFields names a refused scope by the body's own fields: the store
// says scope_code and scope_org_id, as the web form's inputs are named,
// where an API body holds scope.region_code and scope.org_id.
func scopeFields(err error) error {
	e := civic.AsError(err)
	if len(e.Fields) == 0 {
		return err
	}
	names := map[string]string{"scope_code": "scope.region_code", "scope_org_id": "scope.org_id"}
	out := *e
	out.Fields = make([]civic.FieldError, len(e.Fields))
	for i, f := range e.Fields {
		if n, ok := names[f.Field]; ok {
			f.Field = n
		}
		out.Fields[i] = f
	}
	return &out
}
