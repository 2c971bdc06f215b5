package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	neturl "net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// notify tells the people a case event concerns, in the event's
// transaction: the new handler of a dispatch, the handler and supervisors of
// a warning, summoned departments, verifiers of a report-back, approvers of
// a request, dispatchers of a return, and the reporters of every public
// event. Organisations with webhooks get a delivery queued as well.
func (tx *Tx) notify(ctx context.Context, caseID int64, act civic.CaseAction, public bool, note, data string) error {
	switch act {
	case civic.ActDispatch, civic.ActTransfer, civic.ActWarn, civic.ActEscalate, civic.ActReturn, civic.ActRecall,
		civic.ActHandle, civic.ActRequestExtend, civic.ActRequestPause, civic.ActWhistle:
	default:
		if !public || act == civic.ActReport {
			return nil // nobody to tell
		}
	}
	b, ok := tx.known[caseID]
	if !ok {
		err := tx.queryRow(ctx, `SELECT title, region_code, handler_region_code, handler_org_id, reporter_id, created_at FROM cases WHERE id = ?`, caseID).
			Scan(&b.title, &b.region, &b.handlerRegion, &b.handlerOrg, &b.reporter, &b.created)
		if err != nil {
			return fmt.Errorf("read case %d to notify: %w", caseID, err)
		}
	}
	title, region, handlerRegion, handlerOrg, reporter, created := b.title, b.region, b.handlerRegion, b.handlerOrg, b.reporter, b.created
	// Inboxes and webhooks carry the title without the phone and ID numbers
	// a resident wrote into it: handlers and co-reporters see the case with
	// them masked (maskCase), and a notification is read outside the case.
	title = civic.MaskNumbersInText(title)
	send := func(kind, head, where string, args ...any) error {
		_, err := tx.exec(ctx, `INSERT INTO notifications (user_id, case_id, kind, title, body, created_at)
			SELECT id, ?, ?, ?, ?, ? FROM users WHERE disabled = ? AND (`+where+`)`,
			append([]any{caseID, kind, head + "：" + title, note, tx.now, false}, args...)...)
		if err != nil {
			return fmt.Errorf("notify %s of case %d: %w", kind, caseID, err)
		}
		return nil
	}
	handlers := func(kind, head string) error {
		switch {
		case handlerOrg.Valid:
			if err := send(kind, head, "scope_org_id = ?", handlerOrg.Int64); err != nil {
				return err
			}
			return tx.queueWebhooks(ctx, handlerOrg.Int64, caseID, civic.CaseNumber(created, caseID), title, act, note, data)
		case handlerRegion != "":
			return send(kind, head, "scope_code = ? AND scope_org_id IS NULL AND role IN ('grid_worker','community_staff','street_staff')", handlerRegion)
		}
		return nil
	}
	street, community := prefixOf(region, civic.LevelStreet), prefixOf(region, civic.LevelCommunity)
	switch act {
	case civic.ActDispatch, civic.ActTransfer:
		if err := handlers("dispatch", "新派工单"); err != nil {
			return err
		}
	case civic.ActWarn:
		if err := handlers("warning", "时限预警"); err != nil {
			return err
		}
	case civic.ActEscalate:
		if err := handlers("warning", "工单超期"); err != nil {
			return err
		}
		if err := send("warning", "超期督办", "scope_code = ? AND role = 'street_staff'", street); err != nil {
			return err
		}
	case civic.ActReturn, civic.ActRecall:
		if err := send("returned", "工单退回待派", "(scope_code = ? AND role = 'community_staff') OR (scope_code = ? AND role = 'street_staff')", community, street); err != nil {
			return err
		}
	case civic.ActHandle:
		if err := send("verify", "待核查", "(scope_code = ? AND role = 'grid_worker') OR (scope_code = ? AND role = 'community_staff')", prefixOf(region, civic.LevelGrid), community); err != nil {
			return err
		}
	case civic.ActRequestExtend, civic.ActRequestPause:
		if err := send("approval", "待审批", "scope_code = ? AND role = 'street_staff'", street); err != nil {
			return err
		}
	case civic.ActWhistle:
		var d struct {
			Orgs []int64 `json:"orgs"`
		}
		_ = json.Unmarshal([]byte(data), &d)
		for _, org := range d.Orgs {
			if err := send("whistle", "吹哨报到", "scope_org_id = ?", org); err != nil {
				return err
			}
			if err := tx.queueWebhooks(ctx, org, caseID, civic.CaseNumber(created, caseID), title, act, note, data); err != nil {
				return err
			}
		}
	}
	if public && act != civic.ActReport {
		// Reporters hear of every public step, co-reporters too: one
		// statement, so that a reporter who is also a co-reporter (their
		// own case merged into this one) hears once, as the reporter. No
		// reporter is id 0, which matches nobody.
		// Co-reporters read the note with numbers masked, as in the
		// timeline (CaseEvents): a handler's "已电话联系139…" may be the
		// first reporter's number. One statement for all of them.
		head := "您反映的问题有新进展（" + act.Label().ZH + "）"
		_, err := tx.exec(ctx, `INSERT INTO notifications (user_id, case_id, kind, title, body, created_at)
			SELECT id, ?, ?, ?, CASE WHEN id = ? THEN ? ELSE ? END, ? FROM users WHERE disabled = ?
			AND (id = ? OR id IN (SELECT user_id FROM case_reporters WHERE case_id = ? AND user_id IS NOT NULL))`,
			caseID, "progress", head+"："+title, reporter.Int64, note, civic.MaskNumbersInText(note), tx.now, false, reporter.Int64, caseID)
		if err != nil {
			return fmt.Errorf("notify progress of case %d: %w", caseID, err)
		}
	}
	return nil
}

// Notifications lists the actor's inbox, newest first; after > 0 returns
// only newer ones (for live updates), oldest first.
func (s *Store) Notifications(ctx context.Context, a civic.Actor, unreadOnly bool, after int64, limit int) ([]civic.Notification, int, error) {
	if a.UserID == 0 {
		return nil, 0, civic.Errorf(civic.EUnauthorized, "请先登录", "Please sign in")
	}
	var unread int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL`, a.UserID).Scan(&unread); err != nil {
		return nil, 0, fmt.Errorf("count unread: %w", err)
	}
	q := `SELECT id, COALESCE(case_id, 0), kind, title, body, created_at, read_at FROM notifications WHERE user_id = ?`
	args := []any{a.UserID}
	if unreadOnly {
		q += ` AND read_at IS NULL`
	}
	order := ` ORDER BY id DESC`
	if after > 0 {
		q += ` AND id > ?`
		args = append(args, after)
		order = ` ORDER BY id`
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.query(ctx, q+order+` LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list notifications: %w", err)
	}
	defer rows.Close()
	var out []civic.Notification
	for rows.Next() {
		var n civic.Notification
		var read sql.NullTime
		if err := rows.Scan(&n.ID, &n.CaseID, &n.Kind, &n.Title, &n.Body, &n.CreatedAt, &read); err != nil {
			return nil, 0, fmt.Errorf("scan notification: %w", err)
		}
		// Titles are masked when written (notify); ones written before
		// that are masked here.
		n.Title = civic.MaskNumbersInText(n.Title)
		n.CreatedAt = n.CreatedAt.UTC()
		if read.Valid {
			t := read.Time.UTC()
			n.ReadAt = &t
		}
		out = append(out, n)
	}
	return out, unread, rows.Err()
}

// MarkNotificationsRead marks the given notifications (all, if none are
// given) of the actor read.
func (s *Store) MarkNotificationsRead(ctx context.Context, a civic.Actor, ids []int64) error {
	if a.UserID == 0 {
		return civic.Errorf(civic.EUnauthorized, "请先登录", "Please sign in")
	}
	return s.write(ctx, func(tx *Tx) error {
		q := `UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL`
		args := []any{tx.now, a.UserID}
		if len(ids) > 0 {
			q += ` AND id IN (` + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + `)`
			for _, id := range ids {
				args = append(args, id)
			}
		}
		if _, err := tx.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("mark notifications read: %w", err)
		}
		return nil
	})
}

// Webhook is an organisation's endpoint for its cases: its own system
// receives dispatches, warnings and whistles as signed JSON.
type Webhook struct {
	ID        int64     `json:"id"`
	OrgID     int64     `json:"org_id"`
	URL       string    `json:"url"`
	Secret    string    `json:"secret,omitempty"` // shown once, at creation
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	// Delivered and Failing count its deliveries: made, and not made
	// after at least one attempt (still being retried, or given up);
	// LastError is the newest failing one's reason, so that an endpoint
	// that stopped answering (or that deliveries now refuse) is seen.
	Delivered int    `json:"delivered"`
	Failing   int    `json:"failing"`
	LastError string `json:"last_error,omitempty"`
}

// queueWebhooks queues the event for the organisation's endpoints. The note
// leaves civicgrid for another system, so the phone and ID numbers written
// into it are masked, as they are in the title; staff read them on the case.
func (tx *Tx) queueWebhooks(ctx context.Context, orgID, caseID int64, number, title string, act civic.CaseAction, note, data string) error {
	payload, _ := json.Marshal(map[string]any{"event": act, "case_id": caseID, "case_number": number, "title": title, "note": civic.MaskNumbersInText(note),
		"data": json.RawMessage(orEmptyJSON(data)), "at": tx.now})
	_, err := tx.exec(ctx, `INSERT INTO webhook_deliveries (webhook_id, case_id, event, payload, next_attempt_at, created_at)
		SELECT id, ?, ?, ?, ?, ? FROM webhooks WHERE org_id = ? AND active = ?`,
		caseID, string(act), string(payload), tx.now, tx.now, orgID, true)
	if err != nil {
		return fmt.Errorf("queue webhooks: %w", err)
	}
	return nil
}

func orEmptyJSON(s string) string {
	if s == "" {
		return "{}"
	}
	return s
}

// CreateWebhook registers an endpoint for an organisation in the actor's
// scope and returns its signing secret, shown only now.
func (s *Store) CreateWebhook(ctx context.Context, a civic.Actor, orgID int64, url string) (Webhook, error) {
	o, err := s.GetOrganisation(ctx, a, orgID)
	if err != nil {
		return Webhook{}, err
	}
	if err := a.Must(civic.PermOrgWrite); err != nil {
		return Webhook{}, err
	}
	url = strings.TrimSpace(url)
	if utf8.RuneCountInString(url) > maxWebhookURL {
		return Webhook{}, civic.Invalid(civic.FieldErr("url", "地址不超过%d个字符", "the URL is at most %d characters", maxWebhookURL))
	}
	if !webhookURL(url) {
		return Webhook{}, civic.Invalid(civic.FieldErr("url", "请填写完整的 http(s) 地址，如 https://example.gov.cn/hooks/civicgrid", "give a whole http(s) URL, such as https://example.gov.cn/hooks/civicgrid"))
	}
	if webhookHostRefused(url) {
		return Webhook{}, civic.Invalid(civic.FieldErr("url",
			"推送地址不能指向本机（localhost、127.0.0.1、::1、0.0.0.0）、链路本地地址（169.254.x.x、fe80::，含云服务器元数据地址）、组播或广播地址；单位内网地址（如 10.x、192.168.x）可以使用",
			"a webhook may not point at this machine (localhost, 127.0.0.1, ::1, 0.0.0.0), a link-local address (169.254.x.x, fe80::, cloud metadata included), multicast or broadcast; intranet addresses (10.x, 192.168.x) are fine"))
	}
	secret, err := newToken()
	if err != nil {
		return Webhook{}, err
	}
	h := Webhook{OrgID: o.ID, URL: url, Secret: secret, Active: true}
	err = s.write(ctx, func(tx *Tx) error {
		// The same address twice would receive every event twice: a form
		// sent again (a refresh of the page showing the secret) is refused.
		// The organisation's row is held so that two at once cannot both
		// pass the check.
		var id int64
		if err := tx.queryRow(ctx, `SELECT id FROM organisations WHERE id = ?`+tx.s.forUpdate(), o.ID).Scan(&id); err != nil {
			return fmt.Errorf("lock organisation %d: %w", o.ID, err)
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM webhooks WHERE org_id = ? AND url = ?`, o.ID, url).Scan(&n); err != nil {
			return fmt.Errorf("look for webhook: %w", err)
		}
		if n > 0 {
			return civic.Errorf(civic.EConflict, "本单位已登记这个推送地址，不必重复添加；如需新密钥，请先删除旧的再添加",
				"this organisation already has this address; to get a new secret, delete it first and add it again")
		}
		id, err := tx.insertID(ctx, `INSERT INTO webhooks (org_id, url, secret, active, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			o.ID, url, secret, true, a.UserID, tx.now)
		if err != nil {
			return fmt.Errorf("insert webhook: %w", err)
		}
		h.ID, h.CreatedAt = id, tx.now
		return tx.audit(ctx, a, "webhook.create", "webhook", id, o.RegionCode, nil, map[string]any{"org_id": o.ID, "url": url})
	})
	return h, err
}

// Webhooks lists an organisation's endpoints (without secrets).
func (s *Store) Webhooks(ctx context.Context, a civic.Actor, orgID int64) ([]Webhook, error) {
	// Addresses and the receivers' last errors are for those who keep
	// organisations, not for every reader of the organisation.
	if err := a.Must(civic.PermOrgWrite); err != nil {
		return nil, err
	}
	if _, err := s.GetOrganisation(ctx, a, orgID); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, `SELECT id, org_id, url, active, created_at FROM webhooks WHERE org_id = ? ORDER BY id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	defer rows.Close()
	var out []Webhook
	for rows.Next() {
		var h Webhook
		if err := rows.Scan(&h.ID, &h.OrgID, &h.URL, &h.Active, &h.CreatedAt); err != nil {
			return nil, fmt.Errorf("scan webhook: %w", err)
		}
		h.CreatedAt = h.CreatedAt.UTC()
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		h := &out[i]
		if err := s.queryRow(ctx, `SELECT COUNT(delivered_at), COUNT(CASE WHEN delivered_at IS NULL AND attempts > 0 THEN 1 END) FROM webhook_deliveries WHERE webhook_id = ?`,
			h.ID).Scan(&h.Delivered, &h.Failing); err != nil {
			return nil, fmt.Errorf("count deliveries of webhook %d: %w", h.ID, err)
		}
		if h.Failing == 0 {
			continue
		}
		err := s.queryRow(ctx, `SELECT last_error FROM webhook_deliveries WHERE webhook_id = ? AND delivered_at IS NULL AND attempts > 0 ORDER BY id DESC LIMIT 1`, h.ID).Scan(&h.LastError)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("read the last error of webhook %d: %w", h.ID, err)
		}
	}
	return out, nil
}

// DeleteWebhook removes an endpoint and its pending deliveries.
func (s *Store) DeleteWebhook(ctx context.Context, a civic.Actor, orgID, id int64) error {
	o, err := s.GetOrganisation(ctx, a, orgID)
	if err != nil {
		return err
	}
	if err := a.Must(civic.PermOrgWrite); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM webhook_deliveries WHERE webhook_id = ?`, id); err != nil {
			return fmt.Errorf("delete deliveries: %w", err)
		}
		res, err := tx.exec(ctx, `DELETE FROM webhooks WHERE id = ? AND org_id = ?`, id, orgID)
		if err != nil {
			return fmt.Errorf("delete webhook: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civic.NotFound(fmt.Sprintf("回调 %d", id), fmt.Sprintf("webhook %d", id))
		}
		return tx.audit(ctx, a, "webhook.delete", "webhook", id, o.RegionCode, map[string]int64{"id": id}, nil)
	})
}

// Delivery is one webhook call to make.
type Delivery struct {
	ID       int64
	URL      string
	Secret   string
	Event    string
	Payload  []byte
	Attempts int
}

// MaxDeliveryAttempts bounds retries; the backoff doubles from a minute.
const MaxDeliveryAttempts = 10

// ClaimDeliveries leases up to n due deliveries for lease, the longest
// due first, so that several servers never call a receiver twice for one
// delivery at the same time. It returns fewer than n only when fewer are
// due and not being claimed by another server: the rows are found and
// leased in one write transaction, which on PostgreSQL locks them and
// skips those another server's claim holds (SKIP LOCKED; a row another
// claim has just leased is no longer due when re-read) and on SQLite holds
// the database's one write lock. Found first and leased after, a claim
// that lost the rows it had found to another server came back empty while
// others were due, and jobs.Webhooks took that for an empty queue.
// The lease must outlast the calls of all n deliveries: once it runs out,
// another server takes the delivery again (jobs.Webhooks leases one per
// call).
func (s *Store) ClaimDeliveries(ctx context.Context, n int, lease time.Duration) ([]Delivery, error) {
	// Nothing due, what most passes find, is read without taking the
	// write lock: on SQLite every request's write waits for it.
	var due int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM webhook_deliveries
		WHERE delivered_at IS NULL AND next_attempt_at <= ? AND attempts < ? LIMIT 1) due`, s.Now(), MaxDeliveryAttempts).Scan(&due); err != nil {
		return nil, fmt.Errorf("look for due deliveries: %w", err)
	}
	if due == 0 {
		return nil, nil
	}
	var out []Delivery
	err := s.write(ctx, func(tx *Tx) error {
		out = nil
		rows, err := tx.query(ctx, `SELECT d.id, h.url, h.secret, d.event, d.payload, d.attempts
			FROM webhook_deliveries d JOIN webhooks h ON h.id = d.webhook_id
			WHERE d.delivered_at IS NULL AND d.next_attempt_at <= ? AND d.attempts < ? ORDER BY d.next_attempt_at, d.id LIMIT ?`+s.lockRowSkip("d"),
			tx.now, MaxDeliveryAttempts, n)
		if err != nil {
			return fmt.Errorf("find due deliveries: %w", err)
		}
		for rows.Next() {
			var d Delivery
			var payload string
			if err := rows.Scan(&d.ID, &d.URL, &d.Secret, &d.Event, &payload, &d.Attempts); err != nil {
				rows.Close()
				return fmt.Errorf("scan delivery: %w", err)
			}
			d.Payload = []byte(payload)
			out = append(out, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("find due deliveries: %w", err)
		}
		for _, d := range out {
			if _, err := tx.exec(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ?`, tx.now.Add(lease), d.ID); err != nil {
				return fmt.Errorf("lease delivery %d: %w", d.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FinishDelivery records a call's outcome: delivered, or another attempt
// after a doubling backoff.
func (s *Store) FinishDelivery(ctx context.Context, d Delivery, status int, callErr error) error {
	return s.write(ctx, func(tx *Tx) error {
		if callErr == nil && status >= 200 && status < 300 {
			_, err := tx.exec(ctx, `UPDATE webhook_deliveries SET delivered_at = ?, attempts = attempts + 1, last_status = ?, last_error = '' WHERE id = ?`, tx.now, status, d.ID)
			return err
		}
		msg := fmt.Sprintf("HTTP %d", status)
		if callErr != nil {
			msg = callErr.Error()
		}
		backoff := time.Minute << min(d.Attempts, 10)
		_, err := tx.exec(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_status = ?, last_error = ? WHERE id = ?`,
			tx.now.Add(backoff), status, civic.Clip(msg, 500), d.ID)
		return err
	})
}

// MarkNotificationsReadBefore marks everyone's notifications older than t
// read: for generated history (the demo city), whose users would otherwise
// open an inbox of hundreds of old messages.
func (s *Store) MarkNotificationsReadBefore(ctx context.Context, t time.Time) error {
	return s.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `UPDATE notifications SET read_at = created_at WHERE read_at IS NULL AND created_at < ?`, t.UTC()); err != nil {
			return fmt.Errorf("mark old notifications read: %w", err)
		}
		return nil
	})
}

// maxWebhookURL bounds a webhook's URL, in characters: as long as a URL
// that browsers and servers commonly take, with room for a receiving
// system's token in the query.
const maxWebhookURL = 2000

// webhookURL: an absolute http(s) URL with a host and no user name or
// password in it (they would be shown with the URL).
func webhookURL(s string) bool {
	u, err := neturl.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Hostname() != "" && u.User == nil && u.Opaque == ""
}

// webhookHostRefused: the URL names this machine or an address
// WebhookAddrRefused refuses, literally. Names are checked again, resolved,
// when a delivery dials (jobs.Webhooks); this only says so early.
func webhookHostRefused(s string) bool {
	u, err := neturl.Parse(s)
	if err != nil {
		return false
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && WebhookAddrRefused(ip) != ""
}

// Cloud metadata services outside the link-local range: Alibaba Cloud's
// and AWS's IPv6 one (a unique local address).
var (
	aliyunMetadata = netip.MustParseAddr("100.100.100.200")
	awsMetadataV6  = netip.MustParseAddr("fd00:ec2::254")
	thisNetwork    = netip.MustParsePrefix("0.0.0.0/8")
	broadcast      = netip.MustParseAddr("255.255.255.255")
)

// WebhookAddrRefused says why a webhook may not be delivered to ip, or ""
// when it may: a webhook is registered by staff, and its deliveries are
// the server's own requests, so they must not reach the server itself
// (loopback, unspecified: 0.0.0.0 dials this machine), the link-local
// network (169.254.169.254 is the cloud metadata service, handing out
// credentials) or many hosts at once (multicast, broadcast). Private
// addresses (10/8, 172.16/12, 192.168/16, fc00::/7) stay allowed: a
// department's own system is usually on the intranet.
func WebhookAddrRefused(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	switch {
	case !ip.IsValid():
		return "not an address"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsUnspecified() || (ip.Is4() && thisNetwork.Contains(ip)):
		return "unspecified"
	case ip.IsLinkLocalUnicast():
		return "link-local"
	case ip.IsMulticast():
		return "multicast"
	case ip == broadcast:
		return "broadcast"
	case ip == aliyunMetadata || ip == awsMetadataV6:
		return "cloud metadata"
	}
	return ""
}
