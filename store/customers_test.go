package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func day(n int) time.Time { return time.Date(2026, 1, 1, 15, 0, 0, 0, time.UTC).AddDate(0, 0, n) }

func TestImportCustomersIsIdempotentAndFillsCancellation(t *testing.T) {
	ctx := context.Background()
	s, _ := mustOpen(t)
	rows := []CustomerImport{
		{Customer: Customer{ExtKey: "c1", Name: "Tienda Uno", Service: "ads", MonthlyFeeCOP: 2_000_000, StartedAt: day(0)},
			Events: []CustomerEvent{{Kind: EventFeeChange, At: day(0), AmountCOP: 2_000_000}, {Kind: EventPayment, At: day(30), AmountCOP: 2_000_000, DaysLate: 4}}},
		{Customer: Customer{ExtKey: "c2", Service: "seo", MonthlyFeeCOP: 900_000, StartedAt: day(5)},
			Events: []CustomerEvent{{Kind: EventSupport, At: day(20), Detail: "factura"}}},
	}
	c, e, err := s.ImportCustomers(ctx, rows, nil)
	if err != nil || c != 2 || e != 3 {
		t.Fatalf("first import = %d customers, %d events, %v; want 2, 3", c, e, err)
	}
	// The same file again, now with c2 cancelled and one new event.
	rows[1].CancelledAt = day(60)
	rows[1].Events = append(rows[1].Events, CustomerEvent{Kind: EventSupport, At: day(55), Detail: "queja"})
	c, e, err = s.ImportCustomers(ctx, rows, nil)
	if err != nil || c != 0 || e != 1 {
		t.Fatalf("re-import = %d customers, %d events, %v; want 0, 1", c, e, err)
	}
	hist, err := s.CustomerHistories(ctx, false)
	if err != nil || len(hist) != 2 {
		t.Fatalf("CustomerHistories = %d, %v", len(hist), err)
	}
	if got := hist[1].CancelledAt; !got.Equal(day(60)) {
		t.Errorf("c2 cancelled at %v; want %v", got, day(60))
	}
	if len(hist[0].Events) != 2 || hist[0].Events[1].DaysLate != 4 || len(hist[1].Events) != 2 {
		t.Errorf("events = %+v / %+v", hist[0].Events, hist[1].Events)
	}
	active, err := s.CustomerHistories(ctx, true)
	if err != nil || len(active) != 1 || active[0].ExtKey != "c1" {
		t.Errorf("active customers = %+v, %v; want only c1", active, err)
	}
}

func TestChurnScoresRiskListAndActions(t *testing.T) {
	ctx := context.Background()
	s, _ := mustOpen(t)
	var rows []CustomerImport
	fees := []int64{1_000_000, 4_000_000, 2_000_000, 500_000}
	for i, f := range fees {
		rows = append(rows, CustomerImport{Customer: Customer{ExtKey: string(rune('a' + i)), MonthlyFeeCOP: f, StartedAt: day(10 * i)}})
	}
	if _, _, err := s.ImportCustomers(ctx, rows, nil); err != nil {
		t.Fatal(err)
	}
	probs := []float64{0.6, 0.2, 0.35, 0.05} // at stake: 600k, 800k, 700k, 25k
	var scores []ChurnScore
	for i, p := range probs {
		scores = append(scores, ChurnScore{CustomerID: int64(i + 1), ScoredAt: day(100), Probability: p, Model: "forest:9",
			Reasons: []Reason{{Feature: "late_payments", Value: "pagos atrasados", Weight: p / 2}}})
	}
	if err := s.SaveChurnScores(ctx, scores); err != nil {
		t.Fatal(err)
	}
	// An older snapshot saved later must not replace the latest score.
	if err := s.SaveChurnScores(ctx, []ChurnScore{{CustomerID: 1, ScoredAt: day(90), Probability: 0.01, Model: "forest:8"}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sort string
		want []string
	}{
		{"risk", []string{"a", "c", "b", "d"}},
		{"at_stake", []string{"b", "c", "a", "d"}},
		{"tenure", []string{"a", "b", "c", "d"}},
	}
	for _, tt := range tests {
		got, err := s.ChurnRisk(ctx, RiskFilter{Sort: tt.sort})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, r := range got {
			keys = append(keys, r.ExtKey)
		}
		if len(keys) != len(tt.want) || keys[0] != tt.want[0] || keys[1] != tt.want[1] || keys[2] != tt.want[2] {
			t.Errorf("sort %s: %v; want %v", tt.sort, keys, tt.want)
		}
		if tt.sort == "risk" && (got[0].Probability != 0.6 || got[0].AtStakeCOP != 600_000 || len(got[0].Reasons) != 1 || got[0].Model != "forest:9") {
			t.Errorf("top row = %+v", got[0])
		}
	}
	n, fee, loss, err := s.RevenueAtRisk(ctx, 0.3)
	if err != nil || n != 2 || fee != 3_000_000 || loss != 1_300_000 {
		t.Errorf("RevenueAtRisk(0.3) = %d, %d, %d, %v; want 2, 3000000, 1300000", n, fee, loss, err)
	}
	bands, err := s.ChurnRiskBands(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantBands := []int{1, 0, 1, 1, 1} // 0.05 | - | 0.2 | 0.35 | 0.6
	for i, b := range bands {
		if b.Customers != wantBands[i] {
			t.Errorf("band %v–%v: %d customers; want %d", b.From, b.To, b.Customers, wantBands[i])
		}
	}
	if err := s.ActOnCustomer(ctx, 1, CustomerAction{Kind: "contacted", ByUser: 7}); err != nil {
		t.Fatal(err)
	}
	if err := s.ActOnCustomer(ctx, 1, CustomerAction{Kind: "churned", ByUser: 7}); err != nil {
		t.Fatal(err)
	}
	if err := s.ActOnCustomer(ctx, 1, CustomerAction{Kind: "retained"}); !errors.Is(err, ErrConflict) {
		t.Errorf("retaining a churned customer: %v; want ErrConflict", err)
	}
	if err := s.ActOnCustomer(ctx, 99, CustomerAction{Kind: "contacted"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown customer: %v; want ErrNotFound", err)
	}
	if err := s.ActOnCustomer(ctx, 2, CustomerAction{Kind: "deleted"}); err == nil {
		t.Error("unknown action accepted")
	}
	if bands, _ := s.ChurnRiskBands(ctx); bands[4].Customers != 0 || bands[3].Customers != 1 {
		t.Errorf("bands after customer a churned: %+v; want the 0.5+ band empty", bands)
	}
	got, _ := s.ChurnRisk(ctx, RiskFilter{})
	if len(got) != 3 || got[0].ExtKey != "c" {
		t.Errorf("after churned: %d rows, first %q; want 3, c", len(got), got[0].ExtKey)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM churn_scores`); n != 5 {
		t.Errorf("churn_scores rows = %d; want 5 (history kept)", n)
	}
}

func TestWonLeadBecomesCustomer(t *testing.T) {
	ctx := context.Background()
	s, _ := mustOpen(t)
	if err := s.InsertSyntheticLeads(ctx, 3, t0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lead    int64
		a       LeadAction
		wantFee int64
	}{
		{1, LeadAction{Kind: "won", ValueCOP: 3_000_000}, 3_000_000},
		{2, LeadAction{Kind: "won", ValueCOP: 9_000_000, FeeCOP: 1_500_000}, 1_500_000},
	}
	for _, tt := range tests {
		if err := s.ActOnLead(ctx, tt.lead, tt.a); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ActOnLead(ctx, 3, LeadAction{Kind: "lost", Detail: "precio"}); err != nil {
		t.Fatal(err)
	}
	hist, err := s.CustomerHistories(ctx, true)
	if err != nil || len(hist) != 2 {
		t.Fatalf("customers = %d, %v; want 2 (the won leads)", len(hist), err)
	}
	for i, tt := range tests {
		c := hist[i]
		if c.LeadID != tt.lead || c.MonthlyFeeCOP != tt.wantFee || !c.StartedAt.Equal(t0) || c.ExtKey != "lead:"+string(rune('0'+tt.lead)) {
			t.Errorf("customer %d = %+v; want lead %d, fee %d, start %v", i, c.Customer, tt.lead, tt.wantFee, t0)
		}
		if len(c.Events) != 1 || c.Events[0].Kind != EventFeeChange || c.Events[0].AmountCOP != tt.wantFee {
			t.Errorf("customer %d events = %+v; want the starting fee", i, c.Events)
		}
	}
}

func TestModelKindsHaveOneActiveEach(t *testing.T) {
	ctx := context.Background()
	s, _ := mustOpen(t)
	lead, err := s.SaveModel(ctx, []byte("lead"), "l", true)
	if err != nil {
		t.Fatal(err)
	}
	churn, err := s.SaveModelKind(ctx, KindChurn, []byte("churn"), "c", true)
	if err != nil {
		t.Fatal(err)
	}
	if id, body, err := s.ActiveBundle(ctx); err != nil || id != lead || string(body) != "lead" {
		t.Errorf("active lead model = %d %q %v; want %d (a churn model must not replace it)", id, body, err, lead)
	}
	if id, _, err := s.ActiveBundleKind(ctx, KindChurn); err != nil || id != churn {
		t.Errorf("active churn model = %d %v; want %d", id, err, churn)
	}
	lead2, _ := s.SaveModel(ctx, []byte("lead2"), "l2", false)
	if err := s.ActivateModel(ctx, lead2); err != nil {
		t.Fatal(err)
	}
	if id, _, _ := s.ActiveBundleKind(ctx, KindChurn); id != churn {
		t.Errorf("activating a lead model deactivated churn model %d (now %d)", churn, id)
	}
	list, _ := s.Models(ctx)
	if len(list) != 3 || list[1].Kind != KindChurn || list[0].Kind != KindLead {
		t.Errorf("Models kinds = %+v", list)
	}
}
