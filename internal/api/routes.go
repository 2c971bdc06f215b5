package api

// route is one endpoint. The table below is the API's table of contents and
// the list openapi.json is checked against.
type route struct {
	Method  string
	Path    string
	Handler handlerFunc
}

func (a *API) routes() []route {
	ph := &PhotoHandlers{API: a, Files: a.files}
	return []route{
		{"GET", "/api/v1/openapi.json", a.openAPI},

		{"POST", "/api/v1/session", a.login},
		{"DELETE", "/api/v1/session", a.logout},
		{"GET", "/api/v1/me", a.me},
		{"PATCH", "/api/v1/me", a.updateMe},
		{"POST", "/api/v1/me/password", a.changePassword},
		{"GET", "/api/v1/me/tokens", a.listTokens},
		{"POST", "/api/v1/me/tokens", a.createToken},
		{"DELETE", "/api/v1/me/tokens/{id}", a.revokeToken},

		{"GET", "/api/v1/regions", a.listRegions},
		{"GET", "/api/v1/regions/geojson", a.regionsGeoJSON},
		{"GET", "/api/v1/regions/locate", a.locate},
		{"POST", "/api/v1/regions/import", a.importRegions},
		{"GET", "/api/v1/regions/export", a.exportRegions},
		{"GET", "/api/v1/regions/{code}", a.getRegion},
		{"PATCH", "/api/v1/regions/{code}", a.updateRegion},
		{"GET", "/api/v1/regions/{code}/path", a.regionPath},

		{"GET", "/api/v1/grids", a.listGrids},

		{"GET", "/api/v1/organisations", a.listOrganisations},
		{"POST", "/api/v1/organisations", a.createOrganisation},
		{"GET", "/api/v1/organisations/{id}", a.getOrganisation},
		{"PUT", "/api/v1/organisations/{id}", a.updateOrganisation},

		{"GET", "/api/v1/staff", a.listStaff},
		{"POST", "/api/v1/staff", a.createStaff},
		{"GET", "/api/v1/staff/{id}", a.getStaff},
		{"PUT", "/api/v1/staff/{id}", a.updateStaff},
		{"DELETE", "/api/v1/staff/{id}", a.deleteStaff},

		{"GET", "/api/v1/users", a.listUsers},
		{"POST", "/api/v1/users", a.createUser},
		{"GET", "/api/v1/users/{id}", a.getUser},
		{"PATCH", "/api/v1/users/{id}", a.updateUser},
		{"POST", "/api/v1/users/{id}/password", a.resetPassword},

		{"GET", "/api/v1/audit", a.listAudit},

		{"GET", "/api/v1/calendar/years/{year}", a.getCalendarYear},
		{"PUT", "/api/v1/calendar/years/{year}", a.putCalendarYear},
		{"DELETE", "/api/v1/calendar/years/{year}", a.deleteCalendarYear},
		{"PUT", "/api/v1/calendar/periods", a.putCalendarPeriods},
		{"GET", "/api/v1/calendar/deadline", a.calendarDeadline},

		{"GET", "/api/v1/categories", a.listCategories},
		{"POST", "/api/v1/categories", a.createCategory},
		{"POST", "/api/v1/categories/import", a.importCategories},
		{"GET", "/api/v1/categories/{code}", a.getCategory},
		{"PUT", "/api/v1/categories/{code}", a.updateCategory},
		{"PUT", "/api/v1/categories/{code}/active", a.setCategoryActive},

		{"POST", "/api/v1/cases", a.createCase},
		{"GET", "/api/v1/cases", a.listCases},
		{"GET", "/api/v1/cases/nearby", a.nearbyCases},
		{"GET", "/api/v1/cases/{id}", a.getCase},
		{"GET", "/api/v1/cases/{id}/events", caseList(a, a.store.CaseEvents)},
		{"POST", "/api/v1/cases/{id}/actions", a.caseAction},
		{"GET", "/api/v1/cases/{id}/whistles", caseList(a, a.store.CaseWhistles)},
		{"GET", "/api/v1/cases/{id}/requests", caseList(a, a.store.CaseRequests)},
		{"POST", "/api/v1/cases/{id}/photos", ph.uploadPhotos},
		{"GET", "/api/v1/cases/{id}/photos", ph.casePhotos},
		{"GET", "/api/v1/files/{sha}", ph.file},
		{"POST", "/api/v1/cases/{id}/join", a.joinCase},
		{"GET", "/api/v1/cases/{id}/reporters", caseList(a, a.store.CaseReporters)},
		{"POST", "/api/v1/cases/{id}/reporters/{rid}/visit", a.visitCoReporter},

		{"GET", "/api/v1/metrics/cases", a.caseMetrics},
		{"GET", "/api/v1/metrics/whistles", a.whistleMetrics},

		{"GET", "/api/v1/notifications", a.listNotifications},
		{"POST", "/api/v1/notifications/read", a.readNotifications},
		{"GET", "/api/v1/notifications/stream", a.streamNotifications},
		{"GET", "/api/v1/organisations/{id}/webhooks", a.listWebhooks},
		{"POST", "/api/v1/organisations/{id}/webhooks", a.createWebhook},
		{"DELETE", "/api/v1/organisations/{id}/webhooks/{wid}", a.deleteWebhook},

		{"GET", "/api/v1/blacklist", a.listBlocked},
		{"POST", "/api/v1/blacklist", a.blockCaller},
		{"DELETE", "/api/v1/blacklist/{id}", a.unblockCaller},
		{"GET", "/api/v1/deputies", a.listDeputies},
		{"POST", "/api/v1/deputies", a.addDeputy},
		{"DELETE", "/api/v1/deputies/{id}", a.removeDeputy},

		{"GET", "/api/v1/compounds", a.listCompounds},
		{"POST", "/api/v1/compounds", a.createCompound},
		{"GET", "/api/v1/compounds/{id}", a.getCompound},
		{"PUT", "/api/v1/compounds/{id}", a.updateCompound},
		{"GET", "/api/v1/buildings", a.listBuildings},
		{"POST", "/api/v1/buildings", a.createBuilding},
		{"GET", "/api/v1/buildings/{id}", a.getBuilding},
		{"PUT", "/api/v1/buildings/{id}", a.updateBuilding},
		{"GET", "/api/v1/buildings/{id}/floorplan", a.floorPlan},
		{"GET", "/api/v1/houses", a.listHouses},
		{"POST", "/api/v1/houses", a.createHouse},
		{"GET", "/api/v1/houses/{id}", a.getHouse},
		{"PUT", "/api/v1/houses/{id}", a.updateHouse},
		{"GET", "/api/v1/houses/{id}/household", a.household},
		{"GET", "/api/v1/people", a.listPeople},
		{"POST", "/api/v1/people", a.createPerson},
		{"GET", "/api/v1/people/{id}", a.getPerson},
		{"PUT", "/api/v1/people/{id}", a.updatePerson},
		{"POST", "/api/v1/people/{id}/unmask", a.unmaskPerson},
		{"GET", "/api/v1/people/{id}/tag-history", a.tagHistory},
		{"GET", "/api/v1/people/{id}/houses", a.personHouses},
		{"GET", "/api/v1/people/{id}/cases", a.personCases},
		{"POST", "/api/v1/house-links", a.linkHouse},
		{"POST", "/api/v1/house-links/{id}/move-out", a.moveOut},
		{"GET", "/api/v1/completeness", a.completeness},
		// Care work: party-member household contact (党员包联), care
		// alerts (关爱提醒), short-term rental reports (房东报备).
		{"GET", "/api/v1/party/members", a.listPartyMembers},
		{"GET", "/api/v1/party/households", a.listPartyHouseholds},
		{"POST", "/api/v1/party/households", a.assignHousehold},
		{"DELETE", "/api/v1/party/households/{id}", a.endHousehold},
		{"GET", "/api/v1/party/contacts", a.listPartyContacts},
		{"POST", "/api/v1/party/contacts", a.recordContact},
		{"GET", "/api/v1/care/rules", a.listCareRules},
		{"POST", "/api/v1/care/rules", a.createCareRule},
		{"PUT", "/api/v1/care/rules/{id}", a.updateCareRule},
		{"GET", "/api/v1/care/tasks", a.listCareTasks},
		{"POST", "/api/v1/care/tasks/{id}/close", a.closeCareTask},
		{"GET", "/api/v1/rentals", a.listRentals},
		{"POST", "/api/v1/rentals", a.reportRental},
		{"GET", "/api/v1/rentals/daily", a.dailyRentals},
		{"GET", "/api/v1/rentals/houses", a.ownedHouses},
		{"PUT", "/api/v1/rentals/landlords/{id}", a.linkLandlord},
		// Field work of grid workers: patrols, visits, corrections.
		{"POST", "/api/v1/patrols", a.startPatrol},
		{"GET", "/api/v1/patrols", a.listPatrols},
		{"GET", "/api/v1/patrols/current", a.currentPatrol},
		{"GET", "/api/v1/patrols/{id}", a.getPatrol},
		{"POST", "/api/v1/patrols/{id}/stop", a.stopPatrol},
		{"POST", "/api/v1/patrols/{id}/track", a.addTrack},
		{"GET", "/api/v1/patrols/{id}/track", a.patrolTrack},
		{"GET", "/api/v1/patrols/{id}/findings", a.patrolFindings},
		{"POST", "/api/v1/patrols/{id}/findings", a.addFinding},
		{"POST", "/api/v1/findings/{id}/case", a.findingCase},
		{"POST", "/api/v1/visits", a.recordVisit},
		{"GET", "/api/v1/visits", a.listVisits},
		{"POST", "/api/v1/corrections", a.proposeCorrection},
		{"GET", "/api/v1/corrections", a.listCorrections},
		{"GET", "/api/v1/corrections/{id}", a.getCorrection},
		{"POST", "/api/v1/corrections/{id}/review", a.reviewCorrection},
	}
}
