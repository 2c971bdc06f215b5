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

		{"GET", "/api/v1/import-templates/{kind}", a.importTemplate},
		{"POST", "/api/v1/imports", a.startImport},
		{"GET", "/api/v1/imports", a.listImports},
		{"GET", "/api/v1/imports/{id}", a.getImport},
		{"GET", "/api/v1/imports/{id}/issues", a.importIssues},
		{"GET", "/api/v1/imports/{id}/rejected", a.importRejected},
		{"GET", "/api/v1/people/export", a.exportPeople},
		{"GET", "/api/v1/houses/export", a.exportHouses},
	}
}
