package store

import (
	"context"
	"log/slog"
	"time"
)

// PrivacyJobs are a server's background data-rights work: deletions asked in
// the chat are carried out once their confirmation has left (every tick),
// and the retention policy is applied once a day (the first tick runs it,
// so a restart never skips a day). Set Store, Retention, Now and Log.
type PrivacyJobs struct {
	Store     *Store
	Retention Retention
	Now       func() time.Time
	Log       *slog.Logger
	// LastRun is when the retention policy last ran; zero runs it at the
	// first tick (a caller that just ran it sets it to skip one day).
	LastRun time.Time
}

// Tick carries out up to 50 confirmed deletion requests, and applies the
// retention policy when a day has passed since it last ran. Failures are
// logged and tried again at the next tick.
func (j *PrivacyJobs) Tick(ctx context.Context) {
	if n, err := j.Store.ProcessDeletionRequests(ctx, 50); err != nil {
		j.Log.Error("deletion requests", "err", err)
	} else if n > 0 {
		j.Log.Info("deletion requests carried out", "people", n)
	}
	now := j.Now()
	if !j.LastRun.IsZero() && now.Sub(j.LastRun) < 24*time.Hour {
		return
	}
	if _, err := j.Store.ApplyRetention(ctx, j.Retention); err != nil {
		j.Log.Error("retention", "err", err)
		return // tried again next tick
	}
	j.LastRun = now
}

// Run ticks at once and then every interval until ctx ends.
func (j *PrivacyJobs) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		j.Tick(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
