package store

import "context"

// OnTriageTrainForTest calls f as this store begins training a model it
// claimed (store.triageCache.onTrain).
func (s *Store) OnTriageTrainForTest(f func(ctx context.Context, id int64)) {
	s.triage.onTrain = f
}
