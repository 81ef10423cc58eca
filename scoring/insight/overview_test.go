package insight

import (
	"testing"

	"github.com/cis-agencia/cis/store"
)

func TestSummarize(t *testing.T) {
	months := []store.LeadMonth{
		{Month: "2026-01", Class: "hot", N: 10, Won: 4, Lost: 2, RevenueCOP: 1000, Contacted: 9, InSLA: 7},
		{Month: "2026-01", Class: "", Origin: "history", N: 50, Won: 5, Lost: 30, RevenueCOP: 500},
		{Month: "2026-02", Class: "cold", N: 20, Won: 1, Lost: 10, RevenueCOP: 100, Contacted: 15, InSLA: 15},
		{Month: "2026-02", Class: "hot", N: 5, Won: 1, Lost: 1, RevenueCOP: 300, Contacted: 5, InSLA: 4},
	}
	o := Summarize(months)
	if len(o.Months) != 2 || o.Months[0] != "2026-01" || o.Months[1] != "2026-02" {
		t.Errorf("months = %v; want the store's order, once each", o.Months)
	}
	tests := []struct {
		name string
		got  Totals
		want Totals
	}{
		{"hot", o.PerClass["hot"], Totals{N: 15, Won: 5, Lost: 3, Contacted: 14, InSLA: 11, RevenueCOP: 1300}},
		{"history", o.PerClass[""], Totals{N: 50, Won: 5, Lost: 30, RevenueCOP: 500}},
		{"all", o.All, Totals{N: 85, Won: 11, Lost: 43, Contacted: 29, InSLA: 26, RevenueCOP: 1900}},
		{"live", o.Live, Totals{N: 35, Won: 6, Lost: 13, Contacted: 29, InSLA: 26, RevenueCOP: 1400}},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %+v; want %+v", tt.name, tt.got, tt.want)
		}
	}
	if _, ok := o.PerClass["warm"]; ok {
		t.Error("a class without leads has totals")
	}
	if got := o.ByMonth["2026-02"]["cold"].N; got != 20 {
		t.Errorf("2026-02 cold = %d; want 20", got)
	}
}
