package insight

import "github.com/cis-agencia/cis/store"

// Totals are the leads of a class, or of several, over a period.
type Totals struct {
	N, Won, Lost     int
	Contacted, InSLA int // first contact recorded; at or before the deadline
	RevenueCOP       int64
}

func (t *Totals) add(m store.LeadMonth) {
	t.N += m.N
	t.Won += m.Won
	t.Lost += m.Lost
	t.Contacted += m.Contacted
	t.InSLA += m.InSLA
	t.RevenueCOP += m.RevenueCOP
}

// Classes returns the lead classes of the analytics pages in their order;
// "" is imported history (never scored live).
func Classes() []string { return []string{"hot", "warm", "cold", ""} }

// Overview is a period's leads summed by month and class: the numbers
// behind the overview page, which words and draws them.
type Overview struct {
	Months   []string                              // the months with leads, in the store's order (oldest first)
	ByMonth  map[string]map[string]store.LeadMonth // month → class → its row
	PerClass map[string]Totals                     // class → the period's totals; absent: no leads
	All      Totals                                // every class
	Live     Totals                                // hot, warm and cold: the leads the deadlines apply to
}

// Summarize sums the store's lead months (store.LeadMonths).
func Summarize(months []store.LeadMonth) Overview {
	o := Overview{ByMonth: map[string]map[string]store.LeadMonth{}, PerClass: map[string]Totals{}}
	for _, m := range months {
		if _, ok := o.ByMonth[m.Month]; !ok {
			o.ByMonth[m.Month] = map[string]store.LeadMonth{}
			o.Months = append(o.Months, m.Month)
		}
		o.ByMonth[m.Month][m.Class] = m
		t := o.PerClass[m.Class]
		t.add(m)
		o.PerClass[m.Class] = t
		o.All.add(m)
		if m.Class == "hot" || m.Class == "warm" || m.Class == "cold" {
			o.Live.add(m)
		}
	}
	return o
}
