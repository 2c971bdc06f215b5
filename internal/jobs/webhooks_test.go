package jobs_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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

		feats, err := store.ParseRegionFile([]byte(`{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"1101","name":"市"},"geometry":{"type":"Polygon","coordinates":[[[116,39],[117,39],[117,40],[116,40],[116,39]]]}},
{"type":"Feature","properties":{"code":"110101","name":"区"},"geometry":{"type":"Polygon","coordinates":[[[116,39],[117,39],[117,40],[116,40],[116,39]]]}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ImportRegions(ctx, civic.System, feats); err != nil {
			t.Fatal(err)
		}
		org, err := s.CreateOrganisation(ctx, civic.System, civic.Organisation{Name: "城市管理委员会", Kind: civic.OrgDepartment, RegionCode: "110101"})
		if err != nil {
			t.Fatal(err)
		}
		h, err := s.CreateWebhook(ctx, civic.System, org.ID, recv.URL)
		if err != nil {
			t.Fatal(err)
		}
		secret = h.Secret
		limits := map[civic.Stage]civic.TimeLimit{civic.StageClaim: {Amount: 2, Unit: civic.UnitWorkHours}, civic.StageFeedback: {Amount: 1, Unit: civic.UnitWorkDays},
			civic.StageComplete: {Amount: 3, Unit: civic.UnitWorkDays}, civic.StageVisit: {Amount: 2, Unit: civic.UnitWorkDays}}
		for _, c := range []civic.Category{{Code: "03", Name: "道路", Active: true, Accepted: true},
			{Code: "0302", ParentCode: "03", Leaf: true, Name: "井盖", Type: civic.RequestHelp, Handler: civic.HandlerRule{Target: civic.HandlerDepartment, Department: "城市管理委员会"}, Limits: limits, Yellow: 0.5, Red: 0.8, Accepted: true, Active: true}} {
			if _, err := s.CreateCategory(ctx, civic.System, c); err != nil {
				t.Fatal(err)
			}
		}
		c, _, err := s.SubmitCase(ctx, civic.System, s.NewLocator(time.Minute), store.NewCase{Source: civic.SourceAPI, CategoryCode: "0302", Title: "井盖丢失", HasLocation: true, Lng: 116.5, Lat: 39.5})
		if err != nil {
			t.Fatal(err)
		}
		j := jobs.Webhooks{Store: s, Client: recv.Client()}
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
