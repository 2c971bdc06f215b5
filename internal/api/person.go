package api

import (
	"context"
	"net/http"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// People (实有人口): every answer carries ID and phone numbers masked; only
// POST /people/{id}/unmask, with a reason, returns them in clear, once, and
// the store writes who asked and why to the audit log.

type personInput struct {
	GridCode  string              `json:"grid_code"`
	Name      string              `json:"name"`
	Gender    civic.Gender        `json:"gender"`
	BirthDate string              `json:"birth_date"`
	IDType    civic.IDType        `json:"id_type"`
	IDNumber  *string             `json:"id_number"`
	Phone     *string             `json:"phone"`
	Residence civic.ResidenceType `json:"residence_type"`
	Ethnic    string              `json:"ethnic"`
	Workplace string              `json:"workplace"`
	Note      string              `json:"note"`
	Tags      []civic.Tag         `json:"tags"`
	// Reason is written to the tag history with any tag change.
	Reason string `json:"reason"`
}

// person converts the input. On an update an absent number, or one sent
// back masked, keeps the stored number; the store reads "*" that way.
func (in personInput) person(id int64) civic.Person {
	p := civic.Person{ID: id, GridCode: in.GridCode, Name: in.Name, Gender: in.Gender, BirthDate: in.BirthDate, IDType: in.IDType,
		ResidenceType: in.Residence, Ethnic: in.Ethnic, Workplace: in.Workplace, Note: in.Note, Tags: in.Tags}
	keep := func(v *string) string {
		switch {
		case v != nil:
			return *v
		case id != 0:
			return "*"
		}
		return ""
	}
	p.IDNumber, p.Phone = keep(in.IDNumber), keep(in.Phone)
	return p
}

func (a *API) listPeople(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	under, err := subtreeParam(r, act, "under")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.PeopleFilter{Under: under, Query: q.Get("q"), Unlinked: q.Get("unlinked") == "true", Page: p}
	if s := q.Get("tag"); s != "" {
		t, ok := civic.ParseTag(s)
		if !ok {
			return civic.Invalid(civic.FieldErr("tag", "未知标签“%s”", "unknown tag %q", s))
		}
		f.Tag = t
	}
	if f.HouseID, err = idParam(r, "house_id"); err != nil {
		return err
	}
	ps, total, err := a.store.ListPeople(r.Context(), act, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(ps, total, p))
	return nil
}

func (a *API) getPerson(w http.ResponseWriter, r *http.Request) error {
	return getByID(w, r, a.store.GetPerson)
}

func (a *API) createPerson(w http.ResponseWriter, r *http.Request) error {
	return save(w, r, 0, func(act civic.Actor, in personInput) (civic.Person, error) {
		return a.store.SavePerson(r.Context(), act, in.person(0), in.Reason)
	})
}

func (a *API) updatePerson(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return save(w, r, id, func(act civic.Actor, in personInput) (civic.Person, error) {
		return a.store.SavePerson(r.Context(), act, in.person(id), in.Reason)
	})
}

type unmaskInput struct {
	Reason string `json:"reason"`
}

type unmaskOutput struct {
	ID       int64  `json:"id"`
	IDNumber string `json:"id_number"`
	Phone    string `json:"phone"`
}

// unmaskPerson returns a person's numbers in clear for a reason that the
// audit log keeps.
func (a *API) unmaskPerson(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return save(w, r, id, func(act civic.Actor, in unmaskInput) (unmaskOutput, error) {
		idNumber, phone, err := a.store.UnmaskPerson(r.Context(), act, id, in.Reason)
		return unmaskOutput{ID: id, IDNumber: idNumber, Phone: phone}, err
	})
}

func (a *API) tagHistory(w http.ResponseWriter, r *http.Request) error {
	return getByID(w, r, func(ctx context.Context, act civic.Actor, id int64) (list[civic.TagChange], error) {
		hs, err := a.store.TagHistory(ctx, act, id)
		return newList(hs, len(hs), pageOf(len(hs))), err
	})
}

func (a *API) personHouses(w http.ResponseWriter, r *http.Request) error {
	return getByID(w, r, func(ctx context.Context, act civic.Actor, id int64) (list[civic.HouseLink], error) {
		ls, err := a.store.PersonHouses(ctx, act, id)
		return newList(ls, len(ls), pageOf(len(ls))), err
	})
}

func (a *API) personCases(w http.ResponseWriter, r *http.Request) error {
	return getByID(w, r, func(ctx context.Context, act civic.Actor, id int64) (list[civic.Case], error) {
		cs, err := a.store.PersonCases(ctx, act, id)
		return newList(cs, len(cs), pageOf(len(cs))), err
	})
}

type linkInput struct {
	PersonID int64          `json:"person_id"`
	HouseID  int64          `json:"house_id"`
	Relation civic.Relation `json:"relation"`
	MoveIn   string         `json:"move_in"`
}

// linkHouse records that a person lives in (or owns) a house.
func (a *API) linkHouse(w http.ResponseWriter, r *http.Request) error {
	return save(w, r, 0, func(act civic.Actor, in linkInput) (civic.HouseLink, error) {
		return a.store.LinkHouse(r.Context(), act, civic.HouseLink{PersonID: in.PersonID, HouseID: in.HouseID, Relation: in.Relation, MoveIn: in.MoveIn})
	})
}

type moveOutInput struct {
	MoveOut string `json:"move_out"`
}

// moveOut ends a link; the link stays as history.
func (a *API) moveOut(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in moveOutInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := a.store.EndLink(r.Context(), act, 0, id, in.MoveOut); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
