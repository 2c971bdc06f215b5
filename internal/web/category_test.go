package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/demo"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
)

// mustCategoryFixture is the web fixture with the default catalogue.
func mustCategoryFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := mustFixture(tb)
	if _, err := f.s.EnsureDefaultCategories(context.Background()); err != nil {
		tb.Fatalf("default categories: %v", err)
	}
	return f
}

func categoryCount(tb testing.TB, s *store.Store) int {
	tb.Helper()
	cs, err := s.ListCategories(context.Background(), civic.System, store.CategoryFilter{IncludeInactive: true})
	if err != nil {
		tb.Fatal(err)
	}
	return len(cs)
}

func uploadCategories(tb testing.TB, c *client, name string, body []byte) *httptest.ResponseRecorder {
	tb.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(body)
	mw.Close()
	req := httptest.NewRequest("POST", "/categories/import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

func TestCategoriesPageRenders(t *testing.T) {
	f := mustCategoryFixture(t)
	admin := f.mustLogin(t, "admin")
	body := mustStatus(t, admin.get("/categories"), http.StatusOK)
	mustContain(t, body, "工单分类目录", `id="cat-07"`, "燃气泄漏", "0.5小时", "24小时", "城市管理委员会", "不受理", "已进入诉讼或仲裁程序",
		`href="/categories/0701/edit"`, `href="/categories/new?parent=07"`, `action="/categories/import"`, `href="/categories/export.xlsx"`, `<details class="cat-group`)
	body = mustStatus(t, admin.get("/categories?lang=en"), http.StatusOK)
	mustContain(t, body, "Case category catalogue", "Gas leak", "0.5 hours", "Not accepted")

	// Filtering keeps each match under its 大类 and swaps only the results.
	rec := admin.get("/categories?q="+url.QueryEscape("燃气泄漏"), "HX-Request", "true")
	body = mustStatus(t, rec, http.StatusOK)
	mustContain(t, body, "燃气泄漏", `id="cat-07"`, "匹配 1 个分类")
	mustNotContain(t, body, "<html", "燃气停气", "电梯故障")
	body = mustStatus(t, admin.get("/categories?accepted=no&type=complaint"), http.StatusOK)
	mustContain(t, body, "没有符合条件的分类")

	// Readers see the catalogue without the controls.
	worker := f.mustLogin(t, "worker")
	body = mustStatus(t, worker.get("/categories"), http.StatusOK)
	mustContain(t, body, `href="/categories"`, "燃气泄漏", `href="/categories/0701"`, "目录由管理员维护")
	mustNotContain(t, body, "/edit", `action="/categories/import"`, "/active")
	body = mustStatus(t, worker.get("/categories/0701"), http.StatusOK)
	mustContain(t, body, "<fieldset class=\"plain\" disabled>", `value="0.5小时"`)
	mustNotContain(t, body, `type="submit">保存`)
	// Residents do not see the catalogue at all.
	resident := f.mustLogin(t, "resident")
	mustStatus(t, resident.get("/categories"), http.StatusForbidden)
	mustNotContain(t, mustStatus(t, resident.get("/account"), http.StatusOK), `href="/categories"`)
}

func TestCategoryFormRefusesBadLimitInline(t *testing.T) {
	f := mustCategoryFixture(t)
	admin := f.mustLogin(t, "admin")
	before, audits := categoryCount(t, f.s), auditCount(t, f.s)
	body := mustStatus(t, admin.get("/categories/0101/edit"), http.StatusOK)
	mustContain(t, body, `value="1工作时"`, `name="claim"`, `readonly`)
	form := url.Values{"leaf": {"1"}, "name": {"电梯停运"}, "type": {"help"}, "handler": {"property"}, "claim": {"2天"},
		"feedback": {"4工作时"}, "complete": {"2工作日"}, "visit": {""}, "yellow": {"0.5"}, "red": {"0.8"}, "accepted": {"1"}, "sort": {"0"}}
	for _, lang := range []string{"zh", "en"} {
		body := mustStatus(t, admin.post("/categories/0101/edit?lang="+lang, form), http.StatusUnprocessableEntity)
		claimMsg, visitMsg := "“2天”不是有效的时限", "请填写回访时限"
		if lang == "en" {
			claimMsg, visitMsg = `"2天" is not a time limit`, "enter the return visit time limit"
		}
		// Each message sits under its own input (and is listed in the
		// summary at the top as well); the typed text is kept.
		at, msgAt, next := strings.Index(body, `id="claim"`), strings.LastIndex(body, htmlEscape(claimMsg)), strings.Index(body, `id="feedback"`)
		if at < 0 || msgAt < at || msgAt > next {
			t.Errorf("%s: the claim error is not under the claim input", lang)
		}
		mustContain(t, body, htmlEscape(visitMsg), `value="2天"`, `value="电梯停运"`, `aria-invalid="true" aria-describedby="claim-err"`)
	}
	if c, _ := f.s.GetCategory(context.Background(), civic.System, "0101"); c.Name != "电梯故障" {
		t.Errorf("a refused form wrote %q", c.Name)
	}
	if n, a := categoryCount(t, f.s), auditCount(t, f.s); n != before || a != audits {
		t.Errorf("a refused form wrote: categories %d → %d, audit %d → %d", before, n, audits, a)
	}

	form.Set("claim", "2工作时")
	form.Set("visit", "2工作日")
	rec := admin.post("/categories/0101/edit", form)
	mustStatus(t, rec, http.StatusSeeOther)
	if c, _ := f.s.GetCategory(context.Background(), civic.System, "0101"); c.Name != "电梯停运" || c.Limits[civic.StageClaim] != (civic.TimeLimit{Amount: 2, Unit: civic.UnitWorkHours}) {
		t.Errorf("after save: %+v", c)
	}

	// A new leaf under a group, then a duplicate code.
	mustContain(t, mustStatus(t, admin.get("/categories/new?parent=01"), http.StatusOK), `value="01"`)
	form.Set("code", "0199")
	form.Set("name", "快递柜")
	mustStatus(t, admin.post("/categories/new", form), http.StatusSeeOther)
	body = mustStatus(t, admin.post("/categories/new", form), http.StatusConflict)
	mustContain(t, body, "编码 0199 已被使用")
}

func TestCategoryWritesNeedAdmin(t *testing.T) {
	f := mustCategoryFixture(t)
	for _, who := range []string{"street", "worker"} {
		c := f.mustLogin(t, who)
		for _, path := range []string{"/categories/0101/edit", "/categories/new"} {
			mustStatus(t, c.get(path), http.StatusForbidden)
		}
		mustStatus(t, c.post("/categories/0101/edit", url.Values{"name": {"x"}}), http.StatusForbidden)
		mustStatus(t, c.post("/categories/01/active", url.Values{"active": {"0"}}), http.StatusForbidden)
		mustStatus(t, uploadCategories(t, c, "c.csv", []byte("code,name\n99,x\n")), http.StatusForbidden)
	}
	if cat, _ := f.s.GetCategory(context.Background(), civic.System, "01"); !cat.Active {
		t.Fatal("a reader deactivated a category")
	}
}

func TestCategoryActivateAndExport(t *testing.T) {
	f := mustCategoryFixture(t)
	admin := f.mustLogin(t, "admin")
	mustStatus(t, admin.post("/categories/07/active", url.Values{"active": {"0"}}), http.StatusSeeOther)
	body := mustStatus(t, admin.get("/categories"), http.StatusOK)
	mustContain(t, body, "分类已停用", `cat-group card card-flush cat-inactive" id="cat-07"`)
	mustNotContain(t, mustStatus(t, admin.get("/categories?active=1"), http.StatusOK), "燃气泄漏")
	mustStatus(t, admin.post("/categories/0701/active", url.Values{"active": {"1"}}), http.StatusUnprocessableEntity)
	mustStatus(t, admin.post("/categories/07/active", url.Values{"active": {"1"}}), http.StatusSeeOther)

	rec := admin.get("/categories/export.csv?q=" + url.QueryEscape("燃气"))
	body = mustStatus(t, rec, http.StatusOK)
	if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") || !strings.HasPrefix(body, "\ufeff编码,名称") || !strings.Contains(body, "0701,燃气泄漏") {
		t.Errorf("csv export: %q", truncate(body))
	}
	rec = admin.get("/categories/export.xlsx?lang=en")
	rows, err := sheet.Read(bytes.NewReader(rec.Body.Bytes()))
	if err != nil || rows[0][0] != "code" || len(rows) != categoryCount(t, f.s)+1 {
		t.Errorf("xlsx export: %v rows, %v", len(rows), err)
	}
	mustStatus(t, admin.get("/categories/export.pdf"), http.StatusNotFound)
}

func TestCategoryImportPage(t *testing.T) {
	f := mustCategoryFixture(t)
	admin := f.mustLogin(t, "admin")
	before, audits := categoryCount(t, f.s), auditCount(t, f.s)
	bad := "编码,名称,诉求类型,承办对象,承办部门,签收时限,反馈时限,办结时限,回访时限\n" +
		"90,社区服务,,,,,,,\n" +
		"9001,便民菜站,建议,街道,,1工作日,3工作日,15工作日,3工作日\n" +
		"9002,社区食堂,抱怨,街道,,1工作日,3周,15工作日,3工作日\n"
	body := mustStatus(t, uploadCategories(t, admin, "bad.csv", []byte(bad)), http.StatusUnprocessableEntity)
	mustContain(t, body, `id="import-reasons"`, "第4行“诉求类型”列：", "第4行“反馈时限”列：", "未写入任何数据", "bad.csv")
	// Rule problems are listed the same way once every cell reads.
	bad = strings.NewReplacer("抱怨", "建议", "3周", "3工作日", "9001,便民菜站,建议,街道,", "9001,便民菜站,建议,职能部门,").Replace(bad)
	body = mustStatus(t, uploadCategories(t, admin, "bad.csv", []byte(bad)), http.StatusUnprocessableEntity)
	mustContain(t, body, "第3行“承办部门”列：")
	if n, a := categoryCount(t, f.s), auditCount(t, f.s); n != before || a != audits {
		t.Errorf("a refused import wrote: categories %d → %d, audit %d → %d", before, n, audits, a)
	}
	mustContain(t, mustStatus(t, uploadCategories(t, admin, "c.txt", []byte(bad)), http.StatusUnprocessableEntity), "只接受 .csv 或 .xlsx 文件")

	good := strings.Replace(bad, "职能部门,", "街道,", 1)
	body = mustStatus(t, uploadCategories(t, admin, "good.csv", []byte(good)), http.StatusOK)
	mustContain(t, body, "导入成功：新增 3 个分类，更新 0 个分类。")
	if n := categoryCount(t, f.s); n != before+3 {
		t.Errorf("categories %d → %d", before, n)
	}
}

// TestDefaultCatalogueRoutesInDemoCity checks every department the built-in
// catalogue routes to against the demo city: in each district exactly one
// department of the district (or of the city) answers to the name, so that
// routing is never stuck and never ambiguous. It lives here because the
// store may not import demo.
func TestDefaultCatalogueRoutesInDemoCity(t *testing.T) {
	sh, err := store.DefaultCategories()
	if err != nil {
		t.Fatal(err)
	}
	city := demo.Generate(2026)
	var districts []string
	for _, r := range city.Regions {
		if r.Level == civic.LevelDistrict {
			districts = append(districts, r.Code)
		}
	}
	if len(districts) == 0 {
		t.Fatal("demo city has no districts")
	}
	checked := map[string]bool{}
	for _, c := range sh.Categories {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", c.Code, err)
		}
		d := c.Handler.Department
		if c.Handler.Target != civic.HandlerDepartment || checked[d] {
			continue
		}
		checked[d] = true
		for _, dist := range districts {
			var found []string
			for _, o := range city.Orgs {
				if o.Kind == civic.OrgDepartment && civic.InSubtree(dist, o.RegionCode) && civic.MatchesDepartment(o.Name, d) {
					found = append(found, o.Name)
				}
			}
			if len(found) != 1 {
				t.Errorf("department %q in district %s: %v", d, dist, found)
			}
		}
	}
	if len(checked) < 8 {
		t.Errorf("only %d departments checked", len(checked))
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer(`"`, "&#34;", "<", "&lt;", ">", "&gt;").Replace(s)
}
