package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/dashboard"
)

// demoProspects is how many made-up prospects `serve --demo` seeds.
const demoProspects = 60

func serveCmd(ctx context.Context, e env, args []string) error {
	fs, c := newFlagSet("serve", e.getenv)
	demo := fs.Bool("demo", false, "seed a demo store the first time (made-up prospects through the real flow)")
	fs.SetOutput(e.stderr)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	log := newLogger(c, e.stderr)
	a, err := open(ctx, c, log, time.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	if *demo {
		if err := seedHistory(ctx, a, env{stderr: e.stderr}); err != nil {
			return err
		}
		if err := seedDemo(ctx, a); err != nil {
			return err
		}
	}
	web, err := dashboard.New(dashboard.Deps{Store: a.store, Scorer: a.scorer, Log: log.With("component", "dashboard")})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("--addr (CIS_ADDR): %w", err)
	}
	fmt.Fprintf(e.stdout, "cis: serving on http://%s (health: /healthz, /readyz); store %s\n", ln.Addr(), c.DBPath)
	return runAll(ctx,
		func(ctx context.Context) error { return web.Serve(ctx, ln) },
		func(ctx context.Context) error { return a.bot.RunSweeper(ctx, c.IdleTimeout, time.Minute) },
		func(ctx context.Context) error { return a.scorer.Watch(ctx, c.ModelPoll) },
	)
}

// seedDemo fills an empty store with demo conversations; a store that
// already has conversations is left alone, so restarts do not duplicate.
func seedDemo(ctx context.Context, a *app) error {
	st, err := a.store.Stats(ctx)
	if err != nil {
		return err
	}
	if st.Conversations > 0 {
		a.log.Info("demo store already seeded", "conversations", st.Conversations)
		return nil
	}
	// The demo bot runs on its own clock so that made-up prospects write
	// during the past week; the served bot keeps the real clock.
	clock := bot.NewClock(time.Now())
	b, err := bot.New(bot.Deps{Store: a.store, Flow: a.machine, Now: clock.Now, Log: a.log.With("component", "demo")})
	if err != nil {
		return err
	}
	n, err := bot.SeedDemo(ctx, b, clock, time.Now(), demoProspects, 1)
	if err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	st, err = a.store.Stats(ctx)
	if err != nil {
		return err
	}
	a.log.Info("demo store seeded", "messages", n, "conversations", st.Conversations, "leads", st.Leads,
		"hot", st.LeadsByClass["hot"], "warm", st.LeadsByClass["warm"], "cold", st.LeadsByClass["cold"])
	return nil
}

// runAll runs every part until ctx ends or one part fails, then stops the
// others and returns the first error.
func runAll(ctx context.Context, parts ...func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		once sync.Once
		err  error
	)
	for _, p := range parts {
		wg.Go(func() {
			if e := p(ctx); e != nil && !errors.Is(e, context.Canceled) {
				once.Do(func() { err = e })
			}
			cancel()
		})
	}
	wg.Wait()
	return err
}
