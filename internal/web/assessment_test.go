package web

import (
	"net/http"
	"testing"
)

// TestAssessmentPage: overseers see the month's figures per handler;
// grid workers may not.
func TestAssessmentPage(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident")
	mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "占道摆摊", "0101"))
	street := f.mustLogin(t, "street")
	body := mustStatus(t, street.get("/assessment"), http.StatusOK)
	mustContain(t, body, "考核评价", "响应率", "满意率", "吹哨报到情况")
	mustContain(t, mustStatus(t, street.get("/assessment?group_by=region_level:community&lang=en"), http.StatusOK), "Satisfaction")
	mustStatus(t, f.mustLogin(t, "worker").get("/assessment"), http.StatusForbidden)
}
