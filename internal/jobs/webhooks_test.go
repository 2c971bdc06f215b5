package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/jobs"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestWebhookDelivery dispatches a case to an organisation with a webhook
// whose receiver fails once: the delivery is retried after its backoff,
// arrives once, signed, and is not sent again.
func TestWebhookDelivery(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		var calls, good atomic.Int32
		var secret string
		var last atomic.Value
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := calls.Add(1)
			body, _ := io.ReadAll(r.Body)
			if r.Header.Get("X-Civicgrid-Signature") != jobs.Sign(secret, body) {
				t.Errorf("bad signature")
			}
			if n == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			var p map[string]any
			if err := json.Unmarshal(body, &p); err != nil || p["title"] != "井盖丢失" {
				t.Errorf("payload %s", body)
			}
			last.Store(p)
			good.Add(1)
		}))
		defer recv.Close()

		url, resolve := receiverAt(t, recv)
		org, h, c := mustWebhookCase(t, s, url)
		secret = h.Secret
		j := jobs.Webhooks{Store: s, AllowLoopback: true, Resolve: resolve}
		if n, err := j.Pass(ctx); err != nil || n != 0 || calls.Load() != 1 {
			t.Fatalf("first attempt: ok %d calls %d %v", n, calls.Load(), err)
		}
		if n, _ := j.Pass(ctx); n != 0 || calls.Load() != 1 {
			t.Fatalf("retried before the backoff: %d calls", calls.Load())
		}
		clock.Advance(2 * time.Minute)
		if n, err := j.Pass(ctx); err != nil || n != 1 || good.Load() != 1 {
			t.Fatalf("retry: ok %d good %d %v", n, good.Load(), err)
		}
		clock.Advance(time.Hour)
		if n, _ := j.Pass(ctx); n != 0 || calls.Load() != 2 {
			t.Fatalf("delivered twice: %d calls", calls.Load())
		}
		if p := last.Load().(map[string]any); p["event"] != "dispatch" {
			t.Fatalf("first delivery %v", p)
		}

		// A note goes to the department's own system with the phone and
		// ID numbers in it masked, as the title is.
		if _, err := s.ActOnCase(ctx, civic.System, c.ID, store.CaseInput{Action: civic.ActWhistle, WhistleOrgIDs: []int64{org.ID}, LeadOrgID: org.ID,
			Note: "请联系报事人13912345678到场"}); err != nil {
			t.Fatal(err)
		}
		if n, err := j.Pass(ctx); err != nil || n != 1 {
			t.Fatalf("whistle delivery: ok %d %v", n, err)
		}
		if p := last.Load().(map[string]any); p["event"] != "whistle" || !strings.HasSuffix(p["note"].(string), "请联系报事人139****5678到场") {
			t.Fatalf("whistle delivery %v", p)
		}
	})
}

// TestWebhookThisMachine: a webhook whose name resolves to this machine
// gets nothing from the job as the server runs it (AllowLoopback off); the
// delivery waits, as after any failure, and arrives once allowed.
func TestWebhookThisMachine(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		var calls atomic.Int32
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
		defer recv.Close()
		url, resolve := receiverAt(t, recv)
		mustWebhookCase(t, s, url)
		if n, err := (jobs.Webhooks{Store: s, Resolve: resolve}).Pass(ctx); err != nil || n != 0 || calls.Load() != 0 {
			t.Fatalf("delivered to this machine: ok %d calls %d %v", n, calls.Load(), err)
		}
		clock.Advance(2 * time.Minute)
		if n, err := (jobs.Webhooks{Store: s, Resolve: resolve, AllowLoopback: true}).Pass(ctx); err != nil || n != 1 || calls.Load() != 1 {
			t.Fatalf("allowed: ok %d calls %d %v", n, calls.Load(), err)
		}
	})
}

// TestWebhookRedirect: a receiver answering 307 towards another address
// has failed the delivery; the redirect is not followed.
func TestWebhookRedirect(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		var inside, calls atomic.Int32
		target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inside.Add(1) }))
		defer target.Close()
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			http.Redirect(w, r, target.URL+"/admin", http.StatusTemporaryRedirect)
		}))
		defer recv.Close()
		url, resolve := receiverAt(t, recv)
		mustWebhookCase(t, s, url)
		j := jobs.Webhooks{Store: s, Resolve: resolve, AllowLoopback: true}
		if n, err := j.Pass(ctx); err != nil || n != 0 || calls.Load() != 1 || inside.Load() != 0 {
			t.Fatalf("redirect: ok %d calls %d followed %d %v", n, calls.Load(), inside.Load(), err)
		}
		clock.Advance(2 * time.Minute)
		if n, err := j.Pass(ctx); err != nil || n != 0 || calls.Load() != 2 || inside.Load() != 0 {
			t.Fatalf("retry of a redirect: ok %d calls %d followed %d %v", n, calls.Load(), inside.Load(), err)
		}
	})
}

// receiverAt names recv's address receiver.test, as DNS would: a webhook
// may not be registered at 127.0.0.1, but a name may resolve there.
func receiverAt(tb testing.TB, recv *httptest.Server) (string, func(context.Context, string) ([]netip.Addr, error)) {
	tb.Helper()
	ap := netip.MustParseAddrPort(recv.Listener.Addr().String())
	resolve := func(_ context.Context, host string) ([]netip.Addr, error) {
		if host == "receiver.test" {
			return []netip.Addr{ap.Addr()}, nil
		}
		if ip, err := netip.ParseAddr(host); err == nil {
			return []netip.Addr{ip}, nil
		}
		return nil, fmt.Errorf("no such host %s", host)
	}
	return fmt.Sprintf("http://receiver.test:%d/hooks", ap.Port()), resolve
}

// mustWebhookCase registers a webhook at url for a department and files a
// case dispatched to it: one delivery is queued.
func mustWebhookCase(tb testing.TB, s *store.Store, url string) (civic.Organisation, store.Webhook, civic.Case) {
	tb.Helper()
	ctx := context.Background()
	feats, err := store.ParseRegionFile([]byte(`{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"1101","name":"市"},"geometry":{"type":"Polygon","coordinates":[[[116,39],[117,39],[117,40],[116,40],[116,39]]]}},
{"type":"Feature","properties":{"code":"110101","name":"区"},"geometry":{"type":"Polygon","coordinates":[[[116,39],[117,39],[117,40],[116,40],[116,39]]]}}]}`))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := s.ImportRegions(ctx, civic.System, feats); err != nil {
		tb.Fatal(err)
	}
	org, err := s.CreateOrganisation(ctx, civic.System, civic.Organisation{Name: "城市管理委员会", Kind: civic.OrgDepartment, RegionCode: "110101"})
	if err != nil {
		tb.Fatal(err)
	}
	h, err := s.CreateWebhook(ctx, civic.System, org.ID, url)
	if err != nil {
		tb.Fatal(err)
	}
	limits := map[civic.Stage]civic.TimeLimit{civic.StageClaim: {Amount: 2, Unit: civic.UnitWorkHours}, civic.StageFeedback: {Amount: 1, Unit: civic.UnitWorkDays},
		civic.StageComplete: {Amount: 3, Unit: civic.UnitWorkDays}, civic.StageVisit: {Amount: 2, Unit: civic.UnitWorkDays}}
	for _, c := range []civic.Category{{Code: "03", Name: "道路", Active: true, Accepted: true},
		{Code: "0302", ParentCode: "03", Leaf: true, Name: "井盖", Type: civic.RequestHelp, Handler: civic.HandlerRule{Target: civic.HandlerDepartment, Department: "城市管理委员会"}, Limits: limits, Yellow: 0.5, Red: 0.8, Accepted: true, Active: true}} {
		if _, err := s.CreateCategory(ctx, civic.System, c); err != nil {
			tb.Fatal(err)
		}
	}
	c, _, err := s.SubmitCase(ctx, civic.System, s.NewLocator(time.Minute), store.NewCase{Source: civic.SourceAPI, CategoryCode: "0302", Title: "井盖丢失", HasLocation: true, Lng: 116.5, Lat: 39.5})
	if err != nil {
		tb.Fatal(err)
	}
	return org, h, c
}

// lockedClock is a test clock that a receiver's goroutine may move while
// the job's goroutine reads it.
type lockedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *lockedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *lockedClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestWebhookSlowReceiverTwoServers: two servers deliver from one
// database to a receiver that answers slowly, each call taking 45 seconds
// of the clock, so that server A's four calls together outlast a
// delivery's lease. Server B works the queue while A is on its fourth
// call; it may take nothing A has not finished: every delivery reaches the
// receiver once.
func TestWebhookSlowReceiverTwoServers(t *testing.T) {
	for _, e := range testdb.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			clock := &lockedClock{t: testdb.NewClock().T}
			dsn := testdb.DSN(t, e)
			a := testdb.MustOpenDSN(t, dsn, clock)
			b := testdb.MustOpenDSN(t, dsn, clock) // a second server on the same database
			var mu sync.Mutex
			seen := map[string]int{}
			var jb jobs.Webhooks
			var calls atomic.Int32
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				id := r.Header.Get("X-Civicgrid-Delivery")
				mu.Lock()
				seen[id]++
				mu.Unlock()
				clock.Advance(45 * time.Second)
				if calls.Add(1) == 4 {
					if _, err := jb.Pass(ctx); err != nil {
						t.Errorf("server B: %v", err)
					}
				}
			}))
			defer recv.Close()
			url, resolve := receiverAt(t, recv)
			org, _, c := mustWebhookCase(t, a, url)
			for i := 0; i < 3; i++ {
				if _, err := a.ActOnCase(ctx, civic.System, c.ID, store.CaseInput{Action: civic.ActWhistle, WhistleOrgIDs: []int64{org.ID}, LeadOrgID: org.ID, Note: fmt.Sprintf("第%d次", i+1)}); err != nil {
					t.Fatal(err)
				}
			}
			jb = jobs.Webhooks{Store: b, AllowLoopback: true, Resolve: resolve}
			ja := jobs.Webhooks{Store: a, AllowLoopback: true, Resolve: resolve}
			if _, err := ja.Pass(ctx); err != nil {
				t.Fatalf("server A: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(seen) != 4 {
				t.Fatalf("%d deliveries reached the receiver, want 4: %v", len(seen), seen)
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("delivery %s called %d times: %v", id, n, seen)
				}
			}
		})
	}
}

// TestWebhookShutdownMidCall: the server is told to stop while a receiver
// is answering. The call in hand is finished and recorded, and the pass
// stops there; the delivery is not sent again after its lease (as it was
// when the record was cut off with the call, and the next server sent it
// once more).
func TestWebhookShutdownMidCall(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		var calls atomic.Int32
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			stop() // SIGTERM arrives while the receiver answers
		}))
		defer recv.Close()
		url, resolve := receiverAt(t, recv)
		org, _, c := mustWebhookCase(t, s, url)
		if _, err := s.ActOnCase(context.Background(), civic.System, c.ID, store.CaseInput{Action: civic.ActWhistle, WhistleOrgIDs: []int64{org.ID}, LeadOrgID: org.ID}); err != nil {
			t.Fatal(err)
		}
		j := jobs.Webhooks{Store: s, AllowLoopback: true, Resolve: resolve}
		if n, _ := j.Pass(ctx); n != 1 || calls.Load() != 1 {
			t.Fatalf("shutting down: ok %d, %d calls; want the call in hand finished and nothing more", n, calls.Load())
		}
		clock.Advance(time.Hour)
		if n, err := j.Pass(context.Background()); err != nil || n != 1 || calls.Load() != 2 {
			t.Fatalf("after the restart: ok %d, %d calls, %v; want only the second delivery", n, calls.Load(), err)
		}
	})
}
