package demo

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

const testSeed = 2026

func TestGenerateDeterministic(t *testing.T) {
	a, b := Generate(testSeed), Generate(testSeed)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two calls with the same seed differ")
	}
	other := Generate(testSeed + 1)
	if reflect.DeepEqual(a.Regions, other.Regions) {
		t.Error("a different seed gives the same boundaries")
	}
	if reflect.DeepEqual(a.Staff, other.Staff) {
		t.Error("a different seed gives the same staff ledger")
	}
}

func TestGenerateCounts(t *testing.T) {
	c := Generate(testSeed)
	count := map[civic.Level]int{}
	for _, f := range c.Regions {
		count[f.Level]++
	}
	tests := []struct {
		level  civic.Level
		lo, hi int
	}{
		{civic.LevelCity, 1, 1},
		{civic.LevelDistrict, 2, 2},
		{civic.LevelStreet, 6, 6},
		{civic.LevelCommunity, 20, 28},
		{civic.LevelGrid, 280, 320},
		{civic.LevelMicroGrid, 2, 10},
	}
	for _, tt := range tests {
		t.Run(tt.level.Key(), func(t *testing.T) {
			if n := count[tt.level]; n < tt.lo || n > tt.hi {
				t.Errorf("%d regions, want %d–%d", n, tt.lo, tt.hi)
			}
		})
	}
	t.Logf("regions by level %v, %d organisations, %d staff entries, %d users", count, len(c.Orgs), len(c.Staff), len(c.Users))
}

// TestGenerateAnySeed checks, cheaply, that the layout never depends on a
// lucky seed: counts stay in range and every boundary is valid.
func TestGenerateAnySeed(t *testing.T) {
	for seed := range uint64(40) {
		c := Generate(seed)
		count := map[civic.Level]int{}
		for _, f := range c.Regions {
			count[f.Level]++
			if err := geo.Validate(f.Geom); err != nil {
				t.Errorf("seed %d: %s: %v", seed, f.Code, err)
			}
		}
		if count[civic.LevelCommunity] != 24 || count[civic.LevelGrid] < 280 || count[civic.LevelGrid] > 320 || count[civic.LevelMicroGrid] != 2*microGridParents {
			t.Errorf("seed %d: regions by level %v", seed, count)
		}
		for _, u := range c.Users {
			if u.DisplayName == "" || (u.Role == civic.RoleHandler && u.OrgName == "") {
				t.Errorf("seed %d: user %s incomplete: %+v", seed, u.Username, u)
			}
		}
	}
}

func TestRegionsCodesAndOrder(t *testing.T) {
	c := Generate(testSeed)
	seen := map[string]bool{}
	for _, f := range c.Regions {
		if fe := civic.ValidateCode(f.Code, f.Level, f.ParentCode); fe != nil {
			t.Errorf("%s %s: %s", f.Code, f.Name, fe.Msg.EN)
		}
		if lvl, _ := civic.LevelOfCode(f.Code); lvl != f.Level {
			t.Errorf("%s: level %v, code says %v", f.Code, f.Level, lvl)
		}
		if f.Level != civic.LevelCity && !seen[f.ParentCode] {
			t.Errorf("%s comes before its parent %s", f.Code, f.ParentCode)
		}
		if seen[f.Code] {
			t.Errorf("%s twice", f.Code)
		}
		seen[f.Code] = true
	}
	for _, code := range []string{"1101", "110101", "110102", "110101001", "110101002", "110101003", "110102001", "110102003", "110102007", demoCommunity, demoGrid} {
		if !seen[code] {
			t.Errorf("region %s missing", code)
		}
	}
}

func TestGeometry(t *testing.T) {
	c := Generate(testSeed)
	byCode := map[string]store.RegionFeature{}
	children := map[string][]store.RegionFeature{}
	for _, f := range c.Regions {
		byCode[f.Code] = f
		children[f.ParentCode] = append(children[f.ParentCode], f)
	}
	for _, f := range c.Regions {
		if err := geo.Validate(f.Geom); err != nil {
			t.Errorf("%s %s: %v", f.Code, f.Name, err)
		}
		if ringArea(f.Geom[0][0]) <= 0 {
			t.Errorf("%s: outer ring is not counter-clockwise", f.Code)
		}
		if f.Level == civic.LevelCity {
			continue
		}
		if !geo.Within(f.Geom, byCode[f.ParentCode].Geom, store.WithinToleranceM) {
			t.Errorf("%s is not within its parent %s", f.Code, f.ParentCode)
		}
	}
	for parent, sibs := range children {
		var sum float64
		for i := range sibs {
			sum += sibs[i].Geom.Area()
			for j := i + 1; j < len(sibs); j++ {
				if geo.Overlaps(sibs[i].Geom, sibs[j].Geom, store.WithinToleranceM) {
					t.Errorf("siblings %s and %s overlap", sibs[i].Code, sibs[j].Code)
				}
			}
		}
		// Every level but the micro-grids tiles its parent exactly.
		p, ok := byCode[parent]
		if !ok || sibs[0].Level == civic.LevelMicroGrid {
			continue
		}
		if a := p.Geom.Area(); sum < a*0.999 || sum > a*1.001 {
			t.Errorf("children of %s cover %.0f m² of its %.0f m²", parent, sum, a)
		}
	}
	for _, f := range children[demoCommunity] {
		if a := f.Geom.Area(); a < 0.06e6 || a > 0.4e6 {
			t.Errorf("grid %s has %.3f km², want roughly 0.1–0.4", f.Code, a/1e6)
		}
	}
}

// ringArea is the shoelace sum, positive for a counter-clockwise ring.
func ringArea(r geo.Ring) float64 {
	var s float64
	for i := 1; i < len(r); i++ {
		s += r[i-1].Lng*r[i].Lat - r[i].Lng*r[i-1].Lat
	}
	return s / 2
}

func TestIndexFindsEveryGrid(t *testing.T) {
	l := newLayout(testSeed)
	var entries []geo.Entry
	var codes []string
	for _, a := range l.areas {
		if a.level == civic.LevelGrid {
			entries = append(entries, geo.Entry{ID: int64(len(codes)), Level: int(a.level), Geom: l.lat.shape(a.blk)})
			codes = append(codes, a.code)
		}
	}
	ix := geo.NewIndex(entries)
	for i, a := range l.areas {
		if a.level != civic.LevelGrid {
			continue
		}
		for col := a.blk.c0; col < a.blk.c1; col++ {
			for row := a.blk.r0; row < a.blk.r1; row++ {
				p := l.lat.cellCentre(col, row)
				id, ok := ix.Lookup(p)
				if !ok || codes[id] != a.code {
					t.Errorf("area %d: cell (%d,%d) of grid %s found grid %v (ok=%v)", i, col, row, a.code, id, ok)
				}
			}
		}
	}
	// The layout is what Generate publishes.
	c := Generate(testSeed)
	for i, a := range l.areas {
		if c.Regions[i].Code != a.code || !reflect.DeepEqual(c.Regions[i].Geom, l.lat.shape(a.blk)) {
			t.Fatalf("region %d: layout and Generate disagree", i)
		}
	}
}

func TestStaffLedger(t *testing.T) {
	c := Generate(testSeed)
	today := time.Now().Format(civic.DateLayout)
	type serving struct{ leader, fullTime int }
	byGrid := map[string]*serving{}
	for _, f := range c.Regions {
		if f.Level == civic.LevelGrid {
			byGrid[f.Code] = &serving{}
		}
	}
	left := 0
	for i := range c.Staff {
		m := c.Staff[i]
		if err := m.Validate(); err != nil {
			t.Errorf("staff %d (%s): %v", i, m.Name, err)
		}
		if m.StartDate < "2019-01-01" || m.StartDate > "2025-12-31" {
			t.Errorf("staff %d (%s) starts %s", i, m.Name, m.StartDate)
		}
		if m.EndDate != "" {
			left++
			if m.EndDate >= today {
				t.Errorf("staff %d (%s) leaves in the future (%s)", i, m.Name, m.EndDate)
			}
		}
		s, ok := byGrid[m.GridCode]
		if !ok {
			t.Errorf("staff %d serves %s, not a demo grid", i, m.GridCode)
			continue
		}
		if !m.Active(today) {
			continue
		}
		switch m.Position {
		case civic.PositionGridLeader:
			s.leader++
		case civic.PositionFullTime:
			s.fullTime++
		}
	}
	for code, s := range byGrid {
		if s.leader != 1 || s.fullTime != 1 {
			t.Errorf("grid %s has %d leaders and %d full-time workers serving today, want 1 and 1", code, s.leader, s.fullTime)
		}
	}
	if left == 0 || left > len(c.Staff)/10 {
		t.Errorf("%d of %d staff have left, want a small fraction", left, len(c.Staff))
	}
}

func TestOrganisations(t *testing.T) {
	c := Generate(testSeed)
	names := map[string]bool{}
	kinds := map[civic.OrgKind]int{}
	for i := range c.Orgs {
		o := c.Orgs[i]
		if err := o.Validate(); err != nil {
			t.Errorf("organisation %s: %v", o.Name, err)
		}
		if names[o.Name] {
			t.Errorf("organisation name %s repeats", o.Name)
		}
		names[o.Name] = true
		kinds[o.Kind]++
	}
	for _, k := range []civic.OrgKind{civic.OrgStreetOffice, civic.OrgCommunityCommittee, civic.OrgDepartment, civic.OrgPropertyCompany, civic.OrgPartyOrg, civic.OrgCoBuildingUnit, civic.OrgVolunteerTeam} {
		if kinds[k] == 0 {
			t.Errorf("no organisation of kind %s", k)
		}
	}
	if kinds[civic.OrgPropertyCompany] < 12 || kinds[civic.OrgPropertyCompany] > 18 {
		t.Errorf("%d property companies, want 2–3 per street", kinds[civic.OrgPropertyCompany])
	}
}

func TestUsers(t *testing.T) {
	c := Generate(testSeed)
	byRole := map[civic.Role]User{}
	for _, u := range c.Users {
		if _, dup := byRole[u.Role]; dup {
			t.Errorf("two users with role %s", u.Role)
		}
		byRole[u.Role] = u
		if fe := civic.ValidateUsername(u.Username); fe != nil {
			t.Errorf("%s: %s", u.Username, fe.Msg.EN)
		}
		if u.Password != Password || civic.ValidatePassword(u.Password) != nil {
			t.Errorf("%s: password is not the demo password", u.Username)
		}
		if u.DisplayName == "" || u.ScopeName == "" {
			t.Errorf("%s: display name %q, scope name %q", u.Username, u.DisplayName, u.ScopeName)
		}
	}
	for _, r := range civic.Roles {
		if _, ok := byRole[r]; !ok {
			t.Errorf("no user with role %s", r)
		}
	}
	if h := byRole[civic.RoleHandler]; h.OrgName == "" || h.Scope.OrgID != 0 {
		t.Errorf("handler: OrgName %q, OrgID %d; want a name and 0", h.OrgName, h.Scope.OrgID)
	}
	var worker string
	for _, m := range c.Staff {
		if m.GridCode == byRole[civic.RoleGridWorker].Scope.RegionCode && m.Position == civic.PositionFullTime && m.EndDate == "" {
			worker = m.Name
		}
	}
	if g := byRole[civic.RoleGridWorker]; g.DisplayName != worker {
		t.Errorf("grid user is %q, the grid's full-time worker is %q", g.DisplayName, worker)
	}
}

func TestLoad(t *testing.T) {
	ctx := context.Background()
	s := testdb.MustOpen(t, store.SQLite, nil)
	c := Generate(testSeed)
	before := Generate(testSeed)
	start := time.Now()
	if err := Load(ctx, s, c); err != nil {
		t.Fatalf("load: %v", err)
	}
	t.Logf("loaded %d regions, %d organisations, %d staff, %d users into SQLite in %v",
		len(c.Regions), len(c.Orgs), len(c.Staff), len(c.Users), time.Since(start).Round(time.Millisecond))
	if !reflect.DeepEqual(c, before) {
		t.Error("Load modified the City it was given")
	}

	if err := Load(ctx, s, c); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("second load: %v, want ErrNotEmpty", err)
	}

	_, n, err := s.ListRegions(ctx, civic.System, store.RegionFilter{Page: store.Page{Limit: 1}})
	if err != nil || n != len(c.Regions) {
		t.Errorf("%d regions stored (%v), want %d", n, err, len(c.Regions))
	}
	_, n, err = s.ListStaff(ctx, civic.System, store.StaffFilter{Page: store.Page{Limit: 1}})
	if err != nil || n != len(c.Staff) {
		t.Errorf("%d staff stored (%v), want %d", n, err, len(c.Staff))
	}
	police, _, err := s.ListStaff(ctx, civic.System, store.StaffFilter{Position: civic.PositionGridPolice, Page: store.Page{Limit: 1}})
	if err != nil || len(police) == 0 || police[0].OrgID == 0 {
		t.Errorf("grid police %+v (%v): want an employer", police, err)
	}
	// The knowledge base: every article loaded under its named owner,
	// found by a Chinese word, the past season's article not suggested.
	arts, n, err := s.ListArticles(ctx, civic.System, store.KnowledgeFilter{Page: store.Page{Limit: 100}})
	if err != nil || n != len(demoKnowledge) {
		t.Errorf("%d articles (%v), want %d", n, err, len(demoKnowledge))
	}
	for _, a := range arts {
		if i := slices.IndexFunc(demoKnowledge, func(d demoArticle) bool { return d.question == a.Question }); i < 0 || demoKnowledge[i].owner != a.OrgName {
			t.Errorf("article %q owned by %q", a.Question, a.OrgName)
		}
	}
	if got, _, err := s.ListArticles(ctx, civic.System, store.KnowledgeFilter{Query: "供热"}); err != nil || len(got) != 2 {
		t.Errorf("search 供热: %d (%v)", len(got), err)
	}
	for q, want := range map[string]string{"我从外地换到北京工作了，以前交的社保怎么转过来": "社保关系跨省转移怎么办理？",
		"出租车司机绕路多收钱，我要投诉": "出租车拒载、绕路、不打表怎么投诉？", "工厂晚上偷偷排黑烟": "发现工厂偷排废气废水怎么举报？"} {
		if got, err := s.SuggestArticles(ctx, civic.System, q, 3); err != nil || len(got) == 0 || got[0].Question != want {
			t.Errorf("suggested for %q: %+v (%v), want %q first", q, got, err, want)
		}
	}
	if got, err := s.SuggestArticles(ctx, civic.System, "想问一下医保缴费的事情", 5); err != nil || len(got) != 0 {
		t.Errorf("an expired article suggested: %v (%v)", got, err)
	}

	for _, u := range c.Users {
		t.Run(u.Username, func(t *testing.T) {
			got, err := s.Authenticate(ctx, u.Username, Password, "127.0.0.1")
			if err != nil {
				t.Fatalf("authenticate: %v", err)
			}
			if got.Role != u.Role || got.Scope.RegionCode != u.Scope.RegionCode || got.DisplayName != u.DisplayName {
				t.Errorf("got %s %s %s, want %s %s %s", got.Role, got.Scope.RegionCode, got.DisplayName, u.Role, u.Scope.RegionCode, u.DisplayName)
			}
			if got.ScopeName != u.ScopeName {
				t.Errorf("scope name %q, want %q", got.ScopeName, u.ScopeName)
			}
			if u.OrgName == "" {
				return
			}
			org, err := s.GetOrganisation(ctx, store.ActorOf(got, "127.0.0.1"), got.Scope.OrgID)
			if err != nil || org.Name != u.OrgName {
				t.Errorf("handler's organisation %q (%v), want %q", org.Name, err, u.OrgName)
			}
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		Generate(testSeed)
	}
}

func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	c := Generate(testSeed)
	for b.Loop() {
		b.StopTimer()
		s := testdb.MustOpen(b, store.SQLite, nil)
		b.StartTimer()
		if err := Load(ctx, s, c); err != nil {
			b.Fatal(err)
		}
	}
}
