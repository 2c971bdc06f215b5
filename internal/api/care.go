package api

import (
	"net/http"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

type careRuleInput struct {
	RegionCode string           `json:"region_code"`
	Name       string           `json:"name"`
	Target     civic.CareTarget `json:"target"`
	Tags       []civic.Tag      `json:"tags"`
	Period     civic.CarePeriod `json:"period"`
	Days       int              `json:"days"`
	Active     bool             `json:"active"`
}

func (in careRuleInput) rule(id int64) civic.CareRule {
	return civic.CareRule{ID: id, RegionCode: in.RegionCode, Name: in.Name, Target: in.Target, Tags: in.Tags, Period: in.Period, Days: in.Days, Active: in.Active}
}

func (a *API) listCareRules(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	rs, err := a.store.ListCareRules(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(rs, len(rs), pageOf(len(rs))))
	return nil
}

func (a *API) saveCareRule(w http.ResponseWriter, r *http.Request, id int64) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in careRuleInput
	if err := decode(r, &in); err != nil {
		return err
	}
	rule, err := a.store.SaveCareRule(r.Context(), act, in.rule(id))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if id == 0 {
		status = http.StatusCreated
	}
	writeJSON(w, status, rule)
	return nil
}

func (a *API) createCareRule(w http.ResponseWriter, r *http.Request) error {
	return a.saveCareRule(w, r, 0)
}

func (a *API) updateCareRule(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return a.saveCareRule(w, r, id)
}

// listCareTasks is the to-do list: open tasks most overdue first.
func (a *API) listCareTasks(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	f := store.CareTaskFilter{Page: p, State: civic.CareTaskState(r.URL.Query().Get("state"))}
	if f.Under, err = subtreeParam(r, act, "under"); err != nil {
		return err
	}
	for name, dst := range map[string]*int64{"rule_id": &f.RuleID, "person_id": &f.PersonID, "house_id": &f.HouseID} {
		if *dst, err = intParam(r, name); err != nil {
			return err
		}
	}
	ts, total, err := a.store.CareTasks(r.Context(), act, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(ts, total, p))
	return nil
}

func (a *API) closeCareTask(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Note string `json:"note"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := a.store.CloseCareTask(r.Context(), act, id, in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}
