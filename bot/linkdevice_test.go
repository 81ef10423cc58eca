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

	"go.mau.fi/whatsmeow/appstate"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waSyncAction"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// Tests for issue 23: the linked device as a real phone exercises it, with
// whatsmeow's own event types.

// linkWith starts a reconnect loop (as Link does) on devices made by mk.
func linkWith(t *testing.T, e *waEnv, mk func() *fakeDevice) (*link, context.Context) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &link{w: e.wa, open: func(context.Context) (Device, error) { return mk(), nil }, backoff: e.wa.cfg.ReconnectMin}
	if err := l.start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); l.stop() })
	return l, ctx
}

// step hands the reconnect loop what the handler posted, as Link does.
func step(t *testing.T, e *waEnv, l *link, ctx context.Context) bool {
	t.Helper()
	select {
	case evt := <-e.wa.linkEvents:
		if err := l.handle(ctx, evt); err != nil {
			t.Fatal(err)
		}
		return true
	default:
		return false
	}
}

func waitClosed(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("timed out")
	}
}

// TestPasskeyStepOnTheChannel: WhatsApp asks for the account's passkey
// after the scan; the prompt replaces the QR on the status (the pairing page
// reads it), a pasted response that is not one is refused, a real one goes
// to whatsmeow's SendPasskeyResponse, and the confirmation code, once
// confirmed, to SendPasskeyConfirmation.
func TestPasskeyStepOnTheChannel(t *testing.T) {
	e := newWAEnv(t)
	dev := &fakeDevice{fakeClient: e.client, showed: make(chan struct{})}
	e.wa.attachDevice(dev)
	ui := e.wa.pairUI()
	ui.Code("2@a,b", time.Minute)
	ctx := context.Background()
	if err := e.wa.AnswerPasskey(ctx, `{}`); !errors.Is(err, ErrNoPasskeyRequest) {
		t.Errorf("answer without a passkey step: %v", err)
	}
	ui.Passkey(&events.PairPasskeyRequest{PublicKey: &types.WebAuthnPublicKey{Challenge: []byte("challenge-1"),
		RelyingPartID: "whatsapp.com", AllowCredentials: []types.AllowedCredential{{ID: []byte{9, 9}, Type: "public-key"}}}})
	st := e.wa.Status()
	if st.State != StateWaitingForPasskey || st.QR != "" || st.Passkey == nil || st.Passkey.RPID != "whatsapp.com" ||
		!strings.Contains(st.Passkey.Options, `"challenge":"Y2hhbGxlbmdlLTE"`) {
		t.Fatalf("after the passkey request: %+v", st)
	}
	if snip := PasskeySnippet(st.Passkey.Options); !strings.Contains(snip, "navigator.credentials.get") || !strings.Contains(snip, "Y2hhbGxlbmdlLTE") {
		t.Errorf("snippet %s", snip)
	}
	for _, bad := range []string{"", "hola", `{"id":"x"}`} {
		if err := e.wa.AnswerPasskey(ctx, bad); !errors.Is(err, ErrBadPasskeyResponse) {
			t.Errorf("AnswerPasskey(%q) = %v; want ErrBadPasskeyResponse", bad, err)
		}
	}
	resp := `{"id":"AQID","rawId":"AQID","type":"public-key","response":{"clientDataJSON":"eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0",` +
		`"authenticatorData":"AAAA","signature":"MEUCIQ","userHandle":null}}`
	if err := e.wa.AnswerPasskey(ctx, resp); err != nil {
		t.Fatal(err)
	}
	if dev.passkey == nil || dev.passkey.ID != "AQID" || string(dev.passkey.RawID) != "\x01\x02\x03" || len(dev.passkey.Response.Signature) == 0 {
		t.Errorf("whatsmeow got %+v", dev.passkey)
	}
	if !e.wa.Status().Passkey.Answered {
		t.Error("the status does not say the passkey was answered")
	}
	if err := e.wa.ConfirmPasskey(ctx); !errors.Is(err, ErrNoPasskeyRequest) || dev.confirmed {
		t.Errorf("confirmed before WhatsApp sent a code: %v", err)
	}
	ui.Code("2@c,d", time.Minute) // codes keep rotating on the socket: drainPairing does not show them; the status keeps the prompt
	ui.Confirm("ABCD-EFGH")
	if st := e.wa.Status(); st.Passkey == nil || st.Passkey.Code != "ABCD-EFGH" {
		t.Fatalf("confirmation code not shown: %+v", st)
	}
	if err := e.wa.ConfirmPasskey(ctx); err != nil || !dev.confirmed {
		t.Errorf("confirm = %v, sent %v", err, dev.confirmed)
	}
	e.wa.HandleEvent(&events.PairSuccess{ID: types.NewJID(agencyNumber, types.DefaultUserServer)})
	e.wa.HandleEvent(&events.Connected{})
	if st := e.wa.Status(); st.State != StateConnected || st.Passkey != nil {
		t.Errorf("after pairing: %+v", st)
	}
	// A passkey that fails ends the attempt, and says so until a device connects.
	e.wa.pairEnded(fmt.Errorf("%w: %w", ErrPasskey, errors.New("assertion rejected")))
	if st := e.wa.Status(); st.State != StateUnpaired || st.Problem != ProblemPasskey {
		t.Errorf("after a passkey failure: %+v", st)
	}
	// Another account scanned (PrePairCallback refused it): the page names it while new codes show.
	e.wa.pairEnded(&WrongNumberError{Scanned: prospectPN, Want: agencyNumber})
	ui.Code("2@e,f", time.Minute)
	if st := e.wa.Status(); st.State != StateWaitingForScan || st.Problem != ProblemWrongNumber || st.ProblemNumber != "+"+prospectPN {
		t.Errorf("after a refused number: %+v", st)
	}
}

// TestClientOutdatedWhilePairingStaysVisible: a 405 during pairing is not
// overwritten by "unpaired" nor retried forever; "pair again" asks anew, and
// the reason stays on screen until a device connects.
func TestClientOutdatedWhilePairingStaysVisible(t *testing.T) {
	e := newWAEnv(t)
	calls := 0
	dev := &fakeDevice{fakeClient: &fakeClient{}, showed: make(chan struct{})}
	dev.pair = func(ctx context.Context, ui PairUI) (bool, error) {
		calls++
		if calls == 1 {
			return false, ErrClientOutdated
		}
		ui.Code("2@new,code", time.Minute)
		close(dev.showed)
		<-ctx.Done()
		return false, ctx.Err()
	}
	l, ctx := linkWith(t, e, func() *fakeDevice { return dev })
	waitClosed(t, l.pairDone)
	st := e.wa.Status()
	if calls != 1 || st.State != StateClientOutdated || st.Problem != ProblemOutdated || !strings.Contains(st.Detail, "--whatsapp-version") {
		t.Fatalf("after a 405 while pairing: %d attempts, %+v", calls, st)
	}
	e.wa.PairAgain()
	if !step(t, e, l, ctx) {
		t.Fatal("pair again did not reach the loop")
	}
	waitClosed(t, dev.showed)
	st = e.wa.Status()
	if st.State != StateWaitingForScan || st.QR != "2@new,code" || st.Problem != ProblemOutdated {
		t.Errorf("pairing again: %+v; want new codes and the reason still shown", st)
	}
	e.wa.HandleEvent(&events.Connected{})
	if st := e.wa.Status(); st.Problem != "" {
		t.Errorf("problem %q still shown once connected", st.Problem)
	}
}

// TestLoginAfterPairingIsRetried: after the scan WhatsApp closes the socket
// (515) and the device must log in; whatsmeow tries that once, so with its
// own reconnect off the loop logs in and retries until it works.
func TestLoginAfterPairingIsRetried(t *testing.T) {
	e := newWAEnv(t)
	refused := errors.New("dial tcp: connection refused")
	dev := &fakeDevice{fakeClient: &fakeClient{}, showed: make(chan struct{}), errs: []error{refused, refused}}
	dev.pair = func(context.Context, PairUI) (bool, error) {
		dev.mu.Lock()
		dev.account = agencyNumber
		dev.mu.Unlock()
		return true, nil
	}
	l, ctx := linkWith(t, e, func() *fakeDevice { return dev })
	waitClosed(t, l.pairDone)
	e.wa.HandleEvent(&events.PairSuccess{ID: types.NewJID(agencyNumber, types.DefaultUserServer)})
	e.wa.HandleEvent(&events.ManualLoginReconnect{})
	if !step(t, e, l, ctx) {
		t.Fatal("the login request did not reach the loop")
	}
	if c, _ := dev.counts(); c != 3 {
		t.Errorf("%d connects; want two failures and a success", c)
	}
	e.wa.HandleEvent(&events.Connected{})
	step(t, e, l, ctx)
	if st := e.wa.Status(); st.State != StateConnected || st.Phone != "+"+agencyNumber {
		t.Errorf("after the login: %+v", st)
	}
}

// TestPushNameAnnouncedAfterFullAppStateSync: right after a pairing the push
// name is unknown (presence fails with ErrNoPushName); the first full
// app-state sync brings it with AppStateSyncComplete and no PushNameSetting,
// and the presence goes out then, and again when the name changes.
func TestPushNameAnnouncedAfterFullAppStateSync(t *testing.T) {
	e := newWAEnv(t)
	var logs syncBuffer
	e.wa.log = slog.New(slog.NewJSONHandler(&logs, nil))
	e.client.noPushName = true
	e.wa.HandleEvent(&events.Connected{})
	announced := func() int {
		return strings.Count(strings.Join(e.client.presence, "|"), "self:"+string(types.PresenceUnavailable))
	}
	if announced() != 0 || !strings.Contains(logs.String(), "waits for the push name") {
		t.Fatalf("presence %v before the push name is known; log %s", e.client.presence, logs.String())
	}
	e.client.mu.Lock()
	e.client.noPushName = false // whatsmeow stored the name during the sync
	e.client.mu.Unlock()
	e.wa.HandleEvent(&events.AppStateSyncComplete{Name: appstate.WAPatchCriticalBlock, Version: 3})
	if announced() != 1 {
		t.Errorf("presence %v after the full app-state sync; want it announced once", e.client.presence)
	}
	e.wa.HandleEvent(&events.PushNameSetting{Action: &waSyncAction.PushNameSetting{Name: proto.String("Agencia Demo")}})
	if announced() != 2 {
		t.Errorf("presence %v after the push name changed; want it announced again", e.client.presence)
	}
}

// TestPhoneHealthIsDeviceZeroAndSurvivesRestarts: only the phone itself
// (device 0) keeps the link alive; WhatsApp Web does not. Its last sign of
// life is stored, so the 12-day warning still fires after a restart.
func TestPhoneHealthIsDeviceZeroAndSurvivesRestarts(t *testing.T) {
	e := newWAEnv(t)
	own := func(device uint16) types.MessageSource {
		return types.MessageSource{IsFromMe: true, Sender: types.JID{User: agencyNumber, Server: types.DefaultUserServer, Device: device},
			Chat: pnJID}
	}
	e.wa.HandleEvent(&events.Receipt{MessageSource: own(5), Timestamp: e.h.clock.Now(), Type: types.ReceiptTypeReadSelf})
	web := with(waText("W1", "", e.h.clock.Now()), func(ev *events.Message) {
		ev.Info.MessageSource = own(7)
		ev.Message = &waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Text: proto.String("👍")}}
	})
	e.wa.HandleEvent(web)
	if seen := e.wa.Status().PhoneSeen; !seen.IsZero() {
		t.Fatalf("WhatsApp Web counted as the phone: seen %v", seen)
	}
	// A reaction from the agency is not an advisor answering: no takeover.
	if tk, err := e.h.st.TakeOver(context.Background(), WhatsAppChannel, agencyNumber, "+"+prospectPN, "R9", e.h.clock.Now()); err != nil || !tk.Started {
		t.Errorf("a reaction took the chat over: %+v, %v", tk, err)
	}
	seenAt := e.h.clock.Now().Add(time.Minute)
	e.wa.HandleEvent(&events.Receipt{MessageSource: own(0), Timestamp: seenAt, Type: types.ReceiptTypeReadSelf})
	if seen := e.wa.Status().PhoneSeen; !seen.Equal(seenAt) {
		t.Fatalf("phone seen %v; want %v", seen, seenAt)
	}
	e.h.restart()
	e.attach(t)
	if seen := e.wa.Status().PhoneSeen; !seen.Equal(seenAt) {
		t.Errorf("after a restart the phone was last seen %v; want %v", seen, seenAt)
	}
	e.h.clock.Add(13 * 24 * time.Hour)
	if !e.wa.Status().PhoneWarn {
		t.Error("no warning 13 days after the phone's last sign of life, across a restart")
	}
}

// TestRetryReceiptAfterRestart: a prospect's phone that could not decrypt a
// reply asks for it again after the bot restarted; whatsmeow no longer
// holds it, and GetMessageForRetry answers from the outbox, by the id it
// was sent under or, for a send that never got its answer, by the id its
// row derives.
func TestRetryReceiptAfterRestart(t *testing.T) {
	e := newWAEnv(t)
	e.wa.HandleEvent(waText("RR1", "hola", fixtureStart))
	e.h.clock.Add(3 * time.Second)
	sent := e.drain(t)
	if len(sent) == 0 {
		t.Fatal("nothing sent")
	}
	first := e.client.sent[0]
	// A reply that was being sent when the process died: no answer recorded.
	other := types.NewJID("573005550123", types.DefaultUserServer)
	e.wa.HandleEvent(with(waText("RR2", "hola", e.h.clock.Now()), func(ev *events.Message) { ev.Info.Chat, ev.Info.Sender = other, other }))
	ctx := context.Background()
	pending, err := e.h.st.PendingOutbox(ctx, WhatsAppChannel, 10)
	if err != nil || len(pending) == 0 {
		t.Fatalf("pending %v, %v", pending, err)
	}
	if _, err := e.h.st.ClaimOutbox(ctx, []int64{pending[0].ID}); err != nil {
		t.Fatal(err)
	}
	e.h.restart()
	e.attach(t)
	if _, err := e.h.st.ReleaseOrphans(ctx, WhatsAppChannel, e.h.clock.Now().Add(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	msg := e.wa.MessageForRetry(pnJID, lidJID, first.id) // the phone asks by its LID chat
	if msg.GetConversation() != first.text {
		t.Errorf("resend = %q; want %q", msg.GetConversation(), first.text)
	}
	unconfirmed := e.wa.MessageForRetry(other, other, stableID(agencyNumber, pending[0].ID))
	if unconfirmed.GetConversation() != pending[0].Body {
		t.Errorf("resend of the interrupted reply = %q; want %q", unconfirmed.GetConversation(), pending[0].Body)
	}
	if m := e.wa.MessageForRetry(pnJID, pnJID, "3EB0NOTOURS"); m != nil {
		t.Errorf("a message the outbox does not hold was answered: %v", m)
	}
}

// errLIDs fails every lookup; panicLIDs panics, as a bug in our handler
// would.
type errLIDs struct{}

func (errLIDs) GetPNForLID(context.Context, types.JID) (types.JID, error) {
	return types.EmptyJID, errors.New("database is locked")
}
func (errLIDs) GetLIDForPN(context.Context, types.JID) (types.JID, error) { return types.EmptyJID, nil }

type panicLIDs struct{ errLIDs }

func (panicLIDs) GetPNForLID(context.Context, types.JID) (types.JID, error) {
	panic("index out of range")
}

// TestFailingOrPanickingHandlerGetsRedelivery: a message the handler could
// not store is not acknowledged and the loop reconnects, so that WhatsApp
// delivers it again; a panic counts as a failure (whatsmeow would recover it
// and acknowledge the message); the reconnects are bounded.
func TestFailingOrPanickingHandlerGetsRedelivery(t *testing.T) {
	e := newWAEnv(t)
	var logs syncBuffer
	e.wa.log = slog.New(slog.NewJSONHandler(&logs, nil))
	dev := &fakeDevice{fakeClient: e.client, account: agencyNumber, showed: make(chan struct{})}
	l, ctx := linkWith(t, e, func() *fakeDevice { return dev })
	lidMsg := func(id string) *events.Message {
		return with(waText(id, "hola", fixtureStart), func(ev *events.Message) { ev.Info.Chat, ev.Info.Sender = lidJID, lidJID })
	}
	for i, lids := range []lidResolver{errLIDs{}, panicLIDs{}} {
		e.wa.Attach(dev, lids, agencyNumber)
		before, _ := dev.counts()
		if e.wa.HandleEvent(lidMsg(fmt.Sprint("X", i))) || e.wa.HandleEvent(lidMsg(fmt.Sprint("Y", i))) {
			t.Fatalf("%T: a message that was not stored was acknowledged", lids)
		}
		if !step(t, e, l, ctx) || step(t, e, l, ctx) {
			t.Fatalf("%T: want exactly one reconnect request for two failures", lids)
		}
		if c, _ := dev.counts(); c != before+1 {
			t.Errorf("%T: %d connects; want one reconnect", lids, c-before)
		}
	}
	if !strings.Contains(logs.String(), "panicked") || !strings.Contains(logs.String(), "index out of range") {
		t.Errorf("the panic is not logged: %s", logs.String())
	}
	if n := e.inboundCount(t); n != 0 {
		t.Errorf("%d messages stored", n)
	}
	// Bounded: at most maxRedeliveries an hour, after growing pauses.
	for range 10 {
		e.wa.HandleEvent(lidMsg("Z"))
		step(t, e, l, ctx)
	}
	if c, _ := dev.counts(); c != 1+maxRedeliveries {
		t.Errorf("%d connects; want the first and %d redelivery reconnects", c, maxRedeliveries)
	}
	if !containsAtLeast(e.sleeps, redeliveryPause<<(maxRedeliveries-1)) {
		t.Errorf("pauses %v; want them growing", e.sleeps)
	}
	// Once the store works again the message comes back and is stored once.
	e.wa.Attach(dev, fakeLIDs{prospectLID: prospectPN}, agencyNumber)
	if !e.wa.HandleEvent(lidMsg("X0")) || e.inboundCount(t) != 1 {
		t.Error("the redelivered message was not stored")
	}
}

// TestBacklogAnsweredOnceAfterOfflineSync: after a reconnect WhatsApp
// delivers what a person sent meanwhile; the replies wait for
// OfflineSyncCompleted and answer the whole backlog once, even when
// delivery takes longer than the debounce. Without the hold the same
// backlog is answered piece by piece. A sync that never says it completed
// releases the replies after OfflineSync.
func TestBacklogAnsweredOnceAfterOfflineSync(t *testing.T) {
	backlog := []string{"hola", "buenas", "quiero info de sus servicios"}
	run := func(t *testing.T, hold bool) []string {
		e := newWAEnv(t)
		if hold {
			e.wa.HandleEvent(&events.Connected{})
			e.wa.HandleEvent(&events.OfflineSyncPreview{Total: 3, Messages: 3})
		}
		for i, text := range backlog {
			e.wa.HandleEvent(waText(fmt.Sprint("B", i), text, fixtureStart.Add(-time.Hour+time.Duration(i)*time.Minute)))
			e.h.clock.Add(5 * time.Second) // a slow backlog: longer than the debounce between messages
			if _, err := e.wa.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if hold {
			if len(e.client.sent) != 0 {
				t.Errorf("sent %d replies inside the backlog", len(e.client.sent))
			}
			e.wa.HandleEvent(&events.OfflineSyncCompleted{Count: 3})
		}
		return e.drain(t)
	}
	held := run(t, true)
	if len(held) != 2 || !strings.Contains(held[0], "Hola") || !strings.Contains(held[1], "Ley 1581") {
		t.Errorf("held backlog answered with %d replies %q; want one greeting and one consent prompt", len(held), held)
	}
	if loose := run(t, false); len(loose) <= len(held) {
		t.Errorf("without the hold: %d replies; the test would not tell the difference", len(loose))
	}
	e := newWAEnv(t)
	e.wa.HandleEvent(&events.Connected{})
	e.wa.HandleEvent(waText("T1", "hola", fixtureStart))
	e.h.clock.Add(30 * time.Second)
	if n, _ := e.wa.Flush(context.Background()); n != 0 {
		t.Errorf("sent %d before the sync timeout", n)
	}
	e.h.clock.Add(31 * time.Second)
	if sent := e.drain(t); len(sent) == 0 {
		t.Error("a sync that never completed held the replies for good")
	}
}

// ownText is a message the agency's account sent into the prospect's chat
// from its device dev (0: the phone; others: WhatsApp Web).
func ownText(id, text string, at time.Time, dev uint16) *events.Message {
	return with(waText(id, text, at), func(ev *events.Message) {
		ev.Info.IsFromMe = true
		ev.Info.Sender = types.JID{User: agencyNumber, Server: types.DefaultUserServer, Device: dev}
	})
}

// TestAdvisorTakesOverFromThePhone: an advisor answers a prospect from the
// agency's phone; the bot stops asking in that chat (a question it had
// queued is not sent, the prospect's answers meanwhile are stored but not
// answered), until an advisor writes "reiniciar" in the chat; then the bot
// goes on from the question it was at.
func TestAdvisorTakesOverFromThePhone(t *testing.T) {
	e := newWAEnv(t)
	say := func(id, text string) {
		t.Helper()
		e.h.clock.Add(time.Minute)
		if !e.wa.HandleEvent(waText(id, text, e.h.clock.Now())) {
			t.Fatalf("%s not acknowledged", id)
		}
	}
	answered := func() []string { e.h.clock.Add(3 * time.Second); return e.drain(t) }
	say("T1", "hola")
	answered()
	say("T2", "sí")
	sentBefore := len(answered())
	say("T3", "me llamo Carlos") // the city question is queued, inside the debounce
	if !e.wa.HandleEvent(ownText("P1", "Hola Carlos, soy Ana de la agencia. ¿Te llamo?", e.h.clock.Now(), 0)) {
		t.Fatal("the advisor's message was not acknowledged")
	}
	if sent := answered(); len(sent) != sentBefore {
		t.Errorf("the bot still sent %q after the advisor wrote", sent[sentBefore:])
	}
	say("T4", "sí, llámame a las 3")
	if sent := answered(); len(sent) != sentBefore {
		t.Errorf("the bot answered the prospect while the advisor had the chat: %q", sent[sentBefore:])
	}
	ctx := context.Background()
	v, err := e.h.st.Conversation(ctx, WhatsAppChannel, agencyNumber, "+"+prospectPN)
	if err != nil || v.State.Status != flow.Handoff || v.State.Stage != flow.StageCity {
		t.Fatalf("conversation %v at %s/%s; want silent at the city question", err, v.State.Status, v.State.Stage)
	}
	// WhatsApp Web is the agency too; "reiniciar" alone gives the chat back.
	if !e.wa.HandleEvent(ownText("P2", "Reiniciar", e.h.clock.Now(), 3)) {
		t.Fatal("reiniciar not acknowledged")
	}
	say("T5", "Medellín")
	sent := answered()
	if len(sent) != sentBefore+1 || !strings.Contains(strings.ToLower(sent[len(sent)-1]), "presupuesto") {
		t.Errorf("after reiniciar the bot sent %q; want the budget question", sent[sentBefore:])
	}
}

// TestTakeoverMarksTheLeadContacted: the prospect's open lead counts as
// contacted, credited to its advisor, and the queue shows the chat is with a
// person; a chat the agency started itself stays with the person too; the
// bot's own reply seen again is not an advisor.
func TestTakeoverMarksTheLeadContacted(t *testing.T) {
	e := newWAEnv(t)
	ctx := context.Background()
	if err := e.h.st.SetAdvisors(ctx, []store.Advisor{{Name: "ana", Phone: "+573000000001"}}); err != nil {
		t.Fatal(err)
	}
	for i, text := range []string{"hola", "sí", "me llamo carlos andrés", "medallo", "2 millones", "pa' ya", "facebook ads"} {
		e.h.clock.Add(time.Minute)
		e.wa.HandleEvent(waText(fmt.Sprint("L", i), text, e.h.clock.Now()))
		e.h.clock.Add(3 * time.Second)
		e.drain(t)
	}
	rows, err := e.h.st.Queue(ctx, store.LeadFilter{Status: "all"})
	if err != nil || len(rows) != 1 || rows[0].Status != "open" || rows[0].Advisor != "ana" {
		t.Fatalf("queue %+v, %v; want one open lead of ana", rows, err)
	}
	// The bot's own last reply, should WhatsApp show it as an own message.
	echo := ownText(string(e.client.sent[len(e.client.sent)-1].id), "Gracias", e.h.clock.Now(), 0)
	e.wa.HandleEvent(echo)
	if rows, _ := e.h.st.Queue(ctx, store.LeadFilter{Status: "all"}); rows[0].Status != "open" || rows[0].TakenOver {
		t.Fatalf("the bot's own reply took the chat over: %+v", rows[0])
	}
	e.h.clock.Add(time.Minute)
	e.wa.HandleEvent(ownText("P1", "Hola Carlos, te llamo ya", e.h.clock.Now(), 0))
	e.wa.HandleEvent(ownText("P1", "Hola Carlos, te llamo ya", e.h.clock.Now(), 0)) // redelivered
	d, err := e.h.st.Lead(ctx, rows[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != "contacted" || !d.TakenOver || !d.ContactedAt.Equal(e.h.clock.Now()) {
		t.Errorf("lead %s, taken over %v, contacted %v; want contacted now and taken over", d.Status, d.TakenOver, d.ContactedAt)
	}
	var contacted []store.LeadEvent
	for _, ev := range d.Events {
		if ev.Kind == "contacted" {
			contacted = append(contacted, ev)
		}
	}
	if len(contacted) != 1 || contacted[0].User != "ana" || contacted[0].Detail != store.ContactedFromPhone {
		t.Errorf("contacted events %+v; want one, by ana, from the phone", contacted)
	}
	if back, err := e.h.st.HandBackLead(ctx, rows[0].ID, 0); err != nil || !back {
		t.Errorf("hand back from the dashboard: %v, %v", back, err)
	}
	if d, _ := e.h.st.Lead(ctx, rows[0].ID); d.TakenOver {
		t.Error("still taken over after the dashboard gave it back")
	}
	// The note-to-self chat, by number or by the account's LID, is nobody's chat.
	selfLID := types.NewJID("999000111222333", types.HiddenUserServer)
	e.wa.Attach(e.client, fakeLIDs{prospectLID: prospectPN, selfLID.User: agencyNumber}, agencyNumber)
	for i, self := range []types.JID{types.NewJID(agencyNumber, types.DefaultUserServer), selfLID} {
		e.wa.HandleEvent(with(ownText(fmt.Sprint("N", i), "nota", e.h.clock.Now(), 0), func(ev *events.Message) { ev.Info.Chat = self }))
	}
	if _, err := e.h.st.Conversation(ctx, WhatsAppChannel, agencyNumber, "+"+agencyNumber); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the note-to-self chat: %v", err)
	}
	if tk, err := e.h.st.TakeOver(ctx, WhatsAppChannel, agencyNumber, "+"+agencyNumber, "N9", e.h.clock.Now()); err != nil || !tk.Started {
		t.Errorf("the note-to-self chat was taken over before: %+v, %v", tk, err)
	}
	// A chat the agency started: the person's answer gets no bot.
	stranger := types.NewJID("573007778888", types.DefaultUserServer)
	e.wa.HandleEvent(with(ownText("P9", "Hola Marta, ¿cómo vas?", e.h.clock.Now(), 0), func(ev *events.Message) { ev.Info.Chat = stranger }))
	sent := len(e.client.sent)
	e.h.clock.Add(time.Minute)
	e.wa.HandleEvent(with(waText("S1", "hola, bien", e.h.clock.Now()), func(ev *events.Message) { ev.Info.Chat, ev.Info.Sender = stranger, stranger }))
	e.h.clock.Add(time.Minute)
	if got := e.drain(t); len(got) != sent {
		t.Errorf("the bot wrote %q into a chat the agency started", got[sent:])
	}
}

// TestSmallerLinkedDeviceItems: captions are answers, contact cards and
// live locations are read, replies mirror a chat's disappearing timer,
// advisor notifications keep their id on a retry.
func TestSmallerLinkedDeviceItems(t *testing.T) {
	at := fixtureStart
	ev := func(m *waE2E.Message) *events.Message {
		return with(waText("S", "", at), func(e *events.Message) { e.Message = m })
	}
	tests := []struct {
		name string
		m    *waE2E.Message
		ok   bool
		kind flow.Kind
		text string
	}{
		{"image caption", &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Caption: proto.String("me llamo Ana")}}, true, flow.KindText, "me llamo Ana"},
		{"image alone", &waE2E.Message{ImageMessage: &waE2E.ImageMessage{}}, true, flow.KindImage, ""},
		{"video caption", &waE2E.Message{VideoMessage: &waE2E.VideoMessage{Caption: proto.String("Cali")}}, true, flow.KindText, "Cali"},
		{"document caption", &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{Caption: proto.String("2 millones")}}, true, flow.KindText, "2 millones"},
		{"round video note", &waE2E.Message{PtvMessage: &waE2E.VideoMessage{}}, true, flow.KindVideo, ""},
		{"contact card", &waE2E.Message{ContactMessage: &waE2E.ContactMessage{DisplayName: proto.String("Ana"),
			Vcard: proto.String("BEGIN:VCARD\nVERSION:3.0\nFN:Ana\nTEL;type=CELL;waid=573001234567:+57 300 1234567\nEND:VCARD")}},
			true, flow.KindContact, "+573001234567"},
		{"contact cards", &waE2E.Message{ContactsArrayMessage: &waE2E.ContactsArrayMessage{Contacts: []*waE2E.ContactMessage{
			{Vcard: proto.String("BEGIN:VCARD\nTEL:+57 301 0000000\nEND:VCARD")}}}}, true, flow.KindContact, "+57 301 0000000"},
		{"live location starts", &waE2E.Message{LiveLocationMessage: &waE2E.LiveLocationMessage{DegreesLatitude: proto.Float64(4.6),
			DegreesLongitude: proto.Float64(-74.08)}}, true, flow.KindLocation, ""},
		{"live location update", &waE2E.Message{LiveLocationMessage: &waE2E.LiveLocationMessage{DegreesLatitude: proto.Float64(4.6),
			SequenceNumber: proto.Int64(7)}}, false, "", ""},
		{"template button reply", &waE2E.Message{TemplateButtonReplyMessage: &waE2E.TemplateButtonReplyMessage{
			SelectedID: proto.String("yes"), SelectedDisplayText: proto.String("Sí, acepto")}}, true, flow.KindText, "Sí, acepto"},
	}
	for _, tt := range tests {
		in, _, ok := inbound(ev(tt.m))
		if ok != tt.ok || in.Kind != tt.kind || in.Text != tt.text {
			t.Errorf("%s: %v %s %q; want %v %s %q", tt.name, ok, in.Kind, in.Text, tt.ok, tt.kind, tt.text)
		}
		if tt.kind == flow.KindLocation && (in.Location == nil || in.Location.Lat != 4.6) {
			t.Errorf("%s: location %+v", tt.name, in.Location)
		}
	}

	// Disappearing messages: the reply carries the chat's timer; when the
	// prospect turns it off, replies stop carrying it.
	e := newWAEnv(t)
	week := uint32(7 * 24 * 3600)
	e.wa.HandleEvent(with(waText("E1", "", fixtureStart), func(ev *events.Message) {
		ev.IsEphemeral = true
		ev.Message = &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("hola"),
			ContextInfo: &waE2E.ContextInfo{Expiration: proto.Uint32(week)}}}
	}))
	e.h.clock.Add(3 * time.Second)
	e.drain(t)
	if len(e.client.sent) == 0 || e.client.sent[0].exp != week {
		t.Fatalf("reply in a disappearing chat: %+v; want the 7-day timer", e.client.sent)
	}
	if m := e.wa.MessageForRetry(pnJID, pnJID, e.client.sent[0].id); m.GetExtendedTextMessage().GetContextInfo().GetExpiration() != week {
		t.Errorf("a resend lost the timer: %v", m)
	}
	e.wa.HandleEvent(with(waText("E2", "", fixtureStart.Add(time.Minute)), func(ev *events.Message) {
		ev.Message = &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_EPHEMERAL_SETTING.Enum(),
			EphemeralExpiration: proto.Uint32(0)}}
	}))
	e.h.clock.Add(time.Minute)
	e.wa.HandleEvent(waText("E3", "sí", e.h.clock.Now()))
	e.h.clock.Add(3 * time.Second)
	e.drain(t)
	if last := e.client.sent[len(e.client.sent)-1]; last.exp != 0 {
		t.Errorf("reply after the timer was turned off carries %d s", last.exp)
	}

	// Advisor notifications: the same notification is the same message id.
	if err := e.wa.Notify(context.Background(), 41, "+573000000001", "Nuevo lead"); err != nil {
		t.Fatal(err)
	}
	if err := e.wa.Notify(context.Background(), 41, "+573000000001", "Nuevo lead"); err != nil {
		t.Fatal(err)
	}
	if err := e.wa.Notify(context.Background(), 42, "+573000000001", "Nuevo lead"); err != nil {
		t.Fatal(err)
	}
	n := e.client.sent[len(e.client.sent)-3:]
	if n[0].id == "" || n[0].id != n[1].id || n[1].id == n[2].id {
		t.Errorf("notification ids %s %s %s; want the same for a retry, different for another notice", n[0].id, n[1].id, n[2].id)
	}
}

// TestProspectRestartEndsTakeover: a prospect who writes "reiniciar" while
// an advisor has the chat starts over with the bot (consent asked again),
// and the chat is no longer with the person.
func TestProspectRestartEndsTakeover(t *testing.T) {
	e := newWAEnv(t)
	e.wa.HandleEvent(waText("Q1", "hola", fixtureStart))
	e.h.clock.Add(3 * time.Second)
	e.drain(t)
	e.h.clock.Add(time.Minute)
	e.wa.HandleEvent(ownText("P1", "Hola, te escribo yo", e.h.clock.Now(), 0))
	sent := len(e.client.sent)
	e.h.clock.Add(time.Minute)
	e.wa.HandleEvent(waText("Q2", "reiniciar", e.h.clock.Now()))
	e.h.clock.Add(3 * time.Second)
	got := e.drain(t)
	if len(got) <= sent || !strings.Contains(got[len(got)-1], "Ley 1581") {
		t.Fatalf("after the prospect's reiniciar: %q; want the bot back, asking consent", got[sent:])
	}
	// The takeover ended: the advisor's next message starts a new one.
	tk, err := e.h.st.TakeOver(context.Background(), WhatsAppChannel, agencyNumber, "+"+prospectPN, "P2", e.h.clock.Now())
	if err != nil || !tk.Started {
		t.Errorf("a new takeover after the prospect restarted: %+v, %v", tk, err)
	}
}

// recordingFlow is the real flow, remembering what it was given.
type recordingFlow struct {
	machine
	mu  sync.Mutex
	ins []flow.Inbound
}

func (r *recordingFlow) StepBurst(s flow.State, in flow.Inbound, now time.Time, window time.Duration) flow.Result {
	r.mu.Lock()
	r.ins = append(r.ins, in)
	r.mu.Unlock()
	return r.machine.StepBurst(s, in, now, window)
}

// TestHiddenNumberIsNoPhone: a person WhatsApp knows only by LID has no
// number the agency can call; the flow is told so (flow.Inbound.NoPhone).
func TestHiddenNumberIsNoPhone(t *testing.T) {
	e := newWAEnv(t)
	rec := &recordingFlow{machine: e.h.bot.flow}
	b, err := New(Deps{Store: e.h.st, Flow: rec, Now: e.h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.h.bot = b
	e.attach(t)
	e.wa.Attach(e.client, fakeLIDs{}, agencyNumber)
	other := types.NewJID("999999999999999", types.HiddenUserServer)
	e.wa.HandleEvent(with(waText("H1", "hola", fixtureStart), func(ev *events.Message) { ev.Info.Chat, ev.Info.Sender = other, other }))
	e.wa.HandleEvent(waText("H2", "hola", fixtureStart))
	if len(rec.ins) != 2 || !rec.ins[0].NoPhone || rec.ins[1].NoPhone {
		t.Errorf("inbound %+v; want NoPhone for the LID-only person only", rec.ins)
	}
}
