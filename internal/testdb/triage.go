package testdb

import (
	"context"
	"fmt"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// Triage themes for tests that train a classifier: each is a distinct kind
// of problem residents write about, in varied wording.
const (
	ThemeVending = "vending" // 占道经营
	ThemeClutter = "clutter" // 楼道堆物
	ThemeNoise   = "noise"   // 噪音扰民
)

var triagePhrases = map[string][]string{
	ThemeVending: {"路边摊贩占道经营", "早市小贩占用人行道摆摊", "流动摊点堵住路口", "商户把货物摆到门外占道", "夜市烧烤摊占用马路", "水果摊占用盲道"},
	ThemeClutter: {"楼道里堆满纸箱杂物", "消防通道被旧家具堵住", "邻居在楼梯间堆放杂物", "楼道堆放电动车和废品", "单元门口堆了很多垃圾袋", "楼梯拐角堆着旧床垫"},
	ThemeNoise:   {"楼上装修噪音太大", "深夜广场舞音响扰民", "工地夜间施工噪音", "酒吧音乐声太吵睡不着", "邻居半夜大声喧哗", "空调外机噪音扰民"},
}

var triagePlaces = []string{"和平里", "东四", "交道口", "安定门", "北新桥", "景山", "什刹海", "东华门", "朝阳门", "建国门", "前门", "崇文门"}

// TriageText is the i-th title and description of a theme: the same theme
// always reads alike, and no two of its texts are the same.
func TriageText(theme string, i int) (title, description string) {
	ps := triagePhrases[theme]
	p := ps[i%len(ps)]
	place := triagePlaces[(i/len(ps))%len(triagePlaces)]
	return place + p, fmt.Sprintf("%s小区%d号楼附近%s，已经好几天了，希望尽快处理。", place, i%9+1, p)
}

// MustClosedCases files n cases of each theme in region, each in the
// category codes gives it, answered on the hotline at once: closed cases
// whose category is the one staff settled on, for a model to learn from.
func MustClosedCases(tb testing.TB, s *store.Store, region string, codes map[string]string, n int) {
	tb.Helper()
	ctx := context.Background()
	loc := s.NewLocator(0)
	k := 0
	for _, theme := range []string{ThemeVending, ThemeClutter, ThemeNoise} {
		code, ok := codes[theme]
		if !ok {
			continue
		}
		for i := 0; i < n; i++ {
			k++
			title, desc := TriageText(theme, i)
			_, _, err := s.SubmitCase(ctx, civic.System, loc, store.NewCase{Source: civic.SourceHotline, CategoryCode: code, Title: title, Description: desc,
				RegionCode: region, ReporterPhone: fmt.Sprintf("139%08d", k), AnsweredDirectly: true, Answer: "已答复"})
			if err != nil {
				tb.Fatalf("closed case %d: %v", k, err)
			}
		}
	}
}
