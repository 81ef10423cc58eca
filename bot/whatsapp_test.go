package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// fakeClient records what the channel does through the whatsmeow client.
type fakeClient struct {
	mu        sync.Mutex
	sent      []waSent
	presence  []string
	reads     []types.MessageID
	connected bool
	fail      error
	// noPushName makes SendPresence fail as whatsmeow does before the
	// account's push name is known (right after a pairing).
	noPushName bool
}

type waSent struct {
	to   types.JID
	text string
	id   types.MessageID
	exp  uint32 // disappearing-messages timer, seconds
}

func (f *fakeClient) SendMessage(_ context.Context, to types.JID, m *waE2E.Message, extra ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return whatsmeow.SendResponse{}, f.fail
	}
	id := types.MessageID("")
	if len(extra) > 0 {
		id = extra[0].ID
	}
	text := m.GetConversation()
	if text == "" {
		text = m.GetExtendedTextMessage().GetText()
	}
	f.sent = append(f.sent, waSent{to: to, text: text, id: id, exp: m.GetExtendedTextMessage().GetContextInfo().GetExpiration()})
	return whatsmeow.SendResponse{ID: id}, nil
}

func (f *fakeClient) SendChatPresence(_ context.Context, jid types.JID, s types.ChatPresence, _ types.ChatPresenceMedia) error {
	f.mu.Lock()
	f.presence = append(f.presence, string(s)+":"+jid.User)
	f.mu.Unlock()
	return nil
}

func (f *fakeClient) MarkRead(_ context.Context, ids []types.MessageID, _ time.Time, _, _ types.JID, _ ...types.ReceiptType) error {
	f.mu.Lock()
	f.reads = append(f.reads, ids...)
	f.mu.Unlock()
	return nil
}

func (f *fakeClient) SendPresence(_ context.Context, s types.Presence) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.noPushName {
		return whatsmeow.ErrNoPushName
	}
	f.presence = append(f.presence, "self:"+string(s))
	return nil
}

func (f *fakeClient) IsConnected() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.connected }
func (f *fakeClient) IsLoggedIn() bool  { return f.IsConnected() }

// fakeLIDs is whatsmeow's LID store with fixed mappings.
type fakeLIDs map[string]string

func (f fakeLIDs) GetPNForLID(_ context.Context, lid types.JID) (types.JID, error) {
	if pn, ok := f[lid.User]; ok {
		return types.NewJID(pn, types.DefaultUserServer), nil
	}
	return types.EmptyJID, nil
}

func (f fakeLIDs) GetLIDForPN(_ context.Context, pn types.JID) (types.JID, error) {
	for lid, p := range f {
		if p == pn.User {
			return types.NewJID(lid, types.HiddenUserServer), nil
		}
	}
	return types.EmptyJID, nil
}

const (
	agencyNumber = "573009990000"
	prospectPN   = "573001234567"
	prospectLID  = "123456789012345"
)

var (
	pnJID  = types.NewJID(prospectPN, types.DefaultUserServer)
	lidJID = types.NewJID(prospectLID, types.HiddenUserServer)
)

func waText(id, text string, at time.Time) *events.Message {
	return &events.Message{
		Info: types.MessageInfo{
			MessageSource: types.MessageSource{Chat: pnJID, Sender: pnJID},
			ID:            id,
			Timestamp:     at,
		},
		Message: &waE2E.Message{Conversation: proto.String(text)},
	}
}

// with returns e after fn edited it, for table rows.
func with(e *events.Message, fn func(*events.Message)) *events.Message { fn(e); return e }

func TestInboundTranslation(t *testing.T) {
	at := fixtureStart
	tests := []struct {
		name       string
		evt        *events.Message
		ok         bool
		wantSender types.JID
		wantKind   flow.Kind
		wantText   string
	}{
		{"text", waText("A1", "hola", at), true, pnJID, flow.KindText, "hola"},
		{"extended text", with(waText("A2", "", at), func(e *events.Message) {
			e.Message = &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("mira https://x.co")}}
		}), true, pnJID, flow.KindText, "mira https://x.co"},
		{"LID sender with the phone alongside", with(waText("A3", "hola", at), func(e *events.Message) {
			e.Info.Chat, e.Info.Sender, e.Info.SenderAlt = lidJID, types.JID{User: prospectLID, Server: types.HiddenUserServer, Device: 12}, pnJID
		}), true, pnJID, flow.KindText, "hola"},
		{"LID sender without the phone", with(waText("A4", "hola", at), func(e *events.Message) {
			e.Info.Chat, e.Info.Sender = lidJID, lidJID
		}), true, lidJID, flow.KindText, "hola"},
		{"group", with(waText("A5", "hola", at), func(e *events.Message) {
			e.Info.Chat, e.Info.IsGroup = types.NewJID("120363025246125486", types.GroupServer), true
		}), false, types.EmptyJID, "", ""},
		{"status broadcast", with(waText("A6", "hola", at), func(e *events.Message) {
			e.Info.Chat = types.StatusBroadcastJID
		}), false, types.EmptyJID, "", ""},
		{"newsletter", with(waText("A7", "hola", at), func(e *events.Message) {
			e.Info.Chat = types.NewJID("120363144038483540", types.NewsletterServer)
		}), false, types.EmptyJID, "", ""},
		{"own message", with(waText("A8", "hola", at), func(e *events.Message) { e.Info.IsFromMe = true }),
			false, types.EmptyJID, "", ""},
		{"reaction", with(waText("A9", "", at), func(e *events.Message) {
			e.Message = &waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Text: proto.String("👍")}}
		}), true, pnJID, flow.KindReaction, "👍"},
		{"audio", with(waText("A10", "", at), func(e *events.Message) {
			e.Message = &waE2E.Message{AudioMessage: &waE2E.AudioMessage{}}
		}), true, pnJID, flow.KindAudio, ""},
		{"location", with(waText("A11", "", at), func(e *events.Message) {
			e.Message = &waE2E.Message{LocationMessage: &waE2E.LocationMessage{DegreesLatitude: proto.Float64(6.25), DegreesLongitude: proto.Float64(-75.56)}}
		}), true, pnJID, flow.KindLocation, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, sender, ok := inbound(tt.evt)
			if ok != tt.ok {
				t.Fatalf("ok = %v; want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if sender != tt.wantSender || in.Kind != tt.wantKind || in.Text != tt.wantText {
				t.Errorf("inbound = %s %q from %s; want %s %q from %s", in.Kind, in.Text, sender, tt.wantKind, tt.wantText, tt.wantSender)
			}
			if in.Channel != WhatsAppChannel || in.ID != tt.evt.Info.ID || !in.At.Equal(at) {
				t.Errorf("inbound lacks channel, id or time: %+v", in)
			}
		})
	}
}

func TestInboundAdReferral(t *testing.T) {
	e := with(waText("AD1", "", fixtureStart), func(e *events.Message) {
		e.Message = &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
			Text: proto.String("Hola, vi el anuncio"),
			ContextInfo: &waE2E.ContextInfo{ExternalAdReply: &waE2E.ContextInfo_ExternalAdReplyInfo{
				SourceID: proto.String("120212345678900123"), SourceType: proto.String("ad"), CtwaClid: proto.String("clid-1"),
				Title: proto.String("Más clientes")}},
		}}
	})
	in, _, ok := inbound(e)
	if !ok || in.Referral == nil || in.Referral.SourceID != "120212345678900123" || in.Referral.CtwaClid != "clid-1" {
		t.Errorf("referral = %+v (ok %v)", in.Referral, ok)
	}
	// A link preview without ad ids is not a campaign.
	e.Message.ExtendedTextMessage.ContextInfo.ExternalAdReply = &waE2E.ContextInfo_ExternalAdReplyInfo{Title: proto.String("x")}
	if in, _, _ := inbound(e); in.Referral != nil {
		t.Errorf("a link preview was taken for an ad: %+v", in.Referral)
	}
}

// waEnv is the linked-device channel on a real store with a fake client.
type waEnv struct {
	h      *harness
	wa     *WhatsApp
	client *fakeClient
	sleeps []time.Duration
	// onSleep, when set, runs at each of the channel's waits (typing,
	// pacing), while a reply is claimed: what the world does meanwhile.
	onSleep func(d time.Duration)
}

func newWAEnv(t *testing.T) *waEnv {
	t.Helper()
	e := &waEnv{h: newHarness(t, "es", fixtureStart), client: &fakeClient{connected: true}}
	e.attach(t)
	return e
}

// attach puts a new channel on the harness's current bot and store, as a
// process (re)start does.
func (e *waEnv) attach(t *testing.T) {
	t.Helper()
	var mu sync.Mutex
	wa, err := NewWhatsApp(e.h.bot, e.h.st, WhatsAppConfig{
		Debounce: 3 * time.Second, Apology: "Perdón por la demora.", Typing: time.Second,
		PerRecipientGap: 2 * time.Second, PerMinute: 3,
		Sleep: func(_ context.Context, d time.Duration) error { // the clock moves instead of waiting
			mu.Lock()
			e.sleeps = append(e.sleeps, d)
			hook := e.onSleep
			mu.Unlock()
			e.h.clock.Add(d)
			if hook != nil {
				hook(d)
			}
			return nil
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wa.Attach(e.client, fakeLIDs{prospectLID: prospectPN}, agencyNumber)
	e.wa = wa
}

// drain flushes until nothing more goes out and returns the texts sent.
func (e *waEnv) drain(t *testing.T) []string {
	t.Helper()
	for range 20 {
		n, err := e.wa.Flush(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	e.client.mu.Lock()
	defer e.client.mu.Unlock()
	var out []string
	for _, s := range e.client.sent {
		out = append(out, s.text)
	}
	return out
}

func (e *waEnv) inboundCount(t *testing.T) int {
	t.Helper()
	a, err := e.h.st.DeliveryAudit(context.Background(), WhatsAppChannel)
	if err != nil {
		t.Fatal(err)
	}
	return a.Inbound
}

func TestWhatsAppStoresOnceAndAcksAfterCommit(t *testing.T) {
	e := newWAEnv(t)
	evt := waText("ABC1", "hola", fixtureStart)
	first := e.wa.HandleEvent(evt)
	again := e.wa.HandleEvent(evt) // the redelivery
	if !first || !again {
		t.Fatal("handler refused a message it could store")
	}
	if n := e.inboundCount(t); n != 1 {
		t.Errorf("%d inbound rows after a redelivery; want 1", n)
	}
	if len(e.client.reads) != 1 {
		t.Errorf("read receipts = %v; want one", e.client.reads)
	}
	// Debounce: nothing goes out while the person may still be typing.
	if n, _ := e.wa.Flush(context.Background()); n != 0 {
		t.Errorf("sent %d replies inside the debounce", n)
	}
	e.h.clock.Add(3 * time.Second)
	n, err := e.wa.Flush(context.Background())
	if err != nil || n == 0 {
		t.Fatalf("flush = %d, %v", n, err)
	}
	// WhatsApp delivers to the person's LID (known here): the reply and the
	// "typing…" before it go to that one chat.
	if e.client.sent[0].to != lidJID || !strings.Contains(e.client.sent[0].text, "Hola") {
		t.Errorf("first reply = %+v", e.client.sent[0])
	}
	if e.client.presence[0] != string(types.ChatPresenceComposing)+":"+prospectLID {
		t.Errorf("presence = %v; want typing in the reply's chat before the reply", e.client.presence)
	}
	// The second reply to the same person waited the per-recipient gap.
	if n >= 2 && !containsAtLeast(e.sleeps, 2*time.Second) {
		t.Errorf("sleeps = %v; want a 2 s gap between replies to one person", e.sleeps)
	}
	// A store failure means no receipt.
	e.h.st.Close()
	if e.wa.HandleEvent(waText("ABC2", "sí", fixtureStart)) {
		t.Error("handler acknowledged a message it could not store")
	}
}

func containsAtLeast(ds []time.Duration, min time.Duration) bool {
	for _, d := range ds {
		if d >= min {
			return true
		}
	}
	return false
}

func TestWhatsAppLIDSenders(t *testing.T) {
	e := newWAEnv(t)
	// Mapping known: the LID message lands on the phone's contact.
	e.wa.HandleEvent(with(waText("L1", "hola", fixtureStart), func(ev *events.Message) {
		ev.Info.Chat, ev.Info.Sender = lidJID, lidJID
	}))
	e.h.clock.Add(time.Minute) // after the debounce: the consent text was sent and read
	e.drain(t)
	e.wa.HandleEvent(waText("L2", "sí", fixtureStart.Add(time.Minute)))
	v, err := e.h.st.Conversation(context.Background(), WhatsAppChannel, agencyNumber, "+"+prospectPN)
	if err != nil {
		t.Fatal(err)
	}
	if v.State.Stage != flow.StageName {
		t.Errorf("LID and phone messages did not share one conversation: at %s", v.State.Stage)
	}
	// whatsmeow forgets the mapping (it can stay unknown): the LID seen
	// with the phone before still reaches the same contact.
	e.wa.Attach(e.client, fakeLIDs{}, agencyNumber)
	e.h.clock.Add(time.Minute)
	e.wa.HandleEvent(with(waText("L2b", "me llamo Ana", fixtureStart.Add(2*time.Minute)), func(ev *events.Message) {
		ev.Info.Chat, ev.Info.Sender = lidJID, lidJID
	}))
	if v, err := e.h.st.Conversation(context.Background(), WhatsAppChannel, agencyNumber, "+"+prospectPN); err != nil || v.State.Stage != flow.StageCity {
		t.Errorf("LID-only message after the mapping was lost: %v at %s; want the phone's conversation at city", err, v.State.Stage)
	}
	// No mapping: the LID itself is the contact key.
	e.wa.HandleEvent(with(waText("L3", "hola", fixtureStart), func(ev *events.Message) {
		other := types.NewJID("999999999999999", types.HiddenUserServer)
		ev.Info.Chat, ev.Info.Sender = other, other
	}))
	if _, err := e.h.st.Conversation(context.Background(), WhatsAppChannel, agencyNumber, "lid:999999999999999"); err != nil {
		t.Errorf("unmapped LID contact: %v", err)
	}
}

func TestWhatsAppIgnoresWhatItMustNotAnswer(t *testing.T) {
	e := newWAEnv(t)
	group := with(waText("G1", "hola", fixtureStart), func(ev *events.Message) {
		ev.Info.Chat, ev.Info.IsGroup = types.NewJID("120363025246125486", types.GroupServer), true
	})
	own := with(waText("O1", "hola", fixtureStart), func(ev *events.Message) { ev.Info.IsFromMe = true })
	status := with(waText("S1", "hola", fixtureStart), func(ev *events.Message) { ev.Info.Chat = types.StatusBroadcastJID })
	history := &events.HistorySync{Data: &waHistorySync.HistorySync{Conversations: []*waHistorySync.Conversation{{ID: proto.String(pnJID.String())}}}}
	for _, evt := range []any{group, own, status, history} {
		if !e.wa.HandleEvent(evt) {
			t.Errorf("%T not acknowledged", evt)
		}
	}
	if n := e.inboundCount(t); n != 0 {
		t.Errorf("%d messages stored from groups, own, status or history; want 0", n)
	}
	if st := e.wa.Status(); st.PhoneSeen.IsZero() {
		t.Error("an own message did not count as a sign of life from the phone")
	}
}

func TestWhatsAppRateLimits(t *testing.T) {
	e := newWAEnv(t)
	for i := range 4 { // four people; global budget is 3 a minute
		phone := fmt.Sprintf("57300555000%d", i)
		jid := types.NewJID(phone, types.DefaultUserServer)
		e.wa.HandleEvent(with(waText(fmt.Sprintf("R%d", i), "hola", fixtureStart), func(ev *events.Message) {
			ev.Info.Chat, ev.Info.Sender = jid, jid
		}))
	}
	e.h.clock.Add(3 * time.Second)
	start := e.h.clock.Now()
	for range 20 {
		if _, err := e.wa.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(e.client.sent) < 4 {
		t.Fatalf("sent %d", len(e.client.sent))
	}
	// The fourth message had to wait for the sliding minute.
	if elapsed := e.h.clock.Now().Sub(start); elapsed < time.Minute {
		t.Errorf("%d messages in %v with a budget of 3 a minute", len(e.client.sent), elapsed)
	}
}

func TestWhatsAppStates(t *testing.T) {
	e := newWAEnv(t)
	updates, stop := e.wa.Subscribe()
	defer stop()
	if st := <-updates; st.State != StateUnpaired {
		t.Fatalf("initial state %s", st.State)
	}
	e.wa.HandleEvent(&events.QR{Codes: []string{"2@abc", "2@def"}})
	if st := <-updates; st.State != StateWaitingForScan || st.QR != "2@abc" {
		t.Errorf("after QR: %+v", st)
	}
	e.wa.HandleEvent(&events.PairSuccess{ID: types.NewJID(agencyNumber, types.DefaultUserServer)})
	e.wa.HandleEvent(&events.Connected{})
	if st := e.wa.Status(); st.State != StateConnected || st.QR != "" || st.Phone != "+"+agencyNumber {
		t.Errorf("after connect: %+v", st)
	}
	if !containsPresence(e.client.presence, "self:"+string(types.PresenceUnavailable)) {
		t.Errorf("presence = %v; want unavailable after connecting", e.client.presence)
	}
	e.wa.HandleEvent(&events.Disconnected{})
	if e.wa.Status().State != StateReconnecting {
		t.Errorf("state %s after a disconnect", e.wa.Status().State)
	}
	for _, tt := range []struct {
		evt  any
		want ChannelState
	}{
		{&events.LoggedOut{Reason: events.ConnectFailureLoggedOut}, StateLoggedOut},
		{&events.TemporaryBan{Code: events.TempBanBlockedByUsers}, StateBanned},
		{&events.ClientOutdated{}, StateClientOutdated},
		{&events.StreamReplaced{}, StateReplaced},
	} {
		e.wa.HandleEvent(tt.evt)
		st := e.wa.Status()
		if st.State != tt.want || !st.State.Permanent() || st.Detail == "" {
			t.Errorf("%T: %+v; want %s with a reason", tt.evt, st, tt.want)
		}
	}
	// Sending stops in a permanent state.
	e.wa.HandleEvent(waText("P1", "hola", fixtureStart))
	e.h.clock.Add(time.Minute)
	if n, _ := e.wa.Flush(context.Background()); n != 0 || len(e.client.sent) != 0 {
		t.Errorf("sent %d while logged out", n)
	}
	// The phone-offline warning after 12 days of silence.
	e.wa.phoneSeen(e.h.clock.Now())
	e.h.clock.Add(13 * 24 * time.Hour)
	if !e.wa.Status().PhoneWarn {
		t.Error("no warning after 13 days without the phone")
	}
}

func containsPresence(ps []string, want string) bool {
	for _, p := range ps {
		if p == want {
			return true
		}
	}
	return false
}

func TestWhatsAppAdReferralBecomesCampaign(t *testing.T) {
	e := newWAEnv(t)
	e.wa.HandleEvent(with(waText("AD2", "", fixtureStart), func(ev *events.Message) {
		ev.Message = &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
			Text: proto.String("Hola, vi el anuncio"),
			ContextInfo: &waE2E.ContextInfo{ExternalAdReply: &waE2E.ContextInfo_ExternalAdReplyInfo{
				SourceID: proto.String("120212345678900123"), CtwaClid: proto.String("clid-2")}},
		}}
	}))
	a, err := e.h.st.DeliveryAudit(context.Background(), WhatsAppChannel)
	if err != nil || a.Referrals != 1 || a.Inbound != 1 {
		t.Errorf("audit = %+v, %v; want the message and its referral stored", a, err)
	}
}

// TestWhatsAppSendFailureKeepsPhonesOutOfLogs makes the client fail with an
// error naming the recipient, as whatsmeow's do, and checks the log.
func TestWhatsAppSendFailureKeepsPhonesOutOfLogs(t *testing.T) {
	e := newWAEnv(t)
	var buf syncBuffer
	e.wa.log = slog.New(slog.NewJSONHandler(&buf, nil))
	e.client.fail = fmt.Errorf("no LID found for %s@s.whatsapp.net from server", prospectPN)
	e.wa.HandleEvent(waText("F1", "hola", fixtureStart))
	e.h.clock.Add(5 * time.Second)
	if _, err := e.wa.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "whatsapp send failed") || strings.Contains(out, prospectPN[2:]) {
		t.Errorf("log = %s; want the failure logged without the phone number", out)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// F7 (RELIABILITY §4.2): a burst of five messages in 100 ms from one phone
// is stored whole and in order, and answered once, after the debounce: one
// greeting and one consent prompt, no re-prompt per fragment. A restart
// inside the window (the process died) loses nothing and answers nothing twice.
func TestF7BurstFromOnePhone(t *testing.T) {
	burst := []string{"hola", "buenas", "quiero", "info", "de sus servicios"}
	for _, restartAt := range []int{-1, 2} {
		t.Run(fmt.Sprintf("restart after message %d", restartAt+1), func(t *testing.T) {
			e := newWAEnv(t)
			for i, text := range burst {
				if i == restartAt {
					e.h.restart()
					e.attach(t)
					// WhatsApp redelivers the message whose receipt the dead process never sent.
					if !e.wa.HandleEvent(waText(fmt.Sprintf("F7-%d", i-1), burst[i-1], e.h.clock.Now())) {
						t.Fatal("redelivery not acknowledged")
					}
				}
				if !e.wa.HandleEvent(waText(fmt.Sprintf("F7-%d", i), text, e.h.clock.Now())) {
					t.Fatalf("message %d not acknowledged", i)
				}
				e.h.clock.Add(20 * time.Millisecond)
				if n, err := e.wa.Flush(context.Background()); n != 0 || err != nil {
					t.Fatalf("flush inside the burst sent %d (%v); want replies held", n, err)
				}
			}
			e.h.clock.Add(3 * time.Second)
			sent := e.drain(t)
			if len(sent) != 2 || !strings.Contains(sent[0], "Hola") || !strings.Contains(sent[1], "Ley 1581") {
				t.Errorf("sent %d replies %q; want one greeting and one consent prompt", len(sent), sent)
			}
			lines, err := e.h.st.Transcript(context.Background(), "+"+prospectPN)
			if err != nil {
				t.Fatal(err)
			}
			var in []string
			for _, l := range lines {
				if l.Inbound {
					in = append(in, l.Body)
				}
			}
			if strings.Join(in, "|") != strings.Join(burst, "|") {
				t.Errorf("stored %q; want every message once, in order: %q", in, burst)
			}
			// Nothing is left to send: a later flush sends nothing twice.
			e.h.clock.Add(time.Minute)
			if again := e.drain(t); len(again) != len(sent) {
				t.Errorf("a later flush sent %d more", len(again)-len(sent))
			}
		})
	}
}

// F4 (RELIABILITY §4.2): one message, or one person, under two addresses
// (LID and phone JID) is one message and one contact with one conversation;
// the resolved phone is what is stored.
func TestF4SameMessageUnderTwoAddresses(t *testing.T) {
	lidOnly := func(id, text string) *events.Message {
		return with(waText(id, text, fixtureStart), func(ev *events.Message) { ev.Info.Chat, ev.Info.Sender = lidJID, lidJID })
	}
	lidWithPhone := func(id, text string) *events.Message {
		return with(waText(id, text, fixtureStart), func(ev *events.Message) {
			ev.Info.Chat, ev.Info.Sender, ev.Info.SenderAlt = lidJID, types.JID{User: prospectLID, Server: types.HiddenUserServer, Device: 3}, pnJID
		})
	}
	phoneWithLID := func(id, text string) *events.Message {
		return with(waText(id, text, fixtureStart), func(ev *events.Message) { ev.Info.SenderAlt = lidJID })
	}
	phoneOnly := func(id, text string) *events.Message { return waText(id, text, fixtureStart) }
	tests := []struct {
		name    string
		events  []*events.Message
		inbound []string // the phone's stored messages, in order
		stage   flow.Stage
	}{
		{"LID alone first, the same ID again with the phone", []*events.Message{lidOnly("M1", "hola"), lidWithPhone("M1", "hola")},
			[]string{"hola"}, flow.StageConsent},
		{"phone with its LID first, the same ID again by LID alone", []*events.Message{phoneWithLID("M1", "hola"), lidOnly("M1", "hola")},
			[]string{"hola"}, flow.StageConsent},
		{"a LID-only contact later shows its phone", []*events.Message{lidOnly("M1", "hola"), lidOnly("M2", "sí"), lidWithPhone("M3", "Ana")},
			[]string{"hola", "sí", "Ana"}, flow.StageCity},
		{"phone and LID-only contacts both exist, then merge", []*events.Message{phoneOnly("M1", "hola"), lidOnly("M2", "sí"), phoneWithLID("M3", "sí")},
			[]string{"hola", "sí", "sí"}, flow.StageName},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newWAEnv(t)
			e.wa.Attach(e.client, fakeLIDs{}, agencyNumber) // whatsmeow knows no mapping
			for _, ev := range tc.events {
				e.h.clock.Add(time.Minute) // past the debounce: each message answered on its own
				e.drain(t)                 // and read before the next is written
				if !e.wa.HandleEvent(ev) {
					t.Fatalf("%s not acknowledged", ev.Info.ID)
				}
			}
			ctx := context.Background()
			lines, err := e.h.st.Transcript(ctx, "+"+prospectPN)
			if err != nil {
				t.Fatal(err)
			}
			var in []string
			for _, l := range lines {
				if l.Inbound {
					in = append(in, l.Body)
				}
			}
			if strings.Join(in, "|") != strings.Join(tc.inbound, "|") {
				t.Errorf("phone's messages %q; want %q", in, tc.inbound)
			}
			if n := e.inboundCount(t); n != len(tc.inbound) {
				t.Errorf("%d inbound rows; want %d", n, len(tc.inbound))
			}
			v, err := e.h.st.Conversation(ctx, WhatsAppChannel, agencyNumber, "+"+prospectPN)
			if err != nil || v.State.Stage != tc.stage {
				t.Errorf("phone's conversation: %v at %s; want %s", err, v.State.Stage, tc.stage)
			}
			if _, err := e.h.st.Conversation(ctx, WhatsAppChannel, agencyNumber, store.LIDKey(prospectLID)); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a LID-only conversation remains: %v", err)
			}
			if phone, err := e.h.st.PhoneForLID(ctx, prospectLID); err != nil || phone != "+"+prospectPN {
				t.Errorf("PhoneForLID = %q, %v; want the resolved phone", phone, err)
			}
		})
	}
}
