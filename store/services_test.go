package store

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestOtherServicesStored: a prospect who names several services ("redes
// sociales, pauta y SEO") gets the first as the lead's service; the others
// are stored with the lead, in the order named, and come back in the
// conversation's lead, the lead detail and the personal-data export. A lead
// with one service stores none, and its export has no such field.
func TestOtherServicesStored(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-11-13 09:00"), nil)
	several := append(slices.Clone(completeLead[:len(completeLead)-1]), "redes sociales, pauta y seo")
	e.say(t, "+573001112233", several...)
	e.say(t, "+573004445566", completeLead...)

	tests := []struct {
		phone   string
		service string
		others  []string
	}{
		{"+573001112233", "social", []string{"ads", "seo"}},
		{"+573004445566", "seo", nil}, // "1" on the menu
	}
	for _, tt := range tests {
		v, err := e.s.Conversation(ctx, "whatsapp", "573009999999", tt.phone)
		if err != nil || v.Lead == nil {
			t.Fatalf("%s: no lead: %v", tt.phone, err)
		}
		if v.Lead.Lead.Service != tt.service || !slices.Equal(v.Lead.Lead.OtherServices, tt.others) {
			t.Errorf("%s: conversation lead services %q + %v; want %q + %v", tt.phone, v.Lead.Lead.Service, v.Lead.Lead.OtherServices, tt.service, tt.others)
		}
		d, err := e.s.Lead(ctx, v.Lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d.Lead.Lead.OtherServices, tt.others) {
			t.Errorf("%s: lead detail other services %v; want %v", tt.phone, d.Lead.Lead.OtherServices, tt.others)
		}
		x, err := e.s.ExportByPhone(ctx, tt.phone, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Leads) != 1 || x.Leads[0].Service != tt.service || !slices.Equal(x.Leads[0].Others, tt.others) {
			t.Fatalf("%s: export leads %+v; want %q + %v", tt.phone, x.Leads, tt.service, tt.others)
		}
		b, err := json.Marshal(x.Leads[0])
		if err != nil {
			t.Fatal(err)
		}
		if named := strings.Contains(string(b), `"otros_servicios_other_services":["ads","seo"]`); named != (tt.others != nil) {
			t.Errorf("%s: export JSON %s", tt.phone, b)
		}
	}
}
