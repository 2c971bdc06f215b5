package triage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"sort"
	"sync"
)

// Example is one labelled text.
type Example struct {
	Title, Text, Label string
}

// document is what the model reads of a message. Its body is the title
// twice, since a resident's title usually names the matter in a few words,
// then the text. Its head is read again as features of their own (a
// namespace, space): the title, counted Params.TitleSpace times, or for a
// message without one the first Params.LeadSpace characters of its text,
// counted once. In its own namespace a word of the head weighs apart from
// the same word further on: what a message opens with names its matter
// more often than what it goes on to say.
type document struct {
	body, head, space string
	times             int
}

// Namespaces of the head's features: a feature is a character n-gram or a
// lower-cased word of letters and digits, so neither "T:" nor "L:" can
// begin one.
const (
	titleSpace = "T:"
	leadSpace  = "L:"
)

func (p Params) document(title, text string) document {
	if title == "" {
		d := document{body: text}
		if p.LeadSpace > 0 {
			d.head, d.space, d.times = leading(text, p.LeadSpace), leadSpace, 1
		}
		return d
	}
	return document{body: title + "。" + title + "。" + text, head: title, space: titleSpace, times: p.TitleSpace}
}

// leading is the first n characters of s.
func leading(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// features calls fn with every feature of d, as often as it occurs: its
// namespace ("" for the body's) and the feature as grams passes it.
func (d document) features(maxN int, fn func(space string, g []byte)) {
	grams(d.body, maxN, func(g []byte) { fn("", g) })
	if d.times == 0 || d.head == "" {
		return
	}
	grams(d.head, maxN, func(g []byte) {
		for range d.times {
			fn(d.space, g)
		}
	})
}

// Params are the training choices, picked by cross-validation on the
// training data (see docs/BENCHMARKS.md).
type Params struct {
	MaxN   int     `json:"max_n"`  // longest character n-gram
	MinDF  int     `json:"min_df"` // drop features seen in fewer documents
	C      float64 `json:"c"`      // SVM cost
	Epochs int     `json:"epochs"`
	Folds  int     `json:"folds"` // for fitting the probability temperature
	// NB scales each label's features by their naive-Bayes log-count
	// ratio before the SVM (Wang & Manning's NBSVM); 0 turns it off.
	NB float64 `json:"nb"`
	// Weightings names the supervised term weightings to train under:
	// one SVM per label and weighting, their weights averaged into one
	// linear model (so classifying costs the same as with one). "nb" is
	// the log-count ratio above, "rf" relevance frequency (Lan et al.),
	// "df" the log ratio of document counts. Empty means "nb" alone when
	// NB > 0.
	Weightings []string `json:"weightings,omitempty"`
	// Balance raises the cost of a label's own examples by up to this
	// factor the rarer the label is (0 or 1: equal costs).
	Balance float64 `json:"balance"`
	// TitleSpace counts a title's features this many times more in a
	// namespace of their own, and LeadSpace puts the first so many
	// characters of a message without a title in another (document);
	// 0 turns either off, as in models trained before they were.
	TitleSpace int    `json:"title_space,omitempty"`
	LeadSpace  int    `json:"lead_space,omitempty"`
	Seed       uint64 `json:"seed"`
}

// DefaultParams are the cross-validated defaults.
var DefaultParams = Params{MaxN: 3, MinDF: 2, C: 1, Epochs: 50, Folds: 3, Seed: 1, NB: 0.1, Balance: 3,
	Weightings: []string{"nb", "rf", "df"}, TitleSpace: 2, LeadSpace: 150}

// Model is a trained classifier.
type Model struct {
	Params      Params      `json:"params"`
	Labels      []string    `json:"labels"`
	Vocab       *Vocabulary `json:"vocab"`
	Weights     []floats    `json:"weights"` // per label, bias last
	Temperature float64     `json:"temperature"`
	Trained     int         `json:"trained"` // examples
}

// Prediction is a label with its probability.
type Prediction struct {
	Label string  `json:"label"`
	Prob  float64 `json:"prob"`
}

// Train fits a model to examples.
func Train(examples []Example, p Params) (*Model, error) {
	return TrainContext(context.Background(), examples, p)
}

// TrainContext is Train that stops when ctx ends: it looks at ctx before
// each step (the vectors, every epoch of every label's SVM, every fold of
// the temperature's cross-validation) and returns ctx's error and no
// model, so that a server shutting down is not held for the minutes a
// large training takes. Looking changes nothing of the arithmetic: with a
// ctx that does not end, the model is Train's, bit for bit.
func TrainContext(ctx context.Context, examples []Example, p Params) (*Model, error) {
	if p.MaxN == 0 {
		p = DefaultParams
	}
	labels, y := labelsOf(examples)
	if len(labels) < 2 {
		return nil, errors.New("triage: training needs examples of at least two labels")
	}
	if err := stopped(ctx); err != nil {
		return nil, err
	}
	docs := make([]document, len(examples))
	for i, e := range examples {
		docs[i] = p.document(e.Title, e.Text)
	}
	m := &Model{Params: p, Labels: labels, Vocab: buildVocabulary(docs, p.MaxN, p.MinDF), Trained: len(examples)}
	xs, err := vectors(ctx, m.Vocab, docs)
	if err != nil {
		return nil, err
	}
	if m.Weights, err = trainAll(ctx, xs, y, len(labels), len(m.Vocab.IDF), p); err != nil {
		return nil, err
	}
	// Temperature: fit on decision values of held-out folds, so that it
	// reflects how the model does on text it has not seen.
	m.Temperature = 1
	if p.Folds >= 2 && len(examples) >= 4*p.Folds {
		dec, err := crossDecisions(ctx, examples, labels, y, p)
		if err != nil {
			return nil, err
		}
		m.Temperature = fitTemperature(dec, y)
	}
	return m, nil
}

// stopped is ctx's error, said to be the training's.
func stopped(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("triage: training stopped: %w", err)
	}
	return nil
}

func labelsOf(examples []Example) ([]string, []int) {
	set := map[string]bool{}
	for _, e := range examples {
		set[e.Label] = true
	}
	labels := make([]string, 0, len(set))
	for l := range set {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	idx := map[string]int{}
	for i, l := range labels {
		idx[l] = i
	}
	y := make([]int, len(examples))
	for i, e := range examples {
		y[i] = idx[e.Label]
	}
	return labels, y
}

// PanicError is a panic in one of a training's goroutines, turned into
// an error: nothing above those goroutines could recover it, and it would
// end the whole process (a server, every request in flight with it).
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("triage: training panicked: %v", e.Value) }

// workers runs a training's goroutines: it counts them, keeps the first
// panic among them as a PanicError, and tells the others to start no more
// work once one panicked.
type workers struct {
	wg    sync.WaitGroup
	mu    sync.Mutex
	panic *PanicError
}

// goSafe runs fn in a goroutine of w's.
func (w *workers) goSafe(fn func()) {
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer func() {
			if r := recover(); r != nil {
				w.mu.Lock()
				if w.panic == nil {
					w.panic = &PanicError{Value: r, Stack: debug.Stack()}
				}
				w.mu.Unlock()
			}
		}()
		fn()
	}()
}

// ok reports whether no goroutine of w's has panicked so far.
func (w *workers) ok() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.panic == nil
}

// wait waits for w's goroutines and returns the first panic, or else
// ctx's error.
func (w *workers) wait(ctx context.Context) error {
	w.wg.Wait()
	if w.panic != nil {
		return w.panic
	}
	return stopped(ctx)
}

func vectors(ctx context.Context, v *Vocabulary, docs []document) ([]sparse, error) {
	xs := make([]sparse, len(docs))
	var ws workers
	const n = 2
	for w := 0; w < n; w++ {
		ws.goSafe(func() {
			for i := w; i < len(docs) && ctx.Err() == nil && ws.ok(); i += n {
				xs[i] = v.vector(docs[i])
			}
		})
	}
	if err := ws.wait(ctx); err != nil {
		return nil, err
	}
	return xs, nil
}

// trainAll fits one binary SVM per label, two at a time. When ctx ends it
// starts no more labels, the running ones stop at their next epoch, and
// it returns ctx's error.
func trainAll(ctx context.Context, xs []sparse, y []int, k, dim int, p Params) ([]floats, error) {
	out := make([]floats, k)
	var ws workers
	sem := make(chan struct{}, 2)
	for c := 0; c < k && ctx.Err() == nil && ws.ok(); c++ {
		sem <- struct{}{}
		ws.goSafe(func() {
			defer func() { <-sem }()
			yy := make([]float64, len(y))
			for i, l := range y {
				yy[i] = -1
				if l == c {
					yy[i] = 1
				}
			}
			cPos := p.C
			if p.Balance > 1 {
				pos := 0
				for _, v := range yy {
					if v > 0 {
						pos++
					}
				}
				// A label with 1/k of the examples costs as much as the
				// rest; rarer ones more, up to Balance.
				cPos = p.C * min(p.Balance, max(1, float64(len(yy))/float64(k*max(pos, 1))))
			}
			names := p.Weightings
			if len(names) == 0 {
				names = []string{""}
				if p.NB > 0 {
					names[0] = "nb"
				}
			}
			f := make([]float32, dim+1)
			for _, name := range names {
				if ctx.Err() != nil {
					return
				}
				cx, r := xs, termWeights(name, xs, yy, dim, p.NB)
				if r != nil {
					cx = make([]sparse, len(xs))
					for i, x := range xs {
						v := sparse{idx: x.idx, val: make([]float32, len(x.val))}
						for k, j := range x.idx {
							v.val[k] = x.val[k] * float32(r[j])
						}
						cx[i] = v
					}
				}
				w := trainBinary(ctx, cx, yy, dim, cPos, p.C, p.Epochs, rand.New(rand.NewPCG(p.Seed, uint64(c))))
				if w == nil {
					return // ctx ended
				}
				// The weighting folds into the weights: w·(r∘x) = (w∘r)·x,
				// and the models average into one (an average rather than
				// a sum keeps decision values on one model's scale, which
				// the probability temperature is fitted to).
				for i, x := range w {
					if r != nil && i < dim {
						x *= r[i]
					}
					f[i] += float32(x / float64(len(names)))
				}
			}
			out[c] = f
		})
	}
	if err := ws.wait(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// crossDecisions are the decision values of every example from a model
// that did not see it.
func crossDecisions(ctx context.Context, examples []Example, labels []string, y []int, p Params) ([][]float64, error) {
	dec := make([][]float64, len(examples))
	for f, test := range folds(y, p.Folds, p.Seed) {
		var train []Example
		in := map[int]bool{}
		for _, i := range test {
			in[i] = true
		}
		for i, e := range examples {
			if !in[i] {
				train = append(train, e)
			}
		}
		q := p
		q.Folds = 0
		q.Seed = p.Seed + uint64(f) + 1
		sub, err := TrainContext(ctx, train, q)
		if err := stopped(ctx); err != nil {
			return nil, err
		}
		if err != nil {
			continue
		}
		for _, i := range test {
			d := sub.decisions(q.document(examples[i].Title, examples[i].Text))
			// Map the sub-model's labels onto the full set.
			row := make([]float64, len(labels))
			for j := range row {
				row[j] = -10
			}
			for j, l := range sub.Labels {
				row[sort.SearchStrings(labels, l)] = d[j]
			}
			dec[i] = row
		}
	}
	return dec, nil
}

// HeldOutTemperature fits the probability temperature to the decisions m
// makes on test, examples it was not trained on (a held-out split), for a
// model of the same parameters trained on all the data: what Train does
// with its inner folds, without training again. Examples of a label m does
// not know are left out; with none left it returns 1.
func HeldOutTemperature(m *Model, test []Example) float64 {
	var dec [][]float64
	var y []int
	for _, e := range test {
		j := sort.SearchStrings(m.Labels, e.Label)
		if j == len(m.Labels) || m.Labels[j] != e.Label {
			continue
		}
		dec = append(dec, m.decisions(m.Params.document(e.Title, e.Text)))
		y = append(y, j)
	}
	if len(dec) == 0 {
		return 1
	}
	return fitTemperature(dec, y)
}

// folds splits example indices into k stratified folds.
func folds(y []int, k int, seed uint64) [][]int {
	rng := rand.New(rand.NewPCG(seed, 99))
	byLabel := map[int][]int{}
	for i, l := range y {
		byLabel[l] = append(byLabel[l], i)
	}
	keys := make([]int, 0, len(byLabel))
	for l := range byLabel {
		keys = append(keys, l)
	}
	sort.Ints(keys)
	out := make([][]int, k)
	n := 0
	for _, l := range keys {
		idx := byLabel[l]
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		for _, i := range idx {
			out[n%k] = append(out[n%k], i)
			n++
		}
	}
	return out
}

// fitTemperature finds t minimising the log loss of softmax(t·decisions) by
// golden-section search, against targets smoothed as Platt (1999) smooths
// his: the true label 1−ε and the others ε shared, with ε = 1/(n+2) for n
// held-out examples. With hard targets a few well-separated examples (a
// deployment's first model) drive t to the top of its range and every
// probability to 1, so that any auto-routing threshold is passed; the
// smoothed targets keep t finite, and on thousands of examples they
// change next to nothing.
func fitTemperature(dec [][]float64, y []int) float64 {
	n := 0
	for _, d := range dec {
		if d != nil {
			n++
		}
	}
	eps := 1 / float64(n+2)
	loss := func(t float64) float64 {
		s := 0.0
		for i, d := range dec {
			if d == nil {
				continue
			}
			rest := eps / float64(max(len(d)-1, 1))
			for j, lp := range logSoftmax(d, t) {
				w := rest
				if j == y[i] {
					w = 1 - eps
				}
				s -= w * lp
			}
		}
		return s
	}
	lo, hi := 0.1, 50.0
	g := (math.Sqrt(5) - 1) / 2
	a, b := hi-g*(hi-lo), lo+g*(hi-lo)
	fa, fb := loss(a), loss(b)
	for i := 0; i < 60; i++ {
		if fa < fb {
			hi, b, fb = b, a, fa
			a = hi - g*(hi-lo)
			fa = loss(a)
		} else {
			lo, a, fa = a, b, fb
			b = lo + g*(hi-lo)
			fb = loss(b)
		}
	}
	return (lo + hi) / 2
}

func softmax(d []float64, t float64) []float64 {
	out := logSoftmax(d, t)
	for i, x := range out {
		out[i] = math.Exp(x)
	}
	return out
}

// logSoftmax is log softmax(t·d), exact where a probability would
// underflow to 0.
func logSoftmax(d []float64, t float64) []float64 {
	m := math.Inf(-1)
	for _, x := range d {
		m = max(m, x*t)
	}
	z := 0.0
	for _, x := range d {
		z += math.Exp(x*t - m)
	}
	lz := m + math.Log(z)
	out := make([]float64, len(d))
	for i, x := range d {
		out[i] = x*t - lz
	}
	return out
}

// decisions are the per-label SVM scores of a document.
func (m *Model) decisions(d document) []float64 {
	x := m.Vocab.vector(d)
	dim := len(m.Vocab.IDF)
	out := make([]float64, len(m.Labels))
	for c, w := range m.Weights {
		s := float64(w[dim])
		for k, i := range x.idx {
			s += float64(x.val[k]) * float64(w[i])
		}
		out[c] = s
	}
	return out
}

// Classify returns every label with its probability, most likely first.
func (m *Model) Classify(title, text string) []Prediction {
	p := softmax(m.decisions(m.Params.document(title, text)), m.Temperature)
	out := make([]Prediction, len(p))
	for i, x := range p {
		out[i] = Prediction{Label: m.Labels[i], Prob: x}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Prob > out[b].Prob })
	return out
}

// Marshal and Unmarshal keep a model as JSON.
func (m *Model) Marshal() ([]byte, error) { return json.Marshal(m) }

func Unmarshal(b []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("triage: read model: %w", err)
	}
	if m.Vocab == nil || len(m.Weights) != len(m.Labels) || len(m.Labels) < 2 {
		return nil, errors.New("triage: the model file is incomplete")
	}
	return &m, nil
}

// termWeights is the named supervised weighting of every feature for the
// positive class, scaled to a mean of 1 so that C stays comparable; nil
// for no weighting.
func termWeights(name string, xs []sparse, y []float64, dim int, nbAlpha float64) []float64 {
	switch name {
	case "nb":
		return nbRatio(xs, y, dim, nbAlpha)
	case "rf":
		// Relevance frequency: how much more often the feature occurs
		// in the class than outside it.
		pos, neg, _, _ := docCounts(xs, y, dim)
		r := make([]float64, dim)
		for j := range r {
			r[j] = math.Log2(2 + pos[j]/max(1, neg[j]))
		}
		return meanOne(r)
	case "df":
		// Log ratio of the smoothed document rates, either way.
		const a = 2
		pos, neg, np, nn := docCounts(xs, y, dim)
		r := make([]float64, dim)
		for j := range r {
			r[j] = math.Abs(math.Log(((pos[j] + a) / (np + 2*a)) / ((neg[j] + a) / (nn + 2*a))))
		}
		return meanOne(r)
	}
	return nil
}

// docCounts are the numbers of documents in (pos) and out of (neg) the
// class that hold each feature, and the numbers of documents in and out.
func docCounts(xs []sparse, y []float64, dim int) (pos, neg []float64, np, nn float64) {
	pos = make([]float64, dim)
	neg = make([]float64, dim)
	for i, x := range xs {
		t := neg
		if y[i] > 0 {
			t, np = pos, np+1
		} else {
			nn++
		}
		for _, j := range x.idx {
			t[j]++
		}
	}
	return pos, neg, np, nn
}

func meanOne(r []float64) []float64 {
	mean := 0.0
	for _, x := range r {
		mean += x
	}
	mean /= float64(len(r))
	if mean > 0 {
		for j := range r {
			r[j] /= mean
		}
	}
	return r
}

// nbRatio is the naive-Bayes log-count ratio of every feature for the
// positive class, smoothed by alpha, as a multiplier around 1: features
// that tell the classes apart weigh more.
func nbRatio(xs []sparse, y []float64, dim int, alpha float64) []float64 {
	pos := make([]float64, dim)
	neg := make([]float64, dim)
	for i, x := range xs {
		t := neg
		if y[i] > 0 {
			t = pos
		}
		for k, j := range x.idx {
			t[j] += float64(x.val[k])
		}
	}
	var sp, sn float64
	for j := range pos {
		pos[j] += alpha
		neg[j] += alpha
		sp += pos[j]
		sn += neg[j]
	}
	r := make([]float64, dim)
	for j := range r {
		r[j] = math.Abs(math.Log((pos[j] / sp) / (neg[j] / sn)))
	}
	// Scale so the mean multiplier is 1, leaving C comparable.
	return meanOne(r)
}
