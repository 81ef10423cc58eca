package scoring

import (
	"testing"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// TestExamplesFromLabelledLeads: the one conversion of the store's labelled
// leads keeps each lead and its label, ValueExamples adds the revenue (an
// unknown one counts as 0), and WonDeals keeps only the converted leads.
func TestExamplesFromLabelledLeads(t *testing.T) {
	rev := func(v int64) *int64 { return &v }
	web := flow.Lead{Service: "web", Budget: flow.Budget{MinCOP: 2_000_000, MaxCOP: 2_000_000}}
	ads := flow.Lead{Service: "ads"}
	rows := []store.HistoryLead{
		{Lead: web, Converted: true, RevenueCOP: rev(5_000_000)},
		{Lead: ads, Converted: false, RevenueCOP: rev(0)},
		{Lead: ads, Converted: true}, // revenue not recorded
	}
	ex := Examples(rows)
	vex := ValueExamples(rows)
	if len(ex) != len(rows) || len(vex) != len(rows) {
		t.Fatalf("%d examples, %d value examples from %d rows", len(ex), len(vex), len(rows))
	}
	for i, r := range rows {
		if ex[i].Lead.Service != r.Lead.Service || ex[i].Converted != r.Converted ||
			vex[i].Lead.Service != r.Lead.Service || vex[i].Converted != r.Converted {
			t.Errorf("row %d: example %+v, value example %+v, from %+v", i, ex[i], vex[i], r)
		}
	}
	if vex[0].RevenueCOP != 5_000_000 || vex[2].RevenueCOP != 0 {
		t.Errorf("revenues %d and %d, want 5000000 and 0", vex[0].RevenueCOP, vex[2].RevenueCOP)
	}
	deals := WonDeals(vex)
	want := []Deal{{Service: "web", Budget: web.Budget, RevenueCOP: 5_000_000}, {Service: "ads", RevenueCOP: 0}}
	if len(deals) != len(want) {
		t.Fatalf("won deals %+v, want %+v", deals, want)
	}
	for i := range want {
		if deals[i] != want[i] {
			t.Errorf("deal %d = %+v, want %+v", i, deals[i], want[i])
		}
	}
}
