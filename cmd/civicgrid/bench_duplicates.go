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

// benchDupTexts are the problems the synthetic cases are about.
var benchDupTexts = []string{
	"楼前路灯不亮", "人行道井盖丢失", "垃圾桶满了没人清运", "夜间施工噪音扰民", "路口摊贩占道经营",
	"楼道堆放杂物", "楼上卫生间漏水", "小区突然停水", "路边树枝快断了", "共享单车乱停放",
	"电梯经常故障", "下水道堵塞污水外溢", "消防通道违章停车", "遛狗不拴绳", "暖气不热",
	"饭店油烟扰民", "人行道地砖破损", "单元门小广告乱贴", "雨后路口积水", "公园健身器材损坏",
}

// benchDuplicates measures the duplicate finder (FindDuplicates) on a
// SQLite demo city seeded with many synthetic cases (default 150,000 over
// the last 90 days, a quarter of them open), for drafts typed at random
// places: city-wide for an operator and within one street.
func benchDuplicates(ctx context.Context, args []string, env Env) error {
	var c config
	fs := newFlags("bench duplicates", env, &c)
	n := fs.Int("cases", 150_000, "how many cases to seed over the last 90 days")
	runs := fs.Int("runs", 300, "drafts per scenario")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, _, done, err := openBenchStore(ctx, env, c, "duplicates", "")
	if err != nil {
		return err
	}
	defer done()
	if err := demo.Load(ctx, st, demo.Generate(demoSeed)); err != nil {
		return fmt.Errorf("load demo city: %w", err)
	}
	grids, _, err := st.ListRegions(ctx, civic.System, store.RegionFilter{Level: civic.LevelGrid, Page: store.Page{Limit: 10000}})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "civicgrid bench duplicates — %d CPU, %s, SQLite, %d cases in 90 days over %d grids\n", runtime.NumCPU(), versionString(), *n, len(grids))
	rng := rand.New(rand.NewPCG(23, 41))
	now := st.Now().UTC()
	states := []string{"visited", "visited", "closed", "dispatched", "in_progress", "visited", "merged", "visited"}
	start := time.Now()
	err = st.SeedBenchCases(ctx, *n, func(i int) store.BenchCase {
		g := grids[rng.IntN(len(grids))]
		t := benchDupTexts[rng.IntN(len(benchDupTexts))]
		// Spread over about a kilometre around the grid's centre.
		return store.BenchCase{State: states[rng.IntN(len(states))], Category: fmt.Sprintf("%02d%02d", 1+rng.IntN(9), 1+rng.IntN(6)),
			Title: t, Desc: t + "，已经好几天了，请尽快处理。", Region: g.Code, HandlerRegion: g.Code[:12],
			Lng: g.CenterLng + (rng.Float64()*2-1)*0.006, Lat: g.CenterLat + (rng.Float64()*2-1)*0.004,
			CreatedAt: now.Add(-time.Duration(rng.Int64N(int64(90 * 24 * time.Hour))))}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "seeded %d cases in %v\n", *n, time.Since(start).Round(time.Second))
	measure := func(name string, a civic.Actor, in []civic.Region) error {
		var ds []time.Duration
		found := 0
		for range *runs {
			g := in[rng.IntN(len(in))]
			t := benchDupTexts[rng.IntN(len(benchDupTexts))]
			d := civic.DuplicateDraft{Title: t, Description: "居民反映" + t, HasLocation: true,
				Lng: g.CenterLng + (rng.Float64()*2-1)*0.004, Lat: g.CenterLat + (rng.Float64()*2-1)*0.003}
			s := time.Now()
			ms, err := st.FindDuplicates(ctx, a, d, civic.DuplicateParams{})
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			ds = append(ds, time.Since(s))
			found += len(ms)
		}
		slices.Sort(ds)
		fmt.Fprintf(env.Stdout, "%s: median %v, p95 %v, max %v over %d drafts; %.1f matches per draft\n", name,
			ds[len(ds)/2].Round(10*time.Microsecond), ds[len(ds)*95/100].Round(10*time.Microsecond), ds[len(ds)-1].Round(10*time.Microsecond),
			len(ds), float64(found)/float64(len(ds)))
		return nil
	}
	city := grids[0].Code[:4]
	if err := measure("city-wide (operator)", civic.Actor{UserID: 1 << 40, Username: "bench", Role: civic.RoleOperator, Scope: civic.Scope{RegionCode: city}}, grids); err != nil {
		return err
	}
	street := grids[0].Code[:9]
	var mine []civic.Region
	for _, g := range grids {
		if g.Code[:9] == street {
			mine = append(mine, g)
		}
	}
	return measure("one street (street staff)", civic.Actor{UserID: 1 << 40, Username: "bench", Role: civic.RoleStreetStaff, Scope: civic.Scope{RegionCode: street}}, mine)
}
