package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// Who a Cloud API webhook is about. Since April 2026 Meta names every
// WhatsApp user by a business-scoped user id (BSUID, "CO.1502576394655843")
// besides the phone, and withholds the phone of a person who adopted a
// username: such a person is known by the BSUID alone until they share a
// number. Field names follow Meta's "Business-scoped user IDs" page and
// webhook references (contacts[].user_id, parent_user_id, profile.username;
// statuses[].recipient_user_id; the contact-request reply); where a name
// could not be confirmed in the stored documentation (messages[].from_user_id,
// the user_id_update payload) the parser also accepts what the contacts
// array says; the README's "WhatsApp usernames" section lists which.

// sharedCard is one contact card of a "contacts" message.
type sharedCard struct {
	Phones []struct {
		Phone string `json:"phone"`
		WaID  string `json:"wa_id"`
	} `json:"phones"`
}

// cloudSystem is a system message: Meta telling that a user changed their
// number (user_changed_number) or their BSUID (user_changed_user_id). It is
// never a prospect's message.
type cloudSystem struct {
	Type      string `json:"type"`
	WaID      string `json:"wa_id"`
	UserID    string `json:"user_id"`
	NewUserID string `json:"new_user_id"`
}

// cloudIDUpdate is one entry of the user_id_update webhook field: a
// person's BSUID changed (it does when they change their number). Meta's
// page names the event but its payload was not in the stored documentation;
// the previous/current pairs below are the shape read, and an entry without
// both ids is refused (kept as a dead letter for the operator) rather than
// guessed.
type cloudIDUpdate struct {
	UserID       idPair `json:"user_id"`
	ParentUserID idPair `json:"parent_user_id"`
}

// idPair is an identifier before and after a change.
type idPair struct {
	Previous string `json:"previous"`
	Current  string `json:"current"`
}

// idMove is a person's BSUID change (store.MoveBSUID) or, with phone set,
// their change of number (store.MovePhone).
type idMove struct {
	old, new, parent string
	phone            bool
}

// sender is who sent m: the phone when Meta gave it, and the BSUID,
// parent BSUID and username from the message or its contacts entry.
func (v cloudValue) sender(m cloudMessage) (store.CloudIdentity, error) {
	var who store.CloudIdentity
	if m.From != "" {
		if !allDigits(m.From) {
			return who, errors.New("sender is not a phone number")
		}
		who.Phone = "+" + m.From
	}
	c := v.contactOf(m.From, m.FromUserID)
	who.BSUID, who.ParentBSUID, who.Username = first(m.FromUserID, c.UserID), first(m.FromParentUserID, c.ParentUserID), c.Profile.Username
	if who.Phone == "" && who.BSUID == "" {
		return who, errors.New("message without sender")
	}
	if who.BSUID != "" && !store.LooksLikeBSUID(who.BSUID) {
		return who, errors.New("sender user_id is not a BSUID")
	}
	if who.ParentBSUID != "" && !store.LooksLikeBSUID(who.ParentBSUID) {
		who.ParentBSUID = "" // display data only: a malformed one is dropped, the message kept
	}
	if len(who.Username) > 100 {
		who.Username = ""
	}
	return who, nil
}

// contactOf is the contacts entry of the person with phone digits waID or
// BSUID userID; with a single entry, that one.
func (v cloudValue) contactOf(waID, userID string) cloudContact {
	for _, c := range v.Contacts {
		if (userID != "" && c.UserID == userID) || (waID != "" && c.WaID == waID) {
			return c
		}
	}
	if len(v.Contacts) == 1 && (userID == "" || v.Contacts[0].UserID == "") {
		return v.Contacts[0]
	}
	return cloudContact{}
}

// recipient is who status s was about, when Meta named them by BSUID: a
// status of a reply the bot addressed by BSUID may reveal the phone (and
// the reverse), and delivered/read statuses carry the username.
func (v cloudValue) recipient(s cloudStatus) (store.CloudIdentity, bool) {
	c := v.contactOf(s.RecipientID, s.RecipientUserID)
	who := store.CloudIdentity{BSUID: first(s.RecipientUserID, c.UserID), ParentBSUID: first(s.RecipientParentUserID, c.ParentUserID),
		Username: c.Profile.Username}
	if !store.LooksLikeBSUID(who.BSUID) {
		return who, false
	}
	if allDigits(s.RecipientID) {
		who.Phone = "+" + s.RecipientID
	}
	if !store.LooksLikeBSUID(who.ParentBSUID) {
		who.ParentBSUID = ""
	}
	if len(who.Username) > 100 {
		who.Username = ""
	}
	return who, true
}

// addSystem reads a system message: a change of number or of BSUID moves
// the person (the old identity is the sender's); other system notices are
// acknowledged and not answered.
func (d *delivery) addSystem(m cloudMessage, who store.CloudIdentity) error {
	if m.System == nil {
		return nil
	}
	switch m.System.Type {
	case "user_changed_number":
		if who.Phone == "" || !allDigits(m.System.WaID) {
			return errors.New("user_changed_number without the old and new number")
		}
		d.moves = append(d.moves, idMove{old: who.Phone, new: "+" + m.System.WaID, phone: true})
		return nil
	case "user_changed_user_id":
	default:
		return nil
	}
	next := first(m.System.NewUserID, m.System.UserID)
	if who.BSUID == "" || next == "" || next == who.BSUID {
		return errors.New("user_changed_user_id without the old and new user id")
	}
	if !store.LooksLikeBSUID(next) {
		return errors.New("user_changed_user_id: new user id is not a BSUID")
	}
	d.moves = append(d.moves, idMove{old: who.BSUID, new: next})
	return nil
}

// addMoves reads a user_id_update change.
func (d *delivery) addMoves(v cloudValue) error {
	if len(v.UserIDUpdate) == 0 {
		return errors.New("user_id_update without entries")
	}
	for i, u := range v.UserIDUpdate {
		old, next := u.UserID.Previous, u.UserID.Current
		if !store.LooksLikeBSUID(old) || !store.LooksLikeBSUID(next) {
			return fmt.Errorf("user_id_update %d: without previous and current user id", i)
		}
		parent := u.ParentUserID.Current
		if !store.LooksLikeBSUID(parent) {
			parent = ""
		}
		d.moves = append(d.moves, idMove{old: old, new: next, parent: parent})
	}
	return nil
}

// sharedNumber reads a "contacts" message. A card shared through the
// contact-request button is the person's own WhatsApp number: it identifies
// them (who.Phone, which merges the BSUID-only contact into the phone's) and
// answers the bot's question for a number as if typed. Any other card may
// be anyone's: it reaches the flow as a contact with the number as its text,
// for the flow to take as a callback number, and identifies nobody.
func sharedNumber(m cloudMessage, in *flow.Inbound, who *store.CloudIdentity) {
	own := m.Origin == "contact_request"
	phone := ""
	for _, c := range m.Contacts {
		for _, p := range c.Phones {
			if phone = cardPhone(p.WaID, p.Phone, own); phone != "" {
				break
			}
		}
		if phone != "" {
			break
		}
	}
	if phone == "" {
		return
	}
	in.Text = phone
	if own {
		in.Kind = flow.KindText
		if who.Phone == "" {
			who.Phone = phone
		}
	}
}

// cardPhone is a card's number in E.164: the wa_id digits when WhatsApp
// gave them, else the written number when it carries its country code
// ("+57 300 123 4567") or is the person's own WhatsApp number (own: always
// international, "573001234567"); "" otherwise.
func cardPhone(waID, written string, own bool) string {
	if allDigits(waID) && len(waID) >= 8 && len(waID) <= 15 {
		return "+" + waID
	}
	t := strings.TrimSpace(written)
	if !strings.HasPrefix(t, "+") && !own {
		return ""
	}
	digits := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return r
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' || r == '+':
			return -1
		}
		return 'x'
	}, t)
	if !allDigits(digits) || len(digits) < 8 || len(digits) > 15 {
		return ""
	}
	return "+" + digits
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// identityStore is the part of *store.Store that keeps who the Cloud API's
// people are.
type identityStore interface {
	IdentifyCloud(ctx context.Context, who store.CloudIdentity) (string, error)
	SeenCloud(ctx context.Context, who store.CloudIdentity) error
	MoveBSUID(ctx context.Context, old, bsuid, parent string) error
	MovePhone(ctx context.Context, old, phone string) error
}

// receive stores one message under its sender's contact and runs the flow.
// A person without a callable number (known by BSUID only) is NoPhone: the
// flow may ask for a number to call back.
func (c *CloudAPI) receive(ctx context.Context, in flow.Inbound, who store.CloudIdentity, media string) error {
	key, err := c.store.IdentifyCloud(ctx, who)
	if err != nil {
		c.log.Error("sender not identified; message not stored", "msg_id", in.ID, "err", err)
		return err
	}
	in.From = key
	return c.receiveOne(ctx, in, media) // cloudapi_media.go: voice notes wait for their transcription
}

// move applies changes of BSUID and of number.
func (c *CloudAPI) move(ctx context.Context, moves []idMove) error {
	for _, m := range moves {
		var err error
		if m.phone {
			err = c.store.MovePhone(ctx, m.old, m.new)
		} else {
			err = c.store.MoveBSUID(ctx, m.old, m.new, m.parent)
		}
		if err != nil {
			c.log.Error("bsuid change not stored", "err", err)
			return err
		}
	}
	return nil
}

// seen records what statuses showed about the people the bot wrote to.
func (c *CloudAPI) seen(ctx context.Context, people []store.CloudIdentity) error {
	for _, who := range people {
		if err := c.store.SeenCloud(ctx, who); err != nil {
			c.log.Error("status identity not stored", "err", err)
			return err
		}
	}
	return nil
}
