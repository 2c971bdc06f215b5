// Package civic holds civicgrid's domain vocabulary and pure rules. It imports
// only the standard library; storage, HTTP and jobs build on it.
//
// Glossary (Chinese → Go):
//
//	行政区划/网格 → Region (levels City, District, Street, Community, Grid, MicroGrid)
//	网格          → Grid
//	微网格        → MicroGrid
//	组织/单位     → Organisation
//	网格员台账    → Staff (the grid staff ledger)
//	网格长        → PositionGridLeader
//	专职/兼职网格员 → PositionFullTime / PositionPartTime
//	账号          → User
//	数据范围      → Scope (a region subtree, optionally one organisation)
//	审计日志      → AuditEntry
//	工单          → Case (later issues)
//	签收          → Claim (later issues)
//	回访          → ReturnVisit (later issues)
package civic
