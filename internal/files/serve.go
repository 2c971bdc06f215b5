package files

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// Serve writes the stored file sha as the reply, with the type read from
// its content. Deciding who may have it is the caller's business; Serve
// only makes sure no shared cache keeps a copy and no browser takes it for
// anything but an image. It returns ErrNotFound (nothing written) when the
// file is not stored.
func (s *Store) Serve(w http.ResponseWriter, r *http.Request, sha string, original bool) error {
	f, err := s.Open(sha)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF {
		return fmt.Errorf("read file %s: %w", sha, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("read file %s: %w", sha, err)
	}
	mime := http.DetectContentType(head[:n])
	switch mime {
	case JPEG, PNG, WebP:
	default:
		// Only checked images are ever stored; anything else is not ours.
		return fmt.Errorf("file %s: stored content is %s", sha, mime)
	}
	h := w.Header()
	h.Set("Content-Type", mime)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	// The content never changes under its name, but who may see it can
	// (a case handed on), so a public copy is kept by the browser alone,
	// for a while; an original (where it was taken, faces, papers) is not
	// kept at all, so it does not outlive a sign-out on a shared office PC.
	if original {
		h.Set("Cache-Control", "private, no-store")
	} else {
		h.Set("Cache-Control", "private, max-age=3600")
	}
	h.Set("ETag", `"`+sha+`"`)
	http.ServeContent(w, r, "", time.Time{}, f)
	return nil
}
