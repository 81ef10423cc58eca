package bot

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"

	"github.com/cis-agencia/cis/bot/redact"
	"github.com/cis-agencia/cis/store"
)

// One sender (STYLE 2.16, issue 17). Every outbound message goes through
// sender.one: a reply on the Cloud API, on the linked device or on an
// in-process channel (the web chat, cis chat, the demo), and an advisor's
// notification. One is claimed (committed) just before it is handed to the
// channel and its answer is recorded (committed) before the worker claims
// its next one, so that a crash leaves uncertain only what was truly in
// flight; what then happens to it is the resend policy of its kind
// (store/sending.go). What differs per channel is a hook: what to check or
// wait for before the claim (the debounce, an address, pacing), how to hand
// the message over, whether a person's messages keep their order, and
// whether an answer is recorded in the commit of the next claim.

// outboxStore is the part of *store.Store the reply channels record their
// outbox rows in (the Cloud API, the linked device, the in-process
// channels).
type outboxStore interface {
	PendingOutbox(ctx context.Context, channel string, limit int) ([]store.Outgoing, error)
	ClaimNext(ctx context.Context, done []store.Sent, id int64) (bool, error)
	ClaimNextFenced(ctx context.Context, done []store.Sent, id int64, f store.Fence) (bool, error)
	MarkSentMany(ctx context.Context, sent []store.Sent) error
	Unclaim(ctx context.Context, id int64) error
	MarkUncertain(ctx context.Context, id int64, next time.Time, reason string) (bool, error)
	MarkRetry(ctx context.Context, id int64, next time.Time, reason string) error
	FailReply(ctx context.Context, id int64, reason string) error
	ReleaseOrphans(ctx context.Context, channel string, cutoff time.Time) (int64, error)
}

// claims is where the sender records what became of the messages it
// handles: outbox rows (replies) or lead_notices (advisor notifications).
// Each kind keeps its own resend policy (store/sending.go).
type claims interface {
	// claim records done (handed over and accepted) and claims id, in one
	// commit; false when id is no longer pending.
	claim(ctx context.Context, done []store.Sent, id int64) (bool, error)
	// confirm records done.
	confirm(ctx context.Context, done []store.Sent) error
	// unclaim puts claimed id back, known not to have been sent.
	unclaim(ctx context.Context, id int64) error
	// uncertain records that claimed id may have been delivered all the
	// same: the resend policy of its kind.
	uncertain(ctx context.Context, id int64, next time.Time, reason string) (resent bool, err error)
	// retry records a failed attempt of id (claimed or not), due again at
	// next.
	retry(ctx context.Context, id int64, next time.Time, reason string) error
	// fail gives up on id (claimed or not).
	fail(ctx context.Context, id int64, reason string) error
}

// replies are the outbox rows of one channel.
type replies struct {
	st      outboxStore
	channel string
	now     func() time.Time
	// fence, when set, fences every claim by the lease of the channel's
	// owner (a linked device on several servers, bot/lease.go).
	fence *store.Fence
}

var _ claims = replies{}

// releaseOrphans applies the crash policy to what a previous process
// claimed on the channel and never marked, and returns how many it settled.
func (r replies) releaseOrphans(ctx context.Context) (int64, error) {
	return r.st.ReleaseOrphans(ctx, r.channel, r.now().Add(time.Millisecond))
}

func (r replies) claim(ctx context.Context, done []store.Sent, id int64) (bool, error) {
	if r.fence != nil {
		return r.st.ClaimNextFenced(ctx, done, id, *r.fence)
	}
	return r.st.ClaimNext(ctx, done, id)
}

func (r replies) confirm(ctx context.Context, done []store.Sent) error {
	return r.st.MarkSentMany(ctx, done)
}

func (r replies) unclaim(ctx context.Context, id int64) error { return r.st.Unclaim(ctx, id) }

func (r replies) uncertain(ctx context.Context, id int64, next time.Time, reason string) (bool, error) {
	return r.st.MarkUncertain(ctx, id, next, reason)
}

func (r replies) retry(ctx context.Context, id int64, next time.Time, reason string) error {
	if err := r.st.Unclaim(ctx, id); err != nil {
		return err
	}
	return r.st.MarkRetry(ctx, id, next, reason)
}

// fail gives up on a reply: the person gets no answer from the bot, so the
// advisor is told through a reply_failed event on the conversation.
func (r replies) fail(ctx context.Context, id int64, reason string) error {
	if err := r.st.Unclaim(ctx, id); err != nil {
		return err
	}
	return r.st.FailReply(ctx, id, reason)
}

// failure is what a failed send means for the message.
type failure int

const (
	failRetry     failure = iota // known not delivered: due again after a backoff, given up after maxAttempts
	failPermanent                // retrying cannot help: given up now
	failUncertain                // it may have been delivered: the resend policy of its kind
	failDeferred                 // refused by a rate limit, not delivered: due again when the pause ends, never given up for it
)

// deferral is a send error that names when to try again (a provider's rate
// limit, bot/cloudapi_limits.go).
type deferral interface{ deferredUntil() time.Time }

// classify reads a send error. A timeout waiting for the provider's answer
// (ErrUncertain, whatsmeow's ErrMessageTimedOut) or a stop in the middle
// of the send may have delivered the message.
func classify(err error) failure {
	var d deferral
	switch {
	case errors.As(err, &d):
		return failDeferred
	case errors.Is(err, ErrUncertain), errors.Is(err, whatsmeow.ErrMessageTimedOut),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return failUncertain
	case errors.Is(err, ErrPermanent):
		return failPermanent
	}
	return failRetry
}

// errNotTried wraps an error of a channel's send that happened before the
// message was handed over (a stop while "typing…", a store error on the
// way): the message is put back as it was, no attempt counted.
var errNotTried = errors.New("not handed to the channel")

// deliverFunc hands one claimed message to its channel and returns the
// channel's id for it.
type deliverFunc func(ctx context.Context) (extID string, err error)

// prepareFunc is a channel's hook before the claim, called in queue order:
// it returns the function that hands o over, or nil to leave o queued for
// a later pass (not quiet yet, a stop while pacing). It may wait (pacing).
// An error wrapping ErrPermanent gives o up without trying it (no address,
// outside the 24-hour window); any other error ends the pass.
type prepareFunc func(ctx context.Context, o store.Outgoing) (deliverFunc, error)

// sender is the one claim → send → confirm routine for one channel. It is
// cheap: the channels build one per pass, with their current logger.
type sender struct {
	channel string // for the log
	idKey   string // the log attribute naming a message's id
	claims  claims
	log     *slog.Logger
	now     func() time.Time
	// failMsg is the log message of a failed send; default "send failed".
	failMsg string
	// inOrder: a person's messages stop at the first that does not go out
	// in a pass, so that a later one never overtakes it (the providers).
	// Without it the others go on (in-process channels, notifications).
	inOrder bool
	// confirmWithNext records an answer in the commit that claims the
	// worker's next message (store.ClaimNext): one commit per reply under
	// load, at the price of one more reply per worker left 'sending' by a
	// crash (the Cloud API, whose status callbacks confirm it).
	confirmWithNext bool
	// crash is called at the named crash points (docs/reliability.md).
	crash func(point string)
	// retryAt, when set, replaces backoff and maxAttempts for an attempt
	// of o that failed with err: when it is due again, or that it is given
	// up (the webhooks retry for 24 hours and heed Retry-After,
	// bot/webhooks.go).
	retryAt func(o store.Outgoing, err error) (next time.Time, giveUp bool)
}

// fate is what one pass did with a message.
type fate int

const (
	fateHeld   fate = iota // still queued: not admitted, not claimed, or put back untried
	fateSent               // accepted by the channel
	fateFailed             // tried (or refused) and failed: due again later, given up, or uncertain
)

// pass counts what a pass did.
type pass struct{ sent, failed int }

func (p *pass) add(o fate) {
	switch o {
	case fateSent:
		p.sent++
	case fateFailed:
		p.failed++
	}
}

// worker is one goroutine of a pass: the answers it has not recorded yet
// (confirmWithNext).
type worker struct{ done []store.Sent }

// one prepares, claims, sends and records o.
func (s *sender) one(ctx context.Context, w *worker, o store.Outgoing, prepare prepareFunc) (fate, error) {
	deliver, err := prepare(ctx, o)
	if errors.Is(err, ErrPermanent) {
		return s.refused(context.WithoutCancel(ctx), o, err)
	}
	if err != nil || deliver == nil {
		return fateHeld, err
	}
	if ctx.Err() != nil {
		return fateHeld, nil // stopping: nothing claimed, nothing to settle
	}
	// Claims and records use a context a stop does not cut: a claim that
	// commits after its caller gave up would stay 'sending' until the next
	// start, and a request under way is finished and recorded.
	wctx := context.WithoutCancel(ctx)
	claimed, err := s.claims.claim(wctx, w.done, o.ID)
	if err != nil {
		return fateHeld, err // w.done is recorded when the worker ends
	}
	w.done = nil
	if !claimed {
		return fateHeld, nil // not pending any more: another pass has it, or it was cancelled
	}
	s.crashAt("send-after-claim")
	ext, err := deliver(ctx)
	if err != nil {
		return s.failed(wctx, o, err)
	}
	s.crashAt("send-after-post")
	done := store.Sent{ID: o.ID, ExtID: ext}
	if s.confirmWithNext {
		w.done = append(w.done, done)
		return fateSent, nil
	}
	return fateSent, s.claims.confirm(wctx, []store.Sent{done})
}

func (s *sender) crashAt(point string) {
	if s.crash != nil {
		s.crash(point)
	}
}

// refused gives up o, never claimed, for a reason the channel found before
// trying it.
func (s *sender) refused(ctx context.Context, o store.Outgoing, why error) (fate, error) {
	reason := redact.Phones(why.Error())
	s.log.Warn(cmp.Or(s.failMsg, "send failed"), "channel", s.channel, s.idKey, o.ID, "attempt", o.Attempts+1, "err", reason)
	return fateFailed, s.claims.fail(ctx, o.ID, reason)
}

// failed settles a claimed message whose send failed.
func (s *sender) failed(ctx context.Context, o store.Outgoing, sendErr error) (fate, error) {
	if errors.Is(sendErr, errNotTried) {
		err := s.claims.unclaim(ctx, o.ID)
		if errors.Is(sendErr, context.Canceled) || errors.Is(sendErr, context.DeadlineExceeded) {
			return fateHeld, err // a stop: the next pass sends it
		}
		return fateHeld, errors.Join(sendErr, err)
	}
	// A provider's error can name the recipient (whatsmeow's JIDs): phone
	// numbers are masked before the text reaches the log or the row.
	reason := redact.Phones(sendErr.Error())
	next, giveUp := s.nextTry(o, sendErr)
	how := classify(sendErr)
	if how == failUncertain {
		resent, err := s.claims.uncertain(ctx, o.ID, next, reason)
		s.log.Warn("send fate unknown", "channel", s.channel, s.idKey, o.ID, "sent_again", resent, "err", reason)
		return fateFailed, err
	}
	s.log.Warn(cmp.Or(s.failMsg, "send failed"), "channel", s.channel, s.idKey, o.ID, "attempt", o.Attempts+1, "err", reason)
	if d := deferral(nil); how == failDeferred && errors.As(sendErr, &d) {
		return fateFailed, s.claims.retry(ctx, o.ID, d.deferredUntil(), reason)
	}
	if how == failPermanent || giveUp {
		return fateFailed, s.claims.fail(ctx, o.ID, reason)
	}
	return fateFailed, s.claims.retry(ctx, o.ID, next, reason)
}

// nextTry is when o, failed with err, is due again, or whether it is given up.
func (s *sender) nextTry(o store.Outgoing, err error) (time.Time, bool) {
	if s.retryAt != nil {
		return s.retryAt(o, err)
	}
	return s.now().Add(jittered(backoff(o.Attempts), o.ID)), o.Attempts+1 >= maxAttempts
}

// drain sends msgs one at a time in queue order and returns what it did.
func (s *sender) drain(ctx context.Context, msgs []store.Outgoing, prepare prepareFunc) (p pass, err error) {
	var w worker
	defer func() { err = cmp.Or(err, s.finish(ctx, &w)) }()
	stopped := map[string]bool{} // people whose queue stopped in this pass (inOrder)
	for _, o := range msgs {
		if stopped[o.To] {
			continue
		}
		r, err := s.one(ctx, &w, o, prepare)
		p.add(r)
		if err != nil {
			return p, err
		}
		if r != fateSent && s.inOrder {
			stopped[o.To] = true
		}
	}
	return p, nil
}

// drainPeople sends msgs with workers goroutines: each person's in queue
// order, one at a time, different people's at the same time. A person's
// queue stops at the first message that does not go out.
func (s *sender) drainPeople(ctx context.Context, msgs []store.Outgoing, workers int, prepare prepareFunc) (pass, error) {
	queues := byPerson(msgs)
	var (
		mu       sync.Mutex
		total    pass
		firstErr error
	)
	work := make(chan []store.Outgoing)
	var wg sync.WaitGroup
	for range min(workers, len(queues)) {
		wg.Go(func() {
			p, err := s.person(ctx, work, prepare)
			mu.Lock()
			total.sent += p.sent
			total.failed += p.failed
			firstErr = cmp.Or(firstErr, err)
			mu.Unlock()
		})
	}
	for _, q := range queues {
		work <- q
	}
	close(work)
	wg.Wait()
	return total, firstErr
}

// person is one worker of drainPeople: it sends the people's queues it
// takes from work, each claimed just before its request.
func (s *sender) person(ctx context.Context, work <-chan []store.Outgoing, prepare prepareFunc) (p pass, err error) {
	var w worker
	defer func() { err = cmp.Or(err, s.finish(ctx, &w)) }()
	for q := range work {
		if err != nil || ctx.Err() != nil {
			continue // drain: the dispatcher must not block
		}
		for _, o := range q {
			r, oerr := s.one(ctx, &w, o, prepare)
			p.add(r)
			if oerr != nil {
				err = oerr // the other queues wait for the next pass
				break
			}
			if r != fateSent {
				break // the rest of this person's waits for the next pass
			}
		}
	}
	return p, err
}

// finish records the answers a worker still holds.
func (s *sender) finish(ctx context.Context, w *worker) error {
	if len(w.done) == 0 {
		return nil
	}
	err := s.claims.confirm(context.WithoutCancel(ctx), w.done)
	w.done = nil
	return err
}

// byPerson splits messages into one queue per person, keeping their order.
func byPerson(pending []store.Outgoing) [][]store.Outgoing {
	var queues [][]store.Outgoing
	idx := map[string]int{}
	for _, o := range pending {
		i, seen := idx[o.To]
		if !seen {
			i = len(queues)
			idx[o.To] = i
			queues = append(queues, nil)
		}
		queues[i] = append(queues[i], o)
	}
	return queues
}

// backoff is 2^attempt seconds, capped at 10 minutes.
func backoff(attempt int) time.Duration {
	d := time.Second << min(attempt, 10)
	return min(d, 10*time.Minute)
}

// jittered spreads retries of many rows over the second half of d, so that a
// recovering provider is not hit by all of them at once. It is derived from
// the row id: deterministic, no global rand.
func jittered(d time.Duration, id int64) time.Duration {
	h := uint64(id) * 0x9E3779B97F4A7C15        // #nosec G115 -- a hash: wrapping is wanted
	return d/2 + time.Duration(h%uint64(d/2+1)) // #nosec G115 -- d > 0, and the remainder is at most d/2
}
