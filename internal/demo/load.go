package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// ErrNotEmpty is returned (wrapped) by Load when the database already has a
// region tree: the demo never mixes with, or overwrites, real data.
var ErrNotEmpty = errors.New("database already has regions")

// Load writes c into an empty database as civic.System, through the same
// import paths (and checks) as an administrator's own files: regions, then
// organisations, then the staff ledger, then the accounts.
//
// Each step is its own transaction, because the store offers no way to
// compose its imports into one. If a later step fails the regions are
// already written and a second Load reports ErrNotEmpty; start again from a
// fresh database file.
//
// Load resolves the IDs Generate cannot know: a handler's Scope.OrgID from
// User.OrgName, and each ledger entry's OrgID from its grid and position
// (see employerOf). c itself is not modified.
func Load(ctx context.Context, s *store.Store, c City) error {
	_, n, err := s.ListRegions(ctx, civic.System, store.RegionFilter{Page: store.Page{Limit: 1}})
	if err != nil {
		return fmt.Errorf("load demo: check for regions: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("load demo: %w", ErrNotEmpty)
	}
	if _, err := s.ImportRegions(ctx, civic.System, c.Regions); err != nil {
		return fmt.Errorf("load demo: import %d regions: %w", len(c.Regions), err)
	}
	// ImportOrganisations and ImportStaff fill in IDs in place; clone so the
	// caller's City stays as Generate made it.
	orgs, err := s.ImportOrganisations(ctx, civic.System, slices.Clone(c.Orgs))
	if err != nil {
		return fmt.Errorf("load demo: import %d organisations: %w", len(c.Orgs), err)
	}
	staff := slices.Clone(c.Staff)
	for i := range staff {
		id, err := employerID(orgs, staff[i])
		if err != nil {
			return fmt.Errorf("load demo: staff row %d: %w", i+1, err)
		}
		staff[i].OrgID = id
	}
	if _, err := s.ImportStaff(ctx, civic.System, staff); err != nil {
		return fmt.Errorf("load demo: import %d staff: %w", len(staff), err)
	}
	for _, u := range c.Users {
		sc := u.Scope
		if u.OrgName != "" {
			i := slices.IndexFunc(orgs, func(o civic.Organisation) bool { return o.Name == u.OrgName })
			if i < 0 {
				return fmt.Errorf("load demo: user %s: no organisation named %q", u.Username, u.OrgName)
			}
			sc.OrgID = orgs[i].ID
		}
		_, err := s.CreateUser(ctx, civic.System, store.NewUser{
			Username: u.Username, DisplayName: u.DisplayName, Password: u.Password,
			Role: u.Role, Scope: sc, Lang: "zh",
		})
		if err != nil {
			return fmt.Errorf("load demo: create user %s: %w", u.Username, err)
		}
	}
	return LoadKnowledge(ctx, s)
}

// employerOf says which organisation a ledger entry works for, as the kind,
// jurisdiction and name pattern (civic.MatchesDepartment) that pick it out
// of the demo's organisations.
// Grid leaders and grid workers are organised by the community committee
// and grid police officers by the district's police branch; doctors and
// building heads belong to bodies the demo does not model, so ok is false.
func employerOf(m civic.Staff) (kind civic.OrgKind, region, pattern string, ok bool) {
	switch m.Position {
	case civic.PositionGridLeader, civic.PositionFullTime, civic.PositionPartTime:
		return civic.OrgCommunityCommittee, m.GridCode[:12], "居委会", true
	case civic.PositionGridPolice:
		return civic.OrgDepartment, m.GridCode[:6], "公安局*分局", true
	}
	return "", "", "", false
}

// employerID finds the ID of m's employer among the imported organisations,
// or 0 when m has none.
func employerID(orgs []civic.Organisation, m civic.Staff) (int64, error) {
	kind, region, pattern, ok := employerOf(m)
	if !ok {
		return 0, nil
	}
	for _, o := range orgs {
		if o.Kind == kind && o.RegionCode == region && civic.MatchesDepartment(o.Name, pattern) {
			return o.ID, nil
		}
	}
	return 0, fmt.Errorf("no %s in %s for %s %s", kind, region, m.Position, m.Name)
}
