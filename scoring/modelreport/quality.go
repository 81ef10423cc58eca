package modelreport

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/cis-agencia/cis/scoring/importer"
)

// Quality sums the stored imports into the report's data-and-cleaning
// section. raw holds each import's stats as stored (JSON); labelled is the
// number of labelled leads the model learns from, bot the bot leads among
// them (outcomes recorded by advisors).
func Quality(raw [][]byte, labelled, bot int) (DataQuality, error) {
	q := DataQuality{Kept: labelled}
	rej, norm := map[string]int{}, map[string]int{}
	for _, b := range raw {
		var s importer.ImportStats
		if err := json.Unmarshal(b, &s); err != nil {
			return q, fmt.Errorf("import stats: %w", err)
		}
		if s.Source == "demo" && !slices.Contains(q.Notes, "demo_history") {
			q.Notes = append(q.Notes, "demo_history")
		}
		q.Read += s.Read
		q.Duplicates += s.Duplicates
		for k, v := range s.Rejected {
			rej[k] += v
		}
		for k, v := range s.Cities {
			norm["city: "+k] += v
		}
		for k, v := range s.Budgets {
			norm["budget: "+k] += v
		}
	}
	q.DupNote = "removed"
	q.Rejected, q.Normalised = counts(rej), counts(norm)
	if len(raw) == 0 {
		q.Notes = append(q.Notes, "no_import_stats")
	}
	if bot > 0 {
		q.Notes = append(q.Notes, fmt.Sprintf("bot_leads:%d", bot))
	}
	return q, nil
}

// counts sorts a map into Count rows, largest first.
func counts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{k, v})
	}
	slices.SortFunc(out, func(a, b Count) int {
		if a.Rows != b.Rows {
			return b.Rows - a.Rows
		}
		return strings.Compare(a.Label, b.Label)
	})
	return out
}
