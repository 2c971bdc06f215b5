package civic

// Permission names one kind of action. Roles grant permissions; scope then
// limits where they apply.
type Permission string

const (
	PermRegionRead  Permission = "region.read"
	PermRegionWrite Permission = "region.write"
	PermOrgRead     Permission = "org.read"
	PermOrgWrite    Permission = "org.write"
	PermStaffRead   Permission = "staff.read"
	PermStaffWrite  Permission = "staff.write"
	PermUserAdmin   Permission = "user.admin"
	PermAuditRead   Permission = "audit.read"
)

var staffRoles = []Role{RoleGridWorker, RoleCommunityStaff, RoleStreetStaff, RoleHandler, RoleOperator, RoleLeader, RoleAdmin}

var grants = map[Permission][]Role{
	// Every staff role works on the map of its territory.
	PermRegionRead:  staffRoles,
	PermRegionWrite: {RoleAdmin},
	PermOrgRead:     staffRoles,
	PermOrgWrite:    {RoleAdmin, RoleStreetStaff},
	PermStaffRead:   staffRoles,
	// Communities and streets keep their own grid staff ledger current.
	PermStaffWrite: {RoleAdmin, RoleStreetStaff, RoleCommunityStaff},
	PermUserAdmin:  {RoleAdmin},
	PermAuditRead:  {RoleAdmin},
}

// Can reports whether the actor's role grants p. Scope is checked separately
// against each record.
func (a Actor) Can(p Permission) bool {
	if a.IsSystem() {
		return true
	}
	for _, r := range grants[p] {
		if r == a.Role {
			return true
		}
	}
	return false
}

// Must returns a Forbidden error when the actor lacks p.
func (a Actor) Must(p Permission) error {
	if a.Can(p) {
		return nil
	}
	return Forbidden()
}
