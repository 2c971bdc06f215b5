package store_test

import (
	"context"
	"database/sql"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// walk is a track north from (116.1, 39.2), one point every 30 s, 0.001°
// of latitude (about 111 m) apart.
func walk(start time.Time, from, n int) []civic.TrackPoint {
	var out []civic.TrackPoint
	for i := from; i < from+n; i++ {
		out = append(out, civic.TrackPoint{Seq: int64(i + 1), Lng: 116.1, Lat: 39.2 + 0.001*float64(i), Accuracy: 8, At: start.Add(time.Duration(i) * 30 * time.Second)})
	}
	return out
}

// metresPerMilliDegree is 0.001° of latitude on the mean sphere.
const metresPerMilliDegree = math.Pi * 6371008.8 / 180 / 1000

func TestPatrolLifecycle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		p, err := s.StartPatrol(ctx, w.grid, "")
		if err != nil {
			t.Fatal(err)
		}
		if p.GridCode != grid1 || !p.Open() || p.WorkerName != "gridworker" || p.GridName != "一号网格" {
			t.Fatalf("started %+v", p)
		}
		// One open patrol per worker.
		if _, err := s.StartPatrol(ctx, w.grid, grid1); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Fatalf("second start: %v", err)
		}
		if open, ok, err := s.OpenPatrol(ctx, w.grid); err != nil || !ok || open.ID != p.ID {
			t.Fatalf("open patrol %+v %v %v", open, ok, err)
		}
		// Scope: the other grid's worker neither sees nor adds; a
		// supervisor sees but does not add; a worker cannot patrol
		// elsewhere.
		if _, err := s.GetPatrol(ctx, w.outsider, p.ID); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("outsider reads: %v", err)
		}
		if _, err := s.AddTrack(ctx, w.outsider, p.ID, walk(p.StartedAt, 0, 1)); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("outsider adds points: %v", err)
		}
		if _, n, _ := s.ListPatrols(ctx, w.outsider, store.PatrolFilter{}); n != 0 {
			t.Fatalf("outsider lists %d patrols", n)
		}
		if _, err := s.StartPatrol(ctx, w.outsider, grid1); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("outsider patrols grid1: %v", err)
		}
		if _, err := s.GetPatrol(ctx, w.community, p.ID); err != nil {
			t.Fatalf("supervisor reads: %v", err)
		}
		if _, err := s.AddTrack(ctx, w.community, p.ID, walk(p.StartedAt, 0, 1)); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("supervisor adds points: %v", err)
		}
		if _, err := s.StartPatrol(ctx, w.handler, grid1); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("a handler patrols: %v", err)
		}

		// Ten points, 9 legs of ~111 m; sent in two batches, the first
		// sent twice (a lost reply) and overlapping the second.
		clock.Advance(5 * time.Minute)
		track := walk(p.StartedAt, 0, 10)
		for i, batch := range [][]civic.TrackPoint{track[:6], track[:6], track[4:]} {
			n, err := s.AddTrack(ctx, w.grid, p.ID, batch)
			if want := []int{6, 0, 4}[i]; err != nil || n != want {
				t.Fatalf("batch %d: %d new, want %d: %v", i, n, want, err)
			}
		}
		// A point 2 km off in 30 s is a GPS jump; one 500 m inaccurate is
		// noise: both are stored, neither adds distance.
		last := track[9]
		noise := []civic.TrackPoint{
			{Seq: 11, Lng: 116.1, Lat: last.Lat + 0.02, Accuracy: 10, At: last.At.Add(30 * time.Second)},
			{Seq: 12, Lng: 116.11, Lat: last.Lat, Accuracy: 500, At: last.At.Add(60 * time.Second)},
		}
		if n, err := s.AddTrack(ctx, w.grid, p.ID, noise); err != nil || n != 2 {
			t.Fatalf("noise: %d %v", n, err)
		}
		for _, bad := range [][]civic.TrackPoint{
			{{Seq: 0, Lng: 116.1, Lat: 39.2}},
			{{Seq: 20, Lng: 190, Lat: 39.2}},
			{{Seq: 21, Lng: 116.1, Lat: 39.2, At: clock.T.Add(time.Hour)}},
			{{Seq: 22, Lng: 116.1, Lat: 39.2, Accuracy: -1}},
			nil,
		} {
			if _, err := s.AddTrack(ctx, w.grid, p.ID, bad); civic.ErrorCodeOf(err) != civic.EInvalid {
				t.Fatalf("bad points %+v: %v", bad, err)
			}
		}

		// A finding with a place becomes one case, once, whoever taps.
		f, err := s.AddFinding(ctx, w.grid, p.ID, civic.Finding{Text: "3号楼楼道堆放杂物\n堵塞消防通道", CategoryCode: "0102", HasLocation: true, Lng: 116.1, Lat: 39.2}, "k1")
		if err != nil {
			t.Fatal(err)
		}
		if again, err := s.AddFinding(ctx, w.grid, p.ID, civic.Finding{Text: "3号楼楼道堆放杂物\n堵塞消防通道"}, "k1"); err != nil || again.ID != f.ID {
			t.Fatalf("finding retry: %+v %v", again, err)
		}
		if _, err := s.AddFinding(ctx, w.grid, p.ID, civic.Finding{Text: " "}, ""); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("empty finding: %v", err)
		}
		if _, _, err := s.FindingToCase(ctx, w.outsider, w.loc, f.ID, ""); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("outsider files the finding: %v", err)
		}
		c, existing, err := s.FindingToCase(ctx, w.grid, w.loc, f.ID, "")
		if err != nil || existing {
			t.Fatalf("finding to case: %v existing=%v", err, existing)
		}
		if c.Source != civic.SourcePatrol || c.Title != "3号楼楼道堆放杂物" || c.CategoryCode != "0102" || c.RegionCode != grid1 || !c.HasLocation || c.ReporterID != w.grid.UserID {
			t.Fatalf("case %+v", c)
		}
		for _, a := range []civic.Actor{w.grid, w.community} {
			again, existing, err := s.FindingToCase(ctx, a, w.loc, f.ID, "")
			if err != nil || !existing || again.ID != c.ID {
				t.Fatalf("second tap by %s: %d existing=%v %v", a.Username, again.ID, existing, err)
			}
		}
		if _, n, _ := s.ListCases(ctx, civic.System, store.CaseFilter{}); n != 1 {
			t.Fatalf("%d cases, want 1", n)
		}
		fs, err := s.PatrolFindings(ctx, w.community, p.ID)
		if err != nil || len(fs) != 1 || fs[0].CaseID != c.ID || fs[0].CaseNumber != c.Number {
			t.Fatalf("findings %+v %v", fs, err)
		}

		// Stop: distance from the trusted track, duration, final.
		clock.Advance(30 * time.Minute)
		if _, err := s.StopPatrol(ctx, w.outsider, p.ID, ""); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("outsider stops: %v", err)
		}
		done, err := s.StopPatrol(ctx, w.grid, p.ID, "一切正常")
		if err != nil {
			t.Fatal(err)
		}
		if want := 9 * metresPerMilliDegree; math.Abs(done.DistanceM-want) > 0.5 {
			t.Fatalf("distance %.2f m, want %.2f", done.DistanceM, want)
		}
		if done.Points != 12 || done.Findings != 1 || done.Open() || done.Duration(clock.T) != 35*time.Minute || done.Note != "一切正常" {
			t.Fatalf("stopped %+v", done)
		}
		if _, err := s.AddTrack(ctx, w.grid, p.ID, walk(p.StartedAt, 12, 1)); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Fatalf("points after stop: %v", err)
		}
		if _, err := s.StopPatrol(ctx, w.grid, p.ID, ""); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Fatalf("second stop: %v", err)
		}
		if pts, err := s.PatrolTrack(ctx, w.street, p.ID); err != nil || len(pts) != 12 || pts[0].Seq != 1 {
			t.Fatalf("track %d %v", len(pts), err)
		}
		// After the stop a new patrol may start.
		if _, err := s.StartPatrol(ctx, w.grid, ""); err != nil {
			t.Fatalf("start after stop: %v", err)
		}
		if _, n, _ := s.ListPatrols(ctx, w.community, store.PatrolFilter{}); n != 2 {
			t.Fatalf("supervisor lists %d patrols", n)
		}
		if entries, _, _ := s.ListAudit(ctx, civic.System, store.AuditFilter{Entity: "patrol"}); len(entries) < 5 {
			t.Fatalf("%d patrol audit entries", len(entries))
		}
	})
}

// TestTrackTimesStoredInUTC sends a point with the phone's offset
// (+08:00): it reads back as the same instant on both engines, and SQLite,
// which keeps a time as text and compares that text, holds it in UTC like
// every other time, so that it orders with them.
func TestTrackTimesStoredInUTC(t *testing.T) {
	for _, e := range testdb.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			dsn := testdb.DSN(t, e)
			s := testdb.MustOpenDSN(t, dsn, testdb.NewClock())
			w := mustCaseWorld(t, s)
			p, err := s.StartPatrol(ctx, w.grid, "")
			if err != nil {
				t.Fatal(err)
			}
			at := p.StartedAt.Add(30 * time.Second)
			phone := at.In(time.FixedZone("", 8*3600))
			if _, err := s.AddTrack(ctx, w.grid, p.ID, []civic.TrackPoint{{Seq: 1, Lng: 116.1, Lat: 39.2, Accuracy: 8, At: phone}}); err != nil {
				t.Fatal(err)
			}
			pts, err := s.PatrolTrack(ctx, w.grid, p.ID)
			if err != nil || len(pts) != 1 || !pts[0].At.Equal(at) || pts[0].At.Location() != time.UTC {
				t.Fatalf("track %+v %v, want one point at %v", pts, err, at)
			}
			if e != store.SQLite {
				return
			}
			db, err := sql.Open("sqlite", dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var raw string
			if err := db.QueryRowContext(ctx, `SELECT CAST(at AS TEXT) FROM patrol_points WHERE patrol_id = ?`, p.ID).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if want := at.UTC().Format("2006-01-02 15:04:05"); !strings.HasPrefix(raw, want) || !(strings.HasSuffix(raw, "+00:00") || strings.HasSuffix(raw, "Z")) {
				t.Errorf("SQLite keeps the point's time as %q, want %s in UTC", raw, want)
			}
		})
	}
}

func TestTrackDistanceSkipsJumps(t *testing.T) {
	at := time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		pts  []civic.TrackPoint
		want float64
	}{
		{"empty", nil, 0},
		{"one point", walk(at, 0, 1), 0},
		{"straight", walk(at, 0, 4), 3 * metresPerMilliDegree},
		{"inaccurate first point", append([]civic.TrackPoint{{Seq: 1, Lng: 117, Lat: 40, Accuracy: 1000, At: at}}, walk(at, 1, 2)...), metresPerMilliDegree},
		{"jump then back", []civic.TrackPoint{walk(at, 0, 1)[0], {Seq: 2, Lng: 116.2, Lat: 39.2, At: at.Add(time.Second)}, walk(at, 1, 1)[0]}, metresPerMilliDegree},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := store.TrackDistance(tt.pts); math.Abs(got-tt.want) > 0.01 {
				t.Fatalf("distance %.3f, want %.3f", got, tt.want)
			}
		})
	}
}
