package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/demo"
	"github.com/civicgrid/civicgrid/internal/files"
	"github.com/civicgrid/civicgrid/internal/llm"
	"github.com/civicgrid/civicgrid/internal/open311"
	"github.com/civicgrid/civicgrid/internal/password"
	"github.com/civicgrid/civicgrid/internal/server"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/vault"
)

// demoSeed makes the demo city the same on every machine.
const demoSeed = 2026

func cmdServe(ctx context.Context, args []string, env Env, withDemo bool) error {
	start := time.Now()
	var c config
	name := "serve"
	defAddr := ":8080"
	if withDemo {
		name, defAddr = "demo", "127.0.0.1:8080"
	}
	fs := newFlags(name, env, &c)
	addr := fs.String("addr", envOr(env, "CIVICGRID_ADDR", defAddr), env.text("监听地址", "listen address"))
	basemap := fs.String("basemap", envOr(env, "CIVICGRID_BASEMAP", ""), env.text(
		"地图瓦片 URL 模板，例如 https://tile.openstreetmap.org/{z}/{x}/{y}.png；为空则不用底图（离线）",
		"map tile URL template, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png; empty for none (offline)"))
	attribution := fs.String("basemap-attribution", envOr(env, "CIVICGRID_BASEMAP_ATTRIBUTION", ""), env.text("底图的版权说明", "attribution shown for the basemap"))
	secure := fs.Bool("secure-cookies", envBool(env, "CIVICGRID_SECURE_COOKIES"), env.text("给 Cookie 加 Secure 标记（在 HTTPS 之后运行时）", "mark cookies Secure (serve behind HTTPS)"))
	metricsToken := fs.String("metrics-token", envOr(env, "CIVICGRID_METRICS_TOKEN", ""), env.text(
		"/metrics 要求的 Bearer 令牌；不设时只回应本机和内网",
		"bearer token /metrics asks for; without one it answers this machine and private networks only"))
	trustProxy := fs.Bool("trust-proxy", envBool(env, "CIVICGRID_TRUST_PROXY"), env.text(
		"从 X-Forwarded-For 取客户端地址：取其最右一项，即前面的代理追加的那一项",
		"take client addresses from X-Forwarded-For: its rightmost entry, which the proxy in front appends"))
	filesDir := fs.String("files", envOr(env, "CIVICGRID_FILES", ""), env.text(
		"工单照片的目录（默认在 SQLite 文件旁，或 ./civicgrid-files）",
		"directory for case photos (default: beside the SQLite file, or ./civicgrid-files)"))
	llmURL := fs.String("llm-url", envOr(env, "CIVICGRID_LLM_URL", ""), env.text(
		"生成摘要和起草回复用的 OpenAI 兼容模型服务，例如 http://127.0.0.1:11434（Ollama）；为空则不用",
		"OpenAI-compatible model server for draft summaries and replies, e.g. http://127.0.0.1:11434 (Ollama); empty: off"))
	llmModel := fs.String("llm-model", envOr(env, "CIVICGRID_LLM_MODEL", ""), env.text("--llm-url 服务上的模型名，例如 deepseek-r1:7b", "model name on the --llm-url server, e.g. deepseek-r1:7b"))
	llmKey := fs.String("llm-key", envOr(env, "CIVICGRID_LLM_KEY", ""), env.text("发给 --llm-url 服务的 API 密钥（如需要）", "API key sent to the --llm-url server, if it needs one"))
	llmTimeout := fs.Duration("llm-timeout", envDuration(env, "CIVICGRID_LLM_TIMEOUT", llm.DefaultTimeout), env.text("一次模型调用最长的时间", "how long one model call may take"))
	contact := fs.String("open311-contact", envOr(env, "CIVICGRID_OPEN311_CONTACT", ""), env.text(
		"Open311 发现文档（discovery）中的联系方式：运营方的电子邮箱或电话，一行，不超过200个字符",
		"contact Open311 discovery shows: the operator's e-mail address or phone, one line of at most 200 characters"))
	origins := fs.String("open311-origins", envOr(env, "CIVICGRID_OPEN311_ORIGINS", ""), env.text(
		"允许在浏览器中调用 Open311 接口的其他网站来源（CORS），以逗号分隔，如 https://app.example.org；为空则一个也不允许",
		"origins of other sites whose browser apps may call Open311 (CORS), comma-separated, e.g. https://app.example.org; empty: none"))
	alertsEvery := fs.Duration("alerts-every", envDuration(env, "CIVICGRID_ALERTS_EVERY", 30*time.Second), env.text("多久检查一次工单预警和期限", "how often case warnings and deadlines are checked"))
	if err := parse(fs, args); err != nil {
		return err
	}
	open311Contact, err := open311.ParseContact(*contact)
	if err != nil {
		return failed(err, "选项 --open311-contact", "--open311-contact")
	}
	open311Origins, err := open311.ParseOrigins(*origins)
	if err != nil {
		return failed(err, "选项 --open311-origins", "--open311-origins")
	}
	model, err := llm.New(llm.Config{URL: *llmURL, Model: *llmModel, Key: *llmKey, Timeout: *llmTimeout})
	if err != nil {
		return fmt.Errorf("--llm-url: %w", err)
	}
	log := c.logger(env)
	if withDemo {
		if err := loadDemo(ctx, c, log, start); err != nil {
			return err
		}
	}
	st, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	defer st.Close()
	fdir := c.filesPath(*filesDir)
	fstore, err := files.Open(fdir)
	if err != nil {
		return failed(err, "打开照片目录 %s", "open files directory %s", fdir)
	}
	srv, err := server.New(ctx, server.Config{Store: st, Files: fstore, Log: log, Version: versionString(), Basemap: *basemap, BasemapAttribution: *attribution, SecureCookies: *secure, TrustProxy: *trustProxy, MetricsToken: *metricsToken, AlertsEvery: *alertsEvery, LLM: model, Open311Contact: open311Contact, Open311Origins: open311Origins})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return failed(err, "监听 %s", "listen on %s", *addr)
	}
	base := "http://" + displayAddr(ln.Addr().String())
	log.Info("civicgrid ready", "url", base, "db", redact(c.db), "engine", st.Engine(), "startup_ms", time.Since(start).Milliseconds())
	if withDemo {
		printLogins(env, base)
	} else {
		env.printf("civicgrid 已启动：%s\n", "civicgrid is serving at %s\n", base)
	}
	if env.Ready != nil {
		env.Ready(base)
	}
	return srv.Serve(ctx, ln)
}

// displayAddr turns a wildcard listen address into one a browser can open.
func displayAddr(a string) string {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return a
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

func printLogins(env Env, base string) {
	city := demo.Generate(demoSeed)
	env.printf("\ncivicgrid 演示城市已启动：%s\n\n可用以下任一账号登录（密码都是 %s）：\n\n",
		"\ncivicgrid demo city is serving at %s\n\nSign in as any of these (password for all: %s):\n\n", base, demo.Password)
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, env.text("  登录名\t角色\t范围", "  username\trole\tscope"))
	for _, u := range city.Users {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", u.Username, roleName(env, u.Role), u.ScopeName)
	}
	tw.Flush()
	fmt.Fprintln(env.Stdout)
}

// keysPath is where the personal-data keys live when not given.
// filesPath is the photo directory: dir if given, else beside the SQLite
// file, or ./civicgrid-files with PostgreSQL.
func (c config) filesPath(dir string) string {
	switch {
	case dir != "":
		return dir
	case store.IsPostgresDSN(c.db):
		return "./civicgrid-files"
	}
	return c.db + "-files"
}

func (c config) keysPath() string {
	if c.keysFile != "" {
		return c.keysFile
	}
	if store.IsPostgresDSN(c.db) {
		return "./civicgrid.keys"
	}
	return c.db + ".keys"
}

// vault loads the keys that seal ID and phone numbers: from CIVICGRID_KEYS
// if set, else from the keys file, which is created with fresh keys on
// first start (with a warning: it must be backed up with the database).
func (c config) vault(log *slog.Logger) (*vault.Keyring, error) {
	if c.keys != "" {
		k, err := vault.Parse(c.keys)
		if err != nil {
			return nil, fmt.Errorf("CIVICGRID_KEYS: %w", err)
		}
		return k, nil
	}
	path := c.keysPath()
	k, created, err := vault.LoadOrCreate(path)
	if err != nil {
		return nil, err
	}
	if created {
		log.Warn("created new personal-data keys; back this file up with the database, without it ID and phone numbers cannot be read", "file", path)
	}
	return k, nil
}

func openStore(ctx context.Context, c config, log *slog.Logger) (*store.Store, error) {
	keys, err := c.vault(log)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, c.db, store.Options{Clock: civic.SystemClock{}, Logger: log, Vault: keys})
	if err != nil {
		return nil, err
	}
	applied, err := st.Migrate(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	for _, m := range applied {
		log.Info("migration applied", "name", m)
	}
	if n, err := st.EnsureDefaultCategories(ctx); err != nil {
		st.Close()
		return nil, err
	} else if n > 0 {
		log.Info("default category catalogue loaded", "categories", n)
	}
	return st, nil
}

// redact hides a PostgreSQL password in logs.
func redact(dsn string) string {
	if !store.IsPostgresDSN(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return strings.Replace(u.String(), "xxxxx", "***", 1)
}

func cmdMigrate(ctx context.Context, args []string, env Env) error {
	var c config
	fs := newFlags("migrate", env, &c)
	if err := parse(fs, args); err != nil {
		return err
	}
	// With the keys, so that personal data stored in clear before a
	// migration is sealed by it (migration 0036: reporters' phones).
	log := c.logger(env)
	keys, err := c.vault(log)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, c.db, store.Options{Logger: log, Vault: keys})
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	env.printf("已执行%d个迁移，数据库结构版本为%d\n", "applied %d migration(s); schema version %d\n", len(applied), v)
	for _, m := range applied {
		fmt.Fprintln(env.Stdout, "  "+m)
	}
	return nil
}

func envDuration(env Env, key string, def time.Duration) time.Duration {
	if v := env.Getenv(key); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

// demoCaseDays is how far back the demo city's case history reaches, and
// demoCases how many cases it holds.
const (
	demoCaseDays = 61
	demoCases    = 3200
)

// loadDemo fills an empty database with the demo city and its case
// history. The history is made by real store calls on a clock the loader
// moves forward through the last two months, so every time, deadline and
// warning is what real use would have produced. The accounts the history
// makes (about 700: staff who act, and the residents who report through the
// app) get a far cheaper password hash than production (1 MiB, one pass:
// ≈0.6 ms instead of ≈5 ms at 8 MiB) so that the demo is ready in seconds;
// their password is printed for all to see anyway.
func loadDemo(ctx context.Context, c config, log *slog.Logger, start time.Time) error {
	clock := &demo.Clock{}
	now := time.Now().UTC()
	clock.Set(now.AddDate(0, 0, -demoCaseDays))
	keys, err := c.vault(log)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, c.db, store.Options{Clock: clock, Logger: log, Password: password.Params{Time: 1, MemKiB: 1024, Threads: 1}, BulkLoad: true, Vault: keys})
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	if _, err := st.EnsureDefaultCategories(ctx); err != nil {
		return err
	}
	city := demo.Generate(demoSeed)
	if _, n, err := st.ListRegions(ctx, civic.System, store.RegionFilter{Page: store.Page{Limit: 1}}); err == nil && n == 0 {
		// Loading takes seconds on SQLite and about a minute on
		// PostgreSQL: say so before the wait.
		log.Info("loading the demo city: regions, people and two months of cases", "db", redact(c.db), "engine", st.Engine())
	}
	err = demo.Load(ctx, st, city)
	switch {
	case errors.Is(err, demo.ErrNotEmpty):
		log.Info("database already has regions; serving it as it is", "db", redact(c.db))
		return nil
	case err != nil:
		return failed(err, "载入演示城市", "load demo city")
	}
	if err := demo.LoadPeople(ctx, st, city, demoSeed, clock.Now()); err != nil {
		return failed(err, "载入演示城市的居民", "load demo residents")
	}
	rep, err := demo.LoadCases(ctx, st, clock, city, demoSeed, now, demoCases)
	if err != nil && !errors.Is(err, demo.ErrHasCases) {
		return failed(err, "载入演示城市的工单", "load demo cases")
	}
	// History older than two days has been read; the last days' messages
	// wait in the inboxes, as they would.
	if err := st.MarkNotificationsReadBefore(ctx, now.AddDate(0, 0, -2)); err != nil {
		return err
	}
	log.Info("demo city loaded", "regions", len(city.Regions), "organisations", len(city.Orgs), "staff", len(city.Staff),
		"cases", rep.Cases, "took", time.Since(start).Round(time.Millisecond))
	return nil
}
