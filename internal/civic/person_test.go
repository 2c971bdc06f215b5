package civic

import (
	"testing"
	"time"
)

func TestParseResidentID(t *testing.T) {
	today := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, in, want string
		ok             bool
		birth          string
		gender         Gender
	}{
		{"standard example", "11010519491231002x", "11010519491231002X", true, "1949-12-31", GenderFemale},
		{"male", "110101199003074477", "110101199003074477", true, "1990-03-07", GenderMale},
		{"bad check digit", "110101199003074478", "", false, "", ""},
		{"17 characters", "11010119900307447", "", false, "", ""},
		{"letter inside", "1101011990030744A7", "", false, "", ""},
		{"no such province", "990101199003074477", "", false, "", ""},
		{"no such date", "110101199002304470", "", false, "", ""},
		{"born tomorrow", "110101202611244473", "", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Recompute the check character for rows meant to be valid
			// except in one other respect, so each row tests one thing.
			in := tt.in
			if len(in) == 18 && tt.name != "bad check digit" && tt.name != "letter inside" {
				in = in[:17] + string(IDCheckChar(in[:17]))
			}
			got, facts, fe := ParseResidentID(in, today)
			if (fe == nil) != tt.ok {
				t.Fatalf("ParseResidentID(%q) error %v, want ok=%v", in, fe, tt.ok)
			}
			if tt.ok && (got != tt.want || facts.BirthDate != tt.birth || facts.Gender != tt.gender) {
				t.Fatalf("got %q %+v", got, facts)
			}
		})
	}
}

func TestPersonValidateCrossChecks(t *testing.T) {
	today := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	p := Person{Name: "王秀英", GridCode: "110101001001001", IDNumber: "11010519491231002X", Gender: GenderMale}
	if err := p.Validate(today); err == nil {
		t.Fatal("a male with a female ID number passed")
	}
	p = Person{Name: "王秀英", GridCode: "110101001001001", IDNumber: "11010519491231002X", BirthDate: "1949-12-30"}
	if err := p.Validate(today); err == nil {
		t.Fatal("a birth date not matching the ID number passed")
	}
	p = Person{Name: "王秀英", GridCode: "110101001001001", IDNumber: "11010519491231002x", Phone: "138-0013-8000"}
	if err := p.Validate(today); err != nil {
		t.Fatal(err)
	}
	if p.BirthDate != "1949-12-31" || p.Gender != GenderFemale || p.Phone != "13800138000" || p.IDNumber != "11010519491231002X" {
		t.Fatalf("not filled in from the number: %+v", p)
	}
	hk := Person{Name: "陳大文", GridCode: "110101001001001", IDType: IDHKMacaoPass, IDNumber: "h12345678", BirthDate: "1980-01-01"}
	if err := hk.Validate(today); err != nil || hk.IDNumber != "H12345678" {
		t.Fatalf("home-return permit: %v %q", err, hk.IDNumber)
	}
}

func TestMaskAndTags(t *testing.T) {
	if got := MaskID("150102199003071234"); got != "1****************4" {
		t.Fatalf("MaskID %q", got)
	}
	if got := MaskPhone("13800138000"); got != "138****8000" {
		t.Fatalf("MaskPhone %q", got)
	}
	on := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		birth string
		want  int
	}{{"1946-11-23", 80}, {"1946-11-24", 79}, {"2012-11-24", 13}} {
		if got := AgeOn(tt.birth, on); got != tt.want {
			t.Errorf("AgeOn(%s) = %d, want %d", tt.birth, got, tt.want)
		}
	}
	if got := DerivedTags("1946-11-23", ResidenceFloating, on); len(got) != 3 || got[1] != TagAge80 || got[2] != TagFloating {
		t.Fatalf("derived %v", got)
	}
	if got := DerivedTags("2012-11-24", ResidenceHukou, on); len(got) != 1 || got[0] != TagChild {
		t.Fatalf("derived %v", got)
	}
}

func TestPlanFloors(t *testing.T) {
	b := Building{Name: "3号楼", Floors: 3, Units: 2}
	p := PlanFloors(b, []House{{Unit: 1, Floor: 1, Number: "101"}, {Unit: 2, Floor: 3, Number: "301"}, {Unit: 2, Floor: -1, Number: "B01"}})
	if len(p.Rows) != 4 || p.Rows[0].Floor != 3 || p.Rows[3].Floor != -1 {
		t.Fatalf("rows %+v", p.Rows)
	}
	if len(p.Rows[0].Cells[1]) != 1 || p.Rows[0].Cells[1][0].Number != "301" || len(p.Rows[2].Cells[0]) != 1 {
		t.Fatalf("cells %+v", p.Rows)
	}
}
