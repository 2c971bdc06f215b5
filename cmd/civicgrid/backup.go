package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/civicgrid/civicgrid/internal/store"
)

// The names a backup gives what it holds: the database, and beside it the
// keys and the photos where civicgrid looks for them by default, so that
// `civicgrid serve --db DIR/civicgrid.db` runs the backup as it is.
const (
	backupDB    = "civicgrid.db"
	backupKeys  = backupDB + ".keys"
	backupFiles = backupDB + "-files"
)

// cmdBackup copies what a SQLite deployment needs to come back after a
// lost disk: a consistent copy of the database taken while the server
// runs, the keys file that seals ID and phone numbers (without it the
// copy's numbers cannot be read) and the photo directory. It writes a new
// directory and never overwrites; PostgreSQL has its own tools.
func cmdBackup(ctx context.Context, args []string, env Env) error {
	var c config
	fs := newFlags("backup", env, &c)
	out := fs.String("out", "", env.text("备份写入的新目录（不能已存在）", "new directory to write the backup to (must not exist)"))
	filesDir := fs.String("files", envOr(env, "CIVICGRID_FILES", ""), env.text(
		"工单照片的目录（默认在 SQLite 文件旁）", "directory of case photos (default: beside the SQLite file)"))
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return usageOf(env, "backup")
	}
	if store.IsPostgresDSN(c.db) {
		return env.usagef("PostgreSQL 数据库请用 pg_dump（或基础备份加 WAL 归档）备份，密钥文件 %s 和照片目录另行复制",
			"back up PostgreSQL with pg_dump (or base backups with WAL archiving), and copy the keys file %s and the photo directory beside it", c.keysPath())
	}
	if _, err := os.Stat(c.db); err != nil {
		return failed(err, "读取数据库", "read the database")
	}
	if err := os.Mkdir(*out, 0o700); err != nil {
		return failed(err, "创建备份目录", "create the backup directory")
	}
	st, err := store.Open(ctx, c.db, store.Options{Logger: c.logger(env)})
	if err != nil {
		return err
	}
	defer st.Close()
	counts, err := st.Backup(ctx, filepath.Join(*out, backupDB))
	if err != nil {
		return err
	}
	keys := env.text("在环境变量 CIVICGRID_KEYS 中，未复制：请另行妥善保存", "in CIVICGRID_KEYS, not copied: keep them safe apart")
	if c.keys == "" {
		if err := copyFile(c.keysPath(), filepath.Join(*out, backupKeys)); err != nil {
			return failed(err, "复制密钥文件", "copy the keys file")
		}
		keys = filepath.Join(*out, backupKeys)
	}
	photos, bytes, err := copyTree(ctx, c.filesPath(*filesDir), filepath.Join(*out, backupFiles))
	if err != nil {
		return failed(err, "复制照片目录", "copy the photo directory")
	}
	env.printf("备份完成：%s\n  数据库：结构版本%d，工单%d件，居民%d人，账号%d个（已通过完整性检查）\n  密钥：%s\n  照片：%d个文件，%.1f MB\n恢复：停止服务后把这三项放回原处，或直接运行 civicgrid serve --db %s\n",
		"backup written: %s\n  database: schema %d, %d cases, %d people, %d accounts (integrity checked)\n  keys: %s\n  photos: %d files, %.1f MB\nto restore: stop the server and put the three back, or run civicgrid serve --db %s\n",
		*out, counts.Schema, counts.Cases, counts.People, counts.Users, keys, photos, float64(bytes)/1e6, filepath.Join(*out, backupDB))
	return nil
}

// copyFile copies a file that must exist to a new file, readable by its
// owner only (keys and personal data).
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	outf, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(outf, in); err != nil {
		outf.Close()
		return fmt.Errorf("copy %s: %w", from, err)
	}
	if err := outf.Sync(); err != nil {
		outf.Close()
		return err
	}
	return outf.Close()
}

// copyTree copies the regular files under from into to; a missing from
// (no photo uploaded yet) copies nothing.
func copyTree(ctx context.Context, from, to string) (files int, size int64, err error) {
	if _, err := os.Stat(from); errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	err = filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		target := filepath.Join(to, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o700)
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			if err := copyFile(path, target); err != nil {
				return err
			}
			files++
			size += info.Size()
		}
		return nil
	})
	return files, size, err
}
