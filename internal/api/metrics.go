package api

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// metricsGroups is the answer of a grouped metrics query; each row
// carries its period and weight.
type metricsGroups struct {
	GroupBy string             `json:"group_by"`
	Items   []store.MetricsRow `json:"items"`
}

// caseMetrics answers GET /api/v1/metrics/cases: the figures of a period
// (from ≤ at < to; this month when neither is given) over the caller's
// scope, in total or per group (?group_by=).
// metricsFilter reads the filters every metrics endpoint shares.
func (a *API) metricsFilter(r *http.Request, act civic.Actor) (store.MetricsFilter, error) {
	q := r.URL.Query()
	under, err := subtreeParam(r, act, "under")
	if err != nil {
		return store.MetricsFilter{}, err
	}
	f := store.MetricsFilter{Under: under, HandlerRegion: q.Get("handler_region")}
	if s := q.Get("handler_org"); s != "" {
		if f.HandlerOrgID, err = strconv.ParseInt(s, 10, 64); err != nil || f.HandlerOrgID <= 0 {
			return f, civic.Invalid(civic.FieldErr("handler_org", "应为组织编号", "must be an organisation ID"))
		}
	}
	if s := q.Get("basic_weight"); s != "" {
		if f.BasicWeight, err = civic.ParseNumber(s); err != nil {
			return f, civic.Invalid(civic.FieldErr("basic_weight", "应为0到1之间的数", "must be a number from 0 to 1"))
		}
	}
	f.From, f.To, err = metricsPeriod(r, a.store.Now())
	return f, err
}

// whistleMetrics serves each department's whistle record for its
// assessment (吹哨报到: summoned, checked in, on time, missed, mean time).
func (a *API) whistleMetrics(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	f, err := a.metricsFilter(r, act)
	if err != nil {
		return err
	}
	st, err := a.store.WhistleStats(r.Context(), act, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(st, len(st), pageOf(len(st))))
	return nil
}

func (a *API) caseMetrics(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	f, err := a.metricsFilter(r, act)
	if err != nil {
		return err
	}
	groupBy := r.URL.Query().Get("group_by")
	if groupBy == "" {
		m, err := a.store.CaseMetrics(r.Context(), act, f)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, m)
		return nil
	}
	rows, err := a.store.CaseMetricsBy(r.Context(), act, f, groupBy)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []store.MetricsRow{}
	}
	out := metricsGroups{GroupBy: groupBy, Items: rows}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// metricsPeriod reads from and to as China dates (2026-03-01) or RFC 3339
// times; to is exclusive. Missing ends default to the current month.
func metricsPeriod(r *http.Request, now time.Time) (from, to time.Time, err error) {
	local := now.In(civic.ChinaTime)
	from = time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, civic.ChinaTime)
	to = from.AddDate(0, 1, 0)
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &from}, {"to", &to}} {
		if err := dateParam(r.URL.Query(), p.name, p.dst); err != nil {
			return from, to, err
		}
	}
	return from, to, nil
}

// dateParam reads a query parameter that is a China date (2026-03-01, its
// midnight) or an RFC 3339 time into dst; an absent one leaves dst as is.
func dateParam(q url.Values, name string, dst *time.Time) error {
	s := q.Get(name)
	if s == "" {
		return nil
	}
	t, err := time.ParseInLocation(civic.DateLayout, s, civic.ChinaTime)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, s); err != nil {
			return civic.Invalid(civic.FieldErr(name, "日期格式应为 2026-03-01", "dates look like 2026-03-01"))
		}
	}
	*dst = t
	return nil
}
