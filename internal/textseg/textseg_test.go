package textseg

import (
	"reflect"
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
		{"Wi-Fi坏了", []string{"wi", "fi", "坏了"}},
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
}
