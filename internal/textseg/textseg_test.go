package textseg

import (
	"reflect"
	"slices"
	"testing"
)

func TestTerms(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"han run", "路灯坏", []string{"路", "路灯", "灯", "灯坏", "坏"}},
		{"mixed", "3号楼A座漏水", []string{"3", "号", "号楼", "楼", "a", "座", "座漏", "漏", "漏水", "水"}},
		{"punctuation splits", "噪声，扰民", []string{"噪", "噪声", "声", "扰", "扰民", "民"}},
		{"phone stays whole", "电话13800001111", []string{"电", "电话", "话", "13800001111"}},
		{"repeats once", "好好", []string{"好", "好好"}},
		{"joined words", "Wi-Fi没信号", []string{"wi", "fi", "wifi", "没", "没信", "信", "信号", "号"}},
		{"letters and digits", "PM2.5超标", []string{"pm2", "pm", "2", "5", "pm25", "超", "超标", "标"}},
		{"a date", "2026/11/24", []string{"2026", "11", "24", "20261124"}},
		{"a lone hyphen is no joiner", "a - b", []string{"a", "b"}},
		{"two joiners are no joiner", "a--b.", []string{"a", "b"}},
		{"empty", " ,。", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Terms(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Terms(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestQuery(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"人行道", []string{"人行", "行道"}},
		{"灯", []string{"灯"}},
		{"电梯 故障", []string{"电梯", "故障"}},
		{"Wi-Fi坏了", []string{"wifi", "坏了"}},
		{"WIFI", []string{"wifi"}},
		{"e-mail", []string{"email"}},
		{"PM2.5", []string{"pm", "2", "5"}},
		{"PM", []string{"pm"}},
		{"2026-11-24", []string{"2026", "11", "24"}},
	}
	for _, tt := range tests {
		if got := Query(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Query(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Every query term of a text is among its index terms: a search for
	// any part of a text finds it.
	text := "小区门口每天早上有摊贩占用人行道"
	terms := map[string]bool{}
	for _, x := range Terms(text) {
		terms[x] = true
	}
	for _, q := range []string{"摊贩", "人行道", "门口每天", "占"} {
		for _, x := range Query(q) {
			if !terms[x] {
				t.Errorf("query %q term %q not indexed", q, x)
			}
		}
	}
	// Ways of writing one word find each other.
	for _, group := range [][]string{{"Wi-Fi", "WiFi", "wifi", "WI-FI", "wi.fi"}, {"PM2.5", "pm2.5", "PM 2.5", "PM2．5", "ＰＭ２．５"}, {"3号楼", "３号楼"}, {"E-mail", "email"}} {
		for _, text := range group {
			terms := map[string]bool{}
			for _, x := range Terms("小区" + text + "问题") {
				terms[x] = true
			}
			for _, q := range group {
				for _, x := range Query(q) {
					if !terms[x] {
						t.Errorf("query %q term %q not among the terms of %q", q, x, text)
					}
				}
			}
		}
	}
	for _, x := range Query("PM") {
		if !slices.Contains(Terms("PM2.5超标"), x) {
			t.Errorf("PM does not find PM2.5: %q", x)
		}
	}
}

func TestCompound(t *testing.T) {
	for in, want := range map[string]bool{"Wi-Fi": true, "PM2.5": true, "3号楼": false, "13800001111": false, "wifi 信号": false, "A座": false, "5G": true, "３号楼": true} {
		if got := Compound(in); got != want {
			t.Errorf("Compound(%q) = %v, want %v", in, got, want)
		}
	}
}
