package bot

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/cis-agencia/cis/store"
)

// Leases for several servers on one database (issue 16, docs/postgres.md
// "Leases"): a Lease runs a piece of work (a linked device's connection, a
// periodic job) in exactly one process of the cluster at a time. The work
// starts only once the lease is taken, and is stopped as soon as the
// process cannot prove it still holds it: a refused heartbeat (another
// process took it over), or no successful heartbeat for most of the lease
// time (the database unreachable). So the work has stopped in the old owner
// before the lease expires and another process can take it; and what the
// work claims is fenced by the lease's token (store.ClaimNextFenced), for
// an owner paused past that point.

// DefaultLeaseTTL is how long a lease lasts without a heartbeat: the most a
// killed server's linked device stays silent before another takes it.
const DefaultLeaseTTL = 15 * time.Second

// leaseStore is the part of *store.Store leases use.
type leaseStore interface {
	Owner() string
	TakeLease(ctx context.Context, name string, ttl time.Duration) (store.Lease, bool, error)
	RenewLease(ctx context.Context, name string, token int64, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name string, token int64) error
}

var _ leaseStore = (*store.Store)(nil)

// Lease runs work while this process holds lease Name.
type Lease struct {
	Store leaseStore
	Name  string
	TTL   time.Duration // default DefaultLeaseTTL
	Log   *slog.Logger
	// Defer, when set, may leave a free lease a round to another process
	// (at most two rounds in a row): the linked devices' fair share
	// (devices.go), so that several servers spread the devices.
	Defer func(ctx context.Context) bool

	mu    sync.Mutex
	held  bool
	token int64
	owner string // the holder last seen
}

// LeaseState is what readiness shows of a lease.
type LeaseState struct {
	Name   string
	Held   bool   // this process holds it
	Token  int64  // the token held (0 when not held)
	Holder string // the holder last seen ("" when free)
}

// State reports whether this process holds the lease, and who does.
func (l *Lease) State() LeaseState {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := LeaseState{Name: l.Name, Held: l.held, Holder: l.owner}
	if l.held {
		s.Token = l.token
	}
	return s
}

func (l *Lease) ttl() time.Duration {
	if l.TTL > 0 {
		return l.TTL
	}
	return DefaultLeaseTTL
}

func (l *Lease) log() *slog.Logger {
	if l.Log != nil {
		return l.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Run takes the lease when it is free or expired (trying every sixth of
// the lease time), runs work with the lease's fence while it holds it,
// heartbeats every third of the lease time, and cancels work's context as
// soon as the lease is lost; then it tries again. When work returns on its
// own or ctx ends, the lease is released, so that another process takes it
// at once. An error of work (not a stop) is returned after the release.
func (l *Lease) Run(ctx context.Context, work func(ctx context.Context, f store.Fence) error) error {
	poll := l.ttl() / 6
	deferred := 0
	for {
		if l.Defer != nil && deferred < 2 && l.Defer(ctx) {
			deferred++
			if err := sleepCtx(ctx, poll); err != nil {
				return nil
			}
			continue
		}
		deferred = 0
		taken, err := l.take(ctx)
		if err != nil && ctx.Err() == nil {
			l.log().Warn("lease not taken", "lease", l.Name, "err", err)
		}
		if taken.Token != 0 {
			if _, err := l.hold(ctx, taken, work); err != nil {
				return err
			}
		}
		if err := sleepCtx(ctx, poll); err != nil {
			return nil
		}
	}
}

// HeldError: TryRun found the lease held by another process.
type HeldError struct {
	Name   string // the lease
	Holder string // its owner (host-pid-random, store.Store.Owner)
}

func (e *HeldError) Error() string { return "lease " + e.Name + " is held by " + e.Holder }

// ErrLeaseLost: TryRun's work was stopped because the lease was taken over
// or could no longer be renewed.
var ErrLeaseLost = errors.New("lease lost")

// TryRun is Run for a piece of work that must not wait its turn (cis pair):
// it tries to take the lease once, and when another process holds it,
// returns a *HeldError without running work. Otherwise it runs work under
// the lease as Run does, and returns ErrLeaseLost when the lease was lost
// meanwhile (work's context was cancelled), else work's error.
func (l *Lease) TryRun(ctx context.Context, work func(ctx context.Context, f store.Fence) error) error {
	taken, err := l.take(ctx)
	if err != nil {
		return err
	}
	if taken.Token == 0 {
		return &HeldError{Name: l.Name, Holder: l.State().Holder}
	}
	lost, err := l.hold(ctx, taken, work)
	if lost {
		return ErrLeaseLost
	}
	return err
}

// take tries to take the lease; the fence is zero when another holds it.
func (l *Lease) take(ctx context.Context) (store.Fence, error) {
	got, held, err := l.Store.TakeLease(ctx, l.Name, l.ttl())
	if err != nil {
		return store.Fence{}, err
	}
	l.mu.Lock()
	l.owner = got.Owner
	l.mu.Unlock()
	if !held {
		return store.Fence{}, nil
	}
	return store.Fence{Lease: l.Name, Token: got.Token}, nil
}

// hold runs work under the lease f until work returns, ctx ends, or the
// lease is lost (lost).
func (l *Lease) hold(ctx context.Context, f store.Fence, work func(ctx context.Context, f store.Fence) error) (lost bool, err error) {
	l.setHeld(true, f.Token)
	defer l.setHeld(false, 0)
	l.log().Info("lease taken", "lease", l.Name, "token", f.Token)
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- work(wctx, f) }()
	lost = l.heartbeat(wctx, f, done)
	cancel()
	err = <-done
	if lost {
		l.log().Warn("lease lost: work stopped", "lease", l.Name, "token", f.Token)
		return true, nil // taken over or unprovable: never released, tried again
	}
	// Released with a context a stop does not cut: the next owner then
	// need not wait for the expiry.
	if rerr := l.Store.ReleaseLease(context.WithoutCancel(ctx), l.Name, f.Token); rerr != nil {
		l.log().Warn("lease not released; it expires by itself", "lease", l.Name, "err", rerr)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return false, err
	}
	return false, nil
}

// heartbeat renews f every third of the lease time until work ends (done,
// whose result it puts back) or ctx ends (false), or the lease is lost
// (true): a refused renewal, or none that succeeded for 5/6 of the lease
// time, so that work stops before the lease can expire.
func (l *Lease) heartbeat(ctx context.Context, f store.Fence, done chan error) (lost bool) {
	ttl := l.ttl()
	tick := time.NewTicker(ttl / 3)
	defer tick.Stop()
	deadline := time.Now().Add(ttl - ttl/6) // monotonic: a wall clock step does not move it
	for {
		select {
		case <-ctx.Done():
			return false
		case err := <-done:
			done <- err
			return false
		case <-tick.C:
		}
		rctx, cancel := context.WithTimeout(ctx, ttl/6) // a hung database must not outlast the deadline
		ok, err := l.Store.RenewLease(rctx, l.Name, f.Token, ttl)
		cancel()
		switch {
		case err == nil && !ok:
			return true
		case err == nil:
			deadline = time.Now().Add(ttl - ttl/6)
		case ctx.Err() != nil:
			return false
		case time.Now().After(deadline):
			l.log().Warn("lease heartbeat failing", "lease", l.Name, "err", err)
			return true
		}
	}
}

func (l *Lease) setHeld(held bool, token int64) {
	l.mu.Lock()
	l.held, l.token = held, token
	l.mu.Unlock()
}
