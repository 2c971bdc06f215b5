package api

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// upload posts a file to the import endpoint as multipart/form-data.
func (f *fixture) uploadImport(token, kind, name string, data []byte) response {
	f.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("kind", kind)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/imports", &buf)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return response{Status: resp.StatusCode, Body: b.Bytes(), Header: resp.Header}
}

// runImports does what the background runner does.
func (f *fixture) runImports() {
	f.t.Helper()
	for {
		id, token, ok, err := f.s.ClaimImport(context.Background())
		if err != nil {
			f.t.Fatal(err)
		}
		if !ok {
			return
		}
		if err := f.s.RunImport(context.Background(), id, token); err != nil {
			f.t.Fatal(err)
		}
	}
}

func TestPeopleImportAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		staff := f.tokens[civic.RoleCommunityStaff]
		r := f.do("GET", "/api/v1/import-templates/people", staff, nil)
		rows, err := sheet.Read(bytes.NewReader(r.Body))
		if r.Status != 200 || err != nil || len(rows) != 2 || rows[0][0] != "姓名" {
			t.Fatalf("template: %d %q %v", r.Status, rows, err)
		}
		if r := f.do("GET", "/api/v1/import-templates/houses?format=csv", staff, nil); r.Status != 200 || !strings.HasPrefix(string(r.Body), "\ufeff网格编码") {
			t.Fatalf("csv template: %d %s", r.Status, r.Body)
		}
		var im civic.Import
		r = f.uploadImport(staff, "houses", "房屋.csv", []byte("网格编码,小区,楼栋,单元,楼层,门牌号,面积,用途\n"+gridA1x+",和平里,1号楼,1,2,201,60,自住\n"+gridA1x+",和平里,1号楼,1,3,301,60,出租\n"))
		if r.Status != 202 {
			t.Fatalf("upload houses: %d %s", r.Status, r.Body)
		}
		r.decode(t, &im)
		if im.State != civic.ImportQueued || im.Total != 2 {
			t.Fatalf("queued %+v", im)
		}
		f.runImports()
		f.do("GET", "/api/v1/imports/"+itoa(im.ID), staff, nil).decode(t, &im)
		if im.State != civic.ImportDone || im.Created != 2 {
			t.Fatalf("houses import %+v", im)
		}
		people := "姓名,证件号码,手机号,网格编码,小区,楼栋,单元,门牌号,与房屋关系\n" +
			"王秀英,11010519491231002X,13800138000," + gridA1x + ",和平里,1号楼,1,201,产权人\n" +
			"李四,110105198001010111,," + gridA1x + ",和平里,1号楼,1,999,\n"
		r = f.uploadImport(staff, "people", "人口.csv", []byte(people))
		r.decode(t, &im)
		f.runImports()
		f.do("GET", "/api/v1/imports/"+itoa(im.ID), staff, nil).decode(t, &im)
		if im.Created != 1 || im.Rejected != 1 {
			t.Fatalf("people import %+v", im)
		}
		var issues struct {
			Items []civic.ImportIssue `json:"items"`
			Total int                 `json:"total"`
		}
		f.do("GET", "/api/v1/imports/"+itoa(im.ID)+"/issues", staff, nil).decode(t, &issues)
		if issues.Total != 1 || issues.Items[0].Row != 3 || len(issues.Items[0].Errors) != 2 {
			t.Fatalf("issues %+v", issues)
		}
		r = f.do("GET", "/api/v1/imports/"+itoa(im.ID)+"/rejected", staff, nil)
		rows, err = sheet.Read(bytes.NewReader(r.Body))
		if err != nil || len(rows) != 2 || rows[1][0] != "李四" || !strings.Contains(rows[1][len(rows[0])-1], "门牌号") {
			t.Fatalf("rejected rows %q %v", rows, err)
		}
		if r := f.uploadImport(f.tokens[civic.RoleGridWorker], "people", "x.csv", []byte(people)); r.Status != 403 {
			t.Fatalf("a grid worker uploads: %d", r.Status)
		}
		// Exports: masked for staff, plain only for who may, and nothing
		// outside the caller's scope.
		r = f.do("GET", "/api/v1/people/export", staff, nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), "1****************X") || strings.Contains(string(r.Body), "11010519491231002X") || !strings.Contains(string(r.Body), "138****8000") {
			t.Fatalf("masked export %d %s", r.Status, r.Body)
		}
		if r := f.do("GET", "/api/v1/people/export?plain=1", staff, nil); r.Status != 403 {
			t.Fatalf("plain export by staff: %d", r.Status)
		}
		r = f.do("GET", "/api/v1/people/export?plain=1&format=xlsx", f.admin, nil)
		rows, err = sheet.Read(bytes.NewReader(r.Body))
		if err != nil || len(rows) != 2 || rows[1][2] != "11010519491231002X" {
			t.Fatalf("plain export %q %v", rows, err)
		}
		outsider := f.mustUserToken("b1staff", civic.RoleCommunityStaff, civic.Scope{RegionCode: codeB1c})
		if r := f.do("GET", "/api/v1/people/export", outsider, nil); r.Status != 200 || strings.Contains(string(r.Body), "王秀英") || strings.Count(string(r.Body), "\n") != 1 {
			t.Fatalf("outsider export %d %s", r.Status, r.Body)
		}
		if r := f.do("GET", "/api/v1/houses/export", outsider, nil); strings.Contains(string(r.Body), "和平里") {
			t.Fatalf("outsider house export %s", r.Body)
		}
		if r := f.do("GET", "/api/v1/imports/"+itoa(im.ID), outsider, nil); r.Status != 404 {
			t.Fatalf("outsider reads the import: %d", r.Status)
		}
		if r := f.do("GET", "/api/v1/people/export?under="+codeB1, staff, nil); r.Status == 200 {
			t.Fatalf("export under another street: %d", r.Status)
		}
	})
}
