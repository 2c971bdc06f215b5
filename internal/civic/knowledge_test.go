package civic

import "testing"

func TestArticleValidity(t *testing.T) {
	for _, c := range []struct {
		name, from, to, today string
		valid, expired        bool
	}{
		{"open", "", "", "2026-03-10", true, false},
		{"last day", "", "2026-03-10", "2026-03-10", true, false},
		{"day after", "", "2026-03-10", "2026-03-11", false, true},
		{"first day", "2026-03-10", "", "2026-03-10", true, false},
		{"before it starts", "2026-03-11", "", "2026-03-10", false, false},
	} {
		a := Article{ValidFrom: c.from, ValidTo: c.to}
		if a.ValidOn(c.today) != c.valid || a.ExpiredOn(c.today) != c.expired {
			t.Errorf("%s: valid %v expired %v", c.name, a.ValidOn(c.today), a.ExpiredOn(c.today))
		}
	}
}

func TestArticleValidate(t *testing.T) {
	for _, c := range []struct {
		name  string
		a     Article
		field string
	}{
		{"ok", Article{Question: " 问 ", Answer: "答", OrgID: 1}, ""},
		{"no question", Article{Answer: "答", OrgID: 1}, "question"},
		{"no answer", Article{Question: "问", OrgID: 1}, "answer"},
		{"no owner", Article{Question: "问", Answer: "答"}, "org_id"},
		{"bad category", Article{Question: "问", Answer: "答", OrgID: 1, CategoryCode: "0a"}, "category_code"},
		{"bad date", Article{Question: "问", Answer: "答", OrgID: 1, ValidFrom: "2026/01/01"}, "valid_from"},
		{"reversed", Article{Question: "问", Answer: "答", OrgID: 1, ValidFrom: "2026-02-01", ValidTo: "2026-01-01"}, "valid_to"},
	} {
		err := c.a.Validate()
		got := ""
		if err != nil {
			got = AsError(err).Fields[0].Field
		}
		if got != c.field {
			t.Errorf("%s: field %q, want %q (%v)", c.name, got, c.field, err)
		}
	}
}
