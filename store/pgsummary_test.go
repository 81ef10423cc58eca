package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// TestCampaignKeyBothEngines: the triggers' campaign_key is flow.CampaignKey
// on both engines (SQLite calls the Go function; PostgreSQL has it in
// PL/pgSQL, so this is the check that the two rules stay one).
func TestCampaignKeyBothEngines(t *testing.T) {
	sources := []string{" FB-Marzo ", "ad:120212/ARAkLk", "AD:120212", "utm:Promo_Nov", "UTM:x", "google_ads", "", "ad:/clid",
		"Ñandú", "\tTikTok\u00a0", "\u3000Insta\u2009", "Ad:1/2/3", "utm:", "ad", "UTM:AD:9/x", "x/ad:1", "\u0085Web\r\n", "ÉXITO"}
	bothEngines(t, func(t *testing.T, e *engine) {
		e.open(t, Options{})
		for _, src := range sources {
			var got string
			if err := e.raw.QueryRow(e.q(`SELECT campaign_key(?)`), src).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if want := flow.CampaignKey(src); got != want {
				t.Errorf("campaign_key(%q) = %q; flow.CampaignKey says %q", src, got, want)
			}
		}
	})
}

// TestSummariesEqualBaseBothEngines: after leads arrive through the message
// path, advisors act on them, leads and history rows are changed and
// deleted, every summary the triggers keep equals the GROUP BY over the
// base tables, on both engines (SQLite's triggers, PostgreSQL's PL/pgSQL).
func TestSummariesEqualBaseBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		clock := &pgClock{now: pgT0}
		s := e.open(t, Options{Now: clock.Now})
		sources := []string{"FB-Marzo", "ad:1202/x", "utm:Promo", "", "fb-marzo "}
		for i := range 10 {
			clock.Add(7 * time.Hour) // several days, both sides of midnight in Bogotá
			in := inbound(fmt.Sprintf("lead-%d", i), "servicio")
			in.From = fmt.Sprintf("+57301000%04d", i)
			lead := &flow.Lead{Name: fmt.Sprintf("P%d", i), Urgency: flow.Urgency("immediate"), Service: []string{"web", "seo", "ads"}[i%3],
				Source: sources[i%len(sources)], City: flow.City{Name: []string{"Medellín", "Cali"}[i%2]},
				Budget: flow.Budget{MinCOP: int64(i) * 900_000, MaxCOP: int64(i) * 1_100_000, Unknown: i == 4}}
			score := &flow.Score{Class: []flow.Class{flow.Hot, flow.Warm, flow.Cold}[i%3], Probability: 0.0005 + float64(i)/10, Model: "m"}
			if _, err := s.Handle(ctx, in, func(st flow.State) flow.Result {
				r := echoStep(st)
				r.State.Status = flow.Completed
				r.Events = []flow.Event{{Kind: flow.EventLeadCompleted, Deadline: clock.Now().Add(25 * time.Minute), Lead: lead, Score: score}}
				return r
			}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.raw.Exec(`INSERT INTO users (id, username, role, password_hash, created_at, password_changed_at)
			VALUES (77, 'ana', 'advisor', 'x', 0, 0)`); err != nil {
			t.Fatal(err)
		}
		acts := []struct {
			lead int64
			a    LeadAction
			wait time.Duration
		}{
			{1, LeadAction{Kind: "contacted"}, 10 * time.Minute},
			{1, LeadAction{Kind: "won", ValueCOP: 2_500_000}, time.Hour},
			{2, LeadAction{Kind: "contacted"}, 3 * time.Hour},
			{3, LeadAction{Kind: "lost", Detail: "precio"}, time.Minute},
			{4, LeadAction{Kind: "assign", AssignTo: 77}, time.Minute},
			{4, LeadAction{Kind: "note", Detail: "llamar el lunes"}, time.Minute},
			{5, LeadAction{Kind: "contacted"}, 30 * 24 * time.Hour},
		}
		for _, x := range acts {
			clock.Add(x.wait)
			x.a.ByUser = 77
			if err := s.ActOnLead(ctx, x.lead, x.a); err != nil {
				t.Fatalf("%s lead %d: %v", x.a.Kind, x.lead, err)
			}
		}
		if n := e.count(t, `SELECT COUNT(*) FROM customers WHERE lead_id = 1 AND monthly_fee_cop = 2500000`); n != 1 {
			t.Errorf("the won lead made %d customers; want 1", n)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM lead_events WHERE lead_id = 4 AND kind IN ('assign', 'note')`); n != 2 {
			t.Errorf("%d timeline entries of lead 4; want 2", n)
		}
		for _, q := range []string{
			`UPDATE leads SET class = 'cold', source = 'utm:Otra' WHERE id = 6`,
			`UPDATE conversations SET step = 'service', status = 'abandoned' WHERE id = 7`,
			`DELETE FROM lead_events WHERE lead_id = 8`,
			`DELETE FROM lead_notices WHERE lead_id = 8`,
			`DELETE FROM leads WHERE id = 8`,
			`INSERT INTO history_leads (row_key, created_at, city_name, service, urgency, source, converted, revenue_cop, imported_at, budget_min_cop, budget_max_cop)
				VALUES ('h1', 1772463600000, 'Cali', 'seo', 'week', 'utm:Promo', 1, 700000, 0, 2000000, 4000000),
				('h2', 1772550000000, 'Bogotá', 'web', 'month', 'Google ', 0, NULL, 0, 0, 0),
				('h3', 1772550000000, 'Bogotá', 'web', 'month', 'google', 1, NULL, 0, 0, 0)`,
			`DELETE FROM history_leads WHERE row_key = 'h3'`,
		} {
			if _, err := e.raw.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		day, month := e.dayExpr, e.monthExpr
		checks := []struct{ name, summary, base string }{
			{"lead_daily live", `SELECT day, source, class, n, won, lost, revenue_cop, contacted, in_sla FROM lead_daily WHERE origin = 'live' AND n <> 0 ORDER BY 1, 2, 3`,
				`SELECT ` + day("completed_at") + `, campaign_key(source), class, COUNT(*), SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END),
				SUM(CASE WHEN status = 'lost' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'won' THEN outcome_value_cop ELSE 0 END),
				SUM(CASE WHEN contacted_at IS NOT NULL THEN 1 ELSE 0 END), SUM(CASE WHEN contacted_at <= deadline_at THEN 1 ELSE 0 END)
				FROM leads GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`},
			{"lead_daily history", `SELECT day, source, n, won, lost, revenue_cop FROM lead_daily WHERE origin = 'history' AND n <> 0 ORDER BY 1, 2`,
				`SELECT ` + day("created_at") + `, campaign_key(source), COUNT(*), SUM(converted), SUM(1 - converted),
				SUM(CASE WHEN converted = 1 THEN COALESCE(revenue_cop, 0) ELSE 0 END) FROM history_leads GROUP BY 1, 2 ORDER BY 1, 2`},
			{"lead_prob_monthly", `SELECT month, class, pbin, won, lost FROM lead_prob_monthly WHERE won + lost <> 0 ORDER BY 1, 2, 3`,
				`SELECT ` + month("completed_at") + `, class, CAST(probability * 1000 + 0.5 AS INTEGER), SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END),
				SUM(CASE WHEN status = 'lost' THEN 1 ELSE 0 END) FROM leads WHERE status IN ('won', 'lost') GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`},
			{"lead_dim_monthly", `SELECT month, dim, value, SUM(n), SUM(won) FROM lead_dim_monthly WHERE dim IN ('service', 'city') GROUP BY 1, 2, 3 HAVING SUM(n) <> 0 ORDER BY 1, 2, 3`,
				`SELECT m, d, v, SUM(n), SUM(w) FROM (SELECT ` + month("completed_at") + ` m, 'service' d, service v, 1 n, CASE WHEN status = 'won' THEN 1 ELSE 0 END w FROM leads
				UNION ALL SELECT ` + month("completed_at") + `, 'city', city_name, 1, CASE WHEN status = 'won' THEN 1 ELSE 0 END FROM leads
				UNION ALL SELECT ` + month("created_at") + `, 'service', service, 1, converted FROM history_leads
				UNION ALL SELECT ` + month("created_at") + `, 'city', city_name, 1, converted FROM history_leads) x GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`},
			{"conversation_funnel", `SELECT day, step, status, n FROM conversation_funnel WHERE n <> 0 ORDER BY 1, 2, 3`,
				`SELECT ` + day("started_at") + `, step, status, COUNT(*) FROM conversations GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`},
			{"lead_contact_delay", `SELECT class, SUM(n) FROM lead_contact_delay GROUP BY 1 HAVING SUM(n) <> 0 ORDER BY 1`,
				`SELECT class, COUNT(*) FROM leads WHERE contacted_at IS NOT NULL GROUP BY 1 ORDER BY 1`},
			{"lead_counts", `SELECT status, class, n FROM lead_counts WHERE n <> 0 ORDER BY 1, 2`,
				`SELECT status, class, COUNT(*) FROM leads GROUP BY 1, 2 ORDER BY 1, 2`},
		}
		for _, c := range checks {
			sum, base := e.dump(t, c.summary), e.dump(t, c.base)
			if sum != base {
				t.Errorf("%s:\nsummary %s\nbase    %s", c.name, sum, base)
			}
			if strings.Count(base, ";") < 2 && c.name != "lead_contact_delay" {
				t.Errorf("%s: the base has too few rows to test anything: %s", c.name, base)
			}
		}
	})
}

// dayExpr and monthExpr are the Bogotá day and month of a millisecond
// column, in the engine's SQL.
func (e *engine) dayExpr(col string) string {
	if IsPostgres(e.db) {
		return "cis_day(" + col + ")"
	}
	return "date(" + col + " / 1000 - 18000, 'unixepoch')"
}

func (e *engine) monthExpr(col string) string {
	if IsPostgres(e.db) {
		return "cis_month(" + col + ")"
	}
	return "strftime('%Y-%m', " + col + " / 1000 - 18000, 'unixepoch')"
}

// dump is a query's rows as one string, values printed alike on both engines.
func (e *engine) dump(t *testing.T, q string) string {
	t.Helper()
	rows, err := e.raw.Query(q)
	if err != nil {
		t.Fatalf("%s: %s: %v", e.name, q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			fmt.Fprintf(&out, " %v", v)
		}
		out.WriteString(";")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}
