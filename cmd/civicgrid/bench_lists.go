package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/demo"
	"github.com/civicgrid/civicgrid/internal/store"
)

// benchLists measures the queues people open all day — a handler's task
// list and a community dispatcher's queue — and a Chinese word search, on
// a SQLite demo city seeded with many synthetic cases (default 1,000,000).
func benchLists(ctx context.Context, args []string, env Env) error {
	var c config
	fs := newFlags("bench caselists", env, &c)
	n := fs.Int("cases", 1_000_000, "how many cases to seed")
	queries := fs.Int("queries", 200, "queries per scenario")
	keep := fs.String("keep", "", "keep the seeded database at this path (reused if it exists)")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, reuse, done, err := openBenchStore(ctx, env, c, "lists", *keep)
	if err != nil {
		return err
	}
	defer done()
	if !reuse {
		if err := demo.Load(ctx, st, demo.Generate(demoSeed)); err != nil {
			return fmt.Errorf("load demo city: %w", err)
		}
	}
	grids, _, err := st.ListRegions(ctx, civic.System, store.RegionFilter{Level: civic.LevelGrid, Page: store.Page{Limit: 10000}})
	if err != nil {
		return err
	}
	comms, _, err := st.ListRegions(ctx, civic.System, store.RegionFilter{Level: civic.LevelCommunity, Page: store.Page{Limit: 10000}})
	if err != nil {
		return err
	}
	streets, _, err := st.ListRegions(ctx, civic.System, store.RegionFilter{Level: civic.LevelStreet, Page: store.Page{Limit: 10000}})
	if err != nil {
		return err
	}
	orgs, _, err := st.ListOrganisations(ctx, civic.System, store.OrgFilter{Kind: civic.OrgDepartment, Page: store.Page{Limit: 10000}})
	if err != nil {
		return err
	}
	words := []string{"漏水", "电梯", "垃圾", "噪声", "路灯", "停车", "井盖", "占道", "暖气", "违建", "物业", "绿化", "小广告", "油烟", "积水"}
	phrases := []string{"楼道漏水严重", "电梯经常故障困人", "垃圾清运不及时有异味", "夜间施工噪声扰民", "路灯不亮存在安全隐患", "小区停车位被长期占用",
		"井盖缺失无人处理", "门口占道经营堵塞通行", "暖气不热室温偏低", "楼顶违建影响采光", "物业服务态度差", "绿化带长期无人养护",
		"墙面乱贴小广告", "餐馆油烟直排扰民", "雨后路面积水严重"}
	states := []string{"visited", "visited", "visited", "visited", "visited", "visited", "closed", "closed", "in_progress", "in_progress",
		"dispatched", "dispatched", "handled", "reported", "accepted", "rejected"}
	fmt.Fprintf(env.Stdout, "civicgrid bench caselists — %d CPU, %s, SQLite WAL synchronous=FULL, %d cases\n", runtime.NumCPU(), versionString(), *n)
	if !reuse {
		rng := rand.New(rand.NewPCG(11, 29))
		start := time.Now()
		now := time.Now().UTC()
		err = st.SeedBenchCases(ctx, *n, func(i int) store.BenchCase {
			g := grids[rng.IntN(len(grids))]
			k := rng.IntN(len(phrases))
			bc := store.BenchCase{State: states[rng.IntN(len(states))], Category: "0101", Title: phrases[k], Desc: g.Name + "附近" + phrases[(k+rng.IntN(3))%len(phrases)],
				Region: g.Code, Lng: g.CenterLng, Lat: g.CenterLat, CreatedAt: now.Add(-time.Duration(rng.IntN(365*24*60)) * time.Minute)}
			if rng.IntN(2) == 0 && len(orgs) > 0 {
				bc.HandlerOrgID = orgs[rng.IntN(len(orgs))].ID
			} else {
				bc.HandlerRegion = g.Code[:12]
			}
			if bc.State == "reported" || bc.State == "accepted" {
				bc.HandlerOrgID, bc.HandlerRegion = 0, ""
			}
			return bc
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "seeded %d cases in %v\n", *n, time.Since(start).Round(time.Second))
	}
	rng := rand.New(rand.NewPCG(5, 8))
	measure := func(name string, target time.Duration, q func() (int, error)) error {
		var ds []time.Duration
		rows := 0
		for i := 0; i < *queries; i++ {
			t := time.Now()
			k, err := q()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			ds = append(ds, time.Since(t))
			rows += k
		}
		slices.Sort(ds)
		p := func(f float64) time.Duration { return ds[int(f*float64(len(ds)-1))].Round(10 * time.Microsecond) }
		fmt.Fprintf(env.Stdout, "%s: p50 %v, p95 %v, max %v (target p95 < %v; %.0f rows per answer)\n", name, p(0.5), p(0.95), ds[len(ds)-1].Round(10*time.Microsecond), target, float64(rows)/float64(len(ds)))
		return nil
	}
	open := []civic.CaseState{civic.StateDispatched, civic.StateInProgress}
	err = measure("handler task list (organisation)", 50*time.Millisecond, func() (int, error) {
		o := orgs[rng.IntN(len(orgs))]
		a := civic.Actor{UserID: 1 << 40, Username: "bench", Role: civic.RoleHandler, Scope: civic.Scope{RegionCode: o.RegionCode, OrgID: o.ID}}
		cs, _, err := st.ListCases(ctx, a, store.CaseFilter{States: open, HandlerOrgID: o.ID})
		return len(cs), err
	})
	if err != nil {
		return err
	}
	err = measure("handler task list (community)", 50*time.Millisecond, func() (int, error) {
		cm := comms[rng.IntN(len(comms))]
		a := civic.Actor{UserID: 1 << 40, Username: "bench", Role: civic.RoleCommunityStaff, Scope: civic.Scope{RegionCode: cm.Code}}
		cs, _, err := st.ListCases(ctx, a, store.CaseFilter{States: open, HandlerRegion: cm.Code})
		return len(cs), err
	})
	if err != nil {
		return err
	}
	err = measure("dispatcher queue (community)", 50*time.Millisecond, func() (int, error) {
		cm := comms[rng.IntN(len(comms))]
		a := civic.Actor{UserID: 1 << 40, Username: "bench", Role: civic.RoleCommunityStaff, Scope: civic.Scope{RegionCode: cm.Code}}
		cs, _, err := st.ListCases(ctx, a, store.CaseFilter{States: []civic.CaseState{civic.StateReported, civic.StateAccepted}, Under: cm.Code})
		return len(cs), err
	})
	if err != nil {
		return err
	}
	return measure("Chinese word search (street)", 100*time.Millisecond, func() (int, error) {
		sr := streets[rng.IntN(len(streets))]
		a := civic.Actor{UserID: 1 << 40, Username: "bench", Role: civic.RoleStreetStaff, Scope: civic.Scope{RegionCode: sr.Code}}
		cs, _, err := st.ListCases(ctx, a, store.CaseFilter{Query: words[rng.IntN(len(words))]})
		return len(cs), err
	})
}
