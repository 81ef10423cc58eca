package dashboard

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/cis-agencia/cis/dashboard/chart"
	"github.com/cis-agencia/cis/store"
)

// modelWords is a trained model described for an owner, not an engineer:
// what it learned from, how well it ranks, where the classes start.
type modelWords struct {
	Name      string // "Modelo de leads n.º 3"
	Learned   string // "Bosque aleatorio de 300 árboles, aprendido de 20.000 leads (3.412 cerraron)."
	Ranking   string // "De dos leads, …" ("" when not measured)
	Classes   string // "Caliente desde 45 %, tibio desde 20 %." ("" for churn)
	Calibrate string // "" when identity
}

// The summaries scoring writes (Bundle.Summary, Bundle.ChurnSummary): the
// page reads their numbers back. A summary in another shape is described
// by its name and date only, never shown raw.
var (
	leadSummary  = regexp.MustCompile(`^(\d+) leads, (\d+) conversions, (\d+) trees(?:, CV ROC AUC ([0-9.]+), Brier [0-9.]+)?, hot ≥ ([0-9.]+), warm ≥ ([0-9.]+), calibration (\w+)`)
	churnSummary = regexp.MustCompile(`^churn: (\d+) customer snapshots, (\d+) cancellations in 30 days, (\d+) trees(?:, CV ROC AUC ([0-9.]+), Brier [0-9.]+)?, calibration (\w+)`)
)

// describeModel turns a stored model's summary into sentences in lang.
func describeModel(m store.ModelInfo, lang string) modelWords {
	es := lang != "en"
	num := func(s string) string {
		f, _ := strconv.ParseFloat(s, 64)
		return chart.FormatNumber(f, 0, es)
	}
	pct := func(s string) string {
		f, _ := strconv.ParseFloat(s, 64)
		return chart.FormatNumber(100*f, 0, es) + " %"
	}
	w := modelWords{Name: fmt.Sprintf(T(lang, "modelw.name_"+kindKey(m.Kind)), m.ID)}
	if g := leadSummary.FindStringSubmatch(m.Summary); g != nil && kindKey(m.Kind) == "lead" {
		w.Learned = fmt.Sprintf(T(lang, "modelw.learned_lead"), num(g[3]), num(g[1]), num(g[2]))
		w.Ranking = rankingWords(lang, g[4], "lead")
		w.Classes = fmt.Sprintf(T(lang, "modelw.classes"), pct(g[5]), pct(g[6]))
		w.Calibrate = calibrationWords(lang, g[7])
		return w
	}
	if g := churnSummary.FindStringSubmatch(m.Summary); g != nil {
		w.Learned = fmt.Sprintf(T(lang, "modelw.learned_churn"), num(g[3]), num(g[1]), num(g[2]))
		w.Ranking = rankingWords(lang, g[4], "churn")
		w.Calibrate = calibrationWords(lang, g[5])
		return w
	}
	w.Learned = T(lang, "modelw.unknown")
	return w
}

func kindKey(kind string) string {
	if kind == store.KindChurn {
		return "churn"
	}
	return "lead"
}

// rankingWords explains a ROC AUC as how often the model orders a pair
// correctly, which is what it means.
func rankingWords(lang, auc, kind string) string {
	f, err := strconv.ParseFloat(auc, 64)
	if auc == "" || err != nil {
		return ""
	}
	return fmt.Sprintf(T(lang, "modelw.ranking_"+kind), int(100*f+0.5), chart.FormatNumber(f, 2, lang != "en"))
}

func calibrationWords(lang, method string) string {
	switch method {
	case "isotonic", "platt":
		return T(lang, "modelw.calibrated_"+method)
	}
	return ""
}

// modelName names the scorer of a lead or churn score ("forest:3",
// "rules") in words; kind is store.KindLead or store.KindChurn.
func modelName(lang, kind, version string) string {
	switch {
	case version == "" || version == "rules":
		return T(lang, "modelw.rules")
	case strings.HasPrefix(version, "forest:"):
		return fmt.Sprintf(T(lang, "modelw.name_"+kindKey(kind)), atoiOr(strings.TrimPrefix(version, "forest:")))
	}
	return T(lang, "modelw.other")
}

func atoiOr(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
