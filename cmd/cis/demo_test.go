package main

import (
	"context"
	"io"
	"sort"
	"testing"
	"time"

	"github.com/cis-agencia/cis/store"
)

// TestDemoIsBelievable checks what an agency would not believe on the demo
// store: a lead's consent, messages, completion and first contact dated in
// that order; a working day in the queue (most open leads due, a few
// overdue); spend and revenue of an agency's size; on-time shares that
// agree with the time to first contact; no retention erasure at start.
func TestDemoIsBelievable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo")
	}
	d := startDemo(t, nil)
	d.waitReady(t)
	a, err := open(context.Background(), mustConfig(t, d.env), newLogger(mustConfig(t, d.env), io.Discard), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	now := time.Now()
	demoDatesAgree(t, a, now)

	open, err := a.store.QueueCount(ctx, store.LeadFilter{}, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	overdue, _ := a.store.QueueCount(ctx, store.LeadFilter{Due: "overdue", Now: now}, 10_000)
	if open < 10 || overdue*4 > open {
		t.Errorf("queue: %d open, %d overdue; want a working day (at least 10 open, at most a quarter overdue)", open, overdue)
	}

	facts, err := a.store.Campaigns(ctx, store.Period{})
	if err != nil {
		t.Fatal(err)
	}
	var spend, revenue, messaging int64
	var won int
	for _, f := range facts {
		spend += f.SpendCOP
		messaging += f.MessagingCOP
		revenue += f.RevenueCOP
		won += f.Won
		if f.Key == "facebook_ads" && f.Leads > 0 {
			if cpl := f.SpendCOP / int64(f.Leads); cpl < 30_000 || cpl > 300_000 {
				t.Errorf("Facebook costs %d pesos a lead; an agency pays 30.000 to 300.000", cpl)
			}
		}
	}
	if won == 0 || revenue/int64(won) < 2_000_000 || revenue/int64(won) > 20_000_000 {
		t.Errorf("a won customer brings %d pesos on average; want 2 to 20 millones", revenue/int64(max(won, 1)))
	}
	if messaging == 0 || messaging*10 > spend {
		t.Errorf("WhatsApp messaging cost %d pesos against %d of ad spend; want some, well under a tenth", messaging, spend)
	}
	if spend*4 > revenue {
		t.Errorf("marketing spend %d is more than a quarter of revenue %d", spend, revenue)
	}
	demoSLAAgrees(t, a)
	demoCampaignsShowMessaging(t, d)

	reqs, err := a.store.DataRequests(ctx, true, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 0 {
		t.Errorf("the demo start shows %d data-subject requests; want none", len(reqs))
	}
}

// demoDatesAgree: every demo conversation's consent and messages fall
// between its start and its completion, and the first contact after it.
func demoDatesAgree(t *testing.T, a *app, now time.Time) {
	t.Helper()
	ctx := context.Background()
	rows, err := a.store.Queue(ctx, store.LeadFilter{Status: "all", Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, r := range rows {
		l, err := a.store.Lead(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Transcript) == 0 {
			continue // a past lead of the analytics history: no conversation kept
		}
		checked++
		start, done := l.Lead.Lead.StartedAt, l.CompletedAt
		for _, c := range l.Consent {
			if c.At.Before(start) || c.At.After(done) {
				t.Errorf("lead %d: consent at %v outside %v – %v", r.ID, c.At, start, done)
			}
		}
		for _, m := range l.Transcript {
			if m.At.Before(start) || m.At.After(done.Add(time.Minute)) {
				t.Errorf("lead %d: message at %v outside %v – %v", r.ID, m.At, start, done)
			}
		}
		if !l.ContactedAt.IsZero() && (l.ContactedAt.Before(done) || l.ContactedAt.After(now)) {
			t.Errorf("lead %d: first contact at %v, completed %v", r.ID, l.ContactedAt, done)
		}
		if done.After(now) || done.Before(now.Add(-24*time.Hour)) {
			t.Errorf("lead %d completed at %v: want today's", r.ID, done)
		}
	}
	if checked < 20 {
		t.Errorf("only %d demo conversations became leads", checked)
	}
}

// demoSLAAgrees: for hot leads, the share contacted on time and the time
// to first contact tell the same story: most are on time, and those that
// arrived in office hours were called within the 25 minutes promised (the
// others, at night or on Sunday, are called at opening, on time too).
func demoSLAAgrees(t *testing.T, a *app) {
	t.Helper()
	ctx := context.Background()
	months, err := a.store.LeadMonths(ctx, store.Period{})
	if err != nil {
		t.Fatal(err)
	}
	var contacted, inSLA int
	for _, m := range months {
		if m.Class == "hot" && m.Origin == "live" {
			contacted += m.Contacted
			inSLA += m.InSLA
		}
	}
	share := float64(inSLA) / float64(max(contacted, 1))
	if contacted < 30 || share < 0.75 || share > 0.97 {
		t.Errorf("hot leads: %d of %d contacted on time (%.0f %%); want a team that mostly keeps the 25-minute promise", inSLA, contacted, 100*share)
	}
	var office []time.Duration
	for _, status := range []string{"contacted", "won", "lost"} {
		rows, err := a.store.Queue(ctx, store.LeadFilter{Status: status, Class: "hot", Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			l, err := a.store.Lead(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			at := l.CompletedAt.In(bogota)
			if at.Weekday() >= time.Monday && at.Weekday() <= time.Friday && at.Hour() >= 8 && at.Hour() < 17 && !l.ContactedAt.IsZero() {
				office = append(office, l.ContactedAt.Sub(l.CompletedAt))
			}
		}
	}
	sort.Slice(office, func(i, j int) bool { return office[i] < office[j] })
	if len(office) < 10 {
		t.Fatalf("only %d hot leads arrived in office hours", len(office))
	}
	if med := office[len(office)/2]; med > 25*time.Minute {
		t.Errorf("hot leads that arrived in office hours: median first contact %v; want within the 25 minutes promised", med)
	}
}

var bogota = func() *time.Location {
	l, err := time.LoadLocation("America/Bogota")
	if err != nil {
		return time.FixedZone("COT", -5*3600)
	}
	return l
}()
