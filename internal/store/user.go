package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/password"
)

const userCols = `u.id, u.username, u.display_name, u.role, u.scope_code, COALESCE(u.scope_org_id, 0), COALESCE(r.name, ''), u.phone, u.identity_checked, u.disabled, u.lang, u.created_at, u.updated_at`
const userFrom = ` FROM users u LEFT JOIN regions r ON r.code = u.scope_code`

func scanUser(sc interface{ Scan(...any) error }, extra ...any) (civic.User, error) {
	var u civic.User
	dest := append([]any{&u.ID, &u.Username, &u.DisplayName, &u.Role, &u.Scope.RegionCode, &u.Scope.OrgID, &u.ScopeName, &u.Phone, &u.IdentityChecked, &u.Disabled, &u.Lang, &u.CreatedAt, &u.UpdatedAt}, extra...)
	err := sc.Scan(dest...)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, err
}

// ActorOf is the actor a signed-in user acts as.
func ActorOf(u civic.User, ip string) civic.Actor {
	return civic.Actor{UserID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, Scope: u.Scope, IP: ip}
}

// userVisible: admins see accounts within their scope; everyone sees
// their own.
func userVisible(a civic.Actor, u civic.User) bool {
	return a.IsSystem() || a.UserID == u.ID || (a.Can(civic.PermUserAdmin) && a.InScope(u.Scope.RegionCode))
}

// GetUser returns an account the actor may see.
func (s *Store) GetUser(ctx context.Context, a civic.Actor, id int64) (civic.User, error) {
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userCols+userFrom+` WHERE u.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !userVisible(a, u)) {
		return civic.User{}, civic.NotFound(fmt.Sprintf("用户 %d", id), fmt.Sprintf("user %d", id))
	}
	if err != nil {
		return civic.User{}, fmt.Errorf("get user %d: %w", id, err)
	}
	return u, nil
}

// GetUserByName returns an account by username, for the command line.
func (s *Store) GetUserByName(ctx context.Context, a civic.Actor, username string) (civic.User, error) {
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userCols+userFrom+` WHERE u.username = ?`, username))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !userVisible(a, u)) {
		return civic.User{}, civic.NotFound("用户 "+username, "user "+username)
	}
	if err != nil {
		return civic.User{}, fmt.Errorf("get user %s: %w", username, err)
	}
	return u, nil
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	Role  civic.Role
	Under string
	Query string
	Page
}

// ListUsers returns accounts whose scope lies in the admin's scope.
func (s *Store) ListUsers(ctx context.Context, a civic.Actor, f UserFilter) ([]civic.User, int, error) {
	if err := a.Must(civic.PermUserAdmin); err != nil {
		return nil, 0, err
	}
	where, args := scopeClause(a, "u.scope_code")
	if f.Role != "" {
		where += " AND u.role = ?"
		args = append(args, string(f.Role))
	}
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		where += " AND u.scope_code >= ? AND u.scope_code < ?"
		args = append(args, lo, hi)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		cond, qargs := containsAny(q, "u.username", "u.display_name")
		where += " AND " + cond
		args = append(args, qargs...)
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*)`+userFrom+` WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count users: %w", err)
	}
	p := f.Page.normal()
	rows, err := s.query(ctx, `SELECT `+userCols+userFrom+` WHERE `+where+` ORDER BY u.username LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []civic.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("scan user: %w", err)
		}
		out = append(out, u)
	}
	return out, total, rows.Err()
}

// NewUser is what an admin enters to create an account.
type NewUser struct {
	Username    string
	DisplayName string
	Password    string
	Role        civic.Role
	Scope       civic.Scope
	Phone       string
	Lang        string
}

func validateAccount(displayName string, role civic.Role, scope civic.Scope, phone, lang string) []civic.FieldError {
	var fs []civic.FieldError
	if n := len([]rune(strings.TrimSpace(displayName))); n == 0 || n > 50 {
		fs = append(fs, civic.FieldErr("display_name", "姓名不能为空且不超过50字", "name is required, at most 50 characters"))
	}
	if !role.Valid() {
		fs = append(fs, civic.FieldErr("role", "请选择角色", "choose a role"))
	}
	if _, ok := civic.LevelOfCode(scope.RegionCode); !ok {
		fs = append(fs, civic.FieldErr("scope_code", "请选择数据范围（区域编码）", "choose a data scope (a region code)"))
	}
	if phone != "" && !civic.ValidPhone(phone) {
		fs = append(fs, civic.FieldErr("phone", "电话号码格式不正确", "phone number is not valid"))
	}
	if lang != "zh" && lang != "en" {
		fs = append(fs, civic.FieldErr("lang", "语言只能是 zh 或 en", "language must be zh or en"))
	}
	return fs
}

// scopeFitsRole is civic.ScopeProblems, checked when an account is made
// and when its role or scope changes; an account that does not fit (made
// before a rule) cannot sign in until an admin fixes it (Login,
// SessionUser, TokenUser).
func scopeFitsRole(role civic.Role, scope civic.Scope) []civic.FieldError {
	return civic.ScopeProblems(role, scope)
}

// checkScopeRefs makes sure a granted scope exists and lies in the
// granting admin's own scope: nobody can hand out more than they hold.
func (tx *Tx) checkScopeRefs(ctx context.Context, a civic.Actor, sc civic.Scope) error {
	if !a.InScope(sc.RegionCode) {
		return civic.OutOfScope("scope_code", "数据范围超出了您自己的范围", "the data scope exceeds your own")
	}
	if ok, err := regionExists(ctx, tx, sc.RegionCode); err != nil {
		return err
	} else if !ok {
		return civic.Invalid(civic.FieldErr("scope_code", "区域“%s”不存在", "region %q does not exist", sc.RegionCode))
	}
	if sc.OrgID != 0 {
		var code string
		err := tx.queryRow(ctx, `SELECT region_code FROM organisations WHERE id = ?`, sc.OrgID).Scan(&code)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(code)) {
			return civic.Invalid(civic.FieldErr("scope_org_id", "组织不存在或不在您的范围内", "the organisation does not exist or is outside your scope"))
		}
		if err != nil {
			return fmt.Errorf("look up organisation %d: %w", sc.OrgID, err)
		}
	}
	return nil
}

// CheckNewUser is what CreateUser finds wrong with n before it looks at
// the database: a form that must refuse a field of its own (one it could
// not even read) shows these beside it, so that the user sees every
// mistake at once rather than one after another.
func CheckNewUser(n NewUser) []civic.FieldError {
	n.Username = strings.TrimSpace(n.Username)
	if n.Lang == "" {
		n.Lang = "zh"
	}
	fs := append(validateAccount(n.DisplayName, n.Role, n.Scope, n.Phone, n.Lang), scopeFitsRole(n.Role, n.Scope)...)
	if fe := civic.ValidateUsername(n.Username); fe != nil {
		fs = append([]civic.FieldError{*fe}, fs...)
	}
	if fe := civic.ValidatePassword(n.Password); fe != nil {
		fs = append(fs, *fe)
	}
	return fs
}

// CheckAccount is what UpdateUser finds wrong with an account's new
// name, role, scope, phone and language before it looks at the database
// (CheckNewUser's counterpart for the edit form).
func CheckAccount(displayName string, role civic.Role, scope civic.Scope, phone, lang string) []civic.FieldError {
	return append(validateAccount(displayName, role, scope, strings.TrimSpace(phone), lang), scopeFitsRole(role, scope)...)
}

// CreateUser adds an account.
func (s *Store) CreateUser(ctx context.Context, a civic.Actor, n NewUser) (civic.User, error) {
	if err := a.Must(civic.PermUserAdmin); err != nil {
		return civic.User{}, err
	}
	n.Username = strings.TrimSpace(n.Username)
	if n.Lang == "" {
		n.Lang = "zh"
	}
	if fs := CheckNewUser(n); len(fs) > 0 {
		return civic.User{}, civic.Invalid(fs...)
	}
	hash, err := s.hashPassword(n.Password)
	if err != nil {
		return civic.User{}, err
	}
	var id int64
	err = s.write(ctx, func(tx *Tx) error {
		if err := tx.checkScopeRefs(ctx, a, n.Scope); err != nil {
			return err
		}
		// An admin (or the system) makes accounts, so the name and phone
		// they enter count as checked.
		id, err = tx.insertID(ctx, `INSERT INTO users (username, display_name, password_hash, role, scope_code, scope_org_id, phone, identity_checked, disabled, lang, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.Username, strings.TrimSpace(n.DisplayName), hash, string(n.Role), n.Scope.RegionCode, nullID(n.Scope.OrgID), n.Phone, true, false, n.Lang, tx.now, tx.now)
		if isUniqueViolation(err) {
			return civic.Invalid(civic.FieldErr("username", "用户名“%s”已被使用", "username %q is taken", n.Username))
		}
		if err != nil {
			return fmt.Errorf("insert user %s: %w", n.Username, err)
		}
		after := civic.User{ID: id, Username: n.Username, DisplayName: n.DisplayName, Role: n.Role, Scope: n.Scope, Phone: n.Phone, IdentityChecked: true, Lang: n.Lang}
		return tx.audit(ctx, a, "user.create", "user", id, n.Scope.RegionCode, nil, after)
	})
	if err != nil {
		return civic.User{}, err
	}
	return s.GetUser(ctx, civic.System, id)
}

// UserUpdate changes an account; nil fields stay.
type UserUpdate struct {
	DisplayName *string
	Role        *civic.Role
	Scope       *civic.Scope
	Phone       *string
	// IdentityChecked is an admin confirming (or withdrawing) that the
	// account's name and phone are its holder's.
	IdentityChecked *bool
	Disabled        *bool
	Lang            *string
}

// UpdateUser changes an account. Users may change their own name, phone and
// language; everything else needs an admin, and admins cannot lock
// themselves out by disabling or demoting their own account.
func (s *Store) UpdateUser(ctx context.Context, a civic.Actor, id int64, u UserUpdate) (civic.User, error) {
	cur, err := s.GetUser(ctx, a, id)
	if err != nil {
		return civic.User{}, err
	}
	self := a.UserID == id
	admin := a.Can(civic.PermUserAdmin)
	if !admin && (u.Role != nil || u.Scope != nil || u.Disabled != nil || u.IdentityChecked != nil) {
		return civic.User{}, civic.Forbidden()
	}
	if self && !a.IsSystem() && ((u.Disabled != nil && *u.Disabled) || (u.Role != nil && *u.Role != cur.Role) || (u.Scope != nil && *u.Scope != cur.Scope)) {
		return civic.User{}, civic.Errorf(civic.EConflict, "不能停用、降级或改变自己账号的范围", "you cannot disable, demote or re-scope your own account")
	}
	next := cur
	if u.DisplayName != nil {
		next.DisplayName = strings.TrimSpace(*u.DisplayName)
	}
	if u.Role != nil {
		next.Role = *u.Role
	}
	if u.Scope != nil {
		next.Scope = *u.Scope
	}
	if u.Phone != nil {
		next.Phone = strings.TrimSpace(*u.Phone)
	}
	if u.Disabled != nil {
		next.Disabled = *u.Disabled
	}
	if u.Lang != nil {
		next.Lang = *u.Lang
	}
	fs := validateAccount(next.DisplayName, next.Role, next.Scope, next.Phone, next.Lang)
	if next.Role != cur.Role || next.Scope != cur.Scope {
		fs = append(fs, scopeFitsRole(next.Role, next.Scope)...)
	}
	if len(fs) > 0 {
		return civic.User{}, civic.Invalid(fs...)
	}
	// Name and phone together are how an account finds its person and home
	// (accountPeople, 二要素), and users set them without verification:
	// changing them is limited, so that nobody tries pair after pair to
	// find whose home a name and number open.
	identity := self && !a.IsSystem() && !admin && (next.DisplayName != cur.DisplayName || next.Phone != cur.Phone)
	action := "user.update"
	switch {
	case identity:
		// Until an admin confirms the new pair, the account stands for
		// nobody: else anyone could claim a neighbour's home by typing
		// their name and number.
		action = identityChangeAction
		next.IdentityChecked = false
	case u.IdentityChecked != nil:
		next.IdentityChecked = *u.IdentityChecked
	case next.DisplayName != cur.DisplayName || next.Phone != cur.Phone:
		// An admin (or the system) entered the new pair.
		next.IdentityChecked = true
	}
	err = s.write(ctx, func(tx *Tx) error {
		if identity {
			var n int
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE user_id = ? AND action = ? AND at > ?`,
				a.UserID, identityChangeAction, tx.now.Add(-24*time.Hour)).Scan(&n); err != nil {
				return fmt.Errorf("count identity changes: %w", err)
			}
			if n >= MaxIdentityChanges {
				wait, err := tx.windowWait(ctx, a.UserID, identityChangeAction, 24*time.Hour)
				if err != nil {
					return err
				}
				return civic.Errorf(civic.ETooMany, "姓名和联系电话每天最多修改%d次，请明天再改", "your name and phone number can be changed at most %d times a day; try again tomorrow", MaxIdentityChanges).After(wait)
			}
		}
		if next.Scope != cur.Scope {
			if err := tx.checkScopeRefs(ctx, a, next.Scope); err != nil {
				return err
			}
		}
		_, err := tx.exec(ctx, `UPDATE users SET display_name = ?, role = ?, scope_code = ?, scope_org_id = ?, phone = ?, identity_checked = ?, disabled = ?, lang = ?, updated_at = ? WHERE id = ?`,
			next.DisplayName, string(next.Role), next.Scope.RegionCode, nullID(next.Scope.OrgID), next.Phone, next.IdentityChecked, next.Disabled, next.Lang, tx.now, id)
		if err != nil {
			return fmt.Errorf("update user %d: %w", id, err)
		}
		if next.Disabled || next.Role != cur.Role || next.Scope != cur.Scope {
			// A changed account must sign in again to get its new rights.
			if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
				return fmt.Errorf("end sessions of user %d: %w", id, err)
			}
		}
		return tx.audit(ctx, a, action, "user", id, next.Scope.RegionCode, cur, next)
	})
	if err != nil {
		return civic.User{}, err
	}
	return s.GetUser(ctx, civic.System, id)
}

// MaxIdentityChanges is how often in a day users may change their own name
// or phone number; identityChangeAction is the audit action that counts.
const (
	MaxIdentityChanges   = 3
	identityChangeAction = "user.update_identity"
)

// SetPassword replaces a user's password. Users changing their own must
// give the current one; admins resetting another's need not. Every other
// session of the user ends and every API token of theirs is revoked: a
// password changed because it leaked must not leave a token made with it
// working.
func (s *Store) SetPassword(ctx context.Context, a civic.Actor, id int64, current, next string, keepSession string) error {
	u, err := s.GetUser(ctx, a, id)
	if err != nil {
		return err
	}
	self := a.UserID == id && !a.IsSystem()
	if !self && !a.Can(civic.PermUserAdmin) {
		return civic.Forbidden()
	}
	if self {
		var hash string
		if err := s.queryRow(ctx, `SELECT password_hash FROM users WHERE id = ?`, id).Scan(&hash); err != nil {
			return fmt.Errorf("read password of user %d: %w", id, err)
		}
		if ok, _ := password.Verify(current, hash); !ok {
			return civic.Invalid(civic.FieldErr("current_password", "当前密码不正确", "the current password is wrong"))
		}
	}
	if fe := civic.ValidatePassword(next); fe != nil {
		return civic.Invalid(civic.FieldError{Field: "new_password", Msg: fe.Msg})
	}
	hash, err := password.Hash(next, s.pw)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, tx.now, id); err != nil {
			return fmt.Errorf("set password of user %d: %w", id, err)
		}
		if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`, id, hashToken(keepSession)); err != nil {
			return fmt.Errorf("end sessions of user %d: %w", id, err)
		}
		res, err := tx.exec(ctx, `UPDATE api_tokens SET revoked = ? WHERE user_id = ? AND revoked = ?`, true, id, false)
		if err != nil {
			return fmt.Errorf("revoke api tokens of user %d: %w", id, err)
		}
		after := map[string]any{"password": "changed"}
		if n, err := res.RowsAffected(); err == nil && n > 0 {
			after["tokens_revoked"] = n
		}
		return tx.audit(ctx, a, "user.password", "user", id, u.Scope.RegionCode, nil, after)
	})
}
