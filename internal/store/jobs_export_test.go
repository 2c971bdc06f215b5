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
