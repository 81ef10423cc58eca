package flow

import "time"

// City is a normalised answer to "¿en qué ciudad estás?". A Colombian city
// carries its DANE DIVIPOLA code; a foreign one only the name typed.
type City struct {
	Code       string `json:"code"`       // DANE municipality code, 5 digits; "" when Foreign
	Name       string `json:"name"`       // display name with accents: "Santiago de Cali"
	Department string `json:"department"` // display name: "Valle del Cauca"; "" when Foreign
	Foreign    bool   `json:"foreign"`
}

// Budget is a monthly budget in Colombian pesos. A single amount has
// MinCOP == MaxCOP; a range ("entre 1 y 2 millones") keeps both ends.
type Budget struct {
	MinCOP  int64 `json:"min_cop"`
	MaxCOP  int64 `json:"max_cop"`
	Unknown bool  `json:"unknown"` // "no sé": an explicit answer, not a missing one
}

// Urgency says how soon the prospect wants the service.
type Urgency string

// The four urgency levels, in menu order.
const (
	Immediate        Urgency = "immediate"
	ThisMonth        Urgency = "this_month"
	OneToThreeMonths Urgency = "one_to_three_months"
	Exploring        Urgency = "exploring"
)

// Urgencies lists the levels in the order the menu shows them.
var Urgencies = []Urgency{Immediate, ThisMonth, OneToThreeMonths, Exploring}

// Class is the lead's temperature; it sets the contact window.
type Class string

// The three classes.
const (
	Hot  Class = "hot"
	Warm Class = "warm"
	Cold Class = "cold"
)

// Lead is the clean result of a finished conversation, the input of scoring.
type Lead struct {
	Channel string `json:"channel"`
	Account string `json:"account"` // the agency's receiving number or channel account
	Phone   string `json:"phone"`   // E.164, or the channel's address when it is not a phone
	// CallbackPhone is a number the prospect gave in the chat to be called
	// on (E.164), when the channel's address is not one (Inbound.NoPhone).
	CallbackPhone string  `json:"callback_phone,omitempty"`
	Lang          string  `json:"lang"`
	Name          string  `json:"name"`
	City          City    `json:"city"`
	Budget        Budget  `json:"budget"`
	Urgency       Urgency `json:"urgency"`
	Service       string  `json:"service"` // catalogue key
	// OtherServices are further catalogue keys the prospect named after
	// Service ("redes sociales y pauta"), for the advisor.
	OtherServices []string  `json:"other_services,omitempty"`
	Source        string    `json:"source,omitempty"`
	StartedAt     time.Time `json:"started_at"`
	CompletedAt   time.Time `json:"completed_at"`
	// Engagement is how the prospect went through the questions: known for
	// leads captured by the bot, nil for imported history (missing, not zero).
	Engagement *Engagement `json:"engagement,omitempty"`
}

// Engagement describes the conversation behind a lead rather than its
// answers: candidate scoring features (issue 8).
type Engagement struct {
	// Retries counts answers the bot did not understand and asked again
	// (the failed-answer count summed over all questions).
	Retries int `json:"retries"`
	// Seconds is the time from the consent to the last answer: how fast the
	// prospect answered the five questions.
	Seconds int64 `json:"seconds"`
	// Returning says the contact already had a lead before this one. flow
	// cannot know it; store sets it when it saves the lead.
	Returning bool `json:"returning"`
}

// Reason is one contribution to a score, for the advisor's "why".
type Reason struct {
	Feature string  `json:"feature"`
	Value   string  `json:"value"`
	Weight  float64 `json:"weight"` // signed contribution to the probability
}

// Score is what a Scorer says of a lead.
type Score struct {
	Class       Class    `json:"class"`
	Probability float64  `json:"probability"`
	Model       string   `json:"model"` // "rules" or the model bundle id
	Reasons     []Reason `json:"reasons,omitempty"`
}

// Scorer classifies a finished lead. Implementations must be safe for
// concurrent use and must not do I/O: Step calls Score inline.
type Scorer interface {
	Score(Lead) Score
}
