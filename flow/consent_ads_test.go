package flow

import (
	"strings"
	"testing"
	"time"
)

// TestConsentSaysAdConversions: an agency that reports conversions of its
// click-to-WhatsApp ads to Meta (issue 18) says so in the consent text, in
// each language, before the question; one that does not, does not.
func TestConsentSaysAdConversions(t *testing.T) {
	loc, err := time.LoadLocation("America/Bogota")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang, hello, want string
		ads               bool
	}{
		{"es", "Hola", "le contaremos a Meta si tu solicitud avanzó", true},
		{"en", "Hello", "we will tell Meta whether your request went ahead", true},
		{"es", "Hola", "", false},
	} {
		cfg := DefaultConfig(loc)
		cfg.Lang, cfg.Agency.AdConversions = tc.lang, tc.ads
		m, err := New(cfg, fixedScorer(Hot))
		if err != nil {
			t.Fatal(err)
		}
		r := m.Step(State{}, text("1", tc.hello), monday10)
		consent := r.Replies[len(r.Replies)-1].Text
		mentions := strings.Contains(consent, "Meta")
		if mentions != tc.ads || (tc.ads && !strings.Contains(consent, tc.want)) {
			t.Errorf("%s, conversions %v: consent mentions Meta = %v:\n%s", tc.lang, tc.ads, mentions, consent)
		}
		if tc.ads && strings.Index(consent, "Meta") > strings.LastIndex(consent, "\n\n") {
			t.Errorf("%s: the Meta sentence comes after the question:\n%s", tc.lang, consent)
		}
	}
}
