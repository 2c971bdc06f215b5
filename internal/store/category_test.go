package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// catAdmin and catWorker are actors the category tests write and read as;
// the catalogue needs no regions or users to exist.
var (
	catAdmin  = civic.Actor{UserID: 1, Username: "cityadmin", Role: civic.RoleAdmin, Scope: civic.Scope{RegionCode: "1101"}}
	catWorker = civic.Actor{UserID: 2, Username: "gridworker", Role: civic.RoleGridWorker, Scope: civic.Scope{RegionCode: "110101001001001"}}
)

func limits(claim, feedback, complete, visit string) map[civic.Stage]civic.TimeLimit {
	out := map[civic.Stage]civic.TimeLimit{}
	for i, s := range []string{claim, feedback, complete, visit} {
		l, fe := civic.ParseTimeLimit(s)
		if fe != nil {
			panic(fe.Msg.EN)
		}
		out[civic.Stages[i]] = l
	}
	return out
}

func group(code, name string) civic.Category {
	return civic.Category{Code: code, Name: name, Accepted: true, Active: true}
}

func leaf(code, name string) civic.Category {
	return civic.Category{Code: code, Name: name, Leaf: true, Type: civic.RequestComplaint,
		Handler: civic.HandlerRule{Target: civic.HandlerDepartment, Department: "城市管理委员会"},
		Limits:  limits("2工作时", "1工作日", "5工作日", "2工作日"), Yellow: 0.5, Red: 0.8, Accepted: true, Active: true}
}

func MustCategory(tb testing.TB, s *store.Store, c civic.Category) civic.Category {
	tb.Helper()
	out, err := s.CreateCategory(context.Background(), catAdmin, c)
	if err != nil {
		tb.Fatalf("create category %s: %v", c.Code, err)
	}
	return out
}

func fieldsOf(err error) map[string]string {
	out := map[string]string{}
	for _, f := range civic.AsError(err).Fields {
		out[f.Field] = f.Msg.EN
	}
	return out
}

func TestDefaultCategories(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		n, err := s.EnsureDefaultCategories(ctx)
		if err != nil {
			t.Fatalf("load defaults: %v", err)
		}
		again, err := s.EnsureDefaultCategories(ctx)
		if err != nil || again != 0 {
			t.Fatalf("second load wrote %d, err %v", again, err)
		}
		all, err := s.ListCategories(ctx, catWorker, store.CategoryFilter{IncludeInactive: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != n {
			t.Fatalf("loaded %d, listed %d", n, len(all))
		}
		tops, leaves, refused := 0, 0, 0
		for i := range all {
			c := all[i]
			if err := c.Validate(); err != nil {
				t.Errorf("%s %s does not validate: %v", c.Code, c.Name, err)
			}
			if c.ParentCode == "" {
				tops++
			}
			if c.IsLeaf() {
				leaves++
				if !c.Accepted {
					refused++
				}
			}
			if i > 0 && strings.HasPrefix(all[i-1].Code, c.Code) {
				t.Errorf("%s listed after its descendant %s", c.Code, all[i-1].Code)
			}
		}
		if tops < 15 || tops > 25 || leaves < 120 || refused < 3 {
			t.Errorf("catalogue has %d top-level, %d leaves, %d refused", tops, leaves, refused)
		}
		gas, err := s.GetCategory(ctx, catWorker, "0701")
		if err != nil {
			t.Fatal(err)
		}
		want := map[civic.Stage]civic.TimeLimit{civic.StageClaim: {Amount: 0.5, Unit: civic.UnitHours}, civic.StageFeedback: {Amount: 1, Unit: civic.UnitHours},
			civic.StageComplete: {Amount: 24, Unit: civic.UnitHours}, civic.StageVisit: {Amount: 1, Unit: civic.UnitWorkDays}}
		if gas.Name != "燃气泄漏" || !reflect.DeepEqual(gas.Limits, want) || gas.Handler.Target != civic.HandlerDepartment {
			t.Errorf("gas leak: %+v", gas)
		}
		// A catalogue that exists is never topped up, even a trimmed one.
		if _, err := s.SetCategoryActive(ctx, catAdmin, "01", false); err != nil {
			t.Fatal(err)
		}
		if again, err := s.EnsureDefaultCategories(ctx); err != nil || again != 0 {
			t.Fatalf("load over a trimmed catalogue wrote %d, err %v", again, err)
		}
	})
}

func TestCategoryWrites(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		MustCategory(t, s, group("01", "物业管理"))
		lf := MustCategory(t, s, leaf("0101", "电梯故障"))
		if lf.ParentCode != "01" || lf.ID == 0 || lf.Limits[civic.StageComplete] != (civic.TimeLimit{Amount: 5, Unit: civic.UnitWorkDays}) {
			t.Fatalf("created %+v", lf)
		}
		cases := []struct {
			name  string
			actor civic.Actor
			c     civic.Category
			code  civic.ErrorCode
			field string
		}{
			{"reader cannot write", catWorker, leaf("0102", "门禁"), civic.EForbidden, ""},
			{"duplicate code", catAdmin, leaf("0101", "again"), civic.EConflict, "code"},
			{"missing parent", catAdmin, leaf("0201", "垃圾"), civic.EInvalid, "code"},
			{"under a leaf", catAdmin, leaf("010101", "子类"), civic.EInvalid, "code"},
			{"leaf without limits", catAdmin, func() civic.Category { c := leaf("0102", "门禁"); c.Limits = nil; return c }(), civic.EInvalid, "claim"},
			{"red before yellow", catAdmin, func() civic.Category { c := leaf("0102", "门禁"); c.Red = 0.4; return c }(), civic.EInvalid, "red"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.CreateCategory(ctx, tc.actor, tc.c)
				if got := civic.ErrorCodeOf(err); got != tc.code {
					t.Fatalf("code %q, want %q (%v)", got, tc.code, err)
				}
				if _, ok := fieldsOf(err)[tc.field]; tc.field != "" && !ok {
					t.Fatalf("no error on %s: %v", tc.field, err)
				}
			})
		}

		lf.Name, lf.Limits[civic.StageClaim] = "电梯停运", civic.TimeLimit{Amount: 1, Unit: civic.UnitWorkHours}
		lf.Active = false // ignored: activity has its own call
		up, err := s.UpdateCategory(ctx, catAdmin, lf)
		if err != nil || up.Name != "电梯停运" || up.Limits[civic.StageClaim].Amount != 1 || !up.Active {
			t.Fatalf("update: %+v, %v", up, err)
		}
		if _, err := s.UpdateCategory(ctx, catWorker, lf); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("reader updated: %v", err)
		}
		grp := group("01", "物业服务")
		grp.Leaf = true
		if _, err := s.UpdateCategory(ctx, catAdmin, grp); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("a group with children became a leaf: %v", err)
		}

		// Deactivating a group takes its subtree out of use; a child cannot
		// come back while its parent is out.
		n, err := s.SetCategoryActive(ctx, catAdmin, "01", false)
		if err != nil || n != 2 {
			t.Fatalf("deactivate: %d, %v", n, err)
		}
		if active, _ := s.ListCategories(ctx, catWorker, store.CategoryFilter{}); len(active) != 0 {
			t.Fatalf("inactive categories listed: %+v", active)
		}
		if _, err := s.SetCategoryActive(ctx, catAdmin, "0101", true); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("child activated under an inactive parent: %v", err)
		}
		if _, err := s.SetCategoryActive(ctx, catAdmin, "01", true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetCategoryActive(ctx, catAdmin, "0101", true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetCategoryActive(ctx, catWorker, "0101", false); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("reader deactivated: %v", err)
		}

		entries, _, err := s.ListAudit(ctx, civic.System, store.AuditFilter{Entity: "category", EntityID: "0101"})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		if want := []string{"category.activate", "category.deactivate", "category.update", "category.create"}; !reflect.DeepEqual(actions, want) {
			t.Fatalf("audit %v, want %v", actions, want)
		}
		if _, err := s.GetCategory(ctx, catWorker, "09"); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("missing category: %v", err)
		}
	})
}

func TestListCategoriesFilter(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		a, b := group("01", "物业管理"), group("02", "市容环境")
		b.Sort = -1 // sorts before 01
		MustCategory(t, s, a)
		MustCategory(t, s, b)
		MustCategory(t, s, leaf("0101", "电梯故障"))
		x := leaf("0102", "物业费争议")
		x.Sort = -1
		MustCategory(t, s, x)
		MustCategory(t, s, leaf("0201", "垃圾清运"))
		no := leaf("0202", "诉讼事项")
		no.Accepted, no.NotAcceptedReason, no.Limits, no.Handler, no.Type = false, "请走司法途径", nil, civic.HandlerRule{}, ""
		no.NameEN = "Matters in Court"
		MustCategory(t, s, no)
		if _, err := s.SetCategoryActive(ctx, catAdmin, "0201", false); err != nil {
			t.Fatal(err)
		}
		codes := func(f store.CategoryFilter) string {
			t.Helper()
			cs, err := s.ListCategories(ctx, catWorker, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, c := range cs {
				out = append(out, c.Code)
			}
			return strings.Join(out, " ")
		}
		no2 := false
		for _, tc := range []struct {
			name string
			f    store.CategoryFilter
			want string
		}{
			{"tree order by sort", store.CategoryFilter{}, "02 0202 01 0102 0101"},
			{"inactive too", store.CategoryFilter{IncludeInactive: true}, "02 0201 0202 01 0102 0101"},
			{"leaves", store.CategoryFilter{OnlyLeaves: true}, "0202 0102 0101"},
			{"subtree", store.CategoryFilter{ParentCode: "01"}, "0102 0101"},
			{"name", store.CategoryFilter{Query: "物业"}, "01 0102"},
			{"code prefix", store.CategoryFilter{Query: "02", IncludeInactive: true}, "02 0201 0202"},
			{"english name, any case", store.CategoryFilter{Query: "court"}, "0202"},
			{"refused", store.CategoryFilter{Accepted: &no2}, "0202"},
			{"type", store.CategoryFilter{Type: civic.RequestComplaint}, "0102 0101"},
			{"pattern characters are text", store.CategoryFilter{Query: "%"}, ""},
		} {
			if got := codes(tc.f); got != tc.want {
				t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
			}
		}
	})
}

const badCategoryCSV = "编码,名称,诉求类型,承办对象,承办部门,签收时限,反馈时限,办结时限,回访时限\n" +
	"01,物业管理,,,,,,,\n" +
	"0101,电梯故障,求助,物业,,2天,1工作日,5工作日,2工作日\n" +
	"0102,门禁,抱怨,物业,,1工作时,1工作日,5工作日,2工作日\n" +
	"0103,停车,投诉,职能部门,,1工作时,1工作日,5工作日,\n" +
	"0201,垃圾,投诉,社区,,1工作时,1工作日,5工作日,2工作日\n"

func TestImportCategories(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		// Cell problems are found while reading, every one with its place.
		_, err := store.ParseCategorySheet([]byte(badCategoryCSV), store.SheetCSV)
		want := map[string]string{
			"rows[3].claim": `row 3, column claim: "2天" is not a time limit`,
			"rows[4].type":  `row 4, column type: "抱怨" is not a request type`,
		}
		got := fieldsOf(err)
		for f, msg := range want {
			if !strings.HasPrefix(got[f], msg) {
				t.Errorf("%s: %q, want %q…", f, got[f], msg)
			}
		}
		if zh := civic.AsError(err).Fields[0].Msg.ZH; !strings.HasPrefix(zh, "第3行“签收时限”列：") {
			t.Errorf("Chinese message %q", zh)
		}
		// A file past the sheets' limits is refused naming the limit, not
		// read (a header of 100,000 columns took the server a core).
		wide := "编码," + strings.Repeat("a,", 300) + "\n"
		if _, err := store.ParseCategorySheet([]byte(wide), store.SheetCSV); civic.ErrorCodeOf(err) != civic.EInvalid || !strings.Contains(fmt.Sprint(err), "256") {
			t.Errorf("a 300-column category sheet: %v", err)
		}
		// Rule problems are found by the store, still by row and column.
		fixed := strings.NewReplacer("2天", "2工作日", "抱怨", "投诉").Replace(badCategoryCSV)
		sh, err := store.ParseCategorySheet([]byte(fixed), store.SheetCSV)
		if err != nil {
			t.Fatalf("parse fixed file: %v", err)
		}
		_, err = s.ImportCategorySheet(ctx, catAdmin, sh)
		got = fieldsOf(err)
		for f, msg := range map[string]string{
			"rows[5].department": "row 5, column department: name the department",
			"rows[5].visit":      "row 5, column visit: enter the return visit time limit",
		} {
			if !strings.HasPrefix(got[f], msg) {
				t.Errorf("%s: %q, want %q…", f, got[f], msg)
			}
		}
		if len(got) != 2 {
			t.Errorf("errors %v", got)
		}
		if cs, _ := s.ListCategories(ctx, catAdmin, store.CategoryFilter{IncludeInactive: true}); len(cs) != 0 {
			t.Fatalf("a refused import wrote %d categories", len(cs))
		}
		// The tree is checked once the valid rows pass: 0201 has no parent.
		fixed = strings.Replace(fixed, "职能部门,,1工作时,1工作日,5工作日,", "职能部门,交通支队,1工作时,1工作日,5工作日,2工作日", 1)
		sh, err = store.ParseCategorySheet([]byte(fixed), store.SheetCSV)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ImportCategorySheet(ctx, catAdmin, sh); !strings.HasPrefix(fieldsOf(err)["rows[6].code"], "row 6, column code: the parent category 02 does not exist") {
			t.Fatalf("orphan: %v", err)
		}
		if _, err := s.ImportCategorySheet(ctx, catWorker, sh); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("reader imported: %v", err)
		}
		fixed = strings.Replace(fixed, "0201,", "0104,", 1)
		sh, err = store.ParseCategorySheet([]byte(fixed), store.SheetCSV)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := s.ImportCategorySheet(ctx, catAdmin, sh)
		if err != nil || rep != (store.ImportReport{Created: 5}) {
			t.Fatalf("import: %+v, %v", rep, err)
		}
		// Import again with one change: an upsert by code.
		sh.Categories[1].Name = "电梯停运"
		rep, err = s.ImportCategories(ctx, catAdmin, sh.Categories)
		if err != nil || rep != (store.ImportReport{Updated: 5}) {
			t.Fatalf("re-import: %+v, %v", rep, err)
		}
		if c, _ := s.GetCategory(ctx, catAdmin, "0101"); c.Name != "电梯停运" || c.Yellow != 0.5 || c.Red != 0.8 {
			t.Fatalf("after re-import: %+v", c)
		}
		dup := append(sh.Categories, sh.Categories[2])
		if _, err := s.ImportCategories(ctx, catAdmin, dup); !strings.Contains(fieldsOf(err)["rows[6].code"], "repeats row 3") {
			t.Fatalf("duplicate rows: %v", err)
		}
	})
}

// TestCategorySheetRoundTrip exports the default catalogue in every format
// and language and reads it back unchanged.
func TestCategorySheetRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		if _, err := s.EnsureDefaultCategories(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetCategoryActive(ctx, catAdmin, "2201", false); err != nil {
			t.Fatal(err)
		}
		all, err := s.ListCategories(ctx, catAdmin, store.CategoryFilter{IncludeInactive: true})
		if err != nil {
			t.Fatal(err)
		}
		strip := func(cs []civic.Category) []civic.Category {
			out := make([]civic.Category, len(cs))
			for i, c := range cs {
				c.ID, c.CreatedAt, c.UpdatedAt = 0, time.Time{}, time.Time{}
				if err := c.Validate(); err != nil {
					t.Fatalf("%s: %v", c.Code, err)
				}
				out[i] = c
			}
			return out
		}
		want := strip(all)
		for _, format := range []store.SheetFormat{store.SheetCSV, store.SheetXLSX} {
			for _, lang := range []string{"zh", "en"} {
				var buf bytes.Buffer
				if err := s.ExportCategories(ctx, catWorker, &buf, format, lang); err != nil {
					t.Fatalf("export %s %s: %v", format, lang, err)
				}
				data := buf.Bytes()
				if format == store.SheetCSV && lang == "zh" {
					// As Excel on a Chinese Windows saves it: GBK, no mark.
					var err error
					if data, err = simplifiedchinese.GB18030.NewEncoder().Bytes(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))); err != nil {
						t.Fatal(err)
					}
				}
				sh, err := store.ParseCategorySheet(data, format)
				if err != nil {
					t.Fatalf("read back %s %s: %v", format, lang, err)
				}
				if got := strip(sh.Categories); !reflect.DeepEqual(got, want) {
					for i := range got {
						if i < len(want) && !reflect.DeepEqual(got[i], want[i]) {
							t.Fatalf("%s %s row %d:\n got %+v\nwant %+v", format, lang, i+2, got[i], want[i])
						}
					}
					t.Fatalf("%s %s: %d rows, want %d", format, lang, len(got), len(want))
				}
			}
		}
	})
}

// TestDepartmentPattern checks that the SQL pattern and
// civic.MatchesDepartment agree on both engines.
func TestDepartmentPattern(t *testing.T) {
	for _, e := range testdb.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			dsn := testdb.DSN(t, e)
			testdb.MustOpenDSN(t, dsn, nil)
			driver, q := "sqlite", `SELECT CASE WHEN CAST(? AS TEXT) LIKE CAST(? AS TEXT) ESCAPE '\' THEN 1 ELSE 0 END`
			if e == store.Postgres {
				driver, q = "pgx", `SELECT CASE WHEN CAST($1 AS TEXT) LIKE CAST($2 AS TEXT) ESCAPE '\' THEN 1 ELSE 0 END`
			}
			db, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			names := []string{"北京市东城区城市管理委员会", "北京市东城区城市管理综合行政执法局", "北京市公安局东城分局",
				"北京市公安局公安交通管理局东城交通支队", "北京市12345市民服务热线", "100%_水务局", "水务局"}
			for _, dep := range []string{"城市管理委员会", "公安局*分局", "交通支队", "12345市民服务热线", "%_水务局", "_水务局", "局", "市*局"} {
				for _, name := range names {
					var n int
					if err := db.QueryRowContext(context.Background(), q, name, store.DepartmentPattern(dep)).Scan(&n); err != nil {
						t.Fatal(err)
					}
					if got, want := n == 1, civic.MatchesDepartment(name, dep); got != want {
						t.Errorf("%q LIKE pattern of %q = %v, MatchesDepartment says %v", name, dep, got, want)
					}
				}
			}
		})
	}
}
