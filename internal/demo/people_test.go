package demo

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// TestPopulation checks that the synthetic population is deterministic
// and that every person passes the import's own rules: ID numbers with
// their check character, agreeing with birth date and sex, never twice.
func TestPopulation(t *testing.T) {
	now := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	p := Population{Seed: 7, Grids: []string{"110101001001001", "110101001001002", "110102001001001"}, Houses: 300, People: 800, Now: now,
		Property: func(string) []string { return []string{"北京嘉诚物业管理有限公司"} }}
	var h1, p1, h2, p2 bytes.Buffer
	st, err := WritePopulation(p, &h1, &p1)
	if err != nil || st.Houses != 300 || st.People != 800 || st.Compounds == 0 {
		t.Fatalf("stats %+v %v", st, err)
	}
	if _, err := WritePopulation(p, &h2, &p2); err != nil || !bytes.Equal(h1.Bytes(), h2.Bytes()) || !bytes.Equal(p1.Bytes(), p2.Bytes()) {
		t.Fatal("the population differs between two runs of one seed")
	}
	rows, err := csv.NewReader(&p1).ReadAll()
	if err != nil || len(rows) != 801 {
		t.Fatalf("%d rows %v", len(rows), err)
	}
	seen := map[string]bool{}
	tags := map[string]int{}
	for _, r := range rows[1:] {
		g, _ := civic.ParseGender(r[3])
		res, _ := civic.ParseResidenceType(r[6])
		per := civic.Person{Name: r[0], IDNumber: r[2], Gender: g, BirthDate: r[4], Phone: r[5], ResidenceType: res, GridCode: r[10]}
		if err := per.Validate(now); err != nil {
			t.Fatalf("row %q: %v", r, err)
		}
		if seen[r[2]] {
			t.Fatalf("ID %s twice", r[2])
		}
		seen[r[2]] = true
		if res == civic.ResidenceHukou && r[2][:6] != r[10][:6] {
			t.Fatalf("registered resident's ID %s is not from district %s", r[2], r[10][:6])
		}
		for _, s := range civic.SplitTags(r[9]) {
			tags[s]++
		}
	}
	if tags["独居"] == 0 || tags["党员"] == 0 {
		t.Fatalf("tags %v", tags)
	}
	next := NewPersonSource(7, now)
	for i := 0; i < 2000; i++ {
		pp := next("110101001001001")
		if seen[pp.IDNumber] {
			t.Fatalf("the person source repeats %s", pp.IDNumber)
		}
		seen[pp.IDNumber] = true
	}
}
