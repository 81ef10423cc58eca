package bot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/templates"
	"github.com/cis-agencia/cis/store"
)

// CloudChannel is the channel name of the WhatsApp Business Cloud API.
const CloudChannel = "cloudapi"

// Defaults of CloudConfig.
const (
	DefaultGraphURL     = "https://graph.facebook.com/v23.0"
	DefaultWebhookLimit = 1 << 20 // Meta's deliveries are a few KB; 1 MiB leaves room for batches
)

// CloudConfig configures the Cloud API channel.
type CloudConfig struct {
	AppSecret   string        // signs every webhook POST (X-Hub-Signature-256); required
	VerifyToken string        // answers Meta's verification GET; required
	AccessToken string        // bearer token for sending; required
	GraphURL    string        // base URL of the Graph API; default DefaultGraphURL (tests use a fake)
	MaxBody     int64         // webhook body limit in bytes; default DefaultWebhookLimit
	Workers     int           // replies sent at once (to different people); default 32
	Poll        time.Duration // how often the outbox is checked when nothing wakes the sender; default 200ms
	HTTP        *http.Client  // default: a client with a 15 s timeout
	// Crash, when set, is called at the named crash points (see
	// docs/reliability.md). Only the crash test sets it.
	Crash func(point string)
	// Templates are the agency's approved WhatsApp templates: a reply Meta
	// refuses because the 24-hour window closed (131047) goes as the
	// catalogue's window_closed template when there is one.
	Templates templates.Catalogue
	// Transcriber, when set, turns voice notes into text (voice.go);
	// without it a voice note gets the polite request to write.
	Transcriber *Transcriber
}

// cloudStore is the part of *store.Store the Cloud API channel uses besides
// what Bot uses.
type cloudStore interface {
	outboxStore
	identityStore
	voiceStore
	DeadLetter(ctx context.Context, channel, reason string, body []byte) error
	RecordDeliveries(ctx context.Context, channel string, ds []store.Delivery) error
	MarkUnreachable(ctx context.Context, contact, reason string) error
	SendAsTemplate(ctx context.Context, id int64, t store.TemplateSend, body string) error
}

var _ cloudStore = (*store.Store)(nil)

// CloudAPI is the official WhatsApp Business Cloud API channel: an
// http.Handler for Meta's webhook and a sender that drains the outbox to the
// Graph API. Safe for concurrent use.
type CloudAPI struct {
	cfg   CloudConfig
	bot   *Bot
	store cloudStore
	log   *slog.Logger
	now   func() time.Time
	wake  chan struct{}
	voice *voice // nil without a transcriber
	// limits are the pauses Meta's rate-limit answers call for.
	limits *limiter

	// refused counts deliveries refused for their signature, for /metrics:
	// a rising count means a misconfigured secret or someone probing the
	// webhook (RELIABILITY W1).
	refused atomic.Int64
}

// SignatureRefusals returns how many deliveries this process refused for a
// missing or wrong X-Hub-Signature-256.
func (c *CloudAPI) SignatureRefusals() int64 { return c.refused.Load() }

// NewCloudAPI checks cfg and returns the channel.
func NewCloudAPI(b *Bot, st cloudStore, cfg CloudConfig, log *slog.Logger) (*CloudAPI, error) {
	if b == nil || st == nil {
		return nil, errors.New("cloud api: bot and store are required")
	}
	if cfg.AppSecret == "" || cfg.VerifyToken == "" || cfg.AccessToken == "" {
		return nil, errors.New("cloud api: app secret, verify token and access token are required")
	}
	if cfg.GraphURL == "" {
		cfg.GraphURL = DefaultGraphURL
	}
	cfg.GraphURL = strings.TrimRight(cfg.GraphURL, "/")
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultWebhookLimit
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 32
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 200 * time.Millisecond
	}
	if cfg.HTTP == nil {
		// One idle connection per worker: the default two per host would
		// open and close connections under load.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = cfg.Workers
		cfg.HTTP = &http.Client{Timeout: 15 * time.Second, Transport: t}
	}
	if cfg.Crash == nil {
		cfg.Crash = func(string) {}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &CloudAPI{cfg: cfg, bot: b, store: st, log: log, now: b.now, wake: make(chan struct{}, 1),
		limits: newLimiter()}
	if cfg.Transcriber != nil {
		c.voice = newVoice(cfg.Transcriber, st, CloudChannel, c.fetchMedia, c.receiveHeld, b.now, log)
	}
	return c, nil
}

// ServeHTTP answers Meta's webhook: GET verifies the subscription, POST
// delivers messages and statuses.
func (c *CloudAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		c.verify(w, r)
	case http.MethodPost:
		c.deliver(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// maxChallenge bounds the echoed hub.challenge (RELIABILITY W5).
const maxChallenge = 256

// verify answers the subscription check: the challenge, as plain text, only
// when mode and token match.
func (c *CloudAPI) verify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	challenge := q.Get("hub.challenge")
	if challenge == "" || len(challenge) > maxChallenge {
		http.Error(w, "bad challenge", http.StatusBadRequest)
		return
	}
	token := q.Get("hub.verify_token")
	if q.Get("hub.mode") != "subscribe" || !hmac.Equal([]byte(token), []byte(c.cfg.VerifyToken)) {
		c.log.Warn("webhook verification refused")
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// #nosec G705 -- plain text with nosniff, never rendered as HTML; a failed write only fails Meta's check
	_, _ = io.WriteString(w, challenge)
}

// deliver handles one POST. The answer is 200 only once everything in it is
// committed; a store failure answers 503 so that Meta delivers it again
// (what was already stored is then a no-op).
func (c *CloudAPI) deliver(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, c.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			c.log.Warn("webhook body too large", "limit", c.cfg.MaxBody)
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if !validSignature(c.cfg.AppSecret, r.Header.Get("X-Hub-Signature-256"), body) {
		c.refused.Add(1)
		c.log.Warn("webhook signature refused", "has_header", r.Header.Get("X-Hub-Signature-256") != "")
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	ctx := r.Context()
	d, err := parseDelivery(body)
	if err != nil {
		if err := c.store.DeadLetter(ctx, CloudChannel, err.Error(), body); err != nil {
			c.log.Error("dead letter not stored", "err", err)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		c.log.Warn("webhook body dead-lettered", "reason", err.Error())
		w.WriteHeader(http.StatusOK)
		return
	}
	// Messages to a number not declared are held whole (numbers.go).
	if d, err = c.holdUnknown(ctx, d, body, false); err != nil {
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	if err := c.apply(ctx, d); err != nil {
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	c.cfg.Crash("webhook-before-ack")
	w.WriteHeader(http.StatusOK)
	if len(d.messages) > 0 {
		c.Wake()
	}
}

// apply stores what a delivery says; an error means it must come again.
func (c *CloudAPI) apply(ctx context.Context, d delivery) error {
	// A BSUID change first, so that a message under the new one in the same
	// delivery reaches the moved person.
	if err := c.move(ctx, d.moves); err != nil {
		return err
	}
	if err := c.receiveAll(ctx, d.messages, d.who, d.media); err != nil {
		return err
	}
	if err := c.store.RecordDeliveries(ctx, CloudChannel, d.statuses); err != nil {
		c.log.Error("statuses not stored", "err", err)
		return err
	}
	return c.seen(ctx, d.seen)
}

// receiveAll hands the messages to the bot: one person's in the order of the
// delivery, different people at the same time (their commits share one
// transaction under load). who[i] is who sent msgs[i]: each message is
// stored under the contact store.IdentifyCloud finds for its sender.
// media names the voice notes' audio by message id.
func (c *CloudAPI) receiveAll(ctx context.Context, msgs []flow.Inbound, who []store.CloudIdentity, media map[string]string) error {
	if len(msgs) == 1 {
		return c.receive(ctx, msgs[0], who[0], media[msgs[0].ID])
	}
	var byPerson [][]int
	idx := map[string]int{}
	for i := range msgs {
		person := first(who[i].BSUID, who[i].Phone)
		p, ok := idx[person]
		if !ok {
			p = len(byPerson)
			idx[person] = p
			byPerson = append(byPerson, nil)
		}
		byPerson[p] = append(byPerson[p], i)
	}
	errs := make([]error, len(byPerson))
	var wg sync.WaitGroup
	for p, ms := range byPerson {
		wg.Go(func() {
			for _, i := range ms {
				if err := c.receive(ctx, msgs[i], who[i], media[msgs[i].ID]); err != nil {
					errs[p] = err
					return // later messages of this person wait for the redelivery, in order
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// validSignature checks header ("sha256=<hex>") against the HMAC-SHA256 of
// the raw body, in constant time. Hex case does not matter.
func validSignature(secret, header string, body []byte) bool {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok || secret == "" {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// Sign returns the X-Hub-Signature-256 value Meta would send for body. The
// load and crash tests sign their deliveries with it.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Wake tells the sender that replies may be waiting.
func (c *CloudAPI) Wake() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run sends queued replies until ctx ends. Rows a previous process had
// handed to the Graph API without recording the answer are first settled by
// the crash policy (store/sending.go): questions are sent again, other
// replies are marked unconfirmed (docs/reliability.md).
func (c *CloudAPI) Run(ctx context.Context) error {
	if _, err := c.replies().releaseOrphans(ctx); err != nil {
		return err
	}
	if c.voice != nil {
		done := make(chan struct{})
		go func() { defer close(done); _ = c.voice.run(ctx) }()
		defer func() { <-done }()
	}
	tick := time.NewTicker(c.cfg.Poll)
	defer tick.Stop()
	replay := time.NewTicker(heldReplayEvery) // numbers.go: deliveries held for a number declared since
	defer replay.Stop()
	for {
		for {
			n, err := c.Flush(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				c.log.Error("outbox flush failed", "err", err)
				break
			}
			if n == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-c.wake:
		case <-tick.C:
		case <-replay.C:
			if _, err := c.ReplayHeld(ctx); err != nil && ctx.Err() == nil {
				c.log.Error("held deliveries not replayed; tried again later", "err", err)
			}
		}
	}
}

// flushLimit is how many due replies one Flush reads from the outbox. It
// bounds one pass, not what is in flight: each reply is claimed just before
// its request and marked just after (store/sending.go), so at most Workers
// replies are ever claimed and unconfirmed at once.
const flushLimit = 512

// Flush sends the due replies once and returns how many it handled (sent or
// failed). Each person's replies go in queue order, one at a time; different
// people's go in parallel, Workers at a time. Each reply is claimed just
// before its request and recorded with the claim of the worker's next reply
// (store.ClaimNext): one commit per reply, and never more than one reply
// per worker claimed and not recorded. A person's queue stops at the first
// reply that does not go out, so that a later reply never overtakes an
// earlier one.
func (c *CloudAPI) Flush(ctx context.Context) (int, error) {
	pending, err := c.store.PendingOutbox(ctx, CloudChannel, flushLimit)
	if err != nil || len(pending) == 0 {
		return 0, err
	}
	p, err := c.sender().drainPeople(ctx, pending, c.cfg.Workers, c.prepare)
	return p.sent + p.failed, err
}

func (c *CloudAPI) sender() *sender {
	return &sender{channel: CloudChannel, idKey: "outbox_id", claims: c.replies(), log: c.log, now: c.now,
		inOrder: true, confirmWithNext: true, crash: c.cfg.Crash}
}

func (c *CloudAPI) replies() replies { return replies{st: c.store, channel: CloudChannel, now: c.now} }

// prepare is the Cloud API's hook before the claim: a reply due more than
// 24 hours after the message it answers is given up (the Cloud API then
// accepts only approved templates). A request under way is finished and
// recorded even when ctx ends (a clean stop): cutting it would leave its
// outcome unknown.
//
// A number paused by a throughput error (130429), or a person paced by a
// pair-rate error (131056), keeps its replies queued, unclaimed, until the
// pause ends (cloudapi_limits.go).
func (c *CloudAPI) prepare(_ context.Context, o store.Outgoing) (deliverFunc, error) {
	closed := o.Template == nil && !o.InboundAt.IsZero() && c.now().Sub(o.InboundAt) > window
	if closed && c.windowTemplate(o) == nil {
		return nil, errOutsideWindow
	}
	if _, held := c.limits.heldUntil(o.Account, o.To, c.now()); held {
		return nil, nil
	}
	return func(ctx context.Context) (string, error) {
		ctx = context.WithoutCancel(ctx)
		var id string
		var err error
		if closed {
			id, err = c.sendAsTemplate(ctx, o, errOutsideWindow)
		} else if id, err = c.Send(ctx, o); errors.Is(err, errOutsideWindow) && o.Template == nil {
			id, err = c.sendAsTemplate(ctx, o, err) // Meta's clock says the window closed (131047)
		}
		return id, c.settle(ctx, o, err)
	}, nil
}

// windowTemplate returns the template a reply outside the 24-hour window
// goes as, nil when the catalogue has none that can be filled in for o.
func (c *CloudAPI) windowTemplate(o store.Outgoing) *store.TemplateSend {
	for _, t := range c.cfg.Templates.For(templates.UseWindowClosed, "") {
		params, _, err := t.Fill(templates.Values{templates.ParamName: o.Name})
		if err == nil {
			return &store.TemplateSend{Name: t.Name, Language: t.Language, Category: t.Category, Params: params}
		}
	}
	return nil
}

// sendAsTemplate sends claimed reply o as the window_closed template: the
// row records it first, so that the transcript shows what the person got.
// Without a template, o fails with why and the advisor is told.
func (c *CloudAPI) sendAsTemplate(ctx context.Context, o store.Outgoing, why error) (string, error) {
	t := c.windowTemplate(o)
	if t == nil {
		return "", why
	}
	tpl, _ := c.cfg.Templates.Find(t.Name, t.Language)
	_, preview, _ := tpl.Fill(templates.Values{templates.ParamName: o.Name})
	if err := c.store.SendAsTemplate(ctx, o.ID, *t, preview); err != nil {
		return "", fmt.Errorf("%w: %w", err, errNotTried)
	}
	c.log.Info("reply sent as a template: the 24-hour window closed", "outbox_id", o.ID, "template", t.Name)
	o.Template = t
	return c.Send(ctx, o)
}

// settle applies what a send's answer means beyond the message: a rate
// limit pauses the number or the pair, an unreachable person is marked so
// on the lead page. It returns the error the sender settles the message
// with.
func (c *CloudAPI) settle(ctx context.Context, o store.Outgoing, err error) error {
	if err == nil {
		c.limits.ok(o.Account, o.To)
		return nil
	}
	switch code := graphCode(err); code {
	case codeThroughput, codePairRate:
		return c.limits.hit(code, o.Account, o.To, c.now(), err)
	case codeUnreachable:
		if merr := c.store.MarkUnreachable(ctx, o.To, fmt.Sprintf("%d", code)); merr != nil {
			c.log.Error("contact not marked unreachable", "outbox_id", o.ID, "err", merr)
		}
	}
	return err
}

// errOutsideWindow is returned for a reply due more than 24 hours after the
// message it answers: the Cloud API then accepts only approved templates.
var errOutsideWindow = fmt.Errorf("outside the 24-hour customer service window: %w", ErrPermanent)
