// Package bot connects channels to the conversation: it turns what a channel
// received into a flow.Inbound, records it and runs the flow in one store
// transaction, and sends what the outbox holds. It holds no conversation
// logic (that is flow) and no SQL (that is store). The WhatsApp channels
// plug in here; the terminal simulator (Simulator) is the first channel.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// ledger is the part of *store.Store the bot writes through.
type ledger interface {
	outboxStore
	Handle(ctx context.Context, in flow.Inbound, step func(flow.State) flow.Result) (bool, error)
	ExpireIdle(ctx context.Context, cutoff time.Time, limit int, expire func(flow.State) (flow.Result, bool)) (int, error)
}

var _ ledger = (*store.Store)(nil)

// staff is implemented by a ledger that knows the agency's own people
// (*store.Store): an advisor who answers a notification from their phone
// writes to the agency's number like a prospect would.
type staff interface {
	IsAdvisorPhone(ctx context.Context, phone string) (bool, error)
}

var _ staff = (*store.Store)(nil)

// machine is the part of *flow.Machine the bot runs.
type machine interface {
	StepBurst(s flow.State, in flow.Inbound, now time.Time, window time.Duration) flow.Result
	Expire(s flow.State, now time.Time) (flow.Result, bool)
	Config() flow.Config
}

var _ machine = (*flow.Machine)(nil)

// Sender delivers one reply on a channel and returns the channel's ID for
// the sent message. An error wrapping ErrPermanent is not retried.
type Sender interface {
	Send(ctx context.Context, o store.Outgoing) (extID string, err error)
}

// ErrPermanent marks a send failure that retrying cannot fix.
var ErrPermanent = errors.New("permanent send failure")

// ErrUncertain marks a send failure after which the message may have been
// delivered all the same: the reply follows the resend policy of its kind
// (store/sending.go) instead of being retried.
var ErrUncertain = errUncertain

// maxAttempts is how often a reply is tried before it is marked failed.
const maxAttempts = 8

// Deps are what a Bot needs.
type Deps struct {
	Store ledger
	Flow  machine
	Now   func() time.Time // default time.Now
	Log   *slog.Logger     // default discards
}

// Bot handles messages for every channel. Safe for concurrent use.
type Bot struct {
	store ledger
	flow  machine
	now   func() time.Time
	log   *slog.Logger

	mu       sync.Mutex
	released map[string]bool // channels whose orphan claims Flush has settled

	brands brands // one machine per branded number (numbers.go)
}

// New checks d and returns a Bot.
func New(d Deps) (*Bot, error) {
	if d.Store == nil || d.Flow == nil {
		return nil, errors.New("bot: store and flow are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Bot{store: d.Store, flow: d.Flow, now: d.Now, log: d.Log}, nil
}

// Receive records in and runs it through the flow, exactly once per
// channel message ID. handled is false for a redelivery. When err is not
// nil nothing was stored and the channel must not acknowledge the message,
// so that it is delivered again.
func (b *Bot) Receive(ctx context.Context, in flow.Inbound) (handled bool, err error) {
	return b.ReceiveBurst(ctx, in, 0)
}

// ReceiveBurst is Receive for a channel that holds its replies until the
// person has been quiet for window (flow.Machine.StepBurst): a burst of
// messages is stored message by message, exactly once each, and answered
// once. Replies made moot by a later message of the burst are withdrawn in
// the same transaction, so a crash inside the window loses nothing and
// answers nothing twice.
func (b *Bot) ReceiveBurst(ctx context.Context, in flow.Inbound, window time.Duration) (handled bool, err error) {
	now := b.now()
	if adv, err := b.fromAdvisor(ctx, in); err != nil || adv {
		return false, err
	}
	// A person known by a WhatsApp BSUID or LID, or a web-chat session, has
	// no number the agency can call: the flow may ask for one.
	in.NoPhone = in.NoPhone || !store.IsPhoneKey(in.From)
	m := b.machineFor(ctx, in) // numbers.go: the brand of the number written to
	handled, err = b.store.Handle(ctx, in, func(s flow.State) flow.Result {
		return b.step(m, s, in, now, window) // nontext.go: reactions, voice notes, one polite request per question
	})
	if err != nil {
		b.log.Error("message not stored; it must be redelivered", "channel", in.Channel, "msg_id", in.ID, "err", err)
		return false, err
	}
	if !handled {
		b.log.Info("redelivered message ignored", "channel", in.Channel, "msg_id", in.ID)
	}
	return handled, nil
}

// fromAdvisor reports whether in comes from an advisor's own number (an
// answer to a lead notification, "ok, ya lo llamo"): it is no prospect's
// message, so it starts no conversation, no consent question and no lead,
// and is not stored. An error means the check failed: the channel must not
// acknowledge the message.
func (b *Bot) fromAdvisor(ctx context.Context, in flow.Inbound) (bool, error) {
	st, ok := b.store.(staff)
	if !ok || !store.IsPhoneKey(in.From) {
		return false, nil
	}
	adv, err := st.IsAdvisorPhone(ctx, in.From)
	if err != nil {
		b.log.Error("message not handled: advisor check failed; it must be redelivered", "channel", in.Channel, "msg_id", in.ID, "err", err)
		return false, err
	}
	if adv {
		b.log.Info("message from an advisor's number: no prospect conversation", "channel", in.Channel, "msg_id", in.ID)
	}
	return adv, nil
}

// Flush sends the replies due on channel through s, in queue order, and
// returns how many were sent: the in-process channels (the web chat, cis
// chat, the demo). Each reply is claimed before it is handed to s and
// marked right after, as the WhatsApp senders do (send.go,
// store/sending.go): two Flush calls at once (two web-chat visitors) never
// send one reply twice, and a crash leaves at most the reply in hand
// uncertain. The first Flush of a channel in this process settles what a
// previous process left claimed. A failed send is retried later with
// backoff; the rest of the queue goes on.
func (b *Bot) Flush(ctx context.Context, channel string, s Sender) (int, error) {
	r := replies{st: b.store, channel: channel, now: b.now}
	if err := b.releaseOnce(ctx, r); err != nil {
		return 0, err
	}
	pending, err := b.store.PendingOutbox(ctx, channel, 100)
	if err != nil {
		return 0, err
	}
	snd := &sender{channel: channel, idKey: "outbox_id", claims: r, log: b.log, now: b.now}
	p, err := snd.drain(ctx, pending, func(_ context.Context, o store.Outgoing) (deliverFunc, error) {
		return func(ctx context.Context) (string, error) { return s.Send(context.WithoutCancel(ctx), o) }, nil
	})
	return p.sent, err
}

// releaseOnce settles, once per channel and process, the rows a previous
// process claimed on the channel and never marked (the crash policy).
func (b *Bot) releaseOnce(ctx context.Context, r replies) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.released[r.channel] {
		return nil
	}
	if _, err := r.releaseOrphans(ctx); err != nil {
		return err
	}
	if b.released == nil {
		b.released = map[string]bool{}
	}
	b.released[r.channel] = true
	return nil
}

// ExpireIdle marks conversations idle for longer than the flow's timeout as
// abandoned and returns how many it marked.
func (b *Bot) ExpireIdle(ctx context.Context, idle time.Duration) (int, error) {
	now := b.now()
	total := 0
	for {
		n, err := b.store.ExpireIdle(ctx, now.Add(-idle), 500, func(s flow.State) (flow.Result, bool) {
			return b.flow.Expire(s, now)
		})
		total += n
		if err != nil {
			return total, fmt.Errorf("expire idle: %w", err)
		}
		if n == 0 || n < 500 {
			return total, nil
		}
	}
}

// RunSweeper calls ExpireIdle every interval until ctx ends.
func (b *Bot) RunSweeper(ctx context.Context, idle, every time.Duration) error {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if n, err := b.ExpireIdle(ctx, idle); err != nil {
				b.log.Error("idle sweep failed", "err", err)
			} else if n > 0 {
				b.log.Info("conversations abandoned", "count", n)
			}
		}
	}
}
