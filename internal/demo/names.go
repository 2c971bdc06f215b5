package demo

import (
	"fmt"
	"math/rand/v2"
)

// districtSpec describes one district. Codes are GB/T 2260 and the street
// codes are the real township codes; communities below them are plausible
// names of the neighbourhood, numbered 001–004 for the demo.
type districtSpec struct {
	code, name, short string
	cols              [2]int       // lattice columns [from, to)
	roads             []string     // for the departments' addresses
	streets           []streetSpec // south to north
}

type streetSpec struct {
	code, name  string
	road        string    // the street office's address
	communities [4]string // north-west, north-east, south-west, south-east
}

// districts follow the real map: 西城 west of 东城, and within each district
// the streets from south to north roughly as they lie. Districts are listed
// by code, which is also the order their regions are written in.
var districts = []districtSpec{
	{
		code: "110101", name: "东城区", short: "东城", cols: [2]int{10, 20},
		roads: []string{"东四北大街", "朝阳门南小街", "东直门南大街", "东单北大街", "安定门东大街"},
		streets: []streetSpec{
			{"110101001", "东华门街道", "南河沿大街", [4]string{"北池子社区", "南池子社区", "韶九社区", "多福巷社区"}},
			{"110101002", "景山街道", "景山东街", [4]string{"黄化门社区", "吉祥社区", "钟鼓社区", "汪芝麻社区"}},
			{"110101003", "交道口街道", "交道口南大街", [4]string{"南锣鼓巷社区", "菊儿社区", "府学社区", "交东社区"}},
		},
	},
	{
		code: "110102", name: "西城区", short: "西城", cols: [2]int{0, 10},
		roads: []string{"西直门内大街", "德胜门外大街", "地安门西大街", "阜成门内大街", "西单北大街"},
		streets: []streetSpec{
			{"110102001", "西长安街街道", "府右街", [4]string{"府右街社区", "六部口社区", "西交民巷社区", "和平门社区"}},
			{"110102007", "展览路街道", "百万庄大街", [4]string{"百万庄社区", "三里河社区", "车公庄社区", "榆树馆社区"}},
			{"110102003", "新街口街道", "新街口北大街", [4]string{"玉桃园社区", "官园社区", "西四北头条社区", "前公用社区"}},
		},
	},
}

const (
	cityCode = "1101"
	cityName = "北京市"
)

// departments every district runs; %s is the district's name or short name.
// These are the bodies a street "whistles" for (吹哨报到) most often.
var departments = []struct{ pattern, which string }{
	{"北京市%s城市管理委员会", "name"},
	{"北京市%s住房和城市建设委员会", "name"},
	{"北京市%s市场监督管理局", "name"},
	{"北京市%s卫生健康委员会", "name"},
	{"北京市%s园林绿化局", "name"},
	{"北京市%s城市管理综合行政执法局", "name"},
	{"北京市%s水务局", "name"},
	{"北京市公安局%s分局", "short"},
	{"北京市公安局公安交通管理局%s交通支队", "short"},
	{"北京市生态环境局%s分局", "short"},
	{"北京市交通委员会%s运输管理分局", "short"},
	{"北京市%s人力资源和社会保障局", "name"},
	{"北京市%s教育委员会", "name"},
	{"北京市%s文化和旅游局", "name"},
}

// policeDepartment is the index in departments of the district's police
// branch, which employs the grid police officers.
const policeDepartment = 7

// propertyBrands are invented trade names for property companies; each is
// used at most once so that a company's name identifies it.
var propertyBrands = []string{
	"嘉诚", "首安", "鸿运", "瑞祥", "德润", "恒泰", "安居乐", "和鑫", "京城佳", "福瑞",
	"宏达", "永安", "裕华", "祥和", "信达", "金厦", "华府", "长青", "顺天", "四合",
}

// coBuilding are a few co-building units (共建单位) keyed by street code: the
// schools, libraries and venues that sign joint-work agreements with a
// street.
var coBuilding = map[string][]string{
	"110101001": {"北京市东城区第一图书馆"},
	"110101003": {"北京市府学胡同小学", "北京市东城区南锣鼓巷商会"},
	"110102001": {"北京市西城区第一文化馆"},
	"110102007": {"北京展览馆"},
}

// surnames with their approximate share (per mille) of the population, so
// that 王 and 李 dominate as they do in any Chinese staff list.
var surnames = []struct {
	s string
	w int
}{
	{"王", 71}, {"李", 70}, {"张", 67}, {"刘", 54}, {"陈", 45}, {"杨", 31}, {"赵", 23}, {"黄", 22},
	{"周", 21}, {"吴", 20}, {"徐", 17}, {"孙", 15}, {"胡", 13}, {"朱", 12}, {"高", 12}, {"林", 12},
	{"何", 12}, {"郭", 11}, {"马", 11}, {"罗", 9}, {"梁", 8}, {"宋", 8}, {"郑", 8}, {"谢", 7},
	{"韩", 7}, {"唐", 7}, {"冯", 7}, {"于", 6}, {"董", 6}, {"程", 5}, {"曹", 5}, {"袁", 5},
	{"邓", 5}, {"许", 5}, {"傅", 4}, {"沈", 4}, {"曾", 4}, {"彭", 4}, {"吕", 4}, {"苏", 4},
	{"卢", 4}, {"蒋", 4}, {"蔡", 4}, {"贾", 3}, {"丁", 3}, {"魏", 3}, {"薛", 3}, {"叶", 3},
	{"阎", 3}, {"潘", 3}, {"杜", 3}, {"戴", 3}, {"夏", 3}, {"田", 3}, {"任", 3}, {"姜", 3},
	{"范", 3}, {"方", 3}, {"石", 3}, {"姚", 3}, {"孟", 2}, {"白", 2}, {"崔", 2}, {"康", 2},
	{"秦", 2}, {"史", 2}, {"顾", 2}, {"侯", 2}, {"邵", 2}, {"常", 2}, {"武", 2}, {"乔", 2},
}

var surnameTotal = func() int {
	t := 0
	for _, s := range surnames {
		t += s.w
	}
	return t
}()

// Given names: a single character, a common two-character name, or a
// generation character (辈分字) followed by a second one — the three shapes
// that make up nearly all names of people born 1955–2000.
var (
	singleNames = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞", "平", "刚", "鹏", "琳", "颖", "斌", "博", "萍", "亮", "蕾"}
	fixedNames  = []string{"秀英", "秀兰", "桂英", "建国", "建华", "国强", "志强", "淑珍", "玉兰", "海燕", "桂兰", "秀珍", "凤英", "玉梅", "丽娟", "红梅", "志刚", "建军", "卫东", "振华", "晓东", "雪梅", "金凤", "永红", "立新"}
	firstChars  = []string{"建", "志", "国", "晓", "海", "春", "红", "丽", "文", "立", "宇", "思", "子", "雨", "嘉", "俊", "明", "秀", "玉", "德"}
	secondChars = []string{"华", "明", "平", "强", "红", "芳", "燕", "军", "伟", "婷", "涵", "轩", "琳", "杰", "峰", "磊", "敏", "宁", "辉", "霞"}
)

// mobilePrefixes are the first three digits of mainland mobile numbers across
// the three carriers.
var mobilePrefixes = []string{
	"130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
	"150", "151", "152", "153", "155", "156", "157", "158", "159",
	"170", "173", "176", "177", "178", "180", "181", "185", "186", "187", "188", "189", "191", "199",
}

// people hands out names and numbers. Numbers never repeat, because in a
// ledger a shared number would look like one person filed twice.
type people struct {
	rng    *rand.Rand
	phones map[string]bool
}

func newPeople(rng *rand.Rand) *people { return &people{rng: rng, phones: map[string]bool{}} }

func (p *people) name() string {
	n := p.rng.IntN(surnameTotal)
	sur := surnames[len(surnames)-1].s
	for _, s := range surnames {
		if n < s.w {
			sur = s.s
			break
		}
		n -= s.w
	}
	switch r := p.rng.IntN(100); {
	case r < 30:
		return sur + pick(p.rng, singleNames)
	case r < 55:
		return sur + pick(p.rng, fixedNames)
	default:
		return sur + pick(p.rng, firstChars) + pick(p.rng, secondChars)
	}
}

func (p *people) mobile() string {
	for {
		m := pick(p.rng, mobilePrefixes) + fmt.Sprintf("%08d", p.rng.IntN(100000000))
		if !p.phones[m] {
			p.phones[m] = true
			return m
		}
	}
}

// landline is a Beijing office number; eight-digit numbers there start
// with 5, 6 or 8.
func (p *people) landline() string {
	for {
		m := "010-" + pick(p.rng, []string{"5", "6", "8"}) + fmt.Sprintf("%07d", p.rng.IntN(10000000))
		if !p.phones[m] {
			p.phones[m] = true
			return m
		}
	}
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }
