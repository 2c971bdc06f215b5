package store_test

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestWebhookAddrRefused: deliveries may not reach this machine, the
// link-local network (cloud metadata) or many hosts at once; intranet and
// public addresses are fine.
func TestWebhookAddrRefused(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want string
	}{
		{"127.0.0.1", "loopback"},
		{"127.8.9.10", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"::", "unspecified"},
		{"169.254.169.254", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"224.0.0.1", "multicast"},
		{"ff02::1", "multicast"},
		{"255.255.255.255", "broadcast"},
		{"100.100.100.200", "cloud metadata"},
		{"fd00:ec2::254", "cloud metadata"},
		{"10.1.2.3", ""},
		{"172.16.0.9", ""},
		{"192.168.1.20", ""},
		{"fd12:3456::1", ""},
		{"100.64.0.1", ""},
		{"203.0.113.7", ""},
		{"2001:db8::1", ""},
	} {
		if got := store.WebhookAddrRefused(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("WebhookAddrRefused(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

// TestWebhookURLThisMachine: an address naming this machine, the metadata
// service or a multicast group is refused when registered, with a reason
// in both languages; an intranet address is registered.
func TestWebhookURLThisMachine(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		for _, u := range []string{
			"http://127.0.0.1:8080/",
			"http://169.254.169.254/latest/meta-data/",
			"http://[::1]/hooks",
			"http://0.0.0.0:8080/",
			"http://localhost:8080/",
			"http://LocalHost./",
			"http://api.localhost/",
			"http://[::ffff:127.0.0.1]/",
			"http://[fe80::1%25eth0]/",
			"http://224.0.0.1/",
			"http://100.100.100.200/latest/meta-data/",
		} {
			_, err := s.CreateWebhook(ctx, civic.System, w.dept.ID, u)
			e := civic.AsError(err)
			if e.Code != civic.EInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "url" ||
				!strings.Contains(e.Fields[0].Msg.ZH, "不能指向本机") || !strings.Contains(e.Fields[0].Msg.EN, "may not point at this machine") {
				t.Errorf("%s: %v", u, err)
			}
		}
		if hooks, err := s.Webhooks(ctx, civic.System, w.dept.ID); err != nil || len(hooks) != 0 {
			t.Fatalf("a refused webhook was registered: %+v %v", hooks, err)
		}
		for _, u := range []string{"http://10.0.3.7:8080/hooks", "https://192.168.1.20/civicgrid", "http://[fd12::7]/", "https://dept.example/hooks"} {
			if _, err := s.CreateWebhook(ctx, civic.System, w.dept.ID, u); err != nil {
				t.Errorf("%s: %v", u, err)
			}
		}
		// The addresses and their failures are for those who keep
		// organisations: community staff may read the department, not its
		// endpoints.
		if hooks, err := s.Webhooks(ctx, w.community, w.dept.ID); civic.ErrorCodeOf(err) != civic.EForbidden || len(hooks) != 0 {
			t.Fatalf("community staff listed webhooks: %+v %v", hooks, err)
		}
	})
}

// TestClaimDeliveriesTwoServers: two servers (two workers each) claim one
// due delivery at a time from one database, as jobs.Webhooks does. Every
// delivery is claimed exactly once, and a claim comes back empty only when
// nothing is left but what the other workers are claiming at that moment
// (one each): a claim that lost the row it first saw to another server
// came back empty with dozens due, and its pass stopped.
func TestClaimDeliveriesTwoServers(t *testing.T) {
	testdb.EachPair(t, func(t *testing.T, a, b *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		mustImport(t, a, collection(base...))
		orgs, err := a.ImportOrganisations(ctx, civic.System, []civic.Organisation{{Name: "城市管理委员会", Kind: civic.OrgDepartment, RegionCode: "110101"}})
		if err != nil {
			t.Fatal(err)
		}
		h, err := a.CreateWebhook(ctx, civic.System, orgs[0].ID, "https://dept.example/hooks")
		if err != nil {
			t.Fatal(err)
		}
		const deliveries = 60
		for i := range deliveries {
			// Two by two due at the same instant, as a batch queues them.
			due := clock.T.Add(-time.Duration(i/2) * time.Second)
			if _, err := a.ExecForTest(ctx, `INSERT INTO webhook_deliveries (webhook_id, case_id, event, payload, next_attempt_at, created_at) VALUES (?, ?, 'dispatch', '{}', ?, ?)`,
				h.ID, i+1, due, due); err != nil {
				t.Fatal(err)
			}
		}
		const workers = 4
		var (
			mu      sync.Mutex
			claims  = map[int64]int{}
			claimed atomic.Int32
			wg      sync.WaitGroup
		)
		for i := range workers {
			s := a
			if i%2 == 1 {
				s = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					ds, err := s.ClaimDeliveries(ctx, 1, time.Hour)
					if err != nil {
						t.Errorf("claim: %v", err)
						return
					}
					if len(ds) == 0 {
						if n := claimed.Load(); n < deliveries-(workers-1) {
							t.Errorf("a claim came back empty with %d of %d deliveries claimed", n, deliveries)
						}
						return
					}
					mu.Lock()
					for _, d := range ds {
						claims[d.ID]++
					}
					mu.Unlock()
					claimed.Add(int32(len(ds)))
				}
			}()
		}
		wg.Wait()
		if len(claims) != deliveries {
			t.Errorf("%d deliveries claimed, want %d", len(claims), deliveries)
		}
		for id, n := range claims {
			if n != 1 {
				t.Errorf("delivery %d claimed %d times", id, n)
			}
		}
		// A claim of several takes as many as are due, oldest first.
		clock.Advance(2 * time.Hour)
		ds, err := b.ClaimDeliveries(ctx, 3, time.Hour)
		if err != nil || len(ds) != 3 {
			t.Fatalf("claim of 3 with %d due: %d, %v", deliveries, len(ds), err)
		}
	})
}
