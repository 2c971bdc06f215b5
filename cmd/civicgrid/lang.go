package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strings"
)

// lang is the language a run speaks to the operator: Chinese unless
// English is asked for. It is chosen once, before any flag is parsed (so
// that the usage, the flag help and a flag's error already speak it), and
// travels in Env.
type lang string

const (
	langZH lang = "zh"
	langEN lang = "en"
)

// langOf chooses a run's language: the last --lang among args that is zh
// or en (the flag package lets the last one win too, and refuses others),
// else CIVICGRID_LANG, where "en" in any case is English and anything else
// Chinese, as it always was.
func langOf(args []string, getenv func(string) string) lang {
	v := getenv("CIVICGRID_LANG")
	for i := 0; i < len(args) && args[i] != "--"; i++ {
		if val, n := langFlag(args[i:]); n > 0 {
			var l lang
			if l.Set(val) == nil {
				v = val
			}
			i += n - 1
		}
	}
	if strings.EqualFold(v, "en") {
		return langEN
	}
	return langZH
}

// langFlag reads a --lang flag (-lang, --lang=en, --lang en) at the start
// of args: its value and how many arguments it took (0: none there).
func langFlag(args []string) (string, int) {
	a := args[0]
	if !strings.HasPrefix(a, "-") {
		return "", 0
	}
	name, val, hasVal := strings.Cut(flagName(a), "=")
	switch {
	case name != "lang":
		return "", 0
	case hasVal:
		return val, 1
	case len(args) > 1:
		return args[1], 2
	}
	return "", 1
}

// flagName is a flag argument without its one or two dashes.
func flagName(arg string) string { return strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-") }

// skipLang drops the --lang flags at the start of args, which langOf has
// read; a value it does not know is refused, as the flag refuses it.
func skipLang(env Env, args []string) ([]string, error) {
	for len(args) > 0 {
		v, n := langFlag(args)
		if n == 0 {
			break
		}
		var l lang
		if err := l.Set(v); err != nil {
			return nil, env.usagef("选项 -lang 的取值 %q 无效：只能是 zh 或 en", "invalid value %q for flag -lang: want zh or en", v)
		}
		args = args[n:]
	}
	return args, nil
}

// String and Set make lang the --lang flag's value, which takes only what
// langOf understands, so that flag and environment always agree.
func (l lang) String() string { return string(l) }

func (l *lang) Set(s string) error {
	switch strings.ToLower(s) {
	case "zh":
		*l = langZH
	case "en":
		*l = langEN
	default:
		return errWantLang
	}
	return nil
}

var errWantLang = errors.New("want zh or en")

// pick is the message in language l.
func (l lang) pick(zh, en string) string {
	if l == langEN {
		return en
	}
	return zh
}

// text is a message in the run's language.
func (env Env) text(zh, en string) string { return env.Lang.pick(zh, en) }

// printf writes a message to standard output in the run's language; both
// formats take the same arguments (%[2]d and the like reorder them).
func (env Env) printf(zh, en string, a ...any) {
	fmt.Fprintf(env.Stdout, env.text(zh, en), a...)
}

// warnf writes a message to standard error in the run's language.
func (env Env) warnf(zh, en string, a ...any) {
	fmt.Fprintf(env.Stderr, env.text(zh, en), a...)
}

// usagef is a usage error in the run's language.
func (env Env) usagef(zh, en string, a ...any) error {
	return usageError{fmt.Sprintf(env.text(zh, en), a...)}
}

// flagSet makes a command's flag set. It knows --lang, whose value goes to
// c.lang (the run's language unless the flag says otherwise), and prints
// nothing itself: parse reports errors and help in the run's language.
func flagSet(name string, env Env, c *config) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.lang = env.Lang
	fs.Var(&c.lang, "lang", env.text("命令行消息的语言：`zh|en`", "language of messages: `zh|en`"))
	return fs
}

// parse parses a command's flags, which may also follow its other words
// (civicgrid user passwd wang --password-stdin); a mistake in them, or -h,
// is a usage error that shows the command's usage and flags in the run's
// language, which flagSet made the default of --lang.
func parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(flagsFirst(fs, args))
	if err == nil {
		return nil
	}
	l := langZH
	if f := fs.Lookup("lang"); f != nil && f.DefValue == string(langEN) {
		l = langEN
	}
	help := flagHelp(l, fs)
	if errors.Is(err, flag.ErrHelp) {
		return usageError{help}
	}
	return usageError{flagError(l, err) + "\n\n" + help}
}

// flagsFirst moves the words that are not flags, nor a flag's value, after
// the flags and a "--", where fs.Parse leaves them for fs.Args.
func flagsFirst(fs *flag.FlagSet, args []string) []string {
	var flags, words []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			words = append(words, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			words = append(words, a)
			continue
		}
		flags = append(flags, a)
		name := flagName(a)
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil && !isBoolFlag(f) {
			if i+1 == len(args) {
				// Its value is missing: let fs.Parse say so.
				return flags
			}
			i++
			flags = append(flags, args[i])
		}
	}
	return append(append(flags, "--"), words...)
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// flagHelp is a command's usage line and its flags, with their defaults,
// in the run's language (flag.PrintDefaults writes "default" in English).
func flagHelp(l lang, fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString(usageText(l, fs.Name()))
	b.WriteString("\n\n" + l.pick("选项：", "Options:") + "\n")
	fs.VisitAll(func(f *flag.Flag) {
		name, help := flag.UnquoteUsage(f)
		b.WriteString("  --" + f.Name)
		if name != "" {
			b.WriteString(" " + name)
		}
		b.WriteString("\n      " + help)
		if d := f.DefValue; d != "" && d != "0" && d != "false" && d != "0s" {
			b.WriteString(l.pick("（默认："+d+"）", " (default "+d+")"))
		}
		b.WriteString("\n")
	})
	return strings.TrimSuffix(b.String(), "\n")
}

// flagErrors are the errors of the flag package, with their Chinese; the
// submatches are the flag's name and value.
var flagErrors = []struct {
	re *regexp.Regexp
	zh string
}{
	{regexp.MustCompile(`^flag provided but not defined: -(.+)$`), "没有这个选项：-%s"},
	{regexp.MustCompile(`^flag needs an argument: -(.+)$`), "选项 -%s 缺少取值"},
	{regexp.MustCompile(`^invalid value (".*") for flag -([^:]+): (.*)$`), "选项 -%[2]s 的取值 %[1]s 无效%[3]s"},
	{regexp.MustCompile(`^invalid boolean value (".*") for -([^:]+): .*$`), "选项 -%[2]s 的取值 %[1]s 无效：只能是 true 或 false"},
	{regexp.MustCompile(`^bad flag syntax: (.*)$`), "选项写法有误：%s"},
}

// flagError says what was wrong with the flags in the run's language. The
// flag package's messages are English only; they are matched here.
func flagError(l lang, err error) string {
	if l == langEN {
		return err.Error()
	}
	for _, f := range flagErrors {
		m := f.re.FindStringSubmatch(err.Error())
		if m == nil {
			continue
		}
		args := make([]any, len(m)-1)
		for i, s := range m[1:] {
			args[i] = s
		}
		if len(args) == 3 {
			// Why a value is refused: the flag package's two
			// reasons, and --lang's.
			switch args[2] {
			case "parse error":
				args[2] = "：格式不对"
			case "value out of range":
				args[2] = "：超出范围"
			case errWantLang.Error():
				args[2] = "：只能是 zh 或 en"
			default:
				args[2] = "（" + m[3] + "）"
			}
		}
		return fmt.Sprintf(f.zh, args...)
	}
	return err.Error()
}

// failure is a step of a command that failed, named in both languages,
// around its cause. Its Error is English, as Go's errors are; errorText
// shows it in the run's language.
type failure struct {
	zh, en string
	err    error
}

func (f *failure) Error() string { return f.en + ": " + f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

// failed wraps err with what was being done, in both languages; both
// formats take the same arguments (TestFailedFormatsAgree). A file's
// name is left to err: the *fs.PathError of a failed open or write names
// it, in English and (pathText) in Chinese.
func failed(err error, zh, en string, a ...any) error {
	return &failure{zh: fmt.Sprintf(zh, a...), en: fmt.Sprintf(en, a...), err: err}
}

// pathText says in Chinese why a file could not be used, for the
// commonest reasons; otherwise it is Go's English. It names the file, so
// the Chinese of a failure around it need not.
func pathText(e *fs.PathError) string {
	switch {
	case errors.Is(e.Err, fs.ErrNotExist):
		return e.Path + "：文件或目录不存在"
	case errors.Is(e.Err, fs.ErrPermission):
		return e.Path + "：没有权限"
	case errors.Is(e.Err, fs.ErrExist):
		return e.Path + "：已经存在"
	}
	return e.Error()
}
