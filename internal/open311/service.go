package open311

import (
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// changeset dates this endpoint's definition, for discovery: it changes
// when what the endpoint accepts or returns does.
const changeset = "2026-11-24T00:00:00+08:00"

type discoveryDoc struct {
	XMLName    xml.Name   `json:"-" xml:"discovery"`
	Changeset  string     `json:"changeset" xml:"changeset"`
	Contact    string     `json:"contact" xml:"contact"`
	KeyService string     `json:"key_service" xml:"key_service"`
	Endpoints  []endpoint `json:"endpoints" xml:"endpoints>endpoint"`
}

type endpoint struct {
	Specification string   `json:"specification" xml:"specification"`
	URL           string   `json:"url" xml:"url"`
	Changeset     string   `json:"changeset" xml:"changeset"`
	Type          string   `json:"type" xml:"type"`
	Formats       []string `json:"formats" xml:"formats>format"`
}

// discovery describes the one endpoint this server offers. Its address is
// the one the client used to reach it; the contact is the operator's, from
// the configuration (--open311-contact).
func (h *Handler) discovery(w http.ResponseWriter, r *http.Request, c *call) error {
	base := baseURL(r)
	write(w, c.format, http.StatusOK, discoveryDoc{
		Changeset: changeset,
		Contact:   h.contact,
		KeyService: civic.T("api_key 即 civicgrid 的 API 令牌：登录后在“我的账号”（"+base+"/account）中创建",
			"the api_key is a civicgrid API token: sign in and create one under My account ("+base+"/account)").In(c.lang),
		Endpoints: []endpoint{{
			Specification: "http://wiki.open311.org/GeoReport_v2",
			URL:           base + strings.TrimSuffix(Prefix, "/"),
			Changeset:     changeset,
			Type:          "production",
			Formats:       []string{"text/xml", "application/json"},
		}},
	})
	return nil
}

// baseURL is the scheme and host the request came to. A proxy's
// X-Forwarded-Proto only changes what this same client is told.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type service struct {
	Code        string `json:"service_code" xml:"service_code"`
	Name        string `json:"service_name" xml:"service_name"`
	Description string `json:"description" xml:"description"`
	Metadata    bool   `json:"metadata" xml:"metadata"`
	Type        string `json:"type" xml:"type"`
	Keywords    string `json:"keywords" xml:"keywords"`
	Group       string `json:"group" xml:"group"`
}

type serviceList struct {
	XMLName  xml.Name  `json:"-" xml:"services"`
	Services []service `xml:"service"`
}

func (l serviceList) MarshalJSON() ([]byte, error) { return marshalJSON(nonNil(l.Services)) }

// viewer is the account a public read runs as: the caller's if they sent
// a key or are signed in, else an anonymous resident, who may read the
// catalogue as the report form does.
func (h *Handler) viewer(r *http.Request, c *call) (civic.Actor, error) {
	_, signedIn := auth.User(r.Context())
	if signedIn || r.URL.Query().Get("api_key") != "" || r.Header.Get("Authorization") != "" {
		return h.authenticate(r, c)
	}
	return civic.Actor{Username: "anonymous", Role: civic.RoleResident, IP: auth.IP(r.Context())}, nil
}

// catalogue is the category tree by code, inactive categories included, so
// that old cases still name theirs.
func (h *Handler) catalogue(r *http.Request, act civic.Actor) (map[string]civic.Category, []civic.Category, error) {
	all, err := h.store.ListCategories(r.Context(), act, store.CategoryFilter{IncludeInactive: true})
	if err != nil {
		return nil, nil, err
	}
	byCode := make(map[string]civic.Category, len(all))
	for _, cat := range all {
		byCode[cat.Code] = cat
	}
	return byCode, all, nil
}

// offered reports whether cases can be filed under a category through
// Open311: an active leaf that is not on the 不受理清单.
func offered(cat civic.Category) bool { return cat.Leaf && cat.Active && cat.Accepted }

// services lists the categories cases can be filed under, in catalogue
// order. Reading them needs no key, as in the specification.
func (h *Handler) services(w http.ResponseWriter, r *http.Request, c *call) error {
	act, err := h.viewer(r, c)
	if err != nil {
		return err
	}
	byCode, all, err := h.catalogue(r, act)
	if err != nil {
		return err
	}
	var l serviceList
	for _, cat := range all {
		if !offered(cat) {
			continue
		}
		l.Services = append(l.Services, serviceOf(cat, byCode, c.lang))
	}
	write(w, c.format, http.StatusOK, l)
	return nil
}

// serviceOf describes a category as a service: its request type and
// completion limit as the description, its parent as the group.
func serviceOf(cat civic.Category, byCode map[string]civic.Category, lang string) service {
	s := service{Code: cat.Code, Name: cat.Label(lang), Type: "realtime"}
	if p, ok := byCode[cat.ParentCode]; ok {
		s.Group = p.Label(lang)
	}
	var parts []string
	if cat.Type.Valid() {
		s.Keywords = cat.Type.Label().In(lang)
		parts = append(parts, s.Keywords)
	}
	if l := cat.Limit(civic.StageComplete); !l.IsZero() {
		parts = append(parts, civic.T("办结时限 ", "to be completed within ").In(lang)+l.String(lang))
	}
	s.Description = strings.Join(parts, civic.T("；", "; ").In(lang))
	return s
}

type serviceDefinition struct {
	XMLName    xml.Name `xml:"service_definition"`
	Code       string   `xml:"service_code"`
	Attributes struct {
		// Attribute is never filled: civicgrid's categories ask no
		// extra questions (metadata is false for every service).
		Attribute []struct{} `xml:"attribute"`
	} `xml:"attributes"`
}

func (d serviceDefinition) MarshalJSON() ([]byte, error) {
	return marshalJSON(map[string]any{"service_code": d.Code, "attributes": nonNil(d.Attributes.Attribute)})
}

// serviceDefinition answers for every offered service with no attributes,
// since clients that fetch every definition regardless of metadata would
// otherwise stop at an error; an unknown or withdrawn code is 404.
func (h *Handler) serviceDefinition(w http.ResponseWriter, r *http.Request, c *call) error {
	act, err := h.viewer(r, c)
	if err != nil {
		return err
	}
	code := pathValue(r, "code")
	byCode, _, err := h.catalogue(r, act)
	if err != nil {
		return err
	}
	if cat, ok := byCode[code]; !ok || !offered(cat) {
		return civic.NotFound("服务 "+civic.Clip(code, 20), "service "+civic.Clip(code, 20))
	}
	write(w, c.format, http.StatusOK, serviceDefinition{Code: code})
	return nil
}
