package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/files"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// photoMeta describes a stored photo without storing one: the store only
// keeps the description.
func photoMeta(name string, gps *files.GPS) files.Meta {
	h := func(s string) string { b := sha256.Sum256([]byte(s)); return hex.EncodeToString(b[:]) }
	return files.Meta{SHA256: h(name), PublicSHA256: h(name + "/public"), MIME: files.JPEG, Size: 1000, Width: 40, Height: 30, GPS: gps}
}

func photoMetas(prefix string, n int) []files.Meta {
	var out []files.Meta
	for i := 0; i < n; i++ {
		out = append(out, photoMeta(prefix+string(rune('a'+i)), nil))
	}
	return out
}

func mustPhotos(t *testing.T, s *store.Store, a civic.Actor, id int64) []store.CasePhoto {
	t.Helper()
	ps, err := s.CasePhotos(context.Background(), a, id)
	if err != nil {
		t.Fatalf("photos as %s: %v", a.Username, err)
	}
	return ps
}

// TestCasePhotos attaches photos at each stage by the one who may, and
// checks who sees which copy and may fetch which file.
func TestCasePhotos(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		u, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: "neighbour", DisplayName: "neighbour", Password: "password-neighbour", Role: civic.RoleResident, Scope: civic.Scope{RegionCode: "110101001001"}})
		if err != nil {
			t.Fatal(err)
		}
		neighbour := store.ActorOf(u, "")
		c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0101", Title: "占道经营", HasLocation: true, Lng: 116.1, Lat: 39.2})
		if err != nil {
			t.Fatal(err)
		}
		gps := &files.GPS{Lat: 39.2, Lng: 116.1}
		report := []files.Meta{photoMeta("stall", gps), photoMeta("pavement", nil)}
		if err := s.AddCasePhotos(ctx, w.resident, c.ID, report, store.PhotoReport); err != nil {
			t.Fatalf("reporter adds photos: %v", err)
		}
		// A retried upload adds nothing and says nothing.
		if err := s.AddCasePhotos(ctx, w.resident, c.ID, report, store.PhotoReport); err != nil {
			t.Fatalf("retry: %v", err)
		}
		if ps := mustPhotos(t, s, w.street, c.ID); len(ps) != 2 || ps[0].GPS == nil || ps[0].SHA256 != report[0].SHA256 || ps[0].EventID == 0 {
			t.Fatalf("staff see %+v", ps)
		}
		events, _ := s.CaseEvents(ctx, w.resident, c.ID)
		var photoEvents int
		for _, e := range events {
			if strings.Contains(e.Data, `"photos":2`) {
				photoEvents++
				if !e.Public || !strings.Contains(e.Note, "上报照片2张") {
					t.Errorf("photo event %+v", e)
				}
			}
		}
		if photoEvents != 1 {
			t.Errorf("%d photo events, want 1", photoEvents)
		}

		refusals := []struct {
			name  string
			a     civic.Actor
			metas []files.Meta
			stage store.PhotoStage
			want  civic.ErrorCode
		}{
			{"past nine in a stage", w.resident, photoMetas("more", 8), store.PhotoReport, civic.EInvalid},
			{"ten at once", w.resident, photoMetas("many", 10), store.PhotoReport, civic.EInvalid},
			{"none", w.resident, nil, store.PhotoReport, civic.EInvalid},
			{"unknown stage", w.resident, photoMetas("x", 1), store.PhotoStage("after"), civic.EInvalid},
			{"not a photo", w.resident, []files.Meta{{SHA256: "../../etc/passwd", PublicSHA256: "x", MIME: "text/plain", Size: 1}}, store.PhotoReport, civic.EInvalid},
			{"another resident", neighbour, photoMetas("n", 1), store.PhotoReport, civic.ENotFound},
			{"staff as the reporter", w.street, photoMetas("s", 1), store.PhotoReport, civic.EForbidden},
			{"the handler before claiming", w.handler, photoMetas("h", 1), store.PhotoHandle, civic.EConflict},
			{"another handler", w.otherHandler, photoMetas("o", 1), store.PhotoHandle, civic.ENotFound},
			{"the reporter as handler", w.resident, photoMetas("r", 1), store.PhotoHandle, civic.EForbidden},
			{"a verifier before handling", w.grid, photoMetas("g", 1), store.PhotoVerify, civic.EConflict},
			{"a verifier of another grid", w.outsider, photoMetas("v", 1), store.PhotoVerify, civic.ENotFound},
		}
		for _, tt := range refusals {
			t.Run(tt.name, func(t *testing.T) {
				if err := s.AddCasePhotos(ctx, tt.a, c.ID, tt.metas, tt.stage); civic.ErrorCodeOf(err) != tt.want {
					t.Fatalf("%v, want %s", err, tt.want)
				}
			})
		}
		if err := s.AddCasePhotos(ctx, w.resident, c.ID, photoMetas("more", 7), store.PhotoReport); err != nil {
			t.Fatalf("up to nine: %v", err)
		}

		// The handler reports back with photos of the work: one
		// transaction, refused as a whole when the action is.
		w.act(t, w.handler, c.ID, store.CaseInput{Action: civic.ActClaim})
		work := []files.Meta{photoMeta("cleared", gps), photoMeta("barrier", nil)}
		err = s.ActOnCaseWithPhotos(ctx, w.handler, c.ID, store.CaseInput{Action: civic.ActHandle}, work, store.PhotoHandle)
		if civic.ErrorCodeOf(err) != civic.EInvalid || !strings.Contains(civic.AsError(err).Fields[0].Field, "note") {
			t.Fatalf("report-back without a note: %v", err)
		}
		if ps := mustPhotos(t, s, w.street, c.ID); len(ps) != 9 {
			t.Fatalf("a refused report-back wrote photos: %d", len(ps))
		}
		if err := s.ActOnCaseWithPhotos(ctx, w.handler, c.ID, store.CaseInput{Action: civic.ActClaim}, work, store.PhotoHandle); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("claim with photos: %v", err)
		}
		if err := s.ActOnCaseWithPhotos(ctx, w.handler, c.ID, store.CaseInput{Action: civic.ActHandle, Note: "已清理"}, work, store.PhotoHandle); err != nil {
			t.Fatalf("report back with photos: %v", err)
		}
		if got, _ := s.GetCase(ctx, civic.System, c.ID); got.State != civic.StateHandled {
			t.Fatalf("state %s", got.State)
		}
		events, _ = s.CaseEvents(ctx, civic.System, c.ID)
		handle := events[len(events)-1]
		if handle.Action != civic.ActHandle || !strings.Contains(handle.Data, `"photos":2`) {
			t.Fatalf("handle event %+v", handle)
		}
		// The grid worker verifies with a photo of their own.
		check := []files.Meta{photoMeta("checked", gps)}
		if err := s.ActOnCaseWithPhotos(ctx, w.grid, c.ID, store.CaseInput{Action: civic.ActVerifyPass}, check, store.PhotoVerify); err != nil {
			t.Fatalf("verify with photos: %v", err)
		}
		all := mustPhotos(t, s, w.street, c.ID)
		if len(all) != 12 || all[9].Stage != store.PhotoHandle || all[9].EventID != handle.ID || all[11].Stage != store.PhotoVerify {
			t.Fatalf("staff see %d photos: %+v", len(all), all)
		}
		// Closed: the reporter adds no more.
		if err := s.AddCasePhotos(ctx, w.resident, c.ID, photoMetas("late", 1), store.PhotoReport); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Fatalf("photos on a closed case: %v", err)
		}

		mine := mustPhotos(t, s, w.resident, c.ID)
		if len(mine) != 11 {
			t.Fatalf("the reporter sees %d photos, want the 11 of report and handling", len(mine))
		}
		for _, p := range mine {
			if p.SHA256 != "" || p.GPS != nil || p.UploadedBy != 0 || p.PublicSHA256 == "" || p.Stage == store.PhotoVerify {
				t.Fatalf("the reporter sees %+v", p)
			}
		}
		if _, err := s.CasePhotos(ctx, neighbour, c.ID); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("a neighbour lists photos: %v", err)
		}

		access := []struct {
			name   string
			a      civic.Actor
			sha    string
			public bool
			want   civic.ErrorCode
		}{
			{"reporter, public copy", w.resident, report[0].PublicSHA256, true, ""},
			{"reporter, original", w.resident, report[0].SHA256, false, civic.ENotFound},
			{"reporter, handling photo", w.resident, work[0].PublicSHA256, true, ""},
			{"reporter, verification photo", w.resident, check[0].PublicSHA256, false, civic.ENotFound},
			{"neighbour, public copy", neighbour, report[0].PublicSHA256, false, civic.ENotFound},
			{"street staff, original", w.street, report[0].SHA256, false, ""},
			{"street staff, verification", w.street, check[0].SHA256, false, ""},
			{"handler, original", w.handler, work[1].SHA256, false, ""},
			{"another grid's worker", w.outsider, report[0].PublicSHA256, false, civic.ENotFound},
			{"a file of no case", w.street, photoMeta("nowhere", nil).SHA256, false, civic.ENotFound},
			{"not a name", w.street, "../" + report[0].SHA256, false, civic.ENotFound},
		}
		for _, tt := range access {
			t.Run(tt.name, func(t *testing.T) {
				public, err := s.PhotoAccess(ctx, tt.a, tt.sha)
				if civic.ErrorCodeOf(err) != tt.want || err == nil && public != tt.public {
					t.Fatalf("public %v, err %v; want %v, %q", public, err, tt.public, tt.want)
				}
			})
		}
	})
}
