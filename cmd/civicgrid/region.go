package main

import (
	"context"
	"fmt"
	"os"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

func cmdImport(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] != "regions" {
		return usageError{"usage: civicgrid import regions FILE.geojson"}
	}
	var c config
	fs := newFlags("import regions", env, &c)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"usage: civicgrid import regions FILE.geojson"}
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("read %s: %w", fs.Arg(0), err)
	}
	feats, err := store.ParseRegionFile(data)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c, c.logger(env))
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.ImportRegions(ctx, civic.System, feats)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "imported %d region(s): %d created, %d updated\n", len(feats), rep.Created, rep.Updated)
	return nil
}

func cmdExport(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] != "regions" {
		return usageError{"usage: civicgrid export regions [--under CODE] [--out FILE]"}
	}
	var c config
	fs := newFlags("export regions", env, &c)
	under := fs.String("under", "", "only this subtree")
	out := fs.String("out", "", "write to FILE instead of standard output")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	st, err := openStore(ctx, c, c.logger(env))
	if err != nil {
		return err
	}
	defer st.Close()
	b, err := st.ExportRegions(ctx, civic.System, *under)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = env.Stdout.Write(append(b, '\n'))
		return err
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	return nil
}
