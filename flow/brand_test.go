package flow

import (
	"strings"
	"testing"
)

// replyText returns the text of the reply with key k in r, "" when none.
func replyText(r Result, k string) string {
	for _, rep := range r.Replies {
		if rep.Key == k {
			return rep.Text
		}
	}
	return ""
}

// TestBrandNamesTheController: a number's brand is the data controller its
// greeting and consent text name, in Spanish and in English (Ley 1581 art.
// 12); the contact and policy URL it leaves empty are the installation's;
// the machine it came from still speaks as the installation.
func TestBrandNamesTheController(t *testing.T) {
	base := newTestMachine(t, Hot)
	norte, err := base.ForBrand(Brand{Agency: Agency{Name: "Norte Digital SAS", Contact: "datos@norte.example"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, first          string
		m                    *Machine
		want, contact, other string
	}{
		{"brand es", "hola", norte, "Norte Digital SAS", "datos@norte.example", "Agencia Demo"},
		{"brand en", "Hi, I need a website", norte, "Norte Digital SAS", "datos@norte.example", "Agencia Demo"},
		{"installation", "hola", base, "Agencia Demo", "datos@agencia.example", "Norte Digital SAS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.m.Step(State{}, text("m1", tc.first), monday10)
			greeting, consent := replyText(r, "greeting"), replyText(r, "consent")
			if !strings.Contains(greeting, tc.want) || !strings.Contains(consent, tc.want) {
				t.Errorf("greeting %q / consent %q do not name %q", greeting, consent, tc.want)
			}
			if !strings.Contains(consent, tc.contact) || !strings.Contains(consent, "https://agencia.example/privacidad") {
				t.Errorf("consent %q lacks the contact %q or the installation's policy URL", consent, tc.contact)
			}
			if strings.Contains(greeting+consent, tc.other) {
				t.Errorf("the texts name %q too", tc.other)
			}
		})
	}
}

// TestBrandCatalogue: a number with its own services offers and reads
// those; one without keeps the installation's.
func TestBrandCatalogue(t *testing.T) {
	base := newTestMachine(t, Hot)
	own := Catalogue{
		{Key: "fotografia", Label: map[string]string{"es": "Fotografía de producto", "en": "Product photography"}, Synonyms: []string{"fotos", "fotografia"}},
		{Key: "video", Label: map[string]string{"es": "Video corporativo", "en": "Corporate video"}, Synonyms: []string{"video"}},
	}
	studio, err := base.ForBrand(Brand{Agency: Agency{Name: "Estudio Sur"}, Catalogue: own})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := base.ForBrand(Brand{Agency: Agency{Name: "Norte"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := studio.Config().Catalogue; len(got) != 2 || got[0].Key != "fotografia" {
		t.Errorf("brand catalogue = %v", got)
	}
	if got, want := len(plain.Config().Catalogue), len(base.Config().Catalogue); got != want {
		t.Errorf("a brand without services has %d; want the installation's %d", got, want)
	}
	r := converse(studio, monday10, "hola", "sí", "Carlos", "Cali", "2 millones", "esta semana", "fotos de producto")
	if st := r.State.Answers.Service; st != "fotografia" {
		t.Errorf("service read by the brand = %q; want fotografia (state %+v)", st, r.State.Stage)
	}
}

// TestBrandNeedsAName: no consent text without a controller's name; a bad
// catalogue is refused with its fault.
func TestBrandNeedsAName(t *testing.T) {
	base := newTestMachine(t, Hot)
	if _, err := base.ForBrand(Brand{}); err == nil {
		t.Error("a brand without a name was accepted")
	}
	if _, err := base.ForBrand(Brand{Agency: Agency{Name: "X"}, Catalogue: Catalogue{{Key: "Bad Key"}}}); err == nil {
		t.Error("a bad catalogue was accepted")
	}
}
