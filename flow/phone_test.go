package flow

import "testing"

func TestParsePhone(t *testing.T) {
	tests := []struct {
		in, want string // want "" when refused
	}{
		// Colombian mobiles, as typed.
		{"3001234567", "+573001234567"},
		{"300 123 4567", "+573001234567"},
		{"300-123-4567", "+573001234567"},
		{"300.123.4567", "+573001234567"},
		{"(300) 123-4567", "+573001234567"},
		{"+57 300 123 4567", "+573001234567"},
		{"+573001234567", "+573001234567"},
		{"57 300 1234567", "+573001234567"},
		{"0057 300 123 4567", "+573001234567"},
		{"mi cel es 310 555 1234", "+573105551234"},
		{"whatsapp: 321 000 11 22, gracias", "+573210001122"},
		// International numbers need their country code.
		{"+1 305 555 0123", "+13055550123"},
		{"+1 (305) 555-0123", "+13055550123"},
		{"0034 612 34 56 78", "+34612345678"},
		{"+52 55 1234 5678", "+525512345678"},
		// Refused.
		{"601 345 6789", ""},      // a Bogotá landline: no WhatsApp
		{"+57 601 345 6789", ""},  // idem with the country code
		{"300 123 45", ""},        // too short
		{"30012345678", ""},       // eleven digits
		{"212 555 0123", ""},      // a foreign number without its country code
		{"+12345", ""},            // too short for any country
		{"+1234567890123456", ""}, // too long for E.164
		{"no tengo", ""},
		{"", ""},
		{"2 millones", ""},
	}
	for _, tt := range tests {
		got, ok := ParsePhone(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("ParsePhone(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func FuzzParsePhone(f *testing.F) {
	for _, s := range []string{"300 123 4567", "+1 305 555 0123", "", "+", "00", "(((", "5757575757575757"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := ParsePhone(s)
		if ok && (len(p) < 9 || len(p) > 16 || p[0] != '+') {
			t.Fatalf("ParsePhone(%q) = %q: not E.164", s, p)
		}
	})
}
