package flow

import "testing"

func TestDetectLang(t *testing.T) {
	tests := []struct {
		in     string
		strict bool
		want   string
	}{
		{"Hi, I'd like some information", false, "en"},
		{"Hello! I'm looking for someone to build a website", false, "en"},
		{"hi", false, "en"},
		{"Hola, quiero información", false, "es"},
		{"buenas tardes, me interesa una página", false, "es"},
		{"hola", false, "es"},
		// Either language: no switch.
		{"ok", false, ""},
		{"SEO", false, ""},
		{"Cali", false, ""},
		{"Hola, quiero info de SEO please", false, "es"},
		// Once the conversation has a language, one word does not switch it.
		{"yes", true, ""},
		{"ok, my bad", true, ""},
		{"yes, I agree", true, "en"},
		{"I need it as soon as possible", true, "en"},
	}
	for _, tt := range tests {
		if got := detectLang(splitMsg(tt.in).words, tt.strict); got != tt.want {
			t.Errorf("detectLang(%q, strict=%v) = %q; want %q", tt.in, tt.strict, got, tt.want)
		}
	}
}
