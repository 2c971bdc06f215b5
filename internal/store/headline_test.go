package store

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestHeadline(t *testing.T) {
	for _, c := range []struct{ desc, want string }{
		{"小区门口路灯不亮。已经三天了", "小区门口路灯不亮"},
		// A letter's address and greeting are not its subject.
		{"尊敬的王局长：您好！我们小区的电梯坏了一个月。物业不修", "我们小区的电梯坏了一个月"},
		{"厅长，您好！我是一名退休教师", "我是一名退休教师"},
		{"尊敬C市政府，市长领导，城乡集中居住规划已经出来", "城乡集中居住规划已经出来"},
		{"K8县东溪街道办事处领导：我因公出差经过贾家村，全村臭气连天", "我因公出差经过贾家村，全村臭气连天"},
		{"邓书记： 您好！日月星城KTV营业时噪音太大", "日月星城KTV营业时噪音太大"},
		// Nor is the operator's note of who called.
		{"来电人反映：A5区楚府线路灯不亮。", "A5区楚府线路灯不亮"},
		{"市民来电称，小区门口积水严重", "小区门口积水严重"},
		{"居民反映小区门口积水严重", "居民反映小区门口积水严重"},
		// A first clause that only sounds like one stays.
		{"市政府门口路灯不亮，晚上很黑", "市政府门口路灯不亮，晚上很黑"},
		{"小区环境不好，垃圾没人清", "小区环境不好，垃圾没人清"},
		// Long: cut at the last comma within the limit, else with an ellipsis.
		{"我是一名建筑工人，于05年办理特种工退休时，K1区社保中心要我们补买了社保", "我是一名建筑工人，于05年办理特种工退休时"},
		{"一项在六年前耗巨资建成的楚江世纪城沿江风光带四公里长的亮化惠民工程由于无人维护", "一项在六年前耗巨资建成的楚江世纪城沿江风光带四公里长的亮化惠…"},
		{"请问二级造价师考试今年是否会开考？准备工作进度如何？", "请问二级造价师考试今年是否会开考"},
		{"第一行没有句号\n第二行", "第一行没有句号"},
		// Only a greeting: it is all there is.
		{"您好！", "您好"},
		{"   ", ""},
	} {
		got := headline(c.desc)
		if got != c.want {
			t.Errorf("headline(%q) = %q, want %q", c.desc, got, c.want)
		}
		if n := utf8.RuneCountInString(strings.TrimSuffix(got, "…")); n > headlineMax {
			t.Errorf("headline(%q) has %d characters", c.desc, n)
		}
	}
}

// TestDupTermsDerivedTitle: a title intake took from the description adds
// nothing to what the duplicate finder compares, so an untitled letter
// scores against its filed copy as against the same untitled text, while
// a title the resident wrote still counts.
func TestDupTermsDerivedTitle(t *testing.T) {
	desc := "尊敬的领导：您好！我们小区的电梯坏了一个月，物业一直不修，老人上不了楼。"
	plain := dupTerms("", desc)
	if got := dupTerms(headline(desc), desc); strings.Join(got, " ") != strings.Join(plain, " ") {
		t.Fatalf("derived title counted: %d terms, want %d", len(got), len(plain))
	}
	if got := dupTerms("电梯故障", desc); len(got) <= len(plain) {
		t.Fatalf("a written title must add its terms: %d terms, untitled %d", len(got), len(plain))
	}
	vecs := tfidf([][]string{plain, dupTerms(headline(desc), desc), dupTerms("电梯故障", desc)})
	if c := cosine(vecs[0], vecs[1]); c < 0.999 {
		t.Fatalf("untitled letter against its filed copy: cosine %.3f, want 1", c)
	}
}

// TestCleanText: text arguments lose their NUL characters and bytes that
// are not UTF-8 on the way to either engine (PostgreSQL refuses both in
// text); nothing else changes, and the caller's arguments are not touched.
func TestCleanText(t *testing.T) {
	args := []any{int64(1), "甲\x00乙", "clean", []byte{0}, "丙\xff\xfe丁"}
	got := cleanArgs(args)
	if got[1] != "甲\uFFFD乙" || got[2] != "clean" || got[0] != int64(1) || args[1] != "甲\x00乙" || got[4] != "丙\uFFFD丁" {
		t.Fatalf("cleanArgs: %q (args %q)", got, args)
	}
	if clean := []any{"a", 2}; &cleanArgs(clean)[0] != &clean[0] {
		t.Fatal("clean arguments are copied")
	}
}

// TestCleanTextTimes: times go to the database in UTC, so that SQLite,
// which compares the text it keeps, orders the same instant the same way
// whatever zone it was written in; the caller's arguments are not touched,
// and UTC times pass without a copy.
func TestCleanTextTimes(t *testing.T) {
	china := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 3, 10, 10, 0, 0, 0, china)
	args := []any{at, &at, (*time.Time)(nil), "x"}
	got := cleanArgs(args)
	if g := got[0].(time.Time); g.Location() != time.UTC || !g.Equal(at) {
		t.Fatalf("a time at +08:00 went as %v", g)
	}
	if g := got[1].(*time.Time); g.Location() != time.UTC || !g.Equal(at) || args[1].(*time.Time).Location() != china {
		t.Fatalf("a *time.Time at +08:00 went as %v (the caller's now %v)", g, args[1])
	}
	if got[2].(*time.Time) != nil || args[0].(time.Time).Location() != china {
		t.Fatalf("nil or the caller's time changed: %v %v", got[2], args[0])
	}
	// Stored as SQLite keeps them, the UTC text orders with other UTC text.
	earlier := time.Date(2026, 3, 10, 2, 30, 0, 0, time.UTC) // 10:30 in China
	if a, b := got[0].(time.Time).Format("2006-01-02 15:04:05-07:00"), earlier.Format("2006-01-02 15:04:05-07:00"); !(a < b) {
		t.Fatalf("%s should sort before %s", a, b)
	}
	if clean := []any{earlier, "a"}; &cleanArgs(clean)[0] != &clean[0] {
		t.Fatal("UTC times are copied")
	}
}
