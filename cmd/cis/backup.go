package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cis-agencia/cis/store"
)

// backupCmd writes a checked online copy of the store: `cis backup FILE`,
// safe while `cis serve` runs; `cis backup --verify FILE` checks a copy.
func backupCmd(ctx context.Context, e env, args []string) error {
	fs, c := newFlagSet("backup", e.getenv)
	verify := fs.Bool("verify", false, "only check FILE (integrity_check, CIS schema not newer than this build); change nothing")
	fs.SetOutput(e.stderr)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if store.IsPostgres(c.DBPath) { // with or without FILE: the advice is what helps
		return pgBackupAdvice("backup", c.DBPath)
	}
	if fs.NArg() != 1 {
		return errors.New("usage: cis backup FILE | cis backup --verify FILE")
	}
	file := fs.Arg(0)
	if *verify {
		info, err := store.VerifyBackup(ctx, file)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "cis: %s is a good backup (%d bytes, schema %s)\n", info.Path, info.Bytes, info.Migration)
		return nil
	}
	log := newLogger(c, e.stderr)
	st, err := store.Open(ctx, c.DBPath, c.storeOptions(log.With("component", "store")))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	info, err := st.Backup(ctx, file)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "cis: backed up %s to %s (%d bytes, integrity_check ok, schema %s)\n", c.DBPath, info.Path, info.Bytes, info.Migration)
	return nil
}

// restoreCmd replaces the store with a backup: `cis restore FILE`. It takes
// the instance lock, so it refuses while `cis serve` runs, and keeps the
// replaced file next to the store.
func restoreCmd(ctx context.Context, e env, args []string) error {
	fs, c := newFlagSet("restore", e.getenv)
	fs.SetOutput(e.stderr)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if store.IsPostgres(c.DBPath) { // with or without FILE: the advice is what helps
		return pgBackupAdvice("restore", c.DBPath)
	}
	if fs.NArg() != 1 {
		return errors.New("usage: cis restore FILE (stop cis serve first)")
	}
	// Restoring onto a missing store (a new machine) needs no lock: there is
	// nothing a server could be using.
	lock, err := store.Lock(c.DBPath)
	if err != nil && !errors.Is(err, store.ErrNoStore) {
		return err
	}
	defer lock.Unlock()
	aside, err := store.Restore(ctx, fs.Arg(0), c.DBPath, time.Now())
	if err != nil {
		return err
	}
	// Open once: it applies the migrations of this build to an older backup
	// and proves the restored file starts.
	log := newLogger(c, e.stderr)
	st, err := store.Open(ctx, c.DBPath, c.storeOptions(log.With("component", "store")))
	if err != nil {
		return fmt.Errorf("open the restored store: %w", err)
	}
	if err := st.Close(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "cis: restored %s from %s\n", c.DBPath, fs.Arg(0))
	if aside != "" {
		fmt.Fprintf(e.stdout, "cis: the replaced store is kept as %s\n", aside)
	}
	return nil
}
