package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/files"
	"github.com/civicgrid/civicgrid/internal/store"
)

// Photos come with the report form and with the report-back and
// verification forms of a case, as "photo" file inputs of a multipart
// form. Every photo of a form is checked before any is stored and before
// anything else is written, so that a refused file leaves nothing behind.

// maxPhotoForm bounds a form with photos: a stage's worth at the largest
// size, and the fields around them.
const maxPhotoForm = store.MaxPhotosPerStage*files.DefaultMaxBytes + 1<<20

// parseUpload reads a posted form that may carry photos. Forms without
// files arrive url-encoded and are read as every other form is.
func parseUpload(w http.ResponseWriter, r *http.Request) error {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return parseForm(w, r)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPhotoForm)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return civic.Errorf(civic.EInvalid, "照片总大小超出限制，请少选几张", "the photos are too large altogether; choose fewer")
		}
		return civic.Errorf(civic.EInvalid, "无法读取提交的表单", "the form could not be read")
	}
	stripControls(r.PostForm)
	stripControls(r.Form)
	stripControls(r.MultipartForm.Value)
	return nil
}

// cleanUpload removes the temporary files of a parsed multipart form.
func cleanUpload(r *http.Request) {
	if r.MultipartForm != nil {
		r.MultipartForm.RemoveAll()
	}
}

// postedPhotos are the chosen files of the form's photo inputs; an input
// left empty still sends a part without a name, which is skipped.
func postedPhotos(r *http.Request) []*multipart.FileHeader {
	if r.MultipartForm == nil {
		return nil
	}
	var out []*multipart.FileHeader
	for _, fh := range r.MultipartForm.File["photo"] {
		if fh.Filename != "" || fh.Size > 0 {
			out = append(out, fh)
		}
	}
	return out
}

func photoBatch(fhs []*multipart.FileHeader) ([]files.Opener, []string) {
	batch, names := make([]files.Opener, len(fhs)), make([]string, len(fhs))
	for i, fh := range fhs {
		batch[i], names[i] = func() (io.ReadCloser, error) { return fh.Open() }, fh.Filename
	}
	return batch, names
}

// photoLimits refuses photos this server cannot take before any is read.
func (h *Web) photoLimits(fhs []*multipart.FileHeader) error {
	switch {
	case len(fhs) > 0 && h.cfg.Files == nil:
		return civic.Invalid(civic.FieldErr("photo", "照片存储未配置", "photo storage is not set up"))
	case len(fhs) > store.MaxPhotosPerStage:
		return civic.Invalid(civic.FieldErr("photo", "最多上传%d张照片", "at most %d photos", store.MaxPhotosPerStage))
	}
	return nil
}

// checkPhotos checks the posted photos without storing them and returns
// what they are (the report form takes its location from them).
func (h *Web) checkPhotos(fhs []*multipart.FileHeader) ([]files.Meta, error) {
	if err := h.photoLimits(fhs); err != nil || len(fhs) == 0 {
		return nil, err
	}
	batch, names := photoBatch(fhs)
	metas, err := files.InspectAll(batch, files.DefaultMaxBytes)
	if err != nil {
		return nil, store.PhotoRefusal(err, names)
	}
	return metas, nil
}

// storePhotos stores the posted photos, all checked before any is
// written.
func (h *Web) storePhotos(fhs []*multipart.FileHeader) ([]files.Meta, error) {
	if err := h.photoLimits(fhs); err != nil || len(fhs) == 0 {
		return nil, err
	}
	batch, names := photoBatch(fhs)
	metas, err := h.cfg.Files.PutAll(batch, files.DefaultMaxBytes)
	if err != nil {
		return nil, store.PhotoRefusal(err, names)
	}
	return metas, nil
}

// photoFile serves a stored photo to whoever may see it: staff the
// originals of their cases, residents the public copies of theirs.
func (h *Web) photoFile(w http.ResponseWriter, r *http.Request, c *rq) error {
	notFound := civic.NotFound("文件", "file")
	if h.cfg.Files == nil {
		return notFound
	}
	sha := r.PathValue("sha")
	public, err := h.store.PhotoAccess(r.Context(), c.Actor, sha)
	if err != nil {
		return err
	}
	err = h.cfg.Files.Serve(w, r, sha, !public)
	if errors.Is(err, files.ErrNotFound) {
		return notFound
	}
	return err
}

// photoGroup is one stage's photos as the detail page shows them.
type photoGroup struct {
	Label  string
	Photos []photoView
}

// photoView is one thumbnail: the public copy, scaled by the browser, and
// for staff a link to the original with where it was taken.
type photoView struct {
	URL           string
	Original      string
	Alt           string
	Width, Height int
	Taken         string
}

// photoGroups arranges a case's photos by stage, in the order of the loop.
func photoGroups(lang string, ps []store.CasePhoto) []photoGroup {
	var out []photoGroup
	for _, st := range store.PhotoStages {
		g := photoGroup{Label: tr(lang, "photo.stage."+string(st))}
		for _, p := range ps {
			if p.Stage != st {
				continue
			}
			v := photoView{URL: "/files/" + p.PublicSHA256, Alt: fmt.Sprintf(tr(lang, "photo.alt"), g.Label, len(g.Photos)+1), Width: p.Width, Height: p.Height}
			if p.SHA256 != "" && p.SHA256 != p.PublicSHA256 {
				v.Original = "/files/" + p.SHA256
			}
			if p.GPS != nil {
				v.Taken = fmt.Sprintf(tr(lang, "photo.taken_at"), fmt.Sprintf("%.6f", p.GPS.Lng), fmt.Sprintf("%.6f", p.GPS.Lat))
			}
			g.Photos = append(g.Photos, v)
		}
		if len(g.Photos) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// takeAction takes an action from a detail page's form, together with the
// photos posted with it: both are kept or neither.
func (h *Web) takeAction(ctx context.Context, c *rq, id int64, in store.CaseInput, fhs []*multipart.FileHeader) error {
	if len(fhs) == 0 {
		_, err := h.store.ActOnCase(ctx, c.Actor, id, in)
		return err
	}
	stage, ok := store.PhotoStageOf(in.Action)
	if !ok {
		// Only a crafted form gets here: the form has no photo input to
		// show a field error under.
		return civic.Errorf(civic.EInvalid, "该操作不能附带照片", "this action takes no photos")
	}
	// Refuse before writing files that could not be kept.
	if err := h.store.MayAddCasePhotos(ctx, c.Actor, id, stage); err != nil {
		return err
	}
	metas, err := h.storePhotos(fhs)
	if err != nil {
		return err
	}
	return h.store.ActOnCaseWithPhotos(ctx, c.Actor, id, in, metas, stage)
}

// addPhotoError puts a refused photo's message on the form's photo field;
// any other error is returned.
func addPhotoError(errs *FormErrors, err error, lang string) error {
	e := civic.AsError(err)
	if e.Code != civic.EInvalid || len(e.Fields) == 0 {
		return err
	}
	errs.addField("photo", e.Fields[0].Msg.In(lang))
	errs.status = http.StatusUnprocessableEntity
	return nil
}

// locateByPhoto uses where the first photo with a GPS position was taken
// as the case's place when the form gives none.
func locateByPhoto(n *store.NewCase, metas []files.Meta) bool {
	if n.HasLocation {
		return false
	}
	for _, m := range metas {
		if m.GPS != nil {
			// Cameras record GPS, which is WGS-84.
			n.HasLocation, n.Lng, n.Lat, n.CRS = true, m.GPS.Lng, m.GPS.Lat, store.WGS84
			return true
		}
	}
	return false
}

// photoInput is what the photo_input template needs.
type photoInput struct {
	ID      string
	HintKey string
	Err     string
	Max     int
}

// PhotoField is the report form's photo input.
func (p reportPage) PhotoField() photoInput {
	return photoInput{ID: "photo", HintKey: "photo.hint_report", Err: p.Errs.Fields["photo"], Max: store.MaxPhotosPerStage}
}

// PhotoField is an action form's photo input.
func (f caseActionForm) PhotoField() photoInput {
	return photoInput{ID: "photo-" + f.Name, HintKey: "photo.hint_work", Err: f.Errs.Fields["photo"], Max: store.MaxPhotosPerStage}
}
