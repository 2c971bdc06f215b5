package store_test

import (
	"context"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestPlaceCodes: a community prints a code for a place; a resident
// reporting through it files a QR case at that place without picking it.
func TestPlaceCodes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		if _, err := s.CreatePlaceCode(ctx, w.grid, w.loc, civic.PlaceCode{Name: "x", RegionCode: grid1}); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("a grid worker makes place codes: %v", err)
		}
		if _, err := s.CreatePlaceCode(ctx, w.community, w.loc, civic.PlaceCode{Name: "外区", HasLocation: true, Lng: 116.7, Lat: 39.7}); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("a place outside the community: %v", err)
		}
		p, err := s.CreatePlaceCode(ctx, w.community, w.loc, civic.PlaceCode{Name: "幸福里小区东门", HasLocation: true, Lng: 116.1, Lat: 39.2})
		if err != nil || p.RegionCode != grid1 || len(p.Token) != 16 {
			t.Fatalf("place code: %+v %v", p, err)
		}
		c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0102", Title: "东门堆放垃圾", PlaceToken: p.Token})
		if err != nil || c.Source != civic.SourceQR || c.RegionCode != grid1 || !c.HasLocation || c.Address != "幸福里小区东门" {
			t.Fatalf("QR report: %+v %v", c, err)
		}
		if err := s.SetPlaceCodeActive(ctx, w.community, p.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, Title: "x", PlaceToken: p.Token}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("a retired code: %v", err)
		}
		if list, err := s.ListPlaceCodes(ctx, w.street); err != nil || len(list) != 1 || list[0].Active {
			t.Fatalf("list: %+v %v", list, err)
		}
	})
}
