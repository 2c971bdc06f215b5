package triage

import (
	"context"
	"math/rand/v2"
)

// trainBinary fits an L2-regularised, L2-loss linear SVM (with a bias
// feature) by dual coordinate descent: y are ±1, c the cost. It returns
// the weights, the bias last, or nil when ctx ends first (it looks before
// every epoch).
func trainBinary(ctx context.Context, xs []sparse, y []float64, dim int, cPos, cNeg float64, epochs int, rng *rand.Rand) []float64 {
	w := make([]float64, dim+1)
	alpha := make([]float64, len(xs))
	// L2-loss: D_ii = 1/(2C_i), no upper bound on alpha. Positives and
	// negatives may cost differently, so that small classes are not
	// drowned by the rest in one-vs-rest training.
	dii := make([]float64, len(xs))
	qii := make([]float64, len(xs))
	for i, x := range xs {
		c := cNeg
		if y[i] > 0 {
			c = cPos
		}
		dii[i] = 1 / (2 * c)
		s := 1.0 // the bias feature
		for _, v := range x.val {
			s += float64(v) * float64(v)
		}
		qii[i] = s + dii[i]
	}
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	for ep := 0; ep < epochs; ep++ {
		if ctx.Err() != nil {
			return nil
		}
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		maxPG := 0.0
		for _, i := range order {
			x := xs[i]
			g := y[i]*(x.dot(w)+w[dim]) - 1 + dii[i]*alpha[i]
			pg := g
			if alpha[i] == 0 && g > 0 {
				pg = 0
			}
			if pg > maxPG {
				maxPG = pg
			} else if -pg > maxPG {
				maxPG = -pg
			}
			if pg == 0 {
				continue
			}
			old := alpha[i]
			alpha[i] = max(old-g/qii[i], 0)
			d := (alpha[i] - old) * y[i]
			if d == 0 {
				continue
			}
			for k, j := range x.idx {
				w[j] += d * float64(x.val[k])
			}
			w[dim] += d
		}
		if maxPG < 1e-3 {
			break
		}
	}
	return w
}
