package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

func cmdUser(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return unknownSub(env, "user", args)
	}
	switch args[0] {
	case "add":
		return userAdd(ctx, args[1:], env)
	case "passwd":
		return userPasswd(ctx, args[1:], env)
	case "list":
		return userList(ctx, args[1:], env)
	}
	return unknownSub(env, "user", args)
}

// readPassword takes the password from --password or the first line of
// standard input, so that it need not appear in the shell history.
func readPassword(env Env, flagValue string, fromStdin bool) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if !fromStdin {
		if v := env.Getenv("CIVICGRID_PASSWORD"); v != "" {
			return v, nil
		}
		return "", env.usagef("请用 --password-stdin（标准输入的第一行）、CIVICGRID_PASSWORD 或 --password 给出密码",
			"give the password with --password-stdin (first line of standard input), CIVICGRID_PASSWORD or --password")
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", failed(err, "从标准输入读取密码", "read password from standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func userAdd(ctx context.Context, args []string, env Env) error {
	var c config
	fs := newFlags("user add", env, &c)
	username := fs.String("username", "", env.text("登录名（小写字母、数字、_ . -）", "login name (lowercase letters, digits, _ . -)"))
	name := fs.String("name", "", env.text("显示的姓名", "display name"))
	role := fs.String("role", "", env.text("角色，取值之一：", "one of: ")+"admin leader street_staff community_staff grid_worker handler operator volunteer resident")
	scope := fs.String("scope", "", env.text("数据范围的区划代码，例如 110101001", "region code of the data scope, e.g. 110101001"))
	org := fs.Int64("org", 0, env.text("所属单位 ID（承办人员）", "organisation ID (handlers)"))
	phone := fs.String("phone", "", env.text("手机号", "phone number"))
	pw := fs.String("password", "", env.text("密码（建议改用 --password-stdin）", "password (prefer --password-stdin)"))
	pwStdin := fs.Bool("password-stdin", false, env.text("从标准输入读取密码", "read the password from standard input"))
	if err := parse(fs, args); err != nil {
		return err
	}
	secret, err := readPassword(env, *pw, *pwStdin)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c, c.logger(env))
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.CreateUser(ctx, civic.System, store.NewUser{Username: *username, DisplayName: *name, Password: secret,
		Role: civic.Role(*role), Scope: civic.Scope{RegionCode: *scope, OrgID: *org}, Phone: *phone, Lang: string(c.lang)})
	if err != nil {
		return err
	}
	env.printf("已创建账号 %s（ID %d，%s，范围 %s %s）\n", "created user %s (id %d, %s, scope %s %s)\n",
		u.Username, u.ID, roleName(env, u.Role), u.Scope.RegionCode, u.ScopeName)
	return nil
}

func userPasswd(ctx context.Context, args []string, env Env) error {
	var c config
	fs := newFlags("user passwd", env, &c)
	pw := fs.String("password", "", env.text("新密码（建议改用 --password-stdin）", "new password (prefer --password-stdin)"))
	pwStdin := fs.Bool("password-stdin", false, env.text("从标准输入读取新密码", "read the new password from standard input"))
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageOf(env, "user passwd")
	}
	secret, err := readPassword(env, *pw, *pwStdin)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c, c.logger(env))
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.GetUserByName(ctx, civic.System, fs.Arg(0))
	if err != nil {
		return err
	}
	if err := st.SetPassword(ctx, civic.System, u.ID, "", secret, ""); err != nil {
		return err
	}
	env.printf("已重设 %s 的密码，其会话都已结束\n", "password of %s changed; their sessions have ended\n", u.Username)
	return nil
}

func userList(ctx context.Context, args []string, env Env) error {
	var c config
	fs := newFlags("user list", env, &c)
	role := fs.String("role", "", env.text("只列出这一角色", "only this role"))
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx, c, c.logger(env))
	if err != nil {
		return err
	}
	defer st.Close()
	us, total, err := st.ListUsers(ctx, civic.System, store.UserFilter{Role: civic.Role(*role), Page: store.Page{Limit: 10000}})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, env.text("ID\t登录名\t姓名\t角色\t范围\t停用", "ID\tUSERNAME\tNAME\tROLE\tSCOPE\tDISABLED"))
	for _, u := range us {
		disabled := env.text("否", "false")
		if u.Disabled {
			disabled = env.text("是", "true")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s %s\t%s\n", u.ID, u.Username, u.DisplayName, roleName(env, u.Role), u.Scope.RegionCode, u.ScopeName, disabled)
	}
	tw.Flush()
	env.printf("共%d个账号\n", "%d user(s)\n", total)
	return nil
}

// roleName is a role as the operator reads it: in Chinese its name beside
// the code that --role takes, in English the code.
func roleName(env Env, r civic.Role) string {
	return env.text(r.Label().ZH+"（"+string(r)+"）", string(r))
}
