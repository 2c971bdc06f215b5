package civic

import (
	"maps"
	"strings"
	"testing"
)

func TestMatchHeader(t *testing.T) {
	people := func(over map[int]string) []string {
		var h []string
		for i, c := range PeopleColumns {
			h = append(h, c.Label.ZH)
			if s, ok := over[i]; ok {
				h[i] = s
			}
		}
		return h
	}
	for _, c := range []struct {
		name   string
		kind   ImportKind
		header []string
		want   map[string]int // nil: refused
		err    string
	}{
		{"template", ImportPeople, people(nil), func() map[string]int {
			m := map[string]int{}
			for i, c := range PeopleColumns {
				m[c.Key] = i
			}
			return m
		}(), ""},
		{"keys, English labels, aliases, markers and spaces", ImportHouses,
			[]string{"\ufeff* Grid_Code", "小区名称", "楼　号", "UNIT", "所在楼层＊", " number ", "area m2", "x", ""},
			map[string]int{"grid_code": 0, "compound": 1, "building": 2, "unit": 3, "floor": 4, "number": 5, "area_m2": 6}, ""},
		{"the first cell naming a column wins", ImportPeople, []string{"姓名", "网格代码", "name", "网格编码"}, map[string]int{"name": 0, "grid_code": 1}, ""},
		{"a required column missing", ImportPeople, []string{"姓名", "电话"}, nil, "the header lacks required columns: Grid code"},
		{"the audit's header of 100,000 columns", ImportPeople, append([]string{"姓名", "网格编码"}, strings.Split(strings.Repeat("a,", 100000), ",")...), nil, "more than 256 columns"},
		{"a column past the limit", ImportPeople, append(people(nil), make([]string, MaxImportColumns-len(PeopleColumns)+1)...), nil, "more than 256 columns"},
	} {
		got, err := c.kind.MatchHeader(c.header)
		if c.want == nil {
			if ErrorCodeOf(err) != EInvalid || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err != nil || !maps.Equal(got, c.want) {
			t.Errorf("%s: %v %v, want %v", c.name, got, err, c.want)
		}
	}
	// A header at the limit is matched.
	if _, err := ImportPeople.MatchHeader(append(people(nil), make([]string, MaxImportColumns-len(PeopleColumns))...)); err != nil {
		t.Errorf("a header of %d columns: %v", MaxImportColumns, err)
	}
}

// BenchmarkMatchHeader matches a header of the widest width allowed.
func BenchmarkMatchHeader(b *testing.B) {
	h := make([]string, MaxImportColumns)
	for i := range h {
		h[i] = "一个不认识的列名"
	}
	h[0], h[1] = "姓名", "网格编码"
	for b.Loop() {
		if _, err := ImportPeople.MatchHeader(h); err != nil {
			b.Fatal(err)
		}
	}
}
