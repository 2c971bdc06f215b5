package open311

import (
	"net/http"
	"strings"
)

// corsHeaders are the request headers a browser app may send: the bearer
// token (the other way to give the key), the form's type, the
// idempotency key and the reply language.
const corsHeaders = "Authorization, Content-Type, Idempotency-Key, Accept-Language"

// CORS lets browser apps served from the allowed origins (ParseOrigins)
// call the endpoint. A call from one of them is answered with
// Access-Control-Allow-Origin naming that origin — never "*", and never
// with credentials: the session cookie is dropped from it, so it acts
// only through its api_key or bearer token, which a page of another site
// cannot borrow. That is why it goes to trusted, the server's chain
// without the cross-origin write protection (which guards the cookie
// session); every other request goes to next. A preflight (OPTIONS with
// Access-Control-Request-Method) from an allowed origin is answered here,
// 204 with the methods and headers the endpoint takes. With no origin
// allowed every request goes to next, as before.
func CORS(origins []string, trusted, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		allowed[o] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, Prefix) {
			next.ServeHTTP(w, r)
			return
		}
		// The answer depends on Origin: caches must keep one per origin.
		h := w.Header()
		h.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		if !allowed[origin] || r.Header.Get("Sec-Fetch-Site") == "same-origin" {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", corsHeaders)
			h.Set("Access-Control-Max-Age", "7200")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		// Retry-After (a rate limit), Allow (a 405) and the list's paging
		// (Link, X-Total-Count) are for the app to read too.
		h.Set("Access-Control-Expose-Headers", "Retry-After, Allow, Link, X-Total-Count")
		r = r.Clone(r.Context())
		r.Header.Del("Cookie")
		trusted.ServeHTTP(w, r)
	})
}
