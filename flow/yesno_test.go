package flow

import (
	"strings"
	"testing"
)

// TestYesNo tests the consent forms both ways: every form of the one list
// (consentForms) counts, alone and in the sentences people write around it,
// and what is not an explicit yes or no never counts.
func TestYesNo(t *testing.T) {
	tests := []struct {
		in      string
		yes, ok bool
	}{
		// Explicit yes, as typed.
		{"sí", true, true}, {"si", true, true}, {"Sí", true, true}, {"SI", true, true}, {"sí.", true, true}, {"Sí!", true, true},
		{"siii", true, true}, {"sip", true, true}, {"sisas", true, true}, {"si acepto", true, true}, {"Sí, acepto", true, true},
		{"acepto", true, true}, {"Acepto.", true, true}, {"autorizo", true, true}, {"Sí autorizo", true, true},
		{"de acuerdo", true, true}, {"Estoy de acuerdo", true, true}, {"claro que sí", true, true}, {"si claro", true, true},
		{"sí señor", true, true}, {"Sí señora", true, true}, {"por supuesto", true, true}, {"yes", true, true}, {"Yes!", true, true},
		{"I agree", true, true}, {"yes I agree", true, true}, {"sure", true, true}, {"of course", true, true}, {"yeah", true, true},
		{"sí, soy mayor de edad", true, true},
		// Casual yeses (issue 13: they looped at the consent).
		{"dale", true, true}, {"listo", true, true}, {"ok", true, true}, {"OK", true, true}, {"okey", true, true},
		{"oki", true, true}, {"ok dale", true, true}, {"de una", true, true}, {"bueno", true, true}, {"bueno, acepto", true, true},
		{"vale", true, true}, {"claro", true, true}, {"va", true, true}, {"hágale", true, true}, {"hagale pues", true, true},
		{"con gusto", true, true}, {"listo pues", true, true}, {"perfecto", true, true}, {"no hay problema", true, true},
		{"Dale, de una 👍", true, true}, {"hola! sí claro", true, true}, {"melo", true, true},
		// Accept inside a sentence.
		{"bueno, acepto el tratamiento de mis datos", true, true}, {"Sí, claro, autorizo", true, true},
		{"pues yo acepto", true, true}, {"listo, autorizo el uso de mis datos", true, true},
		{"sí, soy Laura de Cali", true, true}, {"dale, necesito una página web", true, true},
		// Explicit no.
		{"no", false, true}, {"No", false, true}, {"NO", false, true}, {"no.", false, true}, {"No acepto", false, true},
		{"no autorizo", false, true}, {"no gracias", false, true}, {"No, gracias", false, true}, {"nop", false, true},
		{"I do not agree", false, true}, {"I don't agree", false, true}, {"no thanks", false, true}, {"nope", false, true},
		{"no quiero", false, true}, {"no me interesa", false, true}, {"mejor no", false, true}, {"claro que no", false, true},
		{"para nada", false, true}, {"gracias, no", false, true}, {"yo no acepto eso", false, true},
		{"no estoy de acuerdo", false, true},
		// Never an answer: unclear, hedged, questions, emoji, both.
		{"👍", false, false}, {"👌👌", false, false}, {"tal vez", false, false}, {"no sé", false, false}, {"hola", false, false},
		{"Carlos", false, false}, {"", false, false}, {"sí pero no", false, false}, {"depende", false, false},
		{"qué es eso", false, false}, {"bueno, ¿y qué hacen con mis datos?", false, false}, {"ok pero primero dime el precio", false, false},
		{"creo que no sé", false, false}, {"maybe", false, false},
		{"déjame pensarlo", false, false}, {"cuánto cuesta?", false, false}, {"Salir", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			yes, ok := yesNo(tt.in)
			if yes != tt.yes || ok != tt.ok {
				t.Errorf("yesNo(%q) = %v, %v; want %v, %v", tt.in, yes, ok, tt.yes, tt.ok)
			}
		})
	}
}

// TestConsentFormsAllCount checks every form of the documented list alone:
// the list is the contract the README states.
func TestConsentFormsAllCount(t *testing.T) {
	check := func(forms []string, yes bool) {
		for _, f := range forms {
			if got, ok := yesNo(f); !ok || got != yes {
				t.Errorf("listed form %q: yesNo = %v, %v; want %v, true", f, got, ok, yes)
			}
		}
	}
	check(consentForms.Accept, true)
	check(consentForms.Yes, true)
	check(consentForms.Casual, true)
	check(consentForms.Refuse, false)
	check(consentForms.No, false)
	for _, h := range consentForms.Hedge {
		if _, ok := yesNo(h); ok {
			t.Errorf("hedge %q counted as an answer", h)
		}
		if _, ok := yesNo("sí, " + h); ok {
			t.Errorf("hedged yes %q counted as an answer", "sí, "+h)
		}
	}
	for _, list := range [][]string{consentForms.Accept, consentForms.Yes, consentForms.Casual, consentForms.Refuse, consentForms.No, consentForms.Hedge} {
		for _, f := range list {
			if f != fold(f) || strings.TrimSpace(f) != f {
				t.Errorf("form %q is not folded", f)
			}
		}
	}
}
