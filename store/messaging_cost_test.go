package store

import (
	"context"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// TestDemoMessagingCosts: the demo's past leads get what their
// conversations would have cost, by the rates of each day, once; the
// campaign they name carries it.
func TestDemoMessagingCosts(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 3, 15, 0, 0, 0, time.UTC) // service messages charged since 2026-10-01
	lead := func(contacted bool) PastLead {
		p := PastLead{Lead: flow.Lead{Name: "Demo", Source: "facebook_ads", StartedAt: at.Add(-10 * time.Minute), CompletedAt: at},
			Score: flow.Score{Class: flow.Hot}, Deadline: at.Add(25 * time.Minute), Status: "open"}
		if contacted {
			p.Status, p.ContactedAt = "contacted", at.Add(10*time.Minute)
		}
		return p
	}
	if err := s.InsertPastLeads(ctx, "demo-history", "+5731", []PastLead{lead(true), lead(false)}, nil); err != nil {
		t.Fatal(err)
	}
	n, err := s.SeedMessagingCosts(ctx, "demo-history")
	if err != nil || n != 19 {
		t.Fatalf("priced %d messages (%v); want 9 service messages per lead and one utility template", n, err)
	}
	if again, _ := s.SeedMessagingCosts(ctx, "demo-history"); again != 0 {
		t.Errorf("a second seeding priced %d more", again)
	}
	facts, err := s.Campaigns(ctx, Period{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range facts {
		// 19 messages at the built-in 3.2 COP (Colombia, November 2026).
		if f.Key == "facebook_ads" && f.MessagingCOP != 61 {
			t.Errorf("facebook_ads messaging = %d; want 61", f.MessagingCOP)
		}
	}
}
