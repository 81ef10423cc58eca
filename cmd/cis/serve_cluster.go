package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/store"
)

// cluster is serve's part in several servers on one PostgreSQL (issue 16,
// docs/postgres.md "Leases"): the process lease that says this server is
// alive (its claims are its own), the leases that run each periodic job
// once per cluster and connect a linked device in one server only, and
// their state for readiness. On SQLite the one server (store.Lock) holds
// them all.
type cluster struct {
	st  *store.Store
	ttl time.Duration
	log *slog.Logger

	mu     sync.Mutex
	leases []*bot.Lease
}

func newCluster(st *store.Store, ttl time.Duration, log *slog.Logger) *cluster {
	return &cluster{st: st, ttl: ttl, log: log.With("component", "cluster")}
}

// startCluster makes serve's cluster part and starts it (start).
func startCluster(ctx context.Context, a *app, ttl time.Duration, log *slog.Logger) error {
	a.cluster = newCluster(a.store, ttl, log)
	if err := a.cluster.start(ctx); err != nil {
		return fmt.Errorf("leases: %w", err)
	}
	return nil
}

// start makes this process known as alive before it claims anything. On
// SQLite, under the file lock, no other process can be alive: the leases
// of a previous run (killed before they expired) are forgotten, so that
// its claims are settled at once as a crash's orphans. On PostgreSQL the
// same holds for the servers whose session has ended (their owner lock is
// free): their process leases end now (store/alive_pg.go).
func (k *cluster) start(ctx context.Context) error {
	if err := k.forgetDead(ctx); err != nil {
		return err
	}
	_, _, err := k.st.TakeLease(ctx, store.ProcessLease(k.st.Owner()), k.ttl)
	if err == nil {
		k.log.Info("server in the cluster", "owner", k.st.Owner(), "lease_ttl", k.ttl.String())
	}
	return err
}

// forgetDead ends the process leases of servers known dead: on SQLite
// every other one (the file lock proves it), on PostgreSQL those whose
// owner lock is free.
func (k *cluster) forgetDead(ctx context.Context) error {
	if !k.st.Postgres() {
		return k.st.ClearLeases(ctx)
	}
	n, err := k.st.ExpireDeadProcesses(ctx)
	if n > 0 {
		k.log.Info("servers gone: their process leases ended", "servers", n)
	}
	return err
}

// lease makes and registers a lease of this server.
func (k *cluster) lease(name string) *bot.Lease {
	l := &bot.Lease{Store: k.st, Name: name, TTL: k.ttl, Log: k.log}
	k.mu.Lock()
	k.leases = append(k.leases, l)
	k.mu.Unlock()
	return l
}

// drop forgets lease l (its work ended for good: the single linked device
// when numbers were declared), so readiness no longer lists it.
func (k *cluster) drop(l *bot.Lease) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.leases = slices.DeleteFunc(k.leases, func(x *bot.Lease) bool { return x == l })
}

// alive heartbeats the process lease until ctx ends.
func (k *cluster) alive(ctx context.Context) error {
	return k.lease(store.ProcessLease(k.st.Owner())).Run(ctx, func(ctx context.Context, _ store.Fence) error {
		<-ctx.Done()
		return nil
	})
}

// job runs loop only while this server holds the lease job:<name>: once
// per cluster.
func (k *cluster) job(name string, loop func(context.Context) error) func(context.Context) error {
	l := k.lease("job:" + name)
	return func(ctx context.Context) error {
		return l.Run(ctx, func(ctx context.Context, _ store.Fence) error { return loop(ctx) })
	}
}

// orphans settles, every lease time, the claims of servers whose process
// lease expired or (PostgreSQL) whose session ended (killed while sending): the replies and notifications
// they had claimed get the crash policy (store/sending.go). A live
// server's claims are never touched, this one's included even when its own
// process lease lapsed for a moment (store/orphans_live.go).
func (k *cluster) orphans(ctx context.Context) error {
	for {
		if _, err := k.st.ExpireDeadProcesses(ctx); err != nil { // PostgreSQL only
			return err
		}
		for _, ch := range []string{bot.WhatsAppChannel, bot.CloudChannel} {
			if _, err := k.st.ReleaseOthersOrphans(ctx, ch, time.Now()); err != nil {
				return err
			}
		}
		if _, err := k.st.ReleaseOthersNotificationOrphans(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(k.ttl):
		}
	}
}

// states are this server's leases, by name, for readiness.
func (k *cluster) states() []bot.LeaseState {
	if k == nil {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]bot.LeaseState, 0, len(k.leases))
	for _, l := range k.leases {
		out = append(out, l.State())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
