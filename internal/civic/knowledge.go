package civic

import (
	"strings"
	"time"
)

// Article is one entry of the knowledge base (知识库): a question residents
// ask and the answer a hotline operator can give on the spot, so that a
// consultation (咨询) is answered without dispatching a case. An article
// belongs to the department that answers for its content (OrgID); that
// department's staff keep it current and see the flags operators raise.
type Article struct {
	ID       int64  `json:"id"`
	Question string `json:"question"`
	Answer   string `json:"answer"`
	// CategoryCode optionally ties the article to the case catalogue, so
	// that the matter it answers is named the same way cases are.
	CategoryCode string `json:"category_code,omitempty"`
	// ValidFrom and ValidTo (YYYY-MM-DD, China dates, both inclusive,
	// blank = open) bound when the answer holds: a policy's term, a
	// heating season. An expired article is kept for the record but never
	// suggested and never shown to residents.
	ValidFrom string `json:"valid_from,omitempty"`
	ValidTo   string `json:"valid_to,omitempty"`
	OrgID     int64  `json:"org_id"`
	OrgName   string `json:"org_name,omitempty"`
	// Public articles are readable by residents while valid; the others
	// are internal guidance for staff (口径).
	Public    bool      `json:"public"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// OpenFlags counts unresolved outdated-flags; filled in lists.
	OpenFlags int `json:"open_flags"`
}

// ValidOn reports whether the article's answer holds on a China date.
func (a *Article) ValidOn(today string) bool {
	return (a.ValidFrom == "" || a.ValidFrom <= today) && (a.ValidTo == "" || a.ValidTo >= today)
}

// ExpiredOn reports whether the article's term ended before a China date.
func (a *Article) ExpiredOn(today string) bool { return a.ValidTo != "" && a.ValidTo < today }

// Validate checks and tidies the article's own fields. Whether the
// organisation and category exist is the store's business.
func (a *Article) Validate() error {
	a.Question = strings.TrimSpace(a.Question)
	a.Answer = strings.TrimSpace(a.Answer)
	a.CategoryCode = strings.TrimSpace(a.CategoryCode)
	a.ValidFrom = strings.TrimSpace(a.ValidFrom)
	a.ValidTo = strings.TrimSpace(a.ValidTo)
	var fs []FieldError
	if n := len([]rune(a.Question)); n == 0 || n > 200 {
		fs = append(fs, FieldErr("question", "问题不能为空且不超过200字", "the question is required, at most 200 characters"))
	}
	if n := len([]rune(a.Answer)); n == 0 || n > 5000 {
		fs = append(fs, FieldErr("answer", "答案不能为空且不超过5000字", "the answer is required, at most 5000 characters"))
	}
	if a.CategoryCode != "" && !ValidCategoryCode(a.CategoryCode) {
		fs = append(fs, FieldErr("category_code", "分类编码无效", "the category code is not valid"))
	}
	for _, d := range []struct{ field, v string }{{"valid_from", a.ValidFrom}, {"valid_to", a.ValidTo}} {
		if d.v == "" {
			continue
		}
		if t, err := time.Parse(DateLayout, d.v); err != nil {
			fs = append(fs, FieldErr(d.field, "日期应写作 YYYY-MM-DD", "the date must be written YYYY-MM-DD"))
		} else if !PlausibleYear(t) {
			fs = append(fs, FieldErr(d.field, "日期应在1950年到2100年之间", "the date must be between 1950 and 2100"))
		}
	}
	if a.ValidFrom != "" && a.ValidTo != "" && a.ValidTo < a.ValidFrom {
		fs = append(fs, FieldErr("valid_to", "有效期止不能早于有效期起", "the end of validity cannot come before its start"))
	}
	if a.OrgID <= 0 {
		fs = append(fs, FieldErr("org_id", "请选择负责部门", "choose the owner department"))
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

// Flag resolutions: the owner either edited the article or found it still
// right.
const (
	FlagEdited    = "edited"    // 已修订
	FlagDismissed = "dismissed" // 无需修改
)

// ArticleFlag is a report that an article is outdated or wrong (标记过时),
// raised by an operator or other staff and resolved by the owner.
type ArticleFlag struct {
	ID          int64      `json:"id"`
	ArticleID   int64      `json:"article_id"`
	Question    string     `json:"question,omitempty"`
	Reason      string     `json:"reason"`
	FlaggedBy   string     `json:"flagged_by"`
	FlaggedAt   time.Time  `json:"flagged_at"`
	ResolvedBy  string     `json:"resolved_by,omitempty"`
	ResolvedAt  *time.Time `json:"resolved_at,omitempty"`
	Resolution  string     `json:"resolution,omitempty"`
	ResolveNote string     `json:"resolve_note,omitempty"`
}

// Open reports whether the flag awaits the owner.
func (f *ArticleFlag) Open() bool { return f.ResolvedAt == nil }
