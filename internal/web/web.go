package web

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/files"
	"github.com/civicgrid/civicgrid/internal/llm"
	"github.com/civicgrid/civicgrid/internal/store"
)

// The static dir holds app.css and app.js (committed) and vendor/ (written by
// scripts/assets.sh, not committed). Embedding the directory rather than
// vendor/ by name keeps the build working when vendor/ is absent.
//
//go:embed static
var staticFS embed.FS

// vendorFiles are what scripts/assets.sh writes, one per library.
var vendorFiles = []string{"static/vendor/htmx.min.js", "static/vendor/echarts.min.js", "static/vendor/leaflet/leaflet.js"}

// VendorMissing names the front-end libraries this binary was built
// without (scripts/assets.sh was not run before go build). Pages still
// work without them, as forms and links, but maps, charts and every
// live update (suggestions as one types, tables that refresh) do not.
func VendorMissing() []string {
	var out []string
	for _, f := range vendorFiles {
		if _, err := fs.Stat(staticFS, f); err != nil {
			out = append(out, f)
		}
	}
	return out
}

// An explicit glob, unlike a directory pattern, also embeds the "_" fragment
// files.
//
//go:embed templates/*.html
var templateFS embed.FS

// Config is what the server hands the web UI.
type Config struct {
	Store   *store.Store
	Auth    *auth.Auth
	Locator *store.Locator
	Log     *slog.Logger
	// Basemap is a Leaflet tile URL template; "" draws polygons on a plain
	// background, for offline intranets.
	Basemap            string
	BasemapAttribution string
	Version            string
	// Intake files cases with group commit; the server shares one with
	// the API so that both channels batch into the same commits.
	Intake *store.Intake
	// Files keeps case photos; nil turns photo inputs off.
	Files *files.Store
	// LLM drafts call-note summaries and replies for staff to edit; nil
	// (the default) hides those buttons.
	LLM *llm.Client
}

// Web serves the pages.
type Web struct {
	store   *store.Store
	auth    *auth.Auth
	locator *store.Locator
	log     *slog.Logger
	cfg     Config
	// views holds every page's parsed template set, per language.
	views map[string]map[string]*view
	// china is the zone dates and times are shown and entered in. China has
	// one zone and no daylight saving, so a fixed offset is exact and needs
	// no tz database on the host.
	china *time.Location
}

// New parses every template and fails if any is broken or uses a
// translation key the table does not have.
func New(cfg Config) (*Web, error) {
	if cfg.Store == nil || cfg.Auth == nil {
		return nil, errors.New("web: Config.Store and Config.Auth are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if missing := VendorMissing(); len(missing) > 0 {
		cfg.Log.Warn("web assets missing from this build: run scripts/assets.sh, then go build again; maps, charts and live updates will not work",
			"missing", strings.Join(missing, ", "))
	}
	if cfg.Locator == nil {
		cfg.Locator = cfg.Store.NewLocator(time.Minute)
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.Intake == nil {
		cfg.Intake = cfg.Store.NewIntake(cfg.Locator)
	}
	h := &Web{store: cfg.Store, auth: cfg.Auth, locator: cfg.Locator, log: cfg.Log, cfg: cfg,
		china: civic.ChinaTime}
	views, err := parseViews(templateFS, h.china, cfg.Version)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	h.views = views
	if _, err := fs.Stat(staticFS, "static/app.css"); err != nil {
		return nil, fmt.Errorf("web: static/app.css missing: %w", err)
	}
	return h, nil
}

// Register adds the pages to mux. The list reads as the UI's table of
// contents.
func (h *Web) Register(mux *http.ServeMux) {
	mux.Handle("GET /static/", h.static())

	mux.HandleFunc("GET /login", h.loginForm)
	mux.HandleFunc("POST /login", h.login)
	mux.HandleFunc("POST /logout", h.logout)
	mux.HandleFunc("GET /lang/{lang}", h.setLang)
	mux.HandleFunc("GET /text/{size}", h.setTextSize)

	mux.Handle("GET /{$}", h.page("", h.home))
	mux.Handle("GET /abuse", h.page(civic.PermCaseAbuse, h.abuse))
	mux.Handle("POST /abuse/blocked", h.page(civic.PermCaseAbuse, h.blockCaller))
	mux.Handle("POST /abuse/blocked/{id}/delete", h.page(civic.PermCaseAbuse, h.unblockCaller))
	mux.Handle("POST /abuse/deputies", h.page(civic.PermCaseAbuse, h.addDeputy))
	mux.Handle("POST /abuse/deputies/{id}/delete", h.page(civic.PermCaseAbuse, h.removeDeputy))
	mux.Handle("GET /cases/{id}/clock/{stage}", h.page(civic.PermCaseRead, h.caseClock))
	mux.Handle("POST /cases/{id}/join", h.page(civic.PermCaseReport, h.joinCase))
	mux.Handle("GET /cases/duplicates", h.publicPage(h.duplicateSuggest))
	mux.Handle("GET /cases/{id}/duplicates", h.page(civic.PermCaseRead, h.caseDuplicates))
	mux.Handle("POST /cases/{id}/draft-reply", h.page(civic.PermCaseRead, h.llmDraftReply))
	mux.Handle("POST /llm/summary", h.page(civic.PermCaseReport, h.llmSummarise))
	mux.Handle("GET /calendar", h.page(civic.PermCalendarRead, h.calendarView))
	mux.Handle("POST /calendar/{year}", h.page(civic.PermCalendarWrite, h.calendarSave))
	mux.Handle("POST /calendar/{year}/reset", h.page(civic.PermCalendarWrite, h.calendarReset))
	mux.Handle("GET /assessment", h.page(civic.PermCaseMetrics, h.assessment))
	mux.Handle("GET /assessment/export.xlsx", h.page(civic.PermCaseMetrics, h.assessmentExport))
	mux.Handle("GET /assessment/export.csv", h.page(civic.PermCaseMetrics, h.assessmentExport))
	mux.Handle("POST /assessment/weights", h.page(civic.PermAssessWeights, h.saveAssessmentWeights))
	mux.Handle("GET /overview", h.page(civic.PermCaseMetrics, h.overview))
	mux.Handle("GET /overview.csv", h.page(civic.PermCaseMetrics, h.overviewCSV))
	mux.Handle("GET /reports", h.page(civic.PermCaseMetrics, h.reports))
	mux.Handle("POST /reports", h.page(civic.PermCaseMetrics, h.generateReport))
	mux.Handle("GET /reports/templates", h.page(civic.PermCaseMetrics, h.reportTemplates))
	mux.Handle("GET /reports/templates/new", h.page(civic.PermReportTemplates, h.newReportTemplate))
	mux.Handle("POST /reports/templates/new", h.page(civic.PermReportTemplates, h.saveReportTemplate))
	mux.Handle("GET /reports/templates/{id}/edit", h.page(civic.PermReportTemplates, h.editReportTemplate))
	mux.Handle("POST /reports/templates/{id}/edit", h.page(civic.PermReportTemplates, h.saveReportTemplate))
	mux.Handle("POST /reports/templates/{id}/delete", h.page(civic.PermReportTemplates, h.deleteReportTemplate))
	mux.Handle("GET /reports/{ref}", h.page(civic.PermCaseMetrics, h.reportView))
	mux.Handle("POST /reports/{id}/fill", h.page(civic.PermCaseMetrics, h.fillReport))
	mux.Handle("GET /places", h.page(civic.PermCaseDispatch, h.places))
	mux.Handle("POST /places", h.page(civic.PermCaseDispatch, h.createPlace))
	mux.Handle("POST /places/{id}/retire", h.page(civic.PermCaseDispatch, h.retirePlace))
	mux.Handle("GET /places/{token}/print", h.page(civic.PermCaseDispatch, h.printPlace))
	mux.Handle("GET /places/{token}/qr.png", h.page(civic.PermCaseDispatch, h.placeQR))
	mux.Handle("GET /inbox", h.page("", h.inbox))
	mux.Handle("POST /inbox/read", h.page("", h.readInbox))
	mux.Handle("GET /account", h.page("", h.account))
	mux.Handle("POST /account", h.page("", h.updateAccount))
	mux.Handle("POST /account/password", h.page("", h.changePassword))
	mux.Handle("POST /account/tokens", h.page("", h.createToken))
	mux.Handle("POST /account/tokens/{id}/revoke", h.page("", h.revokeToken))

	mux.Handle("GET /regions", h.page(civic.PermRegionRead, h.regions))
	mux.Handle("GET /regions/{code}", h.page(civic.PermRegionRead, h.region))
	mux.Handle("POST /regions/import", h.page(civic.PermRegionWrite, h.importRegions))

	mux.Handle("GET /map", h.page(civic.PermRegionRead, h.mapPage))
	mux.Handle("GET /map/card/{code}", h.page(civic.PermRegionRead, h.gridCard))
	mux.Handle("GET /map/locate", h.page(civic.PermRegionRead, h.locate))

	mux.Handle("GET /grids", h.page(civic.PermRegionRead, h.grids))
	mux.Handle("GET /grids/export.xlsx", h.page(civic.PermRegionRead, h.exportGrids))

	mux.Handle("GET /staff", h.page(civic.PermStaffRead, h.staffList))
	mux.Handle("GET /staff/export.xlsx", h.page(civic.PermStaffRead, h.exportStaff))
	mux.Handle("GET /staff/new", h.page(civic.PermStaffWrite, h.newStaff))
	mux.Handle("POST /staff/new", h.page(civic.PermStaffWrite, h.createStaff))
	mux.Handle("GET /staff/{id}", h.page(civic.PermStaffRead, h.staffDetail))
	mux.Handle("GET /staff/{id}/edit", h.page(civic.PermStaffWrite, h.editStaff))
	mux.Handle("POST /staff/{id}/edit", h.page(civic.PermStaffWrite, h.updateStaff))
	mux.Handle("POST /staff/{id}/delete", h.page(civic.PermStaffWrite, h.deleteStaff))

	mux.Handle("GET /organisations", h.page(civic.PermOrgRead, h.organisations))
	mux.Handle("GET /organisations/new", h.page(civic.PermOrgWrite, h.newOrganisation))
	mux.Handle("POST /organisations/new", h.page(civic.PermOrgWrite, h.createOrganisation))
	mux.Handle("GET /organisations/{id}/edit", h.page(civic.PermOrgWrite, h.editOrganisation))
	mux.Handle("GET /organisations/{id}/webhooks", h.page(civic.PermOrgWrite, h.webhooks))
	mux.Handle("POST /organisations/{id}/webhooks", h.page(civic.PermOrgWrite, h.createWebhook))
	mux.Handle("POST /organisations/{id}/webhooks/{wid}/delete", h.page(civic.PermOrgWrite, h.deleteWebhook))
	mux.Handle("POST /organisations/{id}/edit", h.page(civic.PermOrgWrite, h.updateOrganisation))

	mux.Handle("GET /categories", h.page(civic.PermCaseRead, h.categories))
	mux.Handle("GET /categories/export.csv", h.page(civic.PermCaseRead, h.exportCategories))
	mux.Handle("GET /categories/export.xlsx", h.page(civic.PermCaseRead, h.exportCategories))
	mux.Handle("POST /categories/import", h.page(civic.PermCategoryWrite, h.importCategories))
	mux.Handle("GET /categories/new", h.page(civic.PermCategoryWrite, h.newCategory))
	mux.Handle("POST /categories/new", h.page(civic.PermCategoryWrite, h.createCategory))
	mux.Handle("GET /categories/{code}", h.page(civic.PermCaseRead, h.categoryDetail))
	mux.Handle("GET /categories/{code}/edit", h.page(civic.PermCategoryWrite, h.editCategory))
	mux.Handle("POST /categories/{code}/edit", h.page(civic.PermCategoryWrite, h.updateCategory))
	mux.Handle("POST /categories/{code}/active", h.page(civic.PermCategoryWrite, h.setCategoryActive))

	mux.Handle("GET /users", h.page(civic.PermUserAdmin, h.users))
	mux.Handle("GET /users/new", h.page(civic.PermUserAdmin, h.newUser))
	mux.Handle("POST /users/new", h.page(civic.PermUserAdmin, h.createUser))
	mux.Handle("GET /users/{id}/edit", h.page(civic.PermUserAdmin, h.editUser))
	mux.Handle("POST /users/{id}/edit", h.page(civic.PermUserAdmin, h.updateUser))
	mux.Handle("POST /users/{id}/password", h.page(civic.PermUserAdmin, h.resetPassword))

	mux.Handle("GET /audit", h.page(civic.PermAuditRead, h.audit))

	mux.Handle("GET /people/import", h.page(civic.PermPeopleRead, h.personImport))
	mux.Handle("POST /people/import", h.page(civic.PermPeopleWrite, h.uploadPersonImport))
	mux.Handle("GET /imports/{id}", h.page(civic.PermPeopleWrite, h.personImportDetail))
	mux.Handle("GET /imports/{id}/rejected.xlsx", h.page(civic.PermPeopleWrite, h.personImportRejected))
	mux.Handle("GET /import-templates/{kind}", h.page(civic.PermPeopleWrite, h.personImportTemplate))
	mux.Handle("GET /people/export", h.page(civic.PermPeopleRead, h.personExport))

	// Cases (接诉即办): residents report and follow their own; staff take
	// calls and patrol reports, work their queues and act on a case. The
	// detail and action routes are open to every signed-in user because
	// the store decides who sees and may do what on each case.
	mux.Handle("GET /report", h.publicPage(h.report))
	mux.Handle("POST /report", h.publicPage(h.submitReport))
	mux.Handle("GET /my/cases", h.page("", h.myCases))
	mux.Handle("GET /cases", h.page(civic.PermCaseRead, h.caseList))
	mux.Handle("GET /cases/new", h.page(civic.PermCaseReport, h.newCase))
	mux.Handle("POST /cases/new", h.page(civic.PermCaseReport, h.submitNewCase))
	mux.Handle("GET /cases/{id}", h.page("", h.caseDetail))
	mux.Handle("POST /cases/{id}/act", h.page("", h.actOnCase))
	mux.Handle("GET /files/{sha}", h.page("", h.photoFile))

	// People and houses (人房关联): compounds, buildings (楼盘表), houses
	// with their household, people, and linkage completeness. The store
	// checks scope on every record; unmasking needs its own permission.
	mux.Handle("GET /compounds", h.page(civic.PermPeopleRead, h.compounds))
	mux.Handle("GET /compounds/new", h.page(civic.PermPeopleWrite, h.newCompound))
	mux.Handle("POST /compounds/new", h.page(civic.PermPeopleWrite, h.saveCompound))
	mux.Handle("GET /compounds/{id}", h.page(civic.PermPeopleRead, h.compound))
	mux.Handle("GET /compounds/{id}/edit", h.page(civic.PermPeopleWrite, h.editCompound))
	mux.Handle("POST /compounds/{id}/edit", h.page(civic.PermPeopleWrite, h.saveCompound))
	mux.Handle("GET /buildings/new", h.page(civic.PermPeopleWrite, h.newBuilding))
	mux.Handle("POST /buildings/new", h.page(civic.PermPeopleWrite, h.saveBuilding))
	mux.Handle("GET /buildings/{id}", h.page(civic.PermPeopleRead, h.building))
	mux.Handle("GET /buildings/{id}/edit", h.page(civic.PermPeopleWrite, h.editBuilding))
	mux.Handle("POST /buildings/{id}/edit", h.page(civic.PermPeopleWrite, h.saveBuilding))
	mux.Handle("GET /houses/new", h.page(civic.PermPeopleWrite, h.newHouse))
	mux.Handle("POST /houses/new", h.page(civic.PermPeopleWrite, h.saveHouse))
	mux.Handle("GET /houses/{id}", h.page(civic.PermPeopleRead, h.house))
	mux.Handle("GET /houses/{id}/edit", h.page(civic.PermPeopleWrite, h.editHouse))
	mux.Handle("POST /houses/{id}/edit", h.page(civic.PermPeopleWrite, h.saveHouse))
	mux.Handle("POST /houses/{id}/link", h.page(civic.PermPeopleWrite, h.linkPerson))
	mux.Handle("POST /houses/{id}/moveout", h.page(civic.PermPeopleWrite, h.moveOut))
	mux.Handle("GET /people", h.page(civic.PermPeopleRead, h.people))
	mux.Handle("POST /people", h.page(civic.PermPeopleRead, h.people))
	mux.Handle("GET /people/new", h.page(civic.PermPeopleWrite, h.newPerson))
	mux.Handle("POST /people/new", h.page(civic.PermPeopleWrite, h.savePerson))
	mux.Handle("GET /people/{id}", h.page(civic.PermPeopleRead, h.person))
	mux.Handle("GET /people/{id}/edit", h.page(civic.PermPeopleWrite, h.editPerson))
	mux.Handle("POST /people/{id}/edit", h.page(civic.PermPeopleWrite, h.savePerson))
	mux.Handle("POST /people/{id}/unmask", h.page(civic.PermPeopleUnmask, h.unmaskPerson))
	mux.Handle("GET /completeness", h.page(civic.PermPeopleRead, h.completeness))
	// Early warnings (未诉先办): hotspots over the scope, merged by dispatchers.
	mux.Handle("GET /hotspots", h.page(civic.PermCaseMetrics, h.hotspots))
	mux.Handle("POST /hotspots/merge", h.page(civic.PermCaseDispatch, h.mergeHotspot))
	mux.Handle("POST /hotspots/task", h.page(civic.PermCaseDispatch, h.hotspotTask))
	// Care work: the grid's care to-do list (关爱提醒) and its rules,
	// party-member household contact (党员包联), short-term rental
	// reports (房东报备, landlords included) and the daily list.
	mux.Handle("GET /care", h.page(civic.PermPeopleRead, h.careList))
	mux.Handle("POST /care/{id}/visit", h.page(civic.PermCareWork, h.careVisit))
	mux.Handle("POST /care/{id}/close", h.page(civic.PermCareWork, h.careClose))
	mux.Handle("GET /care/rules", h.page(civic.PermPeopleRead, h.careRules))
	mux.Handle("POST /care/rules", h.page(civic.PermCareRules, h.saveCareRule))
	mux.Handle("POST /care/rules/{id}/active", h.page(civic.PermCareRules, h.saveCareRule))
	mux.Handle("GET /party", h.page(civic.PermPeopleRead, h.party))
	mux.Handle("POST /party/households", h.page(civic.PermPeopleWrite, h.partyAssign))
	mux.Handle("POST /party/households/{id}/end", h.page(civic.PermPeopleWrite, h.partyUnassign))
	mux.Handle("POST /party/contacts", h.page(civic.PermCareWork, h.partyContact))
	mux.Handle("GET /rentals", h.page(civic.PermPeopleRead, h.rentals))
	mux.Handle("GET /rentals/export.xlsx", h.page(civic.PermPeopleRead, h.exportRentals))
	mux.Handle("GET /rentals/export.csv", h.page(civic.PermPeopleRead, h.exportRentals))
	mux.Handle("GET /rentals/new", h.page(civic.PermRentalReport, h.newRental))
	mux.Handle("POST /rentals/new", h.page(civic.PermRentalReport, h.reportRental))
	// Field work of grid workers (phone-first): the day's home, patrols
	// with their findings, household visits, corrections to people and
	// houses and their review. The store decides who sees which patrol
	// and correction.
	mux.Handle("GET /field", h.page(civic.PermPatrol, h.field))
	mux.Handle("POST /patrols", h.page(civic.PermPatrol, h.startPatrol))
	mux.Handle("GET /patrols", h.page(civic.PermPatrolSupervise, h.patrols))
	mux.Handle("GET /patrols/{id}", h.page("", h.patrol))
	mux.Handle("POST /patrols/{id}/stop", h.page(civic.PermPatrol, h.stopPatrol))
	mux.Handle("POST /patrols/{id}/findings", h.page(civic.PermPatrol, h.addFinding))
	mux.Handle("POST /findings/{id}/case", h.page(civic.PermCaseReport, h.findingCase))
	mux.Handle("GET /visits", h.page(civic.PermPeopleRead, h.visits))
	mux.Handle("GET /visits/new", h.page(civic.PermVisitRecord, h.newVisit))
	mux.Handle("POST /visits/new", h.page(civic.PermVisitRecord, h.recordVisit))
	mux.Handle("GET /corrections", h.page("", h.corrections))
	mux.Handle("GET /corrections/new", h.page(civic.PermPeoplePropose, h.newCorrection))
	mux.Handle("POST /corrections/new", h.page(civic.PermPeoplePropose, h.proposeCorrection))
	mux.Handle("GET /corrections/{id}", h.page("", h.correction))
	mux.Handle("POST /corrections/{id}/review", h.page(civic.PermPeopleWrite, h.reviewCorrection))

	// Knowledge base (知识库).
	mux.Handle("GET /knowledge", h.page(civic.PermKnowledgeRead, h.knowledge))
	mux.Handle("GET /knowledge/suggest", h.page(civic.PermKnowledgeRead, h.knowledgeSuggest))
	mux.Handle("GET /knowledge/flags", h.page(civic.PermKnowledgeWrite, h.knowledgeFlags))
	mux.Handle("POST /knowledge/flags/{id}/resolve", h.page(civic.PermKnowledgeWrite, h.resolveFlag))
	mux.Handle("GET /knowledge/new", h.page(civic.PermKnowledgeWrite, h.newArticle))
	mux.Handle("POST /knowledge/new", h.page(civic.PermKnowledgeWrite, h.saveArticle))
	mux.Handle("GET /knowledge/{id}", h.page(civic.PermKnowledgeRead, h.article))
	mux.Handle("GET /knowledge/{id}/edit", h.page(civic.PermKnowledgeWrite, h.editArticle))
	mux.Handle("POST /knowledge/{id}/edit", h.page(civic.PermKnowledgeWrite, h.saveArticle))
	mux.Handle("POST /knowledge/{id}/flag", h.page(civic.PermKnowledgeFlag, h.flagArticle))

	// Triage (智能分类): the category suggested as the reporter types
	// (anonymous residents included), and the models page.
	mux.Handle("GET /triage/suggest", h.publicPage(h.triageSuggest))
	mux.Handle("GET /triage", h.page(civic.PermCaseMetrics, h.triage))
	mux.Handle("POST /triage/train", h.page(civic.PermTriageAdmin, h.trainTriage))
	mux.Handle("POST /triage/settings", h.page(civic.PermTriageAdmin, h.saveTriageSettings))
	mux.Handle("POST /triage/models/{id}/activate", h.page(civic.PermTriageAdmin, h.activateTriage))

	// Anything else is a friendly "not found" page in the user's language
	// rather than Go's plain-text one. The API answers its own paths.
	mux.Handle("/", h.page("", func(w http.ResponseWriter, r *http.Request, c *rq) error {
		return civic.NotFound("该页面", "page")
	}))
}

// static serves the embedded static dir. Asset URLs in the layout carry
// ?v=<version>, so a day's caching never serves a stale file after an
// upgrade.
func (h *Web) static() http.Handler {
	fsrv := http.FileServerFS(staticFS)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/static/" || r.URL.Path[len(r.URL.Path)-1] == '/' {
			// No directory listings.
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		fsrv.ServeHTTP(w, r)
	})
}
