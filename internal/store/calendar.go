package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/civicgrid/civicgrid/internal/calendar"
	"github.com/civicgrid/civicgrid/internal/civic"
)

// The working calendar is the built-in schedules of internal/calendar
// overlaid by what admins store: whole years (a stored year replaces the
// built-in one) and the working periods of a day. Every change bumps
// calendar_settings.revision in its transaction, so that a process caching a
// calendar, or deadlines computed on one, can tell it is stale.

// CalendarSource says where a year's schedule comes from.
type CalendarSource string

const (
	CalendarStored  CalendarSource = "stored"   // edited by an admin
	CalendarBuiltin CalendarSource = "builtin"  // the State Council notice built into this release
	CalendarNone    CalendarSource = "weekends" // not announced: weekends only
)

// CalendarYear is one year as it is in effect.
type CalendarYear struct {
	Year        calendar.Year
	Source      CalendarSource
	Periods     []calendar.Period
	WorkingDays int // working days in the calendar year
	// UpdatedAt and UpdatedBy are set for a stored year.
	UpdatedAt time.Time
	UpdatedBy string
	Revision  int64
}

// Calendar returns the effective working calendar. It is not limited by
// role: every deadline in the system is computed on it. Callers that need it
// often cache it and compare CalendarRevision.
func (s *Store) Calendar(ctx context.Context) (*calendar.Calendar, error) {
	c, _, err := s.calendarSnapshot(ctx)
	return c, err
}

// ViewCalendar is Calendar for a user, with the revision it belongs to.
func (s *Store) ViewCalendar(ctx context.Context, a civic.Actor) (*calendar.Calendar, int64, error) {
	if err := a.Must(civic.PermCalendarRead); err != nil {
		return nil, 0, err
	}
	return s.calendarSnapshot(ctx)
}

// CalendarRevision is bumped by every calendar change.
func (s *Store) CalendarRevision(ctx context.Context) (int64, error) {
	return calendarRevision(ctx, s)
}

func calendarRevision(ctx context.Context, q querier) (int64, error) {
	var rev int64
	if err := q.queryRow(ctx, `SELECT revision FROM calendar_settings WHERE id = 1`).Scan(&rev); err != nil {
		return 0, fmt.Errorf("read calendar revision: %w", err)
	}
	return rev, nil
}

// calendarSnapshot reads the calendar and the revision it belongs to. The
// settings and the years are two reads, so the revision read before and
// after must agree (every change bumps it in the same transaction).
func (s *Store) calendarSnapshot(ctx context.Context) (*calendar.Calendar, int64, error) {
	return calendarSnapshotOn(ctx, s)
}

// calendarSnapshotOn is calendarSnapshot read through q.
func calendarSnapshotOn(ctx context.Context, q querier) (*calendar.Calendar, int64, error) {
	for {
		before, err := calendarRevision(ctx, q)
		if err != nil {
			return nil, 0, err
		}
		c, err := loadCalendar(ctx, q)
		if err != nil {
			return nil, 0, err
		}
		after, err := calendarRevision(ctx, q)
		if err != nil {
			return nil, 0, err
		}
		if before == after {
			return c, after, nil
		}
	}
}

// loadCalendar overlays the stored years and periods on the built-in
// calendar. It does not validate: a stored year was valid when saved, and a
// newer release's built-in years must not make the calendar unreadable.
func loadCalendar(ctx context.Context, q querier) (*calendar.Calendar, error) {
	c := calendar.Default()
	var periods string
	if err := q.queryRow(ctx, `SELECT periods FROM calendar_settings WHERE id = 1`).Scan(&periods); err != nil {
		return nil, fmt.Errorf("read working periods: %w", err)
	}
	if periods != "" {
		if err := json.Unmarshal([]byte(periods), &c.Periods); err != nil {
			return nil, fmt.Errorf("decode stored working periods: %w", err)
		}
	}
	rows, err := q.query(ctx, `SELECT year, data FROM calendar_years ORDER BY year`)
	if err != nil {
		return nil, fmt.Errorf("read calendar years: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var year int
		var data string
		if err := rows.Scan(&year, &data); err != nil {
			return nil, fmt.Errorf("scan calendar year: %w", err)
		}
		var y calendar.Year
		if err := json.Unmarshal([]byte(data), &y); err != nil {
			return nil, fmt.Errorf("decode stored calendar year %d: %w", year, err)
		}
		y.Year = year
		c.Years[year] = y
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read calendar years: %w", err)
	}
	return c, nil
}

// GetCalendarYear returns year as it is in effect, and where it comes from.
func (s *Store) GetCalendarYear(ctx context.Context, a civic.Actor, year int) (CalendarYear, error) {
	if err := a.Must(civic.PermCalendarRead); err != nil {
		return CalendarYear{}, err
	}
	if year < calendar.MinYear || year > calendar.MaxYear {
		return CalendarYear{}, civic.NotFound(fmt.Sprintf("%d 年的日历", year), fmt.Sprintf("calendar of %d", year))
	}
	c, rev, err := s.calendarSnapshot(ctx)
	if err != nil {
		return CalendarYear{}, err
	}
	out := CalendarYear{Year: calendar.Year{Year: year, Holidays: []calendar.Holiday{}, Workdays: []calendar.Workday{}},
		Source: CalendarNone, Periods: c.EffectivePeriods(), Revision: rev}
	if y, ok := c.Years[year]; ok {
		out.Year, out.Source = y, CalendarBuiltin
	}
	err = s.queryRow(ctx, `SELECT updated_at, updated_by FROM calendar_years WHERE year = ?`, year).Scan(&out.UpdatedAt, &out.UpdatedBy)
	switch {
	case err == nil:
		out.Source, out.UpdatedAt = CalendarStored, out.UpdatedAt.UTC()
	case !errors.Is(err, sql.ErrNoRows):
		return CalendarYear{}, fmt.Errorf("read calendar year %d: %w", year, err)
	}
	for d := (calendar.Day{Y: year, M: time.January, D: 1}); d.Y == year; d = d.AddDays(1) {
		if ok, _ := c.IsWorkday(d); ok {
			out.WorkingDays++
		}
	}
	return out, nil
}

// auditYear is what the audit log keeps of a year before and after a change.
type auditYear struct {
	Source CalendarSource `json:"source"`
	Year   calendar.Year  `json:"year"`
}

// PutCalendarYear stores an admin's schedule for y.Year, replacing the
// built-in or previously stored one. The year is validated on its own and
// within the calendar it joins (make-up days on weekends, no day claimed by
// two years).
func (s *Store) PutCalendarYear(ctx context.Context, a civic.Actor, y calendar.Year) error {
	if err := s.putCalendarYear(ctx, a, y); err != nil {
		return err
	}
	return s.recomputeAfter(ctx, "")
}

func (s *Store) putCalendarYear(ctx context.Context, a civic.Actor, y calendar.Year) error {
	if err := a.MustCityWide(civic.PermCalendarWrite); err != nil {
		return err
	}
	if err := y.Validate(); err != nil {
		return InvalidCalendar(err)
	}
	data, err := json.Marshal(y)
	if err != nil {
		return fmt.Errorf("encode calendar year %d: %w", y.Year, err)
	}
	return s.write(ctx, func(tx *Tx) error {
		c, err := loadCalendar(ctx, tx)
		if err != nil {
			return err
		}
		before, err := tx.yearBefore(ctx, c, y.Year)
		if err != nil {
			return err
		}
		c.Years[y.Year] = y
		if err := c.Validate(); err != nil {
			return InvalidCalendar(err)
		}
		if _, err := tx.exec(ctx, `INSERT INTO calendar_years (year, data, updated_at, updated_by) VALUES (?, ?, ?, ?)
			ON CONFLICT (year) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			y.Year, string(data), tx.now, a.Username); err != nil {
			return fmt.Errorf("store calendar year %d: %w", y.Year, err)
		}
		if err := tx.bumpCalendarRevision(ctx, a); err != nil {
			return err
		}
		return tx.audit(ctx, a, "calendar.year.put", "calendar_year", y.Year, a.Scope.RegionCode, before, auditYear{CalendarStored, y})
	})
}

// DeleteCalendarYear removes the stored schedule of year, so that the
// built-in one (or, for an unannounced year, weekends only) applies again.
// It is NotFound when nothing is stored for the year.
func (s *Store) DeleteCalendarYear(ctx context.Context, a civic.Actor, year int) error {
	if err := s.deleteCalendarYear(ctx, a, year); err != nil {
		return err
	}
	return s.recomputeAfter(ctx, "")
}

func (s *Store) deleteCalendarYear(ctx context.Context, a civic.Actor, year int) error {
	if err := a.MustCityWide(civic.PermCalendarWrite); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		c, err := loadCalendar(ctx, tx)
		if err != nil {
			return err
		}
		before, err := tx.yearBefore(ctx, c, year)
		if err != nil {
			return err
		}
		if before == nil || before.Source != CalendarStored {
			return civic.NotFound(fmt.Sprintf("%d 年的自定义日历", year), fmt.Sprintf("stored calendar of %d", year))
		}
		var after any
		if y, ok := calendar.DefaultYear(year); ok {
			c.Years[year] = y
			after = auditYear{CalendarBuiltin, y}
		} else {
			delete(c.Years, year)
		}
		// The built-in year can clash with a stored neighbour's spill-over.
		if err := c.Validate(); err != nil {
			return InvalidCalendar(err)
		}
		if _, err := tx.exec(ctx, `DELETE FROM calendar_years WHERE year = ?`, year); err != nil {
			return fmt.Errorf("delete calendar year %d: %w", year, err)
		}
		if err := tx.bumpCalendarRevision(ctx, a); err != nil {
			return err
		}
		return tx.audit(ctx, a, "calendar.year.delete", "calendar_year", year, a.Scope.RegionCode, before, after)
	})
}

// PutWorkingPeriods sets the working periods of every working day. Open
// cases' deadlines move with them, which is why only admins may.
func (s *Store) PutWorkingPeriods(ctx context.Context, a civic.Actor, ps []calendar.Period) error {
	if err := s.putWorkingPeriods(ctx, a, ps); err != nil {
		return err
	}
	return s.recomputeAfter(ctx, "")
}

func (s *Store) putWorkingPeriods(ctx context.Context, a civic.Actor, ps []calendar.Period) error {
	if err := a.MustCityWide(civic.PermCalendarWrite); err != nil {
		return err
	}
	if err := calendar.ValidatePeriods(ps); err != nil {
		return InvalidCalendar(err)
	}
	ps = append([]calendar.Period(nil), ps...)
	sort.Slice(ps, func(i, j int) bool { return ps[i].Start < ps[j].Start })
	data, err := json.Marshal(ps)
	if err != nil {
		return fmt.Errorf("encode working periods: %w", err)
	}
	return s.write(ctx, func(tx *Tx) error {
		c, err := loadCalendar(ctx, tx)
		if err != nil {
			return err
		}
		before := c.EffectivePeriods()
		if _, err := tx.exec(ctx, `UPDATE calendar_settings SET periods = ? WHERE id = 1`, string(data)); err != nil {
			return fmt.Errorf("store working periods: %w", err)
		}
		if err := tx.bumpCalendarRevision(ctx, a); err != nil {
			return err
		}
		return tx.audit(ctx, a, "calendar.periods.put", "calendar_periods", "periods", a.Scope.RegionCode, before, ps)
	})
}

// yearBefore is the year as in effect before a change, for the audit log;
// nil when the year has no schedule.
func (tx *Tx) yearBefore(ctx context.Context, c *calendar.Calendar, year int) (*auditYear, error) {
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM calendar_years WHERE year = ?`, year).Scan(&n); err != nil {
		return nil, fmt.Errorf("look up calendar year %d: %w", year, err)
	}
	y, ok := c.Years[year]
	switch {
	case n > 0:
		return &auditYear{CalendarStored, y}, nil
	case ok:
		return &auditYear{CalendarBuiltin, y}, nil
	}
	return nil, nil
}

func (tx *Tx) bumpCalendarRevision(ctx context.Context, a civic.Actor) error {
	if _, err := tx.exec(ctx, `UPDATE calendar_settings SET revision = revision + 1, updated_at = ?, updated_by = ? WHERE id = 1`, tx.now, a.Username); err != nil {
		return fmt.Errorf("bump calendar revision: %w", err)
	}
	return nil
}

// InvalidCalendar turns the calendar package's *ValidationError into a
// civic.Invalid error with one field error per problem, in both languages;
// other errors are wrapped as they are.
func InvalidCalendar(err error) error {
	var ve *calendar.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("validate calendar: %w", err)
	}
	fs := make([]civic.FieldError, len(ve.Problems))
	for i, p := range ve.Problems {
		fs[i] = civic.FieldError{Field: p.Field, Msg: civic.T(p.ZH, p.EN)}
	}
	return civic.Invalid(fs...)
}

// recomputeAfter moves open deadlines after a calendar or limit change; the
// change itself is already committed, so a failure here says so.
func (s *Store) recomputeAfter(ctx context.Context, category string) error {
	if _, err := s.RecomputeDeadlines(ctx, category); err != nil {
		return fmt.Errorf("saved, but open deadlines were not recomputed (the next change or a restart will): %w", err)
	}
	return nil
}
