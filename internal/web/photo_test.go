package web

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/files"
	"github.com/civicgrid/civicgrid/internal/files/filestest"
	"github.com/civicgrid/civicgrid/internal/store"
)

// mustPhotoFixture is the case fixture served with a file store.
func mustPhotoFixture(tb testing.TB) (*caseFixture, *files.Store) {
	tb.Helper()
	f := mustCaseFixture(tb)
	fst, err := files.Open(filepath.Join(tb.TempDir(), "files"))
	if err != nil {
		tb.Fatal(err)
	}
	authn := &auth.Auth{Store: f.s}
	w, err := New(Config{Store: f.s, Auth: authn, Locator: f.s.NewLocator(0), Version: "test", Files: fst})
	if err != nil {
		tb.Fatalf("web.New: %v", err)
	}
	mux := http.NewServeMux()
	w.Register(mux)
	f.h = authn.Middleware(mux)
	return f, fst
}

type photoUpload struct {
	name string
	body []byte
}

// postPhotos posts a form as multipart/form-data with files as "photo".
func (c *client) postPhotos(path string, form url.Values, photos ...photoUpload) *httptest.ResponseRecorder {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for _, p := range photos {
		fw, _ := mw.CreateFormFile("photo", p.name)
		fw.Write(p.body)
	}
	// The other input, left empty, still sends a nameless part.
	mw.CreateFormFile("photo", "")
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

func (f *caseFixture) mustPhotos(tb testing.TB, id int64) []store.CasePhoto {
	tb.Helper()
	ps, err := f.s.CasePhotos(context.Background(), civic.System, id)
	if err != nil {
		tb.Fatal(err)
	}
	return ps
}

// TestReportWithPhotos files a report with two photos and no place: the
// place comes from the photo that has one, both are stored, the public
// copy carries no EXIF, and only those who may see the case may fetch
// them.
func TestReportWithPhotos(t *testing.T) {
	f, _ := mustPhotoFixture(t)
	c := f.mustLogin(t, "resident")
	body := mustStatus(t, c.get("/report"), http.StatusOK)
	mustContain(t, body, `enctype="multipart/form-data"`, `name="photo"`, `capture="environment"`, `accept="image/*"`, "从相册选择", "data-photo-field")
	form := residentForm(mustFormKey(t, c, "/report"), "楼道堆物", "0102")
	form.Del("lng")
	form.Del("lat")
	withGPS := filestest.JPEGWithEXIF(t, filestest.EXIF{Lat: gridA1Lat, Lng: gridA1Lng})
	rec := c.postPhotos("/report", form, photoUpload{"IMG_0001.jpg", withGPS}, photoUpload{"IMG_0002.png", filestest.PNG(t)})
	body = mustStatus(t, rec, http.StatusOK)
	mustContain(t, body, "已使用第一张照片的拍摄地点作为事发位置")
	m := caseIDRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no case on the confirmation page:\n%s", truncate(body))
	}
	var id int64
	fmt.Sscan(m[1], &id)
	cs := f.mustCase(t, id)
	if !cs.HasLocation || math.Abs(cs.Lng-gridA1Lng) > 1e-5 || math.Abs(cs.Lat-gridA1Lat) > 1e-5 || cs.RegionCode != gridA1 {
		t.Fatalf("the place was not taken from the photo: %+v", cs)
	}
	ps := f.mustPhotos(t, id)
	if len(ps) != 2 || ps[0].Stage != store.PhotoReport || ps[0].GPS == nil || ps[1].GPS != nil || ps[1].MIME != files.PNG {
		t.Fatalf("photos %+v", ps)
	}
	jpegPhoto := ps[0]

	// The reporter gets the public copy, without EXIF, and not the original.
	pub := mustStatus(t, c.get("/files/"+jpegPhoto.PublicSHA256), http.StatusOK)
	if strings.Contains(pub, "Exif") || !strings.HasPrefix(pub, "\xff\xd8") {
		t.Error("the public copy carries EXIF or is not a JPEG")
	}
	mustStatus(t, c.get("/files/"+jpegPhoto.SHA256), http.StatusNotFound)
	detail := mustStatus(t, c.get(fmt.Sprintf("/cases/%d", id)), http.StatusOK)
	mustContain(t, detail, `class="photo-strip"`, "上报照片", "/files/"+jpegPhoto.PublicSHA256)
	mustNotContain(t, detail, jpegPhoto.SHA256, "拍摄位置")
	if n := strings.Count(detail, "data-photo-open"); n != 2 {
		t.Errorf("%d thumbnails, want 2", n)
	}
	// Staff of the grid get the original, with its EXIF, and where it was
	// taken.
	worker := f.mustLogin(t, "worker")
	mustContain(t, mustStatus(t, worker.get("/files/"+jpegPhoto.SHA256), http.StatusOK), "Exif")
	mustContain(t, mustStatus(t, worker.get(fmt.Sprintf("/cases/%d", id)), http.StatusOK), "/files/"+jpegPhoto.SHA256, "拍摄位置")

	// Another resident, with a case of their own, fetches nothing of this
	// one; nor does staff of another street.
	other := f.mustLogin(t, "resident2")
	mustReport(t, other, "/report", residentForm(mustFormKey(t, other, "/report"), "路灯不亮", "0102"))
	for _, who := range []*client{other, f.mustLogin(t, "worker_b")} {
		mustStatus(t, who.get("/files/"+jpegPhoto.PublicSHA256), http.StatusNotFound)
		mustStatus(t, who.get("/files/"+jpegPhoto.SHA256), http.StatusNotFound)
	}
	mustStatus(t, c.get("/files/..%2f..%2fetc%2fpasswd"), http.StatusNotFound)

	// The same form again finds the same case and adds nothing.
	mustStatus(t, c.postPhotos("/report", form, photoUpload{"IMG_0001.jpg", withGPS}, photoUpload{"IMG_0002.png", filestest.PNG(t)}), http.StatusOK)
	if n := len(f.mustPhotos(t, id)); n != 2 || f.countCases(t) != 2 {
		t.Errorf("resubmission: %d photos, %d cases", n, f.countCases(t))
	}
}

// TestReportRefusesPhotosInline: a text file among the photos, or too
// many photos, refuse the form inline and write nothing at all.
func TestReportRefusesPhotosInline(t *testing.T) {
	f, fst := mustPhotoFixture(t)
	c := f.mustLogin(t, "resident")
	key := mustFormKey(t, c, "/report")
	jpeg := filestest.JPEG(t)
	var ten []photoUpload
	for i := 0; i < 10; i++ {
		ten = append(ten, photoUpload{fmt.Sprintf("p%d.jpg", i), jpeg})
	}
	tests := []struct {
		name   string
		form   url.Values
		photos []photoUpload
		wants  []string
	}{
		{"a text file", residentForm(key, "楼道堆物", "0102"), []photoUpload{{"ok.jpg", jpeg}, {"notes.txt", []byte("三楼楼道堆满纸箱")}},
			[]string{"“notes.txt”不是照片", `value="楼道堆物"`}},
		{"a truncated photo", residentForm(key, "楼道堆物", "0102"), []photoUpload{{"cut.jpg", jpeg[:len(jpeg)/2]}},
			[]string{"“cut.jpg”已损坏或没有传完整"}},
		{"ten photos", residentForm(key, "楼道堆物", "0102"), ten, []string{"最多上传9张照片"}},
		{"good photos, bad form", url.Values{"key": {key}, "lng": {pointA1}, "lat": {latA1}}, []photoUpload{{"ok.jpg", jpeg}},
			[]string{"请写明反映的问题", "请重新选择照片"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := mustStatus(t, c.postPhotos("/report", tc.form, tc.photos...), http.StatusUnprocessableEntity)
			mustContain(t, body, tc.wants...)
			mustContain(t, body, `name="key" value="`+key+`"`, `id="photo-err"`)
		})
	}
	if n := f.countCases(t); n != 0 {
		t.Errorf("refused forms filed %d cases", n)
	}
	if n := filestest.Count(t, fst.Dir()); n != 0 {
		t.Errorf("refused forms stored %d files", n)
	}
}

// TestReportBackAndVerifyWithPhotos: the handler reports back with a
// photo of the work, refused whole when the report-back is; the
// verifier's photo stays among staff.
func TestReportBackAndVerifyWithPhotos(t *testing.T) {
	f, fst := mustPhotoFixture(t)
	resident := f.mustLogin(t, "resident")
	id, _ := mustReport(t, resident, "/report", residentForm(mustFormKey(t, resident, "/report"), "占道经营", "0101"))
	handler := f.mustLogin(t, "handler")
	mustStatus(t, act(handler, id, "claim"), http.StatusSeeOther)
	page := mustStatus(t, handler.get(fmt.Sprintf("/cases/%d", id)), http.StatusOK)
	mustContain(t, page, `id="photo-handle"`, `enctype="multipart/form-data"`)
	mustNotContain(t, page, `id="photo-claim"`, `id="photo-return"`)

	work := photoUpload{"work.jpg", filestest.JPEGWithEXIF(t, filestest.EXIF{Lat: gridA1Lat, Lng: gridA1Lng})}
	path := fmt.Sprintf("/cases/%d/act", id)
	body := mustStatus(t, handler.postPhotos(path, url.Values{"action": {"handle"}}, work), http.StatusUnprocessableEntity)
	mustContain(t, body, "请填写办理结果", "请重新选择照片")
	if ps := f.mustPhotos(t, id); len(ps) != 0 {
		t.Fatalf("a refused report-back kept %d photos", len(ps))
	}
	rec := handler.postPhotos(path, url.Values{"action": {"handle"}, "note": {"已劝离摊贩"}}, work)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("report back: %d\n%s", rec.Code, truncate(rec.Body.String()))
	}
	if cs := f.mustCase(t, id); cs.State != civic.StateHandled {
		t.Fatalf("state %s", cs.State)
	}
	// A comment carries no photos.
	body = mustStatus(t, handler.postPhotos(path, url.Values{"action": {"comment"}, "note": {"现场已清理"}}, work), http.StatusUnprocessableEntity)
	mustContain(t, body, "该操作不能附带照片")

	community := f.mustLogin(t, "community")
	mustContain(t, mustStatus(t, community.get(fmt.Sprintf("/cases/%d", id)), http.StatusOK), `id="photo-verify_pass"`, "处置照片")
	rec = community.postPhotos(path, url.Values{"action": {"verify_pass"}}, photoUpload{"check.png", filestest.PNGWithText(t, filestest.EXIF{Lat: gridA1Lat, Lng: gridA1Lng})})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("verify: %d\n%s", rec.Code, truncate(rec.Body.String()))
	}
	ps := f.mustPhotos(t, id)
	if len(ps) != 2 || ps[0].Stage != store.PhotoHandle || ps[0].EventID == 0 || ps[1].Stage != store.PhotoVerify {
		t.Fatalf("photos %+v", ps)
	}
	mine := mustStatus(t, resident.get(fmt.Sprintf("/cases/%d", id)), http.StatusOK)
	mustContain(t, mine, "处置照片", "/files/"+ps[0].PublicSHA256)
	mustNotContain(t, mine, "核查照片", ps[1].PublicSHA256)
	mustStatus(t, resident.get("/files/"+ps[1].PublicSHA256), http.StatusNotFound)
	if n := filestest.Count(t, fst.Dir()); n != 4 {
		t.Errorf("%d files, want an original and a public copy of each photo", n)
	}
}
