package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cis-agencia/cis/store"
)

// hookError is a failed POST: status is what the admin page shows ("503",
// "timeout", "connection"), the text our own words (never the receiver's
// body, which could hold anything).
type hookError struct {
	status     string
	err        error
	retryAfter time.Duration // the receiver's Retry-After (429, 503), when it gave one in seconds
}

func (e *hookError) Error() string { return e.status + ": " + e.err.Error() }
func (e *hookError) Unwrap() error { return e.err }

// statusOf is the status part of a send error's text (hookError.Error).
func statusOf(reason string) string {
	s, _, _ := strings.Cut(reason, ": ")
	return s
}

// post sends delivery d to t, signed, and returns the HTTP status of a 2xx.
func (w *Webhooks) post(ctx context.Context, t store.WebhookTarget, d store.WebhookDelivery) (string, error) {
	body := []byte(d.Body)
	ts := strconv.FormatInt(w.cfg.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(body))
	if err != nil {
		return "", &hookError{status: "url", err: fmt.Errorf("%w: %v", ErrPermanent, err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "CIS-Webhooks/1")
	req.Header.Set(HeaderEventID, d.EventID)
	req.Header.Set(HeaderEventType, d.Type)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, SignWebhook(t.Secret, ts, body))
	resp, err := w.client.Do(req) // the admin's URL: http(s) checked when saved, the address when dialled (checkDialAddr)
	if err != nil {
		return "", requestError(err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // read, so the connection is reused
	_ = resp.Body.Close()
	status, err := responseStatus(resp.StatusCode)
	var he *hookError
	if errors.As(err, &he) {
		if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s > 0 {
			he.retryAfter = time.Duration(s) * time.Second
		}
	}
	return status, err
}

// requestError classifies a request that got no answer: the address
// refused is permanent; a timeout or a stop may have delivered it
// (uncertain: sent again, the receiver deduplicates); anything else (a
// refused connection, DNS) was not delivered and is retried.
func requestError(err error) error {
	var ne interface{ Timeout() bool }
	switch {
	case errors.Is(err, errAddrRefused):
		return &hookError{status: "refused", err: fmt.Errorf("%w: %w", ErrPermanent, errAddrRefused)}
	case errors.Is(err, context.Canceled):
		return &hookError{status: "stopped", err: fmt.Errorf("%w: stopped during the request", ErrUncertain)}
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return &hookError{status: "timeout", err: fmt.Errorf("%w: no answer in time", ErrUncertain)}
	}
	return &hookError{status: "connection", err: errors.New("no connection to the destination")}
}

// responseStatus maps the receiver's answer: 2xx delivered; 408, 429 and
// 5xx retried; any other 4xx, and a 3xx (redirects are not followed), a
// permanent failure shown on the admin page.
func responseStatus(code int) (string, error) {
	status := strconv.Itoa(code)
	switch {
	case code >= 200 && code < 300:
		return status, nil
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500:
		return "", &hookError{status: status, err: fmt.Errorf("the destination answered %d", code)}
	}
	return "", &hookError{status: status, err: fmt.Errorf("%w: the destination refused the event (%d)", ErrPermanent, code)}
}

// webhookBackoff is 30 s × 2^attempt, at most an hour: 30 s, 1 min, 2, 4,
// 8, 16, 32 min, then hourly; jittered over its second half.
func webhookBackoff(attempt int) time.Duration {
	return min(30*time.Second<<min(attempt, 7), time.Hour)
}

// hookClaims are webhook deliveries as the sender records them.
type hookClaims struct {
	w    *Webhooks
	dest int64
}

var _ claims = hookClaims{}

// retryAt is the webhooks' failure policy: due again after
// webhookBackoff, or after the receiver's Retry-After (at most an hour),
// never later than MaxAge after the event; given up once MaxAge has passed.
func (c hookClaims) retryAt(o store.Outgoing, sendErr error) (time.Time, bool) {
	now := c.w.cfg.Now()
	created := c.createdAt(o.ID)
	if created.IsZero() { // not read in this pass (cannot happen): count from now rather than give up
		created = now
	}
	deadline := created.Add(c.w.cfg.MaxAge)
	if !now.Before(deadline) {
		return now, true
	}
	next := now.Add(jittered(webhookBackoff(o.Attempts), o.ID))
	var he *hookError
	if errors.As(sendErr, &he) && he.retryAfter > 0 {
		next = now.Add(min(he.retryAfter, time.Hour))
	}
	if next.After(deadline) {
		next = deadline
	}
	return next, false
}

func (c hookClaims) createdAt(id int64) time.Time {
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	return c.w.created[id]
}

func (c hookClaims) forget(id int64) {
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	delete(c.w.created, id)
}

func (c hookClaims) claim(ctx context.Context, done []store.Sent, id int64) (bool, error) {
	if err := c.confirm(ctx, done); err != nil {
		return false, err
	}
	return c.w.st.ClaimWebhook(ctx, id)
}

func (c hookClaims) confirm(ctx context.Context, done []store.Sent) error {
	for _, d := range done {
		c.forget(d.ID)
		if err := c.w.st.WebhookDelivered(ctx, d.ID, d.ExtID); err != nil {
			return err
		}
	}
	return nil
}

func (c hookClaims) unclaim(ctx context.Context, id int64) error {
	return c.w.st.UnclaimWebhook(ctx, id)
}

// uncertain sends it again (a timeout, a stop mid-request): receivers
// deduplicate by event id, and an event never received is worse than one
// received twice. Past MaxAge it is given up.
func (c hookClaims) uncertain(ctx context.Context, id int64, next time.Time, reason string) (bool, error) {
	if _, giveUp := c.retryAt(store.Outgoing{ID: id}, nil); giveUp {
		return false, c.fail(ctx, id, reason)
	}
	return true, c.retry(ctx, id, next, reason)
}

func (c hookClaims) retry(ctx context.Context, id int64, next time.Time, reason string) error {
	c.forget(id)
	c.w.pauseUntil(c.dest, next)
	return c.w.st.WebhookRetry(ctx, id, next, statusOf(reason), reason)
}

func (c hookClaims) fail(ctx context.Context, id int64, reason string) error {
	c.forget(id)
	return c.w.st.WebhookFailed(ctx, id, statusOf(reason), reason)
}
