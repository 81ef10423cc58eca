package bot

import (
	"context"

	"github.com/cis-agencia/cis/store"
)

// LinkedDeviceLease is the name of the lease that owns the linked device
// of account (the agency's number, or a name the operator gives it).
func LinkedDeviceLease(account string) string { return "linked-device:" + account }

// LinkLeased is Link for several servers on one database: the device is
// opened and connected only while this process holds lease l, so that two
// of our processes never connect one session (whatsmeow's StreamReplaced),
// and every claim of the channel's outbox is fenced by the lease's token
// (store.ClaimNextFenced): a server that lost the lease sends nothing
// more. Meanwhile the channel's state is StateStandby. also run beside the
// connection while the lease is held (the advisors' notifier, which sends
// through the device). On SQLite the one process takes the lease at once.
func (w *WhatsApp) LinkLeased(ctx context.Context, l *Lease, open func(context.Context) (Device, error), also ...func(context.Context) error) error {
	standby := func() {
		w.mu.Lock()
		w.fence = &store.Fence{Lease: l.Name} // token 0 is never a lease's: nothing is claimed
		w.mu.Unlock()
		w.setStatus(func(s *ChannelStatus) {
			s.State, s.Detail, s.QR = StateStandby, "another server of the cluster owns this linked device", ""
		})
	}
	standby()
	return l.Run(ctx, func(ctx context.Context, f store.Fence) error {
		w.mu.Lock()
		w.fence = &f
		w.mu.Unlock()
		defer standby()
		return runParts(ctx, append([]func(context.Context) error{func(ctx context.Context) error { return w.Link(ctx, open) }}, also...))
	})
}

// runParts runs every part until ctx ends or one returns, then stops the
// others and returns the first error.
func runParts(ctx context.Context, parts []func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(parts))
	for _, p := range parts {
		go func() { errs <- p(ctx) }()
	}
	first := <-errs
	cancel()
	for range len(parts) - 1 {
		<-errs
	}
	return first
}
