package store

import (
	"context"
	"testing"
	"time"
)

// BenchmarkNumberAnalytics is one overview and campaigns page of one
// number's figures (lead months, contact delays, funnel, SLA, campaigns:
// the base-table reads of analytics_number.go) in a store of 100,000 leads
// of two numbers, 50,000 each, the period covering all of them; "all" is
// the same page from the summaries, for comparison.
//
//	go test ./store -run '^$' -bench NumberAnalytics -benchtime 20x
func BenchmarkNumberAnalytics(b *testing.B) {
	ctx := context.Background()
	at := t0 // the synthetic account and phones are named by the clock: one tick per number
	s, err := Open(ctx, b.TempDir()+"/cis.db", Options{Now: func() time.Time { return at }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	start := time.Date(2026, 3, 2, 13, 0, 0, 0, time.UTC)
	for range 2 { // each call is a number (account) of its own
		if err := s.InsertSyntheticLeads(ctx, 50_000, start); err != nil {
			b.Fatal(err)
		}
		at = at.Add(time.Millisecond)
	}
	var number int64
	if err := s.ro.QueryRow(`SELECT MAX(account_id) FROM leads`).Scan(&number); err != nil {
		b.Fatal(err)
	}
	now := start.Add(48 * time.Hour)
	for _, bc := range []struct {
		name   string
		number int64
	}{{"one", number}, {"all", 0}} {
		p := Period{From: "2026-01-01", To: "2026-12-31", Number: bc.number}
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				m, err := s.LeadMonths(ctx, p)
				if err != nil || len(m) == 0 {
					b.Fatalf("lead months %v, %v", m, err)
				}
				if _, err := s.ContactDelays(ctx, p); err != nil {
					b.Fatal(err)
				}
				if _, err := s.Funnel(ctx, p); err != nil {
					b.Fatal(err)
				}
				if _, err := s.SLASince(ctx, p.From, p.Number, now); err != nil {
					b.Fatal(err)
				}
				if _, err := s.Campaigns(ctx, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
