package jobs_test

import (
	"context"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/jobs"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestImportRunner queues a houses import and lets the runner pick it up
// and finish it; a second pass finds nothing to do.
func TestImportRunner(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		feats, err := store.ParseRegionFile([]byte(`{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"1101","name":"市"},"geometry":{"type":"Polygon","coordinates":[[[116,39],[117,39],[117,40],[116,40],[116,39]]]}},
{"type":"Feature","properties":{"code":"110101","name":"区"},"geometry":{"type":"Polygon","coordinates":[[[116,39],[117,39],[117,40],[116,40],[116,39]]]}},
{"type":"Feature","properties":{"code":"110101001","name":"街道"},"geometry":{"type":"Polygon","coordinates":[[[116,39],[117,39],[117,40],[116,40],[116,39]]]}},
{"type":"Feature","properties":{"code":"110101001001","name":"社区"},"geometry":{"type":"Polygon","coordinates":[[[116,39],[117,39],[117,40],[116,40],[116,39]]]}},
{"type":"Feature","properties":{"code":"110101001001001","name":"网格"},"geometry":{"type":"Polygon","coordinates":[[[116,39],[117,39],[117,40],[116,40],[116,39]]]}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ImportRegions(ctx, civic.System, feats); err != nil {
			t.Fatal(err)
		}
		u, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: "community", DisplayName: "社工", Password: "password-community", Role: civic.RoleCommunityStaff, Scope: civic.Scope{RegionCode: "110101001001"}})
		if err != nil {
			t.Fatal(err)
		}
		a := store.ActorOf(u, "")
		im, err := s.StartImport(ctx, a, civic.ImportHouses, "houses.csv", []byte("网格编码,小区,楼栋,单元,楼层,门牌号\n110101001001001,和平里,1号楼,1,2,201\n110101001001001,和平里,1号楼,1,3,301\n"))
		if err != nil {
			t.Fatal(err)
		}
		j := jobs.Imports{Store: s}
		if n, err := j.Pass(ctx); err != nil || n != 1 {
			t.Fatalf("pass finished %d: %v", n, err)
		}
		if n, err := j.Pass(ctx); err != nil || n != 0 {
			t.Fatalf("second pass finished %d: %v", n, err)
		}
		im, err = s.GetImport(ctx, a, im.ID)
		if err != nil || im.State != civic.ImportDone || im.Created != 2 || im.Done != 2 {
			t.Fatalf("import %+v %v", im, err)
		}
		if _, n, _ := s.ListHouses(ctx, a, store.PlaceFilter{}); n != 2 {
			t.Fatalf("%d houses", n)
		}
	})
}
