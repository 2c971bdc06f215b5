package civic

import "time"

// AuditEntry records one write: who did what to which record, when, with a
// summary of the record before and after.
type AuditEntry struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	UserID     int64     `json:"user_id,omitempty"`
	Username   string    `json:"username"`
	IP         string    `json:"ip,omitempty"`
	Action     string    `json:"action"` // e.g. "staff.update"
	Entity     string    `json:"entity"` // e.g. "staff"
	EntityID   string    `json:"entity_id"`
	RegionCode string    `json:"region_code,omitempty"`
	Before     string    `json:"before,omitempty"` // JSON
	After      string    `json:"after,omitempty"`  // JSON
}
