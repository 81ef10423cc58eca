package store

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// TestDashboardReadsSameOnBothEngines: the same history goes through the
// store's own writers on SQLite and on PostgreSQL (leads past and synthetic,
// campaigns, imported history, customers with churn scores and actions,
// models and reports, advisors and their settings), then every dashboard
// read ported in slice 2 (part A) gives the same answer on both. The
// answers are also checked for content, so that two empty answers cannot
// agree by accident.
func TestDashboardReadsSameOnBothEngines(t *testing.T) {
	now := march(28)
	opt := Options{Now: func() time.Time { return now }}
	// Under CIS_TEST_PG_ALL the file is a PostgreSQL schema too: then the
	// test compares PostgreSQL with itself, and still checks content.
	lite, err := Open(context.Background(), filepath.Join(t.TempDir(), "cis.db"), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	pg := pgEngine(t).open(t, opt)
	want := dashboardReads(t, lite, now)
	got := dashboardReads(t, pg, now)
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if !reflect.DeepEqual(want[k], got[k]) {
			t.Errorf("%s:\nSQLite     %+v\nPostgreSQL %+v", k, want[k], got[k])
		}
	}
	checkDashboardContent(t, got)
}

// checkDashboardContent: the reads found what was written.
func checkDashboardContent(t *testing.T, r map[string]any) {
	t.Helper()
	for k, v := range r {
		rv := reflect.ValueOf(v)
		if (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Map) && rv.Len() == 0 && !strings.HasPrefix(k, "empty ") {
			t.Errorf("%s is empty: the comparison proves nothing", k)
		}
	}
	if risk := r["churn risk list by risk"].([]RiskRow); len(risk) > 0 && risk[0].Probability < 0 {
		t.Errorf("the risk list starts with an unscored customer: %+v", risk[0])
	}
	if n := r["count active customers 'cliente 1'"].(int); n == 0 {
		t.Error("no active customer matches 'cliente 1'")
	}
}

// dashboardSeed writes the same history through the store's writers.
func dashboardSeed(t *testing.T, s *Store, now time.Time) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.ImportCampaigns(ctx, []CampaignRow{
		{Campaign{Key: "fb-marzo", Name: "Facebook marzo", Channel: "facebook"}, &Spend{"day", "2026-03-02", 100_000}},
		{Campaign{Key: "google-search", Name: "Google búsqueda", Channel: "google"}, &Spend{"month", "2026-03-01", 3_100_000}},
	}); err != nil {
		t.Fatal(err)
	}
	var past []PastLead
	statuses := []string{"won", "lost", "open", "contacted", "lost", "won", "open"}
	classes := []string{"hot", "warm", "cold"}
	for i := range 21 {
		pl := pastLead([]string{"fb-marzo", "ad:9/x", "google-search"}[i%3], classes[i%3], float64(i%10)/10+0.05,
			1+i%27, statuses[i%len(statuses)], int64(i)*100_000)
		if i%4 == 0 { // contacted late, or a day after
			pl.ContactedAt = pl.Deadline.Add(time.Duration(i) * time.Hour)
		}
		past = append(past, pl)
	}
	if err := s.InsertPastLeads(ctx, "fixture", "+5731", past,
		[]Dropout{{"budget", "abandoned", march(3)}, {"consent", "refused", march(4)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertSyntheticLeads(ctx, 120, march(1)); err != nil {
		t.Fatal(err)
	}
	rev := int64(2_000_000)
	if _, err := s.ImportHistory(ctx, []HistoryLead{
		{Key: "h1", Lead: flow.Lead{Source: "google-search", Service: "seo"}, CreatedAt: march(7), Converted: true, RevenueCOP: &rev},
		{Key: "h2", Lead: flow.Lead{Source: "google-search", Service: "seo"}, CreatedAt: march(8)},
	}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertSyntheticCustomers(ctx, 40, now); err != nil {
		t.Fatal(err)
	}
	// Latest probabilities on two customers in three; the others stay
	// unscored (NULL), which the risk list must put last.
	if _, err := s.rw.ExecContext(ctx, `UPDATE customers SET churn_probability = (id % 7) / 7.0, churn_scored_at = ?
		WHERE id % 3 <> 0 AND cancelled_at IS NULL`, millis(now.Add(-24*time.Hour))); err != nil {
		t.Fatal(err)
	}
	for _, a := range []CustomerAction{{Kind: "contacted", Detail: "llamada"}, {Kind: "churned"}} {
		if err := s.ActOnCustomer(ctx, 2, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetAdvisors(ctx, []Advisor{{"ana", "+573000000001"}, {"Beto", "+573000000002"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAdvisorSettings(ctx, "BETO", AdvisorSettings{MaxOpen: 3, Away: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAssignModes(ctx, map[flow.Class]string{"hot": ModeLeastLoaded, "cold": ModeRotation}); err != nil {
		t.Fatal(err)
	}
	id, err := s.SaveModelKind(ctx, "lead", []byte("forest 1"), "primero", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveModelReport(ctx, id, []byte(`{"auc":0.8}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveImportRun(ctx, "leads", []byte(`{"rows":2}`)); err != nil {
		t.Fatal(err)
	}
	pay := CustomerEvent{Kind: EventPayment, At: now.Add(-48 * time.Hour), AmountCOP: 800_000, DaysLate: 3}
	for round, want := range []int{2, 0} { // an event stored already is skipped
		n, err := s.ImportCustomerEvents(ctx, []KeyedCustomerEvent{{"syn-3", pay}, {"syn-4", pay}})
		if err != nil || n != want {
			t.Fatalf("import customer events, round %d: %d, %v; want %d", round, n, err, want)
		}
	}
}

// dashboardReads seeds s and returns every read's answer by name.
func dashboardReads(t *testing.T, s *Store, now time.Time) map[string]any {
	t.Helper()
	dashboardSeed(t, s, now)
	ctx := context.Background()
	period := Period{From: "2026-03-01", To: "2026-03-31"}
	r := map[string]any{}
	add := func(name string, v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r[name] = v
	}
	v1, err := s.LeadMonths(ctx, period)
	add("lead months", v1, err)
	v2, err := s.ContactDelays(ctx, period)
	add("contact delays", v2, err)
	v3, err := s.Funnel(ctx, period)
	add("funnel", v3, err)
	v4, err := s.DimMonths(ctx, period)
	add("feature months", v4, err)
	v5, err := s.LeadOutcomes(ctx)
	add("lead outcomes", v5, err)
	v6, err := s.ChurnOutcomes(ctx, now)
	add("churn outcomes", v6, err)
	v7, err := s.ChurnRiskAt(ctx, 0.5)
	add("churn risk at 0.5", []ChurnRisk{v7}, err)
	v8, err := s.SLASince(ctx, "2026-03-01", 0, now)
	add("sla since", v8, err)
	for _, sort := range []string{"risk", "at_stake", "tenure"} {
		v, err := s.ChurnRisk(ctx, RiskFilter{Sort: sort, Limit: -1})
		add("churn risk list by "+sort, v, err)
	}
	v9, err := s.ChurnRisk(ctx, RiskFilter{Search: "CLIENTE 1", Limit: 5, Offset: 1})
	add("churn risk list 'cliente 1', second page", v9, err)
	n, err := s.CountActiveCustomers(ctx, "cliente 1")
	add("count active customers 'cliente 1'", n, err)
	v10, err := s.ChurnRiskBands(ctx)
	add("churn risk bands", v10, err)
	c, fees, loss, err := s.RevenueAtRisk(ctx, 0.3)
	add("revenue at risk", []int64{int64(c), fees, loss}, err)
	v11, err := s.CustomerHistories(ctx, true)
	add("active customer histories", v11, err)
	v11, err = s.CustomerHistories(ctx, false)
	add("customer histories", v11, err)
	v12, err := s.AdvisorWeeks(ctx, week23March(), now, 0)
	add("advisor weeks", v12, err)
	v13, err := s.StaffingByHour(ctx, now.Add(-7*24*time.Hour), now, 0)
	add("staffing by hour", v13[:], err)
	v14, err := s.AdvisorStates(ctx)
	add("advisor states", v14, err)
	ok, err := s.IsAdvisorPhone(ctx, "+573000000002")
	add("is advisor phone", []bool{ok}, err)
	add("assign modes", s.AssignModes(), nil)
	v15, err := s.ModelReport(ctx, 1)
	add("model report", v15, err)
	v16, err := s.ImportRuns(ctx, "leads")
	add("import runs", v16, err)
	nb, err := s.CountBotLabelled(ctx)
	add("bot labelled", nb, err)
	v17, err := s.LabelledRevenue(ctx)
	add("labelled revenue", v17, err)
	nc, err := s.CountConversations(ctx, "demo", "fixture")
	add("conversations of the fixture account", nc, err)
	no, err := s.OverdueOpen(ctx, now)
	add("overdue open", no, err)
	ana, err := s.AdvisorStateOf(ctx, 1)
	add("advisor state of the first account", []AdvisorState{ana}, err)
	body, err := s.ModelBundle(ctx, 1)
	add("model bundle", body, err)
	kind, err := s.ModelKind(ctx, 1)
	add("model kind", []string{kind}, err)
	for _, b := range []string{"forest 1", "forest 2"} { // the same body again is found, not stored twice
		id, existed, err := s.ImportModel(ctx, "lead", []byte(b), "importado")
		add("import model "+b, []any{id, existed}, err)
	}
	models, err := s.Models(ctx)
	add("models", models, err)
	st, err := s.Stats(ctx)
	add("stats", []string{fmt.Sprintf("%+v", st)}, err)
	return r
}

// week23March is the start of the week of Monday 23 March 2026 (UTC-5).
func week23March() time.Time { return time.Date(2026, 3, 23, 5, 0, 0, 0, time.UTC) }

// TestAssignModesSurviveReopenBothEngines: the assignment modes set from
// the dashboard are read again when the store opens.
func TestAssignModesSurviveReopenBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		s := e.open(t, Options{})
		want := map[flow.Class]string{"hot": ModeLeastLoaded, "warm": ModeRotation}
		if err := s.SetAssignModes(ctx, want); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if got := e.open(t, Options{}).AssignModes(); got["hot"] != ModeLeastLoaded || got["warm"] != ModeRotation {
			t.Errorf("modes after reopening: %v; want hot %s, warm %s", got, ModeLeastLoaded, ModeRotation)
		}
	})
}

// TestTextPostgreSQLCannotHoldBothEngines: a message with a NUL character or
// bytes that are not UTF-8 is stored once on both engines (on PostgreSQL,
// whose text holds neither, each becomes U+FFFD), its redelivery is still a
// no-op, and a search for such text is answered, not refused.
func TestTextPostgreSQLCannotHoldBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		s := e.open(t, Options{})
		for _, in := range []flow.Inbound{inbound("wamid.nul\x00", "hola\x00 mundo"), inbound("wamid.bad\xff", "hola \xff")} {
			for i, want := range []bool{true, false} {
				handled, err := s.Handle(ctx, in, echoStep)
				if err != nil || handled != want {
					t.Fatalf("%q, delivery %d: handled = %v, %v; want %v", in.Text, i+1, handled, err, want)
				}
			}
		}
		want := []string{"hola\x00 mundo", "hola \xff"}
		if IsPostgres(e.db) {
			want = []string{"hola\uFFFD mundo", "hola \uFFFD"}
		}
		rows, err := e.raw.Query(`SELECT body FROM messages ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var b string
			if err := rows.Scan(&b); err != nil {
				t.Fatal(err)
			}
			got = append(got, b)
		}
		if !slices.Equal(got, want) {
			t.Errorf("stored bodies %q; want %q", got, want)
		}
		if _, err := s.Queue(ctx, LeadFilter{Search: "hola\x00", Status: "all"}); err != nil {
			t.Errorf("a search with a NUL character: %v", err)
		}
	})
}
