package files

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// DefaultMaxBytes is the largest upload accepted when Put is given no
// limit: ample for a phone's full-resolution JPEG.
const DefaultMaxBytes = 10 << 20

// MaxSide is the largest width or height accepted, in pixels. It keeps a
// decompression bomb (a tiny file declaring a huge canvas) away from the
// browsers that will show the photo; 200-megapixel phone cameras stay under
// it.
const MaxSide = 20000

// MaxPixels is the largest canvas accepted, width times height: a
// 200-megapixel phone photo (16320×12240) fits, a 20000×20000 PNG of a few
// hundred kilobytes that every viewer would decode into 1.6 GB does not.
const MaxPixels = 210_000_000

// The types accepted.
const (
	JPEG = "image/jpeg"
	PNG  = "image/png"
	WebP = "image/webp"
)

// Code says why an upload was refused.
type Code string

const (
	CodeTooLarge    Code = "too_large"   // more bytes or pixels than allowed
	CodeUnsupported Code = "unsupported" // not a JPEG, PNG or WebP (or empty)
	CodeCorrupt     Code = "corrupt"     // claims to be one but does not hold together
)

// Error is an upload refused for its content. Callers show Code to users
// in their own words; Detail is for logs.
type Error struct {
	Code   Code
	Detail string
	// Index is the refused file's position in a PutAll batch.
	Index int
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return "files: " + string(e.Code)
	}
	return "files: " + string(e.Code) + ": " + e.Detail
}

// Is makes errors.Is(err, ErrTooLarge) and the like match on the code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels to compare refusals against with errors.Is.
var (
	ErrTooLarge    = &Error{Code: CodeTooLarge}
	ErrUnsupported = &Error{Code: CodeUnsupported}
	ErrCorrupt     = &Error{Code: CodeCorrupt}
	// ErrNotFound is returned by Open for a name that is not stored (or is
	// not a SHA-256 at all).
	ErrNotFound = errors.New("files: not found")
)

func refuse(code Code, format string, args ...any) error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// GPS is a location read from a photo's EXIF, in WGS-84 as cameras and
// phones record it.
type GPS struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// Meta describes a stored photo. SHA256 names the original, PublicSHA256
// the copy without metadata; they are equal when the original carried none.
type Meta struct {
	SHA256       string `json:"sha256"`
	PublicSHA256 string `json:"public_sha256"`
	MIME         string `json:"mime"`
	Size         int64  `json:"size"` // of the original, in bytes
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	GPS          *GPS   `json:"gps,omitempty"`
}

// Store is a directory of content-addressed files: a file whose SHA-256 is
// abcd… lives at dir/ab/cd….
type Store struct {
	dir string
}

// Open uses dir (created if missing) as the file store.
func Open(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("open file store: empty directory name")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open file store %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("open file store %s: %w", dir, err)
	}
	return &Store{dir: abs}, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Inspect reads at most maxBytes (DefaultMaxBytes when maxBytes <= 0) from
// r and checks them as Put does, without writing anything. A form holding
// several photos inspects them all before storing any, so that one bad
// file refuses the lot and leaves nothing behind.
func Inspect(r io.Reader, maxBytes int64) (Meta, error) {
	m, _, _, err := inspect(r, maxBytes)
	return m, err
}

// Put checks an upload and stores it: the original and the public copy
// without metadata, each under its SHA-256. It refuses with an *Error a
// file larger than maxBytes (DefaultMaxBytes when maxBytes <= 0), one that
// is not a JPEG, PNG or WebP by its content, and one that does not hold
// together (a truncated transfer). When Put returns, both files are on
// disk durably.
func (s *Store) Put(r io.Reader, maxBytes int64) (Meta, error) {
	m, orig, pub, err := inspect(r, maxBytes)
	if err != nil {
		return Meta{}, err
	}
	if err := s.write(m.SHA256, orig); err != nil {
		return Meta{}, err
	}
	if m.PublicSHA256 != m.SHA256 {
		if err := s.write(m.PublicSHA256, pub); err != nil {
			return Meta{}, err
		}
	}
	return m, nil
}

// Opener opens one file of a batch; PutAll opens each twice, once to
// check it and once to store it (a multipart.FileHeader's Open will do).
type Opener func() (io.ReadCloser, error)

// InspectAll checks every file of a batch as Inspect does, writing
// nothing; a refusal's Index says which file it was.
func InspectAll(batch []Opener, maxBytes int64) ([]Meta, error) {
	metas := make([]Meta, len(batch))
	for i, open := range batch {
		m, err := readFrom(open, func(r io.Reader) (Meta, error) { return Inspect(r, maxBytes) })
		if err != nil {
			var fe *Error
			if errors.As(err, &fe) {
				fe.Index = i
			}
			return nil, err
		}
		metas[i] = m
	}
	return metas, nil
}

// PutAll checks every file of a batch before storing any, so that one bad
// file refuses the lot and leaves nothing behind (see InspectAll). Then it
// stores them all as Put does.
func (s *Store) PutAll(batch []Opener, maxBytes int64) ([]Meta, error) {
	if _, err := InspectAll(batch, maxBytes); err != nil {
		return nil, err
	}
	metas := make([]Meta, len(batch))
	for i, open := range batch {
		m, err := readFrom(open, func(r io.Reader) (Meta, error) { return s.Put(r, maxBytes) })
		if err != nil {
			return nil, err
		}
		metas[i] = m
	}
	return metas, nil
}

func readFrom(open Opener, fn func(io.Reader) (Meta, error)) (Meta, error) {
	f, err := open()
	if err != nil {
		return Meta{}, fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	return fn(f)
}

// inspect reads and checks an upload and returns it and its public copy.
func inspect(r io.Reader, maxBytes int64) (Meta, []byte, []byte, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return Meta{}, nil, nil, fmt.Errorf("read upload: %w", err)
	}
	if n > maxBytes {
		return Meta{}, nil, nil, refuse(CodeTooLarge, "more than %d bytes", maxBytes)
	}
	b := buf.Bytes()
	img, err := parseImage(b)
	if err != nil {
		return Meta{}, nil, nil, err
	}
	if img.width <= 0 || img.height <= 0 {
		return Meta{}, nil, nil, refuse(CodeCorrupt, "no image size")
	}
	if img.width > MaxSide || img.height > MaxSide || img.width*img.height > MaxPixels {
		return Meta{}, nil, nil, refuse(CodeTooLarge, "%d×%d pixels", img.width, img.height)
	}
	m := Meta{SHA256: sum(b), PublicSHA256: sum(img.public), MIME: img.mime, Size: n, Width: img.width, Height: img.height}
	if img.exif != nil {
		m.GPS = parseEXIF(img.exif).gps
	}
	return m, b, img.public, nil
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// ValidSHA reports whether name could be a stored file's name: 64
// lower-case hex digits, so that it can never walk out of the directory.
func ValidSHA(name string) bool {
	if len(name) != 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (s *Store) path(sha string) (dir, file string) {
	dir = filepath.Join(s.dir, sha[:2])
	return dir, filepath.Join(dir, sha[2:])
}

// write stores b under its name unless a file of that name exists: the
// name is the content's hash, so an existing file is the same content. The
// bytes go to a temporary file that is synced before it is renamed into
// place, and the directory is synced after, so that a crash leaves either
// the whole file or none.
func (s *Store) write(sha string, b []byte) (err error) {
	dir, final := s.path(sha)
	if _, err := os.Stat(final); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("store file %s: %w", sha, err)
	}
	tmp, err := os.CreateTemp(dir, ".put-*")
	if err != nil {
		return fmt.Errorf("store file %s: %w", sha, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(b); err != nil {
		return fmt.Errorf("store file %s: %w", sha, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("store file %s: sync: %w", sha, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("store file %s: %w", sha, err)
	}
	if err = os.Chmod(tmp.Name(), 0o640); err != nil {
		return fmt.Errorf("store file %s: %w", sha, err)
	}
	if err = os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("store file %s: %w", sha, err)
	}
	if err = syncDir(dir); err != nil {
		return fmt.Errorf("store file %s: %w", sha, err)
	}
	// The fan-out directory may be new; its entry lives in the parent.
	if err = syncDir(s.dir); err != nil {
		return fmt.Errorf("store file %s: %w", sha, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// Open opens a stored file by its SHA-256 (an original or a public copy;
// the caller decides who may have which). It returns ErrNotFound when
// there is none.
func (s *Store) Open(sha string) (io.ReadSeekCloser, error) {
	if !ValidSHA(sha) {
		return nil, ErrNotFound
	}
	_, file := s.path(sha)
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("open file %s: %w", sha, err)
	}
	return f, nil
}
