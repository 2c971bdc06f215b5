package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestMigrationNamesMatch keeps the two engines' migration folders in step.
func TestMigrationNamesMatch(t *testing.T) {
	names := func(e store.Engine) []string {
		ents, err := os.ReadDir(filepath.Join("migrations", string(e)))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range ents {
			if !e.IsDir() {
				out = append(out, e.Name())
			}
		}
		sort.Strings(out)
		return out
	}
	sq, pg := names(store.SQLite), names(store.Postgres)
	if len(sq) == 0 || !reflect.DeepEqual(sq, pg) {
		t.Fatalf("migration files differ:\nsqlite:   %v\npostgres: %v", sq, pg)
	}
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		if _, err := store.Migrations(e); err != nil {
			t.Errorf("%s: %v", e, err)
		}
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		applied, err := s.Migrate(context.Background())
		if err != nil || len(applied) != 0 {
			t.Fatalf("second migrate applied %v, err %v", applied, err)
		}
		v, err := s.SchemaVersion(context.Background())
		if err != nil || v < 1 {
			t.Fatalf("schema version %d, %v", v, err)
		}
	})
}

func TestSQLitePragmas(t *testing.T) {
	dsn := testdb.DSN(t, store.SQLite)
	s := testdb.MustOpenDSN(t, dsn, nil)
	_ = s
	// A second handle sees the journal mode persisted in the file.
	if b, err := os.ReadFile(dsn); err != nil || len(b) < 100 || b[18] != 2 || b[19] != 2 {
		t.Fatalf("file header does not say WAL (bytes 18-19 = 2): err %v", err)
	}
}

func rect(minLng, minLat, maxLng, maxLat float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`,
		minLng, minLat, maxLng, minLat, maxLng, maxLat, minLng, maxLat, minLng, minLat)
}

func feature(code, name, geom string) string {
	return fmt.Sprintf(`{"type":"Feature","properties":{"code":%q,"name":%q},"geometry":%s}`, code, name, geom)
}

func collection(fs ...string) []byte {
	return []byte(`{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`)
}

// base is a city with one district and one street.
var base = []string{
	feature("1101", "测试市", rect(116.0, 39.0, 117.0, 40.0)),
	feature("110101", "甲区", rect(116.0, 39.0, 116.5, 40.0)),
	feature("110101001", "甲一街道", rect(116.0, 39.0, 116.5, 39.5)),
	feature("110101001001", "甲一社区", rect(116.0, 39.0, 116.5, 39.5)),
}

func mustImport(t *testing.T, s *store.Store, fc []byte) store.ImportReport {
	t.Helper()
	feats, err := store.ParseRegionFile(fc)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	rep, err := s.ImportRegions(context.Background(), civic.System, feats)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return rep
}

func countRegions(t *testing.T, s *store.Store) int {
	t.Helper()
	_, n, err := s.ListRegions(context.Background(), civic.System, store.RegionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportRejects feeds broken files and expects each to be refused as a
// whole with a message naming the feature and the reason.
func TestImportRejects(t *testing.T) {
	tests := []struct {
		name string
		file []byte
		want []string // substrings of the Chinese message
	}{
		{"not json", []byte(`{"type":`), []string{"不是有效的 GeoJSON"}},
		{"not a collection", []byte(`{"type":"Feature"}`), []string{"FeatureCollection"}},
		{"unclosed ring", collection(append(base, feature("110101001001001", "开口网格",
			`{"type":"Polygon","coordinates":[[[116.1,39.1],[116.2,39.1],[116.2,39.2],[116.1,39.2]]]}`))...), []string{"第5个要素（110101001001001 开口网格）", "未闭合"}},
		{"self-intersecting ring", collection(append(base, feature("110101001001001", "蝴蝶网格",
			`{"type":"Polygon","coordinates":[[[116.1,39.1],[116.2,39.2],[116.2,39.1],[116.1,39.2],[116.1,39.1]]]}`))...), []string{"蝴蝶网格", "自相交"}},
		{"coordinates out of range", collection(append(base, feature("110101001001001", "越界网格", rect(116.1, 89.5, 116.2, 91)))...), []string{"越界网格", "超出经纬度范围"}},
		{"code does not extend parent", collection(append(base, feature("110102001001001", "错码网格", rect(116.1, 39.1, 116.2, 39.2)))...), []string{"错码网格", "上级区域“110102001001”不存在"}},
		{"wrong code length", collection(append(base, feature("11010100100101", "短码网格", rect(116.1, 39.1, 116.2, 39.2)))...), []string{"短码网格", "位数字"}},
		{"parent_code disagrees", []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"110101001001001","name":"父码网格","parent_code":"110101002001"},"geometry":` + rect(116.1, 39.1, 116.2, 39.2) + `}]}`), []string{"父码网格", "没有延续上级编码"}},
		{"child outside parent", collection(append(base, feature("110101001001001", "出界网格", rect(116.4, 39.1, 116.6, 39.2)))...), []string{"出界网格", "超出上级区域"}},
		{"overlapping siblings", collection(append(base,
			feature("110101001001001", "一号网格", rect(116.0, 39.0, 116.3, 39.5)),
			feature("110101001001002", "二号网格", rect(116.2, 39.0, 116.5, 39.5)))...), []string{"重叠"}},
		{"duplicate code", collection(append(base,
			feature("110101001001001", "一号网格", rect(116.0, 39.0, 116.2, 39.5)),
			feature("110101001001001", "又一号", rect(116.2, 39.0, 116.5, 39.5)))...), []string{"又一号", "重复"}},
		{"missing name", collection(append(base, `{"type":"Feature","properties":{"code":"110101001001001"},"geometry":`+rect(116.1, 39.1, 116.2, 39.2)+`}`)...), []string{"缺少 name"}},
	}
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				feats, err := store.ParseRegionFile(tt.file)
				if err == nil {
					_, err = s.ImportRegions(context.Background(), civic.System, feats)
				}
				if err == nil {
					t.Fatal("import accepted a broken file")
				}
				e := civic.AsError(err)
				if e.Code != civic.EInvalid {
					t.Fatalf("code %s, want invalid: %v", e.Code, err)
				}
				msg := e.Msg.ZH
				for _, f := range e.Fields {
					msg += "\n" + f.Msg.ZH
				}
				for _, w := range tt.want {
					if !strings.Contains(msg, w) {
						t.Errorf("message lacks %q:\n%s", w, msg)
					}
				}
				if n := countRegions(t, s); n != 0 {
					t.Fatalf("a refused import wrote %d regions", n)
				}
			})
		}
	})
}

func TestImportUpdateExportRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		file := collection(append(base,
			feature("110101001001001", "一号网格", rect(116.0, 39.0, 116.25, 39.5)),
			// A shared border with float noise is not an overlap.
			feature("110101001001002", "二号网格", rect(116.2500000001, 39.0, 116.5, 39.5)))...)
		rep := mustImport(t, s, file)
		if rep.Created != 6 || rep.Updated != 0 {
			t.Fatalf("report %+v", rep)
		}
		clock.Advance(time.Hour)
		rep = mustImport(t, s, file)
		if rep.Created != 0 || rep.Updated != 6 {
			t.Fatalf("re-import report %+v", rep)
		}
		out, err := s.ExportRegions(ctx, civic.System, "")
		if err != nil {
			t.Fatal(err)
		}
		feats, err := store.ParseRegionFile(out)
		if err != nil || len(feats) != 6 {
			t.Fatalf("export does not parse back: %d features, %v", len(feats), err)
		}
		g, err := s.GetRegion(ctx, civic.System, "110101001001001")
		if err != nil {
			t.Fatal(err)
		}
		if g.Level != civic.LevelGrid || g.ParentCode != "110101001001" || g.AreaM2 < 1.1e9 || g.AreaM2 > 1.3e9 {
			t.Fatalf("grid %+v", g)
		}
		// A replaced community boundary must keep its existing grids inside.
		_, err = s.UpdateRegion(ctx, civic.System, "110101001001", store.RegionUpdate{Boundary: []byte(rect(116.0, 39.0, 116.3, 39.5))})
		if civic.ErrorCodeOf(err) != civic.EInvalid || !strings.Contains(civic.AsError(err).Fields[0].Msg.ZH, "二号网格") {
			t.Fatalf("shrinking a community past its grid: %v", err)
		}
		name := "一号网格（新）"
		if _, err := s.UpdateRegion(ctx, civic.System, "110101001001001", store.RegionUpdate{Name: &name}); err != nil {
			t.Fatal(err)
		}
		es, _, err := s.ListAudit(ctx, civic.System, store.AuditFilter{Entity: "region", EntityID: "110101001001001"})
		if err != nil || len(es) != 3 || !strings.Contains(es[0].After, name) || !strings.Contains(es[0].Before, "一号网格") {
			t.Fatalf("audit of region: %+v %v", es, err)
		}
	})
}

func TestLocator(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		mustImport(t, s, collection(append(base,
			feature("110101001001001", "一号网格", rect(116.0, 39.0, 116.25, 39.5)),
			feature("110101001001002", "二号网格", rect(116.25, 39.0, 116.5, 39.5)))...))
		loc := s.NewLocator(time.Minute)
		tests := []struct {
			p    geo.Point
			crs  store.CRS
			want string
		}{
			{geo.Point{Lng: 116.1, Lat: 39.2}, store.WGS84, "110101001001001"},
			{geo.Point{Lng: 116.4, Lat: 39.2}, store.WGS84, "110101001001002"},
			{geo.Point{Lng: 116.4, Lat: 39.7}, store.WGS84, "110101"},
			{geo.Point{Lng: 116.8, Lat: 39.7}, store.WGS84, "1101"},
			{geo.Point{Lng: 118, Lat: 39.7}, store.WGS84, ""},
			// The same ground point given in GCJ-02 (shifted by a few hundred metres).
			{geo.WGS84ToGCJ02(geo.Point{Lng: 116.1, Lat: 39.2}), store.GCJ02, "110101001001001"},
		}
		for _, tt := range tests {
			got, err := loc.Locate(ctx, tt.p, tt.crs)
			if err != nil || got != tt.want {
				t.Errorf("Locate(%v, %s) = %q, %v; want %q", tt.p, tt.crs, got, err, tt.want)
			}
		}
		// Boundaries change in the database; the locator notices through the
		// stored revision, as one in another process would, once checkEvery
		// has passed.
		mustImport(t, s, collection(feature("110101001001001", "一号网格", rect(116.0, 39.0, 116.2, 39.5)), feature("110101001001002", "二号网格", rect(116.2, 39.0, 116.5, 39.5))))
		if got, _ := loc.Locate(ctx, geo.Point{Lng: 116.22, Lat: 39.2}, store.WGS84); got != "110101001001001" {
			t.Fatalf("before the check interval the old index answers, got %q", got)
		}
		clock.Advance(2 * time.Minute)
		if got, _ := loc.Locate(ctx, geo.Point{Lng: 116.22, Lat: 39.2}, store.WGS84); got != "110101001001002" {
			t.Fatalf("after a boundary change the index still answers %q", got)
		}
	})
}
