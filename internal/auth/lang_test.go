package auth

import (
	"net/http/httptest"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
)

func TestAcceptLang(t *testing.T) {
	for h, want := range map[string]string{
		"en":                               "en",
		"zh-CN,zh;q=0.9,en;q=0.8":          "zh",
		"en-US,en;q=0.9,zh-CN;q=0.8":       "en",
		"en;q=0.1, zh;q=0.9":               "zh",
		"fr-FR, en":                        "en",
		"fr-FR":                            "",
		"en;q=0, zh;q=0":                   "",
		"en;q=abc, zh-TW;q=0.5":            "zh",
		"":                                 "",
		"ZH-hans-CN;q=0.7, EN-gb;q=0.6, *": "zh",
	} {
		got, ok := acceptLang(h)
		if got != want || ok != (want != "") {
			t.Errorf("acceptLang(%q) = %q, %v; want %q", h, got, ok, want)
		}
	}
}

// TestPickLang: the API follows Accept-Language over the saved preference
// (its callers set it on purpose), the web pages the other way round.
func TestPickLang(t *testing.T) {
	u := civic.User{Lang: "zh"}
	api := httptest.NewRequest("GET", "/api/v1/cases", nil)
	api.Header.Set("Accept-Language", "en")
	if got := pickLang(api, u, true); got != "en" {
		t.Errorf("API with Accept-Language en: %s", got)
	}
	page := httptest.NewRequest("GET", "/cases", nil)
	page.Header.Set("Accept-Language", "en")
	if got := pickLang(page, u, true); got != "zh" {
		t.Errorf("page for a user who chose Chinese: %s", got)
	}
	if got := pickLang(httptest.NewRequest("GET", "/api/v1/cases?lang=zh", nil), civic.User{Lang: "en"}, true); got != "zh" {
		t.Errorf("?lang=zh: %s", got)
	}
	if got := pickLang(httptest.NewRequest("GET", "/api/v1/cases", nil), civic.User{Lang: "en"}, true); got != "en" {
		t.Errorf("saved English without a header: %s", got)
	}
}
