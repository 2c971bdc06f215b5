package store_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// validID makes a GB 11643 number from a region, a birth date and a
// sequence (odd for men, even for women).
func validID(region, birth, seq string) string {
	s := region + birth + seq
	return s + string(civic.IDCheckChar(s))
}

// csvOf writes rows as CSV with a byte-order mark, as Excel saves it.
func csvOf(rows ...[]string) []byte {
	var b bytes.Buffer
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	_ = w.WriteAll(rows)
	return b.Bytes()
}

var peopleHeader = []string{"姓名", "证件类型", "证件号码", "性别", "出生日期", "手机号", "人口类型", "民族", "工作单位", "标签", "网格编码", "小区", "楼栋", "单元", "门牌号", "与房屋关系", "入住日期"}

// mustRunImport queues data as a and works it through as the runner would.
func mustRunImport(t *testing.T, s *store.Store, a civic.Actor, kind civic.ImportKind, data []byte) civic.Import {
	t.Helper()
	ctx := context.Background()
	im, err := s.StartImport(ctx, a, kind, "test."+store.DetectFormat(data), data)
	if err != nil {
		t.Fatalf("start import: %v", err)
	}
	id, token, ok, err := s.ClaimImport(ctx)
	if err != nil || !ok || id != im.ID {
		t.Fatalf("claim import: %d %v %v", id, ok, err)
	}
	if err := s.RunImport(ctx, id, token); err != nil {
		t.Fatalf("run import: %v", err)
	}
	im, err = s.GetImport(ctx, a, id)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func mustUser(t *testing.T, s *store.Store, name string, role civic.Role, region string) civic.Actor {
	t.Helper()
	u, err := s.CreateUser(context.Background(), civic.System, store.NewUser{Username: name, DisplayName: name, Password: "password-" + name, Role: role, Scope: civic.Scope{RegionCode: region}})
	if err != nil {
		t.Fatal(err)
	}
	return store.ActorOf(u, "")
}

func issueFields(is civic.ImportIssue) string {
	var fs []string
	for _, e := range is.Errors {
		fs = append(fs, e.Field)
	}
	slices.Sort(fs)
	return strings.Join(fs, ",")
}

func TestImportPeopleErrorsMergesAndRerun(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPeopleWorld(t, s)
		// A community worker for grid 1 only: grid 2 is outside.
		staff := mustUser(t, s, "grid1staff", civic.RoleCommunityStaff, grid1)
		wang := validID("110105", "19491231", "002")
		badCheck := validID("110105", "19800101", "011")
		badCheck = badCheck[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", badCheck[17])+1)%11])
		zhao := validID("110105", "19850505", "022") // a woman born 1985-05-05
		data := csvOf(peopleHeader,
			[]string{"王秀英", "", strings.ToLower(wang), "", "", "138 0013 8000", "户籍", "汉族", "", "独居", grid1, "幸福里小区", "3号楼", "1", "101", "产权人", "2001/6/1"},
			[]string{"李建国", "", badCheck, "", "", "", "", "", "", "", grid1, "", "", "", "", "", ""},
			[]string{"张伟", "", validID("110105", "19900101", "013"), "", "", "", "", "", "", "", grid1, "幸福里小区", "3号楼", "1", "999", "", ""},
			[]string{"赵丽", "", zhao, "男", "1985-05-06", "", "", "", "", "", grid1, "", "", "", "", "", ""},
			[]string{},
			[]string{"王秀英", "", wang, "", "", "", "", "", "退休", "", grid1, "", "", "", "", "", ""},
			[]string{"孙强", "", validID("110105", "19700101", "031"), "", "", "", "", "", "", "", grid2, "", "", "", "", "", ""},
			[]string{"周敏", "", "", "女", "1990-01-01", "", "租住", "", "", "", grid1, "幸福里小区", "3号楼", "2", "301", "租户", ""},
			[]string{"钱多", "", validID("110105", "19700202", "051"), "", "", "", "", "", "", "", "110101999999999", "", "", "", "", "", ""},
		)
		im := mustRunImport(t, s, staff, civic.ImportPeople, data)
		if im.State != civic.ImportDone || im.Done != 8 || im.Total != 8 || im.Created != 2 || im.Merged != 1 || im.Unchanged != 0 || im.Rejected != 5 {
			t.Fatalf("import %+v", im)
		}
		rejected, n, err := s.ImportIssues(ctx, staff, im.ID, civic.IssueRejected, store.Page{})
		if err != nil || n != 5 {
			t.Fatalf("rejected %d %v", n, err)
		}
		want := []struct {
			row    int
			fields string
			text   string
		}{
			{3, "id_number", "校验位"},
			{4, "number", "不存在"},
			{5, "birth_date,gender", "不符"},
			{8, "grid_code", "不存在"},
			{10, "grid_code", "不存在"},
		}
		for i, wnt := range want {
			got := rejected[i]
			if got.Row != wnt.row || issueFields(got) != wnt.fields || !strings.Contains(got.Errors[0].Msg.ZH, wnt.text) || got.Errors[0].Column == "" {
				t.Errorf("rejected %d: %+v, want row %d fields %s", i, got, wnt.row, wnt.fields)
			}
		}
		merged, _, _ := s.ImportIssues(ctx, staff, im.ID, civic.IssueMerged, store.Page{})
		if len(merged) != 1 || merged[0].Row != 7 || merged[0].SameAs != 2 || len(merged[0].Changes) != 1 || merged[0].Changes[0].Field != "workplace" || merged[0].Changes[0].After != "退休" || merged[0].PersonID == 0 {
			t.Fatalf("merged %+v", merged)
		}
		// The people are real: masked, searchable, tagged, linked, counted.
		got, n, err := s.ListPeople(ctx, w.community, store.PeopleFilter{Query: "秀英"})
		if err != nil || n != 1 || got[0].Workplace != "退休" || got[0].Phone != "138****8000" || got[0].Houses != 1 || got[0].Address != "幸福里小区3号楼1单元101" ||
			strings.Join(tagStrings(got[0].Tags), ",") != "age60,alone" || got[0].GridName != "一号网格" {
			t.Fatalf("imported person %+v %v", got, err)
		}
		for _, q := range []string{wang, "13800138000", "3号楼2单元"} {
			if _, n, err := s.ListPeople(ctx, w.grid, store.PeopleFilter{Query: q}); err != nil || n != 1 {
				t.Fatalf("search %q found %d: %v", q, n, err)
			}
		}
		if id, _, err := s.UnmaskPerson(ctx, w.community, got[0].ID, "核对导入结果"); err != nil || id != wang {
			t.Fatalf("unmask %q %v", id, err)
		}
		if hist, err := s.TagHistory(ctx, w.grid, got[0].ID); err != nil || len(hist) != 2 || !strings.Contains(hist[0].Reason, "import") {
			t.Fatalf("tag history %+v %v", hist, err)
		}
		checkCounts := func() {
			t.Helper()
			comp, err := s.Completeness(ctx, w.street, "", civic.LevelGrid)
			if err != nil || len(comp) < 1 || comp[0].Houses != 4 || comp[0].HousesComplete != 3 || comp[0].People != 2 || comp[0].PeopleLinked != 2 {
				t.Fatalf("completeness %+v %v", comp, err)
			}
			for i, wantN := range []int{1, 0, 0, 1} {
				if h, _ := s.GetHouse(ctx, w.grid, w.houses[i].ID); h.Residents != wantN {
					t.Fatalf("house %s residents %d, want %d", h.Address, h.Residents, wantN)
				}
			}
		}
		checkCounts()
		// One audit entry for the batch, with counts and no numbers.
		entries, _, err := s.ListAudit(ctx, civic.System, store.AuditFilter{Action: "people.import"})
		if err != nil || len(entries) != 1 || !strings.Contains(entries[0].After, `"created":2`) || strings.Contains(entries[0].After, "1949") {
			t.Fatalf("audit %+v %v", entries, err)
		}
		// The same file again changes nothing.
		again := mustRunImport(t, s, staff, civic.ImportPeople, data)
		if again.Created != 0 || again.Merged != 0 || again.Unchanged != 3 || again.Rejected != 5 {
			t.Fatalf("re-run %+v", again)
		}
		if _, n, _ := s.ListPeople(ctx, w.community, store.PeopleFilter{}); n != 2 {
			t.Fatalf("re-run made %d people", n)
		}
		checkCounts()
		// Fixed rows: the check digit corrected; 王秀英's phone changed.
		fixed := csvOf(peopleHeader,
			[]string{"李建国", "", validID("110105", "19800101", "011"), "", "", "", "", "", "", "", grid1, "", "", "", "", "", ""},
			[]string{"王秀英", "", wang, "", "", "13900001111", "", "", "", "低保", grid1, "幸福里小区", "3号楼", "1", "101", "", ""},
		)
		im = mustRunImport(t, s, staff, civic.ImportPeople, fixed)
		merged, _, _ = s.ImportIssues(ctx, staff, im.ID, civic.IssueMerged, store.Page{})
		if im.Created != 1 || im.Merged != 1 || len(merged) != 1 || len(merged[0].Changes) != 2 ||
			merged[0].Changes[0] != (civic.MergeChange{Field: "phone", Column: "手机号", Before: "138****8000", After: "139****1111"}) ||
			merged[0].Changes[1].Field != "tags" || merged[0].Changes[1].After != "60岁以上、独居、低保" {
			t.Fatalf("fix and re-import %+v %+v", im, merged)
		}
		// Someone outside the importer's scope sees neither the import nor
		// its rows.
		other := mustUser(t, s, "grid2staff", civic.RoleCommunityStaff, grid2)
		if _, err := s.GetImport(ctx, other, im.ID); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("outsider reads the import: %v", err)
		}
		if _, _, err := s.ImportIssues(ctx, other, im.ID, civic.IssueMerged, store.Page{}); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("outsider reads the report: %v", err)
		}
		if list, _, _ := s.ListImports(ctx, other, store.Page{}); len(list) != 0 {
			t.Fatalf("outsider lists %d imports", len(list))
		}
		if list, _, _ := s.ListImports(ctx, w.street, store.Page{}); len(list) != 3 {
			t.Fatalf("the street lists %d imports", len(list))
		}
		if _, err := s.StartImport(ctx, w.grid, civic.ImportPeople, "x.csv", data); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("a grid worker imports: %v", err)
		}
		// The rejected rows download: original cells, row number, reasons.
		tab, err := s.RejectedRows(ctx, staff, 1, "zh")
		if err != nil || len(tab.Rows) != 5 || tab.Header[0] != "姓名" || tab.Header[len(tab.Header)-1] != "错误原因" || tab.Rows[0][0] != "李建国" ||
			tab.Rows[0][len(tab.Header)-2] != 3 || !strings.Contains(tab.Rows[0][len(tab.Header)-1].(string), "证件号码：") {
			t.Fatalf("rejected rows %+v %v", tab, err)
		}
		// The street, in scope but not the uploader, reads the rows with
		// the numbers masked, as the register shows them; so does its
		// download. The administrator may export in clear.
		byStreet, _, err := s.ImportIssues(ctx, w.street, 1, civic.IssueRejected, store.Page{})
		if err != nil || len(byStreet) != 5 || byStreet[0].Cells[2] != civic.MaskID(badCheck) || byStreet[0].Cells[0] != "李建国" {
			t.Fatalf("the street reads the rejected rows %+v %v", byStreet, err)
		}
		if tab, err := s.RejectedRows(ctx, w.street, 1, "zh"); err != nil || tab.Rows[0][2] != civic.MaskID(badCheck) {
			t.Fatalf("the street downloads the rejected rows %+v %v", tab, err)
		}
		if tab.Rows[0][2] != badCheck {
			t.Fatalf("the uploader's own cell %v, want %s", tab.Rows[0][2], badCheck)
		}
		admin := mustUser(t, s, "admin0", civic.RoleAdmin, "1101")
		if rows, _, err := s.ImportIssues(ctx, admin, 1, civic.IssueRejected, store.Page{}); err != nil || rows[0].Cells[2] != badCheck {
			t.Fatalf("the administrator reads the rejected rows %+v %v", rows, err)
		}
		// Nothing in the report tables holds a number in clear.
		var raw string
		if err := s.QueryRowForTest(ctx, `SELECT COALESCE(MAX(body), '') || COALESCE(MIN(body), '') FROM import_issues`).Scan(&raw); err != nil || strings.Contains(raw, "19800101") || raw == "" {
			t.Fatalf("import report stored in clear: %v", err)
		}
		if err := s.QueryRowForTest(ctx, `SELECT COALESCE(MAX(data), '') FROM imports`).Scan(&raw); err != nil || raw != "" {
			t.Fatalf("the uploaded file outlived its import: %q %v", raw, err)
		}
	})
}

func TestImportHouses(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPeopleWorld(t, s)
		staff := mustUser(t, s, "grid1staff", civic.RoleCommunityStaff, grid1)
		head := []string{"网格编码", "小区", "楼栋", "单元", "楼层", "门牌号", "面积", "用途", "物业公司"}
		data := csvOf(head,
			[]string{grid1, "新建小区", "1号楼", "1", "3", "301", "80", "出租", "甲物业公司"},
			[]string{grid1, "新建小区", "1号楼", "2", "6", "602", "", "", ""},
			[]string{grid1, "幸福里小区", "3号楼", "1", "1", "101", "90", "", ""},
			[]string{grid1, "新建小区", "1号楼", "1", "3", "301", "", "空置", ""},
			[]string{grid1, "新建小区", "1号楼", "1", "三", "302", "", "", ""},
			[]string{grid2, "", "平房5号", "1", "1", "2", "", "", ""},
			[]string{grid1, "另一小区", "2号楼", "1", "1", "101", "", "", "乙物业公司"},
			[]string{grid1, "", "车库", "1", "-1", "B1", "", "商用", ""},
		)
		im := mustRunImport(t, s, staff, civic.ImportHouses, data)
		if im.Done != 8 || im.Created != 3 || im.Merged != 2 || im.Rejected != 3 {
			t.Fatalf("import %+v", im)
		}
		rejected, _, _ := s.ImportIssues(ctx, staff, im.ID, civic.IssueRejected, store.Page{})
		if len(rejected) != 3 || rejected[0].Row != 6 || issueFields(rejected[0]) != "floor" || rejected[1].Row != 7 || issueFields(rejected[1]) != "grid_code" ||
			rejected[2].Row != 8 || issueFields(rejected[2]) != "property" {
			t.Fatalf("rejected %+v", rejected)
		}
		merged, _, _ := s.ImportIssues(ctx, staff, im.ID, civic.IssueMerged, store.Page{})
		if len(merged) != 2 || merged[0].Row != 4 || merged[0].Changes[0].Before != "78.5" || merged[0].Changes[0].After != "90" ||
			merged[1].Row != 5 || merged[1].SameAs != 2 || merged[1].Changes[0].After != "空置" || merged[1].HouseID == 0 {
			t.Fatalf("merged %+v", merged)
		}
		comps, _, err := s.ListCompounds(ctx, w.community, store.PlaceFilter{Query: "新建小区"})
		if err != nil || len(comps) != 1 || comps[0].PropertyName != "甲物业公司" || comps[0].Buildings != 1 || comps[0].Houses != 2 || comps[0].RegionCode != grid1 {
			t.Fatalf("compound %+v %v", comps, err)
		}
		bs, _, _ := s.ListBuildings(ctx, w.community, store.PlaceFilter{CompoundID: comps[0].ID})
		if len(bs) != 1 || bs[0].Floors != 6 || bs[0].Units != 2 {
			t.Fatalf("building grown to %+v", bs)
		}
		hs, _, _ := s.ListHouses(ctx, w.community, store.PlaceFilter{CompoundID: comps[0].ID})
		if len(hs) != 2 || hs[0].Address != "新建小区1号楼1单元301" || hs[0].Use != civic.HouseVacant || hs[0].AreaM2 != 80 {
			t.Fatalf("houses %+v", hs)
		}
		again := mustRunImport(t, s, staff, civic.ImportHouses, data)
		if again.Created != 0 || again.Merged != 2 || again.Unchanged != 3 || again.Rejected != 3 {
			// Row 2 says 出租 and row 5 空置: the file disagrees with
			// itself, so those two rows change the house each time.
			t.Fatalf("re-run %+v", again)
		}
		if _, n, _ := s.ListHouses(ctx, w.community, store.PlaceFilter{}); n != 8 {
			t.Fatalf("houses after re-run %d", n)
		}
		if _, n, _ := s.ListHouses(ctx, w.outsider, store.PlaceFilter{Under: grid1}); n != 0 {
			t.Fatal("an outsider lists the imported houses")
		}
		// Excel on a Chinese Windows saves "CSV" in GBK: read as such. A
		// file that is no text is refused at upload, saying so.
		var plain bytes.Buffer
		_ = csv.NewWriter(&plain).WriteAll([][]string{head, {grid1, "新建小区", "1号楼", "2", "5", "501", "", "", ""}})
		gbkFile, err := simplifiedchinese.GB18030.NewEncoder().Bytes(plain.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if im := mustRunImport(t, s, staff, civic.ImportHouses, gbkFile); im.Created != 1 || im.Rejected != 0 {
			t.Fatalf("GBK import %+v", im)
		}
		if hs, _, _ := s.ListHouses(ctx, w.community, store.PlaceFilter{Query: "新建小区1号楼2单元501"}); len(hs) != 1 {
			t.Fatalf("the GBK file's house: %+v", hs)
		}
		_, err = s.StartImport(ctx, staff, civic.ImportHouses, "houses.csv", []byte{0xff, 0xfe, 0x51, 0x7f, 0x00, 0x68})
		if e := civic.AsError(err); e.Code != civic.EInvalid || len(e.Fields) != 1 || !strings.Contains(e.Fields[0].Msg.ZH, "既不是UTF-8也不是GBK") {
			t.Fatalf("a file of no text: %v", err)
		}
	})
}

func TestExportPeopleScopeAndMasking(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPeopleWorld(t, s)
		wang := validID("110105", "19491231", "002")
		data := csvOf(peopleHeader,
			[]string{"王秀英", "", wang, "", "", "13800138000", "", "", "", "独居", grid1, "幸福里小区", "3号楼", "1", "101", "产权人", "2001-06-01"},
			[]string{"王秀英", "", wang, "", "", "", "", "", "", "", grid1, "幸福里小区", "3号楼", "2", "301", "产权人", "2010-06-01"},
			[]string{"刘芳", "", validID("110105", "19800303", "024"), "", "", "", "流动", "", "", "", grid1, "", "", "", "", "", ""},
		)
		im := mustRunImport(t, s, w.community, civic.ImportPeople, data)
		if im.Created != 2 || im.Merged != 1 {
			t.Fatalf("import %+v", im)
		}
		export := func(a civic.Actor, f store.ExportFilter) ([][]string, error) {
			var rows [][]string
			_, err := s.ExportPeople(ctx, a, f, "zh", func(r []string) error { rows = append(rows, r); return nil })
			return rows, err
		}
		rows, err := export(w.grid, store.ExportFilter{})
		// Two rows for 王秀英 (two houses), one for 刘芳.
		if err != nil || len(rows) != 4 || rows[0][0] != "姓名" || rows[1][2] != civic.MaskID(wang) || rows[1][5] != "138****8000" ||
			rows[1][9] != "独居" || rows[1][14] != "101" || rows[2][14] != "301" || rows[3][6] != "流动" {
			t.Fatalf("masked export %q %v", rows, err)
		}
		if strings.Contains(fmt.Sprint(rows), wang) || strings.Contains(fmt.Sprint(rows), "13800138000") {
			t.Fatal("a masked export holds a number in clear")
		}
		if _, err := export(w.community, store.ExportFilter{Plain: true}); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("plain export without the permission: %v", err)
		}
		if rows, err := export(w.outsider, store.ExportFilter{}); err != nil || len(rows) != 1 {
			t.Fatalf("an outsider exports %d rows: %v", len(rows), err)
		}
		if rows, err := export(w.community, store.ExportFilter{Under: grid2}); err != nil || len(rows) != 1 {
			t.Fatalf("export under grid 2: %d rows %v", len(rows), err)
		}
		if rows, err := export(w.community, store.ExportFilter{Tag: civic.TagFloating}); err != nil || len(rows) != 2 || rows[1][0] != "刘芳" {
			t.Fatalf("export by tag %q %v", rows, err)
		}
		admin := mustUser(t, s, "admin1", civic.RoleAdmin, "1101")
		plain, err := export(admin, store.ExportFilter{Plain: true})
		if err != nil || len(plain) != 4 || plain[1][2] != wang || plain[1][5] != "13800138000" {
			t.Fatalf("plain export %q %v", plain, err)
		}
		if entries, _, _ := s.ListAudit(ctx, civic.System, store.AuditFilter{Action: "people.export_plain"}); len(entries) != 1 || entries[0].Username != "admin1" {
			t.Fatalf("plain export audit %+v", entries)
		}
		// The plain export imports back unchanged.
		again := mustRunImport(t, s, w.community, civic.ImportPeople, csvOf(plain...))
		if again.Unchanged != 3 || again.Created+again.Merged+again.Rejected != 0 {
			t.Fatalf("re-import of the export %+v", again)
		}
		var houses [][]string
		if _, err := s.ExportHouses(ctx, w.outsider, store.ExportFilter{}, "en", func(r []string) error { houses = append(houses, r); return nil }); err != nil ||
			len(houses) != 2 || houses[0][0] != "Grid code" || houses[1][2] != "平房5号" {
			t.Fatalf("houses export %q %v", houses, err)
		}
	})
}

func TestImportRunnerLeaseAndTemplate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPeopleWorld(t, s)
		// Download the template, fill its example row in, upload it.
		var buf bytes.Buffer
		if err := sheet.WriteBook(&buf, store.ImportTemplate(civic.ImportPeople)...); err != nil {
			t.Fatal(err)
		}
		rows, err := sheet.Read(&buf)
		if err != nil || len(rows) != 2 || rows[0][0] != "姓名" {
			t.Fatalf("template %q %v", rows, err)
		}
		var tab sheet.Table
		for _, h := range rows[0] {
			tab.Header = append(tab.Header, h)
		}
		example := make([]any, len(rows[1]))
		for i, c := range rows[1] {
			example[i] = c
		}
		tab.Rows = [][]any{example}
		buf.Reset()
		if err := sheet.Write(&buf, tab); err != nil {
			t.Fatal(err)
		}
		im, err := s.StartImport(ctx, w.community, civic.ImportPeople, "人口.xlsx", buf.Bytes())
		if err != nil || im.State != civic.ImportQueued || im.Format != "xlsx" || im.Total != 1 {
			t.Fatalf("queued %+v %v", im, err)
		}
		id, token, ok, err := s.ClaimImport(ctx)
		if err != nil || !ok || id != im.ID {
			t.Fatalf("claim %v %v", ok, err)
		}
		if _, _, ok, _ := s.ClaimImport(ctx); ok {
			t.Fatal("a leased import was claimed twice")
		}
		// The runner stops; once its lease lapses another takes over, and
		// the first one's token no longer counts.
		clock.Advance(store.ImportLease + time.Second)
		id2, token2, ok, err := s.ClaimImport(ctx)
		if err != nil || !ok || id2 != id {
			t.Fatalf("reclaim %v %v", ok, err)
		}
		if err := s.RunImport(ctx, id, token); err == nil {
			t.Fatal("a runner that lost its lease ran the import")
		}
		if err := s.RunImport(ctx, id2, token2); err != nil {
			t.Fatal(err)
		}
		im, _ = s.GetImport(ctx, w.community, id)
		if im.State != civic.ImportDone || im.Created != 1 || im.Attempts != 2 || im.Percent() != 100 {
			t.Fatalf("done %+v", im)
		}
		if p, n, _ := s.ListPeople(ctx, w.grid, store.PeopleFilter{Query: "王秀英"}); n != 1 || p[0].Address != "幸福里小区3号楼2单元301" {
			t.Fatalf("template person %+v", p)
		}
		// A file without the required columns is refused at once.
		if _, err := s.StartImport(ctx, w.community, civic.ImportPeople, "x.csv", csvOf([]string{"名字", "电话"}, []string{"a", "b"})); civic.ErrorCodeOf(err) != civic.EInvalid || !strings.Contains(err.Error(), "Name") {
			t.Fatalf("bad header: %v", err)
		}
		// CSV template: header and example.
		buf.Reset()
		if err := store.WriteTemplateCSV(&buf, civic.ImportHouses); err != nil || !strings.HasPrefix(buf.String(), "\ufeff网格编码,小区,楼栋") {
			t.Fatalf("csv template %q %v", buf.String(), err)
		}
	})
}

// TestImportLimits: a file past sheet's limits is refused as invalid,
// naming the limit: at upload when the header shows it, else when the run
// reaches the row, which fails the import with the same words.
func TestImportLimits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPeopleWorld(t, s)
		wide := append([]string{"姓名", "网格编码"}, strings.Split(strings.Repeat("a,", 100000), ",")...)
		gbkLong, err := simplifiedchinese.GB18030.NewEncoder().Bytes(csvOf([]string{"姓名", "网格编码"}, []string{strings.Repeat("长", sheet.MaxCell+1), grid1})[3:])
		if err != nil {
			t.Fatal(err)
		}
		xlsx := func(tab sheet.Table) []byte {
			var b bytes.Buffer
			if err := sheet.Write(&b, tab); err != nil {
				t.Fatal(err)
			}
			return b.Bytes()
		}
		wideRow := make([]any, sheet.MaxColumns+1)
		for i := range wideRow {
			wideRow[i] = "a"
		}
		wideHeader := make([]string, len(wideRow))
		for i := range wideHeader {
			wideHeader[i] = "a"
		}
		copy(wideHeader, []string{"姓名", "网格编码"})
		for _, c := range []struct {
			name string
			data []byte
			err  string
		}{
			{"CSV header of 100,000 columns", csvOf(wide), "line 1 has more than 256 columns"},
			{"xlsx header of 257 columns", xlsx(sheet.Table{Header: wideHeader}), "row 1 has more than 256 columns"},
		} {
			_, err := s.StartImport(ctx, w.community, civic.ImportPeople, "x", c.data)
			if civic.ErrorCodeOf(err) != civic.EInvalid || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v", c.name, err)
			}
		}
		// Past the limits below the header: the run refuses the file.
		for _, c := range []struct {
			data []byte
			err  string
		}{
			{gbkLong, "row 2, column 1 holds more than 32767 characters"},
			{xlsx(sheet.Table{Header: []string{"姓名", "网格编码"}, Rows: [][]any{{"王秀英", grid1}, wideRow}}), "row 3 has more than 256 columns"},
		} {
			im := mustRunImport(t, s, w.community, civic.ImportPeople, c.data)
			if im.State != civic.ImportFailed || !strings.Contains(im.Error, c.err) || im.Created != 0 {
				t.Errorf("%s import: %+v", im.Format, im)
			}
		}
	})
}

// TestImportPoisonGivesUp: an import that fails the same way on every run
// (here a trigger refuses one of its houses; in life any lasting error
// that is not a row's own problem) was taken again every ImportLease for
// ever, each run redoing its batch under the write lock. After
// MaxImportStalls runs in a row without progress it is failed with a message and its file
// dropped, and the runners go on with other imports. (A run that shuts
// down hands its import back and does not count: TestImportShutdownHandsBack.)
func TestImportPoisonGivesUp(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		mustPeopleWorld(t, s)
		staff := mustUser(t, s, "grid1staff", civic.RoleCommunityStaff, grid1)
		head := []string{"网格编码", "小区", "楼栋", "单元", "楼层", "门牌号"}
		bad, err := s.StartImport(ctx, staff, civic.ImportHouses, "houses.csv", csvOf(head,
			[]string{grid1, "新建小区", "1号楼", "1", "3", "301"},
			[]string{grid1, "新建小区", "1号楼", "1", "6", "666"}))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.PoisonForTest(ctx, "houses", "NEW.number = '666'"); err != nil {
			t.Fatal(err)
		}
		runs := 0
		for i := 0; i < store.MaxImportStalls+3; i++ {
			id, token, ok, err := s.ClaimImport(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			runs++
			if err := s.RunImport(ctx, id, token); err == nil {
				t.Fatal("the poisoned import ran through")
			}
			clock.Advance(store.ImportLease + time.Second) // the runner's lease lapses
		}
		if runs != store.MaxImportStalls {
			t.Fatalf("the poisoned import ran %d times, want %d", runs, store.MaxImportStalls)
		}
		im, err := s.GetImport(ctx, staff, bad.ID)
		if err != nil || im.State != civic.ImportFailed || !strings.Contains(im.Error, "in a row") || im.Attempts != store.MaxImportStalls {
			t.Fatalf("given up %+v %v", im, err)
		}
		var data string
		if err := s.QueryRowForTest(ctx, `SELECT data FROM imports WHERE id = ?`, bad.ID).Scan(&data); err != nil || data != "" {
			t.Fatalf("the failed import kept its file (%d bytes) %v", len(data), err)
		}
		// The next import is taken as usual.
		good := mustRunImport(t, s, staff, civic.ImportHouses, csvOf(head, []string{grid1, "新建小区", "2号楼", "1", "1", "101"}))
		if good.State != civic.ImportDone || good.Created != 1 {
			t.Fatalf("next import %+v", good)
		}
	})
}

// TestImportShutdownHandsBack: a runner told to stop mid-import hands the
// import back. Another runner takes it at once (not after the lease) and
// resumes it; however many times that happens, the interruptions are not
// stalls and the import is never given up for them.
func TestImportShutdownHandsBack(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		mustPeopleWorld(t, s)
		staff := mustUser(t, s, "grid1staff", civic.RoleCommunityStaff, grid1)
		im, err := s.StartImport(ctx, staff, civic.ImportHouses, "houses.csv", csvOf([]string{"网格编码", "小区", "楼栋", "单元", "楼层", "门牌号"},
			[]string{grid1, "新建小区", "1号楼", "1", "3", "301"}))
		if err != nil {
			t.Fatal(err)
		}
		stopped, stop := context.WithCancel(ctx)
		stop()
		for i := 0; i < store.MaxImportStalls+1; i++ {
			id, token, ok, err := s.ClaimImport(ctx)
			if err != nil || !ok || id != im.ID {
				t.Fatalf("claim %d after a shutdown: %v %v", i, ok, err)
			}
			if err := s.RunImport(stopped, id, token); err == nil {
				t.Fatal("a run went on after its shutdown")
			}
			if err := s.ReleaseImport(ctx, id, token); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Second) // no lease to wait for
		}
		id, token, ok, err := s.ClaimImport(ctx)
		if err != nil || !ok {
			t.Fatalf("last claim %v %v", ok, err)
		}
		if err := s.RunImport(ctx, id, token); err != nil {
			t.Fatal(err)
		}
		im, _ = s.GetImport(ctx, staff, im.ID)
		if im.State != civic.ImportDone || im.Created != 1 || im.Attempts != store.MaxImportStalls+2 {
			t.Fatalf("after the shutdowns %+v", im)
		}
	})
}
