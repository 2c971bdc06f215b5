package jobs

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// Webhooks delivers queued case events to organisations' own systems:
// JSON bodies signed with HMAC-SHA256 of the webhook's secret, retried with
// a doubling backoff until delivered or out of attempts.
//
// Staff register the addresses, and a delivery is the server's own request,
// so it must not become a way into what only the server can reach: every
// address a delivery dials, after DNS, is checked by
// store.WebhookAddrRefused (this machine, link-local and cloud metadata,
// multicast, broadcast; the intranet is allowed), redirects are not
// followed (a 3xx is a failed delivery) and no HTTP proxy is used (a proxy
// would dial the address itself, past the check).
type Webhooks struct {
	Store *store.Store
	Log   *slog.Logger
	Every time.Duration
	// AllowLoopback lets deliveries reach this machine (127.0.0.0/8, ::1):
	// for tests, whose receivers are httptest servers. The server never
	// sets it.
	AllowLoopback bool
	// Resolve looks up a webhook's host name; nil is the system resolver.
	// Tests point names at their receivers with it.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
}

// errRedirect is a delivery answered with a redirect, which is not followed:
// it could lead anywhere, this machine included.
var errRedirect = errors.New("redirect not followed; register the address the receiver redirects to")

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
	every(ctx, j.Every, j.Log, "webhooks", func(ctx context.Context) {
		if _, err := j.Pass(ctx); err != nil && ctx.Err() == nil {
			j.Log.Error("webhook deliveries", "err", err)
		}
	})
}

// A delivery is leased for deliveryLease while it is called and recorded;
// the call itself gives up after callTimeout, well inside the lease, so no
// other server takes a delivery that is still being called.
const (
	deliveryLease = 2 * time.Minute
	callTimeout   = 15 * time.Second
	// passDeliveries bounds one pass.
	passDeliveries = 50
)

// Pass delivers what is due now and reports how many calls succeeded.
// Each delivery is leased just before its own call: a batch leased at
// once would run out of lease behind slow receivers (50 calls of up to
// callTimeout each), and another server would call those receivers too.
func (j Webhooks) Pass(ctx context.Context) (int, error) {
	client := j.client()
	defer client.CloseIdleConnections()
	ok := 0
	for i := 0; i < passDeliveries && ctx.Err() == nil; i++ {
		ds, err := j.Store.ClaimDeliveries(ctx, 1, deliveryLease)
		if err != nil {
			return ok, err
		}
		if len(ds) == 0 {
			break
		}
		d := ds[0]
		// A shutdown lets the call in hand finish (callTimeout bounds it)
		// and be recorded: cut off, the receiver may have it already and
		// would get it again from the next server after the lease.
		held := context.WithoutCancel(ctx)
		status, err := j.call(held, client, d)
		if err == nil && status >= 200 && status < 300 {
			ok++
		}
		if ferr := j.Store.FinishDelivery(held, d, status, err); ferr != nil {
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
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return resp.StatusCode, fmt.Errorf("HTTP %d to %q: %w", resp.StatusCode, civic.Clip(resp.Header.Get("Location"), 200), errRedirect)
	}
	return resp.StatusCode, nil
}

// client is the HTTP client of one pass: it dials only addresses the check
// allows and never follows a redirect.
func (j Webhooks) client() *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: j.control}
	return &http.Client{
		Timeout: callTimeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         j.dialer(d),
			ForceAttemptHTTP2:   true,
			TLSHandshakeTimeout: 10 * time.Second,
			MaxIdleConns:        10,
			IdleConnTimeout:     90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// dialer resolves the host itself, refuses it if any of its addresses is
// refused (a name is as good as its worst address), and dials the checked
// addresses, not the name again: a second lookup could answer otherwise.
func (j Webhooks) dialer(d *net.Dialer) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		resolve := j.Resolve
		if resolve == nil {
			resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
				return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			}
		}
		ips, err := resolve(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("look up webhook host %s: %w", host, err)
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("look up webhook host %s: no address", host)
		}
		for i, ip := range ips {
			ips[i] = ip.Unmap() // an IPv4 address may come back as ::ffff:a.b.c.d
			if err := j.allowed(ips[i]); err != nil {
				return nil, fmt.Errorf("webhook host %s: %w", host, err)
			}
		}
		var errs []error
		for _, ip := range ips {
			c, err := d.DialContext(ctx, network, net.JoinHostPort(ip.WithZone("").String(), port))
			if err == nil {
				return c, nil
			}
			errs = append(errs, err)
		}
		return nil, errors.Join(errs...)
	}
}

// control checks the address a connection is about to be made to: the
// last word, whatever resolved it.
func (j Webhooks) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook address %s: %w", address, err)
	}
	return j.allowed(ap.Addr())
}

func (j Webhooks) allowed(ip netip.Addr) error {
	if j.AllowLoopback && ip.Unmap().IsLoopback() {
		return nil
	}
	if why := store.WebhookAddrRefused(ip); why != "" {
		return fmt.Errorf("address %s is %s: refused (a webhook may not reach this machine, link-local or cloud metadata addresses, multicast or broadcast)", ip, why)
	}
	return nil
}
