package store

import (
	"context"
	"fmt"
	"strings"
)

// PoisonForTest makes every insert into table whose new row meets cond
// (SQL on NEW, e.g. "NEW.case_id = 7") fail, as a row the jobs cannot
// write would: a trigger on both engines, named after the table.
func (s *Store) PoisonForTest(ctx context.Context, table, cond string) error {
	name := "poison_" + table
	var stmts []string
	if s.engine == Postgres {
		stmts = []string{
			`CREATE FUNCTION ` + name + `() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF ` + cond +
				` THEN RAISE EXCEPTION 'poisoned row in ` + table + `'; END IF; RETURN NEW; END $$`,
			`CREATE TRIGGER ` + name + ` BEFORE INSERT ON ` + table + ` FOR EACH ROW EXECUTE FUNCTION ` + name + `()`,
		}
	} else {
		stmts = []string{`CREATE TRIGGER ` + name + ` BEFORE INSERT ON ` + table + ` WHEN ` + cond +
			` BEGIN SELECT RAISE(ABORT, 'poisoned row in ` + table + `'); END`}
	}
	for _, q := range stmts {
		if strings.Contains(q, "?") {
			return fmt.Errorf("poison %s: no placeholders in a trigger", table)
		}
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("poison %s: %w", table, err)
		}
	}
	return nil
}

// MaxConnsForTest is the size of the pool write transactions take their
// connections from.
func (s *Store) MaxConnsForTest() int { return s.w.Stats().MaxOpenConnections }

// WorkCalendarInTxForTest reads the working calendar from inside a write
// transaction, as a case action, an intake or the alerts job does; ready
// runs first, once the transaction holds its connection.
func (s *Store) WorkCalendarInTxForTest(ctx context.Context, ready func()) error {
	return s.write(ctx, func(tx *Tx) error {
		ready()
		_, err := s.workCalendar(ctx)
		return err
	})
}

// UnpoisonForTest removes what PoisonForTest put on table.
func (s *Store) UnpoisonForTest(ctx context.Context, table string) error {
	stmts := []string{`DROP TRIGGER poison_` + table}
	if s.engine == Postgres {
		stmts = []string{`DROP TRIGGER poison_` + table + ` ON ` + table, `DROP FUNCTION poison_` + table + `()`}
	}
	for _, q := range stmts {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("unpoison %s: %w", table, err)
		}
	}
	return nil
}
