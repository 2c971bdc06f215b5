package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
)

func TestUsersCreateEditReset(t *testing.T) {
	f := mustFixture(t)
	c := f.mustLogin(t, "admin")
	list := mustStatus(t, c.get("/users?role=street_staff"), http.StatusOK)
	mustContain(t, list, "李街道")
	mustNotContain(t, list, ">admin</a>")

	// Refused: bad username and a scope that does not exist, each under its
	// field, the typed values kept.
	bad := url.Values{"username": {"A"}, "display_name": {"新同事"}, "password": {"short"}, "role": {"community_staff"},
		"scope_code": {"110101009"}, "lang": {"zh"}}
	body := mustStatus(t, c.post("/users/new", bad), http.StatusUnprocessableEntity)
	mustContain(t, body, "用户名长度应为3到32个字符", "密码至少8位", `value="新同事"`, `aria-describedby="username-err"`)

	// A tampered organisation (not a number) is refused beside every
	// other mistake, not instead of them, on the new form and the edit one.
	bad.Set("scope_org_id", "abc")
	body = mustStatus(t, c.post("/users/new", bad), http.StatusUnprocessableEntity)
	mustContain(t, body, "请选择组织", "用户名长度应为3到32个字符", "密码至少8位", `aria-describedby="scope_org_id-err"`)

	good := url.Values{"username": {"comm1"}, "display_name": {"新同事"}, "password": {"long-enough-1"}, "role": {"community_staff"},
		"scope_code": {commA}, "lang": {"en"}, "phone": {"13700000000"}}
	rec := c.post("/users/new", good)
	mustStatus(t, rec, http.StatusSeeOther)
	edit := rec.Header().Get("Location")
	mustContain(t, mustStatus(t, c.get(edit), http.StatusOK), `value="新同事"`, `value="`+commA+`"`, "重置密码")

	// The new user signs in.
	nc := f.client(t)
	mustStatus(t, nc.post("/login", url.Values{"username": {"comm1"}, "password": {"long-enough-1"}}), http.StatusSeeOther)

	body = mustStatus(t, c.post(edit, url.Values{"display_name": {""}, "role": {"community_staff"}, "scope_code": {commA}, "scope_org_id": {"-3"}, "lang": {"en"}}), http.StatusUnprocessableEntity)
	mustContain(t, body, "请选择组织", "姓名不能为空且不超过50字")

	// Disabling ends the session at once.
	upd := url.Values{"display_name": {"新同事"}, "role": {"community_staff"}, "scope_code": {commA}, "lang": {"en"}, "disabled": {"1"}}
	mustStatus(t, c.post(edit, upd), http.StatusSeeOther)
	if rec := nc.get("/"); rec.Code != http.StatusSeeOther {
		t.Errorf("disabled user still signed in: %d", rec.Code)
	}
	mustContain(t, c.get("/users").Body.String(), "已停用")

	// Password reset needs matching confirmation.
	var id int64
	fmt.Sscanf(edit, "/users/%d/edit", &id)
	pw := fmt.Sprintf("/users/%d/password", id)
	body = mustStatus(t, c.post(pw, url.Values{"new_password": {"another-pass-1"}, "confirm_password": {"another-pass-2"}}), http.StatusUnprocessableEntity)
	mustContain(t, body, "两次输入的密码不一致")
	mustStatus(t, c.post(pw, url.Values{"new_password": {"another-pass-1"}, "confirm_password": {"another-pass-1"}}), http.StatusSeeOther)
	mustContain(t, c.get(edit).Body.String(), "密码已重置")
}

func TestAdminCannotDemoteThemselves(t *testing.T) {
	f := mustFixture(t)
	c := f.mustLogin(t, "admin")
	self := fmt.Sprintf("/users/%d/edit", f.users["admin"].ID)
	mustContain(t, c.get(self).Body.String(), "这是您自己的账号")
	body := mustStatus(t, c.post(self, url.Values{"display_name": {"王管理"}, "role": {"grid_worker"}, "scope_code": {cityCode}, "lang": {"zh"}}), http.StatusConflict)
	mustContain(t, body, "不能停用、降级或改变自己账号的范围", `value="王管理"`)
}

func TestAccount(t *testing.T) {
	f := mustFixture(t)
	c := f.mustLogin(t, "worker")

	// Profile: a bad phone is refused inline; a good change switches the
	// interface language too.
	body := mustStatus(t, c.post("/account", url.Values{"display_name": {"赵网格"}, "phone": {"abc"}, "lang": {"zh"}}), http.StatusUnprocessableEntity)
	mustContain(t, body, "电话号码格式不正确", `value="abc"`)
	mustStatus(t, c.post("/account", url.Values{"display_name": {"赵小网"}, "phone": {"13600000000"}, "lang": {"en"}}), http.StatusSeeOther)
	body = c.get("/account").Body.String()
	mustContain(t, body, `<html lang="en"`, "Saved", `value="赵小网"`)
	// A name and phone typed by the user wait for an admin's check, which
	// the admin gives on the user's form.
	mustContain(t, body, "Your name or phone number is not checked yet")
	admin := f.mustLogin(t, "admin")
	mustContain(t, admin.get("/users?role=grid_worker").Body.String(), "待核实")
	edit := fmt.Sprintf("/users/%d/edit", f.users["worker"].ID)
	mustContain(t, admin.get(edit).Body.String(), `name="identity_checked" value="1">`)
	mustStatus(t, admin.post(edit, url.Values{"display_name": {"赵小网"}, "phone": {"13600000000"}, "role": {"grid_worker"},
		"scope_code": {f.users["worker"].Scope.RegionCode}, "lang": {"en"}, "identity_checked": {"1"}}), http.StatusSeeOther)
	mustContain(t, admin.get(edit).Body.String(), `name="identity_checked" value="1" checked>`)
	body = c.get("/account").Body.String()
	mustContain(t, body, "an administrator must check them")
	mustNotContain(t, body, "not checked yet")

	// Password: wrong current password and mismatched confirmation.
	body = mustStatus(t, c.post("/account/password?lang=zh", url.Values{"current_password": {"nope-nope-1"}, "new_password": {"brand-new-pass"}, "confirm_password": {"brand-new-pass"}}), http.StatusUnprocessableEntity)
	mustContain(t, body, "当前密码不正确")
	body = mustStatus(t, c.post("/account/password?lang=zh", url.Values{"current_password": {password}, "new_password": {"brand-new-pass"}, "confirm_password": {"other"}}), http.StatusUnprocessableEntity)
	mustContain(t, body, "两次输入的密码不一致")

	other := f.mustLogin(t, "worker")
	mustStatus(t, c.post("/account/password", url.Values{"current_password": {password}, "new_password": {"brand-new-pass"}, "confirm_password": {"brand-new-pass"}}), http.StatusSeeOther)
	// This session survives, the other one ends.
	mustStatus(t, c.get("/account"), http.StatusOK)
	if rec := other.get("/"); rec.Code != http.StatusSeeOther {
		t.Errorf("other session survived a password change: %d", rec.Code)
	}

	// API tokens: the secret is shown once, then only the prefix.
	mustContain(t, mustStatus(t, c.post("/account/tokens", url.Values{"name": {""}}), http.StatusUnprocessableEntity), "give the token a name")
	body = mustStatus(t, c.post("/account/tokens", url.Values{"name": {"区平台"}}), http.StatusOK)
	i := strings.Index(body, `value="cg_`)
	if i < 0 {
		t.Fatalf("secret not shown:\n%s", truncate(body))
	}
	secret := body[i+len(`value="`):]
	secret = secret[:strings.IndexByte(secret, '"')]
	if _, err := f.s.TokenUser(context.Background(), secret); err != nil {
		t.Errorf("shown secret does not work: %v", err)
	}
	body = c.get("/account").Body.String()
	mustContain(t, body, "区平台", secret[:9])
	mustNotContain(t, body, secret)

	toks, err := f.s.ListTokens(context.Background(), civic.Actor{UserID: f.users["worker"].ID})
	if err != nil || len(toks) != 1 {
		t.Fatalf("tokens %v %v", toks, err)
	}
	mustStatus(t, c.post(fmt.Sprintf("/account/tokens/%d/revoke", toks[0].ID), nil), http.StatusSeeOther)
	if _, err := f.s.TokenUser(context.Background(), secret); err == nil {
		t.Error("revoked token still works")
	}
	// Someone else's token is not found.
	mustStatus(t, f.mustLogin(t, "admin").post(fmt.Sprintf("/account/tokens/%d/revoke", toks[0].ID), nil), http.StatusNotFound)
}

func TestOrganisations(t *testing.T) {
	f := mustFixture(t)
	c := f.mustLogin(t, "street")
	mustContain(t, c.get("/organisations").Body.String(), "没有符合条件的组织", `href="/organisations/new"`)

	body := mustStatus(t, c.post("/organisations/new", url.Values{"name": {""}, "kind": {"nope"}, "region_code": {commA}, "phone": {"x1"}}), http.StatusUnprocessableEntity)
	mustContain(t, body, "名称不能为空", "请选择组织类型", "电话号码格式不正确", `value="x1"`)

	body = mustStatus(t, c.post("/organisations/new", url.Values{"name": {"和平物业"}, "kind": {"property_company"}, "region_code": {commB}}), http.StatusForbidden)
	mustContain(t, body, "管辖区域不在您的范围内", `value="和平物业"`)

	mustStatus(t, c.post("/organisations/new", url.Values{"name": {"幸福物业"}, "kind": {"property_company"}, "region_code": {commA}, "phone": {"010-12345678"}}), http.StatusSeeOther)
	body = c.get("/organisations?kind=property_company").Body.String()
	mustContain(t, body, "幸福物业", "物业公司", "幸福社区")
	mustNotContain(t, c.get("/organisations?kind=department").Body.String(), "幸福物业")

	// A grid worker reads but does not write.
	w := f.mustLogin(t, "worker")
	mustNotContain(t, w.get("/organisations").Body.String(), `href="/organisations/new"`)
	mustStatus(t, w.get("/organisations/new"), http.StatusForbidden)
}

func TestAuditShowsReadableDiff(t *testing.T) {
	f := mustFixture(t)
	c := f.mustLogin(t, "admin")
	mustStatus(t, c.post(fmt.Sprintf("/staff/%d/edit", f.staffA.ID), url.Values{"name": {"张网格长"}, "position": {"grid_leader"},
		"grid_code": {gridA1}, "phone": {"13811112222"}, "start_date": {"2025-01-01"}}), http.StatusSeeOther)

	body := mustStatus(t, c.get("/audit?entity=staff&action=staff.update&user=admin"), http.StatusOK)
	mustContain(t, body, "修改网格员", "<del>13800000001</del>", "<ins>13811112222</ins>", "admin")
	mustNotContain(t, body, "updated_at")
	// Date filters: the whole day of the fixture clock, inclusive.
	mustContain(t, c.get("/audit?from=2026-03-10&to=2026-03-10").Body.String(), "13811112222")
	mustNotContain(t, c.get("/audit?from=2026-03-11").Body.String(), "13811112222")
	mustContain(t, c.get("/audit?from=yesterday").Body.String(), "日期格式应为")
}

func TestDiffJSON(t *testing.T) {
	tests := []struct {
		name          string
		before, after string
		want          string
	}{
		{"create lists every field", ``, `{"name":"甲","phone":"1","updated_at":"x"}`, "name:→甲 phone:→1"},
		{"delete", `{"name":"甲"}`, ``, "name:甲→"},
		{"update shows only changes", `{"name":"甲","phone":"1","scope":{"region_code":"11"}}`, `{"name":"甲","phone":"2","scope":{"region_code":"12"}}`, "phone:1→2 scope.region_code:11→12"},
		{"numbers and bools", `{"n":1,"b":false}`, `{"n":1.5,"b":true}`, "b:false→true n:1→1.5"},
		{"not json", `oops`, ``, "·:oops→"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var parts []string
			for _, ch := range diffJSON(tc.before, tc.after) {
				parts = append(parts, ch.Field+":"+ch.Before+"→"+ch.After)
			}
			if got := strings.Join(parts, " "); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
