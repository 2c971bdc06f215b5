package civic

import (
	"math"
	"testing"
	"time"
)

func TestParseNumber(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"116.32", 116.32, true}, {" -39.5 ", -39.5, true}, {"1e3", 1000, true},
		{"NaN", 0, false}, {"nan", 0, false}, {"Inf", 0, false}, {"-Infinity", 0, false}, {"1e999", 0, false}, {"", 0, false}, {"abc", 0, false},
	} {
		got, err := ParseNumber(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseNumber(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if InRange(math.NaN(), -1, 1) {
		t.Error("InRange took NaN")
	}
}

func TestInvisibleControls(t *testing.T) {
	for in, want := range map[string]string{
		"幸福里东门":                 "幸福里东门",
		"第一行\r\n第二行\t缩进":        "第一行\r\n第二行\t缩进",
		"a\x00b\x01c\x1bd\x7fe": "abcde",
		"名\u0085字":              "名字",
		"evil\u202etxt.exe":     "eviltxt.exe",
		"\u2066隔离\u2069":        "隔离",
		"👨\u200d👩":              "👨\u200d👩", // joiners make emoji, not tricks
	} {
		if got := StripInvisibleControls(in); got != want {
			t.Errorf("StripInvisibleControls(%q) = %q, want %q", in, got, want)
		}
		if HasInvisibleControl(in) != (in != want) {
			t.Errorf("HasInvisibleControl(%q) wrong", in)
		}
	}
}

func TestClipAndPlausibleYear(t *testing.T) {
	if got := Clip("一二三四五", 3); got != "一二三…" {
		t.Errorf("Clip = %q", got)
	}
	if got := Clip("一二", 3); got != "一二" {
		t.Errorf("Clip short = %q", got)
	}
	for y, want := range map[int]bool{1949: false, 1950: true, 2026: true, 2100: true, 2101: false, 9999: false} {
		if PlausibleYear(time.Date(y, 6, 1, 0, 0, 0, 0, time.UTC)) != want {
			t.Errorf("PlausibleYear(%d) != %v", y, want)
		}
	}
}

func TestMaskNumbersInText(t *testing.T) {
	for in, want := range map[string]string{
		"请联系张三13912345678家门口井盖丢失": "请联系张三139****5678家门口井盖丢失",
		"身份证110101199001011234":   "身份证1****************4",
		"身份证11010119900101123X":   "身份证1****************X",
		"座机 62345678，3号楼2单元":      "座机 ******78，3号楼2单元",
		"2026年3月，5栋101室":          "2026年3月，5栋101室",
		"13912345678号":            "139****5678号",
		"无号码的文字":                  "无号码的文字",
	} {
		if got := MaskNumbersInText(in); got != want {
			t.Errorf("MaskNumbersInText(%q) = %q, want %q", in, got, want)
		}
	}
}
