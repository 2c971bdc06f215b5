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
//	工单          → Case
//	工单分类      → Category (catalogue leaf: RequestType, HandlerRule, TimeLimit per Stage)
//	诉求类型      → RequestType (咨询/求助/投诉/举报/建议/表扬)
//	承办对象      → HandlerRule (property, grid, community, street, department)
//	受理/派单     → ActAccept / ActDispatch
//	签收          → ActClaim
//	退单/转派     → ActReturn / ActTransfer
//	办结反馈      → ActHandle
//	核查          → ActVerifyPass / ActVerifyFail (返工 = rework)
//	回访          → ActVisit (Satisfaction: 满意/基本满意/不满意)
//	重办          → ActReopen
//	延期/挂账     → ActRequestExtend / ActRequestPause, decided by ActDecide
//	吹哨/报到     → ActWhistle / ActCheckIn
//	工作日历/调休 → calendar.Calendar / make-up Workday
//	重复诉求      → Duplicate (DuplicateDraft, DuplicateScore; 附议 = join, 合并 = ActMerge)
package civic
