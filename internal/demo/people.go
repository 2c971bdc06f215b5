package demo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// A synthetic population (实有人口) for the demo city and the people
// benchmark: compounds of 6–30-storey buildings with 2–4 units, houses
// that are lived in, rented, empty or shops, and households living in
// them — families of two or three generations, elderly couples, old
// people living alone, single tenants — with names drawn by surname
// frequency, ages from an urban Beijing age pyramid, GB 11643 ID numbers
// whose region, birth date and sex agree with the person (registered
// residents get the district's code, floating ones a code from the
// provinces people come from), mobile numbers and the tags care work
// runs on. It is written as the two import sheets, so that the demo and
// the benchmark load it through the import itself.

const streamPopulation uint64 = 0x706f70756c6174 // "populat"

// Population says what to generate.
type Population struct {
	Seed   uint64
	Grids  []string // grid codes; houses and people are spread evenly
	Houses int
	People int
	// Now is the day ages and move-in dates are reckoned from.
	Now time.Time
	// Property gives the property companies that may run a compound in a
	// grid; nil or empty leaves compounds without one.
	Property func(grid string) []string
}

// PopulationStats counts what WritePopulation wrote.
type PopulationStats struct {
	Compounds, Buildings, Houses, People int
}

var (
	compoundHeads = []string{"幸福", "和平", "阳光", "金地", "翠微", "锦绣", "丽都", "怡景", "芳草", "望京", "华清", "安贞", "育新", "新康", "永安",
		"兴华", "春晖", "景泰", "福星", "润泽", "嘉园", "明光", "青塔", "朝阳", "融泽", "百旺", "康乐", "玉泉", "紫竹", "天坛"}
	compoundTails = []string{"小区", "家园", "花园", "里", "公寓", "嘉园", "苑", "北里", "南里", "东区", "西区"}
	maleSingle    = []string{"伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "平", "刚", "鹏", "斌", "博", "亮", "峰", "辉"}
	femaleSingle  = []string{"芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "琳", "颖", "萍", "蕾", "燕", "婷", "洁", "慧"}
	maleFixed     = []string{"建国", "建华", "国强", "志强", "志刚", "建军", "卫东", "振华", "晓东", "立新", "海波", "文博", "德明", "俊峰", "宏伟"}
	femaleFixed   = []string{"秀英", "秀兰", "桂英", "淑珍", "玉兰", "海燕", "桂兰", "秀珍", "凤英", "玉梅", "丽娟", "红梅", "雪梅", "金凤", "永红", "晓燕"}
	boyNames      = []string{"子轩", "浩然", "梓豪", "宇轩", "俊杰", "一鸣", "皓轩", "子墨", "铭泽", "博文", "思远", "天佑"}
	girlNames     = []string{"子涵", "欣怡", "梓涵", "一诺", "语桐", "诗涵", "可馨", "雨桐", "思彤", "佳怡", "若曦", "梦琪"}
	workplaces    = []string{"北京市东城区第一医院", "中国银行北京分行", "北京城建集团", "京东方科技集团", "北京市自来水集团", "首都机场集团",
		"北京市第五中学", "国家电网北京公司", "北京百货大楼", "中关村软件园", "个体经营", "自由职业", "北京地铁运营公司", "北京市邮政局"}
	// Floating residents come from these places (GB/T 2260 district codes).
	originCodes = []string{"130102", "130602", "370102", "370202", "410102", "410302", "510104", "420102", "340102", "230102", "220102", "140105", "610102", "320102"}
)

// ageBuckets is an urban Beijing age pyramid (share per mille of each
// ten-year band), used for single adults and to spread the others.
var ageBuckets = []struct{ lo, hi, w int }{
	{0, 14, 110}, {15, 24, 85}, {25, 34, 165}, {35, 44, 160}, {45, 54, 150}, {55, 64, 140}, {65, 74, 110}, {75, 84, 60}, {85, 99, 20},
}

// popGen draws the population.
type popGen struct {
	rng  *rand.Rand
	now  time.Time
	seqs map[uint64]int // next ID sequence per region, birth date and sex
	// seqBase starts every sequence further on, so that two generators
	// never hand out the same number.
	seqBase int
}

// NewPersonSource returns a function that draws one more person (with no
// house) in a grid each call, from the same tables as WritePopulation; the
// people benchmark grows its population with it.
func NewPersonSource(seed uint64, now time.Time) func(grid string) civic.Person {
	g := &popGen{rng: rand.New(rand.NewPCG(seed, streamPopulation^0xff)), now: now, seqs: map[uint64]int{}, seqBase: 250}
	return func(grid string) civic.Person {
		p := g.person(grid, g.age(), g.rng.IntN(2) == 0, g.rng.IntN(10) == 0)
		return p
	}
}

func (g *popGen) age() int {
	n := g.rng.IntN(1000)
	for _, b := range ageBuckets {
		if n < b.w {
			return b.lo + g.rng.IntN(b.hi-b.lo+1)
		}
		n -= b.w
	}
	return 40
}

func (g *popGen) surname() string {
	n := g.rng.IntN(surnameTotal)
	for _, s := range surnames {
		if n < s.w {
			return s.s
		}
		n -= s.w
	}
	return "王"
}

// given draws a given name fitting the sex and the decade of birth.
func (g *popGen) given(male bool, born int) string {
	switch {
	case born >= 2005 && male:
		return pick(g.rng, boyNames)
	case born >= 2005:
		return pick(g.rng, girlNames)
	case g.rng.IntN(2) == 0 && male:
		return pick(g.rng, maleSingle)
	case g.rng.IntN(2) == 0:
		return pick(g.rng, femaleSingle)
	case male:
		return pick(g.rng, maleFixed)
	}
	return pick(g.rng, femaleFixed)
}

// idNumber makes a GB 11643 number no one else drawn has.
func (g *popGen) idNumber(region string, birth time.Time, male bool) string {
	r, _ := strconv.Atoi(region)
	day := birth.Year()*400 + int(birth.YearDay())
	k := uint64(r)<<32 | uint64(day)<<1
	if male {
		k |= 1
	}
	n := g.seqs[k] + g.seqBase
	g.seqs[k] = n + 1 - g.seqBase
	// 500 numbers per region, day and sex; beyond that borrow the
	// neighbouring region code, as real numbers of merged districts do.
	seq := 2*(n%500) + 1
	if !male {
		seq--
	}
	if n >= 500 {
		region = fmt.Sprintf("%06d", r+n/500)
	}
	first := region + birth.Format("20060102") + fmt.Sprintf("%03d", seq)
	return first + string(civic.IDCheckChar(first))
}

// person draws someone of an age in a grid; floating people have IDs
// from elsewhere.
func (g *popGen) person(grid string, age int, male, floating bool) civic.Person {
	birth := g.now.AddDate(-age, 0, -g.rng.IntN(365)-1)
	region := grid[:6]
	if floating {
		region = pick(g.rng, originCodes)
	}
	p := civic.Person{GridCode: grid, Name: g.surname() + g.given(male, birth.Year()), IDNumber: g.idNumber(region, birth, male),
		BirthDate: birth.Format(civic.DateLayout), Gender: civic.GenderFemale, ResidenceType: civic.ResidenceHukou, Ethnic: "汉族"}
	if male {
		p.Gender = civic.GenderMale
	}
	if floating {
		p.ResidenceType = pick(g.rng, []civic.ResidenceType{civic.ResidenceFloating, civic.ResidenceFloating, civic.ResidenceTenant})
	} else if g.rng.IntN(5) == 0 {
		p.ResidenceType = civic.ResidencePermanent
	}
	switch n := g.rng.IntN(100); {
	case n < 2:
		p.Ethnic = "满族"
	case n < 4:
		p.Ethnic = "回族"
	case n < 5:
		p.Ethnic = "蒙古族"
	}
	if age >= 16 && !(age >= 80 && g.rng.IntN(2) == 0) {
		p.Phone = pick(g.rng, mobilePrefixes) + fmt.Sprintf("%08d", g.rng.IntN(100000000))
	}
	switch {
	case age >= 60:
		p.Workplace = "退休"
	case age >= 6 && age <= 22:
		p.Workplace = "学生"
	case age > 22:
		p.Workplace = pick(g.rng, workplaces)
	}
	if g.rng.IntN(50) == 0 {
		p.Tags = append(p.Tags, civic.TagDisabled)
	}
	if male && age >= 40 && g.rng.IntN(60) == 0 {
		p.Tags = append(p.Tags, civic.TagVeteran)
	}
	if age >= 25 && g.rng.IntN(12) == 0 {
		p.Tags = append(p.Tags, civic.TagParty)
	}
	return p
}

// member is one person of a household with their tie to the house.
type member struct {
	p        civic.Person
	relation civic.Relation
}

// household draws the people living in a house: owners and their family,
// or tenants for a rented house.
func (g *popGen) household(grid string, rented bool) []member {
	if rented {
		n := 1 + g.rng.IntN(3)
		out := make([]member, n)
		for i := range out {
			out[i] = member{g.person(grid, 20+g.rng.IntN(25), g.rng.IntN(2) == 0, g.rng.IntN(10) < 7), civic.RelationTenant}
		}
		return out
	}
	adult := func(lo, hi int, male bool, rel civic.Relation) member {
		return member{g.person(grid, lo+g.rng.IntN(hi-lo+1), male, false), rel}
	}
	couple := func(lo, hi int) []member {
		h := adult(lo, hi, true, civic.RelationOwner)
		age := civic.AgeOn(h.p.BirthDate, g.now)
		w := member{g.person(grid, max(20, age-3+g.rng.IntN(6)), false, false), civic.RelationFamily}
		return []member{h, w}
	}
	child := func(parentAge int) member {
		c := member{g.person(grid, max(0, parentAge-24-g.rng.IntN(12)), g.rng.IntN(2) == 0, false), civic.RelationFamily}
		return c
	}
	var out []member
	switch n := g.rng.IntN(100); {
	case n < 9: // an old person living alone
		m := adult(66, 95, g.rng.IntN(3) == 0, civic.RelationOwner)
		m.p.Tags = append(m.p.Tags, civic.TagAlone)
		if civic.AgeOn(m.p.BirthDate, g.now) >= 80 && g.rng.IntN(3) == 0 {
			m.p.Tags = append(m.p.Tags, civic.TagKeyCare)
		}
		out = []member{m}
	case n < 22: // an elderly couple
		out = couple(60, 88)
	case n < 36: // a couple
		out = couple(25, 58)
	case n < 66: // a couple and a child
		out = couple(28, 50)
		out = append(out, child(civic.AgeOn(out[0].p.BirthDate, g.now)))
	case n < 75: // a couple and two children
		out = couple(30, 48)
		a := civic.AgeOn(out[0].p.BirthDate, g.now)
		out = append(out, child(a), child(a))
	case n < 90: // three generations
		out = couple(30, 50)
		a := civic.AgeOn(out[0].p.BirthDate, g.now)
		out = append(out, child(a), adult(min(95, a+22), min(95, a+35), g.rng.IntN(2) == 0, civic.RelationFamily))
	default: // one adult
		out = []member{adult(22, 60, g.rng.IntN(2) == 0, civic.RelationOwner)}
	}
	// Children take the father's surname, as is usual.
	sur := []rune(out[0].p.Name)[0]
	for i := 1; i < len(out); i++ {
		if civic.AgeOn(out[i].p.BirthDate, g.now) < civic.AgeOn(out[0].p.BirthDate, g.now)-15 {
			r := []rune(out[i].p.Name)
			r[0] = sur
			out[i].p.Name = string(r)
		}
	}
	if g.rng.IntN(70) == 0 {
		out[0].p.Tags = append(out[0].p.Tags, civic.TagDibao)
	}
	return out
}

// WritePopulation writes the houses sheet and the people sheet as CSV, in
// the import templates' columns.
func WritePopulation(p Population, houses, people io.Writer) (PopulationStats, error) {
	g := &popGen{rng: rand.New(rand.NewPCG(p.Seed, streamPopulation)), now: p.Now, seqs: map[uint64]int{}}
	hb, pb := bufio.NewWriterSize(houses, 1<<16), bufio.NewWriterSize(people, 1<<16)
	hw, pw := csv.NewWriter(hb), csv.NewWriter(pb)
	var head []string
	for _, c := range civic.HouseColumns {
		head = append(head, c.Label.ZH)
	}
	_ = hw.Write(head)
	head = head[:0]
	for _, c := range civic.PeopleColumns {
		head = append(head, c.Label.ZH)
	}
	_ = pw.Write(head)
	var st PopulationStats
	nGrids := len(p.Grids)
	if nGrids == 0 {
		return st, fmt.Errorf("population: no grids")
	}
	hrow := make([]string, len(civic.HouseColumns))
	prow := make([]string, len(civic.PeopleColumns))
	tags := func(ts []civic.Tag) string {
		s := ""
		for i, t := range ts {
			if i > 0 {
				s += "、"
			}
			s += t.Label().ZH
		}
		return s
	}
	for gi, grid := range p.Grids {
		houseQuota := p.Houses / nGrids
		if gi < p.Houses%nGrids {
			houseQuota++
		}
		peopleQuota := p.People / nGrids
		if gi < p.People%nGrids {
			peopleQuota++
		}
		var companies []string
		if p.Property != nil {
			companies = p.Property(grid)
		}
		type house struct {
			compound, building string
			unit, number       string
			use                civic.HouseUse
		}
		var hs []house
		usedNames := map[string]bool{}
		for len(hs) < houseQuota {
			name := pick(g.rng, compoundHeads) + pick(g.rng, compoundTails)
			for try := 0; usedNames[name]; try++ {
				name = pick(g.rng, compoundHeads) + pick(g.rng, compoundTails)
				if try > 20 {
					name += strconv.Itoa(st.Compounds)
				}
			}
			usedNames[name] = true
			st.Compounds++
			prop := ""
			if len(companies) > 0 && g.rng.IntN(7) != 0 {
				prop = pick(g.rng, companies)
			}
			nb := 2 + g.rng.IntN(7)
			for b := 1; b <= nb && len(hs) < houseQuota; b++ {
				st.Buildings++
				floors, units := 6+g.rng.IntN(25), 2+g.rng.IntN(3)
				perFloor := 2
				if floors <= 7 {
					perFloor = 3
				}
				bname := strconv.Itoa(b) + "号楼"
				for u := 1; u <= units && len(hs) < houseQuota; u++ {
					for f := 1; f <= floors && len(hs) < houseQuota; f++ {
						for k := 1; k <= perFloor && len(hs) < houseQuota; k++ {
							use := civic.HouseOwnOccupied
							switch n := g.rng.IntN(100); {
							case f == 1 && b == 1 && n < 30:
								use = civic.HouseCommercial
							case n < 14:
								use = civic.HouseRented
							case n < 21:
								use = civic.HouseVacant
							}
							num := strconv.Itoa(f*100 + k)
							hs = append(hs, house{name, bname, strconv.Itoa(u), num, use})
							area := 45 + g.rng.IntN(100)
							hrow[0], hrow[1], hrow[2], hrow[3], hrow[4], hrow[5] = grid, name, bname, strconv.Itoa(u), strconv.Itoa(f), num
							hrow[6], hrow[7], hrow[8] = strconv.Itoa(area)+"."+strconv.Itoa(g.rng.IntN(10)), use.Label().ZH, prop
							if err := hw.Write(hrow); err != nil {
								return st, err
							}
							st.Houses++
						}
					}
				}
			}
		}
		// Households fill the lived-in houses in turn until the grid has
		// its people; a second round adds lodgers where houses are few.
		written := 0
		for round := 0; written < peopleQuota && round < 20; round++ {
			for _, h := range hs {
				if written >= peopleQuota {
					break
				}
				if h.use == civic.HouseVacant || h.use == civic.HouseCommercial {
					continue
				}
				var ms []member
				if round == 0 {
					ms = g.household(grid, h.use == civic.HouseRented)
				} else {
					ms = g.household(grid, true)[:1]
				}
				moved := g.now.AddDate(-g.rng.IntN(25), 0, -g.rng.IntN(365))
				for _, m := range ms {
					if written >= peopleQuota {
						break
					}
					in := moved
					if b, _ := time.Parse(civic.DateLayout, m.p.BirthDate); b.After(in) {
						in = b
					}
					if h.use == civic.HouseRented || round > 0 {
						in = g.now.AddDate(0, -g.rng.IntN(36), -g.rng.IntN(28))
					}
					pp := m.p
					clear(prow)
					prow[0], prow[1], prow[2], prow[3], prow[4], prow[5] = pp.Name, "", pp.IDNumber, pp.Gender.Label().ZH, pp.BirthDate, pp.Phone
					prow[6], prow[7], prow[8], prow[9], prow[10] = pp.ResidenceType.Label().ZH, pp.Ethnic, pp.Workplace, tags(pp.Tags), grid
					prow[11], prow[12], prow[13], prow[14], prow[15], prow[16] = h.compound, h.building, h.unit, h.number, m.relation.Label().ZH, in.Format(civic.DateLayout)
					if err := pw.Write(prow); err != nil {
						return st, err
					}
					written++
					st.People++
				}
			}
		}
	}
	hw.Flush()
	pw.Flush()
	if err := hw.Error(); err != nil {
		return st, err
	}
	if err := pw.Error(); err != nil {
		return st, err
	}
	if err := hb.Flush(); err != nil {
		return st, err
	}
	return st, pb.Flush()
}

// Demo population size: tens of thousands of residents over the demo's
// 306 grids (about 65 a grid), small enough to import in a few seconds of
// the demo's start-up.
const (
	DemoHouses = 8000
	DemoPeople = 20000
)

// LoadPeople gives every grid of the demo city compounds (run by the
// street's property companies), buildings, houses and residents, through
// the import's bulk path as the system, exactly as an uploaded file would
// be imported.
func LoadPeople(ctx context.Context, s *store.Store, c City, seed uint64, now time.Time) error {
	var grids []string
	for _, r := range c.Regions {
		if r.Level == civic.LevelGrid {
			grids = append(grids, r.Code)
		}
	}
	companies := map[string][]string{}
	for _, o := range c.Orgs {
		if o.Kind == civic.OrgPropertyCompany {
			companies[o.RegionCode] = append(companies[o.RegionCode], o.Name)
		}
	}
	var houses, people bytes.Buffer
	_, err := WritePopulation(Population{Seed: seed, Grids: grids, Houses: DemoHouses, People: DemoPeople, Now: now,
		Property: func(grid string) []string { return companies[grid[:9]] }}, &houses, &people)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		kind civic.ImportKind
		name string
		data *bytes.Buffer
	}{{civic.ImportHouses, "demo-houses.csv", &houses}, {civic.ImportPeople, "demo-people.csv", &people}} {
		im, err := s.ImportNow(ctx, civic.System, f.kind, f.name, "csv", f.data, 0)
		if err != nil {
			return fmt.Errorf("import %s: %w", f.name, err)
		}
		if im.Rejected > 0 {
			return fmt.Errorf("import %s: %d rows rejected", f.name, im.Rejected)
		}
	}
	return nil
}
