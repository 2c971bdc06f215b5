package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/vault"
)

// cmdKeys manages the keys that seal ID and phone numbers.
//
//	civicgrid keys rotate   add a new key version to the keys file and reseal
//	civicgrid keys reseal   reseal everything still under an older key
func cmdKeys(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || (args[0] != "rotate" && args[0] != "reseal") {
		return unknownSub(env, "keys", args)
	}
	var c config
	fs := newFlags("keys "+args[0], env, &c)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	log := c.logger(env)
	switch args[0] {
	case "rotate":
		if c.keys != "" {
			return env.usagef("密钥来自 CIVICGRID_KEYS：请自己在其中加一行新版本的密钥（civicgrid keys rotate 只改密钥文件），再运行 civicgrid keys reseal",
				"the keys come from CIVICGRID_KEYS: add a new version line there yourself (civicgrid keys rotate works on a keys file), then run civicgrid keys reseal")
		}
		path := c.keysPath()
		old, err := os.ReadFile(path)
		if err != nil {
			return failed(err, "读取密钥文件", "read keys file")
		}
		spec, v, err := vault.AddVersion(string(old))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		// Write beside and rename, so that a crash never leaves a
		// half-written keys file.
		tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".new")
		if err := os.WriteFile(tmp, []byte(spec), 0o600); err != nil {
			return failed(err, "写入密钥文件", "write keys file")
		}
		if err := os.Rename(tmp, path); err != nil {
			return failed(err, "替换密钥文件", "replace keys file")
		}
		env.printf("已在 %[2]s 中加入第%[1]d版密钥，现用它加密\n", "key version %d added to %s and now active\n", v, path)
	}
	keys, err := c.vault(log)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, c.db, store.Options{Clock: civic.SystemClock{}, Logger: log, Vault: keys})
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	n, err := st.ResealPeople(ctx)
	if err != nil {
		return failed(err, "重新加密了%d位居民后出错", "reseal after %d people", n)
	}
	phones, err := st.ResealCasePhones(ctx)
	if err != nil {
		return failed(err, "重新加密了%d个报事人手机号后出错", "reseal reporter phones after %d", phones)
	}
	env.printf("已用第%[3]d版密钥重新加密%[1]d位居民和%[2]d个报事人手机号，它们不再需要旧密钥\n",
		"resealed %d people and %d reporter phones under key version %d; older keys are no longer needed for them\n", n, phones, keys.Active())
	return nil
}
