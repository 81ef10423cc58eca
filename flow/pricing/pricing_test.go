package pricing

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultRates(t *testing.T) {
	tab := Default()
	if !strings.Contains(tab.Note, "Illustrative") {
		t.Errorf("the built-in rates do not say they are illustrative: %q", tab.Note)
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d.Add(12 * time.Hour) }
	for _, tc := range []struct {
		country, category, at string
		want                  float64
		ok                    bool
	}{
		{"CO", "marketing", "2026-03-02", 50, true},
		{"CO", "service", "2026-09-30", 0, true},
		{"CO", "service", "2026-10-01", 3.2, true},  // service messages charged from October 2026
		{"PE", "utility", "2026-03-02", 16, true},   // the "*" rate
		{"CO", "marketing", "2025-06-30", 0, false}, // before per-message pricing
		{"CO", "spam", "2026-03-02", 0, false},
	} {
		got, ok := tab.Cost(tc.country, tc.category, day(tc.at))
		if got != tc.want || ok != tc.ok {
			t.Errorf("Cost(%s, %s, %s) = %v, %v; want %v, %v", tc.country, tc.category, tc.at, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseRefusesBadRates(t *testing.T) {
	for name, body := range map[string]string{
		"empty":       `{"rates":[]}`,
		"country":     `{"rates":[{"country":"Colombia","category":"marketing","from":"2025-07-01","cop":1}]}`,
		"category":    `{"rates":[{"country":"CO","category":"promo","from":"2025-07-01","cop":1}]}`,
		"date":        `{"rates":[{"country":"CO","category":"marketing","from":"1/7/2025","cop":1}]}`,
		"negative":    `{"rates":[{"country":"CO","category":"marketing","from":"2025-07-01","cop":-1}]}`,
		"unknown key": `{"rates":[{"country":"CO","category":"marketing","from":"2025-07-01","usd":1}]}`,
	} {
		if _, err := Parse([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCountry(t *testing.T) {
	for phone, want := range map[string]string{"+573001234567": "CO", "+593991234567": "EC", "+14155550100": "US",
		"+51987654321": "PE", "bsuid:CO.123": "", "573001234567": "", "+99912345": ""} {
		if got := Country(phone); got != want {
			t.Errorf("Country(%q) = %q; want %q", phone, got, want)
		}
	}
}
