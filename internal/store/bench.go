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
