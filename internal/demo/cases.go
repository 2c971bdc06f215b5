package demo

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/calendar"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
	"github.com/civicgrid/civicgrid/internal/store"
)

// DefaultCaseCount is how many cases `civicgrid demo` files: enough that
// every queue, map and chart has life (most of it in the demo street, where
// the demo accounts work), few enough to load in a few seconds. Every case
// goes through the ordinary API, one durable transaction per step: about
// six steps a case, 2,800 commits for 400 cases, which SQLite with
// synchronous=FULL takes 3–5 s to write on a small machine.
const DefaultCaseCount = 400

// CaseDays is how far before now the history reaches.
const CaseDays = 60

// alertTick is how often, in simulated time, LoadCases runs the deadline
// job (store.FireDueAlerts), as a server runs it every half minute.
const alertTick = 15 * time.Minute

const streamCases uint64 = 0x6361736573 // "cases"

// streamHotspot draws the planted hotspot, apart from the rest of the plan.
const streamHotspot uint64 = 0x686f7473706f74 // "hotspot"

// CaseReport says what LoadCases wrote.
type CaseReport struct {
	Cases    int // cases filed
	ByState  map[civic.CaseState]int
	Actions  int // steps taken through store.ActOnCase
	Alerts   int // warnings, recalls and escalations fired by store.FireDueAlerts
	Accounts int // accounts created for the people who act
	// Skipped counts steps the store refused because the case had moved
	// on meanwhile (a recall, a merge target closed); the case then took
	// another path. It is normally zero.
	Skipped  int
	From, To time.Time
}

// LoadCases files n cases (DefaultCaseCount if n ≤ 0) in the demo city and
// works each through the loop as real people would, over the CaseDays days
// before now: residents' reports, grid patrols and hotline calls, dispatch,
// claim, progress notes, report back, verification, return visits, and the
// detours — returns, transfers, rework, reopening, merges, extension and
// suspension requests, warnings, recalls and escalations. Cases reported
// shortly before now are still on their way, so every queue has work in it.
//
// Every step goes through store.SubmitCase, store.ActOnCase and
// store.FireDueAlerts as the right user: the resident who reported, the
// community or street staff who dispatch, verify and approve, the handler
// of the organisation the case was routed to, the operator who takes calls
// and visits. LoadCases creates those accounts (with the demo password) as
// it first needs them. The data is exactly what real use would leave.
//
// The store stamps every row with its own clock, so the caller must open
// s with clock as its Options.Clock (a *Clock does). LoadCases stands the
// clock at each moment of the history in turn — never backwards — and
// leaves it at now; release it afterwards. It expects a database that holds
// c (see Load) and a category catalogue (EnsureDefaultCategories), and no
// cases yet (else ErrHasCases). The same seed, city, now and n give the
// same cases, IDs, states and timelines.
func LoadCases(ctx context.Context, s *store.Store, clock ClockSetter, c City, seed uint64, now time.Time, n int) (CaseReport, error) {
	if n <= 0 {
		n = DefaultCaseCount
	}
	now = now.UTC().Truncate(time.Second)
	if _, total, err := s.ListCases(ctx, civic.System, store.CaseFilter{Page: store.Page{Limit: 1}}); err != nil {
		return CaseReport{}, fmt.Errorf("load demo cases: check for cases: %w", err)
	} else if total > 0 {
		return CaseReport{}, fmt.Errorf("load demo cases: %w", ErrHasCases)
	}
	from := now.AddDate(0, 0, -CaseDays)
	clock.Set(from)
	l, err := newLoader(ctx, s, clock, c, seed, from, now)
	if err != nil {
		return CaseReport{}, fmt.Errorf("load demo cases: %w", err)
	}
	l.plan(n)
	// Tens of thousands of steps, one after another: in shared commits
	// (see store.Bulk) they take a fraction of the time of one commit each.
	// The run allocates briskly for a few seconds; collecting garbage a
	// quarter as often saves about a tenth of its time. The setting is
	// restored when it ends.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	if err := s.Bulk(ctx, func() error { return l.run(ctx) }); err != nil {
		return l.rep, fmt.Errorf("load demo cases: %w", err)
	}
	clock.Set(now)
	l.rep.From, l.rep.To, l.rep.Alerts = from, now, l.fired
	l.rep.ByState = map[civic.CaseState]int{}
	for _, st := range civic.CaseStates {
		_, total, err := s.ListCases(ctx, civic.System, store.CaseFilter{States: []civic.CaseState{st}, Page: store.Page{Limit: 1}})
		if err != nil {
			return l.rep, fmt.Errorf("load demo cases: count %s: %w", st, err)
		}
		l.rep.ByState[st] = total
	}
	return l.rep, nil
}

// ErrHasCases is returned (wrapped) by LoadCases when the database already
// has cases: demo history is written once, into a new database.
var ErrHasCases = errors.New("database already has cases")

// Plan values for extension and suspension requests.
const (
	reqNone = iota
	reqApproved
	reqRefused
	reqPending  // asked, not yet decided at now
	reqOngoing  // suspension approved and still running at now
	reqResolved // suspension approved, later lifted
)

// casePlan is one case as decided before anything is written: who reports
// what, where and when, and which way it will go.
type casePlan struct {
	at       time.Time
	channel  int
	text     *caseText
	category string // the leaf it belongs in
	known    bool   // the reporter picked the category
	grid     string
	street   string
	pt       geo.Point
	hasLoc   bool
	address  string
	title    string
	desc     string
	// reporter: index into residents, callers or patrols by channel.
	reporter  int
	anonymous bool
	answer    string // a hotline consultation answered on the call
	// The way it goes.
	acceptFirst bool // a dispatcher accepts before dispatching
	reject      bool // a dispatcher refuses it
	neverClaim  bool // the first handler never claims: the system recalls it
	returnOnce  bool // the first handler returns it (退单)
	transfer    bool // a dispatcher transfers it (转派)
	slowClaim   bool // claimed after the yellow warning
	slowHandle  bool // reported back after the yellow warning
	late        bool // reported back after the deadline: escalated
	rework      bool // fails verification once
	extend      int  // reqNone, reqApproved, reqRefused, reqPending
	pause       int  // reqNone, reqPending, reqOngoing, reqResolved
	rating      civic.Satisfaction
	solved      bool
	reopen      bool // the dissatisfied reporter asks for it to be redone
	selfVisit   bool // the resident rates it in the app
	quick       bool // handled within hours
	// mainProperty sends a transfer to the demo handler's company.
	mainProperty bool
	mergeInto    *casePlan
	// hold is where nobody has acted yet at now: the case waits there.
	hold civic.CaseState
	sim  *simCase
	// house is the house a patrol report is filed at, when the city has
	// houses registered in the grid.
	house int64
}

// person is someone who reports: an account (residents, grid workers) or
// just a caller's name and number.
type person struct {
	username  string
	name      string
	phone     string
	community string // residents: where they live; grid workers: their grid
}

// loader is one run of LoadCases.
type loader struct {
	s     *store.Store
	clock ClockSetter
	cal   *calendar.Calendar
	loc   *store.Locator
	seed  uint64
	from  time.Time
	end   time.Time
	now   time.Time
	plans []*casePlan
	rng   *rand.Rand // drives the run; plan has its own stream
	pp    *people
	cats  map[string]civic.Category
	texts []*caseText
	rep   CaseReport
	fired int // alerts fired so far
	// moved counts the deadline job's passes; touched says on which pass
	// the job last looked at a case, so a copy read before that may be
	// stale (simCase.seen).
	moved   int
	touched map[int64]int
	next    time.Time
	queue   stepQueue
	seq     int
	accts   map[string]civic.Actor
	// The demo city.
	streets     []string
	communities map[string][]string // street → its communities
	grids       map[string][]string // community → its grids
	geom        map[string]geo.MultiPolygon
	ledger      map[string]civic.Staff // grid → its serving full-time worker
	property    map[string][]int64     // street → property companies
	// residents who report through the app: the demo's named ones first
	// (named of them), then the many others of each street, each of whom
	// reports once or twice in the two months, as most residents do.
	residents []person
	named     int
	appFrom   map[string][2]int // street → first index and number of its app residents
	arng      *rand.Rand        // picks between them, a stream of its own
	callers   []person
	patrols   []string // grids whose workers report from patrol
	// houses are the houses registered in the patrol grids, if any: some
	// patrol reports are filed at one (its own stream, so that a city
	// without houses plans exactly as before).
	houses map[string][]int64
	hrng   *rand.Rand
}

func newLoader(ctx context.Context, s *store.Store, clock ClockSetter, c City, seed uint64, from, end time.Time) (*loader, error) {
	l := &loader{
		s: s, clock: clock, seed: seed, from: from, end: end, now: from, next: from,
		rng:         rand.New(rand.NewPCG(seed, streamCases+1)),
		pp:          newPeople(rand.New(rand.NewPCG(seed, streamCases+2))),
		cats:        map[string]civic.Category{},
		accts:       map[string]civic.Actor{},
		touched:     map[int64]int{},
		communities: map[string][]string{},
		grids:       map[string][]string{},
		geom:        map[string]geo.MultiPolygon{},
		ledger:      map[string]civic.Staff{},
		property:    map[string][]int64{},
	}
	var err error
	if l.cal, err = s.Calendar(ctx); err != nil {
		return nil, err
	}
	l.loc = s.NewLocator(time.Hour)
	cats, err := s.ListCategories(ctx, civic.System, store.CategoryFilter{OnlyLeaves: true})
	if err != nil {
		return nil, err
	}
	for _, ct := range cats {
		l.cats[ct.Code] = ct
	}
	for _, t := range caseTexts {
		if _, ok := l.cats[t.code]; ok {
			t.letters = caseLetters[t.code]
			l.texts = append(l.texts, &t)
		}
	}
	if len(l.texts) == 0 {
		return nil, fmt.Errorf("the category catalogue has none of the demo's categories; load the default catalogue first")
	}
	for _, f := range c.Regions {
		switch f.Level {
		case civic.LevelStreet:
			l.streets = append(l.streets, f.Code)
		case civic.LevelCommunity:
			l.communities[f.ParentCode] = append(l.communities[f.ParentCode], f.Code)
		case civic.LevelGrid:
			l.grids[f.ParentCode] = append(l.grids[f.ParentCode], f.Code)
			l.geom[f.Code] = f.Geom
		}
	}
	if len(l.streets) == 0 {
		return nil, fmt.Errorf("the city has no streets")
	}
	for _, m := range c.Staff {
		if m.Position == civic.PositionFullTime && m.EndDate == "" {
			l.ledger[m.GridCode] = m
		}
	}
	orgs, _, err := s.ListOrganisations(ctx, civic.System, store.OrgFilter{Kind: civic.OrgPropertyCompany, Page: store.Page{Limit: 1000}})
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		l.property[o.RegionCode] = append(l.property[o.RegionCode], o.ID)
	}
	for _, ids := range l.property {
		slices.Sort(ids)
	}
	// The demo's own accounts act where they work.
	for _, u := range c.Users {
		got, err := s.GetUserByName(ctx, civic.System, u.Username)
		if err != nil {
			return nil, fmt.Errorf("demo account %s: %w (load the city first)", u.Username, err)
		}
		l.accts[u.Username] = store.ActorOf(got, "")
		switch u.Role {
		case civic.RoleResident:
			l.residents = append(l.residents, person{username: u.Username, name: got.DisplayName, phone: got.Phone, community: u.Scope.RegionCode})
		case civic.RoleHandler:
			l.accts[orgHandlerName(got.Scope.OrgID)] = l.accts[u.Username]
		}
	}
	l.alias(demoCommunity, "community", communityStaffName)
	l.alias(demoStreet, "street", streetStaffName)
	l.alias(demoGrid, "grid", gridWorkerName)
	// Residents who report through the app: one in each community of the
	// demo street, one in the first community of each other street.
	for _, st := range l.streets {
		for i, cc := range l.communities[st] {
			if (st != demoStreet && i > 0) || cc == demoCommunity {
				continue
			}
			l.residents = append(l.residents, person{username: "resident." + cc[4:], name: l.pp.name(), phone: l.pp.mobile(), community: cc})
		}
	}
	// Everyone else who uses the app: appResidents a street, drawn from a
	// stream of their own so that the rest of the plan is as it was.
	l.named = len(l.residents)
	l.arng = rand.New(rand.NewPCG(seed, streamCases+4))
	ap := &people{rng: rand.New(rand.NewPCG(seed, streamCases+5)), phones: l.pp.phones}
	l.appFrom = map[string][2]int{}
	for _, st := range l.streets {
		n := appResidents
		if st == demoStreet {
			n = demoAppResidents // the busy street people look at
		}
		l.appFrom[st] = [2]int{len(l.residents), n}
		for i := range n {
			cc := pick(ap.rng, l.communities[st])
			l.residents = append(l.residents, person{username: fmt.Sprintf("app.%s.%03d", st[4:], i+1), name: ap.name(), phone: ap.mobile(), community: cc})
		}
	}
	for range 300 {
		l.callers = append(l.callers, person{name: l.pp.name(), phone: l.pp.mobile()})
	}
	// Callers who ring once or twice: many more people than the 300
	// above, of whom the first 30 call often (planOne).
	for range otherCallers {
		l.callers = append(l.callers, person{name: ap.name(), phone: ap.mobile()})
	}
	// Grid workers who report from patrol: the demo grid, the first grid of
	// the demo street's other communities and of each other street.
	l.patrols = []string{demoGrid}
	for _, st := range l.streets {
		for i, cc := range l.communities[st] {
			if (st != demoStreet && i > 0) || cc == demoCommunity || len(l.grids[cc]) == 0 {
				continue
			}
			if _, ok := l.ledger[l.grids[cc][0]]; ok {
				l.patrols = append(l.patrols, l.grids[cc][0])
			}
		}
	}
	l.houses, l.hrng = map[string][]int64{}, rand.New(rand.NewPCG(seed, streamCases+3))
	for _, g := range l.patrols {
		hs, _, err := s.ListHouses(ctx, civic.System, store.PlaceFilter{Under: g, Page: store.Page{Limit: 500}})
		if err != nil {
			return nil, err
		}
		for _, h := range hs {
			l.houses[g] = append(l.houses[g], h.ID)
		}
	}
	return l, nil
}

// alias makes a demo account the one that acts for its region.
func (l *loader) alias(code, username string, name func(string) string) {
	if a, ok := l.accts[username]; ok && a.Scope.RegionCode == code {
		l.accts[name(code)] = a
	}
}

// Usernames of the accounts LoadCases creates name the region they work
// in, without the city's prefix: community.01001002 works in 110101001002.
func communityStaffName(code string) string { return "community." + code[4:] }
func streetStaffName(code string) string    { return "street." + code[4:] }
func gridWorkerName(code string) string     { return "grid." + code[4:] }
func orgHandlerName(id int64) string        { return "handler." + strconv.FormatInt(id, 10) }

// ---- Planning: pure, from the seed ----

// Weights of the hour of day (China time) at which each channel files.
var hourWeights = [3][24]int{
	chResident: {1, 0, 0, 0, 0, 1, 2, 5, 8, 10, 10, 9, 7, 7, 8, 8, 8, 8, 8, 9, 9, 7, 4, 2},
	chHotline:  {2, 1, 1, 1, 1, 1, 2, 4, 8, 11, 11, 10, 8, 8, 10, 10, 9, 8, 7, 7, 6, 5, 4, 3},
	chPatrol:   {0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 10, 8, 0, 0, 8, 10, 10, 8, 0, 0, 0, 0, 0, 0},
}

func (l *loader) plan(n int) {
	rng := rand.New(rand.NewPCG(l.seed, streamCases))
	dups := n * 3 / 100
	for len(l.plans) < n-dups {
		l.plans = append(l.plans, l.planOne(rng))
	}
	base := slices.Clone(l.plans)
	for range dups {
		if d := l.planDuplicate(rng, base); d != nil {
			l.plans = append(l.plans, d)
		}
	}
	l.plantHotspot()
	slices.SortStableFunc(l.plans, func(a, b *casePlan) int { return a.at.Compare(b.at) })
	l.planHolds(rng)
}

// PlantedHotspotSize is how many reports make the planted hotspot: enough
// to stand out, with the default parameters, from the demo street's usual
// load of such reports.
const PlantedHotspotSize = 8

// plantHotspot plants the early warning the insight page shows
// (多人同诉): PlantedHotspotSize people — residents of the demo street,
// then hotline callers who give the place — report the same community
// problem within about 40 m of each other in the demo grid over the four
// days before now. Each case waits in progress, unmerged, so that a
// dispatcher can turn them into one. Its own random stream keeps the rest
// of the plan as it was.
func (l *loader) plantHotspot() {
	rng := rand.New(rand.NewPCG(l.seed, streamHotspot))
	var text *caseText
	for _, t := range l.texts {
		if c := l.cats[t.code]; c.Accepted && c.Handler.Target == civic.HandlerCommunity && t.weight[chResident] > 0 && len(t.answers) == 0 {
			text = t
			break
		}
	}
	// The street's residents with an account first, then callers on the
	// hotline who give the place: different people either way.
	var mine []int
	for i, r := range l.residents[:l.named] {
		if i != 0 && r.community[:9] == demoStreet {
			mine = append(mine, i)
		}
	}
	if text == nil || len(l.callers) < PlantedHotspotSize+30 {
		return
	}
	rng.Shuffle(len(mine), func(i, j int) { mine[i], mine[j] = mine[j], mine[i] })
	mine = mine[:min(len(mine), PlantedHotspotSize/2)]
	centre := l.pointIn(rng, demoGrid)
	for i := range PlantedHotspotSize {
		p := &casePlan{channel: chResident, text: text, category: text.code, grid: demoGrid, street: demoStreet,
			known: true, hasLoc: true, hold: civic.StateInProgress, rating: civic.Satisfied, solved: true}
		if i < len(mine) {
			p.reporter = mine[i]
		} else {
			// Past the callers who call often (see planOne).
			p.channel, p.reporter = chHotline, 30+i
		}
		p.at = l.end.Add(-time.Duration(96-i*96/PlantedHotspotSize)*time.Hour - time.Duration(rng.IntN(60))*time.Minute)
		p.pt = geo.Point{
			Lng: math.Round((centre.Lng+(rng.Float64()*2-1)*0.0003)*1e6) / 1e6,
			Lat: math.Round((centre.Lat+(rng.Float64()*2-1)*0.0002)*1e6) / 1e6,
		}
		p.address = l.address(rng, demoStreet)
		p.title, p.desc = l.words(rng, text, p, demoCommunity)
		l.plans = append(l.plans, p)
	}
}

// appResidents is how many residents of each street, besides the demo's
// named accounts, report through the app (demoAppResidents in the demo
// street, which files about half the cases); appOthersPct is the share of
// app reports they file; otherCallers is how many people, besides the 300
// regular ones, call the hotline. With them a resident or caller files a
// case or two in the demo's two months, and 一人多诉 warnings are the few
// who really report often, not everyone.
const (
	appResidents     = 150
	demoAppResidents = 600
	appOthersPct     = 92
	otherCallers     = 2000
)

// appResident is a random one of street's many app residents (an index in
// l.residents).
func (l *loader) appResident(street string) int {
	r := l.appFrom[street]
	return r[0] + l.arng.IntN(r[1])
}

func (l *loader) planOne(rng *rand.Rand) *casePlan {
	p := &casePlan{}
	switch r := rng.IntN(100); {
	case r < 40:
		p.channel = chResident
	case r < 80:
		p.channel = chHotline
	default:
		p.channel = chPatrol
	}
	p.at = l.reportTime(rng, &p.channel)
	p.text = l.pickText(rng, p.channel)
	p.category = p.text.code
	cat := l.cats[p.category]
	var community string
	switch p.channel {
	case chPatrol:
		// The demo grid's worker patrols most: that is the screen people see.
		i := rng.IntN(len(l.patrols) + 2)
		if i >= len(l.patrols) {
			i = 0
		}
		p.reporter = i
		p.grid = l.patrols[i]
		community = p.grid[:12]
		p.known = true
	case chResident:
		p.street = l.pickStreet(rng)
		var mine []int
		for i, r := range l.residents[:l.named] {
			if r.community[:9] == p.street {
				mine = append(mine, i)
			}
		}
		p.reporter = mine[rng.IntN(len(mine))]
		// Most app reports come from the street's many residents, each
		// of whom reports now and then; the named accounts (whose "my
		// cases" the demo shows) file the rest.
		if l.arng.IntN(100) < appOthersPct {
			p.reporter = l.appResident(p.street)
		}
		community = l.residents[p.reporter].community
		if rng.IntN(100) < 30 {
			community = l.pickCommunity(rng, p.street)
		}
		p.grid = pick(rng, l.grids[community])
		p.known = rng.IntN(100) < 80
		p.anonymous = rng.IntN(100) < 5
	default:
		p.street = l.pickStreet(rng)
		community = l.pickCommunity(rng, p.street)
		p.grid = pick(rng, l.grids[community])
		p.reporter = rng.IntN(len(l.callers))
		if rng.IntN(100) < 25 {
			p.reporter = rng.IntN(30) // people who call often
		}
		p.known = true
		p.anonymous = rng.IntN(100) < 3
	}
	p.street = p.grid[:9]
	p.pt = l.pointIn(rng, p.grid)
	p.hasLoc = p.channel != chHotline || rng.IntN(100) < 50
	p.address = l.address(rng, p.street)
	p.title, p.desc = l.words(rng, p.text, p, community)
	if hs := l.houses[p.grid]; p.channel == chPatrol && len(hs) > 0 && l.hrng.IntN(100) < 30 {
		// Found in someone's home on a household visit: a property
		// problem, placed by the house and sent to its compound's company.
		// Drawn from its own stream, so the rest of the plan is as it
		// would be without houses.
		p.house, p.hasLoc = hs[l.hrng.IntN(len(hs))], false
		if homes := l.homeTexts(); len(homes) > 0 {
			p.text = homes[l.hrng.IntN(len(homes))]
			p.category = p.text.code
			p.title, p.desc = l.words(l.hrng, p.text, p, community)
		}
	}
	if len(p.text.answers) > 0 && p.channel == chHotline && rng.IntN(100) < 80 {
		p.answer = pick(rng, p.text.answers)
		return p
	}
	if !cat.Accepted {
		return p
	}
	if !p.known {
		p.acceptFirst = rng.IntN(100) < 30
		p.reject = rng.IntN(100) < 3
	}
	pct := func(n int) bool { return rng.IntN(1000) < n }
	p.neverClaim = pct(20)
	p.returnOnce = !p.neverClaim && pct(40)
	p.transfer = (cat.Handler.Target == civic.HandlerProperty && p.street == demoStreet && pct(750)) || pct(20)
	p.slowClaim = pct(120)
	p.late = pct(40)
	p.slowHandle = !p.late && pct(200)
	p.rework = pct(60)
	switch {
	case pct(30):
		p.extend = reqApproved
	case pct(15):
		p.extend = reqRefused
	case pct(15):
		p.pause = reqResolved
	}
	switch r := rng.IntN(100); {
	case r < 72:
		p.rating, p.solved = civic.Satisfied, true
	case r < 90:
		p.rating, p.solved = civic.BasicSatisfied, rng.IntN(100) < 85
	default:
		p.rating, p.solved = civic.Dissatisfied, rng.IntN(100) < 30
		p.reopen = p.channel != chPatrol && rng.IntN(100) < 50
	}
	p.selfVisit = p.channel == chResident && rng.IntN(100) < 40
	return p
}

// planDuplicate is a second report of a problem someone already reported
// (多人同诉): same place and category a few hours later, merged into the
// first by a dispatcher if that one is still open.
func (l *loader) planDuplicate(rng *rand.Rand, base []*casePlan) *casePlan {
	for range 20 {
		o := base[rng.IntN(len(base))]
		if o.channel == chPatrol || o.answer != "" || !l.cats[o.category].Accepted || !o.known {
			continue
		}
		at := o.at.Add(time.Hour + time.Duration(rng.Int64N(int64(30*time.Hour))))
		if !at.Before(l.end.Add(-time.Minute)) {
			continue
		}
		d := *o
		d.at, d.mergeInto, d.sim = at, o, nil
		d.returnOnce, d.neverClaim, d.transfer, d.rework, d.late, d.extend, d.pause, d.reopen = false, false, false, false, false, reqNone, reqNone, false
		d.channel = chHotline
		d.house = 0
		d.reporter = rng.IntN(len(l.callers))
		d.hasLoc = false
		d.pt = l.pointIn(rng, o.grid)
		d.title, d.desc = l.words(rng, o.text, &d, o.grid[:12])
		return &d
	}
	return nil
}

// planHolds picks a few cases reported one to five days before now and
// leaves them where a real queue would have them: waiting for someone.
// This makes sure every state and request shows on some screen, whatever
// the hour of now.
func (l *loader) planHolds(rng *rand.Rand) {
	var cands []*casePlan
	for _, p := range l.plans {
		if p.at.After(l.end.Add(-8*24*time.Hour)) && p.at.Before(l.end.Add(-50*time.Hour)) &&
			p.mergeInto == nil && p.answer == "" && l.cats[p.category].Accepted {
			cands = append(cands, p)
		}
	}
	rng.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	holds := []struct {
		state        civic.CaseState
		extend, stop int
		late         bool
	}{
		// One of each first, in case there are few candidates.
		{state: civic.StateReported}, {state: civic.StateAccepted}, {state: civic.StateHandled}, {state: civic.StateClosed},
		{state: civic.StateInProgress, late: true},
		{state: civic.StateInProgress, extend: reqPending},
		{state: civic.StateInProgress, stop: reqOngoing},
		{state: civic.StateInProgress, stop: reqPending},
		{state: civic.StateReported}, {state: civic.StateAccepted}, {state: civic.StateHandled}, {state: civic.StateClosed},
		{state: civic.StateInProgress, late: true},
	}
	targets := map[*casePlan]bool{}
	for _, p := range l.plans {
		if p.mergeInto != nil {
			targets[p.mergeInto] = true
		}
	}
	// The last two reports came in minutes ago: not yet claimed.
	fresh := 0
	for i := len(l.plans) - 1; i >= 0 && fresh < 2; i-- {
		p := l.plans[i]
		if p.mergeInto != nil || targets[p] || p.answer != "" || !p.known || !l.cats[p.category].Accepted || p.channel == chPatrol {
			continue
		}
		p.at = l.end.Add(-time.Duration(3+rng.IntN(17)) * time.Minute)
		p.hold = civic.StateDispatched
		p.neverClaim, p.returnOnce, p.transfer = false, false, false
		fresh++
	}
	slices.SortStableFunc(l.plans, func(a, b *casePlan) int { return a.at.Compare(b.at) })
	// The demo handler's property company has work in hand.
	owned := 0
	for _, p := range cands {
		if owned == 2 {
			break
		}
		if p.street != demoStreet || l.cats[p.category].Handler.Target != civic.HandlerProperty || p.hold != "" || targets[p] {
			continue
		}
		p.hold, p.transfer, p.mainProperty = civic.StateInProgress, true, true
		p.neverClaim, p.returnOnce, p.rework, p.reject, p.reopen, p.late = false, false, false, false, false, false
		p.extend, p.pause = reqNone, reqNone
		p.known = true
		owned++
	}
	relocated := map[civic.CaseState]bool{}
	for _, h := range holds {
		// A request for more time or a pause comes days into the work: a
		// case reported just before a weekend may not be claimed by now.
		latest := l.end
		if h.extend != reqNone || h.stop != reqNone {
			latest = l.end.Add(-96 * time.Hour)
		}
		i := slices.IndexFunc(cands, func(p *casePlan) bool { return !targets[p] && p.hold == "" && p.at.Before(latest) })
		if i < 0 {
			continue
		}
		p := cands[i]
		p.hold = h.state
		p.neverClaim, p.returnOnce, p.transfer, p.rework, p.reject, p.reopen = false, false, false, false, false, false
		p.extend, p.pause, p.late = h.extend, h.stop, h.late
		p.acceptFirst = h.state == civic.StateAccepted
		p.quick = h.state == civic.StateHandled || h.state == civic.StateClosed
		if p.quick && !relocated[h.state] {
			// One of each waits in the demo grid, on the demo grid
			// worker's and community's desks.
			relocated[h.state] = true
			l.relocate(rng, p, demoGrid)
		}
		if h.state == civic.StateReported || h.state == civic.StateAccepted {
			p.known = false
		}
	}
}

// relocate moves a planned case to a grid, with an address and words to
// match.
func (l *loader) relocate(rng *rand.Rand, p *casePlan, grid string) {
	p.grid, p.street, p.house = grid, grid[:9], 0
	p.pt, p.hasLoc = l.pointIn(rng, grid), true
	p.address = l.address(rng, p.street)
	p.title, p.desc = l.words(rng, p.text, p, grid[:12])
	if p.channel == chPatrol || p.channel == chResident && l.residents[p.reporter].community[:9] != p.street {
		p.channel, p.reporter = chResident, 0 // the demo's own resident
	}
}

// reportTime draws when a case comes in: fewer on days off, none at night
// from patrols (a patrol on a day off becomes a resident's report).
func (l *loader) reportTime(rng *rand.Rand, ch *int) time.Time {
	endDay := calendar.DayOf(l.end, civic.ChinaTime)
	for {
		d := endDay.AddDays(-rng.IntN(CaseDays + 1))
		if work, _ := l.cal.IsWorkday(d); !work {
			if rng.IntN(100) < 40 {
				continue
			}
			if *ch == chPatrol {
				*ch = chResident
			}
		}
		h := weighted(rng, hourWeights[*ch][:])
		t := time.Date(d.Y, d.M, d.D, h, rng.IntN(60), rng.IntN(60), 0, civic.ChinaTime).UTC()
		if t.After(l.from) && t.Before(l.end.Add(-time.Minute)) {
			return t
		}
	}
}

func weighted(rng *rand.Rand, ws []int) int {
	total := 0
	for _, w := range ws {
		total += w
	}
	n := rng.IntN(total)
	for i, w := range ws {
		if n < w {
			return i
		}
		n -= w
	}
	return len(ws) - 1
}

// homeTexts are the texts of accepted property categories: what a grid
// worker finds wrong in a home.
func (l *loader) homeTexts() []*caseText {
	var out []*caseText
	for _, t := range l.texts {
		if c := l.cats[t.code]; c.Accepted && c.Handler.Target == civic.HandlerProperty {
			out = append(out, t)
		}
	}
	return out
}

func (l *loader) pickText(rng *rand.Rand, ch int) *caseText {
	ws := make([]int, len(l.texts))
	for i, t := range l.texts {
		ws[i] = t.weight[ch]
	}
	return l.texts[weighted(rng, ws)]
}

// pickStreet favours the demo street, where the demo accounts work, four
// to one.
func (l *loader) pickStreet(rng *rand.Rand) string {
	ws := make([]int, len(l.streets))
	for i, s := range l.streets {
		ws[i] = 1
		if s == demoStreet {
			ws[i] = 4
		}
	}
	return l.streets[weighted(rng, ws)]
}

// pickCommunity favours the demo community two to one within its street.
func (l *loader) pickCommunity(rng *rand.Rand, street string) string {
	cs := l.communities[street]
	ws := make([]int, len(cs))
	for i, c := range cs {
		ws[i] = 1
		if c == demoCommunity {
			ws[i] = 2
		}
	}
	return cs[weighted(rng, ws)]
}

// pointIn draws a point near the middle of a grid that lies inside it,
// rounded to about ten centimetres.
func (l *loader) pointIn(rng *rand.Rand, grid string) geo.Point {
	g := l.geom[grid]
	b, c := g.Bounds(), g.Centroid()
	round := func(v float64) float64 { return math.Round(v*1e6) / 1e6 }
	for range 50 {
		p := geo.Point{
			Lng: round(c.Lng + (rng.Float64()*2-1)*0.35*(b.MaxLng-b.MinLng)),
			Lat: round(c.Lat + (rng.Float64()*2-1)*0.35*(b.MaxLat-b.MinLat)),
		}
		if g.Contains(p) {
			return p
		}
	}
	return c
}

func (l *loader) address(rng *rand.Rand, street string) string {
	lane := pick(rng, lanes[street])
	if lane == "" {
		lane = "社区"
	}
	if rng.IntN(2) == 0 {
		return fmt.Sprintf("%s%d号院", lane, 1+rng.IntN(80))
	}
	return fmt.Sprintf("%s%d号", lane, 1+rng.IntN(120))
}

// words fills a title and a description for the case.
func (l *loader) words(rng *rand.Rand, t *caseText, p *casePlan, community string) (title, desc string) {
	road := pick(rng, lanes[p.street])
	r := strings.NewReplacer(
		"{址}", p.address, "{路}", road, "{社区}", communityNames[community],
		"{楼}", fmt.Sprintf("%d号楼", 1+rng.IntN(16)), "{单元}", fmt.Sprintf("%d单元", 1+rng.IntN(4)),
		"{层}", fmt.Sprintf("%d层", 2+rng.IntN(5)), "{时}", pick(rng, timePhrases), "{店}", pick(rng, shops),
		"{号}", strconv.Itoa(2+rng.IntN(5)))
	// Residents writing in the app may send a letter, as often as each
	// one-liner; an operator notes a call, and a grid worker on patrol
	// what he saw, in a line or two.
	if p.channel != chResident {
		desc = pick(rng, t.descs)
	} else if d := rng.IntN(len(t.descs) + len(t.letters)); d < len(t.descs) {
		desc = t.descs[d]
	} else {
		desc = t.letters[d-len(t.descs)]
	}
	return r.Replace(pick(rng, t.titles)), r.Replace(desc)
}

// communityNames maps the demo's community codes to their names.
var communityNames = func() map[string]string {
	m := map[string]string{}
	for _, d := range districts {
		for _, s := range d.streets {
			for i, c := range s.communities {
				m[fmt.Sprintf("%s%03d", s.code, i+1)] = c
			}
		}
	}
	return m
}()

// ---- The run: every step in time order ----

// simCase is a case on its way through the loop.
type simCase struct {
	p       *casePlan
	id      int64
	c       civic.Case // as of the last step
	seen    int        // loader.moved when c was read
	last    time.Time  // when someone last acted on it
	lastAct civic.CaseAction
	// This round of handling, planned at the claim.
	handleAt   time.Time
	feedbackAt time.Time
	askAt      time.Time
	// What has happened.
	merged, transferred, waited bool
	extAsked, extDecided        bool
	pauseAsked, pauseDecided    bool
	pausedAt                    time.Time
	reqID                       int64
	conflicts                   int
	recalled                    bool // by the deadline job, since it was last dispatched
}

// step is one thing someone will do to a case at a moment.
type step struct {
	at    time.Time
	seq   int
	sc    *simCase
	file  bool // file the case (the first step)
	wake  bool // only look again
	from  civic.CaseState
	actor civic.Actor
	in    store.CaseInput
}

type stepQueue []*step

func (q stepQueue) Len() int { return len(q) }
func (q stepQueue) Less(i, j int) bool {
	if c := q[i].at.Compare(q[j].at); c != 0 {
		return c < 0
	}
	return q[i].seq < q[j].seq
}
func (q stepQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *stepQueue) Push(x any)   { *q = append(*q, x.(*step)) }
func (q *stepQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

func (l *loader) push(st *step) {
	// Whole seconds, so that every time the store keeps is exactly the
	// step's time.
	if st == nil {
		return
	}
	st.at = st.at.Truncate(time.Second)
	if !st.at.Before(l.end) {
		return
	}
	l.seq++
	st.seq = l.seq
	heap.Push(&l.queue, st)
}

func (l *loader) run(ctx context.Context) error {
	for _, p := range l.plans {
		p.sim = &simCase{p: p}
		l.push(&step{at: p.at, sc: p.sim, file: true})
	}
	for l.queue.Len() > 0 {
		st := heap.Pop(&l.queue).(*step)
		if err := l.advance(ctx, st.at); err != nil {
			return err
		}
		if err := l.take(ctx, st); err != nil {
			return err
		}
	}
	return l.advance(ctx, l.end)
}

// advance moves the clock to t, running the deadline job on the way.
func (l *loader) advance(ctx context.Context, t time.Time) error {
	for !l.next.After(t) {
		l.clock.Set(l.next)
		for {
			n, on, err := l.s.FireDueAlertsOn(ctx, 500)
			if err != nil {
				return fmt.Errorf("fire alerts at %s: %w", l.next.Format(time.RFC3339), err)
			}
			l.fired += n
			if len(on) > 0 {
				l.moved++
				for _, id := range on {
					l.touched[id] = l.moved
				}
			}
			if len(on) < 500 {
				break
			}
		}
		l.next = l.next.Add(alertTick)
	}
	l.now = t
	l.clock.Set(t)
	return nil
}

// take carries out a step, or thinks again if the case has moved since the
// step was planned.
func (l *loader) take(ctx context.Context, st *step) error {
	sc := st.sc
	if st.file {
		if err := l.file(ctx, sc); err != nil {
			return err
		}
		return l.schedule(ctx, sc)
	}
	if err := l.refresh(ctx, sc); err != nil {
		return err
	}
	if st.wake || sc.c.State != st.from {
		return l.schedule(ctx, sc)
	}
	c, err := l.s.ActOnCaseKept(ctx, st.actor, sc.id, st.in)
	switch code := civic.ErrorCodeOf(err); {
	case err == nil:
	case code == civic.EConflict && sc.conflicts < 3:
		sc.conflicts++
		l.rep.Skipped++
		sc.seen = -1
		if err := l.refresh(ctx, sc); err != nil {
			return err
		}
		l.skip(sc, st)
		return l.schedule(ctx, sc)
	default:
		return fmt.Errorf("case %d (%s): %s by %s: %w", sc.id, sc.c.State, st.in.Action, st.actor.Username, err)
	}
	l.rep.Actions++
	sc.c, sc.seen, sc.last, sc.lastAct = c, l.moved, l.now, st.in.Action
	if err := l.taken(ctx, sc, st); err != nil {
		return err
	}
	return l.schedule(ctx, sc)
}

// refresh rereads a case if the deadline job may have acted on it.
func (l *loader) refresh(ctx context.Context, sc *simCase) error {
	if sc.seen >= l.touched[sc.id] {
		return nil
	}
	c, err := l.s.GetCase(ctx, civic.System, sc.id)
	if err != nil {
		return fmt.Errorf("reread case %d: %w", sc.id, err)
	}
	if c.State == civic.StateAccepted && sc.c.State == civic.StateDispatched {
		sc.recalled = true
	}
	sc.c, sc.seen = c, l.moved
	return nil
}

// skip gives up on a step the store refused.
func (l *loader) skip(sc *simCase, st *step) {
	switch st.in.Action {
	case civic.ActMerge:
		sc.merged = true
	case civic.ActTransfer:
		sc.transferred = true
	case civic.ActRequestExtend, civic.ActDecide:
		sc.extAsked, sc.extDecided = true, true
		sc.pauseAsked, sc.pauseDecided = true, true
	}
}

func (l *loader) schedule(ctx context.Context, sc *simCase) error {
	st, err := l.decide(ctx, sc)
	if err != nil {
		return err
	}
	if st != nil {
		st.sc = sc
		st.from = sc.c.State
		if soonest := l.now.Add(time.Minute + time.Duration(l.rng.IntN(240))*time.Second); st.at.Before(soonest) {
			st.at = soonest
		}
		l.push(st)
	}
	return nil
}

// file submits the case through the channel it came in by.
func (l *loader) file(ctx context.Context, sc *simCase) error {
	p := sc.p
	n := store.NewCase{
		Title: p.title, Description: p.desc, Address: p.address,
		HasLocation: p.hasLoc, Lng: p.pt.Lng, Lat: p.pt.Lat, CRS: store.WGS84,
		Anonymous: p.anonymous,
	}
	switch {
	case p.house != 0:
		// The house's address, point and grid.
		n.HouseID, n.Address = p.house, ""
	case !p.hasLoc:
		n.RegionCode = p.grid[:12]
		n.Address = communityNames[p.grid[:12]] + " " + p.address
	}
	if p.known {
		n.CategoryCode = p.category
	}
	var a civic.Actor
	var err error
	switch p.channel {
	case chResident:
		n.Source = civic.SourceResident
		r := l.residents[p.reporter]
		if a, err = l.resident(ctx, r); err != nil {
			return err
		}
		n.ReporterName, n.ReporterPhone = r.name, r.phone
	case chPatrol:
		n.Source = civic.SourcePatrol
		if a, err = l.gridWorker(ctx, p.grid); err != nil {
			return err
		}
		m := l.ledger[p.grid]
		n.ReporterName, n.ReporterPhone = m.Name, m.Phone
	default:
		n.Source = civic.SourceHotline
		a = l.accts["operator"]
		r := l.callers[p.reporter]
		n.ReporterName, n.ReporterPhone = r.name, r.phone
		if p.answer != "" {
			n.AnsweredDirectly, n.Answer = true, p.answer
		}
	}
	c, _, err := l.s.SubmitCase(ctx, a, l.loc, n)
	if err != nil {
		return fmt.Errorf("file %q at %s: %w", p.title, p.at.Format(time.RFC3339), err)
	}
	l.rep.Cases++
	sc.id, sc.c, sc.seen, sc.last = c.ID, c, l.moved, l.now
	return nil
}

// ---- Who acts ----

func (l *loader) account(ctx context.Context, username, display string, role civic.Role, sc civic.Scope, phone string) (civic.Actor, error) {
	if a, ok := l.accts[username]; ok {
		return a, nil
	}
	u, err := l.s.CreateUser(ctx, civic.System, store.NewUser{
		Username: username, DisplayName: display, Password: Password, Role: role, Scope: sc, Phone: phone, Lang: "zh",
	})
	if err != nil {
		return civic.Actor{}, fmt.Errorf("create account %s: %w", username, err)
	}
	a := store.ActorOf(u, "")
	l.accts[username] = a
	l.rep.Accounts++
	return a, nil
}

func (l *loader) resident(ctx context.Context, r person) (civic.Actor, error) {
	return l.account(ctx, r.username, r.name, civic.RoleResident, civic.Scope{RegionCode: r.community}, r.phone)
}

func (l *loader) gridWorker(ctx context.Context, grid string) (civic.Actor, error) {
	m := l.ledger[grid]
	return l.account(ctx, gridWorkerName(grid), m.Name, civic.RoleGridWorker, civic.Scope{RegionCode: grid}, m.Phone)
}

func (l *loader) communityStaff(ctx context.Context, code string) (civic.Actor, error) {
	return l.account(ctx, communityStaffName(code), l.pp.name(), civic.RoleCommunityStaff, civic.Scope{RegionCode: code}, l.pp.mobile())
}

func (l *loader) streetStaff(ctx context.Context, code string) (civic.Actor, error) {
	return l.account(ctx, streetStaffName(code), l.pp.name(), civic.RoleStreetStaff, civic.Scope{RegionCode: code}, l.pp.mobile())
}

// handler is who works the case for the organisation or region it was
// dispatched to.
func (l *loader) handler(ctx context.Context, c civic.Case) (civic.Actor, error) {
	if c.HandlerOrgID != 0 {
		name := orgHandlerName(c.HandlerOrgID)
		if a, ok := l.accts[name]; ok {
			return a, nil
		}
		o, err := l.s.GetOrganisation(ctx, civic.System, c.HandlerOrgID)
		if err != nil {
			return civic.Actor{}, fmt.Errorf("handler organisation of case %d: %w", c.ID, err)
		}
		return l.account(ctx, name, l.pp.name(), civic.RoleHandler, civic.Scope{RegionCode: o.RegionCode, OrgID: o.ID}, l.pp.mobile())
	}
	switch code := c.HandlerRegionCode; len(code) {
	case 9:
		return l.streetStaff(ctx, code)
	case 12:
		return l.communityStaff(ctx, code)
	default:
		if _, ok := l.ledger[code]; ok && slices.Contains(l.patrols, code) {
			return l.gridWorker(ctx, code)
		}
		return l.communityStaff(ctx, code[:12])
	}
}

// dispatcher: the hotline dispatches its calls, the community what its
// residents and grid workers report.
func (l *loader) dispatcher(ctx context.Context, sc *simCase) (civic.Actor, error) {
	if sc.p.channel == chHotline {
		return l.accts["operator"], nil
	}
	return l.communityStaff(ctx, sc.c.RegionCode[:12])
}

// verifier: the grid worker checks on the spot where the demo has one, the
// community otherwise.
func (l *loader) verifier(ctx context.Context, c civic.Case) (civic.Actor, error) {
	if len(c.RegionCode) >= 15 && slices.Contains(l.patrols, c.RegionCode[:15]) {
		return l.gridWorker(ctx, c.RegionCode[:15])
	}
	return l.communityStaff(ctx, c.RegionCode[:12])
}

func (l *loader) visitor(ctx context.Context, sc *simCase) (civic.Actor, error) {
	switch {
	case sc.p.selfVisit && sc.p.channel == chResident:
		return l.resident(ctx, l.residents[sc.p.reporter])
	case sc.p.channel == chHotline:
		return l.accts["operator"], nil
	}
	return l.communityStaff(ctx, sc.c.RegionCode[:12])
}

// ---- Deciding the next step ----

// limit is the case's time limit for a stage, the defaults while it has no
// category.
func (l *loader) limit(c civic.Case, st civic.Stage) civic.TimeLimit {
	if lim := l.cats[c.CategoryCode].Limits[st]; lim.Amount > 0 {
		return lim
	}
	return map[civic.Stage]civic.TimeLimit{
		civic.StageClaim: {Amount: 2, Unit: civic.UnitWorkHours}, civic.StageFeedback: {Amount: 1, Unit: civic.UnitWorkDays},
		civic.StageComplete: {Amount: 5, Unit: civic.UnitWorkDays}, civic.StageVisit: {Amount: 2, Unit: civic.UnitWorkDays},
	}[st]
}

func (l *loader) yellow(c civic.Case) float64 {
	if y := l.cats[c.CategoryCode].Yellow; y > 0 {
		return y
	}
	return 0.5
}

// share is the moment a fraction f of a stage's limit has passed since start.
func (l *loader) share(start time.Time, lim civic.TimeLimit, f float64) time.Time {
	t := l.cal.Deadline(start, calendar.Budget{Amount: lim.Amount * f, Unit: calendar.Unit(lim.Unit)}, nil)
	if t.IsZero() {
		return start.Add(time.Hour)
	}
	return t.UTC()
}

// work is the moment h working hours after t.
func (l *loader) work(t time.Time, h float64) time.Time {
	return l.share(t, civic.TimeLimit{Amount: h, Unit: civic.UnitWorkHours}, 1)
}

func (l *loader) between(lo, hi float64) float64 { return lo + l.rng.Float64()*(hi-lo) }

func (l *loader) decide(ctx context.Context, sc *simCase) (*step, error) {
	c, p := sc.c, sc.p
	act := func(at time.Time, a civic.Actor, err error, in store.CaseInput) (*step, error) {
		return &step{at: at, actor: a, in: in}, err
	}
	if c.State == p.hold && c.State != civic.StateInProgress {
		return nil, nil
	}
	switch c.State {
	case civic.StateReported, civic.StateAccepted:
		if st, err := l.mergeStep(ctx, sc); st != nil || err != nil {
			return st, err
		}
		a, err := l.dispatcher(ctx, sc)
		at := l.work(sc.last, l.between(0.1, 1.5))
		if l.rng.IntN(100) < 25 {
			at = l.work(sc.last, l.between(1.5, 8))
		}
		switch {
		case c.State == civic.StateReported && p.reject:
			return act(at, a, err, store.CaseInput{Action: civic.ActReject, Note: pick(l.rng, rejectNotes)})
		case c.State == civic.StateReported && p.acceptFirst:
			return act(at, a, err, store.CaseInput{Action: civic.ActAccept, CategoryCode: p.category, Note: "已受理，待派单。"})
		}
		in := store.CaseInput{Action: civic.ActDispatch, Note: pick(l.rng, dispatchNotes)}
		if c.CategoryCode == "" {
			in.CategoryCode = p.category
		}
		if sc.lastAct == civic.ActReturn {
			in.TargetRegionCode = c.RegionCode[:9]
			in.Note = "原承办单位退单，经协调由属地街道牵头办理。"
		}
		if sc.recalled {
			in.Note = "超时未签收被系统撤回，重新派单。"
			sc.recalled = false
		}
		return act(at, a, err, in)
	case civic.StateDispatched:
		if st, err := l.mergeStep(ctx, sc); st != nil || err != nil {
			return st, err
		}
		if p.neverClaim && !sc.waited {
			// Nobody claims it; the deadline job recalls it after the
			// claim limit, and the dispatcher sends it again.
			sc.waited = true
			if c.ClaimDue != nil {
				return &step{at: c.ClaimDue.Add(alertTick + time.Minute), wake: true}, nil
			}
		}
		claim := l.limit(c, civic.StageClaim)
		if p.transfer && !sc.transferred {
			if st, err := l.transferStep(ctx, sc, l.share(*c.DispatchedAt, claim, l.between(0.05, 0.3))); st != nil || err != nil {
				return st, err
			}
		}
		h, err := l.handler(ctx, c)
		if p.returnOnce && c.ReturnCount == 0 {
			return act(l.share(*c.DispatchedAt, claim, l.between(0.2, 0.6)), h, err, store.CaseInput{Action: civic.ActReturn, Note: pick(l.rng, returnNotes)})
		}
		f := l.between(0.05, l.yellow(c)*0.9)
		if p.slowClaim {
			f = l.between(l.yellow(c)+0.02, 0.97)
		}
		return act(l.share(*c.DispatchedAt, claim, f), h, err, store.CaseInput{Action: civic.ActClaim})
	case civic.StateInProgress:
		return l.progressStep(ctx, sc)
	case civic.StateHandled:
		v, err := l.verifier(ctx, c)
		at := l.work(sc.last, l.between(0.3, 4))
		if p.rework && c.ReworkCount == 0 {
			return act(at, v, err, store.CaseInput{Action: civic.ActVerifyFail, Note: pick(l.rng, reworkNotes)})
		}
		return act(at, v, err, store.CaseInput{Action: civic.ActVerifyPass, Note: "经现场核查，问题已解决。"})
	case civic.StateClosed:
		v, err := l.visitor(ctx, sc)
		rating, solved := p.rating, p.solved
		if rating == "" || c.ReopenCount > 0 || c.Source == civic.SourcePatrol && rating == civic.Dissatisfied {
			rating, solved = civic.Satisfied, true
		}
		at := l.share(*c.ClosedAt, l.limit(c, civic.StageVisit), l.between(0.05, l.yellow(c)*0.9))
		return act(at, v, err, store.CaseInput{Action: civic.ActVisit, Satisfaction: rating, Solved: &solved, Note: pick(l.rng, visitNotes[string(rating)])})
	case civic.StateVisited:
		if !p.reopen || c.ReopenCount > 0 {
			return nil, nil
		}
		at := c.VisitedAt.Add(time.Duration(l.between(3, 72) * float64(time.Hour)))
		if p.channel == chResident {
			a, err := l.resident(ctx, l.residents[p.reporter])
			return act(at, a, err, store.CaseInput{Action: civic.ActReopen, Note: "问题还是没有解决，申请重新办理。"})
		}
		return act(at, l.accts["operator"], nil, store.CaseInput{Action: civic.ActReopen, Note: pick(l.rng, reopenNotes)})
	}
	return nil, nil
}

// mergeStep merges a second report into the first while that one is open.
func (l *loader) mergeStep(ctx context.Context, sc *simCase) (*step, error) {
	if sc.p.mergeInto == nil || sc.merged {
		return nil, nil
	}
	t := sc.p.mergeInto.sim
	if t.id == 0 {
		sc.merged = true
		return nil, nil
	}
	if err := l.refresh(ctx, t); err != nil {
		return nil, err
	}
	if t.id == 0 || !t.c.State.Open() {
		sc.merged = true // too late: handled as a case of its own
		return nil, nil
	}
	a, err := l.dispatcher(ctx, sc)
	return &step{at: l.work(sc.last, l.between(0.1, 1)), actor: a, in: store.CaseInput{Action: civic.ActMerge, MergeInto: t.id, Note: pick(l.rng, mergeNotes)}}, err
}

// transferStep sends a property matter on to the compound's property
// company, anything else to the street.
func (l *loader) transferStep(ctx context.Context, sc *simCase, at time.Time) (*step, error) {
	c := sc.c
	in := store.CaseInput{Action: civic.ActTransfer}
	if ids := l.property[c.RegionCode[:9]]; l.cats[c.CategoryCode].Handler.Target == civic.HandlerProperty && len(ids) > 0 {
		in.TargetOrgID = ids[0]
		if l.rng.IntN(100) < 40 && !sc.p.mainProperty {
			in.TargetOrgID = pick(l.rng, ids)
		}
		in.Note = transferNotes[0]
	} else {
		in.TargetRegionCode = c.RegionCode[:9]
		in.Note = transferNotes[1]
	}
	if in.TargetOrgID == c.HandlerOrgID && in.TargetRegionCode == c.HandlerRegionCode {
		sc.transferred = true
		return nil, nil
	}
	a, err := l.dispatcher(ctx, sc)
	return &step{at: at, actor: a, in: in}, err
}

// progressStep is the next thing to do while a case is being handled: a
// progress note if the work will outlast the feedback limit, requests and
// their decisions, then the report back.
func (l *loader) progressStep(ctx context.Context, sc *simCase) (*step, error) {
	c, p := sc.c, sc.p
	h, err := l.handler(ctx, c)
	if err != nil {
		return nil, err
	}
	if c.FeedbackAt == nil && !sc.feedbackAt.IsZero() && !c.Paused {
		return &step{at: sc.feedbackAt, actor: h, in: store.CaseInput{Action: civic.ActFeedback, Note: pick(l.rng, feedbackNotes)}}, nil
	}
	comp := l.limit(c, civic.StageComplete)
	if p.extend != reqNone && !sc.extAsked {
		amount := 12.0
		switch comp.Unit {
		case civic.UnitWorkDays:
			amount = float64(1 + l.rng.IntN(3))
		case civic.UnitWorkHours:
			amount = 8
		}
		return &step{at: sc.askAt, actor: h, in: store.CaseInput{Action: civic.ActRequestExtend, Amount: amount, Note: pick(l.rng, extendNotes)}}, nil
	}
	if (p.extend == reqApproved || p.extend == reqRefused) && !sc.extDecided {
		a, err := l.streetStaff(ctx, c.RegionCode[:9])
		ok := p.extend == reqApproved
		note := pick(l.rng, refuseNotes)
		if ok {
			note = pick(l.rng, approveNotes)
		}
		return &step{at: l.work(sc.last, l.between(0.3, 4)), actor: a, in: store.CaseInput{Action: civic.ActDecide, RequestID: sc.reqID, Approve: ok, Note: note}}, err
	}
	if p.pause != reqNone && !sc.pauseAsked {
		return &step{at: sc.askAt, actor: h, in: store.CaseInput{Action: civic.ActRequestPause, Note: pick(l.rng, pauseNotes)}}, nil
	}
	if (p.pause == reqOngoing || p.pause == reqResolved) && !sc.pauseDecided {
		a, err := l.streetStaff(ctx, c.RegionCode[:9])
		return &step{at: l.work(sc.last, l.between(0.3, 4)), actor: a, in: store.CaseInput{Action: civic.ActDecide, RequestID: sc.reqID, Approve: true, Note: pick(l.rng, approveNotes)}}, err
	}
	if c.Paused {
		if p.pause != reqResolved {
			return nil, nil
		}
		a, err := l.streetStaff(ctx, c.RegionCode[:9])
		at := l.work(sc.pausedAt.Add(time.Duration(l.between(2, 6)*24)*time.Hour), l.between(0, 3))
		return &step{at: at, actor: a, in: store.CaseInput{Action: civic.ActResume, Note: pick(l.rng, resumeNotes)}}, err
	}
	if p.hold == civic.StateInProgress {
		return nil, nil
	}
	return &step{at: sc.handleAt, actor: h, in: store.CaseInput{Action: civic.ActHandle, Note: l.doneNote(p)}}, nil
}

func (l *loader) doneNote(p *casePlan) string {
	if len(p.text.done) == 0 {
		return "已按要求办理完毕，并电话告知反映人。"
	}
	return strings.ReplaceAll(pick(l.rng, p.text.done), "{号}", strconv.Itoa(2+l.rng.IntN(5)))
}

// taken updates what the simulation knows after a step, and plans the
// round of handling that a claim starts.
func (l *loader) taken(ctx context.Context, sc *simCase, st *step) error {
	c, p := sc.c, sc.p
	switch st.in.Action {
	case civic.ActMerge:
		sc.merged = true
	case civic.ActTransfer:
		sc.transferred = true
	case civic.ActClaim:
		comp := l.limit(c, civic.StageComplete)
		y := l.yellow(c)
		f := l.between(0.1, y*0.95)
		switch {
		case p.late && c.ReopenCount == 0:
			f = l.between(1.08, 1.6)
		case p.slowHandle:
			f = l.between(y+0.02, 0.97)
		}
		if p.quick {
			f = l.between(0.02, 0.1)
		}
		sc.handleAt = l.share(*c.DispatchedAt, comp, f)
		if soonest := l.work(l.now, l.between(0.3, 2)); sc.handleAt.Before(soonest) && !p.quick {
			sc.handleAt = soonest
		}
		sc.askAt = l.share(*c.DispatchedAt, comp, l.between(0.25, y*0.9))
		sc.feedbackAt = time.Time{}
		fb := l.limit(c, civic.StageFeedback)
		if sc.handleAt.After(l.share(*c.DispatchedAt, fb, y*0.9)) || p.extend != reqNone || p.pause != reqNone || p.hold == civic.StateInProgress {
			sc.feedbackAt = l.share(*c.DispatchedAt, fb, l.between(0.1, y*0.85))
		}
		if p.pause != reqNone || p.extend != reqNone {
			// Asking comes after the first contact, within two working
			// days of it: a handler who needs more time knows it early,
			// even on a category with a month to finish.
			if by := l.work(sc.feedbackAt, l.between(2, 16)); sc.askAt.After(by) {
				sc.askAt = by
			}
			sc.askAt = maxTime(sc.askAt, sc.feedbackAt.Add(30*time.Minute), l.now.Add(time.Hour))
		}
	case civic.ActVerifyFail:
		sc.handleAt = l.work(l.now, l.between(3, 14))
		if l.limit(c, civic.StageComplete).Unit == civic.UnitHours {
			sc.handleAt = l.now.Add(time.Duration(l.between(2, 8) * float64(time.Hour)))
		}
	case civic.ActRequestExtend, civic.ActRequestPause:
		id, err := l.lastRequest(ctx, sc.id)
		if err != nil {
			return err
		}
		sc.reqID = id
		if st.in.Action == civic.ActRequestExtend {
			sc.extAsked = true
		} else {
			sc.pauseAsked = true
		}
	case civic.ActDecide:
		if st.in.Approve && c.Paused {
			sc.pauseDecided, sc.pausedAt = true, l.now
			break
		}
		sc.extDecided = true
		if st.in.Approve {
			// With more time granted the work is done within it.
			comp := l.limit(c, civic.StageComplete)
			comp.Amount += c.CompleteExtra
			sc.handleAt = maxTime(l.share(*c.DispatchedAt, comp, l.between(0.8, 0.95)), l.work(l.now, 1))
		}
	case civic.ActResume:
		sc.handleAt = l.work(l.now, l.between(4, 16))
	}
	return nil
}

// lastRequest reads the ID of the request just filed from the timeline:
// the store has no other way to list a case's requests.
func (l *loader) lastRequest(ctx context.Context, id int64) (int64, error) {
	evs, err := l.s.CaseEvents(ctx, civic.System, id)
	if err != nil {
		return 0, err
	}
	for i := len(evs) - 1; i >= 0; i-- {
		var d struct {
			RequestID int64 `json:"request_id"`
		}
		if evs[i].Data != "" && json.Unmarshal([]byte(evs[i].Data), &d) == nil && d.RequestID != 0 {
			return d.RequestID, nil
		}
	}
	return 0, fmt.Errorf("case %d: no request in the timeline", id)
}

func maxTime(ts ...time.Time) time.Time {
	m := ts[0]
	for _, t := range ts[1:] {
		if t.After(m) {
			m = t
		}
	}
	return m
}
