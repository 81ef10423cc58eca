package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cis-agencia/cis/dashboard"
	"github.com/cis-agencia/cis/store"
)

// usersCmd manages dashboard accounts: `cis users add [--role R] [--generate] NAME`.
// The password is read from the first line of standard input (exactly as
// typed, no trimming of spaces), or generated and printed with --generate.
func usersCmd(ctx context.Context, e env, args []string) error {
	if len(args) > 0 && (args[0] == "list" || args[0] == "deactivate" || args[0] == "activate") {
		return usersAdmin(ctx, e, args)
	}
	if len(args) > 0 && args[0] == "passwd" {
		return usersPasswd(ctx, e, args[1:])
	}
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: cis users add [--role admin|advisor|viewer] [--generate] USERNAME (password on stdin) | passwd [--generate] USERNAME | list | deactivate NAME | activate NAME")
	}
	fs, c := newFlagSet("users add", e.getenv)
	role := fs.String("role", "advisor", "admin, advisor or viewer")
	generate := fs.Bool("generate", false, "generate a strong password and print it")
	fs.SetOutput(e.stderr)
	if err := c.parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("users add: give exactly one USERNAME")
	}
	name := fs.Arg(0)
	if !dashboard.ValidRole(*role) {
		return fmt.Errorf("users add: --role %q: want admin, advisor or viewer", *role)
	}
	if !dashboard.ValidUsername(name) {
		return fmt.Errorf("users add: username %q: 1 to 64 characters, no spaces", name)
	}
	pw, err := readPassword(e, name, *generate, "users add")
	if err != nil {
		return err
	}
	log := newLogger(c, e.stderr)
	st, err := store.Open(ctx, c.DBPath, c.storeOptions(log.With("component", "store")))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	u, err := dashboard.CreateUser(ctx, st, name, *role, pw)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "cis: user %s (%s) created\n", name, u.Role)
	if *generate {
		fmt.Fprintf(e.stdout, "password: %s\n", pw)
	}
	return nil
}

// readPassword takes a new password for name from the first line of
// standard input (exactly as typed), or generates one, and checks the policy.
func readPassword(e env, name string, generate bool, cmd string) (string, error) {
	pw := dashboard.GeneratePassword()
	if !generate {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", fmt.Errorf("%s: write the password on standard input, or use --generate", cmd)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if err := dashboard.CheckPassword(name, pw); err != nil {
		return "", fmt.Errorf("%s: password: %w (at least %d characters, not a common password)", cmd, err, dashboard.MinPasswordRunes)
	}
	return pw, nil
}

// usersPasswd sets a new password for an account (from standard input, or
// generated and printed once) and ends all its sessions: the way back in
// when a password is lost, also for the demo's admin.
func usersPasswd(ctx context.Context, e env, args []string) error {
	fs, c := newFlagSet("users passwd", e.getenv)
	generate := fs.Bool("generate", false, "generate a strong password and print it")
	fs.SetOutput(e.stderr)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("users passwd: give exactly one USERNAME")
	}
	name := fs.Arg(0)
	log := newLogger(c, e.stderr)
	st, err := store.Open(ctx, c.DBPath, c.storeOptions(log.With("component", "store")))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	u, err := st.UserByName(ctx, name)
	if err != nil {
		return fmt.Errorf("users passwd: %q: %w", name, err)
	}
	pw, err := readPassword(e, name, *generate, "users passwd")
	if err != nil {
		return err
	}
	if err := dashboard.SetPassword(ctx, st, u, pw, "cis users passwd"); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "cis: password of %s changed; its sessions were ended\n", u.Username)
	if *generate {
		fmt.Fprintf(e.stdout, "password: %s\n", pw)
	}
	return nil
}

// usersAdmin lists accounts or (de)activates one; deactivation ends its sessions.
func usersAdmin(ctx context.Context, e env, args []string) error {
	fs, c := newFlagSet("users "+args[0], e.getenv)
	fs.SetOutput(e.stderr)
	if err := c.parse(fs, args[1:]); err != nil {
		return err
	}
	log := newLogger(c, e.stderr)
	st, err := store.Open(ctx, c.DBPath, c.storeOptions(log.With("component", "store")))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	if args[0] == "list" {
		users, err := st.Users(ctx)
		if err != nil {
			return err
		}
		for _, u := range users {
			state := "active"
			if !u.Active {
				state = "inactive"
			}
			fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", u.Username, u.Role, state)
		}
		return nil
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("users %s: give exactly one USERNAME", args[0])
	}
	u, err := st.UserByName(ctx, fs.Arg(0))
	if err != nil {
		return fmt.Errorf("users %s: %q: %w", args[0], fs.Arg(0), err)
	}
	active := args[0] == "activate"
	if err := st.SetActive(ctx, u.ID, active); err != nil {
		return err
	}
	_ = st.Audit(ctx, store.AuditEntry{UserID: u.ID, Action: "user_" + args[0] + "d", At: time.Now()})
	fmt.Fprintf(e.stdout, "cis: user %s %sd\n", u.Username, args[0])
	return nil
}
