package open311

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// Prefix is where the endpoints live.
const Prefix = "/open311/v2/"

// Handler serves GeoReport v2.
type Handler struct {
	store   *store.Store
	intake  *store.Intake
	log     *slog.Logger
	contact string
}

// Config wires a Handler.
type Config struct {
	Store *store.Store
	// Intake files cases with group commit: the server's, shared with
	// the JSON API and the pages. Nil makes one that lives as long as the
	// process.
	Intake *store.Intake
	Log    *slog.Logger
	// Contact is who runs this endpoint, as discovery shows it (an e-mail
	// address or a phone number), as ParseContact returns it; empty
	// leaves discovery's contact empty.
	Contact string
}

// New builds the handler.
func New(c Config) *Handler {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Intake == nil {
		c.Intake = c.Store.NewIntake(c.Store.NewLocator(5 * time.Second))
	}
	return &Handler{store: c.Store, intake: c.Intake, log: c.Log, contact: c.Contact}
}

// call is what is known of one request as it is answered: the format its
// path asks for and the reply language, which authentication may change
// (an api_key account's preference).
type call struct {
	format format
	lang   string
}

// handlerFunc answers one request, or returns the error for one place to
// render in the request's format and language.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call) error

// route is one endpoint; Path is below Prefix and takes .json or .xml.
type route struct {
	Method  string
	Path    string
	Handler handlerFunc
}

func (h *Handler) routes() []route {
	return []route{
		{"GET", "discovery", h.discovery},
		{"GET", "services", h.services},
		{"GET", "services/{code}", h.serviceDefinition},
		{"POST", "requests", h.postRequest},
		{"GET", "requests", h.listRequests},
		{"GET", "requests/{id}", h.getRequest},
		{"GET", "tokens/{token}", h.token},
	}
}

// Register adds the endpoints to mux. A path without a wildcard is
// registered once per format; in one with a wildcard the format ends the
// wildcard's segment (services/0101.json), as ServeMux wildcards take whole
// segments.
func (h *Handler) Register(mux *http.ServeMux) {
	for _, rt := range h.routes() {
		if strings.Contains(rt.Path, "{") {
			mux.Handle(rt.Method+" "+Prefix+rt.Path, h.wrap(rt.Handler))
			continue
		}
		for _, f := range formats {
			mux.Handle(rt.Method+" "+Prefix+rt.Path+"."+string(f), h.wrap(rt.Handler))
		}
	}
	// Anything else under /open311/ answers in the Open311 error format:
	// a known path with another method 405, the rest 404. A path whose
	// format is in capitals (requests.JSON) is served as its lower-case
	// self, since ServeMux patterns match case-sensitively; paths with a
	// wildcard read the format themselves (formatOf).
	mux.Handle("/open311/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := lowerFormat(r.URL.Path); ok {
			r = r.Clone(r.Context())
			r.URL.Path, r.URL.RawPath = p, ""
			mux.ServeHTTP(w, r)
			return
		}
		f, _ := formatOf(r.URL.Path)
		c := &call{format: f, lang: auth.Lang(r.Context())}
		allow := auth.AllowedMethods(mux, r, "/open311/")
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			h.writeError(w, c, http.StatusMethodNotAllowed, civic.Errorf(civic.EMethod,
				"该接口不支持 %s 方法，可用：%s", "%s is not allowed here; use %s", r.Method, strings.Join(allow, ", ")))
			return
		}
		e := civic.Errorf(civic.ENotFound, "没有这个接口：%s %s", "no such endpoint: %s %s", r.Method, r.URL.Path)
		if _, ok := formatOf(r.URL.Path); !ok {
			e.Msg.ZH += "（地址应以 .json 或 .xml 结尾）"
			e.Msg.EN += " (addresses end with .json or .xml)"
		}
		h.writeError(w, c, http.StatusNotFound, e)
	}))
}

func (h *Handler) wrap(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := formatOf(r.URL.Path)
		c := &call{format: f, lang: auth.Lang(r.Context())}
		if !ok {
			h.writeError(w, c, http.StatusNotFound, civic.Errorf(civic.ENotFound,
				"请在地址末尾写明格式 .json 或 .xml", "end the address with the format, .json or .xml"))
			return
		}
		if name, bad := auth.QueryControlChar(r); bad {
			h.fail(w, r, c, invalidParam(name, "含有不可见的控制字符", "contains an invisible control character"))
			return
		}
		if err := fn(w, r, c); err != nil {
			h.fail(w, r, c, err)
		}
	})
}

// pathValue is a wildcard's value without the format that ends it.
func pathValue(r *http.Request, name string) string {
	v := r.PathValue(name)
	if i := strings.LastIndexByte(v, '.'); i >= 0 {
		return v[:i]
	}
	return v
}

// authenticate finds the account behind the request: the api_key
// parameter (Open311's way; a civicgrid API token), or else the bearer
// token or session the server's middleware already resolved. Open311 says
// 403 for a missing or bad key. The account's language preference then
// sets c.lang, as the middleware does for a signed-in user.
func (h *Handler) authenticate(r *http.Request, c *call) (civic.Actor, error) {
	ctx := r.Context()
	key := r.URL.Query().Get("api_key")
	if k := r.PostForm.Get("api_key"); k != "" {
		key = k
	}
	if key != "" {
		u, err := h.store.TokenUser(ctx, key)
		if err != nil {
			if code := civic.ErrorCodeOf(err); code == civic.EInternal || code == civic.EBusy {
				return civic.Actor{}, err
			}
			return civic.Actor{}, civic.Errorf(civic.EUnauthorized, "api_key 无效或已撤销", "the api_key is invalid or revoked")
		}
		c.lang = auth.LangFor(r, u)
		return store.ActorOf(u, auth.IP(ctx)), nil
	}
	if _, ok := auth.User(ctx); ok {
		return auth.Actor(ctx)
	}
	if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		return civic.Actor{}, civic.Errorf(civic.EUnauthorized, "API 令牌无效或已撤销", "the API token is invalid or revoked")
	}
	return civic.Actor{}, civic.Errorf(civic.EUnauthorized, "请提供 api_key（在“我的账号”中创建的 API 令牌）",
		"give an api_key (an API token created under My account)")
}
