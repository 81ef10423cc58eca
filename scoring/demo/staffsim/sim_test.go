package staffsim

import (
	"fmt"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/scoring/demo"
)

// week is the demo agency's week of Monday 2026-03-02 (no public holiday),
// from a history of n leads (18 months ending the next Monday).
func week(t testing.TB, n int) []demo.Lead {
	t.Helper()
	places, err := place.Load()
	if err != nil {
		t.Fatal(err)
	}
	bogota := flow.Bogota()
	start, end := time.Date(2026, 3, 2, 0, 0, 0, 0, bogota), time.Date(2026, 3, 9, 0, 0, 0, 0, bogota)
	var out []demo.Lead
	for _, l := range demo.History(places, n, end, 20) {
		if !l.Lead.CompletedAt.Before(start) {
			out = append(out, l)
		}
	}
	return out
}

// Staff is the staffing both policies get: two full-time advisors (one on
// holiday Monday to Wednesday), two part-timers (mornings, afternoons),
// each holding at most 6 open leads (part-timers 4).
func Staff() []Advisor {
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
	return []Advisor{
		{Name: "ana (tiempo completo)", MaxOpen: 6},
		{Name: "beto (vacaciones lun–mié)", MaxOpen: 6, DaysOff: []time.Time{day(2), day(3), day(4)}},
		{Name: "caro (tardes)", Hours: "lun-vie 14-18", MaxOpen: 4},
		{Name: "dani (mañanas)", Hours: "lun-vie 8-12; sab 8-12", MaxOpen: 4},
	}
}

// TestSimulatedWeek replays the demo's week with the same staff and way of
// working under the plain round robin and under the availability-aware
// assignment, prints the figures docs/analytics.md quotes, and checks the
// new assignment keeps more promises and contacts sooner.
//
//	go test ./scoring/demo/staffsim -run TestSimulatedWeek -v
func TestSimulatedWeek(t *testing.T) {
	bogota := flow.Bogota()
	leads := week(t, 12000)
	cfg := Config{Leads: leads, Advisors: Staff(), Agency: flow.Calendar{Loc: bogota, Week: flow.DefaultWeek(), Enabled: true},
		Windows: flow.Windows{Hot: 25 * time.Minute, Warm: 90 * time.Minute, Cold: 6 * time.Hour}, Handle: 20 * time.Minute,
		Start: time.Date(2026, 3, 2, 0, 0, 0, 0, bogota), End: time.Date(2026, 3, 9, 0, 0, 0, 0, bogota), Drain: 72 * time.Hour}
	rr, av := Run(cfg, RoundRobin), Run(cfg, Availability)
	what := cfg
	what.AgencyClockPromise = true
	alt := Run(what, Availability)
	t.Logf("demo week 2026-03-02: %d leads (hot/warm/cold by urgency), 4 advisors, 20 min per first contact", len(leads))
	t.Logf("%-14s %8s %14s %16s %10s %10s %15s %11s", "policy", "leads", "kept promise", "in plain window", "median", "p90", "median promise", "reassigned")
	for _, x := range []struct {
		name string
		r    Result
	}{{"round robin", rr}, {"availability", av}, {"  what-if (*)", alt}} {
		t.Logf("%-14s %8d %14s %16s %10s %10s %15s %11d", x.name, x.r.Leads, pct(x.r.KeptPromise, x.r.Leads),
			pct(x.r.InPlainWindow, x.r.Leads), x.r.Median.Round(time.Minute), x.r.P90.Round(time.Minute),
			x.r.MedianPromise.Round(time.Minute), x.r.Reassigned)
	}
	t.Logf("(*) availability with the class window counted on the agency's clock from the advisor's first available moment")
	if rr.Leads < 100 || rr.Leads != av.Leads {
		t.Fatalf("week of %d / %d leads; want the same 100+", rr.Leads, av.Leads)
	}
	if av.KeptPromise <= rr.KeptPromise || av.Median > rr.Median {
		t.Errorf("availability kept %d promises (median %v) against round robin's %d (median %v)", av.KeptPromise, av.Median, rr.KeptPromise, rr.Median)
	}
}

func pct(n, of int) string { return fmt.Sprintf("%d (%.1f %%)", n, 100*float64(n)/float64(of)) }
