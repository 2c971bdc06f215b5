package open311_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// BenchmarkOpen311RequestsByID reads a full list by service_request_id:
// 100 requests (the most one query may name), a tenth of them merged into
// another, as the operator account sees them. The store reads them, and
// where the merged ones went, in a few queries rather than one per request.
func BenchmarkOpen311RequestsByID(b *testing.B) {
	for _, engine := range testdb.Engines(b) {
		b.Run(string(engine), func(b *testing.B) {
			clock := testdb.NewClock()
			s := testdb.MustOpen(b, engine, clock)
			e := mustEnv(b, s, clock)
			var refs []string
			for i := range 100 {
				refs = append(refs, e.mustFile(url.Values{"service_code": {"0101"}, "lat": {"39.95"}, "long": {"116.35"}, "description": {fmt.Sprintf("第%d盏路灯坏了", i)}}))
			}
			for i := 0; i < len(refs); i += 10 {
				if _, err := s.ActOnCase(context.Background(), civic.System, e.mustCase(refs[i]).ID,
					store.CaseInput{Action: civic.ActMerge, MergeInto: e.mustCase(refs[i+1]).ID}); err != nil {
					b.Fatal(err)
				}
			}
			path := "/open311/v2/requests.json?api_key=" + e.op + "&service_request_id=" + strings.Join(refs, ",")
			for b.Loop() {
				if r := e.get(path); r.Status != http.StatusOK || strings.Count(r.Body, `"service_request_id"`) != 100 {
					b.Fatalf("%d %s", r.Status, r.Body)
				}
			}
		})
	}
}
