package files

import (
	"bytes"
	"errors"
	"image"
	"io"
	"math"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/files/filestest"
)

func mustOpen(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(filepath.Join(tb.TempDir(), "files"))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func mustRead(tb testing.TB, s *Store, sha string) []byte {
	tb.Helper()
	f, err := s.Open(sha)
	if err != nil {
		tb.Fatalf("open %s: %v", sha, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// TestPut stores photos of each type and checks what was read from them
// and what the public copy keeps.
func TestPut(t *testing.T) {
	tests := []struct {
		name      string
		file      []byte
		mime      string
		gps       *GPS
		secrets   []string // in the original, never in the public copy
		keepsEXIF bool     // the public copy carries a (minimal) EXIF
	}{
		{"jpeg with GPS, little-endian", filestest.JPEGWithEXIF(t, filestest.EXIF{Lat: 39.923456, Lng: 116.321234}), JPEG,
			&GPS{Lat: 39.923456, Lng: 116.321234}, []string{"Exif", "secret place", "Zhang San"}, false},
		{"jpeg with GPS south and west, big-endian", filestest.JPEGWithEXIF(t, filestest.EXIF{Lat: -33.8568, Lng: -70.6483, BigEndian: true}), JPEG,
			&GPS{Lat: -33.8568, Lng: -70.6483}, []string{"Exif", "secret place"}, false},
		{"jpeg turned on its side keeps only the orientation", filestest.JPEGWithEXIF(t, filestest.EXIF{Orientation: 6, Lat: 31.2304, Lng: 121.4737}), JPEG,
			&GPS{Lat: 31.2304, Lng: 121.4737}, []string{"II*", "secret place", "Zhang San"}, true},
		{"plain jpeg", filestest.JPEG(t), JPEG, nil, nil, false},
		{"png with text and EXIF", filestest.PNGWithText(t, filestest.EXIF{Lat: 22.5431, Lng: 114.0579}), PNG, &GPS{Lat: 22.5431, Lng: 114.0579}, []string{"tEXt", "eXIf", "Zhang San"}, false},
		{"webp with EXIF", filestest.WebP(append([]byte("Exif\x00\x00"), filestest.TIFF(filestest.EXIF{Lat: 30.5728, Lng: 104.0668})...)), WebP,
			&GPS{Lat: 30.5728, Lng: 104.0668}, []string{"EXIF"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustOpen(t)
			m, err := s.Put(bytes.NewReader(tt.file), 0)
			if err != nil {
				t.Fatalf("put: %v", err)
			}
			if m.MIME != tt.mime || m.Width != 24 || m.Height != 16 || m.Size != int64(len(tt.file)) {
				t.Errorf("meta %+v", m)
			}
			switch {
			case tt.gps == nil && m.GPS != nil:
				t.Errorf("GPS %+v from a photo without one", *m.GPS)
			case tt.gps != nil && (m.GPS == nil || !near(m.GPS.Lat, tt.gps.Lat) || !near(m.GPS.Lng, tt.gps.Lng)):
				t.Errorf("GPS %+v, want %+v", m.GPS, *tt.gps)
			}
			if orig := mustRead(t, s, m.SHA256); !bytes.Equal(orig, tt.file) {
				t.Error("the original was not stored as received")
			}
			pub := mustRead(t, s, m.PublicSHA256)
			for _, sec := range tt.secrets {
				if !bytes.Contains(tt.file, []byte(sec)) {
					t.Fatalf("test file lacks %q", sec)
				}
				if bytes.Contains(pub, []byte(sec)) {
					t.Errorf("public copy still holds %q", sec)
				}
			}
			again, err := Inspect(bytes.NewReader(pub), 0)
			if err != nil {
				t.Fatalf("the public copy is not a valid image: %v", err)
			}
			if again.GPS != nil || again.Width != 24 || again.Height != 16 || again.PublicSHA256 != m.PublicSHA256 {
				t.Errorf("public copy meta %+v", again)
			}
			if tt.mime != WebP {
				if _, _, err := image.Decode(bytes.NewReader(pub)); err != nil {
					t.Errorf("public copy does not decode: %v", err)
				}
			}
			if hasEXIF := bytes.Contains(pub, []byte("Exif\x00\x00")); hasEXIF != tt.keepsEXIF {
				t.Errorf("public copy has EXIF: %v, want %v", hasEXIF, tt.keepsEXIF)
			}
			if tt.keepsEXIF {
				i := bytes.Index(pub, []byte("Exif\x00\x00"))
				if info := parseEXIF(pub[i+6:]); info.orientation != 6 || info.gps != nil {
					t.Errorf("public EXIF %+v, want orientation 6 only", info)
				}
			}
			want := 2
			if tt.secrets == nil {
				want = 1
			}
			if n := filestest.Count(t, s.Dir()); n != want {
				t.Errorf("%d files on disk, want %d", n, want)
			}
		})
	}
}

// TestPutRefuses feeds files that must be refused, each with its code,
// and checks that nothing was written.
func TestPutRefuses(t *testing.T) {
	j := filestest.JPEG(t)
	p := bytes.NewBuffer(filestest.PNG(t))
	badCRC := bytes.Clone(p.Bytes())
	badCRC[len(badCRC)-20] ^= 0xFF
	tests := []struct {
		name string
		file []byte
		max  int64
		want error
	}{
		{"text file", []byte("这不是照片，是一段文字。\n"), 0, ErrUnsupported},
		{"empty file", nil, 0, ErrUnsupported},
		{"html named like a photo", []byte("<html><script>alert(1)</script></html>"), 0, ErrUnsupported},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), 0, ErrUnsupported},
		{"oversize", j, int64(len(j) - 1), ErrTooLarge},
		{"truncated jpeg", j[:len(j)/2], 0, ErrCorrupt},
		{"jpeg without its end marker", j[:len(j)-2], 0, ErrCorrupt},
		{"jpeg header and nothing else", []byte("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"), 0, ErrCorrupt},
		{"truncated png", p.Bytes()[:p.Len()-12], 0, ErrCorrupt},
		{"png with a bad checksum", badCRC, 0, ErrCorrupt},
		{"webp cut short", filestest.WebP(nil)[:30], 0, ErrCorrupt},
		{"png header alone", append([]byte("\x89PNG\r\n\x1a\n"), filestest.PNGChunk("IHDR", []byte{0, 0, 0, 24, 0, 0, 0, 16, 8, 2, 0, 0, 0})...), 0, ErrCorrupt},
		{"each side allowed, too many pixels", append(append([]byte("\x89PNG\r\n\x1a\n"), filestest.PNGChunk("IHDR", []byte{0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20, 8, 2, 0, 0, 0})...), filestest.PNGChunk("IEND", nil)...), 0, ErrTooLarge},
		{"huge canvas", append(append([]byte("\x89PNG\r\n\x1a\n"), filestest.PNGChunk("IHDR", []byte{0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30, 8, 2, 0, 0, 0})...), filestest.PNGChunk("IEND", nil)...), 0, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustOpen(t)
			_, err := s.Put(bytes.NewReader(tt.file), tt.max)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("%T is not a *files.Error", err)
			}
			if n := filestest.Count(t, s.Dir()); n != 0 {
				t.Errorf("a refused upload left %d files", n)
			}
		})
	}
}

// TestPutIsContentAddressed: the same photo twice is one pair of files,
// and names outside the store are not found.
func TestPutIsContentAddressed(t *testing.T) {
	s := mustOpen(t)
	f := filestest.JPEGWithEXIF(t, filestest.EXIF{Lat: 39.9, Lng: 116.3})
	m1, err1 := s.Put(bytes.NewReader(f), 0)
	m2, err2 := s.Put(bytes.NewReader(f), 0)
	if err1 != nil || err2 != nil || m1.SHA256 != m2.SHA256 || m1.PublicSHA256 != m2.PublicSHA256 {
		t.Fatalf("%+v %v / %+v %v", m1, err1, m2, err2)
	}
	if n := filestest.Count(t, s.Dir()); n != 2 {
		t.Errorf("%d files, want 2", n)
	}
	want := filepath.Join(s.Dir(), m1.SHA256[:2], m1.SHA256[2:])
	if b := mustRead(t, s, m1.SHA256); !bytes.Equal(b, f) {
		t.Errorf("not at %s", want)
	}
	for _, name := range []string{"", "../../etc/passwd", strings.Repeat("0", 64), strings.ToUpper(m1.SHA256), m1.SHA256[:63]} {
		if _, err := s.Open(name); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q): %v, want not found", name, err)
		}
	}
}

func TestParseEXIFIgnoresBrokenBlocks(t *testing.T) {
	good := filestest.TIFF(filestest.EXIF{Orientation: 3, Lat: 39.9, Lng: 116.3})
	for _, b := range [][]byte{nil, []byte("II"), []byte("XX*\x00\x08\x00\x00\x00"), good[:20], good[:len(good)-10]} {
		if info := parseEXIF(b); info.gps != nil {
			t.Errorf("GPS from a broken block of %d bytes", len(b))
		}
	}
	if info := parseEXIF(good); info.orientation != 3 || info.gps == nil {
		t.Errorf("good block: %+v", info)
	}
}

// TestPutAll refuses a batch with one bad file as a whole, naming it.
func TestPutAll(t *testing.T) {
	s := mustOpen(t)
	opener := func(b []byte) Opener {
		return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	good := filestest.JPEGWithEXIF(t, filestest.EXIF{Lat: 39.9, Lng: 116.3})
	_, err := s.PutAll([]Opener{opener(good), opener([]byte("notes.txt")), opener(filestest.JPEG(t))}, 0)
	var fe *Error
	if !errors.As(err, &fe) || fe.Code != CodeUnsupported || fe.Index != 1 {
		t.Fatalf("err %v, want the second file refused", err)
	}
	if n := filestest.Count(t, s.Dir()); n != 0 {
		t.Fatalf("a refused batch left %d files", n)
	}
	ms, err := s.PutAll([]Opener{opener(good), opener(filestest.JPEG(t))}, 0)
	if err != nil || len(ms) != 2 || ms[0].GPS == nil || ms[1].GPS != nil {
		t.Fatalf("%+v %v", ms, err)
	}
	// The first photo without its metadata is the second byte for byte:
	// two originals, and a public copy that is already stored.
	if n := filestest.Count(t, s.Dir()); n != 2 || ms[0].PublicSHA256 != ms[1].SHA256 {
		t.Fatalf("%d files, want 2", n)
	}
}

func TestServe(t *testing.T) {
	s := mustOpen(t)
	m, err := s.Put(bytes.NewReader(filestest.JPEG(t)), 0)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if err := s.Serve(rec, httptest.NewRequest("GET", "/f", nil), m.PublicSHA256, false); err != nil {
		t.Fatal(err)
	}
	h := rec.Header()
	if rec.Code != 200 || h.Get("Content-Type") != JPEG || h.Get("Cache-Control") != "private, max-age=3600" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("public copy: %d %v", rec.Code, h)
	}
	// An original is not kept by the browser at all.
	rec = httptest.NewRecorder()
	if err := s.Serve(rec, httptest.NewRequest("GET", "/f", nil), m.SHA256, true); err != nil {
		t.Fatal(err)
	}
	h = rec.Header()
	if rec.Code != 200 || h.Get("Content-Type") != JPEG || h.Get("Cache-Control") != "private, no-store" || rec.Body.Len() != int(m.Size) {
		t.Fatalf("original: %d %v", rec.Code, h)
	}
	req := httptest.NewRequest("GET", "/f", nil)
	req.Header.Set("If-None-Match", h.Get("ETag"))
	rec = httptest.NewRecorder()
	if err := s.Serve(rec, req, m.SHA256, true); err != nil || rec.Code != 304 {
		t.Fatalf("revalidation: %d %v", rec.Code, err)
	}
	if err := s.Serve(httptest.NewRecorder(), req, strings.Repeat("a", 64), true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing file: %v", err)
	}
}
