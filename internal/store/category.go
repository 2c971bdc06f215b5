package store

import (
	"bytes"
	"context"
	"database/sql"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
)

// The category catalogue is city-wide configuration, not data about a
// place: reads need PermCategoryRead and writes PermCategoryWrite, and no
// region scope applies. Audit entries carry the writer's scope code, so that
// the admin who changed the catalogue finds the change in their audit log.

const categoryCols = `id, code, parent_code, leaf, name, name_en, request_type, handler_target, handler_department,
	claim_amount, claim_unit, feedback_amount, feedback_unit, complete_amount, complete_unit, visit_amount, visit_unit,
	yellow, red, accepted, not_accepted_reason, active, sort, created_at, updated_at`

func scanCategory(sc interface{ Scan(...any) error }) (civic.Category, error) {
	var c civic.Category
	var amounts [4]float64
	var units [4]string
	err := sc.Scan(&c.ID, &c.Code, &c.ParentCode, &c.Leaf, &c.Name, &c.NameEN, &c.Type, &c.Handler.Target, &c.Handler.Department,
		&amounts[0], &units[0], &amounts[1], &units[1], &amounts[2], &units[2], &amounts[3], &units[3],
		&c.Yellow, &c.Red, &c.Accepted, &c.NotAcceptedReason, &c.Active, &c.Sort, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return c, err
	}
	for i, st := range civic.Stages {
		if units[i] != "" {
			if c.Limits == nil {
				c.Limits = map[civic.Stage]civic.TimeLimit{}
			}
			c.Limits[st] = civic.TimeLimit{Amount: amounts[i], Unit: civic.TimeUnit(units[i])}
		}
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

// categoryArgs are the stored columns after code, in categoryCols order.
func categoryArgs(c *civic.Category) []any {
	args := []any{c.ParentCode, c.Leaf, c.Name, c.NameEN, string(c.Type), string(c.Handler.Target), c.Handler.Department}
	for _, st := range civic.Stages {
		l := c.Limits[st]
		args = append(args, l.Amount, string(l.Unit))
	}
	return append(args, c.Yellow, c.Red, c.Accepted, c.NotAcceptedReason, c.Active, c.Sort)
}

func categoryNotFound(code string) error {
	return civic.NotFound("分类 "+code, "category "+code)
}

// GetCategory returns one category by code, active or not.
func (s *Store) GetCategory(ctx context.Context, a civic.Actor, code string) (civic.Category, error) {
	if err := a.Must(civic.PermCategoryRead); err != nil {
		return civic.Category{}, err
	}
	c, err := scanCategory(s.queryRow(ctx, `SELECT `+categoryCols+` FROM categories WHERE code = ?`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return civic.Category{}, categoryNotFound(code)
	}
	if err != nil {
		return civic.Category{}, fmt.Errorf("get category %s: %w", code, err)
	}
	return c, nil
}

// CategoryFilter narrows ListCategories.
type CategoryFilter struct {
	Query      string // code prefix, or name or English name contains
	ParentCode string // only the subtree under this code (not the code itself)
	OnlyLeaves bool
	// IncludeInactive lists deactivated categories too; intake and routing
	// leave it off, the catalogue editor turns it on.
	IncludeInactive bool
	Type            civic.RequestType
	// Accepted, when set, keeps only accepted (true) or only refused
	// (false) categories.
	Accepted *bool
}

// ListCategories returns the catalogue in tree order: each category is
// followed by its subtree, and siblings are ordered by Sort, then code. The
// catalogue is a few hundred rows, so it is never paged.
func (s *Store) ListCategories(ctx context.Context, a civic.Actor, f CategoryFilter) ([]civic.Category, error) {
	if err := a.Must(civic.PermCategoryRead); err != nil {
		return nil, err
	}
	where, args := "1=1", []any{}
	add := func(cond string, vs ...any) { where += " AND " + cond; args = append(args, vs...) }
	if f.ParentCode != "" {
		add("SUBSTR(code, 1, ?) = ? AND code <> ?", len(f.ParentCode), f.ParentCode, f.ParentCode)
	}
	if f.OnlyLeaves {
		add("leaf = ?", true)
	}
	if !f.IncludeInactive {
		add("active = ?", true)
	}
	if f.Type != "" {
		add("request_type = ?", string(f.Type))
	}
	if f.Accepted != nil {
		add("accepted = ?", *f.Accepted)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		// Case-blind for ASCII on both engines, as containsAny; the code
		// matches from its start.
		p := likeContains(asciiLower(q))
		add(`(LOWER(code) LIKE ? ESCAPE '\' OR LOWER(name) LIKE ? ESCAPE '\' OR LOWER(name_en) LIKE ? ESCAPE '\')`, p[1:], p, p)
	}
	rows, err := s.query(ctx, `SELECT `+categoryCols+` FROM categories WHERE `+where+` ORDER BY code`, args...)
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	defer rows.Close()
	var out []civic.Category
	for rows.Next() {
		c, err := scanCategory(rows)
		if err != nil {
			return nil, fmt.Errorf("scan category: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	if err := s.sortCategories(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// sortCategories puts a filtered list in tree order. The sort keys of
// ancestors that the filter left out still count, so they are read apart.
func (s *Store) sortCategories(ctx context.Context, cs []civic.Category) error {
	rows, err := s.query(ctx, `SELECT code, sort FROM categories`)
	if err != nil {
		return fmt.Errorf("read category order: %w", err)
	}
	defer rows.Close()
	order := map[string]int{}
	for rows.Next() {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			return fmt.Errorf("read category order: %w", err)
		}
		order[code] = n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read category order: %w", err)
	}
	SortCategoryTree(cs, func(code string) int { return order[code] })
	return nil
}

// SortCategoryTree orders categories depth-first: a category before its
// subtree, siblings by their sort key and then code.
func SortCategoryTree(cs []civic.Category, sortKey func(code string) int) {
	slices.SortStableFunc(cs, func(x, y civic.Category) int {
		a, b := x.Code, y.Code
		for i := 2; i <= len(a) && i <= len(b); i += 2 {
			if a[:i] == b[:i] {
				continue
			}
			if ka, kb := sortKey(a[:i]), sortKey(b[:i]); ka != kb {
				return ka - kb
			}
			return strings.Compare(a[:i], b[:i])
		}
		return len(a) - len(b)
	})
}

// treeState is what the tree checks need to know about a code: whether it
// exists and whether it is a leaf.
type treeState struct {
	exists, leaf, active bool
}

// categoryTree reads every code's state, for checks that span the tree.
func (tx *Tx) categoryTree(ctx context.Context) (map[string]treeState, error) {
	rows, err := tx.query(ctx, `SELECT code, leaf, active FROM categories`)
	if err != nil {
		return nil, fmt.Errorf("read category tree: %w", err)
	}
	defer rows.Close()
	out := map[string]treeState{}
	for rows.Next() {
		var code string
		var st treeState
		if err := rows.Scan(&code, &st.leaf, &st.active); err != nil {
			return nil, fmt.Errorf("read category tree: %w", err)
		}
		st.exists = true
		out[code] = st
	}
	return out, rows.Err()
}

// checkTree refuses a category whose parent is missing or is a leaf, and a
// leaf that has children. tree holds the catalogue as it will be once the
// write is done.
func checkTree(c *civic.Category, tree map[string]treeState) []civic.FieldError {
	var fs []civic.FieldError
	if c.ParentCode != "" {
		p := tree[c.ParentCode]
		switch {
		case !p.exists:
			fs = append(fs, civic.FieldErr("code", "上级分类 %s 不存在", "the parent category %s does not exist", c.ParentCode))
		case p.leaf:
			fs = append(fs, civic.FieldErr("code", "上级分类 %s 是小类，不能再有下级", "the parent category %s is a leaf and cannot have children", c.ParentCode))
		}
	}
	if c.Leaf {
		for code, st := range tree {
			if st.exists && len(code) > len(c.Code) && strings.HasPrefix(code, c.Code) {
				fs = append(fs, civic.FieldErr("leaf", "分类 %s 下还有下级分类，不能设为小类", "category %s has children and cannot be a leaf", c.Code))
				break
			}
		}
	}
	return fs
}

// CreateCategory adds a category to the catalogue.
func (s *Store) CreateCategory(ctx context.Context, a civic.Actor, c civic.Category) (civic.Category, error) {
	if err := a.MustCityWide(civic.PermCategoryWrite); err != nil {
		return c, err
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	err := s.write(ctx, func(tx *Tx) error {
		tree, err := tx.categoryTree(ctx)
		if err != nil {
			return err
		}
		if tree[c.Code].exists {
			return categoryExists(c.Code)
		}
		tree[c.Code] = treeState{exists: true, leaf: c.Leaf, active: c.Active}
		if fs := checkTree(&c, tree); len(fs) > 0 {
			return civic.Invalid(fs...)
		}
		return tx.insertCategory(ctx, a, &c)
	})
	if err != nil {
		return civic.Category{}, err
	}
	return s.GetCategory(ctx, a, c.Code)
}

func categoryExists(code string) *civic.Error {
	e := civic.Errorf(civic.EConflict, "编码 %s 已被使用", "code %s is already in use", code)
	e.Fields = []civic.FieldError{civic.FieldErr("code", "编码 %s 已被使用", "code %s is already in use", code)}
	return e
}

func (tx *Tx) insertCategory(ctx context.Context, a civic.Actor, c *civic.Category) error {
	tx.forgetRules()
	id, err := tx.insertID(ctx, `INSERT INTO categories (code, parent_code, leaf, name, name_en, request_type, handler_target, handler_department,
		claim_amount, claim_unit, feedback_amount, feedback_unit, complete_amount, complete_unit, visit_amount, visit_unit,
		yellow, red, accepted, not_accepted_reason, active, sort, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		append(append([]any{c.Code}, categoryArgs(c)...), tx.now, tx.now)...)
	if isUniqueViolation(err) {
		return categoryExists(c.Code)
	}
	if err != nil {
		return fmt.Errorf("insert category %s: %w", c.Code, err)
	}
	c.ID, c.CreatedAt, c.UpdatedAt = id, tx.now, tx.now
	return tx.audit(ctx, a, "category.create", "category", c.Code, a.Scope.RegionCode, nil, c)
}

func (tx *Tx) updateCategory(ctx context.Context, a civic.Actor, before, c *civic.Category) error {
	tx.forgetRules()
	_, err := tx.exec(ctx, `UPDATE categories SET parent_code = ?, leaf = ?, name = ?, name_en = ?, request_type = ?, handler_target = ?, handler_department = ?,
		claim_amount = ?, claim_unit = ?, feedback_amount = ?, feedback_unit = ?, complete_amount = ?, complete_unit = ?, visit_amount = ?, visit_unit = ?,
		yellow = ?, red = ?, accepted = ?, not_accepted_reason = ?, active = ?, sort = ?, updated_at = ? WHERE code = ?`,
		append(categoryArgs(c), tx.now, c.Code)...)
	if err != nil {
		return fmt.Errorf("update category %s: %w", c.Code, err)
	}
	c.ID, c.CreatedAt, c.UpdatedAt = before.ID, before.CreatedAt, tx.now
	return tx.audit(ctx, a, "category.update", "category", c.Code, a.Scope.RegionCode, before, c)
}

// UpdateCategory replaces a category's fields; the code names it and never
// changes, because cases keep it. Whether it is active is changed with
// SetCategoryActive, so an edit form cannot revive a category by accident.
func (s *Store) UpdateCategory(ctx context.Context, a civic.Actor, c civic.Category) (civic.Category, error) {
	out, err := s.updateCategory(ctx, a, c)
	if err != nil {
		return out, err
	}
	return out, s.recomputeAfter(ctx, c.Code)
}

func (s *Store) updateCategory(ctx context.Context, a civic.Actor, c civic.Category) (civic.Category, error) {
	if err := a.MustCityWide(civic.PermCategoryWrite); err != nil {
		return c, err
	}
	before, err := s.GetCategory(ctx, a, c.Code)
	if err != nil {
		return c, err
	}
	c.Active = before.Active
	if err := c.Validate(); err != nil {
		return c, err
	}
	err = s.write(ctx, func(tx *Tx) error {
		tree, err := tx.categoryTree(ctx)
		if err != nil {
			return err
		}
		if !tree[c.Code].exists {
			return categoryNotFound(c.Code)
		}
		tree[c.Code] = treeState{exists: true, leaf: c.Leaf, active: c.Active}
		if fs := checkTree(&c, tree); len(fs) > 0 {
			return civic.Invalid(fs...)
		}
		return tx.updateCategory(ctx, a, &before, &c)
	})
	if err != nil {
		return civic.Category{}, err
	}
	return s.GetCategory(ctx, a, c.Code)
}

// SetCategoryActive takes a category out of use or back into it. Cases
// keep their category's code, so categories are deactivated rather than
// deleted. Deactivating a group deactivates its whole subtree; activating
// needs an active parent, so that no active leaf hides under an inactive
// group. It returns how many categories changed.
func (s *Store) SetCategoryActive(ctx context.Context, a civic.Actor, code string, active bool) (int, error) {
	if err := a.MustCityWide(civic.PermCategoryWrite); err != nil {
		return 0, err
	}
	if _, err := s.GetCategory(ctx, a, code); err != nil {
		return 0, err
	}
	changed := 0
	err := s.write(ctx, func(tx *Tx) error {
		tree, err := tx.categoryTree(ctx)
		if err != nil {
			return err
		}
		var codes []string
		if active {
			if p := civic.ParentOfCategoryCode(code); p != "" && !tree[p].active {
				return civic.Errorf(civic.EInvalid, "请先启用上级分类 %s", "activate the parent category %s first", p)
			}
			if !tree[code].active {
				codes = []string{code}
			}
		} else {
			for c, st := range tree {
				if st.active && strings.HasPrefix(c, code) {
					codes = append(codes, c)
				}
			}
			sort.Strings(codes)
		}
		action := "category.deactivate"
		if active {
			action = "category.activate"
		}
		tx.forgetRules()
		for _, c := range codes {
			if _, err := tx.exec(ctx, `UPDATE categories SET active = ?, updated_at = ? WHERE code = ?`, active, tx.now, c); err != nil {
				return fmt.Errorf("set category %s active=%t: %w", c, active, err)
			}
			if err := tx.audit(ctx, a, action, "category", c, a.Scope.RegionCode, map[string]bool{"active": !active}, map[string]bool{"active": active}); err != nil {
				return err
			}
		}
		changed = len(codes)
		return nil
	})
	return changed, err
}

// ImportCategories writes many categories in one transaction, creating new
// codes and replacing existing ones (matched by code). Every entry is
// checked first and, if any is refused, nothing is written; errors name the
// entry by its position (starting at 1).
func (s *Store) ImportCategories(ctx context.Context, a civic.Actor, list []civic.Category) (ImportReport, error) {
	out, err := s.importCategories(ctx, a, list)
	if err != nil {
		return out, err
	}
	return out, s.recomputeAfter(ctx, "")
}

func (s *Store) importCategories(ctx context.Context, a civic.Actor, list []civic.Category) (ImportReport, error) {
	lines := make([]int, len(list))
	for i := range lines {
		lines[i] = i + 1
	}
	return s.ImportCategorySheet(ctx, a, CategorySheet{Categories: list, Lines: lines})
}

// ImportCategorySheet is ImportCategories for a parsed file: errors name
// the file's row and column.
func (s *Store) ImportCategorySheet(ctx context.Context, a civic.Actor, sh CategorySheet) (ImportReport, error) {
	out, err := s.importCategorySheet(ctx, a, sh)
	if err != nil {
		return out, err
	}
	return out, s.recomputeAfter(ctx, "")
}

func (s *Store) importCategorySheet(ctx context.Context, a civic.Actor, sh CategorySheet) (ImportReport, error) {
	if err := a.MustCityWide(civic.PermCategoryWrite); err != nil {
		return ImportReport{}, err
	}
	var rep ImportReport
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		rep, err = tx.importCategories(ctx, a, sh)
		return err
	})
	if err != nil {
		return ImportReport{}, err
	}
	return rep, nil
}

func (tx *Tx) importCategories(ctx context.Context, a civic.Actor, sh CategorySheet) (ImportReport, error) {
	var rep ImportReport
	list := slices.Clone(sh.Categories)
	line := func(i int) int {
		if i < len(sh.Lines) {
			return sh.Lines[i]
		}
		return i + 1
	}
	var errs []civic.FieldError
	addErr := func(i int, fe civic.FieldError) { errs = append(errs, rowError(line(i), fe)) }
	seen := map[string]int{}
	for i := range list {
		if err := list[i].Validate(); err != nil {
			for _, fe := range civic.AsError(err).Fields {
				addErr(i, fe)
			}
		}
		if j, dup := seen[list[i].Code]; dup && list[i].Code != "" {
			addErr(i, civic.FieldErr("code", "编码 %s 与第%d行重复", "code %s repeats row %d", list[i].Code, line(j)))
		} else {
			seen[list[i].Code] = i
		}
	}
	if len(errs) > 0 {
		return rep, importInvalid(errs)
	}
	tree, err := tx.categoryTree(ctx)
	if err != nil {
		return rep, err
	}
	existing := map[string]bool{}
	for code := range tree {
		existing[code] = true
	}
	for _, c := range list {
		tree[c.Code] = treeState{exists: true, leaf: c.Leaf, active: c.Active}
	}
	for i := range list {
		for _, fe := range checkTree(&list[i], tree) {
			addErr(i, fe)
		}
	}
	if len(errs) > 0 {
		return rep, importInvalid(errs)
	}
	for i := range list {
		c := &list[i]
		if !existing[c.Code] {
			if err := tx.insertCategory(ctx, a, c); err != nil {
				return rep, err
			}
			rep.Created++
			continue
		}
		before, err := scanCategory(tx.queryRow(ctx, `SELECT `+categoryCols+` FROM categories WHERE code = ?`, c.Code))
		if err != nil {
			return rep, fmt.Errorf("read category %s: %w", c.Code, err)
		}
		if err := tx.updateCategory(ctx, a, &before, c); err != nil {
			return rep, err
		}
		rep.Updated++
	}
	return rep, nil
}

// rowError puts the row and the column's name in front of a field error.
func rowError(line int, fe civic.FieldError) civic.FieldError {
	col := categoryColumnOf(fe.Field)
	if col.key == "" {
		return civic.FieldError{Field: fmt.Sprintf("rows[%d]", line),
			Msg: civic.T(fmt.Sprintf("第%d行：%s", line, fe.Msg.ZH), fmt.Sprintf("row %d: %s", line, fe.Msg.EN))}
	}
	return civic.FieldError{Field: fmt.Sprintf("rows[%d].%s", line, col.key),
		Msg: civic.T(fmt.Sprintf("第%d行“%s”列：%s", line, col.zh, fe.Msg.ZH), fmt.Sprintf("row %d, column %s: %s", line, col.key, fe.Msg.EN))}
}

// ExportCategories writes the whole catalogue, active or not, in tree
// order as CSV or XLSX in the layout ParseCategorySheet reads: Chinese
// headers and labels for lang "zh", English keys otherwise.
func (s *Store) ExportCategories(ctx context.Context, a civic.Actor, w io.Writer, format SheetFormat, lang string) error {
	cs, err := s.ListCategories(ctx, a, CategoryFilter{IncludeInactive: true})
	if err != nil {
		return err
	}
	return WriteCategorySheet(w, cs, format, lang)
}

//go:embed categories_default.csv
var defaultCategories []byte

// DefaultCategories returns the built-in catalogue, parsed.
func DefaultCategories() (CategorySheet, error) {
	sh, err := ParseCategorySheet(defaultCategories, SheetCSV)
	if err != nil {
		return sh, fmt.Errorf("built-in category catalogue: %w", err)
	}
	return sh, nil
}

// DepartmentPattern is the SQL form of civic.MatchesDepartment: a LIKE
// pattern, to be used with ESCAPE '\', that matches the organisation names
// answering to a handler rule's department ("城市管理委员会" matches every
// district's 城市管理委员会, "公安局*分局" every district's police branch).
func DepartmentPattern(department string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + strings.ReplaceAll(r.Replace(department), "*", "%")
}

// EnsureDefaultCategories loads the built-in catalogue when the table is
// empty, so that a new installation can take cases at once. A catalogue
// that exists, even a trimmed one, is never touched. It is safe to call on
// every start-up and from several processes at once.
func (s *Store) EnsureDefaultCategories(ctx context.Context) (int, error) {
	sh, err := DefaultCategories()
	if err != nil {
		return 0, err
	}
	loaded := 0
	err = s.write(ctx, func(tx *Tx) error {
		// Two processes starting together must not both see an empty table.
		if tx.s.engine == Postgres {
			if _, err := tx.exec(ctx, `LOCK TABLE categories IN EXCLUSIVE MODE`); err != nil {
				return fmt.Errorf("lock categories: %w", err)
			}
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM categories`).Scan(&n); err != nil {
			return fmt.Errorf("count categories: %w", err)
		}
		if n > 0 {
			return nil
		}
		rep, err := tx.importCategories(ctx, civic.System, sh)
		loaded = rep.Created
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("load default categories: %w", err)
	}
	return loaded, nil
}

// SheetFormat is a spreadsheet file format for import and export.
type SheetFormat string

const (
	SheetCSV  SheetFormat = "csv"
	SheetXLSX SheetFormat = "xlsx"
)

// SheetFormatOf picks the format from a Content-Type or a file name;
// ok is false for anything else.
func SheetFormatOf(contentTypeOrName string) (SheetFormat, bool) {
	s := strings.ToLower(strings.TrimSpace(contentTypeOrName))
	switch {
	case strings.HasPrefix(s, sheet.ContentType), strings.HasSuffix(s, ".xlsx"):
		return SheetXLSX, true
	case strings.HasPrefix(s, "text/csv"), strings.HasPrefix(s, "application/csv"), strings.HasSuffix(s, ".csv"):
		return SheetCSV, true
	}
	return "", false
}

// CategorySheet is a parsed import file: the categories and, for each, the
// file row it came from (the header is row 1).
type CategorySheet struct {
	Categories []civic.Category
	Lines      []int
}

// categoryColumn is one column of the import/export layout.
type categoryColumn struct {
	key, zh string
	// aliases are further accepted headers.
	aliases []string
}

// categoryColumns is the one documented layout, in order. Headers may be
// the English key or the Chinese name; columns may come in any order and
// only code and name are required. CategoryColumnHelp explains each.
var categoryColumns = []categoryColumn{
	{"code", "编码", []string{"分类编码"}},
	{"name", "名称", []string{"分类名称"}},
	{"name_en", "英文名称", nil},
	{"leaf", "是否小类", []string{"小类"}},
	{"type", "诉求类型", []string{"类型"}},
	{"handler", "承办对象", []string{"承办"}},
	{"department", "承办部门", []string{"部门"}},
	{"claim", "签收时限", nil},
	{"feedback", "反馈时限", nil},
	{"complete", "办结时限", nil},
	{"visit", "回访时限", nil},
	{"yellow", "黄色预警", []string{"黄灯"}},
	{"red", "红色预警", []string{"红灯"}},
	{"accepted", "是否受理", []string{"受理"}},
	{"not_accepted_reason", "不受理原因", nil},
	{"active", "是否启用", []string{"启用"}},
	{"sort", "排序", nil},
}

// CategoryColumnHelp documents the layout for the import page and the API
// description, one line per column.
var CategoryColumnHelp = []civic.Text{
	civic.T("编码（code）：每级两位数字，如 01、0103；Excel 去掉的前导0会补回", "code (编码): two digits per level, e.g. 01, 0103; a leading 0 dropped by Excel is restored"),
	civic.T("名称（name）、英文名称（name_en）", "name (名称), name_en (英文名称)"),
	civic.T("是否小类（leaf）：是/否；留空时，四位及以上且文件中没有下级的编码视为小类", "leaf (是否小类): yes/no; when blank, a code of four or more digits with no children in the file is a leaf"),
	civic.T("诉求类型（type）：咨询、求助、投诉、举报、建议、表扬", "type (诉求类型): consult, help, complaint, report, suggestion, praise"),
	civic.T("承办对象（handler）：物业、网格、社区、街道、职能部门；承办部门（department）：部门名称的结尾，如“城市管理委员会”，* 代表区名，如“公安局*分局”", "handler (承办对象): property, grid, community, street, department; department (承办部门): the end of the department's name, e.g. 城市管理委员会; * stands for the district, e.g. 公安局*分局"),
	civic.T("签收/反馈/办结/回访时限（claim/feedback/complete/visit）：数字加单位，如“2工作时”“1工作日”“24小时”", "claim/feedback/complete/visit: a number and a unit, e.g. \"2 work_hours\", \"1 work_days\", \"24 hours\""),
	civic.T("黄色/红色预警（yellow/red）：时限已用比例，如 0.5 和 0.8；小类留空时取 0.5 和 0.8", "yellow/red: fraction of each limit used, e.g. 0.5 and 0.8; blank on a leaf means 0.5 and 0.8"),
	civic.T("是否受理（accepted）：是/否，留空为是；不受理时须填不受理原因（not_accepted_reason）", "accepted: yes/no, blank means yes; a refused category needs not_accepted_reason"),
	civic.T("是否启用（active）：是/否，留空为是；排序（sort）：同级内的顺序，整数", "active: yes/no, blank means yes; sort: order among siblings, an integer"),
}

func categoryColumnOf(field string) categoryColumn {
	for _, c := range categoryColumns {
		if c.key == field {
			return c
		}
	}
	return categoryColumn{}
}

// Default warning fractions for leaves whose row leaves them blank.
const defaultYellow, defaultRed = 0.5, 0.8

// ParseCategorySheet reads a CSV (UTF-8, with or without BOM, or GBK as
// Excel on a Chinese Windows saves it; comma, or tab when the header has
// tabs) or XLSX file in the layout of
// categoryColumns. A file with any unreadable cell is refused as a whole,
// with every problem named by row and column.
func ParseCategorySheet(data []byte, format SheetFormat) (CategorySheet, error) {
	var recs [][]string
	switch format {
	case SheetXLSX:
		var err error
		if recs, err = sheet.Read(bytes.NewReader(data)); err != nil {
			var p *sheet.Problem
			if errors.As(err, &p) {
				return CategorySheet{}, fileProblem(p) // past a limit: name it
			}
			return CategorySheet{}, civic.Errorf(civic.EInvalid, "无法读取 Excel 文件：文件已损坏，或不是 .xlsx 格式（旧的 .xls 请另存为 .xlsx）", "cannot read the Excel file: it is damaged or not .xlsx (save an old .xls as .xlsx)")
		}
	case SheetCSV:
		text, _, err := sheet.Text(bytes.NewReader(data))
		if err == nil {
			data, err = io.ReadAll(text)
		}
		if err != nil || !sheet.Readable(string(data)) {
			return CategorySheet{}, civic.Errorf(civic.EInvalid, "CSV 文件须为 UTF-8 或 GBK 编码的文字（Excel 中“另存为 CSV UTF-8”）", "the CSV file must be UTF-8 or GBK text (in Excel, save as \"CSV UTF-8\")")
		}
		comma := byte(',')
		first, _, _ := bytes.Cut(data, []byte("\n"))
		if bytes.Contains(first, []byte("\t")) && !bytes.Contains(first, []byte(",")) {
			comma = '\t'
		}
		r := csv.NewReader(sheet.LimitCSV(bytes.NewReader(data), comma))
		r.Comma = rune(comma)
		r.FieldsPerRecord = -1
		if recs, err = r.ReadAll(); err != nil {
			var p *sheet.Problem
			if errors.As(err, &p) {
				return CategorySheet{}, fileProblem(p)
			}
			pr := sheet.CSVProblem(err)
			return CategorySheet{}, civic.Errorf(civic.EInvalid, "CSV 格式错误：%[1]s", "the CSV file is malformed: %[2]s", pr.ZH, pr.EN)
		}
	default:
		return CategorySheet{}, civic.Errorf(civic.EInvalid, "只接受 CSV 或 XLSX 文件", "only CSV and XLSX files are accepted")
	}
	return parseCategoryRecords(recs)
}

func parseCategoryRecords(recs [][]string) (CategorySheet, error) {
	var sh CategorySheet
	if len(recs) == 0 {
		return sh, civic.Errorf(civic.EInvalid, "文件是空的", "the file is empty")
	}
	// Map each header to a column key.
	idx := map[string]int{}
	var errs []civic.FieldError
	for i, h := range recs[0] {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		key := ""
		for _, c := range categoryColumns {
			if strings.EqualFold(h, c.key) || h == c.zh || slices.Contains(c.aliases, h) {
				key = c.key
			}
		}
		if key == "" {
			errs = append(errs, civic.FieldErr(fmt.Sprintf("header[%d]", i+1), "第1行：无法识别的列名“%s”", "row 1: unknown column %q", h))
			continue
		}
		if _, dup := idx[key]; dup {
			errs = append(errs, civic.FieldErr(fmt.Sprintf("header[%d]", i+1), "第1行：列“%s”重复", "row 1: column %q appears twice", h))
			continue
		}
		idx[key] = i
	}
	for _, k := range []string{"code", "name"} {
		if _, ok := idx[k]; !ok {
			c := categoryColumnOf(k)
			errs = append(errs, civic.FieldError{Field: "header", Msg: civic.T(fmt.Sprintf("第1行：缺少“%s”列", c.zh), fmt.Sprintf("row 1: the %s column is missing", c.key))})
		}
	}
	if len(errs) > 0 {
		return sh, importInvalid(errs)
	}
	cell := func(rec []string, key string) string {
		if i, ok := idx[key]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	// Which codes have children in the file decides blank leaf cells.
	parents := map[string]bool{}
	for _, rec := range recs[1:] {
		parents[civic.ParentOfCategoryCode(fixCode(cell(rec, "code")))] = true
	}
	for n, rec := range recs[1:] {
		line := n + 2
		if !slices.ContainsFunc(rec, func(s string) bool { return strings.TrimSpace(s) != "" }) {
			continue
		}
		c, fes := categoryOfRecord(func(k string) string { return cell(rec, k) }, parents)
		for _, fe := range fes {
			errs = append(errs, rowError(line, fe))
		}
		sh.Categories = append(sh.Categories, c)
		sh.Lines = append(sh.Lines, line)
	}
	if len(errs) > 0 {
		return CategorySheet{}, importInvalid(errs)
	}
	if len(sh.Categories) == 0 {
		return sh, civic.Errorf(civic.EInvalid, "文件中没有数据行", "the file has no data rows")
	}
	return sh, nil
}

// fixCode gives back the leading zero that spreadsheets strip from codes
// typed as numbers (0103 → 103).
func fixCode(code string) string {
	if len(code)%2 == 1 && strings.Trim(code, "0123456789") == "" {
		return "0" + code
	}
	return code
}

// categoryOfRecord converts one row; the field errors name column keys.
func categoryOfRecord(cell func(key string) string, parents map[string]bool) (civic.Category, []civic.FieldError) {
	var fes []civic.FieldError
	bad := func(key, zh, en string, args ...any) { fes = append(fes, civic.FieldErr(key, zh, en, args...)) }
	c := civic.Category{Code: fixCode(cell("code")), Name: cell("name"), NameEN: cell("name_en"), Accepted: true, Active: true}
	if v := cell("leaf"); v != "" {
		b, ok := parseYesNo(v)
		if !ok {
			bad("leaf", "应填“是”或“否”", "must be yes or no")
		}
		c.Leaf = b
	} else {
		c.Leaf = len(c.Code) >= 4 && !parents[c.Code]
	}
	if v := cell("type"); v != "" {
		t, ok := civic.ParseRequestType(v)
		if !ok {
			bad("type", "“%s”不是诉求类型（咨询、求助、投诉、举报、建议、表扬）", "%q is not a request type (consult, help, complaint, report, suggestion, praise)", v)
		}
		c.Type = t
	}
	if v := cell("handler"); v != "" {
		h, ok := civic.ParseHandlerTarget(v)
		if !ok {
			bad("handler", "“%s”不是承办对象（物业、网格、社区、街道、职能部门）", "%q is not a handler (property, grid, community, street, department)", v)
		}
		c.Handler.Target = h
	}
	c.Handler.Department = cell("department")
	for _, st := range civic.Stages {
		v := cell(string(st))
		if v == "" {
			continue
		}
		l, fe := civic.ParseTimeLimit(v)
		if fe != nil {
			fe.Field = string(st)
			fes = append(fes, *fe)
			continue
		}
		if c.Limits == nil {
			c.Limits = map[civic.Stage]civic.TimeLimit{}
		}
		c.Limits[st] = l
	}
	for _, k := range []string{"yellow", "red"} {
		v := cell(k)
		var f float64
		if v == "" {
			if c.Leaf {
				f = map[string]float64{"yellow": defaultYellow, "red": defaultRed}[k]
			}
		} else {
			var err error
			f, err = parseFraction(v)
			if err != nil {
				bad(k, "“%s”不是0到1之间的比例（如 0.5 或 50%%）", "%q is not a fraction between 0 and 1 (e.g. 0.5 or 50%%)", v)
			}
		}
		if k == "yellow" {
			c.Yellow = f
		} else {
			c.Red = f
		}
	}
	for _, k := range []string{"accepted", "active"} {
		v := cell(k)
		if v == "" {
			continue
		}
		b, ok := parseYesNo(v)
		if !ok {
			bad(k, "应填“是”或“否”", "must be yes or no")
		}
		if k == "accepted" {
			c.Accepted = b
		} else {
			c.Active = b
		}
	}
	c.NotAcceptedReason = cell("not_accepted_reason")
	if v := cell("sort"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			bad("sort", "排序应为整数", "sort must be an integer")
		}
		c.Sort = n
	}
	return c, fes
}

func parseFraction(s string) (float64, error) {
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := civic.ParseNumber(strings.TrimSpace(p))
		return f / 100, err
	}
	return civic.ParseNumber(s)
}

func parseYesNo(s string) (v, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "是", "y", "yes", "true", "1", "受理", "启用", "√":
		return true, true
	case "否", "n", "no", "false", "0", "不受理", "停用", "×":
		return false, true
	}
	return false, false
}

// WriteCategorySheet writes categories in the import layout.
func WriteCategorySheet(w io.Writer, cs []civic.Category, format SheetFormat, lang string) error {
	header := make([]string, len(categoryColumns))
	for i, c := range categoryColumns {
		header[i] = c.key
		if lang != "en" {
			header[i] = c.zh
		}
	}
	yesNo := func(b bool) string {
		switch {
		case lang == "en":
			return strconv.FormatBool(b)
		case b:
			return "是"
		}
		return "否"
	}
	label := func(t civic.Text, key string) string {
		if lang == "en" || key == "" {
			return key
		}
		return t.ZH
	}
	num := func(f float64) string {
		if f == 0 {
			return ""
		}
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	rows := make([][]string, 0, len(cs))
	for _, c := range cs {
		row := []string{c.Code, c.Name, c.NameEN, yesNo(c.Leaf), label(c.Type.Label(), string(c.Type)),
			label(c.Handler.Target.Label(), string(c.Handler.Target)), c.Handler.Department}
		for _, st := range civic.Stages {
			row = append(row, c.Limits[st].String(lang))
		}
		row = append(row, num(c.Yellow), num(c.Red), yesNo(c.Accepted), c.NotAcceptedReason, yesNo(c.Active), strconv.Itoa(c.Sort))
		rows = append(rows, row)
	}
	switch format {
	case SheetCSV:
		// The BOM makes Excel open the file as UTF-8 rather than GBK.
		if _, err := io.WriteString(w, "\xef\xbb\xbf"); err != nil {
			return fmt.Errorf("write categories csv: %w", err)
		}
		cw := sheet.NewCSVWriter(w)
		if err := cw.Write(header); err != nil {
			return fmt.Errorf("write categories csv: %w", err)
		}
		if err := cw.WriteAll(rows); err != nil {
			return fmt.Errorf("write categories csv: %w", err)
		}
		return nil
	case SheetXLSX:
		t := sheet.Table{Sheet: "categories", Header: header, Widths: []float64{10, 18, 24, 8, 8, 10, 22, 10, 10, 10, 10, 8, 8, 8, 40, 8, 6}}
		if lang != "en" {
			t.Sheet = "工单分类目录"
		}
		for _, r := range rows {
			// Codes stay text so that spreadsheets keep their leading zeros.
			cells := make([]any, len(r))
			for i, v := range r {
				cells[i] = v
			}
			t.Rows = append(t.Rows, cells)
		}
		return sheet.Write(w, t)
	}
	return fmt.Errorf("write categories: unknown format %q", format)
}
