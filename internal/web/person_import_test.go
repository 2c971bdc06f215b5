package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPersonImportPage(t *testing.T) {
	f := mustFixture(t)
	c := f.mustLogin(t, "street")
	body := mustStatus(t, c.get("/people/import"), http.StatusOK)
	mustContain(t, body, `href="/import-templates/people"`, `id="import-form"`, `id="export-form"`, "还没有导入记录")
	mustNotContain(t, body, `name="plain"`)
	// Upload a houses sheet; the page shows it queued, the runner does it.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("kind", "houses")
	fw, _ := mw.CreateFormFile("file", "房屋.csv")
	fw.Write([]byte("网格编码,小区,楼栋,单元,楼层,门牌号\n" + gridA1 + ",和平里,1号楼,1,2,201\n" + gridA1 + ",和平里,1号楼,1,x,301\n"))
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/people/import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec := c.do(req)
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/imports/") {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	detail := rec.Header().Get("Location")
	mustContain(t, mustStatus(t, c.get(detail), http.StatusOK), "排队中", `hx-trigger="every 2s"`)
	id, token, ok, err := f.s.ClaimImport(context.Background())
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if err := f.s.RunImport(context.Background(), id, token); err != nil {
		t.Fatal(err)
	}
	body = mustStatus(t, c.get(detail), http.StatusOK)
	mustContain(t, body, "新增1，合并0，未变0，未导入1", `id="rejected-table"`, "楼层应为整数", "rejected.xlsx")
	mustNotContain(t, body, `hx-trigger="every 2s"`)
	if rec := c.get(detail + "/rejected.xlsx"); rec.Code != http.StatusOK {
		t.Fatalf("rejected rows: %d", rec.Code)
	}
	if body := mustStatus(t, c.get("/people/export?kind=houses&format=csv"), http.StatusOK); !strings.Contains(body, "和平里") {
		t.Fatalf("export %s", body)
	}
	// A refused upload shows the page again with the reason at the file
	// field and the kind still chosen (it was a bare error page saying
	// "check the marked fields" with nothing marked).
	upload := func(kind, name string, data []byte) *httptest.ResponseRecorder {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("kind", kind)
		if name != "" {
			fw, _ := mw.CreateFormFile("file", name)
			fw.Write(data)
		}
		mw.Close()
		req := httptest.NewRequest(http.MethodPost, "/people/import", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return c.do(req)
	}
	body = mustStatus(t, upload("houses", "", nil), http.StatusUnprocessableEntity)
	mustContain(t, body, `id="import-form"`, `<div id="f-file-err"><p class="field-error">`, "请选择要导入的文件", `<option value="houses" selected>`)
	body = mustStatus(t, upload("houses", "x.csv", []byte("姓名,电话\n张三,1\n")), http.StatusUnprocessableEntity)
	mustContain(t, body, `id="import-form"`, `<div id="f-file-err"><p class="field-error">`)
	// A grid worker may export (masked) but not import.
	w := f.mustLogin(t, "worker")
	body = mustStatus(t, w.get("/people/import"), http.StatusOK)
	mustContain(t, body, `id="export-form"`)
	mustNotContain(t, body, `id="import-form"`)
	mustStatus(t, w.get("/import-templates/people"), http.StatusForbidden)
	mustStatus(t, w.get(detail), http.StatusForbidden)
	// The admin may export plain.
	mustContain(t, mustStatus(t, f.mustLogin(t, "admin").get("/people/import"), http.StatusOK), `name="plain"`)
}
