package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// hotspotRow is one case as detection reads it.
type hotspotRow struct {
	c        civic.HotspotCase
	reporter string // identity key; "" when unknown or found on patrol
	// found: filed by a grid worker from patrol, the worker's duty rather
	// than anyone's appeal, so it names no reporter for 一人多诉 or
	// 多人同诉 (its co-reporters still count).
	found     bool
	name      string
	phone     string
	anonymous bool
}

// DetectHotspots finds the early warnings (未诉先办) over the cases the
// actor may see, narrowed to the region scope when given: clusters of
// related cases close in space and time, 多人同诉 clusters, 一人多诉
// reporters and rising categories. It reads the cases of the period with
// one range query on created_at and clusters in memory (civic.Clusters);
// rising categories take three grouped counts. Merged and rejected cases
// are left out: a merged case's reporters already count on its survivor.
// A scope outside the actor's is not found. It returns at most PerKind
// warnings of each kind, the highest scores, and how many of each kind
// were found.
func (s *Store) DetectHotspots(ctx context.Context, a civic.Actor, scope string, p civic.HotspotParams) ([]civic.Hotspot, map[civic.HotspotKind]int, error) {
	if err := a.Must(civic.PermCaseMetrics); err != nil {
		return nil, nil, err
	}
	if err := a.Must(civic.PermCaseRead); err != nil {
		return nil, nil, err
	}
	p = p.WithDefaults()
	where, args := caseScopeClause(a)
	if scope != "" {
		if !a.InScope(scope) || a.Scope.OrgID != 0 {
			return nil, nil, civic.NotFound("区域 "+scope, "region "+scope)
		}
		lo, hi := civic.ScopePrefixRange(scope)
		where += " AND c.region_code >= ? AND c.region_code < ?"
		args = append(args, lo, hi)
	}
	now := s.Now().UTC()
	// Three independent parts run side by side on a server's cores: the
	// rising counts from the roll-ups while the cases are read, then the
	// clustering while the other kinds are assembled.
	var (
		wg                  sync.WaitGroup
		counts              risingCounts
		names               map[string]string
		countsErr, namesErr error
	)
	wg.Go(func() {
		counts, countsErr = s.risingFromRollups(ctx, a, scope, now)
		names, namesErr = s.categoryNames(ctx)
	})
	rows, err := s.hotspotRows(ctx, where, args, now.Add(-p.Since))
	var clusters []civic.Hotspot
	var clustersErr error
	if err == nil {
		wg.Go(func() { clusters, clustersErr = s.hotspotClusters(ctx, rows, p, now) })
	}
	var out []civic.Hotspot
	if err == nil {
		out = oneReporter(rows, p, s.openCasePhone)
	}
	wg.Wait()
	if err = errors.Join(err, countsErr, namesErr, clustersErr); err != nil {
		return nil, nil, err
	}
	out = append(out, clusters...)
	out = append(out, risingCategories(a, counts, rows, now, p)...)
	order := map[civic.HotspotKind]int{civic.HotspotManyReporters: 0, civic.HotspotCluster: 1, civic.HotspotOneReporter: 2, civic.HotspotRising: 3}
	sort.SliceStable(out, func(i, j int) bool {
		if order[out[i].Kind] != order[out[j].Kind] {
			return order[out[i].Kind] < order[out[j].Kind]
		}
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].From.Before(out[j].From)
	})
	found := map[civic.HotspotKind]int{}
	kept := out[:0]
	for _, h := range out {
		found[h.Kind]++
		if found[h.Kind] <= p.PerKind {
			h.CategoryName = names[h.CategoryCode]
			h.FamilyName = names[h.Family]
			for i := range h.Categories {
				h.Categories[i].Name = names[h.Categories[i].Code]
			}
			for i := range h.Cases { // numbers for the listed cases only
				h.Cases[i].Number = civic.CaseNumber(h.Cases[i].CreatedAt, h.Cases[i].ID)
				if !seesReporterPhones(a) {
					// As the case itself shows its title to this reader.
					h.Cases[i].Title = civic.MaskNumbersInText(h.Cases[i].Title)
				}
			}
			if h.Kind == civic.HotspotCluster || h.Kind == civic.HotspotManyReporters {
				markDuplicates(&h)
			}
			kept = append(kept, h)
		}
	}
	return kept, found, nil
}

func (s *Store) hotspotRows(ctx context.Context, where string, args []any, from time.Time) ([]hotspotRow, error) {
	// The period is a small slice of the table; the scope's region range
	// may be all of it. Without statistics SQLite would take the region
	// index and read every case of the city, so it is told which index to
	// use (PostgreSQL's planner has its statistics).
	indexed := ""
	if s.engine != Postgres {
		indexed = " INDEXED BY cases_created"
	}
	rs, err := s.query(ctx, `SELECT c.id, c.state, c.category_code, c.title, c.region_code, c.has_location, c.lng, c.lat,
		COALESCE(c.reporter_id, 0), c.reporter_name, c.reporter_phone, c.reporter_phone_hash, c.anonymous, c.source, c.created_at
		FROM cases c`+indexed+` WHERE c.created_at >= ? AND c.state <> 'merged' AND c.state <> 'rejected' AND `+where+` ORDER BY c.created_at, c.id`,
		append([]any{from}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("read cases for hotspots: %w", err)
	}
	defer rs.Close()
	var out []hotspotRow
	for rs.Next() {
		var r hotspotRow
		var uid int64
		var source civic.Source
		var hash string
		if err := rs.Scan(&r.c.ID, &r.c.State, &r.c.CategoryCode, &r.c.Title, &r.c.RegionCode, &r.c.HasLocation, &r.c.Lng, &r.c.Lat,
			&uid, &r.name, &r.phone, &hash, &r.anonymous, &source, &r.c.CreatedAt); err != nil {
			return nil, fmt.Errorf("read cases for hotspots: %w", err)
		}
		r.c.CreatedAt = r.c.CreatedAt.UTC()
		if r.found = source == civic.SourcePatrol; !r.found {
			r.reporter = reporterKey(uid, phoneKey(r.phone, hash))
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read cases for hotspots: %w", err)
	}
	return out, nil
}

// reporterKey identifies a reporter across cases: the account, else the
// phone number's key (phoneKey); "" when neither is known.
func reporterKey(uid int64, phone string) string {
	switch {
	case uid != 0:
		return "u" + strconv.FormatInt(uid, 10)
	case phone != "":
		return "p" + phone
	}
	return ""
}

func (s *Store) categoryNames(ctx context.Context) (map[string]string, error) {
	rs, err := s.query(ctx, `SELECT code, name FROM categories`)
	if err != nil {
		return nil, fmt.Errorf("read category names: %w", err)
	}
	defer rs.Close()
	m := map[string]string{}
	for rs.Next() {
		var code, name string
		if err := rs.Scan(&code, &name); err != nil {
			return nil, fmt.Errorf("read category names: %w", err)
		}
		m[code] = name
	}
	return m, rs.Err()
}

// hotspotClusters clusters the located, categorised cases and counts each
// cluster's distinct reporters, co-reporters included; a cluster with
// MinReporters of them is 多人同诉. Reporters nobody can name (no account,
// no phone) count one per case.
func (s *Store) hotspotClusters(ctx context.Context, rows []hotspotRow, p civic.HotspotParams, now time.Time) ([]civic.Hotspot, error) {
	var pts []civic.HotspotPoint
	var at []int
	for i, r := range rows {
		if !r.c.HasLocation || r.c.CategoryCode == "" {
			continue
		}
		pts = append(pts, civic.HotspotPoint{Lng: r.c.Lng, Lat: r.c.Lat, At: r.c.CreatedAt, Group: civic.CategoryGroup(r.c.CategoryCode)})
		at = append(at, i)
	}
	cp := civic.ClusterParams{RadiusM: p.RadiusM, Window: p.Window, MinPts: p.MinCases, From: now.Add(-p.Since), To: now}
	if !p.IgnoreUsual && len(pts) > 0 {
		// About one point of the detection is a core by chance alone.
		cp.Alpha = 1 / float64(len(pts))
	}
	groups := civic.Clusters(pts, cp)
	var ids []int64
	for _, g := range groups {
		for _, k := range g {
			ids = append(ids, rows[at[k]].c.ID)
		}
	}
	co, err := s.coReporterKeys(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]civic.Hotspot, 0, len(groups))
	for _, g := range groups {
		sort.Ints(g) // rows are in time order
		h := civic.Hotspot{Kind: civic.HotspotCluster, HasCentre: true}
		h.Lng, h.Lat, h.RadiusM = civic.Centre(pts, g)
		seen := map[string]bool{}
		cats := map[string]int{}
		for _, k := range g {
			r := rows[at[k]]
			h.Cases = append(h.Cases, r.c)
			cats[r.c.CategoryCode]++
			switch {
			case r.found:
				h.Found++
			case r.reporter == "":
				seen["c"+strconv.FormatInt(r.c.ID, 10)] = true
			default:
				seen[r.reporter] = true
			}
			for _, key := range co[r.c.ID] {
				seen[key] = true
			}
			if civic.Mergeable(r.c.State) {
				h.Mergeable++
			}
		}
		h.Size, h.Reporters = len(g), len(seen)
		h.From, h.To = h.Cases[0].CreatedAt, h.Cases[len(h.Cases)-1].CreatedAt
		h.RegionCode = h.Cases[0].RegionCode
		h.CategoryCode, h.Categories = categoryMix(cats)
		if len(h.Categories) > 0 {
			h.Family = civic.CategoryGroup(h.CategoryCode)
		}
		if h.Reporters >= p.MinReporters {
			h.Kind = civic.HotspotManyReporters
		}
		h.Score = float64(h.Size + h.Reporters)
		out = append(out, h)
	}
	return out, nil
}

// maxDuplicateCluster bounds the clusters whose near-duplicate sets are
// computed: the comparison is pairwise, and a cluster of more open cases
// than this is a neighbourhood's load rather than one issue told many
// times (the duplicate finder answers per case there).
const maxDuplicateCluster = 300

// markDuplicates finds the near-duplicate sets among a listed cluster's
// open cases and numbers its cases by set.
func markDuplicates(h *civic.Hotspot) {
	open := 0
	for _, c := range h.Cases {
		if civic.DuplicateOpen(c.State) {
			open++
		}
	}
	if open > maxDuplicateCluster {
		return
	}
	h.Duplicates = hotspotDuplicates(h.Cases, civic.DuplicateParams{})
	group := map[int64]int{}
	for gi, g := range h.Duplicates {
		for _, id := range g {
			group[id] = gi + 1
		}
	}
	for k := range h.Cases {
		h.Cases[k].DuplicateGroup = group[h.Cases[k].ID]
	}
}

// categoryMix is the most common category of a warning's cases and, when
// they lie in more than one, every category with its count, most first
// (uncategorised cases are left out of both).
func categoryMix(cats map[string]int) (string, []civic.HotspotCategory) {
	delete(cats, "")
	if len(cats) < 2 {
		return mostCommon(cats), nil
	}
	mix := make([]civic.HotspotCategory, 0, len(cats))
	for code, n := range cats {
		mix = append(mix, civic.HotspotCategory{Code: code, Cases: n})
	}
	sort.Slice(mix, func(i, j int) bool {
		if mix[i].Cases != mix[j].Cases {
			return mix[i].Cases > mix[j].Cases
		}
		return mix[i].Code < mix[j].Code
	})
	return mix[0].Code, mix // the most common, as mostCommon breaks ties
}

func mostCommon(m map[string]int) string {
	best, n := "", 0
	for k, v := range m {
		if v > n || (v == n && k < best) {
			best, n = k, v
		}
	}
	return best
}

// coReporterKeys returns the identity keys of each case's co-reporters
// (附议 and merged reporters).
func (s *Store) coReporterKeys(ctx context.Context, ids []int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		chunk := ids[:n]
		ids = ids[n:]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rs, err := s.query(ctx, `SELECT id, case_id, COALESCE(user_id, 0), phone, phone_hash FROM case_reporters WHERE case_id IN (?`+strings.Repeat(", ?", n-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read co-reporters: %w", err)
		}
		for rs.Next() {
			var id, caseID, uid int64
			var phone, hash string
			if err := rs.Scan(&id, &caseID, &uid, &phone, &hash); err != nil {
				rs.Close()
				return nil, fmt.Errorf("read co-reporters: %w", err)
			}
			key := reporterKey(uid, phoneKey(phone, hash))
			if key == "" {
				key = "r" + strconv.FormatInt(id, 10)
			}
			out[caseID] = append(out[caseID], key)
		}
		err = rs.Err()
		rs.Close()
		if err != nil {
			return nil, fmt.Errorf("read co-reporters: %w", err)
		}
	}
	return out, nil
}

// oneReporter finds 一人多诉: one named reporter with MinCases cases or
// more over the period. Anonymous reports stay out: surfacing them would
// name the reporter. openPhone opens the stored phone shown (masked) with
// each.
func oneReporter(rows []hotspotRow, p civic.HotspotParams, openPhone func(string) string) []civic.Hotspot {
	by := map[string][]int{}
	for i, r := range rows {
		if r.reporter != "" && !r.anonymous {
			by[r.reporter] = append(by[r.reporter], i)
		}
	}
	var out []civic.Hotspot
	for _, idx := range by {
		if len(idx) < p.MinCases {
			continue
		}
		h := civic.Hotspot{Kind: civic.HotspotOneReporter, Size: len(idx), Reporters: 1}
		cats := map[string]int{}
		for _, i := range idx {
			h.Cases = append(h.Cases, rows[i].c)
			cats[rows[i].c.CategoryCode]++
			if civic.Mergeable(rows[i].c.State) {
				h.Mergeable++
			}
		}
		first := rows[idx[0]]
		h.Reporter = strings.TrimSpace(first.name + " " + civic.MaskPhone(openPhone(first.phone)))
		h.RegionCode = first.c.RegionCode
		h.CategoryCode, h.Categories = categoryMix(cats)
		h.From, h.To = h.Cases[0].CreatedAt, h.Cases[len(h.Cases)-1].CreatedAt
		h.Score = float64(h.Size)
		out = append(out, h)
	}
	return out
}

// risingCounts are the reports per category of the last seven China
// days (today included), of the four weeks before, and of the same seven
// days 52 weeks earlier.
type risingCounts struct {
	thisFrom         time.Time
	this, prev, last map[string]int
}

// risingCategories compares each category's reports over the last seven
// China days with the weekly average of the four weeks before and with
// the same seven days 52 weeks ago. A category rises when it has MinCases
// reports this week and RiseFactor times a baseline (a baseline under one
// report counts as one). A baseline counts only when the scope has any
// report in it at all: a deployment without last year's data, or only a
// week old, does not see every category "rise". The counts come from the
// roll-ups (reports by day of filing and current category, merged and
// rejected reports included: each was a report). Rising is a region's
// signal: a department's staff, whose scope is their own cases rather
// than a region, get none. The warning lists this week's cases that are
// not merged or rejected.
func risingCategories(a civic.Actor, k risingCounts, rows []hotspotRow, now time.Time, p civic.HotspotParams) []civic.Hotspot {
	if a.Scope.OrgID != 0 {
		return nil
	}
	listed := map[string][]civic.HotspotCase{}
	for _, r := range rows {
		if !r.c.CreatedAt.Before(k.thisFrom) && r.c.CategoryCode != "" {
			listed[r.c.CategoryCode] = append(listed[r.c.CategoryCode], r.c)
		}
	}
	total := func(m map[string]int) (n int) {
		for _, v := range m {
			n += v
		}
		return n
	}
	prevKnown, lastKnown := total(k.prev) > 0, total(k.last) > 0
	var out []civic.Hotspot
	for code, n := range k.this {
		avg := float64(k.prev[code]) / 4
		last := k.last[code]
		risesWeeks := prevKnown && float64(n) >= p.RiseFactor*max(avg, 1)
		risesYear := lastKnown && float64(n) >= p.RiseFactor*float64(max(last, 1))
		if code == "" || n < p.MinCases || (!risesWeeks && !risesYear) {
			continue
		}
		cs := listed[code]
		h := civic.Hotspot{Kind: civic.HotspotRising, CategoryCode: code, Size: n, ThisWeek: n, WeeksAvg: avg, LastYear: last, Cases: cs,
			From: k.thisFrom.UTC(), To: now}
		if len(cs) > 0 {
			h.From, h.To = cs[0].CreatedAt, cs[len(cs)-1].CreatedAt
		}
		h.Score = float64(n) / max(avg, 1)
		if !risesWeeks {
			h.Score = float64(n) / float64(max(last, 1))
		}
		for _, c := range cs {
			if civic.Mergeable(c.State) {
				h.Mergeable++
			}
		}
		out = append(out, h)
	}
	return out
}

// risingFromRollups reads the rising counts from case_flow_category, at
// the level an overview of the scope reads categories from.
func (s *Store) risingFromRollups(ctx context.Context, a civic.Actor, scope string, now time.Time) (risingCounts, error) {
	t := now.In(civic.ChinaTime)
	today := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, civic.ChinaTime)
	k := risingCounts{thisFrom: today.AddDate(0, 0, -6), this: map[string]int{}, prev: map[string]int{}, last: map[string]int{}}
	if a.Scope.OrgID != 0 {
		return k, nil
	}
	prevFrom := k.thisFrom.AddDate(0, 0, -28)
	lastFrom, lastTo := k.thisFrom.AddDate(0, 0, -364), today.AddDate(0, 0, -363)
	if scope == "" {
		scope = a.Scope.RegionCode
	}
	cond, args := "1=1", []any{}
	if scope != "" {
		lo, hi := civic.ScopePrefixRange(scope)
		cond, args = "region_code >= ? AND region_code < ?", []any{lo, hi}
	}
	level := overviewLevel(scope, "case_flow_category")
	cond, args = rollupScope(scope, level, cond, args)
	f := func(x time.Time) string { return x.Format(civic.DateLayout) }
	rs, err := s.query(ctx, `SELECT category_code, day, SUM(report) FROM case_flow_category
		WHERE level = ? AND `+cond+` AND ((day >= ? AND day < ?) OR (day >= ? AND day < ?))
		GROUP BY category_code, day`,
		append(append([]any{level}, args...), f(prevFrom), f(today.AddDate(0, 0, 1)), f(lastFrom), f(lastTo))...)
	if err != nil {
		return k, fmt.Errorf("read reports by category: %w", err)
	}
	defer rs.Close()
	from, mid := f(k.thisFrom), f(prevFrom)
	for rs.Next() {
		var code, day string
		var n int
		if err := rs.Scan(&code, &day, &n); err != nil {
			return k, fmt.Errorf("read reports by category: %w", err)
		}
		switch {
		case day >= from:
			k.this[code] += n
		case day >= mid:
			k.prev[code] += n
		default:
			k.last[code] += n
		}
	}
	return k, rs.Err()
}

// MergeHotspot turns the cases of a warning into one case with the
// existing merge action: the oldest is kept and every other case is merged
// into it, so every reporter is kept as a co-reporter. All the merges are
// one transaction: one refused merge (out of scope, already finished,
// not the actor's to dispatch) refuses them all.
func (s *Store) MergeHotspot(ctx context.Context, a civic.Actor, ids []int64) (civic.Case, error) {
	if err := a.Must(civic.PermCaseDispatch); err != nil {
		return civic.Case{}, err
	}
	list, err := hotspotCaseIDs(ids)
	if err != nil {
		return civic.Case{}, err
	}
	var primary int64
	err = s.write(ctx, func(tx *Tx) error {
		cases := make([]civic.Case, 0, len(list))
		for _, id := range list {
			c, err := scanCase(tx.queryRow(ctx, `SELECT `+caseCols+caseFrom+` WHERE c.id = ?`, id))
			if err != nil || !caseVisible(a, c) {
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("read case %d: %w", id, err)
				}
				return caseNotFound(id)
			}
			cases = append(cases, c)
		}
		sort.Slice(cases, func(i, j int) bool {
			if !cases[i].CreatedAt.Equal(cases[j].CreatedAt) {
				return cases[i].CreatedAt.Before(cases[j].CreatedAt)
			}
			return cases[i].ID < cases[j].ID
		})
		primary = cases[0].ID
		if !civic.Mergeable(cases[0].State) {
			return civic.Errorf(civic.EConflict, "最早的工单 %s 已办结或已合并，不能作为主单", "the oldest case %s is finished or merged and cannot be kept as the main case", cases[0].Number)
		}
		merged := make([]int64, 0, len(cases)-1)
		for _, c := range cases[1:] {
			if err := tx.act(ctx, a, c.ID, CaseInput{Action: civic.ActMerge, MergeInto: primary, Note: HotspotMergeNote}); err != nil {
				return fmt.Errorf("merge case %s into %s: %w", c.Number, cases[0].Number, err)
			}
			merged = append(merged, c.ID)
		}
		return tx.audit(ctx, a, "hotspot.merge", "case", primary, cases[0].RegionCode, nil, map[string]any{"kept": primary, "merged": merged})
	})
	if err != nil {
		return civic.Case{}, err
	}
	return s.GetCase(ctx, a, primary)
}

// HotspotMergeNote is the note of each merge a hotspot makes, in both
// languages; the timeline shows the reader's half.
const HotspotMergeNote = "热点合并：同一问题多人反映 / merged as one hotspot"

// HotspotTask files a proactive task (未诉先办) for a hotspot: a new case,
// reported by the dispatcher as found on patrol, at the located cases'
// centre, in their most common category, listing their numbers — so that
// someone deals with the cause rather than each report. The cases
// themselves stay as they are. Filing again for the same set returns the
// first task (its idempotency key comes from the sorted IDs).
func (s *Store) HotspotTask(ctx context.Context, a civic.Actor, loc *Locator, ids []int64) (civic.Case, error) {
	if err := a.Must(civic.PermCaseDispatch); err != nil {
		return civic.Case{}, err
	}
	list, err := hotspotCaseIDs(ids)
	if err != nil {
		return civic.Case{}, err
	}
	sort.Slice(list, func(i, j int) bool { return list[i] < list[j] })
	var numbers []string
	byCategory := map[string]int{}
	var lng, lat float64
	located := 0
	region := ""
	for _, id := range list {
		c, err := s.GetCase(ctx, a, id)
		if err != nil {
			return civic.Case{}, err
		}
		numbers = append(numbers, c.Number)
		if c.CategoryCode != "" {
			byCategory[c.CategoryCode]++
		}
		if c.HasLocation {
			lng, lat = lng+c.Lng, lat+c.Lat
			located++
		}
		if region == "" {
			region = c.RegionCode
		}
	}
	category, best := "", 0
	for code, n := range byCategory {
		if n > best || n == best && code < category {
			category, best = code, n
		}
	}
	keyParts := make([]string, len(list))
	for i, id := range list {
		keyParts[i] = fmt.Sprint(id)
	}
	sum := sha256.Sum256([]byte(strings.Join(keyParts, ",")))
	n := NewCase{
		IdempotencyKey: "hotspot-task-" + hex.EncodeToString(sum[:12]),
		Source:         civic.SourcePatrol,
		CategoryCode:   category,
		Title:          fmt.Sprintf("预警热点主动治理：%d件相关诉求", len(list)),
		Description: "由预警热点发起的主动治理任务（未诉先办），请从根源上解决。相关工单：" + strings.Join(numbers, "、") +
			"\nProactive task from a hotspot: deal with the cause. Related cases: " + strings.Join(numbers, ", "),
	}
	if located > 0 {
		n.HasLocation, n.Lng, n.Lat = true, lng/float64(located), lat/float64(located)
	} else {
		n.RegionCode = region
	}
	c, _, err := s.SubmitCase(ctx, a, loc, n)
	return c, err
}

// hotspotCaseIDs are the distinct positive IDs of a hotspot's chosen
// cases, 2 to 200 of them.
func hotspotCaseIDs(ids []int64) ([]int64, error) {
	uniq := map[int64]bool{}
	var list []int64
	for _, id := range ids {
		if id > 0 && !uniq[id] {
			uniq[id] = true
			list = append(list, id)
		}
	}
	if len(list) < 2 || len(list) > 200 {
		return nil, civic.Invalid(civic.FieldErr("case_ids", "请选择2至200件工单", "choose 2 to 200 cases"))
	}
	return list, nil
}
