package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestClientIP: behind a trusted proxy the client is the rightmost
// X-Forwarded-For entry, which the proxy appended; what the client wrote
// left of it is ignored. Without a trusted proxy the header is ignored.
func TestClientIP(t *testing.T) {
	for _, tc := range []struct {
		name  string
		trust bool
		xff   []string
		want  string
	}{
		{"no proxy", false, []string{"203.0.113.9"}, "192.0.2.1"},
		{"proxy, no header", true, nil, "192.0.2.1"},
		{"proxy, one entry", true, []string{"203.0.113.9"}, "203.0.113.9"},
		{"forged entry left of the proxy's", true, []string{"1.2.3.4, 203.0.113.9"}, "203.0.113.9"},
		{"forged header line before the proxy's", true, []string{"1.2.3.4", "203.0.113.9"}, "203.0.113.9"},
		{"IPv6", true, []string{"1.2.3.4,2001:db8::7"}, "2001:db8::7"},
		{"with a port", true, []string{"1.2.3.4, 203.0.113.9:5123"}, "203.0.113.9"},
		{"garbage appended", true, []string{"1.2.3.4, nonsense"}, "192.0.2.1"},
		{"empty last entry", true, []string{"1.2.3.4, "}, "192.0.2.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = "192.0.2.1:40000"
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := (&Auth{TrustProxy: tc.trust}).clientIP(r); got != tc.want {
				t.Errorf("clientIP = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestForgedForwardedFor: sign-in failures from one client behind the
// trusted proxy are counted together however the client fills in
// X-Forwarded-For, and lock it out at MaxIPFailures.
func TestForgedForwardedFor(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		a := &Auth{Store: s, TrustProxy: true}
		h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err := a.Login(w, r, r.FormValue("u"), "wrong")
			w.WriteHeader(StatusOf(civic.ErrorCodeOf(err)))
		}))
		for i := 0; i <= store.MaxIPFailures; i++ {
			// A different user name each time: only the address limit applies.
			r := httptest.NewRequest("POST", "/api/v1/session?u=nobody"+strconv.Itoa(i), nil)
			r.RemoteAddr = "10.0.0.2:40000" // the proxy
			r.Header.Set("X-Forwarded-For", "198.51.100."+strconv.Itoa(i)+", 203.0.113.9")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			want := http.StatusUnauthorized
			if i == store.MaxIPFailures {
				want = http.StatusTooManyRequests
			}
			if w.Code != want {
				t.Fatalf("attempt %d: %d, want %d", i+1, w.Code, want)
			}
		}
	})
}

// TestTokenCredential: an API token signs in to the API and Open311 only,
// and is told apart from a session there; SessionActor refuses it.
func TestTokenCredential(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		if _, err := s.ImportRegions(ctx, civic.System, mustRegions(t)); err != nil {
			t.Fatal(err)
		}
		u, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: "tok_op", DisplayName: "tok_op", Password: "password-tok_op", Role: civic.RoleOperator, Scope: civic.Scope{RegionCode: "1101"}})
		if err != nil {
			t.Fatal(err)
		}
		_, tok, err := s.CreateToken(ctx, store.ActorOf(u, ""), "script")
		if err != nil {
			t.Fatal(err)
		}
		session, err := s.CreateSession(ctx, u.ID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		type seen struct {
			signedIn, viaToken bool
			code               civic.ErrorCode
		}
		var got seen
		h := (&Auth{Store: s}).Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, ok := User(r.Context())
			_, err := SessionActor(r.Context())
			got = seen{ok, ViaToken(r.Context()), civic.ErrorCodeOf(err)}
		}))
		for _, tc := range []struct {
			name, path      string
			bearer, session bool
			want            seen
		}{
			{"token, API", "/api/v1/me/tokens", true, false, seen{true, true, civic.EForbidden}},
			{"token, Open311", "/open311/v2/requests.json", true, false, seen{true, true, civic.EForbidden}},
			{"token, page", "/account/tokens", true, false, seen{false, false, civic.EUnauthorized}},
			{"session, API", "/api/v1/me/tokens", false, true, seen{true, false, ""}},
			{"session and token, page", "/account/tokens", true, true, seen{true, false, ""}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := httptest.NewRequest("POST", tc.path, nil)
				if tc.bearer {
					r.Header.Set("Authorization", "Bearer "+tok)
				}
				if tc.session {
					r.AddCookie(&http.Cookie{Name: CookieName, Value: session})
				}
				got = seen{}
				h.ServeHTTP(httptest.NewRecorder(), r)
				if got != tc.want {
					t.Errorf("got %+v, want %+v", got, tc.want)
				}
			})
		}
	})
}

func mustRegions(tb testing.TB) []store.RegionFeature {
	tb.Helper()
	feats, err := store.ParseRegionFile([]byte(`{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"1101","name":"市"},"geometry":{"type":"Polygon","coordinates":[[[116,39],[117,39],[117,40],[116,40],[116,39]]]}}]}`))
	if err != nil {
		tb.Fatal(err)
	}
	return feats
}
