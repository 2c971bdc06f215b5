package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// Anonymous intake limits: at most AnonymousLimit submissions per client
// address (an IPv6 client by its /64, see throttleKey) within AnonymousWindow.
const (
	AnonymousLimit  = 5
	AnonymousWindow = 10 * time.Minute
)

// maxBlockYears bounds a block's expiry: a date further off is a slip (a
// block meant to last is one without expiry).
const maxBlockYears = 10

// Lengths of the lists' free text, in characters, as the forms ask: a
// block's reason, and a deputy's name and title (区人大代表).
const (
	maxBlockReason = 200
	maxDeputyText  = 50
)

// BlockCaller refuses a phone number at intake, until an optional expiry.
func (s *Store) BlockCaller(ctx context.Context, a civic.Actor, phone, reason string, until *time.Time) (civic.BlockedCaller, error) {
	if err := a.Must(civic.PermCaseAbuse); err != nil {
		return civic.BlockedCaller{}, err
	}
	phone, reason = strings.TrimSpace(phone), strings.TrimSpace(reason)
	var fs []civic.FieldError
	if !civic.ValidPhone(phone) {
		fs = append(fs, civic.FieldErr("phone", "电话号码格式不正确", "the phone number is not valid"))
	}
	if reason == "" {
		fs = append(fs, civic.FieldErr("reason", "请填写限制原因", "give the reason"))
	} else if utf8.RuneCountInString(reason) > maxBlockReason {
		fs = append(fs, civic.FieldErr("reason", "限制原因不超过%d字", "the reason is at most %d characters", maxBlockReason))
	}
	if until != nil && !until.After(s.Now()) {
		fs = append(fs, civic.FieldErr("until", "截止时间应晚于现在", "the expiry must be in the future"))
	} else if until != nil && until.After(s.Now().AddDate(maxBlockYears, 0, 0)) {
		fs = append(fs, civic.FieldErr("until", "限制期限最长%d年；不设截止时间即为长期限制", "a block lasts at most %d years; leave the expiry empty for one without end", maxBlockYears))
	}
	if len(fs) > 0 {
		return civic.BlockedCaller{}, civic.Invalid(fs...)
	}
	b := civic.BlockedCaller{Phone: phone, Reason: reason, Until: until}
	err := s.write(ctx, func(tx *Tx) error {
		id, err := tx.insertID(ctx, `INSERT INTO caller_blacklist (phone, reason, until, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
			phone, reason, nullTime(until), a.UserID, tx.now)
		if isUniqueViolation(err) {
			return civic.Invalid(civic.FieldErr("phone", "该号码已在限制名单中", "the number is already blocked"))
		}
		if err != nil {
			return fmt.Errorf("block caller: %w", err)
		}
		b.ID, b.CreatedAt = id, tx.now
		return tx.audit(ctx, a, "blacklist.add", "blacklist", id, a.Scope.RegionCode, nil, b)
	})
	return b, err
}

// UnblockCaller lifts a block.
func (s *Store) UnblockCaller(ctx context.Context, a civic.Actor, id int64) error {
	if err := a.Must(civic.PermCaseAbuse); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM caller_blacklist WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("unblock caller: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civic.NotFound(fmt.Sprintf("限制记录 %d", id), fmt.Sprintf("block %d", id))
		}
		return tx.audit(ctx, a, "blacklist.remove", "blacklist", id, a.Scope.RegionCode, map[string]int64{"id": id}, nil)
	})
}

// BlockedCallers lists blocks, current and expired.
func (s *Store) BlockedCallers(ctx context.Context, a civic.Actor) ([]civic.BlockedCaller, error) {
	if err := a.Must(civic.PermCaseAbuse); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, `SELECT id, phone, reason, until, created_at FROM caller_blacklist ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list blocked callers: %w", err)
	}
	defer rows.Close()
	var out []civic.BlockedCaller
	for rows.Next() {
		var b civic.BlockedCaller
		var until sql.NullTime
		if err := rows.Scan(&b.ID, &b.Phone, &b.Reason, &until, &b.CreatedAt); err != nil {
			return nil, fmt.Errorf("scan blocked caller: %w", err)
		}
		if until.Valid {
			t := until.Time.UTC()
			b.Until = &t
		}
		b.CreatedAt = b.CreatedAt.UTC()
		out = append(out, b)
	}
	return out, rows.Err()
}

// AddDeputy flags a phone number as a deputy's.
func (s *Store) AddDeputy(ctx context.Context, a civic.Actor, d civic.Deputy) (civic.Deputy, error) {
	if err := a.Must(civic.PermCaseAbuse); err != nil {
		return d, err
	}
	d.Phone, d.Name, d.Title = strings.TrimSpace(d.Phone), strings.TrimSpace(d.Name), strings.TrimSpace(d.Title)
	var fs []civic.FieldError
	if !civic.ValidPhone(d.Phone) {
		fs = append(fs, civic.FieldErr("phone", "电话号码格式不正确", "the phone number is not valid"))
	}
	if d.Name == "" {
		fs = append(fs, civic.FieldErr("name", "请填写姓名", "enter the name"))
	} else if utf8.RuneCountInString(d.Name) > maxDeputyText {
		fs = append(fs, civic.FieldErr("name", "姓名不超过%d字", "the name is at most %d characters", maxDeputyText))
	}
	if utf8.RuneCountInString(d.Title) > maxDeputyText {
		fs = append(fs, civic.FieldErr("title", "身份不超过%d字", "the title is at most %d characters", maxDeputyText))
	}
	if len(fs) > 0 {
		return d, civic.Invalid(fs...)
	}
	err := s.write(ctx, func(tx *Tx) error {
		id, err := tx.insertID(ctx, `INSERT INTO deputies (phone, name, title, created_by, created_at) VALUES (?, ?, ?, ?, ?)`, d.Phone, d.Name, d.Title, a.UserID, tx.now)
		if isUniqueViolation(err) {
			return civic.Invalid(civic.FieldErr("phone", "该号码已登记", "the number is already listed"))
		}
		if err != nil {
			return fmt.Errorf("add deputy: %w", err)
		}
		d.ID, d.CreatedAt = id, tx.now
		return tx.audit(ctx, a, "deputy.add", "deputy", id, a.Scope.RegionCode, nil, d)
	})
	return d, err
}

// RemoveDeputy takes a number off the deputies list.
func (s *Store) RemoveDeputy(ctx context.Context, a civic.Actor, id int64) error {
	if err := a.Must(civic.PermCaseAbuse); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM deputies WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("remove deputy: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civic.NotFound(fmt.Sprintf("代表委员 %d", id), fmt.Sprintf("deputy %d", id))
		}
		return tx.audit(ctx, a, "deputy.remove", "deputy", id, a.Scope.RegionCode, map[string]int64{"id": id}, nil)
	})
}

// Deputies lists the deputies.
func (s *Store) Deputies(ctx context.Context, a civic.Actor) ([]civic.Deputy, error) {
	if err := a.Must(civic.PermCaseAbuse); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, `SELECT id, phone, name, title, created_at FROM deputies ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list deputies: %w", err)
	}
	defer rows.Close()
	var out []civic.Deputy
	for rows.Next() {
		var d civic.Deputy
		if err := rows.Scan(&d.ID, &d.Phone, &d.Name, &d.Title, &d.CreatedAt); err != nil {
			return nil, fmt.Errorf("scan deputy: %w", err)
		}
		d.CreatedAt = d.CreatedAt.UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

// screenCaller applies the abuse controls to a submission before anything
// is written: a blocked number is refused with its reason; anonymous
// submissions are limited per client address; a deputy's number marks the
// case for priority (returned as the title to show in the timeline).
func (s *Store) screenCaller(ctx context.Context, a civic.Actor, phone string) (deputy string, err error) {
	now := s.Now()
	if phone != "" {
		var reason string
		var until sql.NullTime
		err := s.queryRow(ctx, `SELECT reason, until FROM caller_blacklist WHERE phone = ?`, phone).Scan(&reason, &until)
		switch {
		case err == nil && (!until.Valid || until.Time.After(now)):
			return "", civic.Errorf(civic.EForbidden, "该号码已被限制提交诉求（%s），如有疑问请联系12345", "this number may not file cases (%s); call 12345 if this is wrong", reason)
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return "", fmt.Errorf("check blacklist: %w", err)
		}
		var name, title string
		err = s.queryRow(ctx, `SELECT name, title FROM deputies WHERE phone = ?`, phone).Scan(&name, &title)
		if err == nil {
			deputy = strings.TrimSpace(title + " " + name)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("check deputies: %w", err)
		}
	}
	if a.UserID == 0 && !a.IsSystem() {
		ip := throttleKey(a.IP)
		var n int
		if err := s.queryRow(ctx, `SELECT COUNT(*) FROM intake_hits WHERE ip = ? AND at > ?`, ip, now.Add(-AnonymousWindow)).Scan(&n); err != nil {
			return "", fmt.Errorf("count anonymous submissions: %w", err)
		}
		if n >= AnonymousLimit {
			return "", civic.Errorf(civic.ETooMany, "提交过于频繁，请%d分钟后再试或登录后提交", "too many submissions; try again in %d minutes or sign in", int(AnonymousWindow.Minutes())).After(AnonymousWindow)
		}
		err := s.write(ctx, func(tx *Tx) error {
			if _, err := tx.exec(ctx, `INSERT INTO intake_hits (ip, at) VALUES (?, ?)`, ip, tx.now); err != nil {
				return err
			}
			_, err := tx.exec(ctx, `DELETE FROM intake_hits WHERE at < ?`, tx.now.Add(-AnonymousWindow))
			return err
		})
		if err != nil {
			return "", fmt.Errorf("record anonymous submission: %w", err)
		}
	}
	return deputy, nil
}
