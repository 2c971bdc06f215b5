package store

import (
	"context"
	"time"
)

// OnTriageTrainForTest calls f as this store begins training a model it
// claimed (store.triageCache.onTrain).
func (s *Store) OnTriageTrainForTest(f func(ctx context.Context, id int64)) {
	s.triage.onTrain = f
}

// TriageRenewalForTest makes this store's trainings renew their leases at
// each value sent on ticks instead of every triageRenew, and tell renewed
// after each renewal whether the lease held; nil, nil restores the ticker.
func (s *Store) TriageRenewalForTest(ticks <-chan time.Time, renewed chan<- bool) {
	s.triage.renewTicks, s.triage.renewed = ticks, renewed
}

// ClaimTriageForTest claims the next model as a server would and then
// does nothing with it, as a server that died in the middle of training.
func (s *Store) ClaimTriageForTest(ctx context.Context) (int64, error) {
	c, err := s.claimTriage(ctx)
	return c.id, err
}
