package store

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
	"github.com/civicgrid/civicgrid/internal/textseg"
)

// FindDuplicates returns the open cases the actor may see that are likely
// the same issue as the draft (重复诉求): reported within the window around
// the draft's time, within the radius of its point (or in its region when
// it has no point), ranked by civic.ScoreDuplicate — text similarity,
// place, time and category — best first, each with its score's parts.
//
// Candidates come from one indexed query: open states, a created_at range
// and a bounding box on lat/lng (the partial index cases_open_place of
// migration 0024) or the region range, capped at MaxCandidates rows,
// newest first (by id among cases filed in one instant, as a batch's are,
// so that both engines read the same rows); nothing else is read.
//
// Staff see candidates within their data scope only. Residents (who may
// report but not read cases) are shown, like NearbyOpenCases, open cases
// near a point they give so that they can join one (附议); they get no
// description and need a point.
func (s *Store) FindDuplicates(ctx context.Context, a civic.Actor, d civic.DuplicateDraft, p civic.DuplicateParams) ([]civic.Duplicate, error) {
	staff := a.Can(civic.PermCaseRead)
	if !staff && !a.Can(civic.PermCaseReport) {
		return nil, civic.Forbidden()
	}
	p = p.WithDefaults()
	if d.At.IsZero() {
		d.At = s.Now()
	}
	d.At = d.At.UTC()
	if strings.TrimSpace(d.Title+d.Description) == "" {
		return nil, civic.Invalid(civic.FieldErr("title", "请填写诉求标题或内容", "give the title or the text of the problem"))
	}
	if d.HasLocation {
		if math.IsNaN(d.Lng) || math.IsNaN(d.Lat) || d.Lng < -180 || d.Lng > 180 || d.Lat < -85 || d.Lat > 85 {
			return nil, civic.Invalid(civic.FieldErr("location", "位置坐标无效", "the location is not a valid point"))
		}
	} else if d.RegionCode == "" || !staff {
		return nil, civic.Invalid(civic.FieldErr("location", "请提供位置或所属区域", "give a location or a region"))
	}
	where := []string{"c.state IN ('reported','accepted','dispatched','in_progress','handled')", "c.created_at >= ?", "c.created_at <= ?"}
	args := []any{d.At.Add(-p.Window), d.At.Add(p.Window)}
	if d.HasLocation {
		dLat := p.RadiusM / 111320
		dLng := p.RadiusM / (111320 * math.Max(math.Cos(d.Lat*math.Pi/180), 0.01))
		where = append(where, "c.has_location = ?", "c.lat BETWEEN ? AND ?", "c.lng BETWEEN ? AND ?")
		args = append(args, true, d.Lat-dLat, d.Lat+dLat, d.Lng-dLng, d.Lng+dLng)
	} else {
		lo, hi := civic.ScopePrefixRange(d.RegionCode)
		where = append(where, "c.region_code >= ?", "c.region_code < ?")
		args = append(args, lo, hi)
	}
	if d.ExcludeID != 0 {
		where = append(where, "c.id <> ?")
		args = append(args, d.ExcludeID)
	}
	if staff {
		sc, sargs := caseScopeClause(a)
		where = append(where, sc)
		args = append(args, sargs...)
	}
	// SQLite has no statistics to weigh a narrow band of latitude against
	// the region or time indexes, so it is told (PostgreSQL's planner
	// knows); the state term above is the partial index's own WHERE.
	from := "cases c"
	if d.HasLocation && s.engine == SQLite {
		from = "cases c INDEXED BY cases_open_place"
	}
	rows, err := s.query(ctx, `SELECT c.id, c.state, c.category_code, c.title, c.description, c.has_location, c.lng, c.lat, c.region_code, c.created_at
		FROM `+from+` WHERE `+strings.Join(where, " AND ")+` ORDER BY c.created_at DESC, c.id DESC LIMIT ?`, append(args, p.MaxCandidates)...)
	if err != nil {
		return nil, fmt.Errorf("find duplicate candidates: %w", err)
	}
	var cands []dupCandidate
	for rows.Next() {
		var c dupCandidate
		if err := rows.Scan(&c.d.ID, &c.d.State, &c.d.CategoryCode, &c.d.Title, &c.d.Description, &c.located, &c.lng, &c.lat, &c.d.RegionCode, &c.d.CreatedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read duplicate candidate: %w", err)
		}
		c.d.CreatedAt = c.d.CreatedAt.UTC()
		cands = append(cands, c)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("read duplicate candidates: %w", err)
	}
	out := scoreDuplicates(d, cands, p)
	if err := s.duplicateReporters(ctx, out); err != nil {
		return nil, err
	}
	for i := range out {
		if staff {
			out[i].Number = civic.CaseNumber(out[i].CreatedAt, out[i].ID)
		} else {
			// A resident is shown what the nearby list shows: no text, no
			// reporter, no case number (the id is what 附议 names).
			out[i].Description = ""
		}
		if !seesReporterPhones(a) {
			// As the case itself shows them to this reader (maskCase).
			out[i].Title, out[i].Description = civic.MaskNumbersInText(out[i].Title), civic.MaskNumbersInText(out[i].Description)
		}
	}
	return out, nil
}

// CaseDuplicates returns the likely duplicates of an existing case among
// the other open cases the actor may see (staff only): reported within the
// window before or after it, near it or in its region.
func (s *Store) CaseDuplicates(ctx context.Context, a civic.Actor, id int64, p civic.DuplicateParams) ([]civic.Duplicate, error) {
	if err := a.Must(civic.PermCaseRead); err != nil {
		return nil, err
	}
	c, err := s.GetCase(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !civic.DuplicateOpen(c.State) || (!c.HasLocation && c.RegionCode == "") {
		return nil, nil
	}
	d := civic.DuplicateDraft{Title: c.Title, Description: c.Description, CategoryCode: c.CategoryCode, HasLocation: c.HasLocation,
		Lng: c.Lng, Lat: c.Lat, RegionCode: c.RegionCode, At: c.CreatedAt, ExcludeID: c.ID}
	return s.FindDuplicates(ctx, a, d, p)
}

// dupCandidate is one candidate row as read.
type dupCandidate struct {
	d        civic.Duplicate
	located  bool
	lng, lat float64
}

// scoreDuplicates scores every candidate against the draft and keeps the
// matches, best first (older first on a tie: the one to keep), at most
// p.Limit of them.
func scoreDuplicates(d civic.DuplicateDraft, cands []dupCandidate, p civic.DuplicateParams) []civic.Duplicate {
	docs := make([][]string, len(cands)+1)
	docs[0] = dupTerms(d.Title, d.Description)
	for i, c := range cands {
		docs[i+1] = dupTerms(c.d.Title, c.d.Description)
	}
	vecs := tfidf(docs)
	var out []civic.Duplicate
	for i, c := range cands {
		text := cosine(vecs[0], vecs[i+1])
		dist := 0.0
		located := d.HasLocation && c.located
		if located {
			dist = geo.Distance(geo.Point{Lng: d.Lng, Lat: d.Lat}, geo.Point{Lng: c.lng, Lat: c.lat})
		}
		sc, ok := civic.ScoreDuplicate(p, text, located, dist, d.RegionCode != "" && d.RegionCode == c.d.RegionCode,
			d.At.Sub(c.d.CreatedAt), d.CategoryCode != "" && d.CategoryCode == c.d.CategoryCode)
		if !ok {
			continue
		}
		m := c.d
		m.Match = sc
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Match.Score != out[j].Match.Score {
			return out[i].Match.Score > out[j].Match.Score
		}
		return out[i].CreatedAt.Before(out[j].CreatedAt)
	})
	if len(out) > p.Limit {
		out = out[:p.Limit]
	}
	return out
}

// duplicateReporters counts each match's reporters: the first and every
// co-reporter (附议, merged).
func (s *Store) duplicateReporters(ctx context.Context, ds []civic.Duplicate) error {
	if len(ds) == 0 {
		return nil
	}
	args := make([]any, len(ds))
	at := map[int64]int{}
	for i, d := range ds {
		args[i] = d.ID
		at[d.ID] = i
		ds[i].Reporters = 1
	}
	rows, err := s.query(ctx, `SELECT case_id, COUNT(*) FROM case_reporters WHERE case_id IN (?`+strings.Repeat(", ?", len(ds)-1)+`) GROUP BY case_id`, args...)
	if err != nil {
		return fmt.Errorf("count reporters of duplicates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return fmt.Errorf("count reporters of duplicates: %w", err)
		}
		ds[at[id]].Reporters += n
	}
	return rows.Err()
}

// dupStop are characters too common in complaints to say anything about
// which problem a text is about.
var dupStop = map[string]bool{"的": true, "了": true, "在": true, "是": true, "有": true, "和": true, "我": true, "们": true,
	"这": true, "那": true, "个": true, "啊": true, "吧": true, "呢": true, "也": true, "都": true, "就": true, "很": true, "请": true}

// dupTerms are the text's terms for comparison (textseg: Han characters,
// bigrams and whole words); the title's terms are marked so that they
// weigh double. A title intake took from the description (headline) is
// not the resident's own words a second time: it is left out, so that an
// untitled letter compares with its untitled duplicate as it came, and its
// first sentence does not count three times.
func dupTerms(title, desc string) []string {
	if title != "" && title == headline(desc) {
		title = ""
	}
	var out []string
	for _, t := range textseg.Terms(title) {
		if !dupStop[t] {
			out = append(out, t, t)
		}
	}
	for _, t := range textseg.Terms(desc) {
		if !dupStop[t] {
			out = append(out, t)
		}
	}
	return out
}

// tfidf weighs each document's terms by their frequency in it and their
// rarity among the documents compared (smoothed IDF, as scikit-learn's):
// words every nearby case shares — the compound's name, 小区, 门口 — count
// less than the words that say what is wrong. A lone Han character weighs
// half a bigram.
func tfidf(docs [][]string) []map[string]float64 {
	df := map[string]int{}
	tfs := make([]map[string]float64, len(docs))
	for i, d := range docs {
		tf := map[string]float64{}
		for _, t := range d {
			w := 1.0
			if len([]rune(t)) == 1 {
				w = 0.5
			}
			tf[t] += w
		}
		for t := range tf {
			df[t]++
		}
		tfs[i] = tf
	}
	n := float64(len(docs))
	for _, tf := range tfs {
		for t, v := range tf {
			tf[t] = v * (1 + math.Log((n+1)/(float64(df[t])+1)))
		}
	}
	return tfs
}

// cosine is the cosine similarity of two sparse vectors, in [0, 1].
func cosine(a, b map[string]float64) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	var dot, na, nb float64
	for t, v := range a {
		dot += v * b[t]
		na += v * v
	}
	for _, v := range b {
		nb += v * v
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return math.Min(1, math.Round(dot/math.Sqrt(na*nb)*1000)/1000)
}

// hotspotDuplicates groups the cases of one hotspot that are near
// duplicates of each other (by title, place and time, with the finder's
// scoring): each group has two or more case IDs, oldest first. Only cases
// still open to a merge are compared, so every group can be merged.
func hotspotDuplicates(cases []civic.HotspotCase, p civic.DuplicateParams) [][]int64 {
	p = p.WithDefaults()
	var open []civic.HotspotCase
	for _, c := range cases {
		if civic.DuplicateOpen(c.State) {
			open = append(open, c)
		}
	}
	if len(open) < 2 {
		return nil
	}
	docs := make([][]string, len(open))
	for i, c := range open {
		docs[i] = dupTerms(c.Title, "")
	}
	vecs := tfidf(docs)
	parent := make([]int, len(open))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i := range open {
		for j := i + 1; j < len(open); j++ {
			a, b := open[i], open[j]
			located := a.HasLocation && b.HasLocation
			dist := 0.0
			if located {
				dist = geo.Distance(geo.Point{Lng: a.Lng, Lat: a.Lat}, geo.Point{Lng: b.Lng, Lat: b.Lat})
			}
			if _, ok := civic.ScoreDuplicate(p, cosine(vecs[i], vecs[j]), located, dist, a.RegionCode == b.RegionCode,
				a.CreatedAt.Sub(b.CreatedAt), a.CategoryCode != "" && a.CategoryCode == b.CategoryCode); ok {
				parent[find(i)] = find(j)
			}
		}
	}
	byRoot := map[int][]int{}
	for i := range open {
		byRoot[find(i)] = append(byRoot[find(i)], i)
	}
	var out [][]int64
	for _, idx := range byRoot {
		if len(idx) < 2 {
			continue
		}
		sort.Slice(idx, func(x, y int) bool {
			if !open[idx[x]].CreatedAt.Equal(open[idx[y]].CreatedAt) {
				return open[idx[x]].CreatedAt.Before(open[idx[y]].CreatedAt)
			}
			return open[idx[x]].ID < open[idx[y]].ID
		})
		g := make([]int64, len(idx))
		for k, i := range idx {
			g[k] = open[i].ID
		}
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}
