package demo

import (
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/store"
)

var testEnd = time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC) // as in scoring's tests, where this test lived

func TestDemoCustomersAreReproducibleAndPlausible(t *testing.T) {
	places, err := place.Load()
	if err != nil {
		t.Fatal(err)
	}
	hist := History(places, 3000, testEnd, 9)
	a := Customers(hist, testEnd, 9, "x-")
	b := Customers(hist, testEnd, 9, "x-")
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("%d vs %d customers", len(a), len(b))
	}
	won, cancelled := 0, 0
	for _, h := range hist {
		if h.Converted {
			won++
		}
	}
	for i := range a {
		if a[i].ExtKey != b[i].ExtKey || a[i].MonthlyFeeCOP != b[i].MonthlyFeeCOP || len(a[i].Events) != len(b[i].Events) || !a[i].CancelledAt.Equal(b[i].CancelledAt) {
			t.Fatalf("customer %d differs between two runs with the same seed", i)
		}
		c := a[i]
		if c.MonthlyFeeCOP < 200_000 || c.Events[0].Kind != store.EventFeeChange || !c.Events[0].At.Equal(c.StartedAt) {
			t.Errorf("customer %s: fee %d, first event %+v", c.ExtKey, c.MonthlyFeeCOP, c.Events[0])
		}
		for k, e := range c.Events {
			if e.At.After(testEnd) || (!c.CancelledAt.IsZero() && e.At.After(c.CancelledAt)) || (k > 0 && e.At.Before(c.Events[k-1].At)) {
				t.Fatalf("customer %s: event %+v out of order or after the end/cancellation", c.ExtKey, e)
			}
		}
		if !c.CancelledAt.IsZero() {
			cancelled++
		}
	}
	if len(a) < won*9/10 || len(a) > won {
		t.Errorf("%d customers from %d won leads", len(a), won)
	}
	if share := float64(cancelled) / float64(len(a)); share < 0.15 || share > 0.75 {
		t.Errorf("%.0f %% of customers cancelled over the history; want a plausible share", 100*share)
	}
}
