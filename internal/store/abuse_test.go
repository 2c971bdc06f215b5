package store_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

func TestAbuseControls(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		call := func(a civic.Actor, phone string) (civic.Case, error) {
			c, _, err := s.SubmitCase(ctx, a, w.loc, store.NewCase{Source: civic.SourceHotline, CategoryCode: "0102", Title: "来电反映", RegionCode: "110101001001", ReporterPhone: phone})
			return c, err
		}
		if _, err := s.BlockCaller(ctx, w.grid, "13511112222", "恶意骚扰", nil); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("a grid worker blocks callers: %v", err)
		}
		far := clock.T.AddDate(20, 0, 0)
		if _, err := s.BlockCaller(ctx, w.operator, "13511112222", "恶意骚扰", &far); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("a block for twenty years: %v", err)
		}
		until := clock.T.Add(24 * time.Hour)
		if _, err := s.BlockCaller(ctx, w.operator, "13511112222", "恶意骚扰", &until); err != nil {
			t.Fatal(err)
		}
		_, err := call(w.operator, "13511112222")
		if e := civic.AsError(err); e.Code != civic.EForbidden || !strings.Contains(e.Msg.ZH, "恶意骚扰") {
			t.Fatalf("blocked caller: %v", err)
		}
		clock.Advance(25 * time.Hour)
		if _, err := call(w.operator, "13511112222"); err != nil {
			t.Fatalf("an expired block still refuses: %v", err)
		}
		if _, err := s.AddDeputy(ctx, w.operator, civic.Deputy{Phone: "13900009999", Name: "张代表", Title: "区人大代表"}); err != nil {
			t.Fatal(err)
		}
		c, err := call(w.operator, "13900009999")
		if err != nil || c.Priority != 1 {
			t.Fatalf("deputy's case: priority %d, %v", c.Priority, err)
		}
		// Anonymous intake is limited per address.
		anon := civic.Actor{Username: "anonymous", Role: civic.RoleResident, IP: "203.0.113.9"}
		for i := 0; i < store.AnonymousLimit; i++ {
			if _, _, err := s.SubmitCase(ctx, anon, w.loc, store.NewCase{Source: civic.SourceResident, Title: "匿名反映", HasLocation: true, Lng: 116.1, Lat: 39.2, Anonymous: true}); err != nil {
				t.Fatalf("anonymous %d: %v", i, err)
			}
		}
		if _, _, err := s.SubmitCase(ctx, anon, w.loc, store.NewCase{Source: civic.SourceResident, Title: "匿名反映", HasLocation: true, Lng: 116.1, Lat: 39.2}); civic.ErrorCodeOf(err) != civic.ETooMany {
			t.Fatalf("over the anonymous limit: %v", err)
		}
		clock.Advance(store.AnonymousWindow)
		if _, _, err := s.SubmitCase(ctx, anon, w.loc, store.NewCase{Source: civic.SourceResident, Title: "匿名反映", HasLocation: true, Lng: 116.1, Lat: 39.2}); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

// TestAbuseTextLimits: the caller lists' free text is bounded on the
// server as on the form, in characters: one over is refused on its field,
// naming the limit, and nothing is listed; at the limit it is kept whole.
func TestAbuseTextLimits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		_, err := s.BlockCaller(ctx, w.operator, "13511112222", strings.Repeat("扰", 201), nil)
		mustRefuseLength(t, err, "reason", 200)
		if bs, err := s.BlockedCallers(ctx, w.operator); err != nil || len(bs) != 0 {
			t.Fatalf("a refused block was listed: %+v %v", bs, err)
		}
		if b, err := s.BlockCaller(ctx, w.operator, "13511112222", strings.Repeat("扰", 200), nil); err != nil || utf8.RuneCountInString(b.Reason) != 200 {
			t.Fatalf("a reason of 200 characters: %v", err)
		}
		for _, tc := range []struct {
			name, field string
			d           civic.Deputy
		}{
			{"name", "name", civic.Deputy{Phone: "13900009999", Name: strings.Repeat("张", 51), Title: "区人大代表"}},
			{"title", "title", civic.Deputy{Phone: "13900009999", Name: "张代表", Title: strings.Repeat("代", 51)}},
		} {
			_, err := s.AddDeputy(ctx, w.operator, tc.d)
			mustRefuseLength(t, err, tc.field, 50)
		}
		if ds, err := s.Deputies(ctx, w.operator); err != nil || len(ds) != 0 {
			t.Fatalf("a refused deputy was listed: %+v %v", ds, err)
		}
		d := civic.Deputy{Phone: "13900009999", Name: strings.Repeat("张", 50), Title: strings.Repeat("代", 50)}
		if got, err := s.AddDeputy(ctx, w.operator, d); err != nil || got.Name != d.Name || got.Title != d.Title {
			t.Fatalf("a name and title of 50 characters: %v", err)
		}
	})
}
