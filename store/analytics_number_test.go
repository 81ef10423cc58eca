package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// numberLead is one lead of the two-numbers analytics test.
type numberLead struct {
	account, source string
	class           flow.Class
}

// twoNumbersStore holds two numbers' leads on one day (2 March 2026,
// Bogotá), acted on at known times, and returns the two account ids.
// norte: hot FB-Marzo won for 2,000,000 after 14 min, warm FB-Marzo
// contacted after 13 min, cold google open. sur: hot google lost after
// 116 min (late), hot ad:9 open, and a conversation still answering.
func twoNumbersStore(t *testing.T, e *engine, clock *pgClock) (*Store, int64, int64) {
	ctx := context.Background()
	s := e.open(t, Options{Now: clock.Now})
	leads := []numberLead{{"norte", "FB-Marzo", flow.Hot}, {"norte", "fb-marzo ", flow.Warm}, {"norte", "google", flow.Cold},
		{"sur", "google", flow.Hot}, {"sur", "ad:9/clid", flow.Hot}}
	for i, l := range leads {
		clock.Add(time.Minute)
		in := inbound(fmt.Sprintf("n-%d", i), "servicio")
		in.Account, in.From, in.At = l.account, fmt.Sprintf("+57302000%04d", i), clock.Now()
		lead := &flow.Lead{Name: fmt.Sprintf("P%d", i), Urgency: flow.Urgency("immediate"), Service: "web", Source: l.source,
			City: flow.City{Name: "Cali"}, StartedAt: clock.Now(), CompletedAt: clock.Now()}
		score := &flow.Score{Class: l.class, Probability: 0.5, Model: "m"}
		if _, err := s.Handle(ctx, in, func(st flow.State) flow.Result {
			r := echoStep(st)
			r.State.Status, r.State.StartedAt = flow.Completed, clock.Now()
			r.Events = []flow.Event{{Kind: flow.EventLeadCompleted, Deadline: clock.Now().Add(25 * time.Minute), Lead: lead, Score: score}}
			return r
		}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Add(time.Minute)
	in := inbound("n-open", "hola")
	in.Account, in.From = "sur", "+573020009999"
	if _, err := s.Handle(ctx, in, func(st flow.State) flow.Result {
		r := echoStep(st)
		r.State.StartedAt = clock.Now()
		return r
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.raw.Exec(`INSERT INTO users (id, username, role, password_hash, created_at, password_changed_at)
		VALUES (77, 'ana', 'advisor', 'x', 0, 0)`); err != nil {
		t.Fatal(err)
	}
	clock.now = pgT0.Add(15 * time.Minute)
	for _, a := range []struct {
		lead int64
		act  LeadAction
	}{{1, LeadAction{Kind: "won", ValueCOP: 2_000_000}}, {2, LeadAction{Kind: "contacted"}}} {
		a.act.ByUser = 77
		if err := s.ActOnLead(ctx, a.lead, a.act); err != nil {
			t.Fatal(err)
		}
	}
	clock.now = pgT0.Add(2 * time.Hour)
	if err := s.ActOnLead(ctx, 4, LeadAction{Kind: "lost", Detail: "precio", ByUser: 77}); err != nil {
		t.Fatal(err)
	}
	clock.now = pgT0.Add(3 * time.Hour)
	var norte, sur int64
	for addr, id := range map[string]*int64{"norte": &norte, "sur": &sur} {
		if err := e.raw.QueryRow(e.q(`SELECT id FROM accounts WHERE address = ?`), addr).Scan(id); err != nil {
			t.Fatal(err)
		}
	}
	return s, norte, sur
}

// TestAnalyticsPerNumberBothEngines: with two numbers, each number's
// analytics (leads by month and class, contact delays, campaigns, funnel,
// SLA) are that number's figures only, computed by hand, and the view of
// every number (the summaries) is their sum, on both engines.
func TestAnalyticsPerNumberBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		clock := &pgClock{now: pgT0}
		s, norte, sur := twoNumbersStore(t, e, clock)
		march := Period{From: "2026-03-01", To: "2026-03-31"}
		of := func(n int64) Period { p := march; p.Number = n; return p }

		months := map[int64][]LeadMonth{}
		for _, n := range []int64{0, norte, sur} {
			m, err := s.LeadMonths(ctx, of(n))
			if err != nil {
				t.Fatal(err)
			}
			months[n] = m
		}
		wantNorte := []LeadMonth{{"2026-03", "cold", "live", 1, 0, 0, 0, 0, 0}, {"2026-03", "hot", "live", 1, 1, 0, 2_000_000, 1, 1},
			{"2026-03", "warm", "live", 1, 0, 0, 0, 1, 1}}
		wantSur := []LeadMonth{{"2026-03", "hot", "live", 2, 0, 1, 0, 1, 0}}
		if !reflect.DeepEqual(months[norte], wantNorte) || !reflect.DeepEqual(months[sur], wantSur) {
			t.Errorf("lead months:\nnorte %+v\nwant  %+v\nsur   %+v\nwant  %+v", months[norte], wantNorte, months[sur], wantSur)
		}
		sum := append(append([]LeadMonth{}, wantNorte...), wantSur...)
		if got := leadMonthsByKey(months[0]); !reflect.DeepEqual(got, leadMonthsByKey(sum)) {
			t.Errorf("every number %+v; want the sum %+v", got, leadMonthsByKey(sum))
		}
		if m, err := s.LeadMonths(ctx, Period{From: "2026-03-03", Number: norte}); err != nil || len(m) != 0 {
			t.Errorf("a period after the leads: %+v, %v", m, err)
		}

		checkNumberDelays(t, s, of, norte, sur)
		checkNumberCampaigns(t, s, of, norte, sur)
		checkNumberFunnel(t, s, of, norte, sur)
		checkNumberSLA(t, s, clock.Now(), norte, sur)
		checkNumberDims(t, s, of, norte, sur)
		checkNumberOutcomes(t, s, norte, sur)
	})
}

// leadMonthsByKey sums rows by month and class, for comparing a view with
// the sum of two.
func leadMonthsByKey(ms []LeadMonth) map[string]LeadMonth {
	out := map[string]LeadMonth{}
	for _, m := range ms {
		k := m.Month + "/" + m.Class
		o := out[k]
		o.Month, o.Class, o.Origin = m.Month, m.Class, m.Origin
		o.N, o.Won, o.Lost, o.RevenueCOP = o.N+m.N, o.Won+m.Won, o.Lost+m.Lost, o.RevenueCOP+m.RevenueCOP
		o.Contacted, o.InSLA = o.Contacted+m.Contacted, o.InSLA+m.InSLA
		out[k] = o
	}
	return out
}

func checkNumberDelays(t *testing.T, s *Store, of func(int64) Period, norte, sur int64) {
	ctx := context.Background()
	want := map[int64][]DelayBucket{norte: {{"hot", 10, 1}, {"warm", 10, 1}}, sur: {{"hot", 105, 1}},
		0: {{"hot", 10, 1}, {"warm", 10, 1}, {"hot", 105, 1}}}
	for n, w := range want {
		got, err := s.ContactDelays(ctx, of(n))
		if err != nil || !reflect.DeepEqual(got, w) {
			t.Errorf("contact delays of %d = %+v, %v; want %+v", n, got, err, w)
		}
	}
}

func checkNumberCampaigns(t *testing.T, s *Store, of func(int64) Period, norte, sur int64) {
	ctx := context.Background()
	type row struct {
		Key              string
		Leads, Won, Lost int
		ByClass          [4]int
		Revenue          int64
	}
	want := map[int64][]row{
		norte: {{"fb-marzo", 2, 1, 0, [4]int{1, 1, 0, 0}, 2_000_000}, {"google", 1, 0, 0, [4]int{0, 0, 1, 0}, 0}},
		sur:   {{"ad:9", 1, 0, 0, [4]int{1, 0, 0, 0}, 0}, {"google", 1, 0, 1, [4]int{1, 0, 0, 0}, 0}},
		0: {{"ad:9", 1, 0, 0, [4]int{1, 0, 0, 0}, 0}, {"fb-marzo", 2, 1, 0, [4]int{1, 1, 0, 0}, 2_000_000},
			{"google", 2, 0, 1, [4]int{1, 0, 1, 0}, 0}},
	}
	for n, w := range want {
		facts, err := s.Campaigns(ctx, of(n))
		if err != nil {
			t.Fatal(err)
		}
		var got []row
		for _, f := range facts {
			got = append(got, row{f.Key, f.Leads, f.Won, f.Lost, f.ByClass, f.RevenueCOP})
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("campaigns of %d = %+v; want %+v", n, got, w)
		}
	}
}

func checkNumberFunnel(t *testing.T, s *Store, of func(int64) Period, norte, sur int64) {
	ctx := context.Background()
	byStatus := func(n int64) map[string]int {
		fs, err := s.Funnel(ctx, of(n))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, f := range fs {
			out[f.Status] += f.N
		}
		return out
	}
	for n, w := range map[int64]map[string]int{norte: {"completed": 3}, sur: {"completed": 2, "in_progress": 1},
		0: {"completed": 5, "in_progress": 1}} {
		if got := byStatus(n); !reflect.DeepEqual(got, w) {
			t.Errorf("funnel of %d = %v; want %v", n, got, w)
		}
	}
}

func checkNumberSLA(t *testing.T, s *Store, now time.Time, norte, sur int64) {
	ctx := context.Background()
	want := map[int64][]ClassSLA{
		norte: {{"cold", 1, 0, 0, 1}, {"hot", 1, 1, 0, 0}, {"warm", 1, 1, 0, 0}},
		sur:   {{"hot", 2, 1, 1, 1}},
		0:     {{"cold", 1, 0, 0, 1}, {"hot", 3, 2, 1, 1}, {"warm", 1, 1, 0, 0}},
	}
	for n, w := range want {
		got, err := s.SLASince(ctx, "2026-03-02", n, now)
		if err != nil || !reflect.DeepEqual(got, w) {
			t.Errorf("SLA of %d = %+v, %v; want %+v", n, got, err, w)
		}
	}
}

func checkNumberDims(t *testing.T, s *Store, of func(int64) Period, norte, sur int64) {
	ctx := context.Background()
	dims := func(n, won int) []DimMonth {
		var out []DimMonth
		for _, kv := range [][2]string{{"budget", "<1M"}, {"city", "Cali"}, {"service", "web"}, {"urgency", "immediate"}} {
			out = append(out, DimMonth{"2026-03", kv[0], kv[1], "live", n, won})
		}
		return out
	}
	for n, w := range map[int64][]DimMonth{norte: dims(3, 1), sur: dims(2, 0), 0: dims(5, 1)} {
		p := of(n)
		p.From = "2026-03-15" // DimMonths counts whole months
		got, err := s.DimMonths(ctx, p)
		if err != nil || !reflect.DeepEqual(got, w) {
			t.Errorf("feature months of %d = %+v, %v; want %+v", n, got, err, w)
		}
	}
}

func checkNumberOutcomes(t *testing.T, s *Store, norte, sur int64) {
	ctx := context.Background()
	for n, w := range map[int64][]Outcomes{norte: {{"2026-03", "m", "hot", 500, 1, 0}}, sur: {{"2026-03", "m", "hot", 500, 0, 1}},
		0: {{"2026-03", "m", "hot", 500, 1, 1}}} {
		got, err := s.NumberOutcomes(ctx, n)
		if err != nil || !reflect.DeepEqual(got, w) {
			t.Errorf("outcomes of %d = %+v, %v; want %+v", n, got, err, w)
		}
	}
}
