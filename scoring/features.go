package scoring

import (
	"math"
	"strconv"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring/learn"
)

// leadFields are the model's inputs, in the order rawLead fills them. Only
// what the bot knows when a conversation finishes may be a feature.
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

// minLevelCount pools cities, services or sources seen fewer times than
// this in training into "(other)", so a town with three leads does not get
// a column of its own.
const minLevelCount = 20

var urgencyLevel = map[flow.Urgency]string{flow.Immediate: "3", flow.ThisMonth: "2", flow.OneToThreeMonths: "1", flow.Exploring: "0"}

var bogota = func() *time.Location {
	if loc, err := time.LoadLocation("America/Bogota"); err == nil {
		return loc
	}
	return time.FixedZone("COT", -5*3600) // Colombia has no daylight saving time
}()

// rawLead gives the lead's value of each field as text, "" when missing.
func rawLead(l flow.Lead, raw []string) []string {
	raw = raw[:0]
	budget := ""
	if mid := l.Budget.MinCOP/2 + l.Budget.MaxCOP/2; !l.Budget.Unknown && mid > 0 {
		budget = strconv.FormatFloat(math.Log10(float64(mid)), 'f', 4, 64)
	}
	unknown := "0"
	if l.Budget.Unknown {
		unknown = "1"
	}
	month := ""
	if at := l.CompletedAt; !at.IsZero() {
		month = strconv.Itoa(int(at.In(bogota).Month()))
	}
	city := l.City.Code
	if l.City.Foreign {
		city = "foreign"
	}
	return append(raw, budget, unknown, urgencyLevel[l.Urgency], month, city, l.City.Department, l.Service, l.Source)
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
	var buf [8]string
	s.Encoder.Encode(rawLead(l, buf[:0]), x)
	return x
}
