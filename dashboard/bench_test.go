package dashboard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// BenchmarkQueuePage renders the advisors' home page (session check, the
// due and overdue sections with their counts, the counts per class and
// status, filters, template) through the real handler with 100,000 open
// leads in the store, and reports p50/p95 per page besides the mean.
//
//	go test ./dashboard -run '^$' -bench QueuePage -benchtime 300x
func BenchmarkQueuePage(b *testing.B) {
	env := newEnv(b, Deps{})
	if err := env.st.InsertSyntheticLeads(context.Background(), 100_000, env.now.Add(-24*time.Hour)); err != nil {
		b.Fatal(err)
	}
	c := env.client()
	c.login("advisor1")
	benchPages(b, env, c, []struct{ name, url string }{
		{"open", "/"},
		{"hot+search", "/?class=hot&q=Medell"},
		{"search accents", "/?q=MEDELLÍN"},
		{"search rare", "/?q=prospecto+99999"},
		{"search rare short", "/?q=qz"},                        // no lead: a word shorter than a piece
		{"search common words, no match", "/?q=medellin+cali"}, // each word in 1 lead of 6, together in none
		{"search service label", "/?q=pauta"},
		{"overdue page 20", "/?opage=20"},
		{"campaign+since", "/?campaign=fb-marzo&since=2026-03-01"},
		{"all statuses", "/?status=all"},
	})
}

// benchPages renders each page as client c through the real handler and
// reports p50/p95 per page besides the mean.
func benchPages(b *testing.B, env *testEnv, c *client, pages []struct{ name, url string }) {
	for _, bc := range pages {
		b.Run(bc.name, func(b *testing.B) { benchPage(b, env, c, bc.url) })
	}
}

// BenchmarkChurnPage renders the churn-risk list (session, list query on
// the 0021 indexes, risk bands over every active customer, chart, template)
// with 100,000 scored customers, for each sort order and a deep page.
//
//	go test ./dashboard -run '^$' -bench ChurnPage -benchtime 200x
func BenchmarkChurnPage(b *testing.B) {
	env := newEnv(b, Deps{})
	seedCustomers(b, env, 100_000)
	c := env.client()
	c.login("advisor1")
	benchPages(b, env, c, []struct{ name, url string }{
		{"risk", "/churn"},
		{"at_stake", "/churn?sort=at_stake"},
		{"tenure", "/churn?sort=tenure"},
		{"risk page 50", "/churn?page=50"},
	})
}

// timedGet renders url through the handler with c's cookies and returns how long it took.
func timedGet(b *testing.B, env *testEnv, c *client, url string) time.Duration {
	req := httptest.NewRequest(http.MethodGet, url, nil)
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	start := time.Now()
	env.s.ServeHTTP(rec, req)
	d := time.Since(start)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s = %d", url, rec.Code)
	}
	return d
}

// benchPage renders url b.N times and reports p50 and p95 besides the mean.
func benchPage(b *testing.B, env *testEnv, c *client, url string) {
	var times []time.Duration
	for b.Loop() {
		times = append(times, timedGet(b, env, c, url))
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
}

// BenchmarkVerifyPassword is the cost of one login attempt (argon2id,
// m=19 MiB, t=2, p=1): it bounds how fast anyone can guess, and what a login costs.
func BenchmarkVerifyPassword(b *testing.B) {
	h, err := HashPassword(testPassword)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !VerifyPassword(h, testPassword) {
			b.Fatal("verify failed")
		}
	}
}
