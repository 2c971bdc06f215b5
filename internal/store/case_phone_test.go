package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/internal/vault"
)

// rawCasePhone is what the database holds for a case's reporter phone.
func rawCasePhone(t *testing.T, s *store.Store, id int64) (stored, hash string) {
	t.Helper()
	if err := s.QueryRowForTest(context.Background(), `SELECT reporter_phone, reporter_phone_hash FROM cases WHERE id = ?`, id).Scan(&stored, &hash); err != nil {
		t.Fatal(err)
	}
	return stored, hash
}

// TestCasePhonesSealed: reporters' phones are stored sealed with a lookup
// hash, shown to those who may see them, found by an exact search, kept
// sealed when a co-reporter joins or a case is merged, and a phone stored
// in clear before migration 0036 is sealed by it and still found.
func TestCasePhonesSealed(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0102", Title: "楼道堆物",
			HasLocation: true, Lng: 116.1, Lat: 39.2, ReporterPhone: "13912345678"})
		if err != nil {
			t.Fatal(err)
		}
		stored, hash := rawCasePhone(t, s, c.ID)
		if !strings.HasPrefix(stored, "v") || strings.Contains(stored, "5678") || hash == "" {
			t.Fatalf("stored reporter phone %q hash %q", stored, hash)
		}
		if got, _ := s.GetCase(ctx, w.operator, c.ID); got.ReporterPhone != "13912345678" {
			t.Fatalf("the operator reads %q", got.ReporterPhone)
		}
		if got, _ := s.GetCase(ctx, w.grid, c.ID); got.ReporterPhone != "139****5678" {
			t.Fatalf("the grid worker reads %q", got.ReporterPhone)
		}
		if got, _, err := s.ListCases(ctx, w.operator, store.CaseFilter{Phone: "13912345678"}); err != nil || len(got) != 1 || got[0].ReporterPhone != "13912345678" {
			t.Fatalf("search by the phone: %+v %v", got, err)
		}

		// A co-reporter's phone is sealed too, and shown as the case's is.
		if _, err := s.JoinCase(ctx, w.operator, c.ID, store.JoinInput{Name: "来电人", Phone: "13800001111", Source: civic.SourceHotline}); err != nil {
			t.Fatal(err)
		}
		var joined string
		if err := s.QueryRowForTest(ctx, `SELECT phone FROM case_reporters WHERE case_id = ?`, c.ID).Scan(&joined); err != nil || strings.Contains(joined, "1111") {
			t.Fatalf("stored co-reporter phone %q %v", joined, err)
		}
		rs, err := s.CaseReporters(ctx, w.operator, c.ID)
		if err != nil || len(rs) != 1 || rs[0].Phone != "13800001111" {
			t.Fatalf("co-reporters for the operator: %+v %v", rs, err)
		}

		// A merged case's reporter moves with the phone sealed.
		dup, _, err := s.SubmitCase(ctx, w.operator, w.loc, store.NewCase{Source: civic.SourceHotline, CategoryCode: "0102", Title: "楼道又堆满了",
			HasLocation: true, Lng: 116.1001, Lat: 39.2, ReporterPhone: "13700002222"})
		if err != nil {
			t.Fatal(err)
		}
		w.act(t, w.community, dup.ID, store.CaseInput{Action: civic.ActMerge, MergeInto: c.ID})
		rs, err = s.CaseReporters(ctx, w.operator, c.ID)
		if err != nil || len(rs) != 2 || rs[1].Phone != "13700002222" {
			t.Fatalf("co-reporters after the merge: %+v %v", rs, err)
		}
		var moved, movedHash string
		if err := s.QueryRowForTest(ctx, `SELECT phone, phone_hash FROM case_reporters WHERE from_case_id = ?`, dup.ID).Scan(&moved, &movedHash); err != nil || strings.Contains(moved, "2222") || movedHash == "" {
			t.Fatalf("moved reporter phone %q %q %v", moved, movedHash, err)
		}

		// A database from before 0036 (or written without keys) held
		// phones in clear: they read as written, and the next migration
		// run with keys seals them.
		if _, err := s.ExecForTest(ctx, `UPDATE cases SET reporter_phone = ?, reporter_phone_hash = '' WHERE id = ?`, "13600003333", c.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetCase(ctx, w.operator, c.ID); err != nil || got.ReporterPhone != "13600003333" {
			t.Fatalf("a phone in clear: %q %v", got.ReporterPhone, err)
		}
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if stored, hash := rawCasePhone(t, s, c.ID); strings.Contains(stored, "3333") || hash == "" {
			t.Fatalf("after sealing: %q %q", stored, hash)
		}
		if got, _, err := s.ListCases(ctx, w.operator, store.CaseFilter{Phone: "13600003333"}); err != nil || len(got) != 1 || got[0].ReporterPhone != "13600003333" {
			t.Fatalf("a sealed phone from before: %+v %v", got, err)
		}
		if near, _ := s.NearbyOpenCases(ctx, w.resident, geo.Point{Lng: 116.1, Lat: 39.2}, store.WGS84, "", 0); len(near) == 0 {
			t.Fatal("nearby after sealing")
		}
	})
}

// TestCasePhoneRotation: after a key rotation the reporter phones are
// resealed under the new key, so that the old one can be dropped.
func TestCasePhoneRotation(t *testing.T) {
	for _, e := range testdb.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			dsn := testdb.DSN(t, e)
			spec1, err := vault.Generate()
			if err != nil {
				t.Fatal(err)
			}
			k1, _ := vault.Parse(spec1)
			s1 := testdb.MustOpenWith(t, dsn, nil, k1)
			w := mustCaseWorld(t, s1)
			c, _, err := s1.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0102", Title: "楼道堆物",
				HasLocation: true, Lng: 116.1, Lat: 39.2, ReporterPhone: "13912345678"})
			if err != nil {
				t.Fatal(err)
			}
			spec2, _, err := vault.AddVersion(spec1)
			if err != nil {
				t.Fatal(err)
			}
			k2, _ := vault.Parse(spec2)
			s2 := testdb.MustOpenWith(t, dsn, nil, k2)
			if n, err := s2.ResealCasePhones(ctx); err != nil || n != 1 {
				t.Fatalf("reseal: %d %v", n, err)
			}
			if n, err := s2.ResealCasePhones(ctx); err != nil || n != 0 {
				t.Fatalf("second reseal: %d %v", n, err)
			}
			s3 := testdb.MustOpenWith(t, dsn, nil, withoutKey1(t, spec2))
			if got, err := s3.GetCase(ctx, w.operator, c.ID); err != nil || got.ReporterPhone != "13912345678" {
				t.Fatalf("after rotation: %q %v", got.ReporterPhone, err)
			}
			if got, _, err := s3.ListCases(ctx, w.operator, store.CaseFilter{Phone: "13912345678"}); err != nil || len(got) != 1 {
				t.Fatalf("search after rotation: %d %v", len(got), err)
			}
		})
	}
}
