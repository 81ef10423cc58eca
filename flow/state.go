package flow

import "time"

// StateVersion is the layout of State written by this build. store saves it
// with every row so that an older row can be upgraded when the layout changes.
const StateVersion = 1

// Status is where a conversation stands as a whole.
type Status string

// Conversation statuses. Only InProgress conversations are asked questions.
const (
	InProgress Status = "in_progress"
	Completed  Status = "completed"
	Abandoned  Status = "abandoned" // idle too long; answers kept, resumes if the prospect writes again
	Refused    Status = "refused"   // said no to the data-processing consent
	Handoff    Status = "handoff"   // asked for a person; the bot stays silent
	OptedOut   Status = "opted_out" // asked not to be written to again
)

// Stage is the question a conversation is waiting on.
type Stage string

// Stages of the conversation, in order. The "…Pick"/"…Confirm" steps are
// follow-ups that refine the answer to the step before them.
const (
	StageGreeting      Stage = "greeting"
	StageConsent       Stage = "consent"
	StageName          Stage = "name"
	StageCity          Stage = "city"
	StageCityPick      Stage = "city_pick"      // several municipalities share the name
	StageCityIn        Stage = "city_in"        // a department was named: which municipality?
	StageCityForeign   Stage = "city_foreign"   // not found in Colombia: is it abroad?
	StageBudget        Stage = "budget"         // COP per month
	StageBudgetConfirm Stage = "budget_confirm" // implausible amount: confirm it
	StageUrgency       Stage = "urgency"
	StageService       Stage = "service"
	StagePhone         Stage = "phone"   // a number to call back, when the channel's address is none
	StageConfirm       Stage = "confirm" // answers taken from other messages are confirmed before completing
	StageDone          Stage = "done"
)

// Answers holds what the prospect has told so far. Zero values mean "not yet".
type Answers struct {
	Name    string   `json:"name,omitempty"`
	City    *City    `json:"city,omitempty"`
	Budget  *Budget  `json:"budget,omitempty"`
	Urgency Urgency  `json:"urgency,omitempty"`
	Service string   `json:"service,omitempty"`
	Others  []string `json:"others,omitempty"` // further services named after the first, for the advisor
	Phone   string   `json:"phone,omitempty"`  // a callback number given in the chat, E.164
}

// Pending holds a half-understood answer while a follow-up is asked.
type Pending struct {
	Candidates []City  `json:"candidates,omitempty"` // StageCityPick
	DeptCode   string  `json:"dept_code,omitempty"`  // StageCityIn
	DeptName   string  `json:"dept_name,omitempty"`
	Place      string  `json:"place,omitempty"`  // StageCityForeign: the text typed
	Budget     *Budget `json:"budget,omitempty"` // StageBudgetConfirm
	Back       Stage   `json:"back,omitempty"`   // the main step the follow-up belongs to
	Region     string  `json:"region,omitempty"` // StageCityPick: the region named (its first key), not a shared name
	Fix        bool    `json:"fix,omitempty"`    // StageConfirm: "which answer?" was asked
}

// State is one conversation, as store saves it between messages. It is plain
// data: Step reads one and returns the next.
type State struct {
	Version int     `json:"version"`
	Status  Status  `json:"status"`
	Stage   Stage   `json:"step"`
	Lang    string  `json:"lang"`
	Answers Answers `json:"answers"`
	// Held are answers read from messages before the consent was given:
	// kept only here, moved into Answers (and confirmed before the lead is
	// completed) when the consent is given, dropped when it is refused.
	Held Answers `json:"held,omitzero"`
	// Prefilled lists the answers taken from messages that answered
	// another question; they are confirmed in one message (StageConfirm)
	// before the lead is completed.
	Prefilled  []Stage `json:"prefilled,omitempty"`
	Last       Stage   `json:"last,omitempty"`        // the last question answered: what a bare correction changes
	PhoneAsked bool    `json:"phone_asked,omitempty"` // the optional callback number was asked once
	Pending    Pending `json:"pending,omitzero"`
	Failures   int     `json:"failures,omitempty"` // failed answers to the current question
	Retries    int     `json:"retries,omitempty"`  // failed answers to every question, consent included; a restart clears it
	MenuShown  bool    `json:"menu_shown,omitempty"`

	ConsentPolicy string    `json:"consent_policy,omitempty"` // policy version accepted
	ConsentAt     time.Time `json:"consent_at,omitzero"`
	ConsentAsked  time.Time `json:"consent_asked,omitzero"` // when the consent text was last queued
	BurstFrom     time.Time `json:"burst_from,omitzero"`    // StepBurst: when the current burst began
	// EarlyAnswer: a yes or no came before the consent text last queued
	// could be read, and the person was told it does not count yet
	// (consent.go, earlyAnswer); cleared when the text is queued again.
	EarlyAnswer bool `json:"early_answer,omitempty"`

	// NonTextAt is the question at which a message the bot cannot read (an
	// image, a sticker, a voice note without transcription) last got the
	// polite request to write. The channel layer (bot) sends that request
	// once per question, not once per message; a text clears it.
	NonTextAt Stage `json:"non_text_at,omitempty"`

	StartedAt   time.Time `json:"started_at,omitzero"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
	CompletedAt time.Time `json:"completed_at,omitzero"`

	Score    *Score        `json:"score,omitempty"`
	Deadline time.Time     `json:"deadline,omitzero"` // contact promised before this instant (UTC)
	Window   time.Duration `json:"window,omitempty"`
	Reminded bool          `json:"reminded,omitempty"` // a message after completion was answered once
	Chats    int           `json:"chats,omitempty"`    // small-talk replies after completion
	Handoffs int           `json:"handoffs,omitempty"`

	// Contact is what the store knows of the person beyond this
	// conversation. The store fills it in before every step and does not
	// save it: it is a fact of the moment, not of the conversation.
	Contact Contact `json:"-"`
}

// Contact holds the facts about a person that only the store knows. A lead
// completed in the step carries them, so the scorer sees the very values
// the lead is saved with and later trained on.
type Contact struct {
	Returning bool      // the person already left a lead, on any account
	Referral  *Referral // the first ad or tagged link the person came from (this message's included); nil when none
	// Staffing, when set, is who can work a lead completed in this step
	// (the advisors the store loaded in the message's transaction); nil:
	// the deadline counts on the agency's calendar alone.
	Staffing Staffing
}

// Staffing turns the class's window into the contact deadline given who
// is on shift (issue 20): the later of now + window on the agency's clock
// and the first moment an advisor eligible for the lead is available +
// window. The store implements it with flow/assign over a snapshot of the
// advisors, and assigns the lead with the same rule in the same
// transaction, so the deadline promised is the one stored and worked to.
type Staffing interface {
	Deadline(now time.Time, l Lead, class Class, window time.Duration) time.Time
}

// Kind is the type of an inbound message.
type Kind string

// Message kinds the channels report. Anything but KindText and KindLocation
// gets a polite request to write.
const (
	KindText     Kind = "text"
	KindLocation Kind = "location"
	KindAudio    Kind = "audio"
	KindImage    Kind = "image"
	KindVideo    Kind = "video"
	KindSticker  Kind = "sticker"
	KindDocument Kind = "document"
	KindContact  Kind = "contact"
	KindReaction Kind = "reaction"
	KindOther    Kind = "other"
)

// Location is a point shared in the chat.
type Location struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Inbound is one message from a prospect, as every channel reports it.
type Inbound struct {
	Channel  string    // "whatsapp", "cloudapi", "webchat", "chat"
	Account  string    // the agency number or channel account it was sent to
	ID       string    // the channel's message ID: the deduplication key
	From     string    // E.164 phone, or a web-chat session key
	Kind     Kind      //
	Text     string    //
	Location *Location // KindLocation only
	At       time.Time // when the prospect sent it (provider timestamp)
	Referral *Referral // click-to-WhatsApp ad data, usually on the first message only
	// ProviderTime says At was set by the provider (WhatsApp), not by our
	// clock: a message older than one already applied is then known to be
	// late and is not taken as an answer (RELIABILITY F5). Channels stamped
	// by our own clock leave it false: that clock may step back.
	ProviderTime bool
	// Choice is the id of the menu option the prospect tapped (a Cloud API
	// button or list reply), when the channel reports one. Text then holds
	// the option's title as a fallback: the flow reads Choice first.
	Choice string
	// NoPhone says From is not a phone number the agency can call (a web
	// chat session key, a WhatsApp business-scoped user ID): the flow then
	// asks for a number to call back (required on the web chat, optional
	// elsewhere) and returns it in Lead.CallbackPhone.
	NoPhone bool
}

// Referral is the ad or post a prospect tapped before writing (WhatsApp's
// click-to-WhatsApp data), or the UTM tag of a web-chat link. The store
// keeps every one it receives; a lead's source is the person's first
// (Contact.Referral, Referral.Source).
type Referral struct {
	SourceType string `json:"source_type,omitempty"` // "ad" or "post"
	SourceID   string `json:"source_id,omitempty"`
	SourceURL  string `json:"source_url,omitempty"`
	Headline   string `json:"headline,omitempty"`
	CtwaClid   string `json:"ctwa_clid,omitempty"`
}

// Reply is one message the bot sends back. Key names the catalogue entry so
// tests can assert on meaning rather than wording.
type Reply struct {
	Key  string `json:"key"`
	Text string `json:"text"`
	// Menu, when set, lists the choices this reply offers. Text always
	// carries them as a numbered menu too, so a channel without native
	// controls (the linked device) sends Text alone; the Cloud API renders
	// Menu as reply buttons or a list message, and the web chat as buttons.
	Menu *Menu `json:"menu,omitempty"`
}

// MenuKind says how a channel with native controls should show a menu.
type MenuKind string

// Menu kinds, after the Cloud API's interactive message types.
const (
	MenuButtons MenuKind = "buttons" // up to 3 reply buttons, titles of at most 20 characters
	MenuList    MenuKind = "list"    // up to 10 rows, titles of at most 24, descriptions of at most 72
)

// Menu is the set of choices a reply offers.
type Menu struct {
	Kind    MenuKind `json:"kind"`
	Button  string   `json:"button,omitempty"` // the label that opens a list
	Options []Option `json:"options"`
}

// Option is one choice of a menu. ID comes back in Inbound.Choice when the
// prospect taps it; Title is what they see.
type Option struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// EventKind names something that happened in a conversation that another
// part of the system must act on.
type EventKind string

// Events emitted by Step.
const (
	EventConsent         EventKind = "consent"          // Consent is set (accepted or refused)
	EventLeadCompleted   EventKind = "lead_completed"   // Lead and Score are set
	EventHandoff         EventKind = "handoff"          // an advisor must take over
	EventOptedOut        EventKind = "opted_out"        //
	EventDataRequest     EventKind = "data_request"     // Request is set
	EventAbandoned       EventKind = "abandoned"        //
	EventAfterCompletion EventKind = "after_completion" // a message arrived after the lead was done
	EventRestarted       EventKind = "restarted"        //
	// EventAskedForCall: after the promised time the prospect asked when
	// they will be called. Deadline is the new time the bot gave them; the
	// queue shows that the prospect asked.
	EventAskedForCall EventKind = "asked_for_call"
)

// Data-rights requests a prospect can make from the chat (Ley 1581).
const (
	RequestAccess  = "access"  // "mis datos"
	RequestCorrect = "correct" // "corregir"
	RequestDelete  = "delete"  // "borrar mis datos"
)

// Consent is the evidence of a consent answer (RELIABILITY C-2).
type Consent struct {
	Accepted      bool   `json:"accepted"`
	PolicyVersion string `json:"policy_version"`
	Lang          string `json:"lang"`
	Text          string `json:"text"`   // the exact consent text shown
	Answer        string `json:"answer"` // the exact answer typed
	// Early is the line for an answer that came before the consent text
	// had left (store/consent.go): it does not count yet, please answer
	// again. In the conversation's language; not evidence, not stored.
	Early string `json:"-"`
}

// Event is one thing for the rest of the system to act on.
type Event struct {
	Kind     EventKind `json:"kind"`
	Lead     *Lead     `json:"lead,omitempty"`
	Score    *Score    `json:"score,omitempty"`
	Deadline time.Time `json:"deadline,omitzero"`
	Consent  *Consent  `json:"consent,omitempty"`
	Request  string    `json:"request,omitempty"`
}

// Result is what one Step returns: the state to save, the replies to send,
// and the events to act on.
type Result struct {
	State   State
	Replies []Reply
	Events  []Event
	// Withdraw lists reply keys that this result makes moot: replies with
	// these keys queued earlier in the same burst and not yet sent are not
	// to be sent (StepBurst). Empty outside a burst.
	Withdraw []string
}
