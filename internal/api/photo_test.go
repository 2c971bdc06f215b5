package api

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/files"
	"github.com/civicgrid/civicgrid/internal/files/filestest"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// mustPhotoServer serves the fixture's API with the photo routes in front,
// on a file store in a temp dir.
func (f *fixture) mustPhotoServer() *files.Store {
	f.t.Helper()
	fst, err := files.Open(filepath.Join(f.t.TempDir(), "files"))
	if err != nil {
		f.t.Fatal(err)
	}
	authn := &auth.Auth{Store: f.s}
	a := New(Config{Store: f.s, Auth: authn, Locator: f.s.NewLocator(0)})
	ph := &PhotoHandlers{API: a, Files: fst}
	photos := http.NewServeMux()
	photos.Handle("POST /api/v1/cases/{id}/photos", a.wrap(ph.uploadPhotos))
	photos.Handle("GET /api/v1/cases/{id}/photos", a.wrap(ph.casePhotos))
	photos.Handle("GET /api/v1/files/{sha}", a.wrap(ph.file))
	rest := http.NewServeMux()
	a.Register(rest)
	f.srv.Close()
	f.srv = httptest.NewServer(authn.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := photos.Handler(r); pattern != "" {
			photos.ServeHTTP(w, r)
			return
		}
		rest.ServeHTTP(w, r)
	})))
	f.t.Cleanup(f.srv.Close)
	return fst
}

type upload struct {
	name string
	body []byte
}

// postPhotos sends files as "photo" parts of a multipart form.
func (f *fixture) postPhotos(path, token string, ups ...upload) response {
	f.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, u := range ups {
		fw, err := mw.CreateFormFile("photo", u.name)
		if err != nil {
			f.t.Fatal(err)
		}
		fw.Write(u.body)
	}
	mw.Close()
	req, err := http.NewRequest("POST", f.srv.URL+path, &buf)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

// TestCasePhotosAPI uploads a reporter's photos, lists them as staff and
// as the reporter, fetches the files each may have, and refuses a text
// file, a stranger and a stage the reporter has no part in.
func TestCasePhotosAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		f.mustCategories()
		fst := f.mustPhotoServer()
		resident, grid := f.tokens[civic.RoleResident], f.tokens[civic.RoleGridWorker]
		stranger := f.mustUserToken("stranger", civic.RoleResident, civic.Scope{RegionCode: codeA1})
		r := f.do("POST", "/api/v1/cases", resident, map[string]any{"category_code": "0101", "title": "路灯不亮", "lng": 116.42, "lat": 39.95})
		if r.Status != 201 {
			t.Fatalf("file case: %d %s", r.Status, r.Body)
		}
		var c civic.Case
		r.decode(t, &c)
		path := "/api/v1/cases/" + c.Number + "/photos"

		withGPS := filestest.JPEGWithEXIF(t, filestest.EXIF{Lat: 39.95, Lng: 116.42})
		r = f.postPhotos(path+"?stage=report", resident, upload{"lamp.jpg", withGPS}, upload{"pole.png", filestest.PNG(t)})
		if r.Status != 201 {
			t.Fatalf("upload: %d %s", r.Status, r.Body)
		}
		var mine list[photoOut]
		r.decode(t, &mine)
		if mine.Total != 2 || mine.Items[0].SHA256 != "" || mine.Items[0].GPS != nil || mine.Items[0].OriginalURL != "" || mine.Items[1].MIME != files.PNG {
			t.Fatalf("the reporter gets %s", r.Body)
		}
		var staff list[photoOut]
		f.do("GET", path, grid, nil).decode(t, &staff)
		p := staff.Items[0]
		if staff.Total != 2 || p.GPS == nil || p.GPS.Lat < 39.94 || p.OriginalURL == "" || p.Stage != store.PhotoReport {
			t.Fatalf("staff get %+v", staff)
		}

		get := []struct {
			name, url, token string
			want             int
			exif             bool
		}{
			{"reporter, public copy", mine.Items[0].URL, resident, 200, false},
			{"reporter, original", p.OriginalURL, resident, 404, false},
			{"stranger, public copy", mine.Items[0].URL, stranger, 404, false},
			{"staff, original", p.OriginalURL, grid, 200, true},
			{"nobody signed in", mine.Items[0].URL, "", 401, false},
			{"not a file name", "/api/v1/files/..%2f..%2fetc%2fpasswd", grid, 404, false},
		}
		for _, tt := range get {
			t.Run(tt.name, func(t *testing.T) {
				r := f.do("GET", tt.url, tt.token, nil)
				if r.Status != tt.want {
					t.Fatalf("%d, want %d: %s", r.Status, tt.want, r.Body)
				}
				if tt.want != 200 {
					return
				}
				if r.Header.Get("Content-Type") != files.JPEG || !strings.HasPrefix(r.Header.Get("Cache-Control"), "private") {
					t.Errorf("headers %v", r.Header)
				}
				if hasEXIF := bytes.Contains(r.Body, []byte("Exif")); hasEXIF != tt.exif {
					t.Errorf("EXIF in the file: %v, want %v", hasEXIF, tt.exif)
				}
			})
		}

		stored := filestest.Count(t, fst.Dir())
		refusals := []struct {
			name   string
			path   string
			token  string
			ups    []upload
			want   int
			saying string
		}{
			{"a text file among photos", path, resident, []upload{{"a.jpg", filestest.JPEG(t)}, {"notes.txt", []byte("楼道灯坏了")}}, 422, "notes.txt"},
			{"a truncated photo", path, resident, []upload{{"cut.jpg", withGPS[:len(withGPS)/2]}}, 422, "cut.jpg"},
			{"no photo", path, resident, nil, 422, "photo"},
			{"a stranger", path, stranger, []upload{{"a.jpg", filestest.JPEG(t)}}, 404, "not_found"},
			{"the reporter as handler", path + "?stage=handle", resident, []upload{{"a.jpg", filestest.JPEG(t)}}, 403, "forbidden"},
			{"an unknown stage", path + "?stage=later", resident, []upload{{"a.jpg", filestest.JPEG(t)}}, 422, "stage"},
		}
		for _, tt := range refusals {
			t.Run(tt.name, func(t *testing.T) {
				r := f.postPhotos(tt.path, tt.token, tt.ups...)
				if r.Status != tt.want || !strings.Contains(string(r.Body), tt.saying) {
					t.Fatalf("%d %s; want %d saying %q", r.Status, r.Body, tt.want, tt.saying)
				}
			})
		}
		if n := filestest.Count(t, fst.Dir()); n != stored {
			t.Errorf("refused uploads stored %d files", n-stored)
		}
		if r := f.do("POST", path, resident, map[string]any{"photo": "x"}); r.Status != 422 {
			t.Errorf("JSON instead of a form: %d %s", r.Status, r.Body)
		}
		var after list[photoOut]
		f.do("GET", path, grid, nil).decode(t, &after)
		if after.Total != 2 {
			t.Errorf("%d photos after the refusals, want 2", after.Total)
		}
	})
}
