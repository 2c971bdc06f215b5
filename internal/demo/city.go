package demo

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// Password is the one password of every demo account. It is printed by
// `civicgrid demo` and in the README: the demo is for looking around, never
// for real data.
const Password = "Civic2026!"

// User is a demo account to create.
type User struct {
	Username, Password, DisplayName string
	Role                            civic.Role
	Scope                           civic.Scope
	ScopeName                       string
	// OrgName names the organisation a handler works for. Organisation IDs
	// exist only once Load has imported the organisations, so Generate
	// leaves Scope.OrgID 0 and Load resolves it from this name.
	OrgName string
}

// City is everything the demo writes.
type City struct {
	Regions []store.RegionFeature // top-down: parents before children
	Orgs    []civic.Organisation
	// Staff have OrgID 0; Load fills in the employer it can name from the
	// grid and position (see employerOf).
	Staff []civic.Staff
	Users []User
}

// Independent random streams, so that a change to, say, the name tables
// does not move every boundary.
const (
	streamGeometry uint64 = 0x67656f6d65747279 // "geometry"
	streamPeople   uint64 = 0x70656f706c65     // "people"
	streamLedger   uint64 = 0x6c6564676572     // "ledger"
)

// gridsNum/gridsDen sets the grid count: 5 grids per 8 cells makes three
// two-cell grids for every two single-cell ones, about 300 grids over the
// 480 cells of the lattice.
const gridsNum, gridsDen = 5, 8

// area is one region of the layout: a block of lattice cells.
type area struct {
	code, name string
	level      civic.Level
	blk        block
}

// layout is the region tree cut from one lattice, top-down by level then
// code.
type layout struct {
	lat   *lattice
	areas []area
}

// Where the demo accounts live: the first street of 东城, its first
// community and that community's first grid. The community also gets the
// micro-grids, so the one place a newcomer explores shows every level.
const (
	demoStreet    = "110101001" // 东华门街道
	demoCommunity = "110101001001"
	demoGrid      = "110101001001001"
	// microGridParents is how many grids of the demo community are split
	// into micro-grids: enough to show the level, few enough that the
	// community still reads as ordinary grids.
	microGridParents = 4
)

func newLayout(seed uint64) layout {
	rng := rand.New(rand.NewPCG(seed, streamGeometry))
	lat := newLattice(rng, latticeCols, latticeRows)
	l := layout{lat: lat}
	add := func(code, name string, lvl civic.Level, b block) {
		l.areas = append(l.areas, area{code, name, lvl, b})
	}
	split := 0 // grids given micro-grids so far
	add(cityCode, cityName, civic.LevelCity, block{0, 0, latticeCols, latticeRows})
	for _, d := range districts {
		add(d.code, d.name, civic.LevelDistrict, block{d.cols[0], 0, d.cols[1], latticeRows})
		// Street boundaries run east–west at rows a and b, so that each
		// street is 7–10 rows (2.5–3.6 km) tall.
		a := 7 + rng.IntN(3)
		b := a + 7 + rng.IntN(min(3, 11-a))
		rows := [4]int{0, a, b, latticeRows}
		for si, s := range d.streets {
			sb := block{d.cols[0], rows[si], d.cols[1], rows[si+1]}
			add(s.code, s.name, civic.LevelStreet, sb)
			h := sb.r1 - sb.r0
			quads := sb.split(sb.c0+4+rng.IntN(3), sb.r0+h/2-1+rng.IntN(3))
			for ci, cname := range s.communities {
				cb := quads[ci]
				ccode := fmt.Sprintf("%s%03d", s.code, ci+1)
				add(ccode, cname, civic.LevelCommunity, cb)
				n := (cb.cells()*gridsNum + gridsDen/2) / gridsDen
				for gi, gb := range tileGrids(rng, cb, n) {
					gcode := fmt.Sprintf("%s%03d", ccode, gi+1)
					gname := fmt.Sprintf("%s第%d网格", cname, gi+1)
					add(gcode, gname, civic.LevelGrid, gb)
					if ccode != demoCommunity || gb.cells() < 2 || split >= microGridParents {
						continue
					}
					// A few domino grids of the demo community split
					// into their two cells as micro-grids (微网格), the
					// level some cities add below the grid for one or
					// two buildings each.
					split++
					for k, mb := range halves(gb) {
						add(fmt.Sprintf("%s%02d", gcode, k+1), fmt.Sprintf("%s第%d网格%d号微网格", cname, gi+1, k+1), civic.LevelMicroGrid, mb)
					}
				}
			}
		}
	}
	slices.SortStableFunc(l.areas, func(x, y area) int {
		return cmp.Or(cmp.Compare(x.level, y.level), cmp.Compare(x.code, y.code))
	})
	return l
}

// halves splits a two-cell block into its cells.
func halves(b block) []block {
	if b.c1-b.c0 == 2 {
		return []block{{b.c0, b.r0, b.c0 + 1, b.r1}, {b.c0 + 1, b.r0, b.c1, b.r1}}
	}
	return []block{{b.c0, b.r0 + 1, b.c1, b.r1}, {b.c0, b.r0, b.c1, b.r0 + 1}}
}

// Generate builds the demo city. It is pure: the same seed gives the same
// City, down to every vertex, name and phone number.
func Generate(seed uint64) City {
	l := newLayout(seed)
	var c City
	names := map[string]string{}
	for i, a := range l.areas {
		c.Regions = append(c.Regions, store.RegionFeature{
			Code: a.code, Name: a.name, Level: a.level, ParentCode: civic.ParentCodeOf(a.code),
			Geom: l.lat.shape(a.blk), Index: i,
		})
		names[a.code] = a.name
	}
	pp := newPeople(rand.New(rand.NewPCG(seed, streamPeople)))
	c.Orgs = organisations(pp)
	c.Staff = ledger(rand.New(rand.NewPCG(seed, streamLedger)), pp, l)
	c.Users = users(pp, c, names)
	return c
}

// organisations lists the bodies that work in the demo city, top-down.
func organisations(pp *people) []civic.Organisation {
	var out []civic.Organisation
	add := func(name string, kind civic.OrgKind, region, address string) {
		out = append(out, civic.Organisation{Name: name, Kind: kind, RegionCode: region, Phone: pp.landline(), Address: address})
	}
	add("北京市12345市民服务热线", civic.OrgDepartment, cityCode, "北京市通州区运河东大街57号")
	brands := slices.Clone(propertyBrands)
	pp.rng.Shuffle(len(brands), func(i, j int) { brands[i], brands[j] = brands[j], brands[i] })
	for _, d := range districts {
		for _, dep := range departments {
			arg := d.name
			if dep.which == "short" {
				arg = d.short
			}
			add(fmt.Sprintf(dep.pattern, arg), civic.OrgDepartment, d.code, fmt.Sprintf("北京市%s%s%d号", d.name, pick(pp.rng, d.roads), 1+pp.rng.IntN(300)))
		}
		for _, s := range d.streets {
			addr := fmt.Sprintf("北京市%s%s%d号", d.name, s.road, 1+pp.rng.IntN(120))
			add(s.name+"办事处", civic.OrgStreetOffice, s.code, addr)
			add(s.name+"党工委", civic.OrgPartyOrg, s.code, addr)
			for range 2 + pp.rng.IntN(2) {
				brand := brands[0]
				brands = brands[1:]
				suffix := pick(pp.rng, []string{"物业管理有限公司", "物业服务有限公司"})
				add("北京"+brand+suffix, civic.OrgPropertyCompany, s.code, fmt.Sprintf("北京市%s%s%d号", d.name, s.road, 1+pp.rng.IntN(120)))
			}
			for _, u := range coBuilding[s.code] {
				add(u, civic.OrgCoBuildingUnit, s.code, fmt.Sprintf("北京市%s%s%d号", d.name, s.road, 1+pp.rng.IntN(120)))
			}
			for ci, cname := range s.communities {
				code := fmt.Sprintf("%s%03d", s.code, ci+1)
				caddr := fmt.Sprintf("北京市%s%s%s居委会", d.name, s.name, cname)
				add(cname+"居委会", civic.OrgCommunityCommittee, code, caddr)
				add(cname+"党委", civic.OrgPartyOrg, code, caddr)
				add(cname+"志愿服务队", civic.OrgVolunteerTeam, code, caddr)
			}
		}
	}
	return out
}

// ledger fills the grid staff ledger (网格员台账) the way Beijing staffs its
// grids: a community 两委 member leads about three grids as 网格长, every grid
// has one full-time worker and one or two part-time ones, and the
// community's doctor and police officer are attached to some grids. A few
// full-time workers have left and been replaced, so the ledger has history.
func ledger(rng *rand.Rand, pp *people, l layout) []civic.Staff {
	var out []civic.Staff
	add := func(grid, name, phone string, pos civic.Position, start, end, note string) {
		out = append(out, civic.Staff{GridCode: grid, Name: name, Phone: phone, Position: pos, StartDate: start, EndDate: end, Note: note})
	}
	type person struct{ name, phone, start string }
	newPerson := func(from, to int) person { return person{pp.name(), pp.mobile(), randDate(rng, from, to)} }
	grids := map[string][]string{} // community code → its grid codes, in order
	var communities []string
	names := map[string]string{}
	for _, a := range l.areas {
		names[a.code] = a.name
		switch a.level {
		case civic.LevelCommunity:
			communities = append(communities, a.code)
		case civic.LevelGrid:
			cc := civic.ParentCodeOf(a.code)
			grids[cc] = append(grids[cc], a.code)
		}
	}
	for _, cc := range communities {
		var leaders []person
		for range (len(grids[cc]) + 2) / 3 {
			leaders = append(leaders, newPerson(2019, 2022))
		}
		doctor, police := newPerson(2019, 2024), newPerson(2019, 2024)
		doctorNote := names[cc] + "卫生服务站全科医生"
		policeNote := strings.TrimSuffix(names[civic.ParentCodeOf(cc)], "街道") + "派出所社区民警"
		for gi, g := range grids[cc] {
			ld := leaders[gi/3]
			add(g, ld.name, ld.phone, civic.PositionGridLeader, ld.start, "", "社区两委委员")
			ft := newPerson(2019, 2024)
			if rng.IntN(100) < 8 {
				// The first worker left; the successor started the next day.
				first := newPerson(2019, 2021)
				end := addDays(first.start, 365+rng.IntN(3*365))
				add(g, first.name, first.phone, civic.PositionFullTime, first.start, end, pick(rng, []string{"调任街道工作", "退休", "辞职", "调往其他社区"}))
				ft.start = addDays(end, 1)
				add(g, ft.name, ft.phone, civic.PositionFullTime, ft.start, "", "接替"+first.name)
			} else {
				add(g, ft.name, ft.phone, civic.PositionFullTime, ft.start, "", "")
			}
			for k := range 1 + rng.IntN(2) {
				pt := newPerson(2020, 2025)
				end, note := "", ""
				if rng.IntN(100) < 40 {
					note = pick(rng, []string{"居民党员", "退休教师", "物业管家", "小区业委会委员", "社区志愿者"})
				}
				if k == 1 && rng.IntN(100) < 10 {
					// Part-time helpers come and go; the first one stays.
					end = addDays(pt.start, 90+rng.IntN(365))
					if end > "2025-12-31" {
						end = "2025-12-31"
					}
					note = "已不再担任"
				}
				add(g, pt.name, pt.phone, civic.PositionPartTime, pt.start, end, note)
			}
			if rng.IntN(100) < 35 {
				add(g, doctor.name, doctor.phone, civic.PositionGridDoctor, doctor.start, "", doctorNote)
			}
			if rng.IntN(100) < 35 {
				add(g, police.name, police.phone, civic.PositionGridPolice, police.start, "", policeNote)
			}
			if rng.IntN(100) < 25 {
				for range 1 + rng.IntN(2) {
					bh := newPerson(2019, 2025)
					add(g, bh.name, bh.phone, civic.PositionBuildingHead, bh.start, "", fmt.Sprintf("%d号楼", 1+rng.IntN(12)))
				}
			}
		}
	}
	return out
}

// randDate is a day in the years [from, to].
func randDate(rng *rand.Rand, from, to int) string {
	lo := time.Date(from, 1, 1, 0, 0, 0, 0, time.UTC)
	hi := time.Date(to+1, 1, 1, 0, 0, 0, 0, time.UTC)
	days := int(hi.Sub(lo).Hours() / 24)
	return lo.AddDate(0, 0, rng.IntN(days)).Format(civic.DateLayout)
}

func addDays(date string, n int) string {
	t, err := time.Parse(civic.DateLayout, date)
	if err != nil {
		panic("demo: bad generated date " + date) // generated above, cannot happen
	}
	return t.AddDate(0, 0, n).Format(civic.DateLayout)
}

// users makes one account per role, all in or above the demo street so that
// switching accounts shows the same place from different seats.
func users(pp *people, c City, names map[string]string) []User {
	var gridWorker civic.Staff
	for _, m := range c.Staff {
		if m.GridCode == demoGrid && m.Position == civic.PositionFullTime && m.EndDate == "" {
			gridWorker = m
		}
	}
	var handlerOrg string
	for _, o := range c.Orgs {
		if o.Kind == civic.OrgPropertyCompany && o.RegionCode == demoStreet {
			handlerOrg = o.Name
			break
		}
	}
	mk := func(username, display string, role civic.Role, region string) User {
		return User{Username: username, Password: Password, DisplayName: display, Role: role,
			Scope: civic.Scope{RegionCode: region}, ScopeName: names[region]}
	}
	// Distinct display names, so that whoever is signed in is obvious at a
	// glance when switching between accounts.
	used := map[string]bool{gridWorker.Name: true}
	name := func() string {
		for {
			if n := pp.name(); !used[n] {
				used[n] = true
				return n
			}
		}
	}
	out := []User{mk("admin", "系统管理员", civic.RoleAdmin, cityCode)}
	out = append(out, mk("leader", name(), civic.RoleLeader, cityCode))
	out = append(out, mk("street", name(), civic.RoleStreetStaff, demoStreet))
	out = append(out, mk("community", name(), civic.RoleCommunityStaff, demoCommunity))
	out = append(out, mk("grid", gridWorker.Name, civic.RoleGridWorker, demoGrid))
	handler := mk("handler", name(), civic.RoleHandler, demoStreet)
	handler.OrgName = handlerOrg
	out = append(out, handler)
	out = append(out, mk("operator", name(), civic.RoleOperator, cityCode))
	out = append(out, mk("volunteer", name(), civic.RoleVolunteer, demoCommunity))
	out = append(out, mk("resident", name(), civic.RoleResident, demoCommunity))
	return out
}
