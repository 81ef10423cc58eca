// Package messages is the product's one message catalogue: every text a
// prospect, an advisor or an owner reads, one embedded file per language
// (es.json, Spanish, the default; en.json, English). Keys are namespaced by
// the area that says them:
//
//   - bot.*    the WhatsApp conversation (flow), with {name} placeholders
//   - dash.*   the dashboard's pages (dashboard), with fmt verbs
//   - report.* the model report (dashboard/report)
//   - reason.* why a lead or a customer scored as it did (scoring)
//   - date.*   month and weekday names, for every area (Month, Weekday)
//
// A new text is one line in each file, under its area's prefix. A test
// checks that every key has a non-empty text in every language and that
// every key the code and the templates ask for exists. The package imports
// only the standard library, so flow stays pure.
package messages

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The catalogue's languages; Spanish is the default and the fallback.
const (
	Spanish = "es"
	English = "en"
)

//go:embed es.json en.json
var files embed.FS

// Catalogue holds every text of the product, per language. It is
// immutable once loaded and safe for concurrent use.
type Catalogue struct {
	es, en   map[string]string
	months   [2][12]string // [Spanish, English][January …]
	weekdays [2][7]string  // [Spanish, English][Sunday …], as time.Weekday
}

// loaded is the embedded catalogue, read and checked once.
var loaded = sync.OnceValues(func() (*Catalogue, error) { return parse(files.ReadFile) })

// Load returns the embedded catalogue, or why it is unusable (a file that
// does not parse, or a key missing in a language).
func Load() (*Catalogue, error) { return loaded() }

// Default is Load for callers that cannot start without text: the embedded
// files are checked by this package's tests, so a failure here is a broken
// build, not a runtime condition.
func Default() *Catalogue {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

func parse(read func(string) ([]byte, error)) (*Catalogue, error) {
	var texts [2]map[string]string
	for i, lang := range []string{Spanish, English} {
		b, err := read(lang + ".json")
		if err != nil {
			return nil, fmt.Errorf("messages %s: %w", lang, err)
		}
		if err := json.Unmarshal(b, &texts[i]); err != nil {
			return nil, fmt.Errorf("messages %s: %w", lang, err)
		}
	}
	c := &Catalogue{es: texts[0], en: texts[1]}
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, c.names()
}

// names reads the date.* keys into arrays, so that naming a month or a day
// is an index, not a lookup.
func (c *Catalogue) names() error {
	dates := c.Area("date")
	for i, lang := range []string{Spanish, English} {
		for m := range 12 {
			c.months[i][m] = dates.Text(lang, "month."+strconv.Itoa(m+1))
		}
		for d := range 7 {
			c.weekdays[i][d] = dates.Text(lang, "weekday."+strconv.Itoa(d))
		}
	}
	for m := range 12 {
		if !dates.Has("month." + strconv.Itoa(m+1)) {
			return fmt.Errorf("messages: no date.month.%d", m+1)
		}
	}
	for d := range 7 {
		if !dates.Has("weekday." + strconv.Itoa(d)) {
			return fmt.Errorf("messages: no date.weekday.%d", d)
		}
	}
	return nil
}

// index is the position of lang in the name arrays: English for "en",
// Spanish for anything else.
func index(lang string) int {
	if lang == English {
		return 1
	}
	return 0
}

// Month names m in lang: "enero", "January".
func (c *Catalogue) Month(lang string, m time.Month) string {
	return c.months[index(lang)][((int(m)-1)%12+12)%12]
}

// Weekday names d in lang: "domingo", "Sunday".
func (c *Catalogue) Weekday(lang string, d time.Weekday) string {
	return c.weekdays[index(lang)][(int(d)%7+7)%7]
}

// check fails when a key exists in one language and not in the other, or
// has an empty text, so that nobody reads an empty message or a key.
func (c *Catalogue) check() error {
	var bad []string
	for _, pair := range [][2]map[string]string{{c.es, c.en}, {c.en, c.es}} {
		for key, text := range pair[0] {
			if _, ok := pair[1][key]; !ok {
				bad = append(bad, "missing in one language: "+key)
			}
			if strings.TrimSpace(text) == "" {
				bad = append(bad, "empty: "+key)
			}
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("messages: %s", strings.Join(bad, ", "))
	}
	return nil
}

// Keys returns every key of the catalogue, sorted.
func (c *Catalogue) Keys() []string {
	keys := make([]string, 0, len(c.es))
	for k := range c.es {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Area returns the part of the catalogue under one namespace ("bot",
// "dash", "report", "reason"), read with the namespace left off, so that
// each area keeps its short keys and a lookup builds no string.
func (c *Catalogue) Area(name string) Area {
	a := Area{es: map[string]string{}, en: map[string]string{}}
	prefix := name + "."
	for k, v := range c.es {
		if short, ok := strings.CutPrefix(k, prefix); ok {
			a.es[short], a.en[short] = v, c.en[k]
		}
	}
	return a
}

// Area is the texts of one namespace. The zero Area is empty.
type Area struct {
	es, en map[string]string
}

// Lookup returns the text of key in lang ("en" for English, anything else
// Spanish), falling back to Spanish; ok is false when the key is unknown.
func (a Area) Lookup(lang, key string) (text string, ok bool) {
	if lang == English {
		if text, ok = a.en[key]; ok {
			return text, true
		}
	}
	text, ok = a.es[key]
	return text, ok
}

// Text returns the text of key in lang, or the key itself when the
// catalogue does not have it (a test keeps that from happening).
func (a Area) Text(lang, key string) string {
	if text, ok := a.Lookup(lang, key); ok {
		return text
	}
	return key
}

// Has reports whether key exists in the area.
func (a Area) Has(key string) bool {
	_, ok := a.es[key]
	return ok
}
