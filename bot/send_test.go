package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"

	"github.com/cis-agencia/cis/store"
)

// fakeClaims records what the sender asked of the store, in order.
type fakeClaims struct {
	calls   []string
	claimed bool // what claim answers
}

func (f *fakeClaims) claim(_ context.Context, done []store.Sent, id int64) (bool, error) {
	for _, d := range done {
		f.calls = append(f.calls, fmt.Sprintf("confirm %d %s", d.ID, d.ExtID))
	}
	f.calls = append(f.calls, fmt.Sprintf("claim %d", id))
	return f.claimed, nil
}

func (f *fakeClaims) confirm(_ context.Context, done []store.Sent) error {
	for _, d := range done {
		f.calls = append(f.calls, fmt.Sprintf("confirm %d %s", d.ID, d.ExtID))
	}
	return nil
}

func (f *fakeClaims) unclaim(_ context.Context, id int64) error {
	f.calls = append(f.calls, fmt.Sprintf("unclaim %d", id))
	return nil
}

func (f *fakeClaims) uncertain(_ context.Context, id int64, _ time.Time, _ string) (bool, error) {
	f.calls = append(f.calls, fmt.Sprintf("uncertain %d", id))
	return false, nil
}

func (f *fakeClaims) retry(_ context.Context, id int64, _ time.Time, _ string) error {
	f.calls = append(f.calls, fmt.Sprintf("retry %d", id))
	return nil
}

func (f *fakeClaims) fail(_ context.Context, id int64, _ string) error {
	f.calls = append(f.calls, fmt.Sprintf("fail %d", id))
	return nil
}

// TestSenderSettlesEachOutcome: the one claim → send → confirm routine
// claims a message only once the channel's hook admits it, records an
// accepted one, and settles a failed one by what the failure means: known
// not sent (retry, or give up after maxAttempts or a permanent error),
// maybe sent (the resend policy of its kind), or not handed over at all
// (put back untouched).
func TestSenderSettlesEachOutcome(t *testing.T) {
	stop, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		attempts int
		claimed  bool
		prepErr  error // the hook's error
		hold     bool  // the hook leaves it queued
		sendErr  error
		want     fate
		calls    []string
	}{
		{"sent", 0, true, nil, false, nil, fateSent, []string{"claim 7", "confirm 7 ext-7"}},
		{"not pending any more", 0, false, nil, false, nil, fateHeld, []string{"claim 7"}},
		{"not admitted yet (debounce, pacing)", 0, true, nil, true, nil, fateHeld, nil},
		{"refused before the claim (24-hour window)", 0, true, errOutsideWindow, false, nil, fateFailed, []string{"fail 7"}},
		{"transient", 0, true, nil, false, errors.New("503"), fateFailed, []string{"claim 7", "retry 7"}},
		{"transient, last attempt", maxAttempts - 1, true, nil, false, errors.New("503"), fateFailed, []string{"claim 7", "fail 7"}},
		{"permanent", 0, true, nil, false, fmt.Errorf("bad number: %w", ErrPermanent), fateFailed, []string{"claim 7", "fail 7"}},
		{"uncertain (provider)", 0, true, nil, false, fmt.Errorf("timeout: %w", ErrUncertain), fateFailed, []string{"claim 7", "uncertain 7"}},
		{"uncertain (whatsmeow)", 0, true, nil, false, whatsmeow.ErrMessageTimedOut, fateFailed, []string{"claim 7", "uncertain 7"}},
		{"stopped while typing", 0, true, nil, false, fmt.Errorf("%w: %w", errNotTried, context.Canceled), fateHeld, []string{"claim 7", "unclaim 7"}},
		{"rate limited (130429), even at the last attempt", maxAttempts - 1, true, nil, false,
			&rateLimited{code: codeThroughput, until: time.Now().Add(time.Minute), err: errors.New("429")}, fateFailed, []string{"claim 7", "retry 7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &fakeClaims{claimed: tt.claimed}
			s := &sender{channel: "test", idKey: "outbox_id", claims: c, log: slog.New(slog.DiscardHandler), now: time.Now}
			prepare := func(context.Context, store.Outgoing) (deliverFunc, error) {
				if tt.prepErr != nil || tt.hold {
					return nil, tt.prepErr
				}
				return func(context.Context) (string, error) {
					if tt.sendErr != nil {
						return "", tt.sendErr
					}
					return "ext-7", nil
				}, nil
			}
			var w worker
			got, err := s.one(context.Background(), &w, store.Outgoing{ID: 7, To: "+573001234567", Attempts: tt.attempts}, prepare)
			if err != nil || got != tt.want || !slices.Equal(c.calls, tt.calls) {
				t.Errorf("fate %d, err %v, calls %q; want fate %d, calls %q", got, err, c.calls, tt.want, tt.calls)
			}
		})
	}
	t.Run("stopping claims nothing", func(t *testing.T) {
		c := &fakeClaims{claimed: true}
		s := &sender{channel: "test", claims: c, log: slog.New(slog.DiscardHandler), now: time.Now}
		admit := func(context.Context, store.Outgoing) (deliverFunc, error) {
			return func(context.Context) (string, error) { return "x", nil }, nil
		}
		if got, err := s.one(stop, &worker{}, store.Outgoing{ID: 7}, admit); got != fateHeld || err != nil || len(c.calls) != 0 {
			t.Errorf("fate %d, err %v, calls %q; want held and nothing claimed", got, err, c.calls)
		}
	})
}

// TestSenderConfirmsWithNextClaim: with confirmWithNext (the Cloud API) an
// answer is recorded in the commit that claims the worker's next message,
// and the last one when the worker ends; a person's queue stops at the
// first message that does not go out, other people's go on.
func TestSenderConfirmsWithNextClaim(t *testing.T) {
	c := &fakeClaims{claimed: true}
	s := &sender{channel: "test", idKey: "outbox_id", claims: c, log: slog.New(slog.DiscardHandler), now: time.Now, inOrder: true, confirmWithNext: true}
	msgs := []store.Outgoing{{ID: 1, To: "a"}, {ID: 2, To: "b"}, {ID: 3, To: "a"}, {ID: 4, To: "b"}}
	p, err := s.drain(context.Background(), msgs, func(_ context.Context, o store.Outgoing) (deliverFunc, error) {
		return func(context.Context) (string, error) {
			if o.ID == 2 {
				return "", errors.New("503")
			}
			return fmt.Sprintf("ext-%d", o.ID), nil
		}, nil
	})
	want := []string{"claim 1", "confirm 1 ext-1", "claim 2", "retry 2", "claim 3", "confirm 3 ext-3"}
	if err != nil || p.sent != 2 || p.failed != 1 || !slices.Equal(c.calls, want) {
		t.Errorf("pass %+v, err %v, calls %q; want 2 sent, 1 failed, calls %q (message 4 waits behind 2)", p, err, c.calls, want)
	}
}
