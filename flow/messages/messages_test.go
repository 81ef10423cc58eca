package messages

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEveryKeyInEveryLanguage(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Keys()) == 0 {
		t.Fatal("empty catalogue")
	}
	for _, k := range c.Keys() {
		area, _, ok := strings.Cut(k, ".")
		if !ok || !knownArea[area] {
			t.Errorf("key %q is not under an area (bot, dash, report, reason, date)", k)
		}
		for _, m := range []map[string]string{c.es, c.en} {
			if strings.TrimSpace(m[k]) == "" {
				t.Errorf("key %q is empty in a language", k)
			}
		}
	}
}

var knownArea = map[string]bool{"bot": true, "dash": true, "report": true, "reason": true, "date": true}

// The English names are Go's own; the Spanish ones are lower case, as
// Spanish writes them.
func TestDateNames(t *testing.T) {
	c := Default()
	for m := time.January; m <= time.December; m++ {
		if got := c.Month("en", m); got != m.String() {
			t.Errorf("Month(en, %d) = %q; want %q", m, got, m.String())
		}
		if es := c.Month("es", m); es == "" || es != strings.ToLower(es) {
			t.Errorf("Month(es, %d) = %q", m, es)
		}
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if got := c.Weekday("en", d); got != d.String() {
			t.Errorf("Weekday(en, %d) = %q; want %q", d, got, d.String())
		}
	}
	if c.Month("es", time.January) != "enero" || c.Weekday("es", time.Sunday) != "domingo" || c.Weekday("", time.Wednesday) != "miércoles" {
		t.Error("Spanish names are not the default")
	}
}

func TestCheckRefusesAnIncompleteCatalogue(t *testing.T) {
	tests := []struct {
		name   string
		es, en string
		want   string
	}{
		{"only in English", `{"a.x":"uno"}`, `{"a.x":"one","a.y":"two"}`, "missing in one language: a.y"},
		{"only in Spanish", `{"a.x":"uno","a.y":"dos"}`, `{"a.x":"one"}`, "missing in one language: a.y"},
		{"empty", `{"a.x":" "}`, `{"a.x":"one"}`, "empty: a.x"},
		{"not JSON", `{`, `{}`, "messages es"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"es.json": tt.es, "en.json": tt.en}
			_, err := parse(func(name string) ([]byte, error) {
				s, ok := files[name]
				if !ok {
					return nil, errors.New("no file")
				}
				return []byte(s), nil
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parse = %v; want an error with %q", err, tt.want)
			}
		})
	}
}

func TestAreaLookup(t *testing.T) {
	c := &Catalogue{
		es: map[string]string{"dash.nav.queue": "Cola de leads", "bot.greeting": "¡Hola!"},
		en: map[string]string{"dash.nav.queue": "Lead queue", "bot.greeting": "Hi!"},
	}
	dash := c.Area("dash")
	tests := []struct {
		lang, key, want string
		ok              bool
	}{
		{"es", "nav.queue", "Cola de leads", true},
		{"en", "nav.queue", "Lead queue", true},
		{"", "nav.queue", "Cola de leads", true},   // no language: Spanish
		{"fr", "nav.queue", "Cola de leads", true}, // unknown language: Spanish
		{"en", "greeting", "", false},              // another area's key
		{"en", "dash.nav.queue", "", false},        // the prefix is left off
	}
	for _, tt := range tests {
		got, ok := dash.Lookup(tt.lang, tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Lookup(%q, %q) = %q, %v; want %q, %v", tt.lang, tt.key, got, ok, tt.want, tt.ok)
		}
	}
	if got := dash.Text("en", "nav.missing"); got != "nav.missing" {
		t.Errorf("Text of an unknown key = %q; want the key", got)
	}
	if !c.Area("bot").Has("greeting") || c.Area("bot").Has("nav.queue") {
		t.Error("Has does not keep to its area")
	}
}
