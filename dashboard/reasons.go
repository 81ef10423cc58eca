package dashboard

import (
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cis-agencia/cis/dashboard/chart"
	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// reasonLine is one reason of a lead's score as an advisor reads it: a
// sentence about the prospect and how many percentage points it moved the
// probability.
type reasonLine struct {
	Text   string
	Points string // "+10", "−3", "+0,4"
	Up     bool
	Effect string // "sube 10 puntos": the sign in words, for screen readers
}

// minPoints: contributions smaller than one percentage point are folded
// into one "other factors" line; they matter together, not one by one.
const minPoints = 0.01

// reasonLines turns a lead's stored reasons into sentences, largest effect
// first, the base rate left out (it goes into chanceWords) and the small
// ones folded together.
func (s *Server) reasonLines(lang string, d store.LeadDetail) []reasonLine {
	var out []reasonLine
	var rest float64
	var restN int
	for _, r := range d.Lead.Score.Reasons {
		if r.Feature == "base" {
			continue
		}
		if math.Abs(r.Weight) < minPoints {
			rest += r.Weight
			restN++
			continue
		}
		out = append(out, pointsLine(lang, s.reasonText(lang, r, d), r.Weight))
	}
	if restN > 0 {
		line := pointsLine(lang, fmt.Sprintf(T(lang, "reason.others"), restN), rest)
		if math.Abs(rest) < 0.005 {
			line.Points, line.Effect = T(lang, "reason.under_one"), T(lang, "reason.under_one")
		}
		out = append(out, line)
	}
	return out
}

func pointsLine(lang, text string, w float64) reasonLine {
	es := lang != "en"
	digits := 0
	if math.Abs(w) < minPoints {
		digits = 1
	}
	n := chart.FormatNumber(math.Abs(100*w), digits, es)
	l := reasonLine{Text: text, Up: w >= 0, Points: "+" + n}
	l.Effect = fmt.Sprintf(T(lang, "reason.up"), n)
	if w < 0 {
		l.Points = "−" + n
		l.Effect = fmt.Sprintf(T(lang, "reason.down"), n)
	}
	return l
}

// reasonText is the sentence for one reason, built from the lead's own
// fields where the page has them; for the others, the scorer's own words
// (already in the advisor's language) as a sentence.
func (s *Server) reasonText(lang string, r flow.Reason, d store.LeadDetail) string {
	dir := "up"
	if r.Weight < 0 {
		dir = "down"
	}
	say := func(key string, args ...any) string { return fmt.Sprintf(T(lang, "reason."+key), args...) }
	switch r.Feature {
	case "urgency":
		if d.Urgency != "" {
			return say("urgency." + d.Urgency)
		}
	case "budget":
		if d.Budget.Unknown {
			return say("budget_none." + dir)
		}
		if d.Budget.MaxCOP > 0 {
			return say("budget."+dir, budgetWords(lang, d.Budget))
		}
	case "budget_unknown":
		if d.Budget.Unknown {
			return say("budget_unknown." + dir)
		}
		return say("budget_given." + dir)
	case "city", "city_rate":
		if r.Value == "foreign" || strings.Contains(r.Value, "fuera de Colombia") || strings.Contains(r.Value, "abroad") {
			return say("foreign." + dir)
		}
		if d.City != "" {
			return say("city."+dir, d.City)
		}
	case "department":
		if d.Department != "" {
			return say("department."+dir, d.Department)
		}
	case "service", "service_rate":
		if d.Service != "" {
			return say("service."+dir, s.services.Label(d.Service, lang))
		}
	case "source":
		if d.Source != "" {
			return say("source."+dir, d.Source)
		}
		return say("source_none." + dir)
	case "month":
		if !d.CompletedAt.IsZero() {
			return say("month."+dir, catalogue.Month(lang, d.CompletedAt.In(bogota).Month()))
		}
	case "hour":
		if !d.Lead.Lead.StartedAt.IsZero() {
			return say("hour."+dir, d.Lead.Lead.StartedAt.In(bogota).Hour())
		}
	case "weekday":
		if !d.Lead.Lead.StartedAt.IsZero() {
			return say("weekday."+dir, catalogue.Weekday(lang, d.Lead.Lead.StartedAt.In(bogota).Weekday()))
		}
	}
	return sentence(r.Value)
}

// sentence capitalises the scorer's words ("ya había escrito antes: …").
func sentence(s string) string {
	s = strings.TrimSpace(s)
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// budgetWords says a budget the way people say it: "2 a 5 millones",
// "500 mil", "1,5 millones".
func budgetWords(lang string, b flow.Budget) string {
	one := func(v int64) (string, bool) {
		es := lang != "en"
		if v >= 1_000_000 {
			return chart.FormatNumber(float64(v)/1e6, decimals(float64(v)/1e6), es), true
		}
		return chart.FormatNumber(float64(v)/1e3, decimals(float64(v)/1e3), es), false
	}
	hi, hiM := one(b.MaxCOP)
	unit := map[bool]string{true: T(lang, "budget.millions"), false: T(lang, "budget.thousands")}
	if b.MinCOP == b.MaxCOP || b.MinCOP == 0 {
		if b.MinCOP == 0 && b.MaxCOP > 0 && b.MinCOP != b.MaxCOP {
			return fmt.Sprintf(T(lang, "budget.up_to"), hi+" "+unit[hiM])
		}
		return hi + " " + unit[hiM]
	}
	lo, loM := one(b.MinCOP)
	if loM == hiM {
		return fmt.Sprintf(T(lang, "budget.range"), lo, hi+" "+unit[hiM])
	}
	return fmt.Sprintf(T(lang, "budget.range"), lo+" "+unit[loM], hi+" "+unit[hiM])
}

func decimals(v float64) int {
	if v == math.Trunc(v) {
		return 0
	}
	return 1
}

// chanceWords explains the probability: out of 100 leads like this one,
// about how many buy, against the history's average when the model knows it.
func chanceWords(lang string, sc flow.Score) string {
	n := int(math.Round(100 * sc.Probability))
	text := fmt.Sprintf(T(lang, "chance.of100"), n)
	for _, r := range sc.Reasons {
		if r.Feature == "base" && r.Weight > 0 {
			text += " " + fmt.Sprintf(T(lang, "chance.base"), int(math.Round(100*r.Weight)))
		}
	}
	if sc.Class != "" {
		text += " " + T(lang, "chance.class."+string(sc.Class))
	}
	return text
}
