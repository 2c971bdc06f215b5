package api

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/files"
	"github.com/civicgrid/civicgrid/internal/store"
)

// PhotoHandlers serve a case's photos and the stored files behind them.
// They need the file store beside the API's own dependencies.
type PhotoHandlers struct {
	API   *API
	Files *files.Store
}

// maxPhotoRequest bounds an upload: a stage's worth of photos at the
// largest size, and the form around them.
const maxPhotoRequest = store.MaxPhotosPerStage*files.DefaultMaxBytes + 1<<20

// photoOut is a photo with the addresses to fetch it from.
type photoOut struct {
	store.CasePhoto
	URL         string `json:"url"`
	OriginalURL string `json:"original_url,omitempty"`
}

func photosOut(ps []store.CasePhoto) []photoOut {
	out := make([]photoOut, 0, len(ps))
	for _, p := range ps {
		o := photoOut{CasePhoto: p, URL: "/api/v1/files/" + p.PublicSHA256}
		if p.SHA256 != "" && p.SHA256 != p.PublicSHA256 {
			o.OriginalURL = "/api/v1/files/" + p.SHA256
		}
		out = append(out, o)
	}
	return out
}

// uploadPhotos attaches the "photo" parts of a multipart form to a stage
// of a case (?stage=report, the default, handle or verify). Every photo is
// checked before any is stored; the reply lists all of the case's photos.
func (p *PhotoHandlers) uploadPhotos(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	c, err := p.API.caseByRef(r, act)
	if err != nil {
		return err
	}
	if p.Files == nil {
		return civic.Invalid(civic.FieldErr("photo", "照片存储未配置", "photo storage is not set up"))
	}
	stage := store.PhotoStage(r.URL.Query().Get("stage"))
	if stage == "" {
		stage = store.PhotoReport
	}
	// Refuse before reading megabytes that could not be kept.
	if err := p.API.store.MayAddCasePhotos(r.Context(), act, c.ID, stage); err != nil {
		return err
	}
	fhs, err := readPhotoParts(w, r)
	if err != nil {
		return err
	}
	defer r.MultipartForm.RemoveAll()
	batch, names := make([]files.Opener, len(fhs)), make([]string, len(fhs))
	for i, fh := range fhs {
		batch[i], names[i] = func() (io.ReadCloser, error) { return fh.Open() }, fh.Filename
	}
	metas, err := p.Files.PutAll(batch, files.DefaultMaxBytes)
	if err != nil {
		return store.PhotoRefusal(err, names)
	}
	if err := p.API.store.AddCasePhotos(r.Context(), act, c.ID, metas, stage); err != nil {
		return err
	}
	return p.writePhotos(w, r, act, c.ID, http.StatusCreated)
}

// writePhotos replies with the case's photos the actor may see.
func (p *PhotoHandlers) writePhotos(w http.ResponseWriter, r *http.Request, act civic.Actor, caseID int64, status int) error {
	ps, err := p.API.store.CasePhotos(r.Context(), act, caseID)
	if err != nil {
		return err
	}
	out := photosOut(ps)
	writeJSON(w, status, newList(out, len(out), pageOf(len(out))))
	return nil
}

// readPhotoParts parses a multipart upload, keeping large parts on disk,
// and returns its "photo" files.
func readPhotoParts(w http.ResponseWriter, r *http.Request) ([]*multipart.FileHeader, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxPhotoRequest)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, civic.Invalid(civic.FieldErr("photo", "照片总大小超出限制", "the photos are too large altogether"))
		}
		return nil, civic.Invalid(civic.FieldErr("photo", "请以 multipart/form-data 上传，每张照片一个 photo 字段", "upload multipart/form-data with one \"photo\" part per photo"))
	}
	fhs := r.MultipartForm.File["photo"]
	if len(fhs) == 0 || len(fhs) > store.MaxPhotosPerStage {
		r.MultipartForm.RemoveAll()
		return nil, civic.Invalid(civic.FieldErr("photo", "请选择1到%d张照片", "choose 1 to %d photos", store.MaxPhotosPerStage))
	}
	return fhs, nil
}

// casePhotos lists a case's photos: staff get originals with their
// locations, residents the public copies.
func (p *PhotoHandlers) casePhotos(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	c, err := p.API.caseByRef(r, act)
	if err != nil {
		return err
	}
	return p.writePhotos(w, r, act, c.ID, http.StatusOK)
}

// file serves a stored photo to whoever may see it; to anyone else it
// does not exist.
func (p *PhotoHandlers) file(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	sha := r.PathValue("sha")
	public, err := p.API.store.PhotoAccess(r.Context(), act, sha)
	if err != nil {
		return err
	}
	if p.Files == nil {
		return civic.NotFound("文件", "file")
	}
	err = p.Files.Serve(w, r, sha, !public)
	if errors.Is(err, files.ErrNotFound) {
		return civic.NotFound("文件", "file")
	}
	return err
}
