package flow

import "strings"

// phraseTable finds folded phrases in a message's words. It is indexed by
// each phrase's first word, so a lookup costs one map access per word of
// the message whatever the size of the table. Tables are built once, at
// package start, from literal lists, and only read afterwards.
type phraseTable map[string][]phrase

type phrase struct {
	words []string
	val   int
}

// newPhraseTable indexes the phrases of each value. Phrases are written
// folded (lower case, no accents, words separated by one space).
func newPhraseTable(byVal map[int][]string) phraseTable {
	t := phraseTable{}
	for v, list := range byVal {
		for _, s := range list {
			t.add(s, v)
		}
	}
	return t
}

func (t phraseTable) add(s string, v int) {
	w := strings.Fields(s)
	if len(w) > 0 {
		t[w[0]] = append(t[w[0]], phrase{words: w, val: v})
	}
}

// at returns the length and value of the longest phrase starting at words[i],
// or 0 and -1.
func (t phraseTable) at(words []string, i int) (n, val int) {
	val = -1
	for _, p := range t[words[i]] {
		if len(p.words) > n && hasPhraseAt(words, i, p.words) {
			n, val = len(p.words), p.val
		}
	}
	return n, val
}

// longest is the length of the longest phrase at the start of words.
func (t phraseTable) longest(words []string) int {
	if len(words) == 0 {
		return 0
	}
	n, _ := t.at(words, 0)
	return n
}

// phraseHit is one phrase found in a message.
type phraseHit struct {
	at, n, val int
}

// find lists the phrases of words from left to right, the longest at each
// place, without overlaps.
func (t phraseTable) find(words []string) []phraseHit {
	var hits []phraseHit
	for i := 0; i < len(words); {
		if n, v := t.at(words, i); n > 0 {
			hits = append(hits, phraseHit{i, n, v})
			i += n
			continue
		}
		i++
	}
	return hits
}

// first returns the first phrase of words, if any.
func (t phraseTable) first(words []string) (phraseHit, bool) {
	for i := range words {
		if n, v := t.at(words, i); n > 0 {
			return phraseHit{i, n, v}, true
		}
	}
	return phraseHit{}, false
}

// wordSet is a set of folded words.
type wordSet map[string]bool

func newWordSet(words ...string) wordSet {
	s := make(wordSet, len(words))
	for _, w := range words {
		s[w] = true
	}
	return s
}
