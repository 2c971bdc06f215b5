package web

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/files"
	"github.com/civicgrid/civicgrid/internal/store"
)

// The static dir holds app.css and app.js (committed) and vendor/ (written by
// scripts/assets.sh, not committed). Embedding the directory rather than
// vendor/ by name keeps the build working when vendor/ is absent.
//
//go:embed static
var staticFS embed.FS

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

	mux.Handle("GET /{$}", h.page("", h.home))
	mux.Handle("GET /abuse", h.page(civic.PermCaseAbuse, h.abuse))
	mux.Handle("POST /abuse/blocked", h.page(civic.PermCaseAbuse, h.blockCaller))
	mux.Handle("POST /abuse/blocked/{id}/delete", h.page(civic.PermCaseAbuse, h.unblockCaller))
	mux.Handle("POST /abuse/deputies", h.page(civic.PermCaseAbuse, h.addDeputy))
	mux.Handle("POST /abuse/deputies/{id}/delete", h.page(civic.PermCaseAbuse, h.removeDeputy))
	mux.Handle("GET /cases/{id}/clock/{stage}", h.page(civic.PermCaseRead, h.caseClock))
	mux.Handle("POST /cases/{id}/join", h.page(civic.PermCaseReport, h.joinCase))
	mux.Handle("GET /calendar", h.page(civic.PermCalendarRead, h.calendarView))
	mux.Handle("POST /calendar/{year}", h.page(civic.PermCalendarWrite, h.calendarSave))
	mux.Handle("POST /calendar/{year}/reset", h.page(civic.PermCalendarWrite, h.calendarReset))
	mux.Handle("GET /assessment", h.page(civic.PermCaseMetrics, h.assessment))
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
	mux.Handle("GET /people/import/{id}", h.page(civic.PermPeopleWrite, h.personImportDetail))
	mux.Handle("GET /people/import/{id}/rejected.xlsx", h.page(civic.PermPeopleWrite, h.personImportRejected))
	mux.Handle("GET /people/templates/{kind}", h.page(civic.PermPeopleWrite, h.personImportTemplate))
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
