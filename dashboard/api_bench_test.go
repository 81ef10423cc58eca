package dashboard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/cis-agencia/cis/store"
)

// BenchmarkAPIListLeads lists leads through the real handler (bearer
// token check, rate limit, filters, keyset query, JSON) with 100,000 open
// leads in the store, as BenchmarkQueuePage seeds them, and reports p50/p95
// per request besides the mean.
//
//	go test ./dashboard -run '^$' -bench APIListLeads -benchtime 300x
func BenchmarkAPIListLeads(b *testing.B) {
	env := newEnv(b, Deps{Options: Options{APIRate: 1e9, APIBurst: 1e9}}) // measure the list, not the limiter
	ctx := context.Background()
	if err := env.st.InsertSyntheticLeads(ctx, 100_000, env.now.Add(-24*time.Hour)); err != nil {
		b.Fatal(err)
	}
	tok, _ := env.apiToken("bench", ScopeRead)
	// A cursor halfway down the open queue, as a client walking every page gets.
	mid, err := env.st.Queue(ctx, store.LeadFilter{Limit: 1, Offset: 50_000})
	if err != nil || len(mid) != 1 {
		b.Fatalf("lead 50,000: %v", err)
	}
	deep := encodeCursor(store.LeadFilter{Status: "open"}, mid[0])
	for _, bc := range []struct{ name, url string }{
		{"first page", "/api/v1/leads"},
		{"page at 50,000 (cursor)", "/api/v1/leads?cursor=" + deep},
		{"200 per page (the most)", "/api/v1/leads?limit=200"},
		{"hot+search", "/api/v1/leads?class=hot&q=Medell"},
		{"search rare", "/api/v1/leads?q=prospecto+99999"},
		{"campaign+since", "/api/v1/leads?campaign=fb-marzo&since=2026-03-01"},
		{"all statuses", "/api/v1/leads?status=all"},
	} {
		b.Run(bc.name, func(b *testing.B) { benchAPI(b, env, tok, bc.url) })
	}
}

// benchAPI requests url b.N times with token and reports p50 and p95.
func benchAPI(b *testing.B, env *testEnv, token, target string) {
	var times []time.Duration
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		start := time.Now()
		env.s.ServeHTTP(rec, req)
		times = append(times, time.Since(start))
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s = %d %s", target, rec.Code, rec.Body.String())
		}
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
}
