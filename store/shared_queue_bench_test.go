package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkAssignWaiting is one tick of the shared queue with a full batch
// waiting: 200 of 400 unassigned leads placed among 20 advisors (10 of
// them part-time, each at most 10 open leads), inside a transaction rolled
// back after each run so every iteration places the same queue.
//
//	go test ./store -run '^$' -bench AssignWaiting -benchtime 20x
func BenchmarkAssignWaiting(b *testing.B) {
	now := t0
	s := queueStore(b, &now)
	ctx := context.Background()
	var as []Advisor
	for i := range 20 {
		as = append(as, Advisor{Name: fmt.Sprintf("asesor%02d", i)})
	}
	if err := s.SetAdvisors(ctx, as); err != nil {
		b.Fatal(err)
	}
	for i, a := range as {
		st := AdvisorSettings{MaxOpen: 10, Away: true}
		if i%2 == 1 {
			st.Hours = "lun-vie 8-12"
		}
		if err := s.SetAdvisorSettings(ctx, a.Name, st); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 400 { // everybody away: every lead waits
		assignedLead(b, s, 1000+i, "web")
	}
	if _, err := s.rw.Exec(`UPDATE users SET away = 0, away_reason = ''`); err != nil {
		b.Fatal(err)
	}
	rules := s.ruleSet()
	b.ResetTimer()
	for b.Loop() {
		tx, err := s.rw.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		n, err := assignWaiting(ctx, tx, rules, millis(now.Add(time.Minute)))
		_ = tx.Rollback()
		if err != nil || n != 200 {
			b.Fatalf("placed %d, %v; want 200 (20 advisors × 10)", n, err)
		}
	}
}
