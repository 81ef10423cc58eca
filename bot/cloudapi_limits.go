package bot

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Meta's rate limits answer with their own error codes (WHATSAPP.md §7.8):
// 130429 when a phone-number id sends faster than its throughput, 131056
// when one business number writes to one person too often (the pair rate).
// Each calls for a different pause: the first stops every send of that
// number, the second only that person's; the other people go on.

// Pauses of the Cloud API's rate limits. A repeated hit doubles the pause,
// up to its cap; a send that goes through resets it.
const (
	throughputPause    = 2 * time.Second
	throughputPauseMax = time.Minute
	pairPause          = 6 * time.Second // Meta's pair rate: about one message every 6 s to one person
	pairPauseMax       = 5 * time.Minute
)

// rateLimited is a send refused by a rate limit: the message was not
// delivered and is due again at until, without counting against its
// attempts (the person did nothing wrong).
type rateLimited struct {
	code  int // 130429 or 131056
	until time.Time
	err   error
}

func (e *rateLimited) Error() string {
	return fmt.Sprintf("%v: paused until %s", e.err, e.until.UTC().Format(time.RFC3339))
}

func (e *rateLimited) Unwrap() error { return e.err }

// deferredUntil implements deferral (send.go).
func (e *rateLimited) deferredUntil() time.Time { return e.until }

// pause is one running pause and how many hits in a row made it.
type pause struct {
	until time.Time
	hits  int
}

// limiter holds the pauses of one Cloud API channel: per phone-number id
// (throughput) and per phone-number id and person (pair rate). Safe for
// concurrent use; in memory, since a restart waits out a pause anyway
// through the row's next attempt.
type limiter struct {
	mu     sync.Mutex
	number map[string]pause
	pair   map[string]pause
}

func newLimiter() *limiter {
	return &limiter{number: map[string]pause{}, pair: map[string]pause{}}
}

func pairKey(account, to string) string { return account + "\x00" + to }

// heldUntil returns when a send from account to `to` may go, and whether
// it must wait until then.
func (l *limiter) heldUntil(account, to string, now time.Time) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	until := l.number[account].until
	if p := l.pair[pairKey(account, to)].until; p.After(until) {
		until = p
	}
	return until, now.Before(until)
}

// hit records a rate-limit answer to a send from account to `to` and
// returns the error the sender settles the message with.
func (l *limiter) hit(code int, account, to string, now time.Time, err error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, key, base, most := l.number, account, throughputPause, throughputPauseMax
	if code == codePairRate {
		m, key, base, most = l.pair, pairKey(account, to), pairPause, pairPauseMax
	}
	p := m[key]
	if now.After(p.until.Add(most)) {
		p.hits = 0 // the last pause ended long ago: start again from the base
	}
	d := min(base<<min(p.hits, 10), most)
	p.until, p.hits = now.Add(d), p.hits+1
	m[key] = p
	return &rateLimited{code: code, until: p.until, err: err}
}

// ok records a send that went through: the pair's pause count starts again.
func (l *limiter) ok(account, to string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.pair, pairKey(account, to))
	if p, found := l.number[account]; found {
		p.hits = max(p.hits-1, 0)
		l.number[account] = p
	}
}

// graphError is an error answer of the Graph API with its code.
type graphError struct {
	status, code int
}

func (e *graphError) Error() string {
	return fmt.Sprintf("graph api status %d code %d", e.status, e.code)
}

// graphCode returns the Graph API error code err carries, or 0.
func graphCode(err error) int {
	var g *graphError
	if errors.As(err, &g) {
		return g.code
	}
	return 0
}
