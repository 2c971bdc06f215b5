package web

import (
	"bytes"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

// TestPlaceCodesPages: community staff make a code for a place; its sheet
// and PNG render; a resident opening the code's link reports there.
func TestPlaceCodesPages(t *testing.T) {
	f := mustCaseFixture(t)
	comm := f.mustLogin(t, "community")
	body := mustStatus(t, comm.post("/places", url.Values{"name": {""}}), http.StatusUnprocessableEntity)
	mustContain(t, body, "请填写场所名称")
	if rec := comm.post("/places", url.Values{"name": {"幸福里东门"}, "region_code": {commA}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", rec.Code, rec.Body.String())
	}
	list := mustStatus(t, comm.get("/places"), http.StatusOK)
	m := regexp.MustCompile(`/places/([a-z2-7]+)/print`).FindStringSubmatch(list)
	if m == nil {
		t.Fatalf("no print link: %s", list)
	}
	tok := m[1]
	mustContain(t, mustStatus(t, comm.get("/places/"+tok+"/print"), http.StatusOK), "扫码反映问题", "幸福里东门", "/report?place="+tok)
	rec := comm.get("/places/" + tok + "/qr.png")
	if _, err := png.Decode(bytes.NewReader(rec.Body.Bytes())); err != nil || rec.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("qr png: %v %s", err, rec.Header().Get("Content-Type"))
	}
	res := f.mustLogin(t, "resident")
	mustContain(t, mustStatus(t, res.get("/report?place="+tok), http.StatusOK), "幸福里东门", `name="place" value="`+tok+`"`)
	mustStatus(t, res.get("/places"), http.StatusForbidden)
}
