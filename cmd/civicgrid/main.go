// Command civicgrid is the whole product in one binary: the server, the demo
// city, migrations, account and region administration, and benchmarks.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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
		fmt.Fprintln(os.Stderr, "civicgrid:", errorText(err, env.Getenv))
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
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `civicgrid — grassroots community governance (网格化基层治理)

Usage:
  civicgrid serve   [--db PATH|URL] [--addr HOST:PORT] [--basemap URL]   run the server
  civicgrid demo    [--db PATH|URL] [--addr HOST:PORT]                   load the demo city if the database is empty, then serve it
  civicgrid migrate [--db PATH|URL]                                      apply database migrations
  civicgrid user add --username U --name N --role R --scope CODE [--org ID] [--password-stdin]
  civicgrid user passwd USERNAME [--password-stdin]
  civicgrid user list [--role R]
  civicgrid import regions FILE.geojson                                  import regions, all or nothing
  civicgrid export regions [--under CODE] [--out FILE]                   export regions as GeoJSON
  civicgrid keys rotate [--keys FILE]                                    add a new key for ID and phone numbers and re-encrypt with it
  civicgrid keys reseal                                                  re-encrypt what is still under an older key
  civicgrid triage train --data FILE.csv --out MODEL                     train the text classifier
  civicgrid triage classify --model MODEL                                classify lines of standard input
  civicgrid triage eval --train TRAIN.csv --test TEST.csv                train, test, print per-class figures
  civicgrid triage cv --data FILE.csv [--folds 5]                        stratified cross-validation
  civicgrid bench startup [--runs N]                                     measure start-up times
  civicgrid version

Every flag can also be set in the environment: --db is CIVICGRID_DB, --addr is
CIVICGRID_ADDR, --basemap is CIVICGRID_BASEMAP, and so on. --db takes a SQLite
file path (default ./civicgrid.db) or a postgres:// URL. ID and phone numbers of
residents are encrypted with the keys in --keys (CIVICGRID_KEYS_FILE; default
beside the SQLite file, created on first start: back it up) or CIVICGRID_KEYS.`

func run(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return usageError{usage}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, env, false)
	case "demo":
		return cmdServe(ctx, rest, env, true)
	case "migrate":
		return cmdMigrate(ctx, rest, env)
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
		fmt.Fprintln(env.Stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q\n\n%s", cmd, usage)}
}

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
	lang      string
	keys      string
	keysFile  string
}

// newFlags makes a flag set whose defaults come from CIVICGRID_* variables.
func newFlags(name string, env Env, c *config) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.StringVar(&c.db, "db", envOr(env, "CIVICGRID_DB", "./civicgrid.db"), "SQLite file path or postgres:// URL")
	fs.StringVar(&c.logLevel, "log-level", envOr(env, "CIVICGRID_LOG_LEVEL", "info"), "debug, info, warn or error")
	fs.StringVar(&c.logFormat, "log-format", envOr(env, "CIVICGRID_LOG_FORMAT", "text"), "text or json")
	fs.StringVar(&c.lang, "lang", envOr(env, "CIVICGRID_LANG", "zh"), "language of messages: zh or en")
	c.keys = env.Getenv("CIVICGRID_KEYS")
	fs.StringVar(&c.keysFile, "keys", envOr(env, "CIVICGRID_KEYS_FILE", ""), "file of the keys that seal ID and phone numbers (default: beside the SQLite file, or ./civicgrid.keys; created if missing). CIVICGRID_KEYS may hold the keys themselves")
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

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return usageError{""}
		}
		return usageError{err.Error()}
	}
	return nil
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

// errorText shows an application error in the operator's language, with
// every field reason on its own line.
func errorText(err error, getenv func(string) string) string {
	lang := getenv("CIVICGRID_LANG")
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
