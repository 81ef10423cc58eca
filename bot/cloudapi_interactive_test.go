package bot

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cis-agencia/cis/flow"
)

func opts(titles ...string) []flow.Option {
	out := make([]flow.Option, len(titles))
	for i, t := range titles {
		out[i] = flow.Option{ID: fmt.Sprintf("opt_%d", i+1), Title: t}
	}
	return out
}

const urgencyText = "¿Para cuándo necesitas el servicio?\n1. Lo antes posible\n2. Este mes\n3. En 1 a 3 meses\n4. Solo estoy explorando"

func TestInteractiveFor(t *testing.T) {
	consent := &flow.Menu{Kind: flow.MenuButtons, Options: []flow.Option{{ID: "consent_yes", Title: "Sí, acepto"}, {ID: "consent_no", Title: "No acepto"}}}
	urgency := &flow.Menu{Kind: flow.MenuList, Button: "Elegir", Options: opts("Lo antes posible", "Este mes", "En 1 a 3 meses", "Solo estoy explorando")}
	tests := []struct {
		name     string
		text     string
		menu     *flow.Menu
		wantType string   // "" = sent as text
		wantBody string   // "" = not checked
		titles   []string // button or row titles
		descs    []string // row descriptions (nil = not checked)
		button   string   // list label (list only)
	}{
		{name: "no menu", text: "hola", menu: nil},
		{name: "consent as buttons", text: "¿Autorizas? Responde *SÍ* o *NO*.", menu: consent, wantType: "button",
			wantBody: "¿Autorizas? Responde *SÍ* o *NO*.", titles: []string{"Sí, acepto", "No acepto"}},
		{name: "urgency as a list without its numbered lines", text: urgencyText, menu: urgency, wantType: "list",
			wantBody: "¿Para cuándo necesitas el servicio?", titles: []string{"Lo antes posible", "Este mes", "En 1 a 3 meses", "Solo estoy explorando"},
			button: "Elegir"},
		{name: "four buttons become a list", text: "Elige", menu: &flow.Menu{Kind: flow.MenuButtons, Options: opts("A", "B", "C", "D")},
			wantType: "list", titles: []string{"A", "B", "C", "D"}, button: defaultListLabel},
		{name: "a button title over 20 becomes a list", text: "Elige",
			menu:     &flow.Menu{Kind: flow.MenuButtons, Options: opts("Sí", "Prefiero hablar con alguien")},
			wantType: "list", titles: []string{"Sí", "Prefiero hablar con alg…"}, descs: []string{"", "Prefiero hablar con alguien"}},
		{name: "long row title shortened, kept whole in the description", text: "¿Cuál servicio?",
			menu:     &flow.Menu{Kind: flow.MenuList, Options: opts("Posicionamiento en buscadores (SEO)", "Diseño web")},
			wantType: "list", titles: []string{"Posicionamiento en busc…", "Diseño web"}, descs: []string{"Posicionamiento en buscadores (SEO)", ""}},
		{name: "long description shortened", text: "x",
			menu:     &flow.Menu{Kind: flow.MenuList, Options: []flow.Option{{ID: "a", Title: "A", Description: strings.Repeat("d", 100)}}},
			wantType: "list", titles: []string{"A"}, descs: []string{strings.Repeat("d", 71) + "…"}},
		{name: "emoji count twice toward the limit", text: "x",
			menu:     &flow.Menu{Kind: flow.MenuList, Options: opts(strings.Repeat("🚀", 13), "B")},
			wantType: "list", titles: []string{strings.Repeat("🚀", 11) + "…", "B"}},
		{name: "list label over 20 shortened", text: "x", menu: &flow.Menu{Kind: flow.MenuList, Button: "Ver todas las ciudades posibles", Options: opts("A")},
			wantType: "list", titles: []string{"A"}, button: "Ver todas las ciuda…"},
		{name: "ten rows fit", text: "x", menu: &flow.Menu{Kind: flow.MenuList, Options: opts("1", "2", "3", "4", "5", "6", "7", "8", "9", "10")},
			wantType: "list", titles: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}},
		{name: "eleven rows: text", text: "x", menu: &flow.Menu{Kind: flow.MenuList, Options: opts("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11")}},
		{name: "titles that collide once shortened: text", text: "x",
			menu: &flow.Menu{Kind: flow.MenuList, Options: opts("San Andrés de Sotavento (Córdoba)", "San Andrés de Sotavento (otro)")}},
		{name: "empty id: text", text: "x", menu: &flow.Menu{Kind: flow.MenuButtons, Options: []flow.Option{{ID: "", Title: "Sí"}}}},
		{name: "duplicate id: text", text: "x", menu: &flow.Menu{Kind: flow.MenuButtons, Options: []flow.Option{{ID: "a", Title: "Sí"}, {ID: "a", Title: "No"}}}},
		{name: "row id over 200: text", text: "x", menu: &flow.Menu{Kind: flow.MenuList, Options: []flow.Option{{ID: strings.Repeat("i", 201), Title: "A"}}}},
		{name: "buttons body over 1024 becomes a list", text: strings.Repeat("a", 1100), menu: consent, wantType: "list"},
		{name: "body over 4096: text", text: strings.Repeat("a", 5000), menu: urgency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ia := interactiveFor(tt.text, tt.menu)
			if tt.wantType == "" {
				if ia != nil {
					t.Fatalf("rendered %+v; want the text alone", ia)
				}
				return
			}
			if ia == nil || ia.Type != tt.wantType {
				t.Fatalf("rendered %+v; want a %s", ia, tt.wantType)
			}
			if err := checkInteractive(ia); err != nil {
				t.Errorf("outside Meta's limits: %v", err)
			}
			if tt.wantBody != "" && ia.Body.Text != tt.wantBody {
				t.Errorf("body %q; want %q", ia.Body.Text, tt.wantBody)
			}
			var titles, descs, ids []string
			for _, b := range ia.Action.Buttons {
				titles, ids = append(titles, b.Reply.Title), append(ids, b.Reply.ID)
			}
			for _, s := range ia.Action.Sections {
				for _, r := range s.Rows {
					titles, descs, ids = append(titles, r.Title), append(descs, r.Description), append(ids, r.ID)
				}
			}
			if tt.titles != nil && strings.Join(titles, "|") != strings.Join(tt.titles, "|") {
				t.Errorf("titles %q; want %q", titles, tt.titles)
			}
			if tt.descs != nil && strings.Join(descs, "|") != strings.Join(tt.descs, "|") {
				t.Errorf("descriptions %q; want %q", descs, tt.descs)
			}
			for i, id := range ids {
				if id != tt.menu.Options[i].ID {
					t.Errorf("option %d id %q; want %q (ids are never changed)", i, id, tt.menu.Options[i].ID)
				}
			}
			if tt.button != "" && ia.Action.Button != tt.button {
				t.Errorf("list label %q; want %q", ia.Action.Button, tt.button)
			}
		})
	}
}

func TestMenuBody(t *testing.T) {
	tests := []struct {
		name, text string
		n          int
		want       string
	}{
		{"trailing block", urgencyText, 4, "¿Para cuándo necesitas el servicio?"},
		{"block in the middle", "Elige:\n1. A\n2. B\nO escribe otra cosa.", 2, "Elige:\nO escribe otra cosa."},
		{"bold numbers and parentheses", "Elige:\n*1)* A\n*2)* B", 2, "Elige:"},
		{"fewer lines than options: kept", "Elige:\n1. A", 2, "Elige:\n1. A"},
		{"a longer numbered block is not the menu", "Elige:\n1. A\n2. B\n3. C", 2, "Elige:\n1. A\n2. B\n3. C"},
		{"nothing but the block: kept", "1. A\n2. B", 2, "1. A\n2. B"},
		{"no block", "Responde *SÍ* o *NO*.", 2, "Responde *SÍ* o *NO*."},
		{"a year is not a menu line", "Desde 2024. Gracias\n1. A", 1, "Desde 2024. Gracias"},
	}
	for _, tt := range tests {
		if got := menuBody(tt.text, tt.n); got != tt.want {
			t.Errorf("%s: menuBody = %q; want %q", tt.name, got, tt.want)
		}
	}
}

func TestShorten(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"Diseño web", 20, "Diseño web"},
		{"Posicionamiento en buscadores", 24, "Posicionamiento en busc…"},
		{"Hola mundo cruel", 11, "Hola mundo…"}, // the space before the cut is dropped
		{"🚀🚀🚀", 4, "🚀…"},
	}
	for _, tt := range tests {
		got := shorten(tt.in, tt.max)
		if got != tt.want || utf16Len(got) > tt.max {
			t.Errorf("shorten(%q, %d) = %q (%d units); want %q", tt.in, tt.max, got, utf16Len(got), tt.want)
		}
	}
}
