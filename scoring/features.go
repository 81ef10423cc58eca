package scoring

import (
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring/learn"
)

// leadFields are the production model's inputs. Only what the bot knows
// when a conversation finishes may be a feature. A bundle stores its own
// inputs, so older bundles (an earlier list) still load: see knownFields.
var leadFields = []learn.Column{
	{Name: "budget", Kind: learn.Numeric},         // log10 of the monthly budget midpoint, COP
	{Name: "budget_unknown", Kind: learn.Numeric}, // 1 when the prospect said "no sé"
	{Name: "urgency", Kind: learn.Numeric},        // 3 immediate … 0 exploring
	{Name: "month", Kind: learn.Numeric},          // 1–12, America/Bogota (seasonality)
	{Name: "city", Kind: learn.Categorical},       // DANE code, or "foreign"
	{Name: "department", Kind: learn.Categorical},
	{Name: "service", Kind: learn.Categorical},
	{Name: "source", Kind: learn.Categorical}, // campaign or channel source
}

// CandidateFields returns the conversation features measured against
// leadFields (a copy: the list is fixed).
func CandidateFields() []learn.Column { return slices.Clone(candidateFields) }

// candidateFields are conversation features measured against leadFields
// on the time-ordered hold-out (FieldTrial); one joins leadFields only if it
// helps there (docs/models.md has the figures).
var candidateFields = []learn.Column{
	{Name: "hour", Kind: learn.Numeric},            // hour of the first message, Bogotá; missing for date-only history
	{Name: "weekday", Kind: learn.Numeric},         // 1 Monday … 7 Sunday, of the first message
	{Name: "city_rate", Kind: learn.TargetRate},    // the city's smoothed conversion rate in the training rows
	{Name: "service_rate", Kind: learn.TargetRate}, // the service's, likewise
	// Engagement (flow.Lead.Engagement): missing for imported history.
	{Name: "retries", Kind: learn.Numeric},      // answers the bot did not understand
	{Name: "answer_speed", Kind: learn.Numeric}, // log10(1 + seconds from consent to the last answer)
	{Name: "returning", Kind: learn.Numeric},    // 1 when the contact already had a lead
}

// fieldValue gives a lead's value of each known field as text, "" when
// missing. History and live leads go through the same functions.
var fieldValue = map[string]func(l flow.Lead) string{
	"budget": func(l flow.Lead) string {
		if v, ok := budgetLog(l); ok {
			return strconv.FormatFloat(v, 'f', 4, 64)
		}
		return ""
	},
	"budget_unknown": func(l flow.Lead) string {
		if l.Budget.Unknown {
			return "1"
		}
		return "0"
	},
	"urgency": func(l flow.Lead) string { return urgencyLevel[l.Urgency] },
	"month": func(l flow.Lead) string {
		if at := l.CompletedAt; !at.IsZero() {
			return strconv.Itoa(int(at.In(bogota).Month()))
		}
		return ""
	},
	"city":         cityValue,
	"city_rate":    cityValue,
	"department":   func(l flow.Lead) string { return l.City.Department },
	"service":      func(l flow.Lead) string { return l.Service },
	"service_rate": func(l flow.Lead) string { return l.Service },
	"source":       func(l flow.Lead) string { return l.Source },
	"hour": func(l flow.Lead) string {
		if at, ok := firstMessage(l); ok {
			return strconv.Itoa(at.Hour())
		}
		return ""
	},
	"retries": func(l flow.Lead) string {
		if g := l.Engagement; g != nil {
			return strconv.Itoa(g.Retries)
		}
		return ""
	},
	"answer_speed": func(l flow.Lead) string {
		if v, ok := answerSpeed(l); ok {
			return strconv.FormatFloat(v, 'f', 4, 64)
		}
		return ""
	},
	"returning": func(l flow.Lead) string {
		if g := l.Engagement; g != nil {
			if g.Returning {
				return "1"
			}
			return "0"
		}
		return ""
	},
	"weekday": func(l flow.Lead) string {
		if at, ok := firstMessage(l); ok {
			return strconv.Itoa((int(at.Weekday())+6)%7 + 1)
		}
		return ""
	},
}

// fieldNumber gives the value of a numeric field that fieldValue prints
// as the number that text reads back as, without printing it to a string
// and parsing it again (scoring a lead allocates nothing, and spends its
// time in the trees). ok is false when missing.
// TestFieldNumberReadsAsFieldValue holds the two to the same bits.
var fieldNumber = map[string]func(l flow.Lead) (float64, bool){
	"budget":       func(l flow.Lead) (float64, bool) { return round4(budgetLog(l)) },
	"answer_speed": func(l flow.Lead) (float64, bool) { return round4(answerSpeed(l)) },
	"budget_unknown": func(l flow.Lead) (float64, bool) {
		if l.Budget.Unknown {
			return 1, true
		}
		return 0, true
	},
	"urgency": func(l flow.Lead) (float64, bool) {
		v, ok := urgencyNumber[l.Urgency]
		return v, ok
	},
	"month": func(l flow.Lead) (float64, bool) {
		if at := l.CompletedAt; !at.IsZero() {
			return float64(at.In(bogota).Month()), true
		}
		return 0, false
	},
}

// budgetLog is log10 of the budget's midpoint in COP.
func budgetLog(l flow.Lead) (float64, bool) {
	if mid := l.Budget.MinCOP/2 + l.Budget.MaxCOP/2; !l.Budget.Unknown && mid > 0 {
		return math.Log10(float64(mid)), true
	}
	return 0, false
}

// answerSpeed is log10(1 + seconds from the consent to the last answer).
func answerSpeed(l flow.Lead) (float64, bool) {
	if g := l.Engagement; g != nil && g.Seconds >= 0 {
		return math.Log10(1 + float64(g.Seconds)), true
	}
	return 0, false
}

// round4 is v printed with 4 decimals and read back, as the text of
// fieldValue is, through buffers on the stack.
func round4(v float64, ok bool) (float64, bool) {
	if !ok {
		return 0, false
	}
	var buf [32]byte
	f, err := strconv.ParseFloat(string(strconv.AppendFloat(buf[:0], v, 'f', 4, 64)), 64)
	return f, err == nil
}

func cityValue(l flow.Lead) string {
	if l.City.Foreign {
		return "foreign"
	}
	return l.City.Code
}

// firstMessage is when the prospect first wrote, in Bogotá time. A history
// row imported with a date only (midnight exactly) has no time of day: that
// is missing, not "0 h".
func firstMessage(l flow.Lead) (time.Time, bool) {
	at := l.StartedAt
	if at.IsZero() {
		return at, false
	}
	at = at.In(bogota)
	if at.Hour() == 0 && at.Minute() == 0 && at.Second() == 0 && at.Nanosecond() == 0 {
		return at, false
	}
	return at, true
}

// knownFields are every field this build can compute, for validating a
// bundle's inputs.
var knownFields = func() map[string]learn.Kind {
	m := map[string]learn.Kind{}
	for _, f := range append(append([]learn.Column(nil), leadFields...), candidateFields...) {
		m[f.Name] = f.Kind
	}
	return m
}()

// minLevelCount pools cities, services or sources seen fewer times than
// this in training into "(other)", so a town with three leads does not get
// a column of its own.
const minLevelCount = 20

var urgencyLevel = map[flow.Urgency]string{flow.Immediate: "3", flow.ThisMonth: "2", flow.OneToThreeMonths: "1", flow.Exploring: "0"}

// urgencyNumber is urgencyLevel as numbers (fieldNumber).
var urgencyNumber = map[flow.Urgency]float64{flow.Immediate: 3, flow.ThisMonth: 2, flow.OneToThreeMonths: 1, flow.Exploring: 0}

var bogota = flow.Bogota()

// rawLead gives the lead's value of each field as text, "" when missing.
func rawLead(l flow.Lead, fields []learn.Column, raw []string) []string {
	raw = raw[:0]
	for _, f := range fields {
		raw = append(raw, fieldValue[f.Name](l))
	}
	return raw
}

// Schema is the feature schema of a model: the fields, the encoder learned
// at training time (medians, category levels) and the city names seen, for
// explanations. Columns are the vector positions' names.
type Schema struct {
	Encoder   learn.Encoder     `json:"encoder"`
	CityNames map[string]string `json:"city_names"`
	Columns   []string          `json:"columns"`
}

// init rebuilds the encoder's lookups after decoding.
func (s *Schema) init() { s.Encoder.Init() }

// Features turns a lead into the model's vector: the one function used at
// training and at scoring time. It always returns len(s.Columns) values;
// missing values take the training median, unseen categories "(other)".
func Features(l flow.Lead, s *Schema) []float64 {
	x := make([]float64, s.Encoder.Width)
	var buf [16]string
	s.Encoder.Encode(rawLead(l, s.Encoder.Inputs, buf[:0]), x)
	return x
}
