package jobs

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/civicgrid/civicgrid/internal/store"
)

// Webhooks delivers queued case events to organisations' own systems:
// JSON bodies signed with HMAC-SHA256 of the webhook's secret, retried with
// a doubling backoff until delivered or out of attempts.
type Webhooks struct {
	Store  *store.Store
	Log    *slog.Logger
	Client *http.Client
	Every  time.Duration
}

// Sign is the signature header value a receiver checks: "sha256=" and the
// hex HMAC-SHA256 of the body under the webhook's secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Run works until ctx ends.
func (j Webhooks) Run(ctx context.Context) {
	if j.Every <= 0 {
		j.Every = 10 * time.Second
	}
	if j.Log == nil {
		j.Log = slog.Default()
	}
	t := time.NewTicker(j.Every)
	defer t.Stop()
	for {
		if _, err := j.Pass(ctx); err != nil && ctx.Err() == nil {
			j.Log.Error("webhook deliveries", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Pass delivers what is due now and reports how many calls succeeded.
func (j Webhooks) Pass(ctx context.Context) (int, error) {
	client := j.Client
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	ds, err := j.Store.ClaimDeliveries(ctx, 50, 2*time.Minute)
	if err != nil {
		return 0, err
	}
	ok := 0
	for _, d := range ds {
		status, err := j.call(ctx, client, d)
		if err == nil && status >= 200 && status < 300 {
			ok++
		}
		if ferr := j.Store.FinishDelivery(ctx, d, status, err); ferr != nil {
			return ok, fmt.Errorf("record delivery %d: %w", d.ID, ferr)
		}
	}
	return ok, nil
}

func (j Webhooks) call(ctx context.Context, client *http.Client, d store.Delivery) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "civicgrid-webhook/1")
	req.Header.Set("X-Civicgrid-Event", d.Event)
	req.Header.Set("X-Civicgrid-Delivery", strconv.FormatInt(d.ID, 10))
	req.Header.Set("X-Civicgrid-Signature", Sign(d.Secret, d.Payload))
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}
