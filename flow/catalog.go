package flow

import (
	"strings"
	"sync"

	"github.com/cis-agencia/cis/flow/messages"
)

// catalog is the bot's part of the product's message catalogue (its bot.*
// keys, read without the prefix), and the catalogue's month and day names.
// Texts use {name} placeholders.
type catalog struct {
	messages.Area
	names *messages.Catalogue
}

// loadCatalog reads the catalogue once for every Machine and for Promise.
var loadCatalog = sync.OnceValues(func() (catalog, error) {
	c, err := messages.Load()
	if err != nil {
		return catalog{}, err
	}
	return catalog{Area: c.Area("bot"), names: c}, nil
})

// botCatalog is loadCatalog for Promise, which has no error to return: the
// embedded catalogue is checked by flow/messages' tests, so a failure is a
// broken build.
func botCatalog() catalog {
	c, err := loadCatalog()
	if err != nil {
		panic(err)
	}
	return c
}

// text is the text of key in lang with its {name} placeholders filled from
// args (name, value pairs).
func (c catalog) text(lang, key string, args ...string) string {
	text, _ := c.Lookup(lang, key)
	if len(args) == 0 {
		return text
	}
	return fillPlaceholders(text, args)
}

// render fills the text of key in lang with args given as name, value pairs.
func (c catalog) render(lang, key string, args ...string) Reply {
	text := c.text(lang, key, args...)
	if len(args) > 0 {
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
