package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cis-agencia/cis/store"
)

// Conversion events to Meta (issue 18): what leads that came from a
// click-to-WhatsApp ad became, posted to the Conversions API for business
// messaging, POST {graph}/{dataset-id}/events with action_source
// "business_messaging", messaging_channel "whatsapp" and the click's
// ctwa_clid. The events are queued by the store in the transaction of the
// change (store/meta_events.go); this worker sends them through the one
// claim → send → confirm routine (send.go). Its resend policy differs from
// replies': an event whose send a crash or a lost answer left unknown is
// sent again, because Meta deduplicates on its event_id, so it counts once.

// MetaConfig configures the conversion-event worker.
type MetaConfig struct {
	DatasetID   string // the Meta dataset (pixel) the events go to; required
	AccessToken string // a token with permission on the dataset; required
	// WABAID is the WhatsApp Business Account id, sent as
	// user_data.whatsapp_business_account_id when set.
	WABAID   string
	GraphURL string        // default DefaultGraphURL
	HTTP     *http.Client  // default: a client with a 15 s timeout
	Poll     time.Duration // how often the queue is checked; default 5 s
	// Crash, when set, is called at the sender's crash points (tests).
	Crash func(point string)
}

// metaStore is the part of *store.Store the worker uses.
type metaStore interface {
	PendingMetaEvents(ctx context.Context, limit int) ([]store.MetaEvent, error)
	ClaimMetaEvent(ctx context.Context, id int64) (bool, error)
	ConfirmMetaEvents(ctx context.Context, done []store.Sent) error
	UnclaimMetaEvent(ctx context.Context, id int64) error
	RetryMetaEvent(ctx context.Context, id int64, next time.Time, reason string) error
	ResendMetaEvent(ctx context.Context, id int64, next time.Time, reason string) error
	FailMetaEvent(ctx context.Context, id int64, reason string) error
	ReleaseMetaOrphans(ctx context.Context, cutoff time.Time) (int64, error)
}

var _ metaStore = (*store.Store)(nil)

// MetaEvents is the conversion-event worker. Safe for concurrent use.
type MetaEvents struct {
	cfg MetaConfig
	st  metaStore
	log *slog.Logger
	now func() time.Time
}

// NewMetaEvents checks cfg and returns the worker.
func NewMetaEvents(st metaStore, cfg MetaConfig, now func() time.Time, log *slog.Logger) (*MetaEvents, error) {
	if st == nil || cfg.DatasetID == "" || cfg.AccessToken == "" {
		return nil, errors.New("meta events: store, dataset id and access token are required")
	}
	if strings.Trim(cfg.DatasetID, "0123456789") != "" {
		return nil, fmt.Errorf("meta events: dataset id %q: want Meta's numeric id", cfg.DatasetID)
	}
	if cfg.GraphURL == "" {
		cfg.GraphURL = DefaultGraphURL
	}
	cfg.GraphURL = strings.TrimRight(cfg.GraphURL, "/")
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 5 * time.Second
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &MetaEvents{cfg: cfg, st: st, log: log, now: now}, nil
}

// metaClaims are the conversion events as the sender sees them.
type metaClaims struct{ st metaStore }

var _ claims = metaClaims{}

func (m metaClaims) claim(ctx context.Context, done []store.Sent, id int64) (bool, error) {
	if len(done) > 0 {
		if err := m.st.ConfirmMetaEvents(ctx, done); err != nil {
			return false, err
		}
	}
	return m.st.ClaimMetaEvent(ctx, id)
}

func (m metaClaims) confirm(ctx context.Context, done []store.Sent) error {
	return m.st.ConfirmMetaEvents(ctx, done)
}

func (m metaClaims) unclaim(ctx context.Context, id int64) error {
	return m.st.UnclaimMetaEvent(ctx, id)
}

// uncertain sends the event again: Meta counts one event_id once.
func (m metaClaims) uncertain(ctx context.Context, id int64, next time.Time, reason string) (bool, error) {
	return true, m.st.ResendMetaEvent(ctx, id, next, reason)
}

func (m metaClaims) retry(ctx context.Context, id int64, next time.Time, reason string) error {
	return m.st.RetryMetaEvent(ctx, id, next, reason)
}

func (m metaClaims) fail(ctx context.Context, id int64, reason string) error {
	return m.st.FailMetaEvent(ctx, id, reason)
}

// Run sends queued events until ctx ends. Events a previous process
// claimed and never marked are first queued again (same event_id).
func (m *MetaEvents) Run(ctx context.Context) error {
	if _, err := m.st.ReleaseMetaOrphans(ctx, m.now().Add(time.Millisecond)); err != nil {
		return err
	}
	return repeat(ctx, m.cfg.Poll, func() error {
		if _, err := m.Flush(ctx); err != nil && ctx.Err() == nil {
			m.log.Error("conversion events not sent", "err", err)
		}
		return nil
	})
}

// ReleaseOrphans queues again what a previous process left claimed.
func (m *MetaEvents) ReleaseOrphans(ctx context.Context) (int64, error) {
	return m.st.ReleaseMetaOrphans(ctx, m.now().Add(time.Millisecond))
}

// Flush sends the due events once, one at a time, and returns how many it
// handled (sent or failed).
func (m *MetaEvents) Flush(ctx context.Context) (int, error) {
	pending, err := m.st.PendingMetaEvents(ctx, 100)
	if err != nil || len(pending) == 0 {
		return 0, err
	}
	byID := make(map[int64]store.MetaEvent, len(pending))
	msgs := make([]store.Outgoing, len(pending))
	for i, e := range pending {
		byID[e.ID] = e
		msgs[i] = store.Outgoing{ID: e.ID, To: "lead:" + strconv.FormatInt(e.LeadID, 10), Attempts: e.Attempts}
	}
	s := &sender{channel: "meta-events", idKey: "meta_event_id", claims: metaClaims{st: m.st}, log: m.log, now: m.now,
		failMsg: "conversion event not sent", crash: m.cfg.Crash}
	prepare := func(_ context.Context, o store.Outgoing) (deliverFunc, error) {
		e := byID[o.ID]
		return func(ctx context.Context) (string, error) { return m.post(context.WithoutCancel(ctx), e) }, nil
	}
	p, err := s.drain(ctx, msgs, prepare)
	return p.sent + p.failed, err
}

// metaEvent is one event as the Conversions API reads it.
type metaEvent struct {
	EventName        string         `json:"event_name"`
	EventTime        int64          `json:"event_time"`
	EventID          string         `json:"event_id"`
	ActionSource     string         `json:"action_source"`
	MessagingChannel string         `json:"messaging_channel"`
	UserData         metaUserData   `json:"user_data"`
	CustomData       *metaValueData `json:"custom_data,omitempty"`
}

type metaUserData struct {
	WABAID   string `json:"whatsapp_business_account_id,omitempty"`
	CtwaClid string `json:"ctwa_clid"`
}

type metaValueData struct {
	Currency string `json:"currency"`
	Value    int64  `json:"value"`
}

// payload is the request body for e.
func (m *MetaEvents) payload(e store.MetaEvent) ([]byte, error) {
	ev := metaEvent{EventName: e.Name, EventTime: e.At.Unix(), EventID: e.EventID, ActionSource: "business_messaging",
		MessagingChannel: "whatsapp", UserData: metaUserData{WABAID: m.cfg.WABAID, CtwaClid: e.CtwaClid}}
	if e.Name == store.EventPurchase {
		ev.CustomData = &metaValueData{Currency: "COP", Value: e.ValueCOP}
	}
	return json.Marshal(map[string]any{"data": []metaEvent{ev}})
}

// post sends e and returns its event_id once Meta received it.
func (m *MetaEvents) post(ctx context.Context, e store.MetaEvent) (string, error) {
	body, err := m.payload(e)
	if err != nil {
		return "", fmt.Errorf("encode event: %w", ErrPermanent)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.cfg.GraphURL+"/"+m.cfg.DatasetID+"/events", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("build request: %w", ErrPermanent)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+m.cfg.AccessToken)
	resp, err := m.cfg.HTTP.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return "", fmt.Errorf("conversions api unreachable: %w", err)
		}
		return "", fmt.Errorf("conversions api: %w: %w", err, errUncertain)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var a struct {
		EventsReceived int `json:"events_received"`
		Error          *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &a) // an unreadable answer is judged by its status code
	code := 0
	if a.Error != nil {
		code = a.Error.Code
	}
	switch {
	case resp.StatusCode/100 == 2 && a.EventsReceived > 0:
		return e.EventID, nil
	case resp.StatusCode/100 == 2:
		return "", fmt.Errorf("conversions api accepted no event: %w", errUncertain)
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500, code == 1, code == 2, code == 4, code == 17, code == 32, code == 613:
		return "", &graphError{status: resp.StatusCode, code: code} // transient or throttled: retried with backoff
	default:
		return "", fmt.Errorf("%w: %w", &graphError{status: resp.StatusCode, code: code}, ErrPermanent)
	}
}
