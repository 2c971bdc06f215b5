package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
)

func uploadRegions(tb testing.TB, c *client, name string, body []byte) *httptest.ResponseRecorder {
	tb.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("back", "/regions/"+streetA)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(body)
	mw.Close()
	req := httptest.NewRequest("POST", "/regions/import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// TestRegionImportPage uploads a broken file (every reason listed, nothing
// written), a good one, and refuses street staff.
func TestRegionImportPage(t *testing.T) {
	f := mustFixture(t)
	admin := f.mustLogin(t, "admin")
	if rec := admin.get("/regions/" + streetA); !strings.Contains(rec.Body.String(), `action="/regions/import"`) {
		t.Fatal("admin's region page lacks the upload form")
	}
	broken := []byte(`{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"110101001001004","name":"新网格"},"geometry":{"type":"Polygon","coordinates":[[[116.33,39.93],[116.345,39.93],[116.345,39.945],[116.33,39.945],[116.33,39.93]]]}},
{"type":"Feature","properties":{"code":"110101001001005","name":"开口网格"},"geometry":{"type":"Polygon","coordinates":[[[116.33,39.93],[116.34,39.93],[116.34,39.94]]]}},
{"type":"Feature","properties":{"code":"110101001001006","name":"出界网格"},"geometry":{"type":"Polygon","coordinates":[[[116.34,39.93],[116.36,39.93],[116.36,39.94],[116.34,39.94],[116.34,39.93]]]}}]}`)
	rec := uploadRegions(t, admin, "broken.geojson", broken)
	body := rec.Body.String()
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(body, "开口网格") || !strings.Contains(body, "未闭合") {
		t.Fatalf("broken upload: %d\n%s", rec.Code, body)
	}
	if _, err := f.s.GetRegion(context.Background(), civic.System, "110101001001004"); civic.ErrorCodeOf(err) != civic.ENotFound {
		t.Fatalf("a refused upload wrote its good feature: %v", err)
	}
	good := []byte(`{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"110101001001004","name":"幸福第四网格"},"geometry":{"type":"Polygon","coordinates":[[[116.33,39.93],[116.345,39.93],[116.345,39.945],[116.33,39.945],[116.33,39.93]]]}}]}`)
	rec = uploadRegions(t, admin, "good.geojson", good)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "新增 1 个区域") {
		t.Fatalf("good upload: %d\n%s", rec.Code, rec.Body.String())
	}
	if g, err := f.s.GetRegion(context.Background(), civic.System, "110101001001004"); err != nil || g.Name != "幸福第四网格" {
		t.Fatalf("uploaded grid: %+v %v", g, err)
	}
	street := f.mustLogin(t, "street")
	if rec := uploadRegions(t, street, "good.geojson", good); rec.Code != http.StatusForbidden {
		t.Fatalf("street staff upload: %d", rec.Code)
	}
}
