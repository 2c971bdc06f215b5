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
		return usageError{"usage: civicgrid user add|passwd|list …"}
	}
	switch args[0] {
	case "add":
		return userAdd(ctx, args[1:], env)
	case "passwd":
		return userPasswd(ctx, args[1:], env)
	case "list":
		return userList(ctx, args[1:], env)
	}
	return usageError{fmt.Sprintf("unknown user command %q; want add, passwd or list", args[0])}
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
		return "", usageError{"give the password with --password-stdin (first line of standard input), CIVICGRID_PASSWORD or --password"}
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func userAdd(ctx context.Context, args []string, env Env) error {
	var c config
	fs := newFlags("user add", env, &c)
	username := fs.String("username", "", "login name (lowercase letters, digits, _ . -)")
	name := fs.String("name", "", "display name")
	role := fs.String("role", "", "one of: admin leader street_staff community_staff grid_worker handler operator volunteer resident")
	scope := fs.String("scope", "", "region code of the data scope, e.g. 110101001")
	org := fs.Int64("org", 0, "organisation ID (handlers)")
	phone := fs.String("phone", "", "phone number")
	pw := fs.String("password", "", "password (prefer --password-stdin)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from standard input")
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
		Role: civic.Role(*role), Scope: civic.Scope{RegionCode: *scope, OrgID: *org}, Phone: *phone, Lang: c.lang})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created user %s (id %d, %s, scope %s %s)\n", u.Username, u.ID, u.Role, u.Scope.RegionCode, u.ScopeName)
	return nil
}

func userPasswd(ctx context.Context, args []string, env Env) error {
	var c config
	fs := newFlags("user passwd", env, &c)
	pw := fs.String("password", "", "new password (prefer --password-stdin)")
	pwStdin := fs.Bool("password-stdin", false, "read the new password from standard input")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"usage: civicgrid user passwd USERNAME [--password-stdin]"}
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
	fmt.Fprintf(env.Stdout, "password of %s changed; their sessions have ended\n", u.Username)
	return nil
}

func userList(ctx context.Context, args []string, env Env) error {
	var c config
	fs := newFlags("user list", env, &c)
	role := fs.String("role", "", "only this role")
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
	fmt.Fprintln(tw, "ID\tUSERNAME\tNAME\tROLE\tSCOPE\tDISABLED")
	for _, u := range us {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s %s\t%v\n", u.ID, u.Username, u.DisplayName, u.Role, u.Scope.RegionCode, u.ScopeName, u.Disabled)
	}
	tw.Flush()
	fmt.Fprintf(env.Stdout, "%d user(s)\n", total)
	return nil
}
