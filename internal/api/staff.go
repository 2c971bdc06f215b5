package api

import (
	"net/http"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
)

type staffInput struct {
	GridCode  string         `json:"grid_code"`
	Name      string         `json:"name"`
	Position  civic.Position `json:"position"`
	Phone     string         `json:"phone"`
	OrgID     int64          `json:"org_id"`
	StartDate string         `json:"start_date"`
	EndDate   string         `json:"end_date"`
	Note      string         `json:"note"`
}

func (in staffInput) staff(id int64) civic.Staff {
	return civic.Staff{ID: id, GridCode: in.GridCode, Name: in.Name, Position: in.Position, Phone: in.Phone, OrgID: in.OrgID, StartDate: in.StartDate, EndDate: in.EndDate, Note: in.Note}
}

// listStaff serves the staff ledger as JSON, or .xlsx with ?format=xlsx.
func (a *API) listStaff(w http.ResponseWriter, r *http.Request) error {
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
	f := store.StaffFilter{Under: under, Position: civic.Position(q.Get("position")), Query: q.Get("q"), Page: p}
	if q.Get("active") == "true" {
		f.ActiveOn = civic.Today(a.store.Now())
	}
	xlsx := q.Get("format") == "xlsx"
	if xlsx {
		f.Page = store.Page{Limit: 10000}
	}
	ms, total, err := a.store.ListStaff(r.Context(), act, f)
	if err != nil {
		return err
	}
	if !xlsx {
		writeJSON(w, http.StatusOK, newList(ms, total, p))
		return nil
	}
	lang := auth.Lang(r.Context())
	t := sheet.Table{Sheet: "staff", Header: []string{"grid_code", "grid", "name", "position", "phone", "start_date", "end_date", "note"},
		Widths: []float64{18, 22, 10, 14, 14, 12, 12, 24}}
	if lang != "en" {
		t.Sheet = "网格员台账"
		t.Header = []string{"网格编码", "网格", "姓名", "岗位", "电话", "到岗日期", "离岗日期", "备注"}
	}
	for _, m := range ms {
		t.Rows = append(t.Rows, []any{m.GridCode, m.GridName, m.Name, m.Position.Label().In(lang), m.Phone, m.StartDate, m.EndDate, m.Note})
	}
	return a.writeSheet(w, "staff", t)
}

func (a *API) getStaff(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, err := a.store.GetStaff(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (a *API) createStaff(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in staffInput
	if err := decode(r, &in); err != nil {
		return err
	}
	m, err := a.store.CreateStaff(r.Context(), act, in.staff(0))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

func (a *API) updateStaff(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in staffInput
	if err := decode(r, &in); err != nil {
		return err
	}
	m, err := a.store.UpdateStaff(r.Context(), act, in.staff(id))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (a *API) deleteStaff(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.store.DeleteStaff(r.Context(), act, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
