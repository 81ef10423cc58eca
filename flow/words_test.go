package flow

import (
	"slices"
	"testing"
)

func TestSplitMsg(t *testing.T) {
	m := splitMsg("Hola, soy Laura de Barranquilla. Tengo 1.5 millones y $2'000.000, ¿SEO?")
	wantWords := []string{"hola", "soy", "laura", "de", "barranquilla", "tengo", "1.5", "millones", "y", "2'000.000", "seo"}
	if !slices.Equal(m.words, wantWords) {
		t.Errorf("words = %q; want %q", m.words, wantWords)
	}
	if len(m.clauses) != 4 || !m.question {
		t.Errorf("clauses = %d, question = %v; want 4 clauses and a question", len(m.clauses), m.question)
	}
	if got := m.clauseText(6); got != " Tengo 1.5 millones y $2'000.000" {
		t.Errorf("clause of the amount = %q", got)
	}
	if got := m.text[m.start[2]:m.end[2]]; got != "Laura" {
		t.Errorf("word 2 as typed = %q; want Laura", got)
	}
	if e := splitMsg("👍"); len(e.words) != 0 || !e.symbols {
		t.Errorf("an emoji alone: words %q symbols %v", e.words, e.symbols)
	}
}
