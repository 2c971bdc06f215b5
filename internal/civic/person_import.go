package civic

import (
	"strings"
	"time"
)

// ImportKind is what a spreadsheet import holds: houses or people.
type ImportKind string

const (
	ImportHouses ImportKind = "houses"
	ImportPeople ImportKind = "people"
)

func (k ImportKind) Valid() bool { return k == ImportHouses || k == ImportPeople }
func (k ImportKind) Label() Text {
	if k == ImportHouses {
		return T("房屋", "Houses")
	}
	return T("人口", "People")
}

// ImportState is where a background import is.
type ImportState string

const (
	ImportQueued  ImportState = "queued"
	ImportRunning ImportState = "running"
	ImportDone    ImportState = "done"
	ImportFailed  ImportState = "failed"
)

var importStateLabels = map[ImportState]Text{
	ImportQueued:  T("排队中", "Queued"),
	ImportRunning: T("导入中", "Running"),
	ImportDone:    T("已完成", "Done"),
	ImportFailed:  T("失败", "Failed"),
}

func (s ImportState) Label() Text { return importStateLabels[s] }

// Finished reports whether the import will not change any more.
func (s ImportState) Finished() bool { return s == ImportDone || s == ImportFailed }

// Column is one column of an import sheet: Key names it in code and in
// field errors, Label is the Chinese header the template carries (and the
// English one, also accepted), Aliases are other headers met in the wild.
type Column struct {
	Key      string
	Label    Text
	Aliases  []string
	Required bool
	Help     Text
	Example  string
}

// HouseColumns are the columns of a houses sheet (房屋信息表).
var HouseColumns = []Column{
	{Key: "grid_code", Label: T("网格编码", "Grid code"), Aliases: []string{"网格代码", "grid"}, Required: true, Help: T("15位网格编码，须在您的管辖范围内", "the 15-digit grid code, inside your scope"), Example: "110101001001001"},
	{Key: "compound", Label: T("小区", "Compound"), Aliases: []string{"小区名称", "compound name"}, Help: T("小区名称；网格（或其社区）内没有同名小区时新建", "the compound's name; created in the grid when the grid (or its community) has none of that name"), Example: "幸福里小区"},
	{Key: "building", Label: T("楼栋", "Building"), Aliases: []string{"楼栋号", "楼号"}, Required: true, Help: T("楼栋名称，如“3号楼”；没有时新建，层数和单元数随房屋增加", "the building's name, e.g. 3号楼; created when missing, its floors and units grow with its houses"), Example: "3号楼"},
	{Key: "unit", Label: T("单元", "Unit"), Aliases: []string{"单元号"}, Required: true, Help: T("单元号，1到50的整数", "the unit (entrance), a whole number 1 to 50"), Example: "2"},
	{Key: "floor", Label: T("楼层", "Floor"), Aliases: []string{"所在楼层"}, Required: true, Help: T("楼层，地上1到200，地下为负数", "the floor, 1 to 200 above ground, negative below"), Example: "3"},
	{Key: "number", Label: T("门牌号", "House number"), Aliases: []string{"房号", "室号", "number"}, Required: true, Help: T("门牌号（户号），同一楼栋同一单元内唯一，如“301”", "the house number, unique in its building and unit, e.g. 301"), Example: "301"},
	{Key: "area_m2", Label: T("面积", "Area"), Aliases: []string{"建筑面积", "面积(㎡)", "area m2", "area_m2"}, Help: T("建筑面积（平方米），可空", "floor area in square metres, may be empty"), Example: "78.5"},
	{Key: "use", Label: T("用途", "Use"), Aliases: []string{"房屋用途"}, Help: T("自住、出租、空置或商用，空为自住", "own, rented, vacant or commercial; empty means own"), Example: "自住"},
	{Key: "property", Label: T("物业公司", "Property company"), Aliases: []string{"物业"}, Help: T("新建小区时登记其物业公司（须为已登记的物业类组织），可空", "for a new compound, its property company (a registered property company), may be empty"), Example: ""},
}

// PeopleColumns are the columns of a people sheet (实有人口信息表). The house
// columns name the house a person lives in; the house must exist.
var PeopleColumns = []Column{
	{Key: "name", Label: T("姓名", "Name"), Required: true, Help: T("姓名，不超过40字", "the name, at most 40 characters"), Example: "王秀英"},
	{Key: "id_type", Label: T("证件类型", "ID type"), Aliases: []string{"证件种类"}, Help: T("居民身份证（空即是）、港澳台居民居住证、港澳居民来往内地通行证、台湾居民来往大陆通行证、外国人永久居留身份证或护照", "resident ID card (the default), HK/Macao/Taiwan residence permit, home-return permit, Taiwan compatriot permit, foreign permanent resident ID or passport"), Example: "居民身份证"},
	{Key: "id_number", Label: T("证件号码", "ID number"), Aliases: []string{"身份证号", "身份证号码", "公民身份号码", "id"}, Help: T("身份证号须18位且校验位正确；同一证件号已登记时合并到该人员", "an ID card number has 18 characters with a correct check character; a number already registered merges into that person"), Example: "11010519491231002X"},
	{Key: "gender", Label: T("性别", "Gender"), Help: T("男或女；有身份证号时可空，须与证件号一致", "男 or 女; may be empty with an ID card number, and must agree with it"), Example: "女"},
	{Key: "birth_date", Label: T("出生日期", "Birth date"), Aliases: []string{"出生年月日", "birthday"}, Help: T("YYYY-MM-DD；有身份证号时可空，须与证件号一致", "YYYY-MM-DD; may be empty with an ID card number, and must agree with it"), Example: "1949-12-31"},
	{Key: "phone", Label: T("手机号", "Phone"), Aliases: []string{"联系电话", "电话", "手机号码", "mobile"}, Help: T("手机号或带区号的固定电话", "a mobile number or a landline with area code"), Example: "13800138000"},
	{Key: "residence_type", Label: T("人口类型", "Residence type"), Aliases: []string{"人员类型"}, Help: T("户籍、常住、流动或租住，空为户籍", "户籍, 常住, 流动 or 租住 (hukou, resident, floating, tenant); empty means hukou"), Example: "户籍"},
	{Key: "ethnic", Label: T("民族", "Ethnic group"), Aliases: []string{"ethnicity"}, Example: "汉族"},
	{Key: "workplace", Label: T("工作单位", "Workplace"), Aliases: []string{"服务处所"}, Example: "退休"},
	{Key: "tags", Label: T("标签", "Tags"), Aliases: []string{"人员标签"}, Help: T("用顿号分隔，如“独居、低保”；年龄和流动人口标签自动生成；导入只增加标签，不删除", "separated by 、 e.g. 独居、低保; age and floating tags follow from the data; an import adds tags, never removes them"), Example: "独居、低保"},
	{Key: "grid_code", Label: T("网格编码", "Grid code"), Aliases: []string{"网格代码", "grid"}, Required: true, Help: T("所属网格的15位编码，须在您的管辖范围内", "the 15-digit code of the person's grid, inside your scope"), Example: "110101001001001"},
	{Key: "compound", Label: T("小区", "Compound"), Aliases: []string{"小区名称"}, Help: T("居住房屋所在小区（没有小区的楼栋留空）", "the compound of the house the person lives in (empty for a building outside any compound)"), Example: "幸福里小区"},
	{Key: "building", Label: T("楼栋", "Building"), Aliases: []string{"楼栋号", "楼号"}, Help: T("居住房屋所在楼栋；楼栋、单元、门牌号同时填写或同时留空", "the building of the house; give building, unit and number together or none of them"), Example: "3号楼"},
	{Key: "unit", Label: T("单元", "Unit"), Aliases: []string{"单元号"}, Example: "2"},
	{Key: "number", Label: T("门牌号", "House number"), Aliases: []string{"房号", "室号"}, Help: T("房屋须已在网格内登记（先导入房屋）", "the house must already be registered in the grid (import houses first)"), Example: "301"},
	{Key: "relation", Label: T("与房屋关系", "Relation"), Aliases: []string{"人房关系", "与户主关系"}, Help: T("产权人（业主）、租户或家庭成员，空为家庭成员", "owner, tenant or family member; empty means family member"), Example: "产权人"},
	{Key: "move_in", Label: T("入住日期", "Move-in date"), Aliases: []string{"入住时间"}, Help: T("YYYY-MM-DD，空为导入当天", "YYYY-MM-DD; empty means the day of the import"), Example: "2001-06-01"},
	{Key: "note", Label: T("备注", "Note"), Example: ""},
}

// Columns lists the kind's sheet columns.
func (k ImportKind) Columns() []Column {
	if k == ImportHouses {
		return HouseColumns
	}
	return PeopleColumns
}

// MaxImportColumns is the widest header row an import reads; a wider one
// is refused before any matching. It is sheet.MaxColumns, which refuses
// wider rows as the file is read.
const MaxImportColumns = 256

// headerFold drops the spaces, required markers and underscores that a
// header cell may carry. A Replacer is safe for concurrent use and never
// changes, so one serves every import.
var headerFold = strings.NewReplacer(" ", "", "\u3000", "", "*", "", "＊", "", "_", "")

// normHeader folds a header cell for matching: no spaces, no required
// marker, no byte-order mark, lower case.
func normHeader(s string) string {
	s = strings.TrimPrefix(s, "\ufeff")
	return strings.ToLower(headerFold.Replace(strings.TrimSpace(s)))
}

// headerKeys maps each kind's folded header names (key, labels, aliases)
// to the keys of the columns that carry them, in column order; built once,
// so that matching a header costs a look-up per cell.
var headerKeys = map[ImportKind]map[string][]string{
	ImportHouses: headerIndex(HouseColumns),
	ImportPeople: headerIndex(PeopleColumns),
}

func headerIndex(cols []Column) map[string][]string {
	m := map[string][]string{}
	for _, c := range cols {
		for _, name := range append([]string{c.Key, c.Label.ZH, c.Label.EN}, c.Aliases...) {
			n := normHeader(name)
			if ks := m[n]; len(ks) == 0 || ks[len(ks)-1] != c.Key {
				m[n] = append(ks, c.Key)
			}
		}
	}
	return m
}

// MatchHeader maps a header row to column keys: the position of each known
// column, the first cell that names it. Unknown headers are ignored;
// missing required columns are an error naming them, and so is a header
// wider than MaxImportColumns.
func (k ImportKind) MatchHeader(header []string) (map[string]int, error) {
	if len(header) > MaxImportColumns {
		return nil, Invalid(FieldErr("file", "表头超过%d列（每行最多%[1]d列，请使用模板）", "the header has more than %d columns (the limit is %[1]d; use the template)", MaxImportColumns))
	}
	keys := headerKeys[k]
	if keys == nil {
		keys = headerKeys[ImportPeople] // as Columns
	}
	at := map[string]int{}
	for i, h := range header {
		for _, key := range keys[normHeader(h)] {
			if _, done := at[key]; !done {
				at[key] = i
			}
		}
	}
	var missing []string
	var missingEN []string
	for _, c := range k.Columns() {
		if _, ok := at[c.Key]; c.Required && !ok {
			missing = append(missing, c.Label.ZH)
			missingEN = append(missingEN, c.Label.EN)
		}
	}
	if len(missing) > 0 {
		return nil, Invalid(FieldError{Field: "file", Msg: T("表头缺少必填列："+strings.Join(missing, "、")+"（请使用模板）",
			"the header lacks required columns: "+strings.Join(missingEN, ", ")+" (use the template)")})
	}
	return at, nil
}

// ColumnLabel is the header of the column key in lang, or key itself.
func (k ImportKind) ColumnLabel(key, lang string) string {
	for _, c := range k.Columns() {
		if c.Key == key {
			return c.Label.In(lang)
		}
	}
	return key
}

// SplitTags splits a tags cell on the separators spreadsheets carry.
func SplitTags(s string) []string {
	f := func(r rune) bool { return strings.ContainsRune("、,，;；/", r) }
	var out []string
	for _, t := range strings.FieldsFunc(s, f) {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// Import is one spreadsheet upload and what became of it.
type Import struct {
	ID         int64       `json:"id"`
	Kind       ImportKind  `json:"kind"`
	FileName   string      `json:"file_name"`
	Format     string      `json:"format"` // csv or xlsx
	State      ImportState `json:"state"`
	UserID     int64       `json:"user_id"`
	Username   string      `json:"username"`
	RegionCode string      `json:"region_code"`
	// Done counts the data rows worked through so far, Total all of them
	// (known once the run has read the file).
	Total     int    `json:"total"`
	Done      int    `json:"done"`
	Created   int    `json:"created"`
	Merged    int    `json:"merged"`
	Unchanged int    `json:"unchanged"`
	Rejected  int    `json:"rejected"`
	Error     string `json:"error,omitempty"`
	// Attempts counts the runs that took the import; more than one means a
	// runner stopped and another resumed it.
	Attempts   int        `json:"attempts"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// Percent is how far the import is, 0–100.
func (im Import) Percent() int {
	if im.State == ImportDone {
		return 100
	}
	if im.Total <= 0 {
		return 0
	}
	return min(100, im.Done*100/im.Total)
}

// ImportIssueKind tells a rejected row from a merged one.
type ImportIssueKind string

const (
	IssueRejected ImportIssueKind = "rejected"
	IssueMerged   ImportIssueKind = "merged"
)

// CellError is one reason a row was refused: the column as the sheet
// names it (Field is the column key) and why.
type CellError struct {
	Field  string `json:"field"`
	Column string `json:"column"`
	Msg    Text   `json:"message"`
}

// MergeChange is one field a merge changed. Personal numbers appear
// masked only.
type MergeChange struct {
	Field  string `json:"field"`
	Column string `json:"column"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// ImportIssue is a row of the report: a rejected row with its cells and
// errors, or a merged row with what changed. Row is the row number as the
// user sees it in the sheet (the header is row 1).
type ImportIssue struct {
	Row      int             `json:"row"`
	Kind     ImportIssueKind `json:"kind"`
	Cells    []string        `json:"cells,omitempty"`
	Errors   []CellError     `json:"errors,omitempty"`
	Changes  []MergeChange   `json:"changes,omitempty"`
	PersonID int64           `json:"person_id,omitempty"`
	HouseID  int64           `json:"house_id,omitempty"`
	// SameAs is the earlier row of the same file this row merged into.
	SameAs int `json:"same_as,omitempty"`
}
