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

	PermCaseRead     Permission = "case.read"     // see cases in scope (reporters always see their own)
	PermCaseReport   Permission = "case.report"   // file a case
	PermCaseDispatch Permission = "case.dispatch" // accept, reject, dispatch, transfer, merge
	PermCaseHandle   Permission = "case.handle"   // claim, report back, return (the case's handler)
	PermCaseVerify   Permission = "case.verify"   // 核查
	PermCaseVisit    Permission = "case.visit"    // 回访 on behalf of reporters
	PermCaseApprove  Permission = "case.approve"  // decide extensions and suspensions
	PermCaseWhistle  Permission = "case.whistle"  // 吹哨
	PermCaseMetrics  Permission = "case.metrics"  // 三率 and other figures over the scope
	PermCaseAbuse    Permission = "case.abuse"    // caller blacklist and deputies list
	// PermCaseComment: add a comment (备注) to a case one sees. A
	// comment is a write on the timeline that handlers act on, so
	// leaders, who only read (DESIGN.md §1), do not comment; reporters
	// comment on their own cases without it.
	PermCaseComment Permission = "case.comment"
	// PermAssessWeights: edit the weights and ranking rules of assessments.
	PermAssessWeights Permission = "assess.weights"

	// The category catalogue is city-wide configuration that only
	// administrators change.
	PermCategoryRead  Permission = "category.read"
	PermCategoryWrite Permission = "category.write"

	// The working calendar (holidays, make-up working days, working
	// periods) that every case deadline is counted on.
	PermCalendarRead  Permission = "calendar.read"
	PermCalendarWrite Permission = "calendar.write"

	// People and houses (人房关联). Reading shows ID and phone numbers
	// masked; unmasking one needs its own permission and a reason, and is
	// audited. Grid workers read and propose corrections from the field;
	// community staff review them and write the records.
	PermPeopleRead   Permission = "people.read"
	PermPeopleWrite  Permission = "people.write"
	PermPeopleUnmask Permission = "people.unmask"
	// PermPeopleExportPlain allows an export with ID and phone numbers in
	// clear; every other export is masked.
	PermPeopleExportPlain Permission = "people.export_plain"

	// Care work (党员包联, 关爱提醒, 房东报备). Reading it needs
	// PermPeopleRead; assigning households to party members needs
	// PermPeopleWrite.
	PermCareWork     Permission = "care.work"     // record party contacts, close care tasks
	PermCareRules    Permission = "care.rules"    // edit care alert rules in scope
	PermRentalReport Permission = "rental.report" // report a short-term tenant (residents: as landlord)

	// Field work (巡网走格): patrols with their tracks and findings, and
	// corrections to people and house records proposed from the field.
	// Reviewing a correction is writing the record: PermPeopleWrite.
	PermPatrol          Permission = "field.patrol"           // walk a patrol, record findings
	PermPatrolSupervise Permission = "field.patrol_supervise" // see the patrols of others in scope
	PermPeoplePropose   Permission = "people.propose"         // propose a correction
	// PermVisitRecord: record a household visit (走访). Reading visits
	// is PermPeopleRead; leaders read them but, overseeing only
	// (DESIGN.md §1), record none.
	PermVisitRecord Permission = "people.visit"

	// The knowledge base (知识库). Staff read every article, residents the
	// public ones in force; writing needs PermKnowledgeWrite and, in the
	// store, the owner department: a handler its own organisation, others
	// an organisation whose jurisdiction is in their scope.
	PermKnowledgeRead  Permission = "knowledge.read"
	PermKnowledgeWrite Permission = "knowledge.write"
	// PermKnowledgeFlag: mark an article outdated, a request that its
	// owner department acts on — staff who answer from the articles,
	// not leaders, who oversee only.
	PermKnowledgeFlag Permission = "knowledge.flag"

	// Report templates (日报/周报/月报, 一表通) are configuration that
	// administrators keep; reading and generating reports needs
	// PermCaseMetrics, like the overview.
	PermReportTemplates Permission = "report.templates"
	// Triage models (智能分类): administrators train, activate and set the
	// auto-routing threshold; the acceptance figures are read with
	// PermCaseMetrics, suggestions by anyone who may report.
	PermTriageAdmin Permission = "triage.admin"
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

	PermCaseRead:     staffRoles,
	PermCaseReport:   {RoleResident, RoleVolunteer, RoleGridWorker, RoleCommunityStaff, RoleStreetStaff, RoleOperator, RoleAdmin},
	PermCaseDispatch: {RoleCommunityStaff, RoleStreetStaff, RoleOperator, RoleAdmin},
	PermCaseHandle:   {RoleHandler, RoleGridWorker, RoleCommunityStaff, RoleStreetStaff, RoleAdmin},
	PermCaseVerify:   {RoleGridWorker, RoleCommunityStaff, RoleStreetStaff, RoleAdmin},
	PermCaseVisit:    {RoleOperator, RoleCommunityStaff, RoleStreetStaff, RoleAdmin},
	PermCaseApprove:  {RoleStreetStaff, RoleAdmin},
	PermCaseWhistle:  {RoleCommunityStaff, RoleStreetStaff, RoleAdmin},
	PermCaseMetrics:  {RoleCommunityStaff, RoleStreetStaff, RoleLeader, RoleAdmin, RoleOperator},
	PermCaseAbuse:    {RoleOperator, RoleAdmin},
	PermCaseComment:  {RoleGridWorker, RoleCommunityStaff, RoleStreetStaff, RoleHandler, RoleOperator, RoleAdmin},
	// The weights decide every unit's rank: administrators set them.
	PermAssessWeights: {RoleAdmin},

	// Every staff role files and routes cases by the catalogue.
	// The catalogue, with its not-accepted reasons, is public to everyone
	// who may report.
	PermCategoryRead:  append([]Role{RoleResident, RoleVolunteer}, staffRoles...),
	PermCategoryWrite: {RoleAdmin},

	// Everyone who works cases may see how their deadlines are counted;
	// only admins change the calendar, since it moves every open deadline.
	PermCalendarRead:  staffRoles,
	PermCalendarWrite: {RoleAdmin},

	PermPeopleRead:        {RoleGridWorker, RoleCommunityStaff, RoleStreetStaff, RoleLeader, RoleAdmin},
	PermPeopleWrite:       {RoleCommunityStaff, RoleStreetStaff, RoleAdmin},
	PermPeopleUnmask:      {RoleCommunityStaff, RoleStreetStaff, RoleAdmin},
	PermPeopleExportPlain: {RoleAdmin},

	PermCareWork:     {RoleGridWorker, RoleCommunityStaff, RoleStreetStaff, RoleAdmin},
	PermCareRules:    {RoleCommunityStaff, RoleStreetStaff, RoleAdmin},
	PermRentalReport: {RoleResident, RoleGridWorker, RoleCommunityStaff, RoleStreetStaff, RoleAdmin},

	PermTriageAdmin: {RoleAdmin},

	PermPatrol:          {RoleGridWorker, RoleCommunityStaff, RoleStreetStaff, RoleAdmin},
	PermPatrolSupervise: {RoleCommunityStaff, RoleStreetStaff, RoleLeader, RoleAdmin},
	PermPeoplePropose:   {RoleGridWorker, RoleCommunityStaff, RoleStreetStaff, RoleAdmin},
	PermVisitRecord:     {RoleGridWorker, RoleCommunityStaff, RoleStreetStaff, RoleAdmin},

	PermKnowledgeRead:  append([]Role{RoleResident, RoleVolunteer}, staffRoles...),
	PermKnowledgeWrite: {RoleAdmin, RoleStreetStaff, RoleHandler},
	PermKnowledgeFlag:  {RoleGridWorker, RoleCommunityStaff, RoleStreetStaff, RoleHandler, RoleOperator, RoleAdmin},

	PermReportTemplates: {RoleAdmin},
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
