package civic

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Rental is a short-term rental report (房东报备): a landlord, or staff of
// the compound or community, reports who stays in which house from From to
// To. The tenant is found in the people register by ID number, or
// registered as floating population; a tenant link runs from From (the
// arrival day) and is ended on To (the departure day) once that day has
// passed.
type Rental struct {
	ID           int64  `json:"id"`
	HouseID      int64  `json:"house_id"`
	HouseAddress string `json:"house_address,omitempty"`
	GridCode     string `json:"grid_code"`
	GridName     string `json:"grid_name,omitempty"`
	TenantID     int64  `json:"tenant_id"`
	LinkID       int64  `json:"link_id"`
	// The tenant as reported. IDNumber and Phone are given in clear on
	// the way in and come back masked.
	TenantName string `json:"tenant_name"`
	IDType     IDType `json:"id_type"`
	IDNumber   string `json:"id_number"`
	Phone      string `json:"phone"`
	From       string `json:"from"` // YYYY-MM-DD
	To         string `json:"to"`   // YYYY-MM-DD, the departure day
	// Ended is the date the tenant link was ended, empty before.
	Ended        string    `json:"ended,omitempty"`
	Note         string    `json:"note,omitempty"`
	ReporterID   int64     `json:"reporter_id"`
	ReporterName string    `json:"reporter_name"`
	ByLandlord   bool      `json:"by_landlord"`
	CreatedAt    time.Time `json:"created_at"`
}

// MaxRentalDays bounds a short-term report; longer stays are registered
// as ordinary tenants.
const MaxRentalDays = 366

// Validate checks a report's own fields: the tenant's name and document,
// the dates. The ID number is normalised; today is China's date.
func (r *Rental) Validate(today string) error {
	r.TenantName, r.Note = strings.TrimSpace(r.TenantName), strings.TrimSpace(r.Note)
	var fs []FieldError
	if n := utf8.RuneCountInString(r.TenantName); n == 0 || n > 40 {
		fs = append(fs, FieldErr("tenant_name", "请填写租客姓名（不超过40字）", "give the tenant's name (at most 40 characters)"))
	}
	if r.HouseID == 0 {
		fs = append(fs, FieldErr("house_id", "请选择出租的房屋", "choose the house"))
	}
	if r.IDType == "" {
		r.IDType = IDResident
	}
	if !r.IDType.Valid() {
		fs = append(fs, FieldErr("id_type", "请选择证件类型", "choose the document type"))
	} else if strings.TrimSpace(r.IDNumber) == "" {
		fs = append(fs, FieldErr("id_number", "请填写租客证件号码", "give the tenant's document number"))
	} else {
		d, _ := time.Parse(DateLayout, today)
		n, _, fe := NormalizeID(r.IDType, r.IDNumber, d.Add(24*time.Hour))
		if fe != nil {
			fs = append(fs, *fe)
		} else {
			r.IDNumber = n
		}
	}
	if ph, fe := NormalizePhone(r.Phone); fe != nil {
		fs = append(fs, *fe)
	} else {
		r.Phone = ph
	}
	from, err1 := time.Parse(DateLayout, r.From)
	to, err2 := time.Parse(DateLayout, r.To)
	t, _ := time.Parse(DateLayout, today)
	switch {
	case err1 != nil:
		fs = append(fs, FieldErr("from", "入住日期格式应为YYYY-MM-DD", "the arrival date is YYYY-MM-DD"))
	case err2 != nil:
		fs = append(fs, FieldErr("to", "离开日期格式应为YYYY-MM-DD", "the departure date is YYYY-MM-DD"))
	case to.Before(from):
		fs = append(fs, FieldErr("to", "离开日期不能早于入住日期", "the departure cannot be before the arrival"))
	case to.Sub(from) > MaxRentalDays*24*time.Hour:
		fs = append(fs, FieldErr("to", "短租报备不超过%d天，长期租住请登记为租户", "a short-term report covers at most %d days; register long stays as tenants", MaxRentalDays))
	case from.After(t.AddDate(0, 0, 30)):
		fs = append(fs, FieldErr("from", "只能报备30天内入住的租客", "report tenants arriving within 30 days"))
	case to.Before(t.AddDate(0, 0, -30)):
		fs = append(fs, FieldErr("to", "租住已结束超过30天，无需报备", "the stay ended more than 30 days ago"))
	}
	if utf8.RuneCountInString(r.Note) > 500 {
		fs = append(fs, FieldErr("note", "备注不超过500字", "note at most 500 characters"))
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}
