package flow

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

var catalogueTests = []struct {
	in   string
	want string // "" when ok is false
}{
	// Menu numbers.
	{"1", "seo"},
	{"2", "social"},
	{"3", "ads"},
	{"4", "web"},
	{"5", "branding"},
	{"6", "email"},
	{"7", "other"},
	{"opción 3", "ads"},
	{"la 4", "web"},
	{"4️⃣", "web"},
	{"la primera", "seo"},
	{"8", ""},
	{"0", ""},
	// Web.
	{"página web", "web"},
	{"una pagina", "web"},
	{"Sitio Web", "web"},
	{"tienda virtual", "web"},
	{"una landing", "web"},
	{"ecommerce", "web"},
	{"E-commerce", "web"},
	{"Necesito una página web para mi negocio", "web"},
	// Ads: longer overlapping phrases beat social's "facebook", "redes".
	{"facebook ads", "ads"},
	{"pauta en instagram", "ads"},
	{"google ads", "ads"},
	{"anuncios", "ads"},
	{"publicidad en redes", "ads"},
	{"publicidad en redes sociales", "ads"},
	{"Pauta digital (anuncios)", "ads"},
	// Social.
	{"manejo de redes", "social"},
	{"community manager", "social"},
	{"instagram", "social"},
	{"TikTok", "social"},
	{"contenido", "social"},
	{"quiero manejo de redes sociales para mi restaurante", "social"},
	// SEO: "posicionamiento web" beats web's "web".
	{"posicionamiento", "seo"},
	{"salir en google", "seo"},
	{"SEO", "seo"},
	{"me interesa el posicionamiento web", "seo"},
	// Branding, email, other.
	{"logo", "branding"},
	{"mi marca", "branding"},
	{"identidad", "branding"},
	{"mailing", "email"},
	{"correos", "email"},
	{"newsletter", "email"},
	{"quiero hacer campañas de email", "email"},
	{"otro", "other"},
	{"Otra cosa", "other"},
	{"Web design", "web"},
	// Several services: the first named is the lead's (ParseAll lists all).
	{"SEO y página web", "seo"},
	{"redes sociales y página web", "social"},
	{"1 y 2", "seo"},
	// Everyday names (issue 13).
	{"google", "seo"},
	{"pauta en facebook e instagram", "ads"},
	{"quiero que me manejen el insta", "social"},
	{"salir de primeras en google", "seo"},
	{"redes sociales y pauta", "social"},
	{"que me manejen las redes", "social"},
	{"una tienda online para vender ropa", "web"},
	{"campañas en google", "ads"},
	{"logo y tarjetas de presentación", "branding"},
	// Typing errors, one letter (two in long words).
	{"posisionamiento", "seo"},
	{"instagran", "social"},
	{"pagina wev", "web"},
	{"publisidad", "ads"},
	// General marketing, or nothing: the menu.
	{"marketing", ""},
	{"marketing digital", ""},
	{"", ""},
	{"hola", ""},
	{"quiero", ""},
}

func TestCatalogueParse(t *testing.T) {
	c := DefaultCatalogue()
	for _, tt := range catalogueTests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := c.Parse(tt.in)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("Parse(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.want != "")
			}
		})
	}
}

// TestParseAll: several services in one answer, in the order named; a
// platform list after ads stays ads; general marketing asks for the menu.
func TestParseAll(t *testing.T) {
	x := newServiceIndex(DefaultCatalogue())
	tests := []struct {
		in      string
		want    []string
		generic bool
	}{
		{"redes sociales y pauta", []string{"social", "ads"}, false},
		{"pauta en facebook e instagram", []string{"ads"}, false},
		{"pauta en facebook, instagram y tiktok", []string{"ads"}, false},
		{"para promocionar mi negocio en Facebook", []string{"ads"}, false},
		{"página web y redes sociales", []string{"web", "social"}, false},
		{"publicidad en google y una página web", []string{"ads", "web"}, false},
		{"página web, SEO y redes", []string{"web", "seo", "social"}, false},
		{"1 y 3", []string{"seo", "ads"}, false},
		{"manejo de redes y pauta en instagram", []string{"social", "ads"}, false},
		{"marketing digital", nil, true},
		{"un poco de todo", nil, true},
		{"marketing digital, sobre todo redes", []string{"social"}, false},
		{"email marketing", []string{"email"}, false},
		{"ninguna de las anteriores", []string{"other"}, false},
	}
	for _, tt := range tests {
		keys, generic := x.parse(splitMsg(tt.in), true)
		if !slices.Equal(keys, tt.want) || generic != tt.generic {
			t.Errorf("parse(%q) = %v, %v; want %v, %v", tt.in, keys, generic, tt.want, tt.generic)
		}
	}
}

func TestDefaultCatalogueValid(t *testing.T) {
	if err := DefaultCatalogue().Validate(); err != nil {
		t.Fatalf("DefaultCatalogue().Validate() = %v; want nil", err)
	}
}

func TestCatalogueValidate(t *testing.T) {
	labels := func(es string) map[string]string { return map[string]string{"es": es, "en": es} }
	tests := []struct {
		name    string
		c       Catalogue
		wantErr string // substring; "" for valid
	}{
		{"valid", Catalogue{{Key: "seo", Label: labels("SEO")}, {Key: "web_2", Label: labels("Web")}}, ""},
		{"empty", Catalogue{}, "no services"},
		{"empty key", Catalogue{{Key: "", Label: labels("SEO")}}, "key"},
		{"upper-case key", Catalogue{{Key: "SEO", Label: labels("SEO")}}, "key"},
		{"key with space", Catalogue{{Key: "redes sociales", Label: labels("Redes")}}, "key"},
		{"duplicate key", Catalogue{{Key: "seo", Label: labels("SEO")}, {Key: "seo", Label: labels("Posicionamiento")}}, "already used"},
		{"no en label", Catalogue{{Key: "seo", Label: map[string]string{"es": "SEO"}}}, `"en"`},
		{"blank es label", Catalogue{{Key: "seo", Label: map[string]string{"es": " ", "en": "SEO"}}}, `"es"`},
		{"synonym of two services", Catalogue{
			{Key: "seo", Label: labels("SEO"), Synonyms: []string{"Google"}},
			{Key: "ads", Label: labels("Ads"), Synonyms: []string{"google"}},
		}, "also names"},
		{"numeric synonym", Catalogue{{Key: "seo", Label: labels("SEO"), Synonyms: []string{"2"}}}, "number"},
		{"empty synonym", Catalogue{{Key: "seo", Label: labels("SEO"), Synonyms: []string{"!!"}}}, "no letters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v; want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v; want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestCatalogueLabel(t *testing.T) {
	c := DefaultCatalogue()
	c = append(c, Service{Key: "video", Label: map[string]string{"es": "Video"}})
	tests := []struct{ key, lang, want string }{
		{"seo", "es", "SEO (posicionamiento en Google)"},
		{"seo", "en", "SEO (Google ranking)"},
		{"seo", "pt", "SEO (posicionamiento en Google)"},
		{"video", "en", "Video"},
		{"removed", "es", "removed"},
	}
	for _, tt := range tests {
		if got := c.Label(tt.key, tt.lang); got != tt.want {
			t.Errorf("Label(%q, %q) = %q; want %q", tt.key, tt.lang, got, tt.want)
		}
	}
}

func TestDefaultCatalogueIsFresh(t *testing.T) {
	c := DefaultCatalogue()
	c[0].Label["es"] = "cambiado"
	if got := DefaultCatalogue().Label("seo", "es"); got == "cambiado" {
		t.Errorf("DefaultCatalogue shares its maps between calls")
	}
}

func FuzzCatalogueParse(f *testing.F) {
	for _, tt := range catalogueTests {
		f.Add(tt.in)
	}
	c := DefaultCatalogue()
	f.Fuzz(func(t *testing.T, in string) {
		got, ok := c.Parse(in)
		if !ok {
			if got != "" {
				t.Errorf("Parse(%q) = %q, false; want \"\" when not ok", in, got)
			}
			return
		}
		i := -1
		for k, s := range c {
			if s.Key == got {
				i = k
			}
		}
		if i < 0 {
			t.Fatalf("Parse(%q) = %q; not a catalogue key", in, got)
		}
		// The menu number of the answer round-trips, and so does its label.
		if again, ok := c.Parse(strconv.Itoa(i + 1)); again != got || !ok {
			t.Errorf("Parse(%q) = %q, %v; want %q", strconv.Itoa(i+1), again, ok, got)
		}
		if again, ok := c.Parse(c.Label(got, "es")); again != got || !ok {
			t.Errorf("Parse(%q) = %q, %v; want %q", c.Label(got, "es"), again, ok, got)
		}
	})
}

func BenchmarkCatalogueParse(b *testing.B) {
	c := DefaultCatalogue()
	for b.Loop() {
		for _, in := range []string{"3", "facebook ads", "Necesito una página web para mi negocio"} {
			c.Parse(in)
		}
	}
}
