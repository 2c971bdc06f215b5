package store

import (
	"context"
	"fmt"
	"time"
)

// BareCaseInserts is the baseline that intake benchmarks compare against:
// n case rows with the same columns a real submission writes, durable, in
// transactions of batch rows — no validation, routing, events or read-back.
// It writes real rows; use it only on a benchmark database.
func (s *Store) BareCaseInserts(ctx context.Context, n, batch int) (time.Duration, error) {
	if batch < 1 {
		batch = 1
	}
	start := time.Now()
	for done := 0; done < n; {
		k := min(batch, n-done)
		err := s.write(ctx, func(tx *Tx) error {
			for i := 0; i < k; i++ {
				_, err := tx.exec(ctx, `INSERT INTO cases (state, category_code, request_type, title, description, source, has_location, lng, lat, address,
						region_code, reporter_name, reporter_phone, anonymous, handler_region_code, priority, dispatched_at, claim_due, complete_due, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					"dispatched", "0101", "complaint", "基准测试", "bare insert baseline", "api", true, 116.4, 39.9, "",
					"110101001001001", "", "", false, "110101001001001", 0, tx.now, tx.now, tx.now, tx.now, tx.now)
				if err != nil {
					return fmt.Errorf("bare insert: %w", err)
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		done += k
	}
	return time.Since(start), nil
}

// BenchCase is one synthetic case for SeedBenchCases.
type BenchCase struct {
	State         string
	Category      string
	Title, Desc   string
	Region        string
	HandlerOrgID  int64
	HandlerRegion string
	Lng, Lat      float64
	CreatedAt     time.Time
	Phone         string // the reporter's; "" for none
	// Timeline writes a synthetic timeline leading to State (report,
	// dispatch, claim, handle, verify_pass, visit, an hour apart), so that
	// RebuildRollups has events to count. State must be on that path.
	Timeline bool
	// Satisfaction and Solved rate the visit of a visited case.
	Satisfaction string
	Solved       bool
}

// benchTimeline calls fn for each step of c's synthetic timeline, the
// j-th an hour after the filing, up to c.State.
func benchTimeline(c BenchCase, fn func(j int, action, from, to, data string)) {
	from := ""
	for j, step := range benchChain {
		data := ""
		switch step.action {
		case "dispatch":
			// Who got it, as a real dispatch records it (assessments by
			// handler read it).
			data = fmt.Sprintf(`{"org_id":%d,"region_code":%q}`, c.HandlerOrgID, c.HandlerRegion)
		case "visit":
			data = fmt.Sprintf(`{"satisfaction":%q,"solved":%v}`, c.Satisfaction, c.Solved)
		}
		fn(j, step.action, from, step.to, data)
		if step.to == c.State {
			return
		}
		from = step.to
	}
}

// benchChain is the path of the synthetic timelines.
var benchChain = []struct{ action, to string }{
	{"report", "reported"}, {"dispatch", "dispatched"}, {"claim", "in_progress"}, {"handle", "handled"}, {"verify_pass", "closed"}, {"visit", "visited"},
}

// SeedBenchCases writes synthetic cases fast, for list and search
// benchmarks at city scale: case rows and their search terms in large
// transactions, without routing (on PostgreSQL by COPY, without search
// terms: see seedBenchCasesPG). next returns the i-th case. It
// writes real rows; use it only on a benchmark database.
func (s *Store) SeedBenchCases(ctx context.Context, n int, next func(i int) BenchCase) error {
	if s.engine == Postgres {
		return s.seedBenchCasesPG(ctx, n, next)
	}
	const per = 5000
	for done := 0; done < n; {
		k := min(per, n-done)
		err := s.write(ctx, func(tx *Tx) error {
			for i := done; i < done+k; i++ {
				c := next(i)
				var org any
				if c.HandlerOrgID != 0 {
					org = c.HandlerOrgID
				}
				var dispatched any
				if c.State != "reported" && c.State != "accepted" {
					dispatched = c.CreatedAt
				}
				// Phones sealed as intake seals them, so that what reads
				// them (一人多诉) is measured on what a city stores.
				phone, phoneHash, err := s.sealCasePhone(c.Phone)
				if err != nil {
					return err
				}
				id, err := tx.insertID(ctx, `INSERT INTO cases (state, category_code, request_type, title, description, source, has_location, lng, lat, address,
						region_code, reporter_name, reporter_phone, reporter_phone_hash, anonymous, handler_org_id, handler_region_code, priority, dispatched_at, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					c.State, c.Category, "complaint", c.Title, c.Desc, "api", true, c.Lng, c.Lat, "",
					c.Region, "", phone, phoneHash, false, org, c.HandlerRegion, 0, dispatched, c.CreatedAt, c.CreatedAt)
				if err != nil {
					return fmt.Errorf("seed case: %w", err)
				}
				if err := tx.indexCase(ctx, id, c.Title+" "+c.Desc, c.Region); err != nil {
					return err
				}
				if c.Timeline {
					var err error
					benchTimeline(c, func(j int, action, from, to, data string) {
						if err == nil {
							_, err = tx.exec(ctx, `INSERT INTO case_events (case_id, at, action, from_state, to_state, data) VALUES (?, ?, ?, ?, ?, ?)`,
								id, c.CreatedAt.Add(time.Duration(j)*time.Hour), action, from, to, data)
						}
					})
					if err != nil {
						return fmt.Errorf("seed event: %w", err)
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		done += k
	}
	return nil
}
