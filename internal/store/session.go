package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/password"
)

// Session and throttling rules.
const (
	SessionTTL = 12 * time.Hour
	// A session's expiry slides forward when it is used, at most once per
	// touchEvery so that reads do not become writes.
	touchEvery = 5 * time.Minute

	FailureWindow     = 15 * time.Minute
	MaxUserFailures   = 5
	MaxIPFailures     = 30
	tokenPrefixPublic = "cg_"
)

// hashToken is how session and API tokens are stored: only their SHA-256,
// so a stolen database does not yield working credentials.
func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// throttleKey is the address the sign-in and anonymous-intake limits count
// by: an IPv4 address as it is, an IPv6 address by its /64 network. One
// subscriber holds a whole /64 (a phone on a Chinese carrier gets one) and
// may take a fresh address from it for every attempt, which counted singly
// would escape both limits. The audit log keeps the full address.
func throttleKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
}

var errBadLogin = civic.Errorf(civic.EUnauthorized, "用户名或密码错误", "Wrong username or password")

// dummyHash makes a login for an unknown user cost as much as a real one,
// so response times do not reveal which usernames exist.
var dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$gTnHvN2mzYp1zj7nJ1E8GxYgHvmxiWl2vz2c5qk3E5Q"

// maxThrottleName bounds the name a failed sign-in is recorded under.
const maxThrottleName = 64

// throttleName cuts a name longer than any account's (civic.ValidateUsername
// allows 32 bytes) to its first maxThrottleName bytes: it can be no
// account's either way, and a made-up name of thousands of letters must
// fit the index on login_failures, which PostgreSQL caps at 2,704 bytes a
// row (SQLite has no cap), to count as a wrong sign-in rather than a server
// error.
func throttleName(name string) string {
	if len(name) <= maxThrottleName {
		return name
	}
	cut := maxThrottleName
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut]
}

// Authenticate checks a username and password. Too many failures for one
// username or from one address within FailureWindow lock further attempts
// until the window passes; the throttle lives in the database so that it
// holds across several server processes.
func (s *Store) Authenticate(ctx context.Context, username, pw, ip string) (civic.User, error) {
	username = throttleName(strings.TrimSpace(strings.ToLower(username)))
	ip = throttleKey(ip)
	now := s.Now()
	since := now.Add(-FailureWindow)
	var byUser, byIP int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM login_failures WHERE username = ? AND at > ?`, username, since).Scan(&byUser)
	if err != nil {
		return civic.User{}, fmt.Errorf("count login failures: %w", err)
	}
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM login_failures WHERE ip = ? AND at > ?`, ip, since).Scan(&byIP); err != nil {
		return civic.User{}, fmt.Errorf("count login failures: %w", err)
	}
	if byUser >= MaxUserFailures || byIP >= MaxIPFailures {
		// The lock lifts when the oldest failure in the window leaves it.
		// (MIN(at) would lose the column's type on SQLite, so ORDER BY.)
		col, v := "username", username
		if byUser < MaxUserFailures {
			col, v = "ip", ip
		}
		var oldest time.Time
		if err := s.queryRow(ctx, `SELECT at FROM login_failures WHERE `+col+` = ? AND at > ? ORDER BY at LIMIT 1`, v, since).Scan(&oldest); err != nil {
			return civic.User{}, fmt.Errorf("oldest login failure: %w", err)
		}
		wait := oldest.Add(FailureWindow).Sub(now)
		mins := int(wait.Minutes()) + 1
		return civic.User{}, civic.Errorf(civic.ETooMany, "登录失败次数过多，请%d分钟后再试", "Too many failed sign-ins; try again in %d minutes", mins).After(wait)
	}
	var hash string
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userCols+`, u.password_hash`+userFrom+` WHERE u.username = ?`, username), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		hash = dummyHash
	} else if err != nil {
		return civic.User{}, fmt.Errorf("look up user %s: %w", username, err)
	}
	ok, _ := password.Verify(pw, hash)
	if !ok || u.ID == 0 {
		werr := s.write(ctx, func(tx *Tx) error {
			_, err := tx.exec(ctx, `INSERT INTO login_failures (username, ip, at) VALUES (?, ?, ?)`, username, ip, tx.now)
			return err
		})
		if werr != nil {
			return civic.User{}, fmt.Errorf("record login failure: %w", werr)
		}
		return civic.User{}, errBadLogin
	}
	if u.Disabled {
		return civic.User{}, civic.Errorf(civic.EUnauthorized, "该账号已停用，请联系管理员", "This account is disabled; ask an administrator")
	}
	if !u.ScopeFits() {
		return civic.User{}, errScopeMisfit
	}
	err = s.write(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `DELETE FROM login_failures WHERE username = ? OR at < ?`, username, since)
		return err
	})
	if err != nil {
		return civic.User{}, fmt.Errorf("clear login failures: %w", err)
	}
	return u, nil
}

// CreateSession starts a session for a user who has authenticated and
// returns its secret token (for the cookie).
func (s *Store) CreateSession(ctx context.Context, userID int64, ip, userAgent string) (string, error) {
	tok, err := newToken()
	if err != nil {
		return "", err
	}
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	err = s.write(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			hashToken(tok), userID, tx.now, tx.now.Add(SessionTTL), tx.now, ip, userAgent)
		if err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		// Expired sessions of this user are swept here rather than by a job.
		_, err = tx.exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND expires_at < ?`, userID, tx.now)
		return err
	})
	if err != nil {
		return "", err
	}
	return tok, nil
}

var errNoSession = civic.Errorf(civic.EUnauthorized, "请先登录", "Please sign in")

// SessionUser resolves a session token to its user, sliding the expiry.
func (s *Store) SessionUser(ctx context.Context, tok string) (civic.User, error) {
	if tok == "" {
		return civic.User{}, errNoSession
	}
	h := hashToken(tok)
	var expires, seen time.Time
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userCols+`, ss.expires_at, ss.last_seen_at`+userFrom+` JOIN sessions ss ON ss.user_id = u.id WHERE ss.token_hash = ?`, h), &expires, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return civic.User{}, errNoSession
	}
	if err != nil {
		return civic.User{}, fmt.Errorf("look up session: %w", err)
	}
	now := s.Now()
	if !now.Before(expires) || u.Disabled || !u.ScopeFits() {
		return civic.User{}, errNoSession
	}
	if now.Sub(seen) > touchEvery {
		err := s.write(ctx, func(tx *Tx) error {
			_, err := tx.exec(ctx, `UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE token_hash = ?`, tx.now, tx.now.Add(SessionTTL), h)
			return err
		})
		if err != nil {
			return civic.User{}, fmt.Errorf("touch session: %w", err)
		}
	}
	return u, nil
}

// DeleteSession ends a session (logout).
func (s *Store) DeleteSession(ctx context.Context, tok string) error {
	return s.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hashToken(tok)); err != nil {
			return fmt.Errorf("delete session: %w", err)
		}
		return nil
	})
}

// APIToken is a named, revocable credential for programs. Its secret is
// shown once at creation; only a hash is kept.
type APIToken struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	Revoked    bool       `json:"revoked"`
}

// CreateToken issues an API token acting as the actor's own account.
func (s *Store) CreateToken(ctx context.Context, a civic.Actor, name string) (APIToken, string, error) {
	name = strings.TrimSpace(name)
	if n := len([]rune(name)); n == 0 || n > 60 {
		return APIToken{}, "", civic.Invalid(civic.FieldErr("name", "请为令牌命名（不超过60字）", "give the token a name (at most 60 characters)"))
	}
	if a.UserID == 0 {
		return APIToken{}, "", civic.Forbidden()
	}
	raw, err := newToken()
	if err != nil {
		return APIToken{}, "", err
	}
	secret := tokenPrefixPublic + raw
	t := APIToken{Name: name, Prefix: secret[:9]}
	err = s.write(ctx, func(tx *Tx) error {
		id, err := tx.insertID(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at, revoked) VALUES (?, ?, ?, ?, ?, ?)`,
			a.UserID, name, hashToken(secret), t.Prefix, tx.now, false)
		if err != nil {
			return fmt.Errorf("insert api token: %w", err)
		}
		t.ID, t.CreatedAt = id, tx.now
		return tx.audit(ctx, a, "token.create", "api_token", id, a.Scope.RegionCode, nil, t)
	})
	if err != nil {
		return APIToken{}, "", err
	}
	return t, secret, nil
}

// ListTokens lists the actor's own tokens.
func (s *Store) ListTokens(ctx context.Context, a civic.Actor) ([]APIToken, error) {
	rows, err := s.query(ctx, `SELECT id, name, prefix, created_at, last_used_at, revoked FROM api_tokens WHERE user_id = ? ORDER BY id`, a.UserID)
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		var t APIToken
		var used sql.NullTime
		if err := rows.Scan(&t.ID, &t.Name, &t.Prefix, &t.CreatedAt, &used, &t.Revoked); err != nil {
			return nil, fmt.Errorf("scan api token: %w", err)
		}
		t.CreatedAt = t.CreatedAt.UTC()
		if used.Valid {
			u := used.Time.UTC()
			t.LastUsedAt = &u
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes one of the actor's own tokens.
func (s *Store) RevokeToken(ctx context.Context, a civic.Actor, id int64) error {
	return s.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE api_tokens SET revoked = ? WHERE id = ? AND user_id = ?`, true, id, a.UserID)
		if err != nil {
			return fmt.Errorf("revoke api token %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civic.NotFound(fmt.Sprintf("令牌 %d", id), fmt.Sprintf("token %d", id))
		}
		return tx.audit(ctx, a, "token.revoke", "api_token", id, a.Scope.RegionCode, nil, nil)
	})
}

// errScopeMisfit refuses an account whose scope no longer suits its role
// (civic.ScopeProblems: made before the rule): until an admin fixes it,
// it could read more than its role may.
var errScopeMisfit = civic.Errorf(civic.EUnauthorized, "该账号的数据范围与角色不符，请联系管理员调整后再登录", "This account's data scope does not suit its role; ask an administrator to adjust it")

// TokenUser resolves an API token to its user.
func (s *Store) TokenUser(ctx context.Context, secret string) (civic.User, error) {
	if !strings.HasPrefix(secret, tokenPrefixPublic) {
		return civic.User{}, errNoSession
	}
	h := hashToken(secret)
	var revoked bool
	var used sql.NullTime
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userCols+`, t.revoked, t.last_used_at`+userFrom+` JOIN api_tokens t ON t.user_id = u.id WHERE t.token_hash = ?`, h), &revoked, &used)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (revoked || u.Disabled)) {
		return civic.User{}, civic.Errorf(civic.EUnauthorized, "API 令牌无效或已撤销", "The API token is invalid or revoked")
	}
	if err == nil && !u.ScopeFits() {
		return civic.User{}, errScopeMisfit
	}
	if err != nil {
		return civic.User{}, fmt.Errorf("look up api token: %w", err)
	}
	if now := s.Now(); !used.Valid || now.Sub(used.Time) > touchEvery {
		err := s.write(ctx, func(tx *Tx) error {
			_, err := tx.exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?`, tx.now, h)
			return err
		})
		if err != nil {
			return civic.User{}, fmt.Errorf("touch api token: %w", err)
		}
	}
	return u, nil
}
