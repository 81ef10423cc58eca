package dashboard

import (
	"fmt"
	"math"
	"strings"

	"github.com/cis-agencia/cis/dashboard/chart"
	"github.com/cis-agencia/cis/scoring/insight"
)

// finding is an insight as the page shows it.
type finding struct {
	Level, Text string
}

// findingText words an insight in lang: its key's sentence from the
// catalogue, with each number formatted as the reader writes numbers. A
// finding of a rule this catalogue does not know (Deps.InsightRules) shows
// its key and values.
func findingText(lang string, f insight.Finding) string {
	es := lang != "en"
	args := make([]any, len(f.Args))
	for i, a := range f.Args {
		args[i] = argText(lang, es, a)
	}
	sentence := T(lang, f.Key)
	if sentence == f.Key {
		words := make([]string, len(args))
		for i, a := range args {
			words[i] = a.(string)
		}
		return f.Key + ": " + strings.Join(words, ", ")
	}
	return fmt.Sprintf(sentence, args...)
}

func argText(lang string, es bool, a insight.Arg) string {
	switch a.Kind {
	case insight.KindCount:
		return chart.FormatNumber(a.V, 0, es)
	case insight.KindDecimal:
		return chart.FormatNumber(a.V, a.Digits, es)
	case insight.KindPercent:
		return chart.FormatNumber(100*a.V, 1, es) + " %"
	case insight.KindPesos:
		s := "$" + chart.FormatNumber(math.Abs(a.V), 0, es)
		if a.V < 0 {
			return "-" + s
		}
		return s
	case insight.KindWord:
		return T(lang, a.S)
	}
	return a.S
}
