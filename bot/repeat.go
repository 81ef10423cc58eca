package bot

import (
	"context"
	"time"
)

// repeat calls pass at once and then every interval until ctx ends: the
// shape of every background worker here (notifications, webhooks,
// conversion events, re-engagement, the shared queue). An error from pass
// ends the loop and is returned, unless ctx has ended (then nil, a stop is
// not a failure); a worker that keeps going after a failed pass logs the
// error inside pass and returns nil.
func repeat(ctx context.Context, every time.Duration, pass func() error) error {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if err := pass(); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
