package jobs_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/jobs"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestReportRunner lets two runners (two servers) pass at once just after
// midnight on the 1st, and again: the three default templates make exactly
// one report each for the one street; the next day adds one daily report.
func TestReportRunner(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		feats, err := store.ParseRegionFile([]byte(`{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"1101","name":"市"},"geometry":{"type":"Polygon","coordinates":[[[116,39],[117,39],[117,40],[116,40],[116,39]]]}},
{"type":"Feature","properties":{"code":"110101","name":"区"},"geometry":{"type":"Polygon","coordinates":[[[116,39],[117,39],[117,40],[116,40],[116,39]]]}},
{"type":"Feature","properties":{"code":"110101001","name":"街道"},"geometry":{"type":"Polygon","coordinates":[[[116,39],[117,39],[117,40],[116,40],[116,39]]]}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ImportRegions(ctx, civic.System, feats); err != nil {
			t.Fatal(err)
		}
		clock.T = time.Date(2026, 4, 1, 0, 20, 0, 0, civic.ChinaTime)
		var wg sync.WaitGroup
		made := make([]int, 2)
		for i := range made {
			wg.Add(1)
			go func() { defer wg.Done(); made[i] = jobs.Reports{Store: s}.Pass(ctx) }()
		}
		wg.Wait()
		if made[0]+made[1] != 3 {
			t.Errorf("two runners made %v, want 3 in all", made)
		}
		// The lease holds for the period; a pass after it finds nothing new.
		clock.T = clock.T.Add(6 * time.Minute)
		if n := (jobs.Reports{Store: s}).Pass(ctx); n != 0 {
			t.Errorf("second pass made %d", n)
		}
		rs, total, err := s.ListReports(ctx, civic.System, store.ReportFilter{})
		if err != nil || total != 3 {
			t.Fatalf("%d reports (%v)", total, err)
		}
		kinds := map[civic.ReportKind]string{}
		for _, r := range rs {
			kinds[r.Kind] = r.From
		}
		if kinds[civic.ReportDaily] != "2026-03-31" || kinds[civic.ReportWeekly] != "2026-03-23" || kinds[civic.ReportMonthly] != "2026-03-01" {
			t.Errorf("periods %v", kinds)
		}
		clock.T = time.Date(2026, 4, 2, 0, 20, 0, 0, civic.ChinaTime)
		if n := (jobs.Reports{Store: s}).Pass(ctx); n != 1 {
			t.Errorf("next day made %d, want 1", n)
		}
	})
}
