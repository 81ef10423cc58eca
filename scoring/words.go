package scoring

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/cis-agencia/cis/flow/messages"
)

// The product's message catalogue, and scoring's part of it: its reason.*
// keys, read without the prefix.
var (
	catalogue   = messages.Default()
	reasonTexts = catalogue.Area("reason")
)

// words says what a field's contribution means, in the advisor's language
// (es by default, en). raw is the lead's value as rawLead gives it.
// Each field that needs more than a lookup has a small method of its own.
func words(lang, field, raw string, w float64, s Schema) string {
	p := wording{lang: lang, up: w > 0}
	if key, ok := namedFields[field]; ok {
		if raw == "" {
			return p.text(key + ".unknown")
		}
		return fmt.Sprintf(p.text(key), raw) + p.trend()
	}
	switch field {
	case "base":
		return p.text("base")
	case "budget":
		return p.budget(raw)
	case "budget_unknown":
		if raw == "1" {
			return p.text("budget_unknown.1")
		}
		return p.text("budget_unknown.0")
	case "urgency":
		return p.urgency(raw)
	case "month":
		return p.month(raw)
	case "city", "city_rate":
		return p.city(raw, s)
	case "weekday":
		return p.weekday(raw)
	case "answer_speed":
		return p.answerSpeed(raw)
	case "returning":
		return p.returning(raw)
	}
	return field
}

// namedFields are the fields whose phrase names the lead's value (in place
// of %s) and then says which way it moves conversion, or says the value is
// unknown (key.unknown) when it is empty: field → catalogue key.
// "service_rate" is the target-rate encoding of the service and reads the
// same.
var namedFields = map[string]string{
	"department":   "department",
	"service":      "service",
	"service_rate": "service",
	"source":       "source",
	"hour":         "hour",
	"retries":      "retries",
}

// wording is what a phrase depends on besides the field's value: the
// advisor's language and whether the contribution raised the score.
type wording struct {
	lang string
	up   bool
}

// text is the catalogue's phrase for key in the advisor's language.
func (p wording) text(key string) string { return reasonTexts.Text(p.lang, key) }

// trend ends most phrases: which way leads like this one convert.
func (p wording) trend() string { return p.dir("trend") }

// dir is the phrase key.up when the contribution raised the score,
// key.down when it lowered it.
func (p wording) dir(key string) string {
	if p.up {
		return p.text(key + ".up")
	}
	return p.text(key + ".down")
}

func (p wording) budget(raw string) string {
	if raw == "" {
		return p.text("budget.unknown")
	}
	if p.up {
		return p.text("budget.high")
	}
	return p.text("budget.low")
}

// urgency reads the flow's urgency levels, 0 (exploring) to 3 (now).
func (p wording) urgency(raw string) string {
	switch raw {
	case "0", "1", "2", "3":
		return p.text("urgency." + raw)
	}
	return p.text("urgency.unknown")
}

// month calls a month that raised the score high season, one that lowered
// it low season.
func (p wording) month(raw string) string {
	m, _ := strconv.Atoi(raw)
	if m < 1 || m > 12 {
		return p.text("month.unknown")
	}
	name := catalogue.Month(p.lang, time.Month(m))
	if p.up {
		return fmt.Sprintf(p.text("month.high"), name)
	}
	return fmt.Sprintf(p.text("month.low"), name)
}

// city names the city as the schema spells it (raw is its key), or says it
// is abroad.
func (p wording) city(raw string, s Schema) string {
	switch raw {
	case "":
		return p.text("city.unknown")
	case "foreign":
		return fmt.Sprintf(p.text("city.foreign"), p.trend())
	}
	name := s.CityNames[raw]
	if name == "" {
		name = raw
	}
	return name + " " + p.trend()
}

// weekday reads the lead's weekday field, 1 = Monday … 7 = Sunday.
func (p wording) weekday(raw string) string {
	d, _ := strconv.Atoi(raw)
	if d < 1 || d > 7 {
		return p.text("weekday.unknown")
	}
	return fmt.Sprintf(p.text("weekday"), catalogue.Weekday(p.lang, time.Weekday(d%7))) + p.trend()
}

// answerSpeed reads the feature's log10(seconds+1) back as seconds, which
// an advisor can picture.
func (p wording) answerSpeed(raw string) string {
	v, err := strconv.ParseFloat(raw, 64)
	if raw == "" || err != nil {
		return p.text("answer_speed.unknown")
	}
	secs := strconv.FormatFloat(math.Pow(10, v)-1, 'f', 0, 64)
	return fmt.Sprintf(p.text("answer_speed"), secs) + p.trend()
}

func (p wording) returning(raw string) string {
	switch raw {
	case "1", "0":
		return p.text("returning."+raw) + p.trend()
	}
	return p.text("returning.unknown")
}

// churnWords says what a churn input's contribution means (es or en).
func churnWords(lang, field, raw string, w float64) string {
	p := wording{lang: lang, up: w > 0}
	n, _ := strconv.ParseFloat(raw, 64)
	switch field {
	case "base":
		return p.text("churn.base")
	case "tenure_months":
		return fmt.Sprintf(p.text("churn.tenure"), n) + p.dir("churn.tenure")
	case "fee":
		return p.dir("churn.fee")
	case "fee_change_90d":
		switch {
		case n > 0:
			return fmt.Sprintf(p.text("churn.fee_change.up"), 100*n)
		case n < 0:
			return p.text("churn.fee_change.down")
		}
		return p.text("churn.fee_change.none")
	case "late_payments_90d":
		if n == 0 {
			return p.text("churn.late.none")
		}
		return fmt.Sprintf(p.text("churn.late"), n)
	case "avg_days_late_180d":
		if raw == "" {
			return p.text("churn.days_late.none")
		}
		return fmt.Sprintf(p.text("churn.days_late"), n)
	case "support_30d", "support_90d", "days_since_activity", "days_since_payment":
		return fmt.Sprintf(p.text("churn."+field), n)
	case "service", "plan":
		return fmt.Sprintf(p.text("churn."+field), raw) + p.dir("churn.cancelled")
	}
	return field
}
