package bot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/cis-agencia/cis/store"
)

// Outgoing webhooks (issue 21): one more channel of the claim → send →
// confirm routine (send.go). Each delivery is claimed (committed), POSTed,
// and its answer recorded (committed) before the destination's next one, so
// a crash leaves at most one delivery per destination uncertain; that one
// is sent again on the next start with the same event id (receivers
// deduplicate by it: README, "Webhooks"). What the channel adds through the
// routine's hooks: the HTTP request and its signature, the failure policy
// (2xx delivered; 4xx other than 408 and 429 given up at once; 5xx, 408,
// 429, timeouts and connection errors retried with exponential backoff and
// jitter for up to 24 hours), an uncertain send always sent again, and
// order per subject (inOrder, and the store hands out only the head of each
// lead's queue).
//
// A destination that is down or slow never slows the bot: events are
// queued by the message's own commit, and the worker runs apart, one
// goroutine per destination, each request bounded by a timeout, so one
// destination down does not delay the others either. A failure pauses only
// its destination (with the same backoff), so a dead endpoint is not hit
// once per queued lead.

// Webhook request headers.
const (
	HeaderEventID   = "X-CIS-Event-Id"
	HeaderEventType = "X-CIS-Event-Type"
	HeaderTimestamp = "X-CIS-Timestamp" // Unix seconds, signed with the body
	HeaderSignature = "X-CIS-Signature" // "v1=" + hex HMAC-SHA256(secret, timestamp + "." + body)
)

// SignWebhook is the signature of body sent at timestamp (Unix seconds, as
// in the X-CIS-Timestamp header): "v1=" + hex(HMAC-SHA256(secret,
// timestamp + "." + body)).
func SignWebhook(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// webhookStore is the part of *store.Store the webhook worker uses.
type webhookStore interface {
	WebhookTargets(ctx context.Context) ([]store.WebhookTarget, error)
	DueWebhooks(ctx context.Context, dest int64, limit int) ([]store.WebhookDelivery, error)
	ClaimWebhook(ctx context.Context, id int64) (bool, error)
	WebhookDelivered(ctx context.Context, id int64, status string) error
	WebhookRetry(ctx context.Context, id int64, next time.Time, status, reason string) error
	WebhookFailed(ctx context.Context, id int64, status, reason string) error
	UnclaimWebhook(ctx context.Context, id int64) error
	ReleaseWebhookOrphans(ctx context.Context) (int64, error)
}

var _ webhookStore = (*store.Store)(nil)

// WebhookConfig tunes the webhook worker.
type WebhookConfig struct {
	Timeout time.Duration // one request, connection included; default 10 s
	MaxAge  time.Duration // retried this long after the event, then given up; default 24 h
	// AllowPrivate lets destinations resolve to loopback, private and
	// link-local addresses (a CRM on the agency's LAN, the tests). Off, such
	// an address is refused when dialled (SSRF: the cloud metadata address,
	// the admin's own services).
	AllowPrivate bool
	Now          func() time.Time // default time.Now
	Crash        func(point string)
}

// Webhooks delivers the queued webhook events.
type Webhooks struct {
	st     webhookStore
	cfg    WebhookConfig
	log    *slog.Logger
	client *http.Client

	mu      sync.Mutex
	running map[int64]bool      // destinations with a pass under way
	paused  map[int64]time.Time // destinations that failed: not before
	created map[int64]time.Time // deliveries in a pass: when their event happened (the 24-hour limit)
}

// NewWebhooks returns the worker; Run starts it.
func NewWebhooks(st webhookStore, cfg WebhookConfig, log *slog.Logger) *Webhooks {
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Webhooks{st: st, cfg: cfg, log: log, client: webhookClient(cfg),
		running: map[int64]bool{}, paused: map[int64]time.Time{}, created: map[int64]time.Time{}}
}

// webhookClient follows no redirect (a 3xx is the destination's answer),
// uses no proxy, and dials only addresses cfg allows.
func webhookClient(cfg WebhookConfig) *http.Client {
	d := &net.Dialer{Timeout: cfg.Timeout, Control: func(_, address string, _ syscall.RawConn) error {
		return checkDialAddr(address, cfg.AllowPrivate)
	}}
	tr := &http.Transport{DialContext: d.DialContext, TLSHandshakeTimeout: cfg.Timeout, MaxIdleConnsPerHost: 2,
		IdleConnTimeout: time.Minute, ResponseHeaderTimeout: cfg.Timeout}
	return &http.Client{Transport: tr, Timeout: cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// errAddrRefused is a destination resolving to an address not allowed.
var errAddrRefused = errors.New("address not allowed for webhooks (loopback, private or link-local)")

// checkDialAddr refuses, unless allowPrivate, what an outside caller must
// not reach through us: loopback, private, link-local (the cloud metadata
// service), unspecified and multicast addresses, and carrier-grade NAT. It
// runs on the address actually dialled, after DNS, so a name that resolves
// (or rebinds) to such an address is refused too.
func checkDialAddr(address string, allowPrivate bool) error {
	if allowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", errAddrRefused, address)
	}
	a := ap.Addr().Unmap()
	cgnat := netip.MustParsePrefix("100.64.0.0/10")
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsUnspecified() ||
		a.IsMulticast() || a.IsInterfaceLocalMulticast() || cgnat.Contains(a) {
		return errAddrRefused
	}
	return nil
}

// Run delivers until ctx ends: deliveries a previous process left in
// flight are put back first, then each destination with work due gets its
// own pass, at most one at a time, checked every interval.
func (w *Webhooks) Run(ctx context.Context, every time.Duration) error {
	if n, err := w.st.ReleaseWebhookOrphans(ctx); err != nil {
		return err
	} else if n > 0 {
		w.log.Warn("webhook deliveries cut by a stop; sent again with the same event id", "count", n)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	return repeat(ctx, every, func() error {
		if err := w.start(ctx, &wg); err != nil && ctx.Err() == nil {
			w.log.Error("webhook targets", "err", err)
		}
		return nil
	})
}

// Once runs a pass for every destination with work due, all at once, and
// waits for them (tests, and a caller that drains).
func (w *Webhooks) Once(ctx context.Context) error {
	var wg sync.WaitGroup
	err := w.start(ctx, &wg)
	wg.Wait()
	return err
}

func (w *Webhooks) start(ctx context.Context, wg *sync.WaitGroup) error {
	targets, err := w.st.WebhookTargets(ctx)
	if err != nil {
		return err
	}
	for _, t := range targets {
		if !w.begin(t.ID) {
			continue
		}
		wg.Go(func() {
			defer w.end(t.ID)
			if err := w.destination(ctx, t); err != nil && ctx.Err() == nil {
				w.log.Error("webhook pass failed", "webhook", t.ID, "err", err)
			}
		})
	}
	return nil
}

// begin marks destination id's pass started; false when one is running or
// the destination is paused after a failure.
func (w *Webhooks) begin(id int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.running[id] || w.cfg.Now().Before(w.paused[id]) {
		return false
	}
	w.running[id] = true
	return true
}

func (w *Webhooks) end(id int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.running, id)
}

// destination sends destination t's due deliveries, the head of each
// lead's queue per round, until none is due or one fails (the destination
// is then paused).
func (w *Webhooks) destination(ctx context.Context, t store.WebhookTarget) error {
	for ctx.Err() == nil {
		due, err := w.st.DueWebhooks(ctx, t.ID, 50)
		if err != nil || len(due) == 0 {
			return err
		}
		down := false
		p, err := w.sender(t.ID, due).drain(ctx, outgoing(due), w.prepare(t, due, &down))
		if !down {
			w.resume(t.ID)
		}
		if err != nil || down || p.sent+p.failed == 0 {
			return err
		}
	}
	return nil
}

// pauseUntil pauses destination id until next, when the delivery that
// failed is due again: the whole destination waits with it, so a dead
// endpoint is tried once per backoff step, not once per queued lead.
func (w *Webhooks) pauseUntil(id int64, next time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.paused[id] = next
}

// resume ends destination id's pause after a pass without failure.
func (w *Webhooks) resume(id int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.paused, id)
}

func (w *Webhooks) sender(dest int64, due []store.WebhookDelivery) *sender {
	w.mu.Lock()
	for _, d := range due {
		w.created[d.ID] = d.CreatedAt
	}
	w.mu.Unlock()
	c := hookClaims{w: w, dest: dest}
	return &sender{channel: "webhook", idKey: "webhook_delivery", claims: c, log: w.log.With("webhook", dest),
		now: w.cfg.Now, failMsg: "webhook delivery failed", inOrder: true, crash: w.cfg.Crash, retryAt: c.retryAt}
}

// outgoing are the deliveries as the sender sees them; a lead's queue
// (the subject) is the "person" whose order is kept.
func outgoing(due []store.WebhookDelivery) []store.Outgoing {
	out := make([]store.Outgoing, len(due))
	for i, d := range due {
		out[i] = store.Outgoing{ID: d.ID, Channel: "webhook", To: d.Subject, Key: d.Type, Body: d.Body, Attempts: d.Attempts}
	}
	return out
}

// prepare hands each delivery to post, and holds the rest of the pass once
// the destination failed (down): one request tells it is down.
func (w *Webhooks) prepare(t store.WebhookTarget, due []store.WebhookDelivery, down *bool) prepareFunc {
	byID := make(map[int64]store.WebhookDelivery, len(due))
	for _, d := range due {
		byID[d.ID] = d
	}
	return func(_ context.Context, o store.Outgoing) (deliverFunc, error) {
		if *down {
			return nil, nil
		}
		d := byID[o.ID]
		return func(ctx context.Context) (string, error) {
			status, err := w.post(ctx, t, d)
			if err != nil && classify(err) != failPermanent {
				*down = true
			}
			return status, err
		}, nil
	}
}
