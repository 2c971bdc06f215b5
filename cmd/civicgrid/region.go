package main

import (
	"context"
	"os"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

func cmdImport(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] != "regions" {
		return usageOf(env, "import regions")
	}
	var c config
	fs := newFlags("import regions", env, &c)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageOf(env, "import regions")
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return failed(err, "读取区划文件", "read the regions file")
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
	env.printf("已导入%d个区划：新建%d个，更新%d个\n", "imported %d region(s): %d created, %d updated\n", len(feats), rep.Created, rep.Updated)
	return nil
}

func cmdExport(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] != "regions" {
		return usageOf(env, "export regions")
	}
	var c config
	fs := newFlags("export regions", env, &c)
	under := fs.String("under", "", env.text("只导出这一区划及其下级", "only this subtree"))
	out := fs.String("out", "", env.text("写入这个文件，而不是标准输出", "write to FILE instead of standard output"))
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
		return failed(err, "写入导出文件", "write the export")
	}
	return nil
}
