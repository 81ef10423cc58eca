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

// Voice notes. A channel with a transcriber does not hand a voice note to the
// flow when it arrives: it holds it (store.Hold) and acknowledges it at once,
// so the channel's acknowledgement never waits for a download or a
// transcription. A worker then fetches the audio, transcribes it (bounded by
// the transcriber's timeout) and receives it as usual, with the transcript as
// its text: the flow reads it as typed, the log keeps it as audio with the
// transcript for the advisor. The same person's later messages wait behind it
// and follow in order. Exactly once holds as for any message: Receive stores
// a message once by its channel id, and a hold is released only after that.
//
// A note that cannot be fetched or transcribed (the service refuses it, or
// still fails after voiceAttempts tries or voiceGiveUp after it arrived) is
// received without text and gets the polite request to write.

const (
	voiceAttempts = 3
	voiceGiveUp   = 2 * time.Minute
	voiceWorkers  = 4
)

// fetchMedia downloads a voice note by the channel's reference to it.
type fetchMedia func(ctx context.Context, ref string) (audio []byte, mimeType string, err error)

// voiceStore is the part of *store.Store the worker uses.
type voiceStore interface {
	Hold(ctx context.Context, in flow.Inbound, media string) (held, added bool, err error)
	HeldSenders(ctx context.Context, channel string) (map[string]int, error)
	HeldHeads(ctx context.Context, channel string, limit int) ([]store.Held, error)
	ReleaseHeld(ctx context.Context, id int64) error
	RetryHeld(ctx context.Context, id int64, next time.Time, reason string) error
}

var _ voiceStore = (*store.Store)(nil)

// voice is one channel's voice-note worker.
type voice struct {
	tr      *Transcriber
	store   voiceStore
	channel string
	fetch   fetchMedia
	deliver func(ctx context.Context, in flow.Inbound) error // the channel's Receive
	now     func() time.Time
	log     *slog.Logger
	wake    chan struct{}

	mu   sync.Mutex
	busy map[int64]bool // held rows being worked on
	// reads counts the reads of the held heads; finished is, per row whose
	// work ended, the count when it ended. A read that started before then
	// (reads <= finished) saw the row as it was: released or rescheduled
	// since, it must not be claimed from that read (a voice note would be
	// transcribed twice).
	reads    int64
	finished map[int64]int64
	senders  map[string]int // person → messages held; loaded from the store by run
	loaded   bool
}

func newVoice(tr *Transcriber, st voiceStore, channel string, fetch fetchMedia,
	deliver func(context.Context, flow.Inbound) error, now func() time.Time, log *slog.Logger) *voice {
	return &voice{tr: tr, store: st, channel: channel, fetch: fetch, deliver: deliver, now: now, log: log,
		wake: make(chan struct{}, 1), busy: map[int64]bool{}, finished: map[int64]int64{}, senders: map[string]int{}}
}

// accept holds in when it is a voice note (media is the channel's reference
// to its audio) or when the same person has a message held; held false
// means the caller receives it now. An error means it was not stored.
func (v *voice) accept(ctx context.Context, in flow.Inbound, media string) (held bool, err error) {
	if in.Kind != flow.KindAudio || media == "" {
		media = ""
		v.mu.Lock()
		waiting := v.senders[in.From] > 0 || !v.loaded
		v.mu.Unlock()
		if !waiting {
			return false, nil // the common case costs no write
		}
	}
	held, added, err := v.store.Hold(ctx, in, media)
	if err != nil || !held {
		return false, err
	}
	if added {
		v.mu.Lock()
		v.senders[in.From]++
		v.mu.Unlock()
	}
	v.poke()
	return true, nil
}

func (v *voice) poke() {
	select {
	case v.wake <- struct{}{}:
	default:
	}
}

// run works the hold until ctx ends.
func (v *voice) run(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	sem := make(chan struct{}, voiceWorkers)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		v.load(ctx)
		read := v.startRead()
		heads, err := v.store.HeldHeads(ctx, v.channel, 1000)
		if err != nil && ctx.Err() == nil {
			v.log.Error("held messages not read", "channel", v.channel, "err", err)
		}
		now := v.now()
		for _, h := range heads {
			if !v.claim(h, now, read) {
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				v.unclaim(h.ID, false)
				return nil
			}
			wg.Go(func() {
				defer func() { <-sem; v.unclaim(h.ID, true); v.poke() }()
				v.process(ctx, h)
			})
		}
		select {
		case <-ctx.Done():
			return nil
		case <-v.wake:
		case <-tick.C:
		}
	}
}

// load learns, once, who has messages held from an earlier run. Until it
// has, accept asks the store about every message. The count is read under
// the lock, so a message accept holds meanwhile is counted at most twice:
// a count too high costs a write per message, one too low would let a
// message overtake a held one.
func (v *voice) load(ctx context.Context) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.loaded {
		return
	}
	n, err := v.store.HeldSenders(ctx, v.channel)
	if err != nil {
		if ctx.Err() == nil {
			v.log.Error("held messages not counted", "channel", v.channel, "err", err)
		}
		return
	}
	for k, c := range n {
		v.senders[k] = c
	}
	v.loaded = true
}

// startRead counts a read of the held heads about to start and forgets
// the rows whose work ended before the previous one: no read from now on
// can be older than their end.
func (v *voice) startRead() int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	for id, at := range v.finished {
		if at < v.reads {
			delete(v.finished, id)
		}
	}
	v.reads++
	return v.reads
}

// claim takes h, seen by read, unless it is being worked on, not due, or
// its work ended after read started (read saw it stale).
func (v *voice) claim(h store.Held, now time.Time, read int64) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if at, ok := v.finished[h.ID]; v.busy[h.ID] || h.Due.After(now) || (ok && read <= at) {
		return false
	}
	v.busy[h.ID] = true
	return true
}

// unclaim ends the work on a row; worked says whether it was processed
// (released or rescheduled), which makes earlier reads of it stale.
func (v *voice) unclaim(id int64, worked bool) {
	v.mu.Lock()
	delete(v.busy, id)
	if worked {
		v.finished[id] = v.reads
	}
	v.mu.Unlock()
}

// process takes one held message through the flow and releases it.
func (v *voice) process(ctx context.Context, h store.Held) {
	in := h.In
	if !h.Done {
		if h.Media != "" {
			text, err := v.transcribe(ctx, h)
			if err != nil {
				if ctx.Err() != nil {
					return // stopping: the hold stays for the next run
				}
				if v.retry(ctx, h, err) {
					return
				}
				v.log.Warn("voice note not transcribed; answered with the request to write",
					"channel", v.channel, "msg_id", in.ID, "attempts", h.Attempts+1, "err", err)
				text = ""
			}
			in.Text = text
		}
		if err := v.deliver(ctx, in); err != nil {
			if ctx.Err() == nil {
				_ = v.store.RetryHeld(ctx, h.ID, v.now().Add(2*time.Second), "not stored") // logged by the bot
			}
			return
		}
	}
	if err := v.store.ReleaseHeld(ctx, h.ID); err != nil {
		v.log.Error("held message not released; it is released on the next round", "msg_id", in.ID, "err", err)
		return
	}
	v.mu.Lock()
	if v.senders[in.From]--; v.senders[in.From] <= 0 {
		delete(v.senders, in.From)
	}
	v.mu.Unlock()
}

func (v *voice) transcribe(ctx context.Context, h store.Held) (string, error) {
	audio, mimeType, err := v.fetch(ctx, h.Media)
	if err != nil {
		return "", fmt.Errorf("fetch voice note: %w", err)
	}
	return v.tr.Transcribe(ctx, audio, mimeType)
}

// retry schedules another attempt when one can still help, and reports
// whether it did.
func (v *voice) retry(ctx context.Context, h store.Held, err error) bool {
	if errors.Is(err, errTranscribeRefused) || errors.Is(err, ErrPermanent) ||
		h.Attempts+1 >= voiceAttempts || v.now().Sub(h.Since) >= voiceGiveUp {
		return false
	}
	next := v.now().Add(time.Duration(h.Attempts+1) * 5 * time.Second)
	if rerr := v.store.RetryHeld(ctx, h.ID, next, err.Error()); rerr != nil {
		v.log.Error("voice note retry not recorded", "msg_id", h.In.ID, "err", rerr)
	}
	v.log.Warn("voice note transcription failed; trying again", "channel", v.channel, "msg_id", h.In.ID, "err", err)
	return true
}
