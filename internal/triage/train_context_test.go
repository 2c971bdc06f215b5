package triage

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// endsAfter is a context that ends once its Err has been asked n times: a
// shutdown at a point of the training the test chooses, without timing.
type endsAfter struct {
	context.Context
	left  atomic.Int64
	asked atomic.Int64
	once  sync.Once
	done  chan struct{}
}

func newEndsAfter(n int64) *endsAfter {
	c := &endsAfter{Context: context.Background(), done: make(chan struct{})}
	c.left.Store(n)
	return c
}

func (c *endsAfter) Err() error {
	c.asked.Add(1)
	if c.left.Add(-1) < 0 {
		c.once.Do(func() { close(c.done) })
		return context.Canceled
	}
	return nil
}

func (c *endsAfter) Done() <-chan struct{} { return c.done }

// TestTrainContextStops: a training whose context ends stops at the next
// step and returns the context's error and no model, wherever in the
// training it ends (in the vectors, a label's epochs, the temperature's
// folds); a context that does not end gives Train's model.
func TestTrainContextStops(t *testing.T) {
	p := DefaultParams
	p.Folds = 2
	whole := newEndsAfter(math.MaxInt64)
	m, err := TrainContext(whole, toy, p)
	if err != nil {
		t.Fatal(err)
	}
	steps := whole.asked.Load()
	if steps < 10 {
		t.Fatalf("the training looked at its context %d times", steps)
	}
	ref, err := Train(toy, p)
	if err != nil {
		t.Fatal(err)
	}
	if modelHash(t, m) != modelHash(t, ref) {
		t.Fatal("TrainContext with a context that does not end differs from Train")
	}
	for _, at := range []int64{0, 1, steps / 4, steps / 2, 3 * steps / 4, steps - 1} {
		t.Run(fmt.Sprint(at), func(t *testing.T) {
			ctx := newEndsAfter(at)
			m, err := TrainContext(ctx, toy, p)
			if !errors.Is(err, context.Canceled) || m != nil {
				t.Fatalf("ended after %d of %d looks: model %v, err %v", at, steps, m != nil, err)
			}
			// Stopped soon after: the labels running finish no more than
			// their current epoch, and nothing new starts.
			if after := ctx.asked.Load() - at; after > 10 {
				t.Errorf("ended after %d of %d looks, went on for %d more", at, steps, after)
			}
		})
	}
	if _, err := CrossValidateContext(newEndsAfter(steps/2), toy, p, 2, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cross-validation whose context ended: %v", err)
	}
}

// TestTrainUnchanged: the model trained on the toy data is the one the
// classifier trained before training could be stopped (the SHA-256 of its
// JSON, recorded then), bit for bit, with the parameters of the time
// (three inner folds for the temperature, and two folds) — today's
// defaults without the head's namespaces, which is how a model saved
// before them is read and used — and today's defaults give the model
// recorded when the namespaces came (2026-11-25). Recorded on amd64, where
// Go does not fuse multiplications and additions; other architectures may
// round differently and are not held to it.
func TestTrainUnchanged(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the recorded models are amd64's")
	}
	before := DefaultParams
	before.TitleSpace, before.LeadSpace = 0, 0
	two := before
	two.Folds = 2
	for _, tt := range []struct {
		name string
		p    Params
		want string
	}{
		{"before namespaces", before, "1ddc2bf458de2b6a94e7c868213be537a7b279f51cd3e20212138d6c5293d86d"},
		{"two folds", two, "54b073386c9977399a790a728f6c888fc81f7c3867396761e80c9f02f1473024"},
		{"default", DefaultParams, "d2a95d05b07a1058c8bad407b030686bae9e3c48bbe6445f1be7dd33d64ec1e0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := TrainContext(context.Background(), toy, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			if got := modelHash(t, m); got != tt.want {
				t.Fatalf("model %s, want %s", got, tt.want)
			}
		})
	}
}

func modelHash(t *testing.T, m *Model) string {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// TestTrainWorkerPanic: a panic in one of the training's goroutines (here
// a vocabulary that is missing, and vectors that name features beyond
// the model's) is the training's error, a PanicError with its stack,
// instead of the end of the process that runs it.
func TestTrainWorkerPanic(t *testing.T) {
	docs := []document{{body: "楼道堆物"}, {body: "噪音扰民"}, {body: "占道经营"}}
	var pe *PanicError
	if xs, err := vectors(context.Background(), nil, docs); !errors.As(err, &pe) || xs != nil || len(pe.Stack) == 0 {
		t.Fatalf("vectors without a vocabulary: %v %v", xs, err)
	}
	bad := []sparse{{idx: []int32{0, 7}, val: []float32{1, 1}}, {idx: []int32{1}, val: []float32{1}}, {idx: []int32{2}, val: []float32{1}}}
	w, err := trainAll(context.Background(), bad, []int{0, 1, 2}, 3, 3, DefaultParams)
	if !errors.As(err, &pe) || w != nil || !strings.Contains(err.Error(), "index out of range") {
		t.Fatalf("features beyond the model's: %v %v", w, err)
	}
}
