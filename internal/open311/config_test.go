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
