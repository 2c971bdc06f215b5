package api

import (
	_ "embed"
	"net/http"
)

// openAPIDoc is maintained by hand beside the route table; TestOpenAPI
// checks that the two agree.
//
//go:embed openapi.json
var openAPIDoc []byte

func (a *API) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err := w.Write(openAPIDoc)
	return err
}
