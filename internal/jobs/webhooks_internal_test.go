package jobs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestWebhookClient: the client of a pass as the server runs it refuses
// this machine, by address or by name, the metadata service and 0.0.0.0
// before connecting; it returns a redirect rather than following it.
func TestWebhookClient(t *testing.T) {
	var calls atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusTemporaryRedirect)
	}))
	defer recv.Close()
	port := recv.URL[strings.LastIndex(recv.URL, ":"):]
	ctx := context.Background()
	post := func(j Webhooks, url string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		c := j.client()
		defer c.CloseIdleConnections()
		return c.Do(req)
	}
	for _, tc := range []struct{ url, why string }{
		{recv.URL, "loopback"},
		{"http://localhost" + port, "loopback"},
		{"http://0.0.0.0" + port, "unspecified"},
		{"http://169.254.169.254/latest/meta-data/", "link-local"},
		{"http://[fe80::1]/", "link-local"},
	} {
		resp, err := post(Webhooks{}, tc.url)
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: delivered, %d", tc.url, resp.StatusCode)
			continue
		}
		if !strings.Contains(err.Error(), "is "+tc.why+": refused") {
			t.Errorf("%s: %v", tc.url, err)
		}
	}
	if calls.Load() != 0 {
		t.Fatalf("the receiver on this machine was reached %d times", calls.Load())
	}

	resp, err := post(Webhooks{AllowLoopback: true}, recv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || calls.Load() != 1 {
		t.Fatalf("redirect: %d, %d calls", resp.StatusCode, calls.Load())
	}
	// Whatever resolved the address, the dial itself is checked last.
	if err := (Webhooks{}).control("tcp4", "127.0.0.1:80", nil); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("control: %v", err)
	}
	if err := (Webhooks{}).control("tcp4", "10.0.0.7:80", nil); err != nil {
		t.Fatalf("control refused the intranet: %v", err)
	}
}
