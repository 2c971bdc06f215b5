package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// seedBenchCasesPG is SeedBenchCases on PostgreSQL: the rows go in with
// COPY, cases with their IDs taken ahead from the identity, then their
// events, per batch of 50,000 cases in one transaction — millions of cases
// by one statement at a time would take hours. Search terms are not
// written: the benchmarks that seed PostgreSQL (insight) do not search.
func (s *Store) seedBenchCasesPG(ctx context.Context, n int, next func(i int) BenchCase) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("seed: not a pgx connection (%T)", dc)
		}
		c := pc.Conn()
		var base int64
		if err := c.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM cases`).Scan(&base); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		const per = 50_000
		caseCols := []string{"id", "state", "category_code", "request_type", "title", "description", "source", "has_location", "lng", "lat", "address",
			"region_code", "reporter_name", "reporter_phone", "reporter_phone_hash", "anonymous", "handler_org_id", "handler_region_code", "priority", "dispatched_at", "created_at", "updated_at"}
		eventCols := []string{"case_id", "at", "action", "from_state", "to_state", "data"}
		for done := 0; done < n; {
			k := min(per, n-done)
			var caseRows, eventRows [][]any
			for i := done; i < done+k; i++ {
				bc := next(i)
				id := base + int64(i) + 1
				var org, dispatched any
				if bc.HandlerOrgID != 0 {
					org = bc.HandlerOrgID
				}
				if bc.State != "reported" && bc.State != "accepted" {
					dispatched = bc.CreatedAt
				}
				phone, phoneHash, err := s.sealCasePhone(bc.Phone)
				if err != nil {
					return err
				}
				caseRows = append(caseRows, []any{id, bc.State, bc.Category, "complaint", bc.Title, bc.Desc, "api", true, bc.Lng, bc.Lat, "",
					bc.Region, "", phone, phoneHash, false, org, bc.HandlerRegion, int64(0), dispatched, bc.CreatedAt, bc.CreatedAt})
				if bc.Timeline {
					benchTimeline(bc, func(j int, action, from, to, data string) {
						eventRows = append(eventRows, []any{id, bc.CreatedAt.Add(time.Duration(j) * time.Hour), action, from, to, data})
					})
				}
			}
			tx, err := c.Begin(ctx)
			if err != nil {
				return fmt.Errorf("seed: %w", err)
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"cases"}, caseCols, pgx.CopyFromRows(caseRows)); err != nil {
				tx.Rollback(ctx)
				return fmt.Errorf("seed cases: %w", err)
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"case_events"}, eventCols, pgx.CopyFromRows(eventRows)); err != nil {
				tx.Rollback(ctx)
				return fmt.Errorf("seed events: %w", err)
			}
			if err := tx.Commit(ctx); err != nil {
				return fmt.Errorf("seed: %w", err)
			}
			done += k
		}
		if _, err := c.Exec(ctx, `SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT MAX(id) FROM cases))`); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		_, err := c.Exec(ctx, `ANALYZE cases; ANALYZE case_events`)
		return err
	})
}
