package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// The Cloud API webhook payload (Meta's "messages" field), only the parts
// the bot reads. One delivery may hold several entries, changes, messages
// and statuses.
type cloudPayload struct {
	Object string `json:"object"`
	Entry  []struct {
		ID      string `json:"id"`
		Changes []struct {
			Field string     `json:"field"`
			Value cloudValue `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

type cloudValue struct {
	Metadata struct {
		PhoneNumberID string `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts     []cloudContact  `json:"contacts"`
	Messages     []cloudMessage  `json:"messages"`
	Statuses     []cloudStatus   `json:"statuses"`
	UserIDUpdate []cloudIDUpdate `json:"user_id_update"`
}

// cloudContact is who a message or status is about. Since 2026 Meta adds
// the business-scoped user id (user_id, always), a parent BSUID (linked
// portfolios only) and the username; wa_id, the phone, is withheld from a
// person who adopted a username (cloudapi_identity.go).
type cloudContact struct {
	WaID         string `json:"wa_id"`
	UserID       string `json:"user_id"`
	ParentUserID string `json:"parent_user_id"`
	Profile      struct {
		Name     string `json:"name"`
		Username string `json:"username"`
	} `json:"profile"`
}

type cloudMessage struct {
	From             string `json:"from"`
	FromUserID       string `json:"from_user_id"`
	FromParentUserID string `json:"from_parent_user_id"`
	// Origin says where a "contacts" message came from: "contact_request"
	// when the person shared their own number through the contact-request
	// button, anything else for a card they chose to send.
	Origin      string                 `json:"origin"`
	ID          string                 `json:"id"`
	Timestamp   string                 `json:"timestamp"`
	Type        string                 `json:"type"`
	Text        *struct{ Body string } `json:"text"`
	Interactive *struct {
		Type        string `json:"type"`
		ButtonReply *struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		} `json:"button_reply"`
		ListReply *struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		} `json:"list_reply"`
	} `json:"interactive"`
	Button *struct {
		Text    string `json:"text"`
		Payload string `json:"payload"`
	} `json:"button"`
	Reaction *struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	} `json:"reaction"`
	Audio *struct {
		ID       string `json:"id"`
		MimeType string `json:"mime_type"`
		Voice    bool   `json:"voice"`
	} `json:"audio"`
	Location *struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
	} `json:"location"`
	Contacts []sharedCard `json:"contacts"`
	System   *cloudSystem `json:"system"`
	Referral *struct {
		SourceURL  string `json:"source_url"`
		SourceID   string `json:"source_id"`
		SourceType string `json:"source_type"`
		Headline   string `json:"headline"`
		CtwaClid   string `json:"ctwa_clid"`
	} `json:"referral"`
}

type cloudStatus struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	Timestamp   string `json:"timestamp"`
	BizOpaque   string `json:"biz_opaque_callback_data"`
	RecipientID string `json:"recipient_id"`
	// The recipient's BSUID, present whether the reply was addressed to it
	// or to the phone (omitted on a failed send addressed to a phone).
	RecipientUserID       string `json:"recipient_user_id"`
	RecipientParentUserID string `json:"recipient_parent_user_id"`
	Errors                []struct {
		Code  int    `json:"code"`
		Title string `json:"title"`
	} `json:"errors"`
	// Pricing is how Meta charges the message (per-message pricing since
	// July 2025): its category and whether it is billable.
	Pricing *struct {
		Billable     *bool  `json:"billable"`
		PricingModel string `json:"pricing_model"`
		Category     string `json:"category"`
		Type         string `json:"type"` // regular, free_customer_service, free_entry_point
	} `json:"pricing"`
}

// delivery is what one webhook POST carried, ready for the bot and store.
type delivery struct {
	messages []flow.Inbound
	who      []store.CloudIdentity // who[i] sent messages[i]
	statuses []store.Delivery
	seen     []store.CloudIdentity // who the statuses were about, as Meta named them
	moves    []idMove              // people whose BSUID or number changed
	media    map[string]string     // message id → Graph API media id of a voice note
}

// kinds maps Cloud API message types to the flow's kinds; a type not listed
// (unknown, unsupported, system, order, ...) is KindOther and gets the
// polite request to write.
var kinds = map[string]flow.Kind{
	"text": flow.KindText, "interactive": flow.KindText, "button": flow.KindText,
	"location": flow.KindLocation, "image": flow.KindImage, "audio": flow.KindAudio, "voice": flow.KindAudio,
	"video": flow.KindVideo, "sticker": flow.KindSticker, "document": flow.KindDocument,
	"contacts": flow.KindContact, "reaction": flow.KindReaction,
}

// parseDelivery reads a webhook body. An error means the body is not a
// delivery this build understands; the caller dead-letters it. The error
// text names the fault, never the content (it is logged).
func parseDelivery(body []byte) (delivery, error) {
	var p cloudPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return delivery{}, fmt.Errorf("bad json: %w", jsonFault(err))
	}
	if p.Object != "whatsapp_business_account" {
		return delivery{}, errors.New("object is not whatsapp_business_account")
	}
	if len(p.Entry) == 0 {
		return delivery{}, errors.New("no entry")
	}
	var d delivery
	for ei, e := range p.Entry {
		for ci, ch := range e.Changes {
			var err error
			switch ch.Field {
			case "messages":
				err = d.addMessages(ch.Value)
			case "user_id_update":
				err = d.addMoves(ch.Value)
			default:
				continue // account updates and the like: acknowledged, nothing to do
			}
			if err != nil {
				return delivery{}, fmt.Errorf("entry %d change %d %w", ei, ci, err)
			}
		}
	}
	return d, nil
}

// jsonFault keeps the kind and position of a JSON error, not the text near it.
func jsonFault(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Errorf("wrong type for field %s", te.Field)
	}
	return errors.New("cannot decode")
}

// addMessages reads a "messages" change: the prospects' messages with who
// sent them, the statuses of the bot's replies, and the BSUID changes Meta
// reports as system messages.
func (d *delivery) addMessages(v cloudValue) error {
	for mi, m := range v.Messages {
		who, err := v.sender(m)
		if err != nil {
			return fmt.Errorf("message %d: %w", mi, err)
		}
		if m.Type == "system" {
			if err := d.addSystem(m, who); err != nil {
				return fmt.Errorf("message %d: %w", mi, err)
			}
			continue
		}
		in, err := v.inbound(m, &who)
		if err != nil {
			return fmt.Errorf("message %d: %w", mi, err)
		}
		d.messages, d.who = append(d.messages, in), append(d.who, who)
		if a := m.Audio; a != nil && a.ID != "" && in.Kind == flow.KindAudio {
			if d.media == nil {
				d.media = map[string]string{}
			}
			d.media[in.ID] = a.ID
		}
	}
	for si, s := range v.Statuses {
		st, err := s.delivery()
		if err != nil {
			return fmt.Errorf("status %d: %w", si, err)
		}
		d.statuses = append(d.statuses, st)
		if who, ok := v.recipient(s); ok {
			d.seen = append(d.seen, who)
		}
	}
	return nil
}

func (v cloudValue) inbound(m cloudMessage, who *store.CloudIdentity) (flow.Inbound, error) {
	if m.ID == "" {
		return flow.Inbound{}, errors.New("message without id")
	}
	from := who.Phone
	if from == "" {
		from = store.BSUIDKey(who.BSUID) // a person who hides their number (2026 usernames)
	}
	at, err := unixSeconds(m.Timestamp)
	if err != nil {
		return flow.Inbound{}, err
	}
	in := flow.Inbound{Channel: CloudChannel, Account: v.Metadata.PhoneNumberID, ID: m.ID, From: from, At: at, ProviderTime: true}
	if in.Account == "" {
		return flow.Inbound{}, errors.New("no phone_number_id in metadata")
	}
	kind, ok := kinds[m.Type]
	if !ok {
		kind = flow.KindOther
	}
	in.Kind = kind
	switch m.Type {
	case "text":
		if m.Text != nil {
			in.Text = m.Text.Body
		}
	case "interactive":
		// The id names the option tapped; the title, what the person saw, is
		// the fallback the flow reads when it does not know the id.
		if i := m.Interactive; i != nil && i.ButtonReply != nil {
			in.Choice, in.Text = i.ButtonReply.ID, i.ButtonReply.Title
		} else if i != nil && i.ListReply != nil {
			in.Choice, in.Text = i.ListReply.ID, i.ListReply.Title
		}
	case "button": // a template's quick-reply button: its payload is the id
		if m.Button != nil {
			in.Choice, in.Text = m.Button.Payload, m.Button.Text
		}
	case "reaction": // logged with its emoji, never answered ("" when a reaction is removed)
		if m.Reaction != nil {
			in.Text = m.Reaction.Emoji
		}
	case "location":
		if m.Location == nil {
			return flow.Inbound{}, errors.New("location without coordinates")
		}
		in.Location = &flow.Location{Lat: m.Location.Latitude, Lon: m.Location.Longitude}
	case "contacts":
		sharedNumber(m, &in, who)
	}
	if r := m.Referral; r != nil {
		in.Referral = &flow.Referral{SourceType: r.SourceType, SourceID: r.SourceID, SourceURL: r.SourceURL,
			Headline: r.Headline, CtwaClid: r.CtwaClid}
	}
	return in, nil
}

func (s cloudStatus) delivery() (store.Delivery, error) {
	if s.ID == "" || s.Status == "" {
		return store.Delivery{}, errors.New("status without id")
	}
	at, err := unixSeconds(s.Timestamp)
	if err != nil {
		return store.Delivery{}, err
	}
	d := store.Delivery{ExtID: s.ID, Status: s.Status, At: at}
	if id, ok := strings.CutPrefix(s.BizOpaque, opaquePrefix); ok {
		d.Outbox, _ = strconv.ParseInt(id, 10, 64)
	}
	if len(s.Errors) > 0 {
		d.Error = fmt.Sprintf("%d %s", s.Errors[0].Code, s.Errors[0].Title)
	}
	if p := s.Pricing; p != nil && p.Category != "" {
		// Billable is false for free customer-service and entry-point
		// messages; an older payload without it is judged by its type.
		d.Category = p.Category
		d.Billable = p.Type == "" || p.Type == "regular"
		if p.Billable != nil {
			d.Billable = *p.Billable && d.Billable
		}
	}
	return d, nil
}

func unixSeconds(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, errors.New("bad timestamp")
	}
	return time.Unix(n, 0).UTC(), nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
