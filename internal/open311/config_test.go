package open311

import (
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// TestParseContact: one line of text of at most 200 characters, trimmed;
// anything else is refused in both languages.
func TestParseContact(t *testing.T) {
	for _, tc := range []struct {
		name, in, want, refusal string
	}{
		{"empty", "", "", ""},
		{"e-mail", " open311@city.example.cn ", "open311@city.example.cn", ""},
		{"phone and words", "12345 市民热线", "12345 市民热线", ""},
		{"200 characters", strings.Repeat("长", 200), strings.Repeat("长", 200), ""},
		{"201 characters", strings.Repeat("长", 201), "", "at most 200"},
		{"two lines", "a@b.cn\nc@d.cn", "", "one line"},
		{"a control", "a@b.cn\x00", "", "one line"},
		{"bidi override", "\u202ea@b.cn", "", "one line"},
		{"not UTF-8", "a\xffb", "", "UTF-8"},
	} {
		got, err := ParseContact(tc.in)
		switch {
		case tc.refusal == "" && (err != nil || got != tc.want):
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		case tc.refusal != "" && (err == nil || !strings.Contains(civic.AsError(err).Msg.In("en"), tc.refusal) || civic.AsError(err).Msg.In("zh") == civic.AsError(err).Msg.In("en")):
			t.Errorf("%s: %v, want a refusal saying %q in both languages", tc.name, err, tc.refusal)
		}
	}
}

// TestParseOrigins: origins as browsers write them, deduplicated; "*",
// "null" and anything with a path are refused in both languages.
func TestParseOrigins(t *testing.T) {
	for _, tc := range []struct {
		name, in, want, refusal string
	}{
		{"none", "", "", ""},
		{"one", "https://app.example.org", "https://app.example.org", ""},
		{"several, commas and spaces", "https://a.example.org, http://10.0.0.5:8081  https://b.example.org", "https://a.example.org http://10.0.0.5:8081 https://b.example.org", ""},
		{"as the browser writes it", "HTTPS://App.Example.ORG:443/", "https://app.example.org", ""},
		{"default http port", "http://app.example.org:80", "http://app.example.org", ""},
		{"IPv6", "http://[::1]:8080", "http://[::1]:8080", ""},
		{"twice", "https://a.example.org,https://a.example.org/", "https://a.example.org", ""},
		{"star", "*", "", "name each origin"},
		{"star among others", "https://a.example.org,*", "", "name each origin"},
		{"null", "null", "", "name each origin"},
		{"wildcard host", "https://*.example.org", "", "not an origin"},
		{"no scheme", "app.example.org", "", "not an origin"},
		{"another scheme", "ftp://app.example.org", "", "not an origin"},
		{"a path", "https://app.example.org/open311", "", "not an origin"},
		{"a query", "https://app.example.org?x=1", "", "not an origin"},
		{"a user", "https://me@app.example.org", "", "not an origin"},
		{"a bad port", "https://app.example.org:99999", "", "not an origin"},
	} {
		got, err := ParseOrigins(tc.in)
		switch {
		case tc.refusal == "" && (err != nil || strings.Join(got, " ") != tc.want):
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		case tc.refusal != "" && (err == nil || !strings.Contains(civic.AsError(err).Msg.In("en"), tc.refusal) || civic.AsError(err).Msg.In("zh") == civic.AsError(err).Msg.In("en")):
			t.Errorf("%s: %q, %v; want a refusal saying %q in both languages", tc.name, got, err, tc.refusal)
		}
	}
}
