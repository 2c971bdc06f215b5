package civic

import (
	"testing"
	"time"
)

func TestCareRuleWindow(t *testing.T) {
	// 2026-03-31 20:00 UTC is 1 April 04:00 in China: the second quarter.
	now := time.Date(2026, 3, 31, 20, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name       string
		r          CareRule
		start, due time.Time
	}{
		{"30 days", CareRule{Period: CareEveryDays, Days: 30}, now.AddDate(0, 0, -30), now},
		{"month", CareRule{Period: CareEveryMonth}, time.Date(2026, 4, 1, 0, 0, 0, 0, ChinaTime), time.Date(2026, 5, 1, 0, 0, 0, 0, ChinaTime)},
		{"quarter", CareRule{Period: CareEveryQuarter}, time.Date(2026, 4, 1, 0, 0, 0, 0, ChinaTime), time.Date(2026, 7, 1, 0, 0, 0, 0, ChinaTime)},
	} {
		start, due := c.r.Window(now)
		if !start.Equal(c.start) || !due.Equal(c.due) {
			t.Errorf("%s: window %v–%v, want %v–%v", c.name, start, due, c.start, c.due)
		}
	}
}

func TestCareRuleValidate(t *testing.T) {
	r := CareRule{Name: " 独居 ", Target: CareTargetPerson, Tags: []Tag{TagAlone, TagAge60, TagAlone}, Period: CareEveryQuarter, Days: 9}
	if err := r.Validate(); err != nil || len(r.Tags) != 2 || r.Tags[0] != TagAge60 || r.Days != 0 || r.Name != "独居" {
		t.Fatalf("%+v %v", r, err)
	}
	for _, bad := range []CareRule{
		{Name: "x", Target: "pet", Tags: []Tag{TagAlone}, Period: CareEveryMonth},
		{Name: "x", Target: CareTargetHouse, Tags: []Tag{"rich"}, Period: CareEveryMonth},
		{Name: "x", Target: CareTargetHouse, Tags: []Tag{TagDibao}, Period: CareEveryDays, Days: 400},
		{Name: "", Target: CareTargetHouse, Tags: []Tag{TagDibao}, Period: "weekly"},
	} {
		if err := bad.Validate(); ErrorCodeOf(err) != EInvalid {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestQuietDays(t *testing.T) {
	now := time.Date(2026, 3, 10, 17, 0, 0, 0, time.UTC) // 11 March, China
	last := time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC) // 1 March 23:00, China
	if n := QuietDays(&last, "2026-01-01", now); n != 10 {
		t.Errorf("quiet %d, want 10", n)
	}
	if n := QuietDays(nil, "2026-03-01", now); n != 10 {
		t.Errorf("never contacted: quiet %d, want 10", n)
	}
}

func TestRentalValidate(t *testing.T) {
	id := "41010219950301123"
	id += string(IDCheckChar(id))
	ok := Rental{HouseID: 1, TenantName: "郑租客", IDNumber: id, From: "2026-03-10", To: "2026-03-12"}
	if err := ok.Validate("2026-03-10"); err != nil || ok.IDType != IDResident {
		t.Fatalf("%+v %v", ok, err)
	}
	for name, r := range map[string]Rental{
		"no ID":            {HouseID: 1, TenantName: "a", From: "2026-03-10", To: "2026-03-12"},
		"to before from":   {HouseID: 1, TenantName: "a", IDNumber: id, From: "2026-03-10", To: "2026-03-09"},
		"far future":       {HouseID: 1, TenantName: "a", IDNumber: id, From: "2026-06-10", To: "2026-06-12"},
		"long ago":         {HouseID: 1, TenantName: "a", IDNumber: id, From: "2025-01-10", To: "2025-01-12"},
		"more than a year": {HouseID: 1, TenantName: "a", IDNumber: id, From: "2026-03-10", To: "2027-04-12"},
		"passport bad":     {HouseID: 1, TenantName: "a", IDType: IDPassport, IDNumber: "??", From: "2026-03-10", To: "2026-03-12"},
	} {
		if err := r.Validate("2026-03-10"); ErrorCodeOf(err) != EInvalid {
			t.Errorf("%s accepted", name)
		}
	}
}
