package open311

import (
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// parseCase is an option's value, what it reads as, or the words its
// refusal holds in English.
type parseCase struct {
	name, in, want, refusal string
}

// checkParse runs parse over the cases: what is kept is read as wanted,
// what is refused is refused in both languages.
func checkParse(t *testing.T, parse func(string) (string, error), cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		got, err := parse(tc.in)
		e := civic.AsError(err)
		switch {
		case tc.refusal == "" && (err != nil || got != tc.want):
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		case tc.refusal != "" && (err == nil || !strings.Contains(e.Msg.In("en"), tc.refusal) || e.Msg.In("zh") == e.Msg.In("en")):
			t.Errorf("%s: %q, %v; want a refusal saying %q in both languages", tc.name, got, err, tc.refusal)
		}
	}
}

// TestParseContact: one line of text of at most 200 characters, trimmed;
// anything else is refused in both languages.
func TestParseContact(t *testing.T) {
	checkParse(t, ParseContact, []parseCase{
		{"empty", "", "", ""},
		{"e-mail", " open311@city.example.cn ", "open311@city.example.cn", ""},
		{"phone and words", "12345 市民热线", "12345 市民热线", ""},
		{"200 characters", strings.Repeat("长", 200), strings.Repeat("长", 200), ""},
		{"201 characters", strings.Repeat("长", 201), "", "at most 200"},
		{"two lines", "a@b.cn\nc@d.cn", "", "one line"},
		{"a control", "a@b.cn\x00", "", "one line"},
		{"bidi override", "\u202ea@b.cn", "", "one line"},
		{"not UTF-8", "a\xffb", "", "UTF-8"},
	})
}

// TestParseOrigins: origins as browsers write them, deduplicated; "*",
// "null" and anything with a path are refused in both languages.
func TestParseOrigins(t *testing.T) {
	joined := func(s string) (string, error) {
		os, err := ParseOrigins(s)
		return strings.Join(os, " "), err
	}
	checkParse(t, joined, []parseCase{
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
	})
}
