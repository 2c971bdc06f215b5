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
	if len(args) == 0 {
		return usageError{"usage: civicgrid keys rotate|reseal [--db …] [--keys FILE]"}
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
			return usageError{"the keys come from CIVICGRID_KEYS: add a new version line there yourself (civicgrid keys rotate works on a keys file), then run civicgrid keys reseal"}
		}
		path := c.keysPath()
		old, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read keys file: %w", err)
		}
		spec, v, err := vault.AddVersion(string(old))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		// Write beside and rename, so that a crash never leaves a
		// half-written keys file.
		tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".new")
		if err := os.WriteFile(tmp, []byte(spec), 0o600); err != nil {
			return fmt.Errorf("write keys file: %w", err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("replace keys file: %w", err)
		}
		fmt.Fprintf(env.Stdout, "key version %d added to %s and now active\n", v, path)
	case "reseal":
	default:
		return usageError{fmt.Sprintf("unknown keys command %q; want rotate or reseal", args[0])}
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
		return fmt.Errorf("reseal after %d people: %w", n, err)
	}
	phones, err := st.ResealCasePhones(ctx)
	if err != nil {
		return fmt.Errorf("reseal reporter phones after %d: %w", phones, err)
	}
	fmt.Fprintf(env.Stdout, "resealed %d people and %d reporter phones under key version %d; older keys are no longer needed for them\n", n, phones, keys.Active())
	return nil
}
