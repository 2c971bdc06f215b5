package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestPagesRenderInBothLanguages(t *testing.T) {
	f := mustFixture(t)
	c := f.mustLogin(t, "admin")
	pages := []struct {
		path   string
		zh, en string
	}{
		{"/", "辖区概况", "Your area at a glance"},
		{"/regions", "下辖区县", "Below this region: District"},
		{"/regions/" + streetA, "下辖社区", "Below this region: Community"},
		{"/regions/" + gridA1, "今日在岗", "Serving today"},
		{"/map", "点击地图上的网格", "Click a grid on the map"},
		{"/map/locate?lng=1&lat=1", "该位置不在您管辖范围内", "No region in your scope"},
		{"/grids", "缺专职网格员", "No full-time worker"},
		{"/staff", "网格员台账", "Grid staff ledger"},
		{fmt.Sprintf("/staff/%d", f.staffA.ID), "到岗日期", "Start date"},
		{"/staff/new", "登记网格员", "Add staff"},
		{fmt.Sprintf("/staff/%d/edit", f.staffA.ID), "编辑网格员", "Edit staff"},
		{"/organisations", "没有符合条件的组织", "No organisation matches"},
		{"/organisations/new", "管辖区域", "Jurisdiction"},
		{"/users", "新建账号", "New account"},
		{"/users/new", "初始密码", "Initial password"},
		{fmt.Sprintf("/users/%d/edit", f.users["street"].ID), "重置密码", "Reset password"},
		{"/account", "API 令牌", "API tokens"},
		{"/audit", "登记网格员", "Staff added"},
	}
	for _, p := range pages {
		for _, lang := range []string{"zh", "en"} {
			t.Run(lang+p.path, func(t *testing.T) {
				sep := "?"
				if strings.Contains(p.path, "?") {
					sep = "&"
				}
				body := mustStatus(t, c.get(p.path+sep+"lang="+lang), http.StatusOK)
				want, htmlLang := p.zh, `<html lang="zh-CN"`
				if lang == "en" {
					want, htmlLang = p.en, `<html lang="en"`
				}
				mustContain(t, body, want, htmlLang, `name="viewport"`, `href="/lang/en"`, `href="/lang/zh"`)
			})
		}
	}
}

func TestMapPage(t *testing.T) {
	f := mustFixture(t)
	c := f.mustLogin(t, "admin")
	body := mustStatus(t, c.get("/map"), http.StatusOK)
	mustContain(t, body, `id="map"`, `data-under="`+cityCode+`"`, `data-levels="city,district,street,community,grid"`,
		`data-lazy="microgrid"`, `data-basemap=""`, `/static/vendor/leaflet/leaflet.js`, `/static/map.js`,
		`data-level="grid" checked`, `id="grid-card"`, `name="crs"`)

	// A street user's map starts at their street.
	body = mustStatus(t, f.mustLogin(t, "street").get("/map"), http.StatusOK)
	mustContain(t, body, `data-under="`+streetA+`"`, `data-levels="street,community,grid"`)
}

func TestLocate(t *testing.T) {
	f := mustFixture(t)
	c := f.mustLogin(t, "street")
	q := fmt.Sprintf("/map/locate?lng=%g&lat=%g&crs=wgs84", gridA1Lng, gridA1Lat)
	// htmx gets the fragment: the path to the grid and its card.
	body := mustStatus(t, c.get(q, "HX-Request", "true"), http.StatusOK)
	mustNotContain(t, body, "<html")
	mustContain(t, body, `data-code="`+gridA1+`"`, "幸福第一网格", "幸福社区", "张网格长", `href="tel:13800000001"`)
	// Without JavaScript the whole map page comes back with the answer.
	mustContain(t, mustStatus(t, c.get(q), http.StatusOK), `<html`, "幸福第一网格", `value="116.32"`)
	// A point in street B is outside this user's scope.
	body = mustStatus(t, c.get("/map/locate?lng=116.36&lat=39.92", "HX-Request", "true"), http.StatusOK)
	mustContain(t, body, "该位置不在您管辖范围内的任何区域")
	mustNotContain(t, body, "和平第一网格")
	// Not numbers.
	mustContain(t, mustStatus(t, c.get("/map/locate?lng=east&lat=1&lang=en", "HX-Request", "true"), http.StatusOK), "as numbers")
}

func TestListsSwapOnlyResultsForHTMX(t *testing.T) {
	f := mustFixture(t)
	c := f.mustLogin(t, "admin")
	for _, p := range []string{"/grids?q=幸福", "/staff?position=grid_leader", "/organisations", "/users?role=admin", "/audit?entity=staff"} {
		body := mustStatus(t, c.get(p, "HX-Request", "true"), http.StatusOK)
		if strings.Contains(body, "<html") || strings.Contains(body, `class="filters`) {
			t.Errorf("%s: htmx got more than the results", p)
		}
		// A history restore after a cache miss needs the whole page.
		mustContain(t, mustStatus(t, c.get(p, "HX-Request", "true", "HX-History-Restore-Request", "true"), http.StatusOK), "<html")
	}
}

func TestRoleScopedNavigationAndAccess(t *testing.T) {
	f := mustFixture(t)
	tests := []struct {
		user      string
		path      string
		status    int
		want      string
		forbidNav []string
	}{
		{"worker", "/users", http.StatusForbidden, "您没有执行此操作的权限", nil},
		{"worker", "/audit", http.StatusForbidden, "您没有执行此操作的权限", nil},
		{"worker", "/users/new", http.StatusForbidden, "无权访问", nil},
		{"worker", "/staff/new", http.StatusForbidden, "无权访问", nil},
		{"worker", "/", http.StatusOK, "网格一览表", []string{`href="/users"`, `href="/audit"`}},
		{"street", "/", http.StatusOK, "网格员台账", []string{`href="/users"`, `href="/audit"`}},
		{"street", "/users?lang=en", http.StatusForbidden, "You are not allowed to do this", nil},
		{"resident", "/", http.StatusOK, `href="/report"`, []string{"即将开放", `href="/grids"`, `href="/map"`, `href="/staff"`}},
		{"resident", "/grids", http.StatusForbidden, "无权访问", nil},
		{"resident", "/account", http.StatusOK, "个人设置", nil},
		{"admin", "/regions/999999", http.StatusNotFound, "未找到", nil},
		{"admin", "/staff/999999?lang=en", http.StatusNotFound, "not found", nil},
		{"admin", "/staff/abc", http.StatusNotFound, "未找到", nil},
		{"admin", "/map/card/" + commA, http.StatusNotFound, "未找到", nil},
	}
	for _, tc := range tests {
		t.Run(tc.user+tc.path, func(t *testing.T) {
			body := mustStatus(t, f.mustLogin(t, tc.user).get(tc.path), tc.status)
			mustContain(t, body, tc.want)
			mustNotContain(t, body, tc.forbidNav...)
		})
	}
}

func TestStreetStaffSeeOnlyTheirStreet(t *testing.T) {
	f := mustFixture(t)
	c := f.mustLogin(t, "street")
	body := mustStatus(t, c.get("/grids"), http.StatusOK)
	mustContain(t, body, gridA1, gridA2, gridA3, "共 3 条")
	mustNotContain(t, body, gridB1, "和平第一网格")

	for _, p := range []string{
		"/regions/" + streetB,
		"/regions/" + gridB1,
		fmt.Sprintf("/staff/%d", f.staffB.ID),
		fmt.Sprintf("/staff/%d/edit", f.staffB.ID),
		"/map/card/" + gridB1,
		"/map?under=" + streetB,
	} {
		body := mustStatus(t, c.get(p), http.StatusNotFound)
		mustContain(t, body, "未找到")
		mustNotContain(t, body, "和平", "周网格长")
	}
	// The card fragment refuses as a fragment.
	body = mustStatus(t, c.get("/map/card/"+gridB1, "HX-Request", "true"), http.StatusNotFound)
	mustNotContain(t, body, "<html")
	// Deleting another street's staff is refused and changes nothing.
	mustStatus(t, c.post(fmt.Sprintf("/staff/%d/delete", f.staffB.ID), nil), http.StatusNotFound)
	mustStatus(t, f.mustLogin(t, "admin").get(fmt.Sprintf("/staff/%d", f.staffB.ID)), http.StatusOK)

	// Their own things work.
	mustContain(t, mustStatus(t, c.get("/map/card/"+gridA1), http.StatusOK), "张网格长")
	mustContain(t, mustStatus(t, c.get("/staff"), http.StatusOK), "张网格长", "陈兼职")
	mustNotContain(t, c.get("/staff").Body.String(), "周网格长")
}

func TestGridWorkerCardShowsCommunityAndStreet(t *testing.T) {
	f := mustFixture(t)
	// A grid worker's scope starts at the grid, above which RegionPath is
	// silent; the card still names the community and the street.
	body := mustStatus(t, f.mustLogin(t, "worker").get("/map/card/"+gridA1), http.StatusOK)
	mustContain(t, body, "幸福社区", "东风街道", "刘专职")
}

func TestStaticAssets(t *testing.T) {
	f := mustFixture(t)
	c := f.client(t)
	for _, p := range []string{"/static/app.css", "/static/app.js", "/static/map.js"} {
		rec := c.get(p)
		mustStatus(t, rec, http.StatusOK)
		if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "max-age") {
			t.Errorf("%s: Cache-Control %q", p, cc)
		}
	}
	mustStatus(t, c.get("/static/"), http.StatusNotFound)
	mustStatus(t, c.get("/static/nope.css"), http.StatusNotFound)
}

func TestTranslationTableIsComplete(t *testing.T) {
	for k, m := range messages {
		if strings.TrimSpace(m[0]) == "" || strings.TrimSpace(m[1]) == "" {
			t.Errorf("%s lacks a language: %q", k, m)
		}
		if strings.Count(m[0], "%") != strings.Count(m[1], "%") {
			t.Errorf("%s: zh and en take different arguments: %q", k, m)
		}
	}
	// Keys the Go code builds or passes around must exist too.
	for _, n := range navItems {
		if _, ok := messages[n.key]; !ok {
			t.Errorf("nav key %s missing", n.key)
		}
	}
	for _, a := range auditActions {
		if _, ok := messages["audit.action."+a]; !ok {
			t.Errorf("audit action %s has no label", a)
		}
	}
	for _, e := range auditEntities {
		if _, ok := messages["audit.entity."+e]; !ok {
			t.Errorf("audit entity %s has no label", e)
		}
	}
}

func TestStartUpRefusesBrokenTemplates(t *testing.T) {
	good := `{{define "layout"}}{{template "content" .}}{{end}}`
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"syntax error", map[string]string{"templates/layout.html": good, "templates/p.html": `{{define "content"}}{{if}}{{end}}`}, "missing value for if"},
		{"unknown key", map[string]string{"templates/layout.html": good, "templates/p.html": `{{define "content"}}{{t "nav.hmoe"}}{{end}}`}, "nav.hmoe"},
		{"no content", map[string]string{"templates/layout.html": good, "templates/p.html": `<p>hi</p>`}, "defines no"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for n, s := range tc.files {
				fsys[n] = &fstest.MapFile{Data: []byte(s)}
			}
			_, err := parseViews(fsys, time.UTC, "x")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := parseViews(templateFS, time.UTC, "x"); err != nil {
		t.Fatalf("the real templates: %v", err)
	}
}

func TestPager(t *testing.T) {
	p := newPager("/grids", map[string][]string{"q": {"幸福"}, "page": {"4"}}, 4, 520)
	if p.Pages != 11 || p.From != 151 || p.To != 200 {
		t.Errorf("pages %d from %d to %d", p.Pages, p.From, p.To)
	}
	if p.Prev != "/grids?page=3&q=%E5%B9%B8%E7%A6%8F" || p.Next != "/grids?page=5&q=%E5%B9%B8%E7%A6%8F" {
		t.Errorf("prev %q next %q", p.Prev, p.Next)
	}
	var ns []string
	for _, l := range p.Links {
		if l.Gap {
			ns = append(ns, "…")
		} else {
			ns = append(ns, fmt.Sprint(l.N))
		}
	}
	if got := strings.Join(ns, " "); got != "1 2 3 4 5 6 … 11" {
		t.Errorf("links %s", got)
	}
	if first := newPager("/grids", nil, 1, 10); first.Prev != "" || first.Next != "" || first.Pages != 1 {
		t.Errorf("one page: %+v", first)
	}
}
