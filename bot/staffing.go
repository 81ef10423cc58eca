package bot

import (
	"context"
	"log/slog"
	"time"
)

// staffingStore is the part of *store.Store the staffing loop uses.
type staffingStore interface {
	AwayIdle(ctx context.Context, idle time.Duration) (int, error)
	AssignWaiting(ctx context.Context) (int, error)
}

// Staffing keeps the advisors' availability current and the shared queue
// moving (issue 20): each tick it switches away the advisors idle on
// shift for Idle (0: never), then gives the leads waiting in the shared
// queue to whoever can take them now, so that a shift that starts or a
// setting changed outside the dashboard is noticed within a tick. The
// events the store sees itself (an advisor back, a lead contacted or
// closed) assign at once, without waiting for the tick.
type Staffing struct {
	Store staffingStore
	Idle  time.Duration
	Log   *slog.Logger
}

// Once runs one tick.
func (s Staffing) Once(ctx context.Context) error {
	away, err := s.Store.AwayIdle(ctx, s.Idle)
	if err != nil {
		return err
	}
	placed, err := s.Store.AssignWaiting(ctx)
	if err != nil {
		return err
	}
	if away+placed > 0 && s.Log != nil {
		s.Log.Info("staffing tick", "switched_away_idle", away, "assigned_from_shared_queue", placed)
	}
	return nil
}

// Run calls Once every interval until ctx ends; a failed tick is returned
// (the caller's job loop logs it and starts again).
func (s Staffing) Run(ctx context.Context, every time.Duration) error {
	return repeat(ctx, every, func() error { return s.Once(ctx) })
}
