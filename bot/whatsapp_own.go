package bot

import (
	"context"
	"strings"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/cis-agencia/cis/bot/redact"
	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// The agency's own messages: what its phone (or WhatsApp Web, another
// linked device of the same account) sends arrives here as an events.Message
// with IsFromMe. An advisor writing to a prospect that way takes the chat
// over; writing "reiniciar" gives it back.

// handBackWords give a chat back to the bot when an advisor writes one of
// them, alone, into it from the agency's phone.
var handBackWords = map[string]bool{"reiniciar": true, "restart": true}

// onOwnMessage handles a message the agency's account sent from another of
// its devices. It returns false only when the takeover could not be stored.
func (w *WhatsApp) onOwnMessage(e *events.Message) bool {
	info := e.Info
	if info.Sender.Device == 0 {
		w.phoneSeen(info.Timestamp) // written on the phone itself: it is online
	}
	w.mu.Lock()
	account := w.account
	w.mu.Unlock()
	if account == "" || info.IsGroup || !personChat(info.Chat) || info.Chat.User == account || e.IsEdit {
		return true // groups, the note-to-self chat, corrections: nobody to take over
	}
	if w.sentByBot(info.ID) {
		return true // our own reply, seen again
	}
	contact, err := w.chatContact(info)
	if err != nil {
		w.log.Error("chat of an own message not resolved; not acknowledged", "msg_id", info.ID, "err", redact.Phones(err.Error()))
		return false
	}
	if contact == "+"+account {
		return true // the note-to-self chat, addressed by the account's LID
	}
	if exp, ok := ephemeralSetting(e.Message); ok {
		w.storeExpiration(account, contact, exp)
		return true
	}
	c := messageContent(e.Message)
	if c.kind == "" || c.kind == flow.KindReaction {
		return true // reactions, deletions, key exchange: not a person answering
	}
	ctx := w.runCtx()
	if handBackWords[strings.ToLower(strings.Trim(c.text, " \t\n.!¡¿?*"))] {
		back, err := w.store.HandBack(ctx, WhatsAppChannel, account, contact, store.HandBackPhone)
		if err != nil {
			w.log.Error("chat not handed back; not acknowledged", "msg_id", info.ID, "err", err)
			return false
		}
		if back {
			w.log.Info("an advisor gave the chat back to the bot from the phone", "msg_id", info.ID)
		}
		return true
	}
	t, err := w.store.TakeOver(ctx, WhatsAppChannel, account, contact, info.ID, info.Timestamp)
	if err != nil {
		w.log.Error("takeover not stored; not acknowledged", "msg_id", info.ID, "err", err)
		return false
	}
	if t.Started {
		w.log.Info("an advisor wrote from the agency's phone: the bot leaves this chat until \"reiniciar\"",
			"msg_id", info.ID, "lead_id", t.LeadID, "from_phone", info.Sender.Device == 0)
	}
	return true
}

// chatContact is the contact key of the person in a chat the agency wrote
// to: the phone number when WhatsApp gave it alongside a LID.
func (w *WhatsApp) chatContact(info types.MessageInfo) (string, error) {
	chat := info.Chat.ToNonAD()
	if chat.Server == types.HiddenUserServer && info.RecipientAlt.Server == types.DefaultUserServer {
		chat = info.RecipientAlt.ToNonAD()
	}
	return w.resolve(chat)
}

// ephemeralSetting reports a change of the chat's disappearing-messages
// timer (a protocol message, from either side).
func ephemeralSetting(m *waE2E.Message) (time.Duration, bool) {
	p := m.GetProtocolMessage()
	if p == nil || p.GetType() != waE2E.ProtocolMessage_EPHEMERAL_SETTING {
		return 0, false
	}
	return time.Duration(p.GetEphemeralExpiration()) * time.Second, true
}

// contextInfo is the ContextInfo of m's content, nil when it has none.
func contextInfo(m *waE2E.Message) *waE2E.ContextInfo {
	type withContext interface{ GetContextInfo() *waE2E.ContextInfo }
	for _, c := range []withContext{m.GetExtendedTextMessage(), m.GetImageMessage(), m.GetVideoMessage(),
		m.GetDocumentMessage(), m.GetAudioMessage(), m.GetStickerMessage(), m.GetContactMessage(),
		m.GetLocationMessage(), m.GetLiveLocationMessage(), m.GetButtonsResponseMessage(),
		m.GetTemplateButtonReplyMessage(), m.GetListResponseMessage()} {
		if ci := c.GetContextInfo(); ci != nil {
			return ci
		}
	}
	return nil
}

// rememberExpiration keeps the disappearing-messages timer of the chat a
// stored message came from: a message in such a chat is ephemeral and names
// the timer; one that is not means the chat has none.
func (w *WhatsApp) rememberExpiration(account, contact string, e *events.Message) {
	if exp, ok := ephemeralSetting(e.Message); ok {
		w.storeExpiration(account, contact, exp)
		return
	}
	exp := time.Duration(contextInfo(e.Message).GetExpiration()) * time.Second
	if e.IsEphemeral && exp == 0 {
		return // ephemeral without a readable timer: keep what is known
	}
	w.storeExpiration(account, contact, exp)
}

// storeExpiration writes the chat's timer when it changed.
func (w *WhatsApp) storeExpiration(account, contact string, exp time.Duration) {
	ctx := w.runCtx()
	old, err := w.store.ChatExpiration(ctx, WhatsAppChannel, account, contact)
	if err == nil && old == exp {
		return
	}
	if err == nil {
		err = w.store.SetChatExpiration(ctx, WhatsAppChannel, account, contact, exp)
	}
	if err != nil {
		w.log.Warn("disappearing-messages timer not stored", "err", err)
	}
}

// sentIDsKept is how long the ids of messages this process sent are kept
// to recognise them if WhatsApp shows them again.
const sentIDsKept = time.Hour

// rememberSent keeps id as one of ours for sentIDsKept.
func (w *WhatsApp) rememberSent(id types.MessageID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	for k, at := range w.sentIDs {
		if now.Sub(at) > sentIDsKept {
			delete(w.sentIDs, k)
		}
	}
	w.sentIDs[id] = now
}

// sentByBot reports whether id is a message the bot sent: one this process
// sent lately, or a reply in the outbox.
func (w *WhatsApp) sentByBot(id types.MessageID) bool {
	w.mu.Lock()
	_, mine := w.sentIDs[id]
	w.mu.Unlock()
	if mine {
		return true
	}
	_, found, err := w.store.SentReplyByExtID(w.runCtx(), WhatsAppChannel, id)
	return err == nil && found
}

// retryLookback bounds the replies searched for a resend: WhatsApp asks
// within seconds to minutes of a failed decryption.
const retryLookback = 24 * time.Hour

// MessageForRetry is whatsmeow's GetMessageForRetry: a recipient's phone
// could not decrypt a message and asks for it again, and whatsmeow no
// longer holds it in memory (a restart since). The reply comes from the
// outbox, found by the id it was sent under (or, for a reply whose send was
// never confirmed, by the id that derives from its row), and is rebuilt as
// it was sent. nil: not ours, or its text is gone (retention).
func (w *WhatsApp) MessageForRetry(requester, to types.JID, id types.MessageID) *waE2E.Message {
	ctx, cancel := context.WithTimeout(w.runCtx(), 10*time.Second)
	defer cancel()
	r, found, err := w.store.SentReplyByExtID(ctx, WhatsAppChannel, id)
	if err == nil && !found {
		r, found, err = w.recentReply(ctx, to, requester, id)
	}
	if err != nil {
		w.log.Warn("resend asked for; the outbox could not be read", "msg_id", id, "err", redact.Phones(err.Error()))
		return nil
	}
	if !found {
		w.log.Info("resend asked for a message the outbox does not hold", "msg_id", id)
		return nil
	}
	w.log.Info("resending a reply a recipient's phone asked for again", "msg_id", id, "outbox_id", r.ID)
	return w.textMessage(ctx, r.Account, r.To, r.Body)
}

// recentReply looks for the reply sent as id among the latest ones to the
// person in chat to (or requester): one whose send was interrupted has no
// ext_id yet, but its id derives from its row.
func (w *WhatsApp) recentReply(ctx context.Context, to, requester types.JID, id types.MessageID) (store.SentReply, bool, error) {
	w.mu.Lock()
	account := w.account
	w.mu.Unlock()
	for _, jid := range []types.JID{to, requester} {
		if jid.IsEmpty() || !personChat(jid) {
			continue
		}
		contact, err := w.resolve(jid.ToNonAD())
		if err != nil {
			return store.SentReply{}, false, err
		}
		rs, err := w.store.RecentReplies(ctx, WhatsAppChannel, account, contact, w.now().Add(-retryLookback), 200)
		if err != nil {
			return store.SentReply{}, false, err
		}
		for _, r := range rs {
			if stableID(r.Account, r.ID) == id {
				return r, true, nil
			}
		}
	}
	return store.SentReply{}, false, nil
}
