package store

import "context"

// OnTriageTrainForTest calls f as this store begins training a model it
// claimed (store.triageCache.onTrain).
func (s *Store) OnTriageTrainForTest(f func(ctx context.Context, id int64)) {
	s.triage.onTrain = f
}

// ClaimTriageForTest claims the next model as a server would and then
// does nothing with it, as a server that died in the middle of training.
func (s *Store) ClaimTriageForTest(ctx context.Context) (int64, error) {
	c, err := s.claimTriage(ctx)
	return c.id, err
}
