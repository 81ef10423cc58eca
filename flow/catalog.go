package flow

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

//go:embed messages/*.json
var messageFiles embed.FS

// Langs are the reply languages, default first.
var Langs = []string{"es", "en"}

// catalog holds every reply text per language. Texts use {name} placeholders.
type catalog map[string]map[string]string

func loadCatalog() (catalog, error) {
	c := catalog{}
	for _, lang := range Langs {
		b, err := messageFiles.ReadFile("messages/" + lang + ".json")
		if err != nil {
			return nil, fmt.Errorf("messages %s: %w", lang, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("messages %s: %w", lang, err)
		}
		c[lang] = m
	}
	return c, c.check()
}

// check fails when a key exists in one language and not in another, so a
// prospect never gets an empty reply.
func (c catalog) check() error {
	var missing []string
	for _, a := range Langs {
		for key := range c[a] {
			for _, b := range Langs {
				if _, ok := c[b][key]; !ok {
					missing = append(missing, b+":"+key)
				}
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		return fmt.Errorf("messages missing: %s", strings.Join(missing, ", "))
	}
	return nil
}

// render fills the text of key in lang with args given as name, value pairs.
func (c catalog) render(lang, key string, args ...string) Reply {
	text, ok := c[lang][key]
	if !ok {
		text = c[Langs[0]][key]
	}
	if len(args) > 0 {
		text = fillPlaceholders(text, args)
		// A promise ending in "a. m." meets the sentence's own full stop.
		text = strings.ReplaceAll(text, "m..", "m.")
	}
	return Reply{Key: key, Text: text}
}

// fillPlaceholders replaces each {name} of text with its value in args
// (name, value pairs); an unknown placeholder stays as it is. One pass,
// without building a strings.Replacer: a reply is rendered on every
// message, so this is on the hot path.
func fillPlaceholders(text string, args []string) string {
	var b strings.Builder
	b.Grow(len(text) + 64)
	for {
		open := strings.IndexByte(text, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(text[open:], '}')
		if end < 0 {
			break
		}
		b.WriteString(text[:open])
		name, value, found := text[open+1:open+end], "", false
		for i := 0; i+1 < len(args); i += 2 {
			if args[i] == name {
				value, found = args[i+1], true
				break
			}
		}
		if !found {
			value = text[open : open+end+1]
		}
		b.WriteString(value)
		text = text[open+end+1:]
	}
	b.WriteString(text)
	return b.String()
}
