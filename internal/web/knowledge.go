package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// knowledgePage is the knowledge base (知识库): a search box and the
// matching articles with an excerpt of each answer.
type knowledgePage struct {
	Page
	Q           string
	HideExpired bool
	Flagged     bool
	Rows        []articleRow
	Pager       Pager
	CanWrite    bool
	// Public: the reader sees public articles in force only (a resident).
	Public bool
}

// articleRow is an article as lists show it.
type articleRow struct {
	civic.Article
	Excerpt string
	Expired bool
	// Pending marks an article not yet in force.
	Pending bool
	// Owner shows the open-flag count to those who keep the article.
	Owner bool
}

// excerpt is the start of an answer, at most n characters.
func excerpt(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}

// articleRowOf builds a row; owns remembers per organisation whether the
// actor keeps its articles, so that a list asks once per owner.
func (h *Web) articleRowOf(c *rq, a civic.Article, owns map[int64]bool) articleRow {
	today := h.today()
	owner, ok := owns[a.OrgID]
	if !ok {
		owner = h.canWriteArticle(c, a.OrgID)
		owns[a.OrgID] = owner
	}
	return articleRow{Article: a, Excerpt: excerpt(a.Answer, 120), Expired: a.ExpiredOn(today),
		Pending: a.ValidFrom != "" && a.ValidFrom > today, Owner: owner}
}

// canWriteArticle asks the store's rule with the owner's jurisdiction.
func (h *Web) canWriteArticle(c *rq, orgID int64) bool {
	if !c.Actor.Can(civic.PermKnowledgeWrite) {
		return false
	}
	o, err := h.store.GetOrganisation(c.r.Context(), civic.System, orgID)
	return err == nil && store.CanWriteArticle(c.Actor, orgID, o.RegionCode)
}

func (h *Web) knowledge(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	page := pageOf(q)
	p := knowledgePage{Page: h.base(w, c, "kb.title", "/knowledge"), Q: strings.TrimSpace(q.Get("q")),
		HideExpired: q.Get("current") == "1", Flagged: q.Get("flagged") == "1", CanWrite: c.Actor.Can(civic.PermKnowledgeWrite),
		Public: store.PublicOnly(c.Actor)}
	arts, total, err := h.store.ListArticles(r.Context(), c.Actor, store.KnowledgeFilter{Query: p.Q, HideExpired: p.HideExpired, Flagged: p.Flagged, Page: storePage(page)})
	if err != nil {
		return err
	}
	owns := map[int64]bool{}
	for _, a := range arts {
		p.Rows = append(p.Rows, h.articleRowOf(c, a, owns))
	}
	p.Pager = newPager("/knowledge", q, page, total)
	h.list(w, r, c, "knowledge", p)
	return nil
}

// suggestPage is the fragment of suggested articles on the hotline form.
type suggestPage struct {
	Rows []articleRow
	Text string
}

// knowledgeSuggest answers the hotline form as the operator types: the
// text is ?text= or the form's title and call notes.
func (h *Web) knowledgeSuggest(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	text := strings.TrimSpace(strings.Join([]string{q.Get("text"), q.Get("title"), q.Get("description")}, " "))
	p := suggestPage{Text: text}
	arts, err := h.store.SuggestArticles(r.Context(), c.Actor, text, 5)
	if err != nil {
		return err
	}
	for _, a := range arts {
		p.Rows = append(p.Rows, articleRow{Article: a, Excerpt: excerpt(a.Answer, 200)})
	}
	h.fragment(w, c, http.StatusOK, "knowledge", "_suggest", p)
	return nil
}

// articlePage shows one article with its flags and the flag form.
type articlePage struct {
	Page
	Row       articleRow
	Category  string
	Flags     []civic.ArticleFlag
	CanFlag   bool
	FlagErr   string
	FlagValue string
}

func (h *Web) article(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.showArticle(w, r, c, http.StatusOK, "", "")
}

func (h *Web) showArticle(w http.ResponseWriter, r *http.Request, c *rq, status int, flagErr, flagValue string) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return civic.NotFound("该文章", "article")
	}
	a, err := h.store.GetArticle(r.Context(), c.Actor, id)
	if err != nil {
		return err
	}
	p := articlePage{Page: h.base(w, c, "kb.title", "/knowledge"), Row: h.articleRowOf(c, a, map[int64]bool{}), CanFlag: c.Actor.Can(civic.PermKnowledgeFlag),
		FlagErr: flagErr, FlagValue: flagValue}
	p.Title = a.Question
	p.Crumbs = []Crumb{{Label: c.T("kb.title"), URL: "/knowledge"}, {Label: a.Question}}
	if a.CategoryCode != "" {
		if cat, err := h.store.GetCategory(r.Context(), civic.System, a.CategoryCode); err == nil {
			p.Category = cat.Label(c.Lang)
		}
	}
	if p.CanFlag {
		if p.Flags, err = h.store.ListArticleFlags(r.Context(), c.Actor, id); err != nil {
			return err
		}
	}
	h.render(w, c, status, "knowledge_article", p)
	return nil
}

func (h *Web) flagArticle(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return civic.NotFound("该文章", "article")
	}
	reason := r.PostFormValue("reason")
	if _, err := h.store.FlagArticle(r.Context(), c.Actor, id, reason); err != nil {
		e := civic.AsError(err)
		if e.Code != civic.EInvalid || len(e.Fields) == 0 {
			return err
		}
		return h.showArticle(w, r, c, http.StatusUnprocessableEntity, e.Fields[0].Msg.In(c.Lang), reason)
	}
	h.flash(w, "kb.flagged")
	redirect(w, r, "/knowledge/"+strconv.FormatInt(id, 10))
	return nil
}

// flagsPage is the owner's queue of open flags.
type flagsPage struct {
	Page
	Flags []civic.ArticleFlag
}

func (h *Web) knowledgeFlags(w http.ResponseWriter, r *http.Request, c *rq) error {
	fs, err := h.store.OpenFlags(r.Context(), c.Actor)
	if err != nil {
		return err
	}
	p := flagsPage{Page: h.base(w, c, "kb.flags_title", "/knowledge"), Flags: fs}
	p.Crumbs = []Crumb{{Label: c.T("kb.title"), URL: "/knowledge"}, {Label: p.Title}}
	h.render(w, c, http.StatusOK, "knowledge_flags", p)
	return nil
}

func (h *Web) resolveFlag(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return civic.NotFound("该标记", "flag")
	}
	f, err := h.store.ResolveFlag(r.Context(), c.Actor, id, r.PostFormValue("resolution"), r.PostFormValue("note"))
	if err != nil {
		return err
	}
	h.flash(w, "kb.resolved")
	to := "/knowledge/flags"
	if r.PostFormValue("back") == "article" {
		to = "/knowledge/" + strconv.FormatInt(f.ArticleID, 10)
	}
	redirect(w, r, to)
	return nil
}

// articleForm is the add/edit form as typed.
type articleForm struct {
	ID                                                 int64
	Question, Answer, CategoryCode, ValidFrom, ValidTo string
	OrgID                                              string
	Public                                             bool
}

var articleFields = []string{"question", "answer", "category_code", "valid_from", "valid_to", "org_id"}

func (f articleForm) article() civic.Article {
	org, _ := strconv.ParseInt(f.OrgID, 10, 64)
	return civic.Article{ID: f.ID, Question: f.Question, Answer: f.Answer, CategoryCode: f.CategoryCode,
		ValidFrom: f.ValidFrom, ValidTo: f.ValidTo, OrgID: org, Public: f.Public}
}

type articleFormPage struct {
	Page
	Form       articleForm
	Errs       FormErrors
	Orgs       []Option
	Categories []Option
	Action     string
}

func (h *Web) articleFormPage(w http.ResponseWriter, r *http.Request, c *rq, f articleForm, errs FormErrors) (articleFormPage, error) {
	p := articleFormPage{Page: h.base(w, c, "kb.new", "/knowledge"), Form: f, Errs: errs, Action: "/knowledge/new"}
	if f.ID != 0 {
		p.Title = c.T("kb.edit")
		p.Action = "/knowledge/" + strconv.FormatInt(f.ID, 10) + "/edit"
	}
	p.Crumbs = []Crumb{{Label: c.T("kb.title"), URL: "/knowledge"}, {Label: p.Title}}
	orgs, _, err := h.store.ListOrganisations(r.Context(), c.Actor, store.OrgFilter{Page: store.Page{Limit: 2000}})
	if err != nil {
		return p, err
	}
	for _, o := range orgs {
		if store.CanWriteArticle(c.Actor, o.ID, o.RegionCode) {
			v := strconv.FormatInt(o.ID, 10)
			p.Orgs = append(p.Orgs, Option{Value: v, Label: o.Name, Selected: v == f.OrgID})
		}
	}
	cats, err := h.store.ListCategories(r.Context(), c.Actor, store.CategoryFilter{OnlyLeaves: true})
	if err != nil {
		return p, err
	}
	for _, cat := range cats {
		p.Categories = append(p.Categories, Option{Value: cat.Code, Label: cat.Code + " " + cat.Label(c.Lang), Selected: cat.Code == f.CategoryCode})
	}
	return p, nil
}

func (h *Web) newArticle(w http.ResponseWriter, r *http.Request, c *rq) error {
	f := articleForm{Public: true}
	if c.Actor.Scope.OrgID != 0 {
		f.OrgID = strconv.FormatInt(c.Actor.Scope.OrgID, 10)
	}
	p, err := h.articleFormPage(w, r, c, f, FormErrors{})
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "knowledge_form", p)
	return nil
}

func (h *Web) editArticle(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return civic.NotFound("该文章", "article")
	}
	a, err := h.store.GetArticle(r.Context(), c.Actor, id)
	if err != nil {
		return err
	}
	if !h.canWriteArticle(c, a.OrgID) {
		return civic.Forbidden()
	}
	f := articleForm{ID: a.ID, Question: a.Question, Answer: a.Answer, CategoryCode: a.CategoryCode, ValidFrom: a.ValidFrom,
		ValidTo: a.ValidTo, OrgID: strconv.FormatInt(a.OrgID, 10), Public: a.Public}
	p, err := h.articleFormPage(w, r, c, f, FormErrors{})
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "knowledge_form", p)
	return nil
}

// saveArticle creates (no id in the path) or updates an article.
func (h *Web) saveArticle(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := articleForm{Question: v("question"), Answer: v("answer"), CategoryCode: v("category_code"), ValidFrom: v("valid_from"),
		ValidTo: v("valid_to"), OrgID: v("org_id"), Public: v("public") == "1"}
	var a civic.Article
	var err error
	if s := r.PathValue("id"); s != "" {
		if f.ID, err = strconv.ParseInt(s, 10, 64); err != nil {
			return civic.NotFound("该文章", "article")
		}
		a, err = h.store.UpdateArticle(r.Context(), c.Actor, f.article())
	} else {
		a, err = h.store.CreateArticle(r.Context(), c.Actor, f.article())
	}
	if err == nil {
		h.flash(w, "flash.saved")
		redirect(w, r, "/knowledge/"+strconv.FormatInt(a.ID, 10))
		return nil
	}
	errs, err := formErrors(err, c.Lang, articleFields...)
	if err != nil {
		return err
	}
	p, err := h.articleFormPage(w, r, c, f, errs)
	if err != nil {
		return err
	}
	h.render(w, c, errs.Status(), "knowledge_form", p)
	return nil
}
