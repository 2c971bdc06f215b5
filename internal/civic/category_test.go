package civic

import (
	"strings"
	"testing"
)

func TestParseTimeLimit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want TimeLimit
		bad  bool
	}{
		{"2工作日", TimeLimit{2, UnitWorkDays}, false},
		{"2个工作日", TimeLimit{2, UnitWorkDays}, false},
		{" 4 工作时 ", TimeLimit{4, UnitWorkHours}, false},
		{"4工作小时", TimeLimit{4, UnitWorkHours}, false},
		{"24小时", TimeLimit{24, UnitHours}, false},
		{"0.5小时", TimeLimit{0.5, UnitHours}, false},
		{"2 work_days", TimeLimit{2, UnitWorkDays}, false},
		{"1.5 Work_Hours", TimeLimit{1.5, UnitWorkHours}, false},
		{"36 hours", TimeLimit{36, UnitHours}, false},
		{"", TimeLimit{}, false},
		{"2天", TimeLimit{}, true},
		{"工作日", TimeLimit{}, true},
		{"-1小时", TimeLimit{}, true},
		{"1..5小时", TimeLimit{}, true},
	} {
		got, fe := ParseTimeLimit(tc.in)
		if (fe != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseTimeLimit(%q) = %v, %v", tc.in, got, fe)
		}
		if !tc.bad && tc.in != "" {
			for _, lang := range []string{"zh", "en"} {
				if back, fe := ParseTimeLimit(got.String(lang)); fe != nil || back != got {
					t.Errorf("%v.String(%s) = %q does not read back", got, lang, got.String(lang))
				}
			}
		}
	}
}

func TestMatchesDepartment(t *testing.T) {
	for _, tc := range []struct {
		org, dep string
		want     bool
	}{
		{"北京市东城区城市管理委员会", "城市管理委员会", true},
		{"北京市东城区城市管理综合行政执法局", "城市管理委员会", false},
		{"北京市公安局东城分局", "公安局*分局", true},
		{"北京市公安局公安交通管理局东城交通支队", "公安局*分局", false},
		{"北京市公安局公安交通管理局东城交通支队", "交通支队", true},
		{"北京市12345市民服务热线", "12345市民服务热线", true},
		{"公安局", "公安局*局", false},
		{"任何单位", "", false},
	} {
		if got := MatchesDepartment(tc.org, tc.dep); got != tc.want {
			t.Errorf("MatchesDepartment(%q, %q) = %v", tc.org, tc.dep, got)
		}
	}
}

func validLeaf() Category {
	return Category{Code: "0301", Name: "路面破损", Leaf: true, Type: RequestComplaint,
		Handler: HandlerRule{Target: HandlerDepartment, Department: "城市管理委员会"},
		Limits: map[Stage]TimeLimit{StageClaim: {2, UnitWorkHours}, StageFeedback: {1, UnitWorkDays},
			StageComplete: {5, UnitWorkDays}, StageVisit: {2, UnitWorkDays}},
		Yellow: 0.5, Red: 0.8, Accepted: true, Active: true}
}

func TestCategoryValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(c *Category)
		fields string // the refused fields, sorted by Validate's order
	}{
		{"valid leaf", func(c *Category) {}, ""},
		{"group drops routing", func(c *Category) { c.Code, c.Leaf, c.Yellow, c.Red = "03", false, 0, 0 }, ""},
		{"code not digits", func(c *Category) { c.Code = "03a1" }, "code"},
		{"code level 00", func(c *Category) { c.Code = "0300" }, "code"},
		{"code too deep", func(c *Category) { c.Code = "0301010101" }, "code"},
		{"code must extend parent", func(c *Category) { c.ParentCode = "04" }, "code"},
		{"top-level leaf", func(c *Category) { c.Code = "03" }, "code"},
		{"no name", func(c *Category) { c.Name = "  " }, "name"},
		{"leaf needs a type", func(c *Category) { c.Type = "" }, "type"},
		{"unknown type", func(c *Category) { c.Type = "rant" }, "type"},
		{"leaf needs a handler", func(c *Category) { c.Handler = HandlerRule{} }, "handler"},
		{"department needs a name", func(c *Category) { c.Handler.Department = "" }, "department"},
		{"missing limit", func(c *Category) { delete(c.Limits, StageVisit) }, "visit"},
		{"zero limit", func(c *Category) { c.Limits[StageClaim] = TimeLimit{0, UnitHours} }, "claim"},
		{"huge limit", func(c *Category) { c.Limits[StageComplete] = TimeLimit{400, UnitWorkDays} }, "complete"},
		{"bad unit", func(c *Category) { c.Limits[StageFeedback] = TimeLimit{1, "days"} }, "feedback"},
		{"yellow over red", func(c *Category) { c.Yellow, c.Red = 0.8, 0.5 }, "red"},
		{"red over one", func(c *Category) { c.Red = 1.2 }, "red"},
		{"yellow zero", func(c *Category) { c.Yellow = 0 }, "yellow"},
		{"refused needs a reason", func(c *Category) { c.Accepted = false }, "not_accepted_reason"},
		{"refused needs no routing", func(c *Category) {
			c.Accepted, c.NotAcceptedReason, c.Handler, c.Limits, c.Type = false, "请走司法途径", HandlerRule{}, nil, ""
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validLeaf()
			tc.edit(&c)
			err := c.Validate()
			var got []string
			if err != nil {
				for _, f := range AsError(err).Fields {
					got = append(got, f.Field)
					if f.Msg.ZH == "" || f.Msg.EN == "" || strings.Contains(f.Msg.ZH+f.Msg.EN, "%!") {
						t.Errorf("message %+v", f.Msg)
					}
				}
			}
			if strings.Join(got, ",") != tc.fields {
				t.Fatalf("refused %v, want %q (%v)", got, tc.fields, err)
			}
		})
	}
	g := validLeaf()
	g.Code, g.Leaf = "03", false
	if err := g.Validate(); err != nil || g.Limits != nil || g.Handler != (HandlerRule{}) {
		t.Fatalf("group kept routing: %+v, %v", g, err)
	}
}
