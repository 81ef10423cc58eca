package dashboard

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// fillAnalytics adds leads made-up bot leads over the 18 months before now
// (in batches of 50,000: one transaction each), a dropped conversation per
// four leads, 40,000 spend rows over 8 campaigns and customers with churn scores.
func fillAnalytics(b *testing.B, st *store.Store, leads, customers int, now time.Time) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	sources := []string{"facebook_ads", "google_ads", "instagram", "referido", "organico", "feria", "tiktok", "ad:1202/x"}
	cities := []string{"Medellín", "Bogotá", "Cali", "Barranquilla", "Bucaramanga", "Pereira"}
	services := []string{"ads", "social", "web", "seo", "branding", "email"}
	urg := []flow.Urgency{flow.Immediate, flow.ThisMonth, flow.OneToThreeMonths, flow.Exploring}
	span := 540 * 24 * time.Hour
	const batch = 50_000
	for done, k := 0, 0; done < leads; k++ {
		n := min(batch, leads-done)
		past := make([]store.PastLead, n)
		drops := make([]store.Dropout, n/4)
		for i := range past {
			at := now.Add(-time.Duration(rng.Float64() * float64(span)))
			p := rng.Float64()
			class := flow.Cold
			if p >= 0.6 {
				class = flow.Hot
			} else if p >= 0.35 {
				class = flow.Warm
			}
			l := flow.Lead{Name: "Prospecto", City: flow.City{Name: cities[rng.IntN(len(cities))]}, Budget: flow.Budget{MinCOP: 1_000_000, MaxCOP: int64(1+rng.IntN(9)) * 1_000_000},
				Urgency: urg[rng.IntN(4)], Service: services[rng.IntN(len(services))], Source: sources[rng.IntN(len(sources))], StartedAt: at.Add(-4 * time.Minute), CompletedAt: at}
			pl := store.PastLead{Lead: l, Score: flow.Score{Class: class, Probability: p, Model: "forest:1"}, Deadline: at.Add(90 * time.Minute), Status: "open"}
			if now.Sub(at) > 2*time.Hour {
				pl.ContactedAt, pl.Status = at.Add(time.Duration(rng.IntN(240))*time.Minute), "contacted"
			}
			if now.Sub(at) > 21*24*time.Hour {
				pl.OutcomeAt, pl.Status = at.Add(10*24*time.Hour), "lost"
				if rng.Float64() < p*0.6 {
					pl.Status, pl.ValueCOP = "won", int64(3+rng.IntN(10))*1_000_000
				}
			}
			past[i] = pl
		}
		for i := range drops {
			drops[i] = store.Dropout{Step: []string{"consent", "name", "city", "budget", "urgency"}[rng.IntN(5)], Status: "abandoned",
				At: now.Add(-time.Duration(rng.Float64() * float64(span)))}
		}
		if err := st.InsertPastLeads(ctx, "bench", fmt.Sprintf("+57%02d", k), past, drops); err != nil {
			b.Fatal(err)
		}
		done += n
	}
	var rows []store.CampaignRow
	for _, src := range sources {
		key := flow.CampaignKey(src)
		for d := range 5000 {
			day := now.Add(-time.Duration(d) * 24 * time.Hour / 9).In(bogota).Format("2006-01-02")
			rows = append(rows, store.CampaignRow{Campaign: store.Campaign{Key: key, Name: src, Channel: "other"},
				Spend: &store.Spend{Period: "day", Day: day, AmountCOP: int64(100_000 + rng.IntN(900_000))}})
		}
	}
	if _, err := st.ImportCampaigns(ctx, rows); err != nil {
		b.Fatal(err)
	}
	if err := st.InsertSyntheticCustomers(ctx, customers, now); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAnalyticsPages renders each analytics page (session check,
// summary queries, computation, template) through the real handler with
// 1,000,000 leads, 250,000 dropped conversations and 100,000 customers
// (200,000 churn scores) in the store, and reports p50/p95 per page. The
// store is built once (about a quarter of an hour on 2 busy cores); the
// default period is twelve months.
//
//	go test ./dashboard -run '^$' -bench AnalyticsPages -benchtime 50x -timeout 60m
func BenchmarkAnalyticsPages(b *testing.B) {
	env := newEnv(b, Deps{Models: funcModels{lead: func() ModelInfo { return ModelInfo{Name: "forest:1", TrainAUC: 0.75, Hot: 0.6, Warm: 0.35} }}})
	env.now = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	// CIS_BENCH_LEADS sets a smaller store for profiling: the summaries, and
	// so the page costs, grow with days and categories, not with leads.
	leads, customers := 1_000_000, 100_000
	if n, err := strconv.Atoi(os.Getenv("CIS_BENCH_LEADS")); err == nil && n > 0 {
		leads, customers = n, n/10
	}
	start := time.Now()
	fillAnalytics(b, env.st, leads, customers, env.now)
	b.Logf("store built in %s", time.Since(start).Round(time.Second))
	c := env.client()
	c.login("viewer1")
	// The churn reads are cached until the churn data changes: the first
	// render after a new scoring pays for them once.
	for _, url := range []string{"/analytics/accuracy", "/analytics/insights"} {
		b.Logf("first render of %s (churn reads not cached yet): %s", url, timedGet(b, env, c, url).Round(time.Millisecond))
	}
	for _, bc := range []struct{ name, url string }{
		{"overview", "/analytics"},
		{"overview-18-months", "/analytics?from=2025-05-01&to=2026-11-20"},
		{"campaigns", "/analytics/campaigns"},
		{"insights", "/analytics/insights"},
		{"accuracy", "/analytics/accuracy"},
		{"campaigns-csv", "/analytics/campaigns?csv=campaigns"},
	} {
		b.Run(bc.name, func(b *testing.B) { benchPage(b, env, c, bc.url) })
	}
}
