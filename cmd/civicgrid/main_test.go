package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/testdb"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// syncBuffer is a bytes.Buffer safe to write from the command's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runCmd runs the real command in-process with a clean environment plus vars.
func runCmd(t *testing.T, stdin string, vars map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb syncBuffer
	env := Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return vars[k] }}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := run(ctx, args, env)
	return out.String(), errb.String(), err
}

func TestVersionAndUsage(t *testing.T) {
	out, _, err := runCmd(t, "", nil, "version")
	if err != nil || !strings.HasPrefix(out, "civicgrid ") {
		t.Fatalf("version: %q %v", out, err)
	}
	if _, _, err := runCmd(t, "", nil, "frobnicate"); err == nil || !strings.Contains(err.Error(), "未知命令") || !strings.Contains(err.Error(), "用法：") {
		t.Fatalf("unknown command: %v", err)
	}
	if _, _, err := runCmd(t, "", map[string]string{"CIVICGRID_LANG": "en"}, "frobnicate"); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("unknown command in English: %v", err)
	}
}

const cityFile = `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"1101","name":"测试市"},"geometry":{"type":"Polygon","coordinates":[[[116.3,39.8],[116.5,39.8],[116.5,40.0],[116.3,40.0],[116.3,39.8]]]}},
{"type":"Feature","properties":{"code":"110101","name":"甲区"},"geometry":{"type":"Polygon","coordinates":[[[116.3,39.8],[116.5,39.8],[116.5,40.0],[116.3,40.0],[116.3,39.8]]]}}
]}`

const brokenFile = `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"1101","name":"测试市"},"geometry":{"type":"Polygon","coordinates":[[[116.3,39.8],[116.5,39.8],[116.5,40.0],[116.3,40.0],[116.3,39.8]]]}},
{"type":"Feature","properties":{"code":"110101","name":"开口区"},"geometry":{"type":"Polygon","coordinates":[[[116.3,39.8],[116.5,39.8],[116.5,40.0],[116.3,40.0]]]}}
]}`

// TestCommandLine runs the administration commands against both engines.
func TestCommandLine(t *testing.T) {
	for _, e := range testdb.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			dir := t.TempDir()
			vars := map[string]string{"CIVICGRID_DB": testdb.DSN(t, e), "CIVICGRID_LOG_LEVEL": "warn", "CIVICGRID_KEYS_FILE": filepath.Join(dir, "civicgrid.keys")}
			good, bad := filepath.Join(dir, "good.geojson"), filepath.Join(dir, "bad.geojson")
			os.WriteFile(good, []byte(cityFile), 0o644)
			os.WriteFile(bad, []byte(brokenFile), 0o644)

			if out, _, err := runCmd(t, "", vars, "migrate"); err != nil || !strings.Contains(out, "数据库结构版本为") {
				t.Fatalf("migrate: %q %v", out, err)
			}
			_, _, err := runCmd(t, "", vars, "import", "regions", bad)
			if err == nil || !strings.Contains(errorText(err, langZH), "第2个要素（110101 开口区）") {
				t.Fatalf("broken import: %v", err)
			}
			if out, _, err := runCmd(t, "", vars, "import", "regions", good); err != nil || !strings.Contains(out, "新建2个") {
				t.Fatalf("import: %q %v", out, err)
			}
			if _, _, err := runCmd(t, "secret-pass-1\n", vars, "user", "add", "--username", "chief", "--name", "主任", "--role", "admin", "--scope", "1101", "--password-stdin"); err != nil {
				t.Fatalf("user add: %v", err)
			}
			if _, _, err := runCmd(t, "short\n", vars, "user", "passwd", "chief", "--password-stdin"); err == nil {
				t.Fatal("user passwd accepted a short password")
			}
			if _, _, err := runCmd(t, "", map[string]string{"CIVICGRID_DB": vars["CIVICGRID_DB"], "CIVICGRID_KEYS_FILE": vars["CIVICGRID_KEYS_FILE"], "CIVICGRID_PASSWORD": "another-pass-2"}, "user", "passwd", "chief"); err != nil {
				t.Fatalf("user passwd: %v", err)
			}
			out, _, err := runCmd(t, "", vars, "user", "list")
			if err != nil || !strings.Contains(out, "chief") || !strings.Contains(out, "共1个账号") {
				t.Fatalf("user list: %q %v", out, err)
			}
			out, _, err = runCmd(t, "", vars, "export", "regions", "--under", "110101")
			if err != nil || !strings.Contains(out, `"甲区"`) || strings.Contains(out, `"测试市"`) {
				t.Fatalf("export: %.200q %v", out, err)
			}
		})
	}
}

// TestKeysCommands: the keys file is created on first use, rotation adds a
// version and makes it active, and resealing reports what it did.
func TestKeysCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "k.db")
	out, _, err := runCmd(t, "", nil, "keys", "reseal", "--db", db)
	if err != nil || !strings.Contains(out, "已用第1版密钥重新加密0位居民和0个报事人手机号") {
		t.Fatalf("reseal: %q %v", out, err)
	}
	if fi, err := os.Stat(db + ".keys"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keys file: %v %v", fi, err)
	}
	out, _, err = runCmd(t, "", nil, "keys", "rotate", "--db", db)
	if err != nil || !strings.Contains(out, "中加入第2版密钥") || !strings.Contains(out, "已用第2版密钥") {
		t.Fatalf("rotate: %q %v", out, err)
	}
	if _, _, err := runCmd(t, "", map[string]string{"CIVICGRID_KEYS": "1:x"}, "keys", "rotate", "--db", db); err == nil {
		t.Fatal("rotate with keys from the environment did not refuse")
	}
}

// TestTriageCommands trains, classifies, evaluates and cross-validates on a
// small labelled file; eval's last line has the form the issue fixes.
func TestTriageCommands(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("title,text,label\n")
	for i, row := range []struct{ text, label string }{
		{"小区楼道堆满杂物消防通道被堵", "城乡建设"}, {"楼道杂物堆放影响通行", "城乡建设"}, {"电梯坏了一个月没人修", "城乡建设"},
		{"物业不作为电梯长期故障", "城乡建设"}, {"工厂夜间排放废气气味刺鼻", "环境保护"}, {"河道污水直排水体发黑发臭", "环境保护"},
		{"餐馆油烟扰民废气超标", "环境保护"}, {"工地噪音污染严重", "环境保护"},
	} {
		fmt.Fprintf(&b, "%s,%s,%s\n", map[bool]string{true: "标题", false: ""}[i%3 == 0], row.text, row.label)
	}
	data := filepath.Join(dir, "train.csv")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "model.json")
	if out, _, err := runCmd(t, "", nil, "triage", "train", "--data", data, "--out", model); err != nil || !strings.Contains(out, "用8个样本训练完成：2个分类") {
		t.Fatalf("train: %q %v", out, err)
	}
	// One answer line per input line: a blank for a blank, a GBK line
	// read as GBK, an error line for bytes that are not text.
	gbk, _ := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte("工厂排放废气"))
	out, _, err := runCmd(t, "楼道里又堆了杂物\n\n"+string(gbk)+"\n\xff\xfe\xfd\n工厂排放废气\n", nil, "triage", "classify", "--model", model)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if err != nil || len(lines) != 5 || !strings.HasPrefix(lines[0], "城乡建设\t") || lines[1] != "" || !strings.HasPrefix(lines[2], "环境保护\t") ||
		!strings.HasPrefix(lines[3], "error\t") || !strings.HasPrefix(lines[4], "环境保护\t") {
		t.Fatalf("classify: %q %v", out, err)
	}
	out, _, err = runCmd(t, "", nil, "triage", "eval", "--train", data, "--test", data)
	last := strings.TrimSpace(out)[strings.LastIndex(strings.TrimSpace(out), "\n")+1:]
	if err != nil || !regexp.MustCompile(`^macroF1=\d\.\d{4} accuracy=\d\.\d{4} train_s=\d+\.\d classify_us=\d+$`).MatchString(last) {
		t.Fatalf("eval: %q %v", out, err)
	}
	// Cross-validation repeated over partitions, with a category scheme's
	// names joining every training fold, reports each and their mean.
	scheme := filepath.Join(dir, "scheme.csv")
	if err := os.WriteFile(scheme, []byte("level1,level2,level3\n城乡建设,市政管理,电梯故障\n环境保护,污染防治,噪音污染\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCmd(t, "", nil, "triage", "cv", "--data", data, "--folds", "2", "--partitions", "3", "--extra", scheme)
	if err != nil || !strings.Contains(out, "第3次分折：macroF1=") || !strings.Contains(out, "3次分折的平均值") ||
		!regexp.MustCompile(`\nmacroF1=\d\.\d{4} accuracy=\d\.\d{4} took_s=`).MatchString(out) {
		t.Fatalf("cv over partitions: %q %v", out, err)
	}
	if _, _, err := runCmd(t, "", nil, "triage", "cv", "--data", data, "--partitions", "0"); err == nil || !strings.Contains(errorText(err, langZH), "--partitions 应在 1 到 100 之间") {
		t.Fatalf("cv over no partitions: %v", err)
	}
	if _, _, err := runCmd(t, "", nil, "triage", "cv", "--data", data, "--extra", filepath.Join(dir, "none.csv")); err == nil || !strings.Contains(errorText(err, langZH), "打开分类体系文件") {
		t.Fatalf("cv with a missing scheme: %v", err)
	}
	// A test file of a header only is refused before training; lines
	// ended by CR alone are lines; a label the training file lacks is
	// warned of.
	header := filepath.Join(dir, "header.csv")
	if err := os.WriteFile(header, []byte("title,text,label\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCmd(t, "", nil, "triage", "eval", "--train", data, "--test", header); err == nil || !strings.Contains(err.Error(), "no examples") ||
		!strings.Contains(errorText(err, langZH), "header.csv: 测试文件中没有样本") {
		t.Fatalf("eval on a header only: %v", err)
	}
	mac := filepath.Join(dir, "mac.csv")
	if err := os.WriteFile(mac, []byte("title,text,label\r,楼道杂物堆放,城乡建设\r,工厂排放废气,环境保护\r,学校乱收费,教育文体\r"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runCmd(t, "", nil, "triage", "eval", "--train", data, "--test", mac)
	if err != nil || !strings.Contains(out, "support") || !strings.Contains(errOut, "标签“教育文体”（测试文件中1行）不在训练文件中") {
		t.Fatalf("eval on CR lines: %q %q %v", out, errOut, err)
	}
	// A test row whose text was lost still counts (with its label, classified on
	// nothing), and is reported; a trailing empty row is a spreadsheet's leftover.
	blank := filepath.Join(dir, "blank.csv")
	if err := os.WriteFile(blank, []byte("title,text,label\n,楼道杂物堆放,城乡建设\n,,环境保护\n,,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err = runCmd(t, "", nil, "triage", "eval", "--train", data, "--test", blank)
	if err != nil || !regexp.MustCompile(`环境保护\s+\S+\s+\S+\s+\S+\s+1\n`).MatchString(out) || !strings.Contains(errOut, "blank.csv 中有1行标题和正文都为空（第一处在第3行）") {
		t.Fatalf("eval with a blank row: %q %q %v", out, errOut, err)
	}
	if out, _, err := runCmd(t, "", nil, "triage", "cv", "--data", data, "--folds", "2"); err != nil || !strings.Contains(out, "2折交叉验证，共8个样本") {
		t.Fatalf("cv: %q %v", out, err)
	}
	if _, _, err := runCmd(t, "", nil, "triage", "classify", "--model", filepath.Join(dir, "missing")); err == nil {
		t.Fatal("classify with a missing model did not fail")
	}
}

// TestBackupCommand: a SQLite deployment is copied into a new directory —
// the database (checked), its keys file and its photos — under the names
// civicgrid looks for beside a database, so that the backup serves as it
// is; the same directory is never written twice, and PostgreSQL is sent to
// its own tools.
func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "city.db")
	vars := map[string]string{"CIVICGRID_DB": db}
	if _, _, err := runCmd(t, "", vars, "migrate"); err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join(db+"-files", "ab", "abcdef.jpg")
	if err := os.MkdirAll(filepath.Dir(photo), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(photo, []byte("not really a jpeg"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "backup-1")
	got, _, err := runCmd(t, "", vars, "backup", "--out", out)
	if err != nil || !strings.Contains(got, "备份完成") || !strings.Contains(got, "已通过完整性检查") || !strings.Contains(got, "照片：1个文件") {
		t.Fatalf("backup: %q %v", got, err)
	}
	for _, name := range []string{"civicgrid.db", "civicgrid.db.keys", filepath.Join("civicgrid.db-files", "ab", "abcdef.jpg")} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("the backup lacks %s: %v", name, err)
		}
	}
	keys, _ := os.ReadFile(db + ".keys")
	if copied, _ := os.ReadFile(filepath.Join(out, "civicgrid.db.keys")); len(keys) == 0 || string(copied) != string(keys) {
		t.Error("the backup's keys differ from the database's")
	}
	// The backup is a database the command line opens as it is.
	if got, _, err := runCmd(t, "", map[string]string{"CIVICGRID_DB": filepath.Join(out, "civicgrid.db")}, "migrate", "--lang", "en"); err != nil || !strings.Contains(got, "applied 0 migration(s)") {
		t.Fatalf("migrate on the backup: %q %v", got, err)
	}
	if _, _, err := runCmd(t, "", vars, "backup", "--out", out); err == nil || !strings.Contains(errorText(err, langZH), "创建备份目录") {
		t.Fatalf("a second backup into the same directory: %v", err)
	}
	if _, _, err := runCmd(t, "", map[string]string{"CIVICGRID_DB": "postgres://x@127.0.0.1/db", "CIVICGRID_LANG": "en"}, "backup", "--out", filepath.Join(dir, "pg")); err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Fatalf("backup of PostgreSQL: %v", err)
	}
	if _, _, err := runCmd(t, "", vars, "backup"); err == nil || !strings.Contains(err.Error(), "--out DIR") {
		t.Fatalf("backup without --out: %v", err)
	}
}
