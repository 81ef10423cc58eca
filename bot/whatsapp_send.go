package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"github.com/cis-agencia/cis/bot/redact"
	"github.com/cis-agencia/cis/store"
)

// errNotConnected: the client is not connected or sending is stopped; the
// reply waits in the outbox.
var errNotConnected = errors.New("whatsapp not connected")

// announce tells WhatsApp the linked device is unavailable, so that the
// phone keeps its notifications (tulir/whatsmeow#262); it also makes the
// agency's push name known to WhatsApp for this connection. It fails with
// whatsmeow.ErrNoPushName until the push name is known, which after a
// pairing is only once the first full app-state sync is done
// (events.AppStateSyncComplete): again there, and whenever the name
// changes (again).
func (w *WhatsApp) announce(again bool) {
	w.mu.Lock()
	done := w.presence
	w.mu.Unlock()
	if done && !again {
		return
	}
	w.withClient(func(ctx context.Context, c waClient) {
		err := c.SendPresence(ctx, types.PresenceUnavailable)
		switch {
		case errors.Is(err, whatsmeow.ErrNoPushName):
			w.log.Info("presence waits for the push name (first app-state sync)")
		case err != nil:
			w.log.Warn("presence not sent", "err", redact.Phones(err.Error()))
		default:
			w.mu.Lock()
			w.presence = true
			w.mu.Unlock()
		}
	})
}

// Run sends queued replies until ctx ends. It also becomes the context the
// event handler stores messages with. Rows a previous process claimed are
// first settled by the crash policy, as for the Cloud API: questions are
// sent again (with the same message ID), other replies are marked
// unconfirmed (store/sending.go, docs/reliability.md).
func (w *WhatsApp) Run(ctx context.Context) error {
	w.mu.Lock()
	w.ctx = ctx
	w.mu.Unlock()
	if _, err := w.replies().releaseOrphans(ctx); err != nil {
		return err
	}
	voiceDone := make(chan struct{})
	go func() { defer close(voiceDone); w.runVoice(ctx) }() // whatsapp_voice.go
	defer func() { <-voiceDone }()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := w.Flush(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("whatsapp outbox flush failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
		case <-tick.C:
		}
	}
}

// Flush sends the replies that are due and whose person has been quiet for
// the debounce time, one message at a time with typing presence, paced per
// person and globally. After a (re)connect it sends nothing until WhatsApp
// has delivered the offline backlog (or OfflineSync passed), so that a
// person's backlog is answered once. It returns how many it sent.
func (w *WhatsApp) Flush(ctx context.Context) (int, error) {
	w.mu.Lock()
	c, stopped := w.client, w.stopSend
	syncing := !w.syncFrom.IsZero() && w.now().Sub(w.syncFrom) < w.cfg.OfflineSync
	w.mu.Unlock()
	if c == nil || stopped || syncing || !c.IsConnected() || !c.IsLoggedIn() {
		return 0, nil
	}
	pending, err := w.pending(ctx) // devices.go: one number's replies when several devices share the store
	if err != nil {
		return 0, err
	}
	snd := &sender{channel: WhatsAppChannel, idKey: "outbox_id", claims: w.replies(), log: w.log, now: w.now,
		failMsg: "whatsapp send failed", inOrder: true}
	p, err := snd.drain(ctx, pending, func(ctx context.Context, o store.Outgoing) (deliverFunc, error) {
		return w.prepare(ctx, c, o)
	})
	return p.sent, err
}

func (w *WhatsApp) replies() replies {
	w.mu.Lock()
	f := w.fence
	w.mu.Unlock()
	if f != nil && w.cfg.Number != "" { // one of several devices: its own number's rows only
		own := *f
		own.Account = w.cfg.Number
		f = &own
	}
	return replies{st: w.store, channel: WhatsAppChannel, now: w.now, fence: f}
}

// quiet reports whether person's burst is over (the debounce has passed).
func (w *WhatsApp) quiet(person string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now().Sub(w.lastIn[person]) >= w.cfg.Debounce
}

// prepare is the linked device's hook before the claim: a reply waits
// until its person's burst is over (the debounce) and the pacing allows
// it; one to a contact that is no WhatsApp address is given up.
func (w *WhatsApp) prepare(ctx context.Context, c waClient, o store.Outgoing) (deliverFunc, error) {
	if !w.quiet(o.To) {
		return nil, nil
	}
	to, err := w.chatJID(ctx, o.To)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, ErrPermanent)
	}
	if err := w.pace(ctx, o.To); err != nil {
		return nil, nil // stopping: it stays queued
	}
	return func(ctx context.Context) (string, error) { return w.deliver(ctx, c, to, o) }, nil
}

// deliver types and sends one claimed reply. The apology for a late answer
// is stored before sending: the outbox holds what the person got, for the
// transcript and for a resend the recipient's phone asks for.
func (w *WhatsApp) deliver(ctx context.Context, c waClient, to types.JID, o store.Outgoing) (string, error) {
	body := o.Body
	if w.late(o) {
		body = w.cfg.Apology + "\n\n" + body
		if err := w.store.SetReplyBody(ctx, o.ID, body); err != nil {
			return "", fmt.Errorf("%w: %w", errNotTried, err)
		}
	}
	msg := w.textMessage(ctx, o.Account, o.To, body)
	if w.cfg.Typing > 0 {
		_ = c.SendChatPresence(ctx, to, types.ChatPresenceComposing, types.ChatPresenceMediaText)
		if err := w.cfg.Sleep(ctx, w.cfg.Typing); err != nil {
			return "", fmt.Errorf("%w: %w", errNotTried, err)
		}
	}
	id := stableID(o.Account, o.ID)
	resp, err := c.SendMessage(ctx, to, msg, whatsmeow.SendRequestExtra{ID: id})
	if err != nil {
		return "", err
	}
	w.recordSent(o.To)
	w.rememberSent(id)
	_ = c.SendChatPresence(context.WithoutCancel(ctx), to, types.ChatPresencePaused, types.ChatPresenceMediaText)
	return resp.ID, nil
}

// late reports whether o answers a message that waited (offline sync after
// downtime): its first reply gets the apology. Later replies to the same
// message do not repeat it, nor does a reply that already carries it.
func (w *WhatsApp) late(o store.Outgoing) bool {
	if w.cfg.Apology == "" || o.InboundAt.IsZero() || w.now().Sub(o.InboundAt) < w.cfg.LateAfter ||
		strings.HasPrefix(o.Body, w.cfg.Apology) {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.apolog[o.InReplyTo] {
		return false
	}
	w.apolog[o.InReplyTo] = true
	return true
}

// chatJID is the chat a reply to contact goes to. WhatsApp delivers
// one-to-one messages to the person's LID (whatsmeow converts a phone
// number); "typing…" must go to the same chat, so the LID is looked up once
// here and used for both.
func (w *WhatsApp) chatJID(ctx context.Context, contact string) (types.JID, error) {
	to, err := replyJID(contact)
	if err != nil || to.Server != types.DefaultUserServer {
		return to, err
	}
	w.mu.Lock()
	lids := w.lids
	w.mu.Unlock()
	if lids == nil {
		return to, nil
	}
	lid, err := lids.GetLIDForPN(ctx, to)
	if err != nil || lid.IsEmpty() {
		return to, nil // whatsmeow looks it up again when sending
	}
	return lid.ToNonAD(), nil
}

// textMessage is body as a WhatsApp message for the chat with contact:
// with the chat's disappearing-messages timer when it has one, so that the
// reply disappears like the rest of the chat.
func (w *WhatsApp) textMessage(ctx context.Context, account, contact, body string) *waE2E.Message {
	exp, err := w.store.ChatExpiration(ctx, WhatsAppChannel, account, contact)
	if err != nil {
		w.log.Warn("disappearing-messages timer not read; reply sent without it", "err", err)
	}
	secs := int64(exp / time.Second)
	if secs <= 0 || secs > math.MaxUint32 { // WhatsApp's timers are a few days at most; anything else is no timer
		return &waE2E.Message{Conversation: proto.String(body)}
	}
	return &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String(body),
		ContextInfo: &waE2E.ContextInfo{Expiration: proto.Uint32(uint32(secs))}}}
}

// pace waits until person may be written to again and the global budget
// (PerMinute over a sliding minute) allows one more message; a jitter of up
// to a second keeps the rhythm from looking mechanical.
func (w *WhatsApp) pace(ctx context.Context, person string) error {
	for {
		w.mu.Lock()
		now := w.now()
		wait := w.lastOut[person].Add(w.cfg.PerRecipientGap).Sub(now)
		cut := 0
		for cut < len(w.sentAt) && now.Sub(w.sentAt[cut]) >= time.Minute {
			cut++
		}
		w.sentAt = w.sentAt[cut:]
		if len(w.sentAt) >= w.cfg.PerMinute {
			wait = max(wait, w.sentAt[0].Add(time.Minute).Sub(now))
		}
		w.mu.Unlock()
		if wait <= 0 {
			return nil
		}
		if err := w.cfg.Sleep(ctx, wait+jitterFor(person, now)); err != nil {
			return err
		}
	}
}

func (w *WhatsApp) recordSent(person string) {
	w.mu.Lock()
	now := w.now()
	w.lastOut[person] = now
	w.sentAt = append(w.sentAt, now)
	w.mu.Unlock()
}

// jitterFor is up to a second, derived from the person and the time: no
// global rand.
func jitterFor(person string, now time.Time) time.Duration {
	h := sha256.Sum256([]byte(person + now.String()))
	return time.Duration(int64(h[0])<<2) * time.Millisecond // 0–1020 ms
}

// stableID is the WhatsApp message ID of an outbox row: the same on every
// attempt, so a retry is recognisable as the same message.
func stableID(account string, outbox int64) types.MessageID {
	return hashID(account + ":" + strconv.FormatInt(outbox, 10))
}

// noticeID is stableID for an advisor notification.
func noticeID(account string, notice int64) types.MessageID {
	return hashID(account + ":notice:" + strconv.FormatInt(notice, 10))
}

func hashID(s string) types.MessageID {
	h := sha256.Sum256([]byte(s))
	return types.MessageID("3EB0" + strings.ToUpper(hex.EncodeToString(h[:9])))
}

// replyJID is the chat to answer: the person's phone-number JID, or their
// LID when WhatsApp never gave the number.
func replyJID(contact string) (types.JID, error) {
	switch {
	case strings.HasPrefix(contact, "+"):
		return types.NewJID(contact[1:], types.DefaultUserServer), nil
	case strings.HasPrefix(contact, "lid:"):
		return types.NewJID(strings.TrimPrefix(contact, "lid:"), types.HiddenUserServer), nil
	}
	return types.EmptyJID, fmt.Errorf("contact key %q is not a WhatsApp address: %w", "redacted", ErrPermanent)
}
