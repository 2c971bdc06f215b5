// Command civicgrid is the whole product in one binary: the server, the demo
// city, migrations, account and region administration, and benchmarks.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	if err := run(ctx, os.Args[1:], env); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "civicgrid:", errorText(err, langOf(os.Args[1:], env.Getenv)))
		os.Exit(1)
	}
}

// Env is the outside world a run sees, so that tests can run the real
// command in-process.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Ready, if set, is called with the base URL once the server answers.
	Ready func(url string)
	// Lang is the language of the run's messages; run sets it (langOf).
	Lang lang
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// command is one line of the usage: how a command is called and what it
// does, in both languages.
type command struct{ name, args, zh, en string }

// commands is the command line's table of contents.
func commands() []command {
	return []command{
		{"serve", "[--db PATH|URL] [--addr HOST:PORT] [--basemap URL]", "运行服务器", "run the server"},
		{"demo", "[--db PATH|URL] [--addr HOST:PORT]", "数据库为空时载入演示城市，然后运行服务器", "load the demo city if the database is empty, then serve it"},
		{"migrate", "[--db PATH|URL]", "执行数据库迁移", "apply database migrations"},
		{"user add", "--username U --name N --role R --scope CODE [--org ID] [--password-stdin]", "新建账号", "create an account"},
		{"user passwd", "USERNAME [--password-stdin]", "重设密码，该账号的会话随即结束", "set a new password, which ends the account's sessions"},
		{"user list", "[--role R]", "列出账号", "list the accounts"},
		{"backup", "--out DIR [--db PATH] [--files DIR]", "运行中备份 SQLite 数据库、密钥文件和照片到新目录", "back up a running SQLite database, its keys file and photos to a new directory"},
		{"import regions", "FILE.geojson", "导入区划和网格：全部导入，或一个也不导入", "import regions, all or nothing"},
		{"export regions", "[--under CODE] [--out FILE]", "把区划导出为 GeoJSON", "export regions as GeoJSON"},
		{"keys rotate", "[--keys FILE]", "为身份证号和手机号新增一把密钥，并用它重新加密", "add a new key for ID and phone numbers and re-encrypt with it"},
		{"keys reseal", "", "把仍用旧密钥加密的数据用当前密钥重新加密", "re-encrypt what is still under an older key"},
		{"triage train", "--data FILE.csv --out MODEL [--extra SCHEME.csv]", "训练文本分类模型", "train the text classifier"},
		{"triage classify", "--model MODEL", "为标准输入的每一行分类", "classify lines of standard input"},
		{"triage eval", "--train TRAIN.csv --test TEST.csv [--extra SCHEME.csv]", "训练、测试，输出各分类的指标", "train, test, print per-class figures"},
		{"triage cv", "--data FILE.csv [--folds 5] [--partitions 1] [--extra SCHEME.csv]", "分层交叉验证（--partitions N：N种分法取平均）", "stratified cross-validation (--partitions N: mean over N splits)"},
		{"bench startup", "[--runs N]", "测量启动时间（开发者工具，输出为英文）", "measure start-up times (a developer tool)"},
		{"version", "", "显示版本", "print the version"},
	}
}

// usageText is how to call the commands whose name starts with prefix
// ("triage", "user add"), or all of them, in the run's language.
func usageText(l lang, prefix string) string {
	var b strings.Builder
	if prefix == "" {
		b.WriteString(l.pick("civicgrid — 网格化基层治理\n\n", "civicgrid — grassroots community governance (网格化基层治理)\n\n"))
	}
	b.WriteString(l.pick("用法：", "Usage:"))
	n := 0
	for _, c := range commands() {
		if prefix != "" && c.name != prefix && !strings.HasPrefix(c.name, prefix+" ") {
			continue
		}
		n++
		b.WriteString("\n  " + strings.TrimSpace("civicgrid "+c.name+" "+c.args) + "\n      " + l.pick(c.zh, c.en))
	}
	if n == 0 {
		b.WriteString("\n  civicgrid " + prefix + l.pick(" [选项]", " [options]"))
	}
	if prefix == "" {
		b.WriteString("\n\n" + l.pick(`每个选项也可以由环境变量设置：--db 即 CIVICGRID_DB，--addr 即 CIVICGRID_ADDR，
--basemap 即 CIVICGRID_BASEMAP，依此类推。--lang zh|en（CIVICGRID_LANG）选择命令行
消息的语言，默认中文。--db 是 SQLite 文件路径（默认 ./civicgrid.db）或 postgres://
URL。居民的身份证号和手机号用 --keys 中的密钥加密（CIVICGRID_KEYS_FILE；默认在 SQLite
文件旁，首次启动时创建，请备份），密钥也可以直接放在 CIVICGRID_KEYS 中。`, `Every flag can also be set in the environment: --db is CIVICGRID_DB, --addr is
CIVICGRID_ADDR, --basemap is CIVICGRID_BASEMAP, and so on. --lang zh|en
(CIVICGRID_LANG) chooses the language of these messages; Chinese by default.
--db takes a SQLite file path (default ./civicgrid.db) or a postgres:// URL. ID
and phone numbers of residents are encrypted with the keys in --keys
(CIVICGRID_KEYS_FILE; default beside the SQLite file, created on first start:
back it up) or CIVICGRID_KEYS.`))
	}
	return b.String()
}

func run(ctx context.Context, args []string, env Env) error {
	env.Lang = langOf(args, env.Getenv)
	// --lang may also come before the command or between its words:
	// civicgrid --lang en help, civicgrid triage --lang en eval ….
	args, err := skipLang(env, args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return usageError{usageText(env.Lang, "")}
	}
	cmd, rest := args[0], args[1:]
	if rest, err = skipLang(env, rest); err != nil {
		return err
	}
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, env, false)
	case "demo":
		return cmdServe(ctx, rest, env, true)
	case "migrate":
		return cmdMigrate(ctx, rest, env)
	case "backup":
		return cmdBackup(ctx, rest, env)
	case "user":
		return cmdUser(ctx, rest, env)
	case "import":
		return cmdImport(ctx, rest, env)
	case "export":
		return cmdExport(ctx, rest, env)
	case "bench":
		return cmdBench(ctx, rest, env)
	case "keys":
		return cmdKeys(ctx, rest, env)
	case "triage":
		return cmdTriage(ctx, rest, env)
	case "version", "--version", "-v":
		fmt.Fprintln(env.Stdout, "civicgrid", versionString())
		return nil
	case "help", "--help", "-h":
		fmt.Fprintln(env.Stdout, usageText(env.Lang, ""))
		return nil
	}
	return env.usagef("未知命令 %q\n\n%s", "unknown command %q\n\n%s", cmd, usageText(env.Lang, ""))
}

// unknownSub is the usage error for a command group (user, keys, triage)
// called without a known subcommand.
func unknownSub(env Env, group string, args []string) error {
	if len(args) == 0 {
		return usageError{usageText(env.Lang, group)}
	}
	return env.usagef("未知的 %[3]s 命令 %[1]q\n\n%[2]s", "unknown %[3]s command %[1]q\n\n%[2]s", args[0], usageText(env.Lang, group), group)
}

// usageOf is the usage error of one command: its usage line.
func usageOf(env Env, cmd string) error { return usageError{usageText(env.Lang, cmd)} }

func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		v += " " + bi.GoVersion
	}
	return v
}

// config is what every command reads from flags and the environment.
type config struct {
	db        string
	logLevel  string
	logFormat string
	lang      lang
	keys      string
	keysFile  string
}

// newFlags makes a flag set whose defaults come from CIVICGRID_* variables.
func newFlags(name string, env Env, c *config) *flag.FlagSet {
	fs := flagSet(name, env, c)
	fs.StringVar(&c.db, "db", envOr(env, "CIVICGRID_DB", "./civicgrid.db"), env.text("SQLite 文件路径或 postgres:// URL", "SQLite file path or postgres:// URL"))
	fs.StringVar(&c.logLevel, "log-level", envOr(env, "CIVICGRID_LOG_LEVEL", "info"), env.text("日志级别：debug、info、warn 或 error", "debug, info, warn or error"))
	fs.StringVar(&c.logFormat, "log-format", envOr(env, "CIVICGRID_LOG_FORMAT", "text"), env.text("日志格式：text 或 json", "text or json"))
	c.keys = env.Getenv("CIVICGRID_KEYS")
	fs.StringVar(&c.keysFile, "keys", envOr(env, "CIVICGRID_KEYS_FILE", ""), env.text(
		"加密身份证号和手机号的密钥文件（默认在 SQLite 文件旁，或 ./civicgrid.keys；不存在时创建）。密钥也可以直接放在 CIVICGRID_KEYS 中",
		"file of the keys that seal ID and phone numbers (default: beside the SQLite file, or ./civicgrid.keys; created if missing). CIVICGRID_KEYS may hold the keys themselves"))
	return fs
}

func envOr(env Env, key, def string) string {
	if v := env.Getenv(key); v != "" {
		return v
	}
	return def
}

func envBool(env Env, key string) bool {
	v := strings.ToLower(env.Getenv(key))
	return v == "1" || v == "true" || v == "yes"
}

func (c config) logger(env Env) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.logLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if c.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(env.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(env.Stderr, opts))
}

// errorText shows an application error in the run's language (langOf),
// with every field reason on its own line.
func errorText(err error, l lang) string {
	if f, ok := err.(*failure); ok {
		return l.pick(f.zh+"：", f.en+": ") + errorText(f.err, l)
	}
	if pe, ok := err.(*fs.PathError); ok && l == langZH {
		return pathText(pe)
	}
	lang := string(l)
	var e *civic.Error
	if !errors.As(err, &e) {
		// A file's problem carries both languages; the context wrapped
		// around it (the file's name) stays.
		var p *sheet.Problem
		if errors.As(err, &p) && lang != "en" && p.ZH != "" {
			return strings.Replace(err.Error(), p.EN, p.ZH, 1)
		}
		return err.Error()
	}
	var b strings.Builder
	b.WriteString(e.Msg.In(lang))
	for _, f := range e.Fields {
		b.WriteString("\n  - " + f.Msg.In(lang))
	}
	if e.Code == civic.EInternal && e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}
