package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

func changeOf(t *testing.T, c civic.Correction, field string) civic.FieldChange {
	t.Helper()
	for _, ch := range c.Changes {
		if ch.Field == field {
			return ch
		}
	}
	t.Fatalf("correction %d has no change of %s: %+v", c.ID, field, c.Changes)
	return civic.FieldChange{}
}

func TestCorrectionOfPerson(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPeopleWorld(t, s)
		p, err := s.SavePerson(ctx, w.community, civic.Person{GridCode: grid1, Name: "王秀英", IDNumber: "11010519491231002X", Phone: "13800138000"}, "入户登记")
		if err != nil {
			t.Fatal(err)
		}
		newID := "11010519491231004" + string(civic.IDCheckChar("11010519491231004"))
		in := store.CorrectionInput{Kind: civic.CorrectPerson, TargetID: p.ID, Reason: "入户核实，电话已换", Key: "c-1",
			Changes: map[string]string{"phone": "139 0013 9000", "tags": "独居,低保", "workplace": "社区食堂", "name": "王秀英", "id_number": newID}}
		c, err := s.ProposeCorrection(ctx, w.grid, in)
		if err != nil {
			t.Fatal(err)
		}
		// The unchanged name is dropped; numbers are masked in view.
		if c.State != civic.CorrectionPending || len(c.Changes) != 4 || c.TargetName != "王秀英" || c.GridCode != grid1 || c.ProposerName != "gridworker" {
			t.Fatalf("proposed %+v", c)
		}
		if ch := changeOf(t, c, "phone"); ch.Old != "138****8000" || ch.New != "139****9000" {
			t.Fatalf("phone change %+v", ch)
		}
		if ch := changeOf(t, c, "tags"); ch.Old != "" || ch.New != "alone,dibao" {
			t.Fatalf("tags change %+v", ch)
		}
		if again, err := s.ProposeCorrection(ctx, w.grid, in); err != nil || again.ID != c.ID {
			t.Fatalf("retried proposal: %d %v", again.ID, err)
		}
		// Nothing holds the proposed numbers in clear.
		var raw string
		if err := s.QueryRowForTest(ctx, `SELECT changes_json || id_sealed || phone_sealed FROM corrections WHERE id = ?`, c.ID).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw, "13900139000") || strings.Contains(raw, newID) || !strings.Contains(raw, "v1:") {
			t.Fatalf("proposed numbers are not sealed: %s", raw)
		}
		if entries, _, _ := s.ListAudit(ctx, civic.System, store.AuditFilter{Entity: "correction"}); len(entries) != 1 || strings.Contains(entries[0].After, "13900139000") || strings.Contains(entries[0].After, newID) {
			t.Fatalf("audit %+v", entries)
		}

		// Refused proposals.
		for name, bad := range map[string]map[string]string{
			"nothing new":  {"name": "王秀英"},
			"bad ID":       {"id_number": "110105194912310021"},
			"derived tag":  {"tags": "age60"},
			"unknown key":  {"grid_code": grid2},
			"bad gender":   {"gender": "x"},
			"bad birthday": {"birth_date": "1950-01-01"},
		} {
			if _, err := s.ProposeCorrection(ctx, w.grid, store.CorrectionInput{Kind: civic.CorrectPerson, TargetID: p.ID, Reason: "核实", Changes: bad}); civic.ErrorCodeOf(err) != civic.EInvalid {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := s.ProposeCorrection(ctx, w.grid, store.CorrectionInput{Kind: civic.CorrectPerson, TargetID: p.ID, Changes: map[string]string{"note": "x"}}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("no reason: %v", err)
		}

		// Scope: another grid's worker neither sees nor proposes; a grid
		// worker never reviews; a leader neither.
		if _, err := s.GetCorrection(ctx, w.outsider, c.ID); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("outsider reads: %v", err)
		}
		if _, n, _ := s.ListCorrections(ctx, w.outsider, store.CorrectionFilter{}); n != 0 {
			t.Fatalf("outsider lists %d", n)
		}
		if _, err := s.ProposeCorrection(ctx, w.outsider, store.CorrectionInput{Kind: civic.CorrectPerson, TargetID: p.ID, Reason: "核实", Changes: map[string]string{"note": "x"}}); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("outsider proposes: %v", err)
		}
		if _, err := s.ReviewCorrection(ctx, w.grid, c.ID, store.Review{Approve: true}); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("grid worker approves: %v", err)
		}
		if _, n, _ := s.ListCorrections(ctx, w.community, store.CorrectionFilter{State: civic.CorrectionPending}); n != 1 {
			t.Fatalf("review queue has %d", n)
		}

		// The record changes in one of the fields: the correction is
		// stale and approval needs a confirmation.
		p.Workplace = "退休"
		if _, err := s.SavePerson(ctx, w.community, p, ""); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetCorrection(ctx, w.community, c.ID)
		if err != nil || !got.Stale || !changeOf(t, got, "workplace").Stale || changeOf(t, got, "workplace").Current != "退休" || changeOf(t, got, "phone").Stale {
			t.Fatalf("stale view %+v %v", got, err)
		}
		if _, err := s.ReviewCorrection(ctx, w.community, c.ID, store.Review{Approve: true}); civic.ErrorCodeOf(err) != civic.EConflict || !strings.Contains(err.Error(), "Workplace") {
			t.Fatalf("stale approval: %v", err)
		}
		// Approval fails validation at the last moment: the proposed ID
		// number was registered to someone else meanwhile.
		other, err := s.SavePerson(ctx, w.community, civic.Person{GridCode: grid1, Name: "王秀兰", IDNumber: newID}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReviewCorrection(ctx, w.community, c.ID, store.Review{Approve: true, Overwrite: true}); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Fatalf("approval with a taken ID number: %v", err)
		}
		if got, _ := s.GetCorrection(ctx, w.grid, c.ID); got.State != civic.CorrectionPending {
			t.Fatalf("a refused approval changed the state to %s", got.State)
		}
		if q, _ := s.GetPerson(ctx, w.community, p.ID); q.Phone != "138****8000" {
			t.Fatalf("a refused approval changed the phone to %s", q.Phone)
		}
		other.IDNumber = ""
		other.BirthDate = "1949-12-31"
		if _, err := s.SavePerson(ctx, w.community, other, ""); err != nil {
			t.Fatal(err)
		}
		done, err := s.ReviewCorrection(ctx, w.community, c.ID, store.Review{Approve: true, Overwrite: true, Note: "已电话核实"})
		if err != nil {
			t.Fatal(err)
		}
		if done.State != civic.CorrectionApproved || done.ReviewerName != "community" || done.ReviewedAt == nil {
			t.Fatalf("approved %+v", done)
		}
		q, err := s.GetPerson(ctx, w.community, p.ID)
		if err != nil || q.Workplace != "社区食堂" || strings.Join(tagStrings(q.Tags), ",") != "age60,alone,dibao" {
			t.Fatalf("person after approval %+v %v", q, err)
		}
		if id, phone, err := s.UnmaskPerson(ctx, w.community, p.ID, "核对纠错结果"); err != nil || id != newID || phone != "13900139000" {
			t.Fatalf("numbers after approval %q %q %v", id, phone, err)
		}
		if _, err := s.ReviewCorrection(ctx, w.community, c.ID, store.Review{Note: "重复"}); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Fatalf("second review: %v", err)
		}
		// The proposer sees the outcome.
		mine, _, err := s.ListCorrections(ctx, w.grid, store.CorrectionFilter{Mine: true})
		if err != nil || len(mine) != 1 || mine[0].State != civic.CorrectionApproved || mine[0].ReviewNote != "已电话核实" {
			t.Fatalf("proposer's list %+v %v", mine, err)
		}
	})
}

func TestCorrectionOfHouseRejected(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPeopleWorld(t, s)
		h := w.houses[0]
		c, err := s.ProposeCorrection(ctx, w.grid, store.CorrectionInput{Kind: civic.CorrectHouse, TargetID: h.ID, Reason: "已出租给外来务工人员",
			Changes: map[string]string{"use": "出租", "area_m2": "80"}})
		if err != nil {
			t.Fatal(err)
		}
		if ch := changeOf(t, c, "use"); ch.Old != "own" || ch.New != "rented" || c.TargetName != h.Address {
			t.Fatalf("house correction %+v", c)
		}
		if _, err := s.ProposeCorrection(ctx, w.grid, store.CorrectionInput{Kind: civic.CorrectHouse, TargetID: h.ID, Reason: "核实", Changes: map[string]string{"floor": "9"}}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("a floor above the building: %v", err)
		}
		if _, err := s.ProposeCorrection(ctx, w.grid, store.CorrectionInput{Kind: civic.CorrectHouse, TargetID: w.far.ID, Reason: "核实", Changes: map[string]string{"use": "vacant"}}); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("a house in another grid: %v", err)
		}
		if _, err := s.ReviewCorrection(ctx, w.community, c.ID, store.Review{}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("rejection without a note: %v", err)
		}
		got, err := s.ReviewCorrection(ctx, w.community, c.ID, store.Review{Note: "经核实仍为自住"})
		if err != nil || got.State != civic.CorrectionRejected || got.ReviewNote != "经核实仍为自住" {
			t.Fatalf("rejected %+v %v", got, err)
		}
		if after, _ := s.GetHouse(ctx, w.community, h.ID); after.Use != civic.HouseOwnOccupied || after.AreaM2 != 78.5 {
			t.Fatalf("a rejected correction changed the house: %+v", after)
		}
		// An approved one changes it through the ordinary path, address
		// and all.
		c2, err := s.ProposeCorrection(ctx, w.grid, store.CorrectionInput{Kind: civic.CorrectHouse, TargetID: h.ID, Reason: "门牌已更换", Changes: map[string]string{"number": "102"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReviewCorrection(ctx, w.street, c2.ID, store.Review{Approve: true}); err != nil {
			t.Fatal(err)
		}
		if after, _ := s.GetHouse(ctx, w.community, h.ID); after.Number != "102" || after.Address != "幸福里小区3号楼1单元102" {
			t.Fatalf("approved house %+v", after)
		}
		if entries, _, _ := s.ListAudit(ctx, civic.System, store.AuditFilter{Action: "house.update"}); len(entries) != 1 || entries[0].Username != "street" {
			t.Fatalf("house audit %+v", entries)
		}
	})
}
