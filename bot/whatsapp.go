package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/cis-agencia/cis/bot/redact"
	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// WhatsAppChannel is the channel name of the linked-device (whatsmeow) channel.
const WhatsAppChannel = "whatsapp"

// waClient is the part of *whatsmeow.Client the linked-device channel uses.
// Tests use a recording fake.
type waClient interface {
	SendMessage(ctx context.Context, to types.JID, message *waE2E.Message, extra ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error)
	SendChatPresence(ctx context.Context, jid types.JID, state types.ChatPresence, media types.ChatPresenceMedia) error
	MarkRead(ctx context.Context, ids []types.MessageID, timestamp time.Time, chat, sender types.JID, receiptTypeExtra ...types.ReceiptType) error
	SendPresence(ctx context.Context, state types.Presence) error
	IsConnected() bool
	IsLoggedIn() bool
}

// If a whatsmeow upgrade changes one of these methods, this line stops the build.
var _ waClient = (*whatsmeow.Client)(nil)

// lidResolver finds the phone number behind a LID and the LID behind a
// phone number (whatsmeow's Store.LIDs); it does I/O, so it is not called
// from the pure translation.
type lidResolver interface {
	GetPNForLID(ctx context.Context, lid types.JID) (types.JID, error)
	GetLIDForPN(ctx context.Context, pn types.JID) (types.JID, error)
}

// WhatsAppConfig tunes the linked-device channel.
type WhatsAppConfig struct {
	// Debounce is how long the bot waits after a person's last message
	// before answering, so that "hola" / "quiero" / "info" get one answer
	// burst. Default 3 s.
	Debounce time.Duration
	// LateAfter: a message older than this when it arrives (offline sync
	// after downtime) is answered with the apology first. Default 10 min.
	LateAfter time.Duration
	// Apology is the text sent before the replies to a late message.
	Apology string
	// Typing is how long "typing…" shows before each reply. Default 1.5 s.
	Typing time.Duration
	// PerRecipientGap is the least time between two messages to one person.
	// Default 2 s.
	PerRecipientGap time.Duration
	// PerMinute caps all outgoing messages (ban risk). Default 20.
	PerMinute int
	// ReconnectMin and ReconnectMax bound the reconnect loop's backoff
	// (Link), which doubles from the first to the second. Defaults 2 s, 5 min.
	ReconnectMin, ReconnectMax time.Duration
	// OfflineSync is how long replies wait after a (re)connect for WhatsApp
	// to finish delivering what arrived while the device was away
	// (events.OfflineSyncCompleted), so that a person's backlog is answered
	// once. Default 1 min.
	OfflineSync time.Duration
	// Sleep waits d or until ctx ends; tests replace it. Default: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Transcriber, when set, turns voice notes into text (voice.go).
	Transcriber *Transcriber
	// Number is the declared linked-device number (digits) this channel
	// is when several devices share the store (devices.go): it sends only
	// that number's replies. "" (the single device): every reply of the channel.
	Number string
}

func (c WhatsAppConfig) withDefaults() WhatsAppConfig {
	if c.Debounce == 0 {
		c.Debounce = 3 * time.Second
	}
	if c.LateAfter == 0 {
		c.LateAfter = 10 * time.Minute
	}
	if c.Typing == 0 {
		c.Typing = 1500 * time.Millisecond
	}
	if c.PerRecipientGap == 0 {
		c.PerRecipientGap = 2 * time.Second
	}
	if c.PerMinute == 0 {
		c.PerMinute = 20
	}
	if c.ReconnectMin == 0 {
		c.ReconnectMin = 2 * time.Second
	}
	if c.ReconnectMax == 0 {
		c.ReconnectMax = 5 * time.Minute
	}
	if c.OfflineSync == 0 {
		c.OfflineSync = time.Minute
	}
	if c.Sleep == nil {
		c.Sleep = sleepCtx
	}
	return c
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// WhatsApp is the linked-device channel: it turns whatsmeow events into
// flow messages (HandleEvent), sends the outbox through the client (Run),
// and reports the connection state (Status, Subscribe). Safe for
// concurrent use.
type WhatsApp struct {
	cfg   WhatsAppConfig
	bot   *Bot
	store waStore
	log   *slog.Logger
	now   func() time.Time

	// ctx is the run context. whatsmeow fixes the event handler's
	// signature, so the handler cannot receive it: the one allowed context
	// in a struct (STYLE 2.6).
	ctx context.Context

	mu       sync.Mutex
	client   waClient
	lids     lidResolver
	account  string        // the agency's own number (device JID user)
	status   ChannelStatus //
	subs     map[chan ChannelStatus]struct{}
	lastIn   map[string]time.Time // person → when their last message arrived (debounce)
	lastOut  map[string]time.Time // person → when the bot last wrote to them
	sentAt   []time.Time          // global rate window
	apolog   map[string]bool      // inbound message ids already apologised for
	wake     chan struct{}
	stopSend bool   // a permanent disconnect: sending stops until re-paired
	device   Device // the reconnect loop's current device (Link); nil before
	voice    *voice // voice notes held for transcription; nil without a transcriber
	// linkEvents carries the connection events the reconnect loop acts on.
	linkEvents chan any
	// syncFrom is when the current connection began waiting for WhatsApp's
	// offline backlog (zero: not waiting); sending waits meanwhile.
	syncFrom time.Time
	// presence is whether "unavailable" went out on this connection: it
	// fails until the push name is known (whatsmeow.ErrNoPushName).
	presence bool
	// phoneStored is the phone's last sign of life as last written to the store.
	phoneStored time.Time
	// redeliverPending: a reconnect for redelivery was asked for and not yet made.
	redeliverPending atomic.Bool
	// sentIDs are the message ids this process sent lately (rememberSent).
	sentIDs map[types.MessageID]time.Time
	// fence, set while this process owns the device through a lease
	// (LinkLeased), fences every claim of its outbox.
	fence *store.Fence
}

// waStore is the part of *store.Store the linked-device channel uses.
type waStore interface {
	outboxStore
	voiceStore
	LinkLID(ctx context.Context, phone, lid string) error
	PhoneForLID(ctx context.Context, lid string) (string, error)
	PhoneSeen(ctx context.Context, channel, account string) (time.Time, error)
	SetPhoneSeen(ctx context.Context, channel, account string, at time.Time) error
	SentReplyByExtID(ctx context.Context, channel, extID string) (store.SentReply, bool, error)
	RecentReplies(ctx context.Context, channel, account, contact string, since time.Time, limit int) ([]store.SentReply, error)
	SetReplyBody(ctx context.Context, id int64, body string) error
	ChatExpiration(ctx context.Context, channel, account, contact string) (time.Duration, error)
	SetChatExpiration(ctx context.Context, channel, account, contact string, d time.Duration) error
	TakeOver(ctx context.Context, channel, account, contact, extID string, at time.Time) (store.Takeover, error)
	HandBack(ctx context.Context, channel, account, contact, by string) (bool, error)
	RepliesHeld(ctx context.Context, channel, account, contact string, now time.Time) (bool, error)
}

var _ waStore = (*store.Store)(nil)

// NewWhatsApp returns the channel, not yet attached to a client (Attach).
func NewWhatsApp(b *Bot, st waStore, cfg WhatsAppConfig, log *slog.Logger) (*WhatsApp, error) {
	if b == nil || st == nil {
		return nil, errors.New("whatsapp: bot and store are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &WhatsApp{cfg: cfg.withDefaults(), bot: b, store: st, log: log, now: b.now, ctx: context.Background(),
		subs: map[chan ChannelStatus]struct{}{}, lastIn: map[string]time.Time{}, lastOut: map[string]time.Time{},
		apolog: map[string]bool{}, wake: make(chan struct{}, 1), linkEvents: make(chan any, 16),
		sentIDs: map[types.MessageID]time.Time{}}
	w.status = ChannelStatus{Channel: WhatsAppChannel, Number: cfg.Number, State: StateUnpaired, Since: w.now()}
	if cfg.Transcriber != nil {
		w.voice = newVoice(cfg.Transcriber, st, WhatsAppChannel, w.fetchVoice, w.receiveHeld, w.now, log)
	}
	return w, nil
}

// Attach sets the client the channel sends through, the LID store and the
// agency's own number (empty while unpaired), whose phone's last sign of
// life is read back from the store.
func (w *WhatsApp) Attach(c waClient, lids lidResolver, account string) {
	w.mu.Lock()
	w.client, w.lids, w.account = c, lids, account
	w.mu.Unlock()
	w.loadPhoneSeen(account)
}

// HandleEvent is the whatsmeow event handler (AddEventHandlerWithSuccessStatus,
// with SynchronousAck): it returns true once the event is dealt with, and
// false when a message could not be stored, so that whatsmeow withholds the
// receipt and keeps the decrypted message; the reconnect loop then
// reconnects (a bounded number of times) so that WhatsApp delivers it again.
// A panic is reported the same way: whatsmeow would recover it and
// acknowledge the message, losing it.
func (w *WhatsApp) HandleEvent(evt any) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("whatsapp event handler panicked; not acknowledged", "event", fmt.Sprintf("%T", evt),
				"panic", redact.Phones(fmt.Sprint(r)), "stack", redact.Phones(string(debug.Stack())))
			ok = false
		}
		if !ok {
			w.requestRedelivery()
		}
	}()
	return w.handleEvent(evt)
}

func (w *WhatsApp) handleEvent(evt any) bool {
	switch e := evt.(type) {
	case *events.Message:
		return w.onMessage(e)
	case *events.Receipt:
		if e.IsFromMe && e.Sender.Device == 0 {
			w.phoneSeen(e.Timestamp) // the phone itself read or received something: it is online
		}
	case *events.HistorySync:
		n := 0
		if e.Data != nil {
			n = len(e.Data.GetConversations())
		}
		w.log.Info("history sync received; not answered", "conversations", n)
	case *events.OfflineSyncPreview:
		w.log.Info("offline sync starting", "messages", e.Messages, "total", e.Total)
	case *events.OfflineSyncCompleted:
		w.log.Info("offline sync completed; replies go out", "count", e.Count)
		w.mu.Lock()
		w.syncFrom = time.Time{}
		w.mu.Unlock()
		w.Wake()
	case *events.AppStateSyncComplete:
		// The first full app-state sync after a pairing brings the push
		// name without a PushNameSetting event; presence fails before it.
		w.announce(false)
	case *events.PushNameSetting:
		w.announce(true) // the name changed: WhatsApp learns it with the presence
	default:
		w.onConnection(evt)
		if act, _ := linkActionFor(evt); act != linkNone {
			w.post(evt)
		}
	}
	return true
}

func (w *WhatsApp) onMessage(e *events.Message) bool {
	if e.Info.IsFromMe {
		return w.onOwnMessage(e)
	}
	in, sender, ok := inbound(e)
	if !ok {
		return true // groups, broadcasts, newsletters, protocol: acknowledged, not answered
	}
	from, err := w.resolve(sender)
	if err != nil {
		w.log.Error("sender not resolved; message not acknowledged", "msg_id", in.ID, "err", redact.Phones(err.Error()))
		return false
	}
	if lid := senderLID(e.Info); lid != "" && strings.HasPrefix(from, "+") {
		// One contact per person (F4): before the message is stored, a
		// contact known so far only by this LID becomes (or merges into)
		// the phone's, and the phone's contact remembers the LID for
		// messages that later come by LID alone while whatsmeow knows no
		// mapping. Not linked means not acknowledged: the message would
		// split the person in two.
		if err := w.store.LinkLID(w.runCtx(), from, lid); err != nil {
			w.log.Error("lid not linked to the contact; message not acknowledged", "msg_id", in.ID, "err", redact.Phones(err.Error()))
			return false
		}
	}
	w.mu.Lock()
	in.From, in.Account = from, w.account
	in.NoPhone = !strings.HasPrefix(from, "+") // WhatsApp hid the number: the flow may ask for one to call
	window := w.cfg.Debounce
	if !w.syncFrom.IsZero() {
		// The offline backlog: everything a person sent while the device
		// was away is one burst, however long WhatsApp takes to deliver it.
		window += w.now().Sub(w.syncFrom)
	}
	// Before the commit, not after: once the replies are in the outbox the
	// sender may look at this person, and must see the burst still open.
	w.lastIn[from] = w.now()
	w.mu.Unlock()
	if held, err := w.holdVoice(e, in); err != nil || held { // whatsapp_voice.go
		if held {
			w.markRead(e)
		}
		return err == nil
	}
	window, err = w.burstWindow(in, window)
	if err != nil {
		return false // no receipt: WhatsApp delivers it again
	}
	handled, err := w.bot.ReceiveBurst(w.runCtx(), in, window)
	if err != nil {
		return false // no receipt: WhatsApp delivers it again
	}
	if handled {
		w.rememberExpiration(in.Account, from, e)
		w.markRead(e)
		w.Wake()
	}
	return true
}

// heldBurst is the window that makes a message continue the burst
// whatever its gap (flow.Machine.StepBurst): the replies to the messages
// before it have not left.
const heldBurst = 24 * time.Hour

// burstWindow is the flow's window for in: the debounce (window), or
// heldBurst while the person's replies are still held here, queued past
// the debounce by the typing time and the pacing. A message written then
// answers a question the person has not seen: it continues the burst, so
// that the held question is withdrawn rather than sent after its answer,
// a consent answer waits for the consent text (flow/consent.go), and an
// unclear fragment is not re-prompted.
func (w *WhatsApp) burstWindow(in flow.Inbound, window time.Duration) (time.Duration, error) {
	held, err := w.store.RepliesHeld(w.runCtx(), WhatsAppChannel, in.Account, in.From, w.now())
	if err != nil {
		w.log.Error("held replies not read; message not acknowledged", "msg_id", in.ID, "err", redact.Phones(err.Error()))
		return 0, err
	}
	if held {
		return max(window, heldBurst), nil
	}
	return window, nil
}

// senderLID is the sender's LID user when WhatsApp named it, as the sender
// or as the alternative address of a phone-number sender; "" otherwise.
func senderLID(info types.MessageInfo) string {
	switch {
	case info.Sender.Server == types.HiddenUserServer:
		return info.Sender.User
	case info.SenderAlt.Server == types.HiddenUserServer:
		return info.SenderAlt.User
	}
	return ""
}

// resolve turns the sender into the contact key: "+<digits>" for a phone
// number, "lid:<user>" when WhatsApp hides the number and no mapping is known.
func (w *WhatsApp) resolve(sender types.JID) (string, error) {
	if sender.Server == types.HiddenUserServer {
		w.mu.Lock()
		lids := w.lids
		w.mu.Unlock()
		if lids != nil {
			pn, err := lids.GetPNForLID(w.runCtx(), sender.ToNonAD())
			if err != nil {
				return "", err
			}
			if !pn.IsEmpty() {
				return "+" + pn.User, nil
			}
		}
		phone, err := w.store.PhoneForLID(w.runCtx(), sender.User)
		if err != nil {
			return "", err
		}
		if phone != "" {
			return phone, nil
		}
		return store.LIDKey(sender.User), nil
	}
	return "+" + sender.User, nil
}

// withClient runs fn with the attached client and a 10 s deadline under
// the channel's run context; it does nothing while no client is attached.
func (w *WhatsApp) withClient(fn func(ctx context.Context, c waClient)) {
	w.mu.Lock()
	c := w.client
	w.mu.Unlock()
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(w.runCtx(), 10*time.Second)
	defer cancel()
	fn(ctx, c)
}

func (w *WhatsApp) markRead(e *events.Message) {
	w.withClient(func(ctx context.Context, c waClient) {
		if err := c.MarkRead(ctx, []types.MessageID{e.Info.ID}, w.now(), e.Info.Chat, e.Info.Sender); err != nil {
			w.log.Warn("read receipt not sent", "msg_id", e.Info.ID, "err", redact.Phones(err.Error()))
		}
	})
}

// inbound converts a whatsmeow message into the flow's input. ok is false for
// messages the bot must not answer: groups, status broadcasts, broadcast
// lists, newsletters, our own, and protocol messages without content.
// sender is the phone-number JID when WhatsApp gave one; a bare LID is
// returned as is and resolved by the caller (that lookup does I/O).
func inbound(evt *events.Message) (in flow.Inbound, sender types.JID, ok bool) {
	info := evt.Info
	// An edit arrives unwrapped (whatsmeow's UnwrapRaw) with a new message
	// ID and the edited text: it is not a new answer (RELIABILITY B5).
	if info.IsFromMe || info.IsGroup || info.Chat == types.StatusBroadcastJID || info.IsIncomingBroadcast() || evt.IsEdit {
		return flow.Inbound{}, types.EmptyJID, false
	}
	if !personChat(info.Chat) {
		return flow.Inbound{}, types.EmptyJID, false
	}
	c := messageContent(evt.Message)
	if c.kind == "" {
		return flow.Inbound{}, types.EmptyJID, false
	}
	sender = info.Sender.ToNonAD()
	if sender.Server == types.HiddenUserServer && info.SenderAlt.Server == types.DefaultUserServer {
		sender = info.SenderAlt.ToNonAD() // addressed by LID: prefer the phone number sent alongside
	}
	in = flow.Inbound{Channel: WhatsAppChannel, ID: info.ID, Kind: c.kind, Text: c.text, Location: c.location,
		At: info.Timestamp, ProviderTime: true}
	in.Referral = adReferral(evt.Message)
	return in, sender, true
}

// personChat reports whether chat is a one-to-one chat with a person.
func personChat(chat types.JID) bool {
	switch chat.Server {
	case types.DefaultUserServer, types.HiddenUserServer:
		return true
	}
	return false
}

// content is what a person wrote or shared, as the flow reads it.
type content struct {
	kind     flow.Kind // "" for messages that carry nothing a person wrote
	text     string
	location *flow.Location
}

// messageContent reads m. A caption is what the person wrote, so an image,
// video or document with one is text; a contact card carries the shared
// number as its text (the advisor sees it); a live location counts when it
// starts, not at each of its updates.
func messageContent(m *waE2E.Message) content {
	switch {
	case m == nil:
		return content{}
	case m.GetConversation() != "":
		return content{kind: flow.KindText, text: m.GetConversation()}
	case m.GetExtendedTextMessage() != nil:
		return content{kind: flow.KindText, text: m.GetExtendedTextMessage().GetText()}
	case m.GetButtonsResponseMessage() != nil:
		return content{kind: flow.KindText, text: m.GetButtonsResponseMessage().GetSelectedDisplayText()}
	case m.GetListResponseMessage() != nil:
		return content{kind: flow.KindText, text: m.GetListResponseMessage().GetTitle()}
	case m.GetTemplateButtonReplyMessage() != nil:
		return content{kind: flow.KindText, text: m.GetTemplateButtonReplyMessage().GetSelectedDisplayText()}
	case m.GetLocationMessage() != nil:
		loc := m.GetLocationMessage()
		return content{kind: flow.KindLocation, location: &flow.Location{Lat: loc.GetDegreesLatitude(), Lon: loc.GetDegreesLongitude()}}
	case m.GetLiveLocationMessage() != nil:
		loc := m.GetLiveLocationMessage()
		if loc.GetSequenceNumber() > 1 {
			return content{} // an update of a live location already read
		}
		return content{kind: flow.KindLocation, location: &flow.Location{Lat: loc.GetDegreesLatitude(), Lon: loc.GetDegreesLongitude()}}
	}
	return mediaContent(m)
}

// mediaContent reads media, contact cards and what carries no answer.
func mediaContent(m *waE2E.Message) content {
	switch {
	case m.GetImageMessage() != nil:
		return captioned(flow.KindImage, m.GetImageMessage().GetCaption())
	case m.GetVideoMessage() != nil:
		return captioned(flow.KindVideo, m.GetVideoMessage().GetCaption())
	case m.GetPtvMessage() != nil: // a round video note
		return content{kind: flow.KindVideo}
	case m.GetDocumentMessage() != nil:
		return captioned(flow.KindDocument, m.GetDocumentMessage().GetCaption())
	case m.GetAudioMessage() != nil:
		return content{kind: flow.KindAudio}
	case m.GetStickerMessage() != nil:
		return content{kind: flow.KindSticker}
	case m.GetContactMessage() != nil:
		return content{kind: flow.KindContact, text: vcardPhone(m.GetContactMessage().GetVcard())}
	case m.GetContactsArrayMessage() != nil:
		var phones []string
		for _, c := range m.GetContactsArrayMessage().GetContacts() {
			if p := vcardPhone(c.GetVcard()); p != "" {
				phones = append(phones, p)
			}
		}
		return content{kind: flow.KindContact, text: strings.Join(phones, " ")}
	case m.GetReactionMessage() != nil:
		return content{kind: flow.KindReaction, text: m.GetReactionMessage().GetText()} // logged, never answered (nontext.go)
	}
	// Edits, deletions, key exchange, polls: not answers.
	return content{}
}

func captioned(kind flow.Kind, caption string) content {
	if strings.TrimSpace(caption) != "" {
		return content{kind: flow.KindText, text: caption}
	}
	return content{kind: kind}
}

// vcardPhone is the first phone number of a contact card: WhatsApp's
// waid parameter when present (digits with country code), else the TEL value.
func vcardPhone(vcard string) string {
	for line := range strings.Lines(vcard) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(strings.ToUpper(line), "TEL") {
			continue
		}
		if i := strings.Index(strings.ToLower(line), "waid="); i >= 0 {
			if id := digits(strings.SplitN(line[i+5:], ":", 2)[0]); id != "" {
				return "+" + id
			}
		}
		if i := strings.LastIndex(line, ":"); i >= 0 {
			return strings.TrimSpace(line[i+1:])
		}
	}
	return ""
}

// adReferral reads click-to-WhatsApp ad data from the message's context.
// ExternalAdReply also appears on ordinary link previews, so it counts as an
// ad only with a click id or a source id.
func adReferral(m *waE2E.Message) *flow.Referral {
	ad := m.GetExtendedTextMessage().GetContextInfo().GetExternalAdReply()
	if ad == nil || (ad.GetCtwaClid() == "" && ad.GetSourceID() == "") {
		return nil
	}
	typ := strings.ToLower(ad.GetSourceType())
	if typ == "" {
		typ = "ad"
	}
	return &flow.Referral{SourceType: typ, SourceID: ad.GetSourceID(), SourceURL: ad.GetSourceURL(),
		Headline: ad.GetTitle(), CtwaClid: ad.GetCtwaClid()}
}

func (w *WhatsApp) runCtx() context.Context {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ctx
}

// Wake tells the sender that replies may be waiting.
func (w *WhatsApp) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}
