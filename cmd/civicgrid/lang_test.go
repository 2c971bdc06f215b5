package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLangOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  string
		args []string
		want lang
	}{
		{"nothing asked", "", []string{"migrate"}, langZH},
		{"environment", "en", []string{"migrate"}, langEN},
		{"environment in capitals", "EN", []string{"migrate"}, langEN},
		{"environment of another language", "fr", []string{"migrate"}, langZH},
		{"flag", "", []string{"migrate", "--lang", "en"}, langEN},
		{"flag with =", "", []string{"migrate", "--lang=en"}, langEN},
		{"flag with one dash", "", []string{"migrate", "-lang", "en"}, langEN},
		{"flag before the command", "", []string{"--lang", "en", "help"}, langEN},
		{"flag wins over environment", "en", []string{"migrate", "--lang", "zh"}, langZH},
		{"last flag wins", "", []string{"migrate", "--lang", "en", "--lang=zh"}, langZH},
		{"after --", "", []string{"migrate", "--", "--lang", "en"}, langZH},
		{"flag without value", "en", []string{"migrate", "--lang"}, langEN},
		{"flag of another language", "en", []string{"migrate", "--lang", "fr"}, langEN},
		{"another flag's value", "", []string{"user", "add", "--name", "--lang"}, langZH},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := langOf(tc.args, func(k string) string { return map[string]string{"CIVICGRID_LANG": tc.env}[k] }); got != tc.want {
				t.Fatalf("langOf(%q) with CIVICGRID_LANG=%q = %s, want %s", tc.args, tc.env, got, tc.want)
			}
		})
	}
}

// runServe runs a server command until it is ready and returns what it
// printed.
func runServe(t *testing.T, vars map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, errb syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env := Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return vars[k] }, Ready: func(string) { cancel() }}
	err := run(ctx, args, env)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return out.String(), err
}

// TestCommandsSpeakBothLanguages runs every subcommand three times: as it
// comes (Chinese), with CIVICGRID_LANG=en and with --lang en, and looks for
// a message of each language in what it printed, its usage or its error
// (as main shows it).
func TestCommandsSpeakBothLanguages(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.geojson")
	data := filepath.Join(dir, "train.csv")
	unseen := filepath.Join(dir, "unseen.csv")
	model := filepath.Join(dir, "model.json")
	for path, text := range map[string]string{
		good:   cityFile,
		data:   "title,text,label\n,楼道杂物堆放,城乡建设\n,电梯坏了没人修,城乡建设\n,工厂排放废气,环境保护\n,工地噪音扰民,环境保护\n",
		unseen: "title,text,label\n,楼道杂物堆放,城乡建设\n,学校乱收费,教育文体\n",
	} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	vars := map[string]string{"CIVICGRID_DB": filepath.Join(dir, "c.db"), "CIVICGRID_LOG_LEVEL": "warn"}
	if _, _, err := runCmd(t, "", vars, "import", "regions", good); err != nil {
		t.Fatalf("import regions: %v", err)
	}
	if _, _, err := runCmd(t, "secret-pass-1\n", vars, "user", "add", "--username", "chief", "--name", "主任", "--role", "admin", "--scope", "1101", "--password-stdin"); err != nil {
		t.Fatalf("user add: %v", err)
	}
	if _, _, err := runCmd(t, "", vars, "triage", "train", "--data", data, "--out", model); err != nil {
		t.Fatalf("triage train: %v", err)
	}
	evalLine := regexp.MustCompile(`(?m)^macroF1=\d\.\d{4} accuracy=\d\.\d{4} train_s=\d+\.\d classify_us=\d+\n\z`)

	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		// flagAt is where --lang en goes in args (0: at the end), for
		// commands that take words after their flags.
		flagAt int
		zh, en string
		serve  bool
	}{
		{name: "help", args: []string{"help"}, zh: "选择命令行\n消息的语言", en: "chooses the language of these messages"},
		{name: "no command", args: nil, zh: "用法：\n  civicgrid serve", en: "Usage:\n  civicgrid serve"},
		{name: "unknown command", args: []string{"frobnicate"}, zh: `未知命令 "frobnicate"`, en: `unknown command "frobnicate"`},
		{name: "migrate", args: []string{"migrate"}, zh: "数据库结构版本为", en: "schema version"},
		{name: "migrate flag help", args: []string{"migrate", "-h"}, zh: "选项：\n  --db string\n      SQLite 文件路径", en: "Options:\n  --db string\n      SQLite file path"},
		{name: "serve", args: []string{"serve", "--addr", "127.0.0.1:0"}, serve: true, zh: "civicgrid 已启动：http://127.0.0.1:", en: "civicgrid is serving at http://127.0.0.1:"},
		{name: "serve flag help", args: []string{"serve", "-h"}, zh: "监听地址（默认：:8080）", en: "listen address (default :8080)"},
		{name: "demo flag help", args: []string{"demo", "--bogus"}, zh: "没有这个选项：-bogus", en: "flag provided but not defined: -bogus"},
		{name: "import regions", args: []string{"import", "regions", good}, flagAt: 2, zh: "已导入2个区划", en: "imported 2 region(s)"},
		{name: "import usage", args: []string{"import", "people"}, zh: "导入区划和网格", en: "import regions, all or nothing"},
		{name: "export regions", args: []string{"export", "regions", "--out"}, flagAt: 2, zh: "选项 -out 缺少取值", en: "flag needs an argument: -out"},
		{name: "user add", stdin: "secret-pass-1\n", args: []string{"user", "add", "--username", "clerk{n}", "--name", "文员", "--role", "operator", "--scope", "1101", "--password-stdin"},
			zh: "已创建账号 clerk", en: "created user clerk"},
		{name: "user add refused", stdin: "short\n", args: []string{"user", "add", "--username", "clerk", "--name", "文员", "--role", "admin", "--scope", "1101", "--password-stdin"},
			zh: "密码", en: "password must have at least 8 characters"},
		{name: "user passwd", stdin: "another-pass-2\n", args: []string{"user", "passwd", "chief", "--password-stdin"}, flagAt: 2,
			zh: "已重设 chief 的密码", en: "password of chief changed"},
		{name: "user passwd of nobody", stdin: "another-pass-2\n", args: []string{"user", "passwd", "nobody", "--password-stdin"}, flagAt: 2,
			zh: "未找到用户 nobody", en: "not found"},
		{name: "user list", args: []string{"user", "list", "--role", "admin"}, zh: "管理员（admin）", en: "1 user(s)"},
		{name: "user usage", args: []string{"user"}, zh: "重设密码", en: "set a new password"},
		{name: "keys rotate", args: []string{"keys", "rotate"}, zh: "版密钥，现用它加密", en: "and now active"},
		{name: "keys reseal", args: []string{"keys", "reseal"}, zh: "它们不再需要旧密钥", en: "older keys are no longer needed"},
		{name: "keys file missing", args: []string{"keys", "rotate", "--keys", filepath.Join(dir, "none")}, zh: "读取密钥文件：" + filepath.Join(dir, "none") + "：文件或目录不存在", en: "read keys file: open " + filepath.Join(dir, "none") + ": no such file"},
		{name: "triage train", args: []string{"triage", "train", "--data", data, "--out", model}, zh: "用4个样本训练完成", en: "trained on 4 examples"},
		{name: "triage train usage", args: []string{"triage", "train"}, zh: "训练文本分类模型", en: "train the text classifier"},
		{name: "triage classify", stdin: "楼道杂物\n\xff\xfe\xfd\n", args: []string{"triage", "classify", "--model", model}, zh: "\nerror\t文件", en: "\nerror\tthe file"},
		{name: "triage classify without a model", args: []string{"triage", "classify"}, zh: "请用 --model 指定模型文件", en: "give the model file with --model"},
		{name: "triage eval", args: []string{"triage", "eval", "--train", data, "--test", unseen}, zh: "不在训练文件中", en: "is not in the training file"},
		{name: "triage cv", args: []string{"triage", "cv", "--data", data, "--folds", "2"}, zh: "2折交叉验证", en: "2-fold cross-validation"},
		{name: "triage cv bad folds", args: []string{"triage", "cv", "--data", data, "--folds", "x"}, zh: `选项 -folds 的取值 "x" 无效：格式不对`, en: `invalid value "x" for flag -folds: parse error`},
		{name: "bench startup flag help", args: []string{"bench", "startup", "-h"}, zh: "测量启动时间", en: "measure start-up times"},
		{name: "triage usage", args: []string{"triage", "frobnicate"}, zh: `未知的 triage 命令 "frobnicate"`, en: `unknown triage command "frobnicate"`},
		{name: "lang of another language", args: []string{"migrate", "--lang", "fr"}, flagAt: 1, zh: `选项 -lang 的取值 "fr" 无效：只能是 zh 或 en`, en: `invalid value "fr" for flag -lang: want zh or en`},
	} {
		for n, v := range []struct {
			name    string
			env     string
			flag    bool
			want    string
			notWant string
		}{
			{"as it comes", "", false, tc.zh, tc.en},
			{"CIVICGRID_LANG=en", "en", false, tc.en, tc.zh},
			{"--lang en", "", true, tc.en, tc.zh},
		} {
			t.Run(tc.name+"/"+v.name, func(t *testing.T) {
				args := slices.Clone(tc.args)
				for i := range args {
					args[i] = strings.ReplaceAll(args[i], "{n}", fmt.Sprint(n))
				}
				if v.flag {
					at := len(args)
					if tc.flagAt > 0 {
						at = tc.flagAt
					}
					args = slices.Insert(args, at, "--lang", "en")
				}
				env := withVar(vars, "CIVICGRID_LANG", v.env)
				var out, errOut string
				var err error
				if tc.serve {
					out, err = runServe(t, env, args...)
				} else {
					out, errOut, err = runCmd(t, tc.stdin, env, args...)
				}
				// What main prints for an error.
				var ue usageError
				switch {
				case errors.As(err, &ue):
					errOut += ue.Error()
				case err != nil:
					errOut += "civicgrid: " + errorText(err, langOf(args, func(k string) string { return env[k] }))
				}
				all := out + errOut
				if !strings.Contains(all, v.want) || strings.Contains(all, v.notWant) {
					t.Fatalf("%q: want %q and not %q in\n%s", args, v.want, v.notWant, all)
				}
				if tc.name == "triage eval" && !evalLine.MatchString(out) {
					t.Fatalf("eval's last line changed:\n%s", out)
				}
			})
		}
	}
}

// withVar is a copy of vars with key set to value, unless value is empty.
func withVar(vars map[string]string, key, value string) map[string]string {
	m := map[string]string{}
	for k, v := range vars {
		m[k] = v
	}
	if value != "" {
		m[key] = value
	}
	return m
}

// TestDemoLogins: the demo's start-up lists its logins in the run's
// language, with the same accounts.
func TestDemoLogins(t *testing.T) {
	var zh, en bytes.Buffer
	printLogins(Env{Stdout: &zh, Lang: langZH}, "http://127.0.0.1:8080")
	printLogins(Env{Stdout: &en, Lang: langEN}, "http://127.0.0.1:8080")
	for _, want := range []string{"civicgrid 演示城市已启动：http://127.0.0.1:8080", "可用以下任一账号登录", "登录名", "管理员（admin）"} {
		if !strings.Contains(zh.String(), want) {
			t.Errorf("Chinese logins lack %q:\n%s", want, zh.String())
		}
	}
	for _, want := range []string{"civicgrid demo city is serving at http://127.0.0.1:8080", "Sign in as any of these", "username"} {
		if !strings.Contains(en.String(), want) {
			t.Errorf("English logins lack %q:\n%s", want, en.String())
		}
	}
	if zl, el := strings.Count(zh.String(), "\n"), strings.Count(en.String(), "\n"); zl != el {
		t.Errorf("%d lines in Chinese, %d in English", zl, el)
	}
}

// TestUsageListsEveryCommand: each command run dispatches is in the usage
// of both languages, with its description in that language.
func TestUsageListsEveryCommand(t *testing.T) {
	for _, l := range []lang{langZH, langEN} {
		u := usageText(l, "")
		for _, c := range commands() {
			line := strings.TrimSpace("civicgrid " + c.name + " " + c.args)
			if !strings.Contains(u, line+"\n      "+l.pick(c.zh, c.en)+"\n") {
				t.Errorf("%s usage lacks %q", l, line)
			}
		}
	}
	if got := fmt.Sprint(usageText(langEN, "keys")); !strings.Contains(got, "keys rotate") || !strings.Contains(got, "keys reseal") || strings.Contains(got, "triage") {
		t.Errorf("usage of keys: %s", got)
	}
}

// TestFlagsAfterWords: a command's flags may follow its other words, as
// the README writes user passwd; a flag's value stays with it.
func TestFlagsAfterWords(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		words []string
		pw    bool
		db    string
	}{
		{"flags first", []string{"--password-stdin", "--db", "x.db", "wang"}, []string{"wang"}, true, "x.db"},
		{"flags after", []string{"wang", "--password-stdin", "--db", "x.db"}, []string{"wang"}, true, "x.db"},
		{"flag with =", []string{"wang", "--db=x.db"}, []string{"wang"}, false, "x.db"},
		{"value like a word", []string{"--db", "wang", "li"}, []string{"li"}, false, "wang"},
		{"after --", []string{"--", "--db", "x.db"}, []string{"--db", "x.db"}, false, "./civicgrid.db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c config
			fs := newFlags("user passwd", Env{Getenv: func(string) string { return "" }}, &c)
			pw := fs.Bool("password-stdin", false, "")
			if err := parse(fs, tc.args); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(fs.Args(), tc.words) || *pw != tc.pw || c.db != tc.db {
				t.Fatalf("words %q, password-stdin %v, db %q", fs.Args(), *pw, c.db)
			}
		})
	}
	var c config
	fs := newFlags("user passwd", Env{Getenv: func(string) string { return "" }}, &c)
	if err := parse(fs, []string{"wang", "--db"}); err == nil || !strings.Contains(err.Error(), "选项 -db 缺少取值") {
		t.Fatalf("flag without its value: %v", err)
	}
}
