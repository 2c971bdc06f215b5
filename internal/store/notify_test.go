package store_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

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
