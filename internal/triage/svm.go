package triage

import (
	"math"
	"math/rand/v2"
)

// trainBinary fits an L2-regularised, L2-loss linear SVM (with a bias
// feature) by dual coordinate descent: y are ±1, c the cost. It returns
// the weights, the bias last.
func trainBinary(xs []sparse, y []float64, dim int, cPos, cNeg float64, epochs int, rng *rand.Rand) []float64 {
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
	// Shrinking (as LIBLINEAR does): an example at alpha = 0 whose
	// gradient is above the last pass's largest projected gradient will
	// stay at 0, so it leaves the passes until the rest have converged;
	// then all are checked again. The optimum is the same, reached sooner.
	active := make([]int, len(xs))
	for i := range active {
		active[i] = i
	}
	n := len(active)
	pgMaxOld := math.Inf(1)
	for ep := 0; ep < epochs; ep++ {
		rng.Shuffle(n, func(a, b int) { active[a], active[b] = active[b], active[a] })
		pgMax, pgMin := math.Inf(-1), math.Inf(1)
		for s := 0; s < n; s++ {
			i := active[s]
			x := xs[i]
			g := y[i]*(x.dot(w)+w[dim]) - 1 + dii[i]*alpha[i]
			pg := g
			if alpha[i] == 0 {
				if g > pgMaxOld {
					n--
					active[s], active[n] = active[n], active[s]
					s--
					continue
				}
				if g > 0 {
					pg = 0
				}
			}
			pgMax, pgMin = max(pgMax, pg), min(pgMin, pg)
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
		if max(pgMax, -pgMin) < 1e-3 {
			if n == len(active) {
				break
			}
			// Converged without the shrunk examples: check them all.
			n, pgMaxOld = len(active), math.Inf(1)
			continue
		}
		pgMaxOld = pgMax
		if pgMaxOld <= 0 {
			pgMaxOld = math.Inf(1)
		}
	}
	return w
}
