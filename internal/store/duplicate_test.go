package store_test

import (
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// dupIssue is one problem as first reported and as a second reporter puts
// it in other words.
type dupIssue struct {
	title, desc     string
	title2, desc2   string
	categoryOfIssue string
}

// dupIssues are twenty everyday problems, each with a rephrased second
// report: the planted true duplicates.
var dupIssues = []dupIssue{
	{"3号楼前路灯不亮", "3号楼门前的路灯坏了好几天，晚上一片漆黑", "三号楼路灯坏了", "楼前路灯晚上不亮，走路看不见", "0101"},
	{"东门井盖丢失", "小区东门外人行道井盖丢了，很危险", "东门人行道上井盖没有了", "井盖丢失，有人差点掉下去", "0102"},
	{"垃圾桶满了没人清运", "菜市场旁边垃圾桶已经满了三天，没人清运，臭味很大", "菜市场垃圾没人清运", "垃圾堆满了，味道很臭", "0101"},
	{"夜间施工噪音扰民", "工地每天晚上十一点后还在施工，噪音很大", "工地晚上施工太吵", "半夜施工噪音扰民，睡不着觉", "0102"},
	{"路口有摊贩占道经营", "早上路口摊贩占用人行道卖菜", "摊贩占道卖菜", "人行道被卖菜的摊贩占了", "0101"},
	{"楼道堆放杂物", "2单元楼道里堆满纸箱和旧家具，堵住消防通道", "2单元楼道杂物堵塞", "楼道纸箱旧家具太多，消防通道被堵", "0102"},
	{"楼上漏水到我家", "楼上卫生间漏水，我家天花板一直滴水", "天花板漏水", "楼上卫生间往下漏水，天花板滴水", "0101"},
	{"小区突然停水", "小区从早上开始停水，没有任何通知", "小区停水没通知", "今天一早就停水了，物业也没通知", "0102"},
	{"大树枝条快断了", "路边大树有根树枝快断了，随时可能砸到人", "树枝要断了很危险", "路边树枝断裂悬挂，怕砸到行人", "0101"},
	{"共享单车乱停放", "地铁口共享单车乱停，堵住了出口", "地铁口单车堆满", "共享单车乱停堵住地铁出口", "0102"},
	{"电梯经常故障", "5号楼电梯这周坏了三次，老人上下楼很困难", "5号楼电梯又坏了", "电梯故障停运，老人没法下楼", "0101"},
	{"下水道堵塞污水外溢", "小区南侧下水道堵了，污水漫到路面", "南边下水道污水冒出来", "下水道堵塞，路面全是污水", "0102"},
	{"消防通道违章停车", "消防通道上长期停着几辆私家车", "私家车占用消防通道", "消防通道被车堵死了", "0101"},
	{"遛狗不拴绳", "小区花园里很多人遛狗不拴绳，孩子被吓到", "花园遛狗不牵绳", "狗没拴绳到处跑，吓到小孩", "0102"},
	{"暖气不热", "家里暖气片一直不热，室温只有十五度", "暖气温度太低", "暖气不热，屋里很冷", "0101"},
	{"饭店油烟扰民", "楼下饭店排油烟直冲居民窗户", "楼下餐馆油烟太大", "饭店油烟熏到家里，窗户都不敢开", "0102"},
	{"人行道地砖破损", "学校门口人行道地砖松动破损，容易绊倒", "学校门口地砖坏了", "人行道地砖翘起来，学生容易摔倒", "0101"},
	{"小广告乱贴", "单元门上贴满了开锁小广告", "单元门小广告", "楼门口到处贴小广告", "0102"},
	{"雨后路面积水", "下雨后路口积水很深，车辆行人无法通行", "路口积水严重", "一下雨路口就积水，过不去", "0101"},
	{"健身器材损坏", "公园健身器材螺丝松了，有安全隐患", "公园健身器材坏了", "健身器材松动，老人锻炼不安全", "0102"},
}

// metresLng/Lat turn metres into degrees near latitude 39.
const (
	degPerMLat = 1 / 111320.0
	degPerMLng = 1 / 86500.0
)

// TestDuplicateFinderPlanted plants twenty true duplicates among
// distractors and measures the finder: each issue's first report sits at
// its own place, with two other problems reported within 60 m (same
// place, different issue), the same problem finished (closed), merged,
// reported 20 days ago (outside the window) and reported 2 km away; 200
// more cases lie far from every draft. The rephrased second report, typed
// up to 90 m away, is the draft. It checks recall of the first report in
// the top 3 (≥ 0.9), the precision of everything offered (≥ 0.8), and
// that no finished, merged, too old, too far or out-of-scope case is ever
// offered.
func TestDuplicateFinderPlanted(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		now := clock.T
		rng := rand.New(rand.NewSource(6))
		file := func(a civic.Actor, title, desc, cat string, lng, lat float64, ago time.Duration) civic.Case {
			t.Helper()
			clock.T = now.Add(-ago)
			defer func() { clock.T = now }()
			c, _, err := s.SubmitCase(ctx, a, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: cat, Title: title, Description: desc,
				HasLocation: true, Lng: lng, Lat: lat})
			if err != nil {
				t.Fatalf("file %s: %v", title, err)
			}
			return c
		}
		hours := func(h int) time.Duration { return time.Duration(h) * time.Hour }
		truth := map[int]int64{}    // issue → its first report
		never := map[int64]string{} // cases that must never be offered, and why
		for i, is := range dupIssues {
			lng, lat := 116.02+0.0095*float64(i), 39.1
			truth[i] = file(w.resident, is.title, is.desc, is.categoryOfIssue, lng, lat, hours(24+rng.Intn(24*10))).ID
			for _, k := range []int{(i + 1) % len(dupIssues), (i + 7) % len(dupIssues)} {
				o := dupIssues[k]
				file(w.resident, o.title, o.desc, o.categoryOfIssue, lng+float64(rng.Intn(120)-60)*degPerMLng, lat+float64(rng.Intn(120)-60)*degPerMLat, hours(rng.Intn(24*7)))
			}
			// The same problem reported before and already finished.
			done := file(w.resident, is.title, is.desc, "0101", lng+20*degPerMLng, lat, hours(24*5))
			w.act(t, w.handler, done.ID, store.CaseInput{Action: civic.ActClaim})
			w.act(t, w.handler, done.ID, store.CaseInput{Action: civic.ActHandle, Note: "已处理"})
			w.act(t, w.grid, done.ID, store.CaseInput{Action: civic.ActVerifyPass})
			never[done.ID] = "closed"
			// The same problem merged into the first report.
			m := file(w.resident, is.title, is.desc, is.categoryOfIssue, lng, lat+10*degPerMLat, hours(24))
			w.act(t, w.street, m.ID, store.CaseInput{Action: civic.ActMerge, MergeInto: truth[i]})
			never[m.ID] = "merged"
			never[file(w.resident, is.title, is.desc, is.categoryOfIssue, lng, lat, hours(24*20)).ID] = "20 days old"
			never[file(w.resident, is.title, is.desc, is.categoryOfIssue, lng, lat+2000*degPerMLat, hours(24)).ID] = "2 km away"
		}
		for range 200 {
			o := dupIssues[rng.Intn(len(dupIssues))]
			file(w.resident, o.title, o.desc, o.categoryOfIssue, 116.0+rng.Float64()*0.24, 39.3+rng.Float64()*0.19, hours(rng.Intn(24*14)))
		}

		var hits, offered, right int
		for i, is := range dupIssues {
			lng, lat := 116.02+0.0095*float64(i), 39.1
			d := civic.DuplicateDraft{Title: is.title2, Description: is.desc2, HasLocation: true,
				Lng: lng + float64(rng.Intn(120)-60)*degPerMLng, Lat: lat + float64(rng.Intn(120)-60)*degPerMLat}
			if i%2 == 0 {
				d.CategoryCode = is.categoryOfIssue // half the drafts come without a category
			}
			ms, err := s.FindDuplicates(ctx, w.grid, d, civic.DuplicateParams{})
			if err != nil {
				t.Fatalf("find for %s: %v", is.title2, err)
			}
			for k, m := range ms {
				if why, bad := never[m.ID]; bad {
					t.Errorf("%s: offered %s (%s)", is.title2, m.Title, why)
				}
				if m.ID == truth[i] && k < 3 {
					hits++
				}
				offered++
				if m.ID == truth[i] {
					right++
				} else {
					t.Logf("%s: also offered %q %+v", is.title2, m.Title, m.Match)
				}
				if m.Description == "" || m.Number == "" || m.Reporters < 1 || m.Match.Score <= 0 || !m.Match.HasDistance {
					t.Errorf("%s: match lacks its parts: %+v", is.title2, m)
				}
			}
			if len(ms) == 0 || ms[0].ID != truth[i] {
				t.Logf("%s: first report not first: %+v", is.title2, ms)
			}
		}
		recall := float64(hits) / float64(len(dupIssues))
		precision := float64(right) / float64(max(offered, 1))
		t.Logf("planted duplicates: recall@3 %.2f (%d/%d), precision %.2f (%d/%d)", recall, hits, len(dupIssues), precision, right, offered)
		if recall < 0.9 || precision < 0.8 {
			t.Fatalf("recall@3 %.2f (want ≥ 0.9), precision %.2f (want ≥ 0.8)", recall, precision)
		}
		// The merged reporter counts on the first report.
		ms, err := s.FindDuplicates(ctx, w.grid, civic.DuplicateDraft{Title: dupIssues[0].title2, HasLocation: true, Lng: 116.02, Lat: 39.1}, civic.DuplicateParams{})
		if err != nil || len(ms) == 0 || ms[0].ID != truth[0] || ms[0].Reporters != 2 {
			t.Fatalf("first report with its merged reporter: %+v %v", ms, err)
		}
	})
}

// TestDuplicateFinderScope: a staff member is never offered a case
// outside their scope, a resident is offered nearby open cases without
// their text, and an existing case finds its duplicates but not itself.
func TestDuplicateFinderScope(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		file := func(lng float64) civic.Case {
			c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0102", Title: "东门井盖丢失",
				Description: "小区东门外人行道井盖丢了", HasLocation: true, Lng: lng, Lat: 39.3})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		// Grid 1 ends at 116.25: one report 20 m inside, one 20 m outside.
		in, out := file(116.2498), file(116.2502)
		if in.RegionCode != grid1 || out.RegionCode != grid2 {
			t.Fatalf("regions %s %s", in.RegionCode, out.RegionCode)
		}
		draft := civic.DuplicateDraft{Title: "东门井盖没了", HasLocation: true, Lng: 116.2499, Lat: 39.3}
		ids := func(a civic.Actor) map[int64]civic.Duplicate {
			t.Helper()
			ms, err := s.FindDuplicates(ctx, a, draft, civic.DuplicateParams{})
			if err != nil {
				t.Fatalf("find as %s: %v", a.Username, err)
			}
			m := map[int64]civic.Duplicate{}
			for _, d := range ms {
				m[d.ID] = d
			}
			return m
		}
		if got := ids(w.grid); len(got) != 1 || got[in.ID].ID == 0 {
			t.Fatalf("grid 1 worker sees only the case in grid 1: %+v", got)
		}
		if got := ids(w.outsider); len(got) != 1 || got[out.ID].ID == 0 {
			t.Fatalf("grid 2 worker sees only the case in grid 2: %+v", got)
		}
		if got := ids(w.street); len(got) != 2 {
			t.Fatalf("street sees both: %+v", got)
		}
		if got := ids(w.otherHandler); len(got) != 0 {
			t.Fatalf("a property company the cases are not dispatched to sees none: %+v", got)
		}
		got := ids(w.resident)
		if len(got) != 2 || got[in.ID].Description != "" || got[in.ID].Number != "" || got[in.ID].Title == "" {
			t.Fatalf("resident sees nearby open cases, titles only: %+v", got)
		}
		if _, err := s.FindDuplicates(ctx, w.resident, civic.DuplicateDraft{Title: "井盖", RegionCode: grid1}, civic.DuplicateParams{}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("resident without a point: %v", err)
		}
		// Region only (a hotline call without a map point).
		ms, err := s.FindDuplicates(ctx, w.operator, civic.DuplicateDraft{Title: "东门井盖丢了", RegionCode: grid2}, civic.DuplicateParams{})
		if err != nil || len(ms) != 1 || ms[0].ID != out.ID || ms[0].Match.HasDistance || ms[0].Match.Place != 0.5 {
			t.Fatalf("region-only draft: %+v %v", ms, err)
		}
		// An existing case's duplicates, not itself; out of scope 404.
		ms, err = s.CaseDuplicates(ctx, w.street, in.ID, civic.DuplicateParams{})
		if err != nil || len(ms) != 1 || ms[0].ID != out.ID {
			t.Fatalf("case duplicates: %+v %v", ms, err)
		}
		if _, err := s.CaseDuplicates(ctx, w.grid, out.ID, civic.DuplicateParams{}); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("out of scope case: %v", err)
		}
		if _, err := s.CaseDuplicates(ctx, w.resident, in.ID, civic.DuplicateParams{}); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("resident asks for a case's duplicates: %v", err)
		}
		if ms, err := s.CaseDuplicates(ctx, w.grid, in.ID, civic.DuplicateParams{}); err != nil || len(ms) != 0 {
			t.Fatalf("grid 1 worker: the duplicate across the border is not theirs: %+v %v", ms, err)
		}
	})
}

// TestHotspotDuplicates: within a 多人同诉 cluster, the two reports of one
// problem in other words are marked as one set of near duplicates, the
// third (another problem at the same spot) and a finished case are not.
func TestHotspotDuplicates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		w := mustHotspotWorld(t, s, clock)
		ctx := context.Background()
		now := clock.T
		file := func(a civic.Actor, title string, lng float64, ago time.Duration) civic.Case {
			t.Helper()
			clock.T = now.Add(-ago)
			defer func() { clock.T = now }()
			c, _, err := s.SubmitCase(ctx, a, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0102", Title: title, HasLocation: true, Lng: lng, Lat: 39.2})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		a := file(w.residents[0], "2单元楼道堆放纸箱杂物", 116.1, 3*day)
		b := file(w.residents[1], "楼道纸箱杂物堵塞通道", 116.1003, 2*day)
		file(w.residents[2], "小区路灯晚上不亮", 116.1001, 1*day)
		hs := mustDetect(t, s, w.community, "", civic.HotspotParams{MinCases: 3, MinReporters: 3}, civic.HotspotCluster)
		if len(hs) != 1 || len(hs[0].Cases) != 3 {
			t.Fatalf("one cluster of three: %+v", hs)
		}
		if fmt.Sprint(hs[0].Duplicates) != fmt.Sprint([][]int64{{a.ID, b.ID}}) {
			t.Fatalf("duplicate sets: %v, want [[%d %d]]", hs[0].Duplicates, a.ID, b.ID)
		}
		for _, c := range hs[0].Cases {
			if want := map[bool]int{true: 1, false: 0}[c.ID == a.ID || c.ID == b.ID]; c.DuplicateGroup != want {
				t.Errorf("case %s group %d, want %d", c.Title, c.DuplicateGroup, want)
			}
		}
	})
}
