package api

import (
	"net/http"
	"strconv"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// articleInput is an article as clients send it.
type articleInput struct {
	Question     string `json:"question"`
	Answer       string `json:"answer"`
	CategoryCode string `json:"category_code"`
	ValidFrom    string `json:"valid_from"`
	ValidTo      string `json:"valid_to"`
	OrgID        int64  `json:"org_id"`
	Public       bool   `json:"public"`
}

func (in articleInput) article() civic.Article {
	return civic.Article{Question: in.Question, Answer: in.Answer, CategoryCode: in.CategoryCode,
		ValidFrom: in.ValidFrom, ValidTo: in.ValidTo, OrgID: in.OrgID, Public: in.Public}
}

// listArticles searches the knowledge base: ?q= (every word must match),
// ?org_id=, ?hide_expired=true, ?flagged=true, paged.
func (a *API) listArticles(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	f := store.KnowledgeFilter{Query: r.URL.Query().Get("q"), Page: p}
	if s := r.URL.Query().Get("org_id"); s != "" {
		if f.OrgID, err = strconv.ParseInt(s, 10, 64); err != nil {
			return civic.Invalid(civic.FieldErr("org_id", "org_id 应为整数", "org_id must be an integer"))
		}
	}
	for name, dst := range map[string]*bool{"hide_expired": &f.HideExpired, "flagged": &f.Flagged} {
		b, err := boolParam(r, name)
		if err != nil {
			return err
		}
		if b != nil {
			*dst = *b
		}
	}
	arts, total, err := a.store.ListArticles(r.Context(), act, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(arts, total, p))
	return nil
}

// suggestArticles answers ?text= (a consultation's free text) with the
// articles in force that best answer it.
func (a *API) suggestArticles(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	n := 5
	if s := r.URL.Query().Get("limit"); s != "" {
		if n, err = strconv.Atoi(s); err != nil || n < 1 || n > 20 {
			return civic.Invalid(civic.FieldErr("limit", "limit 应为1到20的整数", "limit must be an integer from 1 to 20"))
		}
	}
	arts, err := a.store.SuggestArticles(r.Context(), act, r.URL.Query().Get("text"), n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(arts, len(arts), store.Page{Limit: n}))
	return nil
}

func (a *API) getArticle(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	art, err := a.store.GetArticle(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, art)
	return nil
}

func (a *API) createArticle(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in articleInput
	if err := decode(r, &in); err != nil {
		return err
	}
	art, err := a.store.CreateArticle(r.Context(), act, in.article())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, art)
	return nil
}

func (a *API) updateArticle(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in articleInput
	if err := decode(r, &in); err != nil {
		return err
	}
	art := in.article()
	art.ID = id
	art, err = a.store.UpdateArticle(r.Context(), act, art)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, art)
	return nil
}

func (a *API) articleFlags(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fs, err := a.store.ListArticleFlags(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(fs, len(fs), store.Page{Limit: max(len(fs), 1)}))
	return nil
}

func (a *API) flagArticle(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	f, err := a.store.FlagArticle(r.Context(), act, id, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, f)
	return nil
}

// openFlags is the owner's queue of open flags.
func (a *API) openFlags(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	fs, err := a.store.OpenFlags(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(fs, len(fs), store.Page{Limit: max(len(fs), 1)}))
	return nil
}

func (a *API) resolveFlag(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Resolution string `json:"resolution"`
		Note       string `json:"note"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	f, err := a.store.ResolveFlag(r.Context(), act, id, in.Resolution, in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}
