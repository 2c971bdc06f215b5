package triage

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestTrainBinaryOptimal checks that the solution shrinking reaches is the
// optimum: the gradient of the primal, w − 2 Σ C_i ξ_i y_i x_i with
// ξ_i = max(0, 1 − y_i(w·x_i + b)), vanishes (the bias as a weight on a
// constant feature), on noisy data where many examples sit at alpha = 0
// and are shrunk away, and where some are on the wrong side.
func TestTrainBinaryOptimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	const n, dim = 600, 40
	truth := make([]float64, dim)
	for j := range truth {
		truth[j] = rng.NormFloat64()
	}
	xs, y := make([]sparse, n), make([]float64, n)
	for i := range xs {
		var v sparse
		s := 0.0
		for j := 0; j < dim; j++ {
			if rng.Float64() < 0.3 {
				x := float32(rng.Float64())
				v.idx, v.val = append(v.idx, int32(j)), append(v.val, x)
				s += float64(x) * truth[j]
			}
		}
		y[i] = 1
		if s+rng.NormFloat64()*0.3 < 0 {
			y[i] = -1
		}
		xs[i] = v
	}
	const cPos, cNeg = 2.0, 1.0
	w := trainBinary(xs, y, dim, cPos, cNeg, 1000, rand.New(rand.NewPCG(1, 1)))
	grad := make([]float64, dim+1)
	copy(grad, w)
	shrunk := 0
	for i, x := range xs {
		c := cNeg
		if y[i] > 0 {
			c = cPos
		}
		xi := max(0, 1-y[i]*(x.dot(w)+w[dim]))
		if xi == 0 {
			shrunk++
		}
		for k, j := range x.idx {
			grad[j] -= 2 * c * xi * y[i] * float64(x.val[k])
		}
		grad[dim] -= 2 * c * xi * y[i]
	}
	norm, wn := 0.0, 0.0
	for j := range grad {
		norm += grad[j] * grad[j]
		wn += w[j] * w[j]
	}
	if shrunk < n/4 {
		t.Fatalf("only %d of %d examples beyond the margin: the data do not exercise shrinking", shrunk, n)
	}
	if r := math.Sqrt(norm / wn); r > 1e-2 {
		t.Fatalf("primal gradient %.2g of the weights' norm: not at the optimum", r)
	}
}
