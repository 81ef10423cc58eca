package store

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// searchFold is the folding of migration 0090's leads.search, in Go: the
// same characters replaced, then ASCII lower case (SQLite's lower()). A
// test checks that both give the same key for every character listed.
var searchFold = strings.NewReplacer(
	"\u0301", "", "\u0300", "", "\u0302", "", "\u0303", "", "\u0308", "",
	"á", "a", "à", "a", "â", "a", "ä", "a", "ã", "a", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"í", "i", "ì", "i", "î", "i", "ï", "i", "ó", "o", "ò", "o", "ô", "o", "ö", "o", "õ", "o",
	"ú", "u", "ù", "u", "û", "u", "ü", "u", "ñ", "n", "ç", "c",
	"Á", "a", "À", "a", "Â", "a", "Ä", "a", "Ã", "a", "É", "e", "È", "e", "Ê", "e", "Ë", "e",
	"Í", "i", "Ì", "i", "Î", "i", "Ï", "i", "Ó", "o", "Ò", "o", "Ô", "o", "Ö", "o", "Õ", "o",
	"Ú", "u", "Ù", "u", "Û", "u", "Ü", "u", "Ñ", "n", "Ç", "c",
)

// SearchKey folds text as leads.search is folded: "MEDELLÍN" → "medellin".
func SearchKey(s string) string {
	s = searchFold.Replace(s)
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// searchWords splits a search into folded words; a query of digits and
// phone punctuation ("+57 300 123-4567") is one word of its digits.
func searchWords(q string) []string {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil
	}
	digits, phoneLike := 0, true
	for _, r := range q {
		switch {
		case unicode.IsDigit(r):
			digits++
		case strings.ContainsRune(" +-().", r):
		default:
			phoneLike = false
		}
	}
	if phoneLike && digits >= 3 {
		return []string{strings.Map(func(r rune) rune {
			if unicode.IsDigit(r) {
				return r
			}
			return -1
		}, q)}
	}
	words := strings.FieldsFunc(SearchKey(q), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;", r)
	})
	if len(words) > 5 { // a pasted paragraph: the first words are enough
		words = words[:5]
	}
	// The most selective word first: SQLite tests the conditions in order and
	// stops at the first that fails, so a number, then a longer word, saves
	// most of the scan's work when the search matches little.
	sort.SliceStable(words, func(i, j int) bool {
		di, dj := strings.ContainsAny(words[i], "0123456789"), strings.ContainsAny(words[j], "0123456789")
		if di != dj {
			return di
		}
		return len(words[i]) > len(words[j])
	})
	return words
}

// gramLen is the length, in characters, of the pieces of a search key that
// lead_grams indexes (migration 0150): three, as PostgreSQL's pg_trgm.
const gramLen = 3

// searchGrams returns the pieces lead_grams indexes a search key by: the
// distinct pieces of gramLen characters of the key followed by two spaces,
// one starting at each character of the key (the padding makes every word
// of one or two characters the start of a piece).
func searchGrams(key string) []string {
	return pieces(key + "  ")
}

// pieces returns the distinct substrings of gramLen characters of s, sorted.
func pieces(s string) []string {
	starts := make([]int, 0, len(s)+1)
	for i := range s {
		starts = append(starts, i)
	}
	starts = append(starts, len(s))
	n := max(len(starts)-gramLen, 0)
	out := make([]string, 0, n)
	for i := range n {
		out = append(out, s[starts[i]:starts[i+gramLen]])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// searchGramsJSON is search_grams(), the SQL function 0150's triggers call:
// a key's pieces as a JSON array, for json_each.
func searchGramsJSON(key string) (string, error) {
	b, err := json.Marshal(searchGrams(key))
	return string(b), err
}

// gramCap is how many leads a piece may index for the queue to read the
// leads of that piece rather than walk the open queue in deadline order: a
// rarer piece bounds the leads to test (about a microsecond each); a piece
// in more leads than this means the words are common and the walk finds a
// page of them quickly.
const gramCap = 1000

// gramRange is the part of lead_grams (gram BETWEEN lo AND hi) that holds
// every lead whose key contains a word: one piece of the word (lo = hi),
// or, for a word shorter than a piece, every piece it starts (hi ends in
// 0xFF, a byte no UTF-8 text holds, so it sorts after them all).
type gramRange struct{ lo, hi string }

// wordRanges are the ranges of lead_grams for a folded word: each of
// them holds every lead whose key contains the word.
func wordRanges(w string) []gramRange {
	if utf8.RuneCountInString(w) < gramLen {
		return []gramRange{{w, w + "\xff"}}
	}
	var out []gramRange
	for _, g := range pieces(w) {
		out = append(out, gramRange{g, g})
	}
	return out
}

// searchWhere turns the folded words of a search into the query's FROM
// and WHERE fragments: each word must be in the lead's key (instr) or name
// its service. When a word that names no service has a range of lead_grams
// holding fewer than gramCap entries, the leads of the rarest such range
// are read first (CROSS JOIN keeps SQLite from walking the open queue
// instead) and only they are tested: a rare search reads a few leads by id.
// When every such word is common, the leads holding all their first
// pieces are read instead, if they are few (commonMeet).
func (s *Store) searchWhere(ctx context.Context, words []string, serviceMatch func(string) []string) (queueQuery, error) {
	qq := queueQuery{from: "leads l"}
	var ranges []gramRange
	for _, w := range words {
		// instr: a plain substring test; leads.search and the words are
		// folded alike, so LIKE's case folding and escapes are not needed.
		cond := `instr(l.search, ?) > 0`
		qq.wargs = append(qq.wargs, w)
		keys := []string{w}
		if serviceMatch != nil {
			keys = serviceMatch(w)
		}
		if len(keys) > 0 {
			cond += " OR l.service IN (?" + strings.Repeat(", ?", len(keys)-1) + ")"
			for _, k := range keys {
				qq.wargs = append(qq.wargs, k)
			}
		} else {
			ranges = append(ranges, wordRanges(w)...) // the word alone decides: its pieces bound the leads
		}
		qq.where = append(qq.where, "("+cond+")")
	}
	if s.dialect == dialectPostgres {
		return qq, nil // no lead_grams there: the keys are tested in queue order (docs/postgres.md)
	}
	rarest, err := s.rarestRange(ctx, ranges)
	if err != nil {
		return qq, err
	}
	if rarest != nil {
		qq.from = "(SELECT DISTINCT lead_id FROM lead_grams WHERE gram BETWEEN ? AND ?) g CROSS JOIN leads l ON l.id = g.lead_id"
		qq.fromArgs = []any{rarest.lo, rarest.hi}
		return qq, nil
	}
	ids, err := s.commonMeet(ctx, startPieces(words, serviceMatch))
	if err != nil || ids == "" {
		return qq, err
	}
	qq.from = "json_each(?) g CROSS JOIN leads l ON l.id = g.value"
	qq.fromArgs = []any{ids}
	return qq, nil
}

// startPieces returns the distinct first pieces of the words that alone
// decide (they name no service) and are at least a piece long: a lead
// holding every such word holds each of these pieces.
func startPieces(words []string, serviceMatch func(string) []string) []string {
	var out []string
	for _, w := range words {
		if serviceMatch != nil && len(serviceMatch(w)) > 0 || utf8.RuneCountInString(w) < gramLen {
			continue
		}
		start := w // exactly a piece long, or the first gramLen characters
		n := 0
		for i := range w {
			if n == gramLen {
				start = w[:i]
				break
			}
			n++
		}
		if !slices.Contains(out, start) {
			out = append(out, start)
		}
	}
	return out
}

// commonMeet returns, as a JSON array for json_each, the leads indexed by
// every one of grams, when there are two or more and fewer than gramCap
// leads hold them all; "" otherwise. It is for searches whose words are
// all common ("medellin cali": each in one open lead of six): lead_grams
// is ordered by (gram, lead_id), so SQLite intersects the pieces' leads by
// a merge of sorted lists (MERGE (INTERSECT) in its plan: each list read
// once, in order, no temporary table), far cheaper than testing every open
// lead's key; the queue then tests only those leads' keys. When they meet
// in gramCap leads or more, the walk in deadline order finds a page
// sooner, and the set of pieces is remembered as common like one piece.
func (s *Store) commonMeet(ctx context.Context, grams []string) (string, error) {
	grams = grams[:min(len(grams), maxMeet)]
	key := "meet\x00" + strings.Join(grams, "\x00")
	if len(grams) < 2 || s.common.knows(key) {
		return "", nil
	}
	const one = "SELECT lead_id FROM lead_grams WHERE gram = ?"
	// #nosec G202 -- a constant statement repeated; the pieces are ? arguments
	q := one + strings.Repeat(" INTERSECT "+one, len(grams)-1) + " LIMIT ?"
	args := make([]any, 0, len(grams)+1)
	for _, g := range grams {
		args = append(args, g)
	}
	rows, err := s.ro.QueryContext(ctx, q, append(args, gramCap)...)
	if err != nil {
		return "", fmt.Errorf("search pieces meet: %w", err)
	}
	defer rows.Close()
	ids := make([]int64, 0, 64)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return "", fmt.Errorf("search pieces meet: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("search pieces meet: %w", err)
	}
	if len(ids) >= gramCap {
		s.common.addKey(key)
		return "", nil
	}
	b, err := json.Marshal(ids)
	return string(b), err
}

// maxMeet bounds how many pieces a search intersects: a search has at
// most five words, and each list read costs its length.
const maxMeet = 3

// maxRanges bounds how many ranges a search counts (a pasted paragraph has
// many pieces); any of them bounds the leads, so a few are enough.
const maxRanges = 24

// rarestRange returns the range of lead_grams that holds the fewest
// entries, nil when none holds fewer than gramCap or there is none. Each
// range is counted up to gramCap, all in one statement, but for those
// found common a moment ago: counting a common piece reads gramCap entries.
func (s *Store) rarestRange(ctx context.Context, ranges []gramRange) (*gramRange, error) {
	ranges = s.common.drop(ranges[:min(len(ranges), maxRanges)])
	if len(ranges) == 0 {
		return nil, nil
	}
	const count = "(SELECT COUNT(*) FROM (SELECT 1 FROM lead_grams WHERE gram BETWEEN ? AND ? LIMIT ?))"
	q := "SELECT " + count + strings.Repeat(", "+count, len(ranges)-1)
	args := make([]any, 0, 3*len(ranges))
	counts := make([]int, len(ranges))
	dest := make([]any, len(ranges))
	for i, r := range ranges {
		args = append(args, r.lo, r.hi, gramCap)
		dest[i] = &counts[i]
	}
	if err := s.ro.QueryRowContext(ctx, q, args...).Scan(dest...); err != nil {
		return nil, fmt.Errorf("search pieces: %w", err)
	}
	best := -1
	for i, n := range counts {
		switch {
		case n >= gramCap:
			s.common.add(ranges[i])
		case best < 0 || n < counts[best]:
			best = i
		}
	}
	if best < 0 {
		return nil, nil
	}
	return &ranges[best], nil
}

// commonFor is how long a piece found in gramCap leads or more is taken
// to still be (a piece's leads change by one lead at a time). Whatever it
// remembers, a search finds the same leads: it only picks the range to read.
const commonFor = 10 * time.Minute

// pieceMemo remembers the ranges of lead_grams recently found common, as
// a database's statistics remember its most common values, and the sets
// of pieces found to meet in gramCap leads or more. It holds at most one
// entry per gramCap index rows (a range is common only when it has that
// many), and forgets expired ones as it grows. The zero value is ready.
type pieceMemo struct {
	mu    sync.Mutex
	until map[string]time.Time
}

// rangeKey is the memo's key for a range of lead_grams.
func rangeKey(r gramRange) string { return r.lo + "\x00" + r.hi }

// drop returns the ranges not known to be common, in order.
func (m *pieceMemo) drop(ranges []gramRange) []gramRange {
	out := ranges[:0:0]
	for _, r := range ranges {
		if !m.knows(rangeKey(r)) {
			out = append(out, r)
		}
	}
	return out
}

// knows reports whether key was found common less than commonFor ago.
func (m *pieceMemo) knows(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.until[key]
	return ok && !time.Now().After(t)
}

// add remembers r as common for commonFor.
func (m *pieceMemo) add(r gramRange) { m.addKey(rangeKey(r)) }

// addKey remembers key as common for commonFor.
func (m *pieceMemo) addKey(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if m.until == nil {
		m.until = map[string]time.Time{}
	}
	if len(m.until) >= 4096 {
		maps.DeleteFunc(m.until, func(_ string, t time.Time) bool { return now.After(t) })
	}
	m.until[key] = now.Add(commonFor)
}
