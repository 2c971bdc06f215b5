package store_test

import (
	"context"
	"fmt"
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

// TestThrottleIPv6Network: an IPv6 client is limited by its /64 network,
// which one subscriber holds whole: a fresh address from it for every
// sign-in attempt or anonymous report counts against the same limit, an
// address of another network does not, and an IPv4 address written as
// IPv6 (::ffff:a.b.c.d) counts as itself.
func TestThrottleIPv6Network(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		for i := 0; i < store.MaxIPFailures; i++ {
			ip := fmt.Sprintf("2001:db8:1:2:%x::%x", i, i+1)
			if _, err := s.Authenticate(ctx, fmt.Sprintf("nobody%d", i), "wrong", ip); civic.ErrorCodeOf(err) != civic.EUnauthorized {
				t.Fatalf("attempt %d from %s: %v", i+1, ip, err)
			}
		}
		if _, err := s.Authenticate(ctx, "nobody-else", "wrong", "2001:db8:1:2:ffff::1"); civic.ErrorCodeOf(err) != civic.ETooMany {
			t.Fatalf("a new address of the same /64 was not held back: %v", err)
		}
		if _, err := s.Authenticate(ctx, "nobody-else", "wrong", "2001:db8:1:3::1"); civic.ErrorCodeOf(err) != civic.EUnauthorized {
			t.Fatalf("another /64 was held back: %v", err)
		}

		report := func(ip string) error {
			anon := civic.Actor{Username: "anonymous", Role: civic.RoleResident, IP: ip}
			_, _, err := s.SubmitCase(ctx, anon, w.loc, store.NewCase{Source: civic.SourceResident, Title: "匿名反映", HasLocation: true, Lng: 116.1, Lat: 39.2, Anonymous: true})
			return err
		}
		for i := 0; i < store.AnonymousLimit; i++ {
			if err := report(fmt.Sprintf("2409:8a00:1:2:%x::1", i+1)); err != nil {
				t.Fatalf("anonymous report %d: %v", i+1, err)
			}
		}
		if err := report("2409:8a00:1:2:abcd::9"); civic.ErrorCodeOf(err) != civic.ETooMany {
			t.Fatalf("a new address of the same /64 filed over the limit: %v", err)
		}
		if err := report("2409:8a00:1:3::1"); err != nil {
			t.Fatalf("another /64: %v", err)
		}
		for i := 0; i < store.AnonymousLimit; i++ {
			if err := report("::ffff:198.51.100.7"); err != nil {
				t.Fatalf("IPv4-mapped report %d: %v", i+1, err)
			}
		}
		if err := report("198.51.100.7"); civic.ErrorCodeOf(err) != civic.ETooMany {
			t.Fatalf("the same IPv4 address, written plainly, filed over the limit: %v", err)
		}
	})
}
