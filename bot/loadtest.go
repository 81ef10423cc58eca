package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// LoadConfig bounds and shapes a load test against a Cloud API webhook.
type LoadConfig struct {
	URL string // the webhook, e.g. http://127.0.0.1:8080/webhook/whatsapp; loopback only
	// Targets are further webhooks of the same installation (other servers
	// on one store; loopback only): any server accepts any delivery, so each
	// delivery goes to the next of URL and Targets in turn (per message, not
	// per person), and a refused one is retried on the one after, as a load
	// balancer in front of several servers would.
	Targets     []string
	AppSecret   string        // signs each delivery as Meta would
	Account     string        // phone_number_id in the deliveries
	Prospects   int           // simulated people writing at once
	Duration    time.Duration // how long messages are sent
	Concurrency int           // requests in flight; default min(Prospects, 64)
	Duplicates  float64       // share of deliveries sent twice; default 0.10, negative: none
	Reorder     float64       // share of messages swapped with the next one of the same person; default 0.05, negative: none
	Seed        uint64        // for the duplicate and reorder choices
	MaxMessages int           // stop after this many distinct messages (0: no limit)
	// Accepted, when set, is called with the ID of every message the
	// webhook acknowledged (once per message), for the invariant check I1.
	Accepted func(id string)
	// Graph, when set, is the fake Graph API the server sends to: each
	// simulated person then converses (Prospect): writes a line, waits for
	// the bot's answer, reads it, writes the next, and answers every new
	// consent text (ConsentMark is a piece of its text, the policy link).
	// Reorder does not apply: a person who waits for answers sends one
	// message at a time. Without Graph (a --target server) people write their
	// script without waiting.
	Graph       *FakeGraph
	ConsentMark string
	Patience    time.Duration // how long a person waits for an answer; default 10 s
}

// LoadReport is what a load test measured. Lost and DuplicateReplies need
// the store and the Graph API fake, so the caller that owns them fills them.
type LoadReport struct {
	Messages       int     `json:"messages"`   // distinct messages acknowledged with 200
	Deliveries     int     `json:"deliveries"` // POSTs made, duplicates included
	Seconds        float64 `json:"seconds"`    // wall time of the sending phase
	ThroughputPerS float64 `json:"throughput_per_s"`
	P50ms          float64 `json:"p50_ms"`
	P99ms          float64 `json:"p99_ms"`
	Maxms          float64 `json:"max_ms"`
	Refused        int     `json:"refused"` // answers other than 200 (each retried until accepted)
	// PerTarget is what each webhook accepted and refused, in the order of
	// URL and Targets.
	PerTarget        []TargetLoad `json:"per_target"`
	Duplicated       int          `json:"duplicated"` // deliveries repeated on purpose
	Reordered        int          `json:"reordered"`  // messages delivered after the one that followed them
	Lost             int          `json:"lost"`
	DuplicateReplies int          `json:"duplicate_replies"`
	DBLockedErrors   int          `json:"db_locked_errors"`
	Unprocessed      int          `json:"unprocessed"`     // stored but never stepped
	RepliesSent      int          `json:"replies_sent"`    // accepted by the Graph API fake
	RepliesPending   int          `json:"replies_pending"` // still queued when the test ended
	// What crashes (and the rule on consent) left, when the caller owns the
	// store and the Graph API fake (store/sending.go, store/consent.go).
	Conversing        bool `json:"conversing"`          // people waited for answers (LoadConfig.Graph)
	Kills             int  `json:"kills"`               // times the server was killed with SIGKILL and restarted
	InFlightAtKills   int  `json:"in_flight_at_kills"`  // replies claimed and not marked when a kill landed
	NeverSent         int  `json:"never_sent"`          // replies (not cancelled) the Graph API never received
	NeverSentOther    int  `json:"never_sent_other"`    // of those, ones that were not in flight at a kill: must be 0
	RepliesResent     int  `json:"replies_resent"`      // extra sends of questions resent after an uncertain send (documented)
	ConsentNotCounted int  `json:"consent_not_counted"` // consent answers kept as messages: their text had not been sent
	ConsentNoText     int  `json:"consent_without_sent_text"`
	Conversations     int  `json:"conversations"`
	Completed         int  `json:"completed"` // conversations that ended with a lead
	// Violations of the invariants I1–I5 (store.CheckInvariants), when the
	// caller owns the store; empty means all held.
	Violations []string `json:"violations"`
}

// TargetLoad is one webhook's share of a load test.
type TargetLoad struct {
	URL      string `json:"url"`
	Accepted int    `json:"accepted"` // deliveries answered 200, duplicates included
	Refused  int    `json:"refused"`  // deliveries refused or unanswered (then retried on the next target)
}

// loadTargets spreads deliveries over the webhooks of one installation.
type loadTargets struct {
	urls []string // read-only
	next atomic.Uint64
	mu   sync.Mutex
	load []TargetLoad
}

func newLoadTargets(urls []string) *loadTargets {
	t := &loadTargets{urls: urls}
	for _, u := range urls {
		t.load = append(t.load, TargetLoad{URL: u})
	}
	return t
}

// pick is the target of a new delivery: the next in turn.
func (t *loadTargets) pick() int {
	return int((t.next.Add(1) - 1) % uint64(len(t.load))) // #nosec G115 -- a modulo of a small positive count
}

// answered records target i's answer and returns the target to try next
// (the one after i when it refused).
func (t *loadTargets) answered(i int, ok bool) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ok {
		t.load[i].Accepted++
		return i
	}
	t.load[i].Refused++
	return (i + 1) % len(t.load)
}

func (t *loadTargets) report() []TargetLoad {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.load)
}

// loadScript is what each simulated prospect writes, over and over under a
// new number once a conversation is complete.
var loadScript = []string{"hola", "sí", "me llamo Ana María", "medallo", "2 millones", "este mes", "diseño web", "gracias"}

// IsLoopback reports whether rawURL points at this machine: the load test
// refuses anything else.
func IsLoopback(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LoadTest drives the webhook with cfg.Prospects simulated people for
// cfg.Duration: each person's messages in order (except the deliberate
// swaps), a share of deliveries repeated, every refused delivery retried as
// Meta does. It returns throughput and latency; lost and duplicated replies
// are for the caller to count.
func LoadTest(ctx context.Context, cfg LoadConfig) (LoadReport, error) {
	for _, u := range append([]string{cfg.URL}, cfg.Targets...) {
		if !IsLoopback(u) {
			return LoadReport{}, errors.New("load test: every target must be on loopback")
		}
	}
	if cfg.Prospects <= 0 || cfg.Duration <= 0 {
		return LoadReport{}, errors.New("load test: prospects and duration must be positive")
	}
	cfg = cfg.withDefaults()
	targets := newLoadTargets(append([]string{cfg.URL}, cfg.Targets...))
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: cfg.Concurrency, MaxIdleConnsPerHost: cfg.Concurrency, IdleConnTimeout: time.Minute}}
	defer client.CloseIdleConnections()

	var (
		mu       sync.Mutex
		lat      []time.Duration
		rep      LoadReport
		messages int
	)
	record := func(d time.Duration, m loadMessage, fresh bool, refused int) {
		mu.Lock()
		lat = append(lat, d)
		rep.Deliveries++
		rep.Refused += refused
		if fresh {
			messages++
			if m.late {
				rep.Reordered++
			}
			if cfg.Accepted != nil {
				cfg.Accepted(m.id)
			}
		} else {
			rep.Duplicated++
		}
		mu.Unlock()
	}
	budget := func() bool {
		if cfg.MaxMessages == 0 {
			return true
		}
		mu.Lock()
		defer mu.Unlock()
		return messages < cfg.MaxMessages
	}

	runCtx, stop := context.WithTimeout(ctx, cfg.Duration)
	defer stop()
	start := time.Now()
	var wg sync.WaitGroup
	if cfg.Graph != nil {
		converse(runCtx, cfg, client, targets, record, budget)
		rep.Conversing = true
	}
	for w := range cfg.Concurrency * blind(cfg) {
		wg.Go(func() { writeBlind(runCtx, cfg, client, targets, w, record, budget) })
	}
	wg.Wait()
	rep.Seconds = time.Since(start).Seconds()
	rep.Messages = messages
	rep.PerTarget = targets.report()
	if rep.Seconds > 0 {
		rep.ThroughputPerS = float64(messages) / rep.Seconds
	}
	rep.P50ms, rep.P99ms, rep.Maxms = percentile(lat, 0.50), percentile(lat, 0.99), percentile(lat, 1)
	return rep, nil
}

// withDefaults fills in the defaults of the zero fields.
func (cfg LoadConfig) withDefaults() LoadConfig {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = min(cfg.Prospects, 64)
	}
	if cfg.Duplicates == 0 {
		cfg.Duplicates = 0.10
	}
	if cfg.Reorder == 0 {
		cfg.Reorder = 0.05
	}
	cfg.Duplicates, cfg.Reorder = max(cfg.Duplicates, 0), max(cfg.Reorder, 0)
	return cfg
}

// writeBlind is worker w of a load without answers: it owns prospects w,
// w+C, w+2C, ..., so that one person's messages are never in flight twice,
// as with Meta, and delivers their messages (a share twice) until ctx ends
// or the budget is spent.
func writeBlind(ctx context.Context, cfg LoadConfig, client *http.Client, targets *loadTargets, w int,
	record func(time.Duration, loadMessage, bool, int), budget func() bool) {
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(w))) // #nosec G404 G115 -- seeded for a repeatable load; w >= 0
	var mine []*loadProspect
	for p := w; p < cfg.Prospects; p += cfg.Concurrency {
		mine = append(mine, &loadProspect{id: p})
	}
	for i := 0; ctx.Err() == nil && len(mine) > 0 && budget(); i++ {
		p := mine[i%len(mine)]
		for _, m := range p.next(rng, cfg.Reorder) {
			body := textPayload(cfg.Account, m.from, m.id, m.text, time.Now())
			d, refused, err := deliverUntilAccepted(ctx, client, cfg, targets, body)
			if err != nil {
				return // the time is up
			}
			record(d, m, true, refused)
			if rng.Float64() < cfg.Duplicates {
				d, refused, err := deliverUntilAccepted(ctx, client, cfg, targets, body)
				if err != nil {
					return
				}
				record(d, m, false, refused)
			}
		}
	}
}

// blind is 1 when the people write without waiting for answers, else 0.
func blind(cfg LoadConfig) int {
	if cfg.Graph != nil {
		return 0
	}
	return 1
}

// errBudget stops a person once the run's message budget is spent.
var errBudget = errors.New("message budget spent")

// converse runs every simulated person as a Prospect, one goroutine each,
// at most cfg.Concurrency deliveries in flight; each starts again under a
// new number when a conversation is over, until ctx ends or the budget is
// spent.
func converse(ctx context.Context, cfg LoadConfig, client *http.Client, targets *loadTargets,
	record func(time.Duration, loadMessage, bool, int), budget func() bool) {
	sem := make(chan struct{}, cfg.Concurrency)
	var wg sync.WaitGroup
	for p := range cfg.Prospects {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(p))) // #nosec G404 G115 -- seeded for a repeatable load; p >= 0
			for round := 0; ctx.Err() == nil && budget(); round++ {
				lp := &loadProspect{id: p, round: round}
				from := lp.message().from
				pr := &Prospect{Graph: cfg.Graph, To: from, IDPrefix: fmt.Sprintf("wamid.load.%d.%d", p, round),
					Script: loadScript, ConsentMark: cfg.ConsentMark, AgainMark: ConsentAgainMark(), Patience: cfg.Patience}
				deliver := func(ctx context.Context, id, text string) error {
					if !budget() {
						return errBudget
					}
					sem <- struct{}{}
					defer func() { <-sem }()
					body := textPayload(cfg.Account, from, id, text, time.Now())
					m := loadMessage{from: from, id: id, text: text}
					d, refused, err := deliverUntilAccepted(ctx, client, cfg, targets, body)
					if err != nil {
						return err
					}
					record(d, m, true, refused)
					if rng.Float64() < cfg.Duplicates { // Meta delivers it again
						if d, refused, err = deliverUntilAccepted(ctx, client, cfg, targets, body); err != nil {
							return err
						}
						record(d, m, false, refused)
					}
					return nil
				}
				if pr.Talk(ctx, deliver) != nil {
					return
				}
			}
		})
	}
	wg.Wait()
}

type loadMessage struct {
	from, id, text string
	late           bool // held back and delivered after its successor
}

// loadProspect is one simulated person; after the script ends it starts
// over as a new person (a new number), so the flow keeps doing real work.
type loadProspect struct {
	id, round, step int
	held            *loadMessage // a message held back to be sent after the next one
}

func (p *loadProspect) message() loadMessage {
	from := fmt.Sprintf("57300%07d", p.id*100+p.round%100)
	m := loadMessage{from: from, id: fmt.Sprintf("wamid.load.%d.%d.%d", p.id, p.round, p.step), text: loadScript[p.step]}
	p.step++
	if p.step == len(loadScript) {
		p.step, p.round = 0, p.round+1
	}
	return m
}

// next returns the messages to deliver now: usually one, sometimes the
// following one first and then the held one (reordering).
func (p *loadProspect) next(rng *rand.Rand, reorder float64) []loadMessage {
	if p.held != nil {
		m := p.message()
		held := *p.held
		held.late = true
		p.held = nil
		return []loadMessage{m, held}
	}
	m := p.message()
	if p.step != 0 && rng.Float64() < reorder { // never across a change of number
		p.held = &m
		return nil
	}
	return []loadMessage{m}
}

// deliverUntilAccepted posts body until a webhook answers 200, as Meta
// retries: to the next target in turn, after a refusal to the one after
// it. It returns the latency of the accepted request.
func deliverUntilAccepted(ctx context.Context, client *http.Client, cfg LoadConfig, targets *loadTargets, body []byte) (time.Duration, int, error) {
	sig := Sign(cfg.AppSecret, body)
	refused := 0
	for t := targets.pick(); ; {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, targets.urls[t], bytes.NewReader(body))
		if err != nil {
			return 0, refused, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Hub-Signature-256", sig)
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return 0, refused, ctx.Err()
			}
			refused++ // the server is down (restarting after a kill): Meta retries
			t = targets.answered(t, false)
			select {
			case <-ctx.Done():
				return 0, refused, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body) // drained only so the connection is reused
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			targets.answered(t, true)
			return time.Since(t0), refused, nil
		}
		refused++
		t = targets.answered(t, false)
		select {
		case <-ctx.Done():
			return 0, refused, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func textPayload(account, from, id, text string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"0","changes":[{"field":"messages",`+
		`"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"0","phone_number_id":%q},`+
		`"contacts":[{"profile":{"name":"load"},"wa_id":%q}],"messages":[{"from":%q,"id":%q,"timestamp":"%d","type":"text","text":{"body":%q}}]}}]}]}`,
		account, from, from, id, at.Unix(), text)
}

// percentile returns the q-quantile of ds in milliseconds (nearest rank).
func percentile(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	i = max(0, min(i, len(s)-1))
	return float64(s[i].Microseconds()) / 1000
}
