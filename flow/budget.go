package flow

import (
	"math"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Limits of a monthly marketing budget, in COP.
const (
	// budgetMinPlausibleCOP: below 100.000 a month no agency can run a
	// service, and such a figure is more often a dropped zero ("80.000" for
	// "800.000") than a real budget, so the bot asks to confirm it.
	budgetMinPlausibleCOP = 100_000
	// budgetMaxPlausibleCOP: 2.000 millones a month is beyond the clients of
	// a Colombian agency; a larger figure is usually a slip (an extra
	// "millones", a phone number) and is confirmed before it is stored.
	budgetMaxPlausibleCOP = 2_000_000_000
	// budgetMaxCOP bounds every value the parser computes. It is far above
	// any budget and far below 2^53, so float64 holds every whole peso
	// exactly and converting to int64 cannot overflow; above it the answer
	// is not understood.
	budgetMaxCOP = 1e15
	// budgetMaxNumeral bounds a number as typed, before multipliers, so a
	// run of digits can never grow without limit.
	budgetMaxNumeral = 1e17
)

// BudgetAnswer is the reading of a budget answer (COP per month).
type BudgetAnswer struct {
	Budget Budget
	OK     bool // false: not understood, ask again
	Absurd bool // understood but implausible for a monthly marketing budget: the bot asks to confirm
}

// ParseBudget reads a prospect's answer to "¿cuál es tu presupuesto
// mensual?" as typed on WhatsApp: digits with Colombian separators
// ("$2.000.000", "2'000.000", "1,5 millones"), shorthand and slang ("2M",
// "2 palos", "un melón", "500k", "500 lucas"), Spanish or English number words ("millón y medio",
// "quinientos mil", "two million"), ranges ("entre 1 y 2 millones",
// "1-2 millones") and ceilings ("hasta 3 millones"), with any filler
// around them ("tengo como 2 millones al mes").
//
// The rules, in the order they apply:
//
//   - Numerals: '.', ',' and an apostrophe followed by exactly three digits separate
//     thousands ("2.000.000", "2'000.000", "1,500,000"); otherwise the last
//     separator is the decimal mark ("1,5", "1.5", "1.500.000,50"). Any
//     other shape ("2,5,5") is not understood.
//   - Bare numbers, with no multiplier word, are read the way prospects
//     abbreviate: below 100 they are millions ("2" → 2.000.000), from 100
//     to 9.999 thousands ("500" → 500.000, "1.500" → 1.500.000), from
//     10.000 up pesos. The pesos threshold is 10.000 rather than 100.000
//     because "80000" is far more often 80.000 pesos typed in full (which
//     the Absurd check then catches) than 80 millones.
//   - "m" after a number below 100 is millions ("2m"); from 100 up it is
//     thousands ("500m"), the way both are written in Colombia.
//   - In a range an end without a multiplier takes the other end's ("entre
//     1 y 2 millones", "de 500 a 800 mil") unless that breaks the order
//     ("de 800 a 1 millón" is 800.000 to 1.000.000); ends are sorted.
//   - A single amount after "hasta", "máximo", "menos de", "up to" … is a
//     ceiling: Min 0, Max the amount. After "más de", "mínimo", "desde" it
//     is stored as both ends (the floor is the best figure we have).
//   - "USD", "US$", "dólares" convert every amount at usdToCOP, rounded to
//     whole pesos; with usdToCOP <= 0 (or NaN, Inf) they are not understood.
//     Bare-number rules do not apply to dollars.
//   - "no sé", "depende", "no tengo claro" … with no amount give
//     Budget{Unknown: true}, OK true; an amount, if present, wins.
//   - Not understood (OK false): no amount, more than two amounts, two
//     amounts with no connector between them ("1 2 millones"), a number
//     followed by a word that is not a unit ("2 manzanas", "1e9"), a negative
//     or zero budget, or any value above budgetMaxCOP.
//
// Absurd is set when the ceiling (MaxCOP) is below budgetMinPlausibleCOP or
// above budgetMaxPlausibleCOP. ParseBudget never panics.
func ParseBudget(text string, usdToCOP float64) BudgetAnswer {
	toks := lexBudget(foldKeep(norm.NFKC.String(text)))
	r, ok := readBudget(toks)
	if !ok {
		return BudgetAnswer{}
	}
	if len(r.amounts) == 0 {
		if budgetUnknown(fold(text)) {
			return BudgetAnswer{Budget: Budget{Unknown: true}, OK: true}
		}
		return BudgetAnswer{}
	}
	b, ok := r.budget(usdToCOP)
	if !ok {
		return BudgetAnswer{}
	}
	absurd := b.MaxCOP < budgetMinPlausibleCOP || b.MaxCOP > budgetMaxPlausibleCOP
	return BudgetAnswer{Budget: b, OK: true, Absurd: absurd}
}

// budgetTok is one token of a folded budget answer.
type budgetTok struct {
	kind byte   // 'n' numeral, 'w' word, or the symbol itself: '$', '-', '/'
	s    string // the token's text
}

// lexBudget splits the output of foldKeep into numerals, words and the
// symbols that matter. A numeral keeps its inner separators ("2.000.000");
// stray separators (a final period, a list comma) are dropped. Digits and
// letters are split apart, so "2M" is a numeral and a unit and "1e9" is
// two numerals around the word "e".
func lexBudget(s string) []budgetTok {
	var toks []budgetTok
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '.' || c == ',' || c == '\'':
			i++
		case c == '$' || c == '-' || c == '/':
			toks = append(toks, budgetTok{c, s[i : i+1]})
			i++
		case isASCIIDigit(c):
			j := budgetNumeralEnd(s, i)
			toks = append(toks, budgetTok{'n', s[i:j]})
			i = j
		default:
			j := i + 1
			for j < len(s) && !isASCIIDigit(s[j]) && !strings.ContainsRune(" .,'$-/", rune(s[j])) {
				j++
			}
			toks = append(toks, budgetTok{'w', s[i:j]})
			i = j
		}
	}
	return toks
}

func isASCIIDigit(c byte) bool { return '0' <= c && c <= '9' }

// budgetNumeralEnd returns the end of the numeral starting at i: digits,
// and separators only where a digit stands on both sides.
func budgetNumeralEnd(s string, i int) int {
	j := i
	for j < len(s) {
		c := s[j]
		if isASCIIDigit(c) {
			j++
			continue
		}
		if (c == '.' || c == ',' || c == '\'') && j+1 < len(s) && isASCIIDigit(s[j+1]) {
			j++
			continue
		}
		break
	}
	return j
}

// parseBudgetNumeral reads a numeral from lexBudget (ASCII digits, single
// separators between digits). See ParseBudget for the separator rule.
func parseBudgetNumeral(s string) (float64, bool) {
	var groups []string
	var seps []byte
	start := 0
	for i := 0; i < len(s); i++ {
		if !isASCIIDigit(s[i]) {
			groups = append(groups, s[start:i])
			seps = append(seps, s[i])
			start = i + 1
		}
	}
	groups = append(groups, s[start:])
	if len(seps) == 0 {
		return budgetDigits(s, "")
	}
	last := len(seps) - 1
	for k := 0; k < last; k++ {
		if len(groups[k+1]) != 3 || len(groups[0]) > 3 {
			return 0, false // "2,5,5": a separator that is neither kind
		}
	}
	if budgetThousandsSep(groups, seps) {
		return budgetDigits(strings.Join(groups, ""), "")
	}
	if seps[last] == '\'' || (last > 0 && seps[last] == seps[last-1]) {
		return 0, false // "1.500.5": the same mark cannot be both
	}
	return budgetDigits(strings.Join(groups[:last+1], ""), groups[last+1])
}

// budgetThousandsSep reports whether the last separator of a numeral
// separates thousands: three digits follow it, the first group is a
// plausible leading group, and it does not switch marks after a thousands
// mark ("1.500,000" reads the comma as decimal, like "1.500,50").
func budgetThousandsSep(groups []string, seps []byte) bool {
	last := len(seps) - 1
	if seps[last] == '\'' {
		return len(groups[last+1]) == 3 && len(groups[0]) <= 3
	}
	if len(groups[last+1]) != 3 || len(groups[0]) > 3 || groups[0] == "0" {
		return false
	}
	return last == 0 || seps[last] == seps[last-1] || seps[last-1] == '\''
}

// budgetDigits turns integer and fraction digits into a value, refusing
// anything above budgetMaxNumeral. Fraction digits beyond the ninth cannot
// change a whole-peso amount and are ignored.
func budgetDigits(whole, frac string) (float64, bool) {
	var v float64
	for i := 0; i < len(whole); i++ {
		v = v*10 + float64(whole[i]-'0')
		if v > budgetMaxNumeral {
			return 0, false
		}
	}
	if len(frac) > 9 {
		frac = frac[:9]
	}
	var f, scale float64 = 0, 1
	for i := 0; i < len(frac); i++ {
		f = f*10 + float64(frac[i]-'0')
		scale *= 10
	}
	return v + f/scale, true
}

// budgetAmount is one amount read from the answer.
type budgetAmount struct {
	value float64 // as written, in the answer's currency
	unit  float64 // largest multiplier written; 0 for a bare number
}

// budgetReading is everything readBudget found in an answer.
type budgetReading struct {
	amounts []budgetAmount // at most two; two only with a connector between
	upTo    bool           // "hasta", "máximo": a single amount is a ceiling
	usd     bool
}

// Words that turn a single amount into a ceiling, and that join the ends
// of a range ("desde 1 hasta 2").
var budgetUpperPhrases = [][]string{
	{"no", "mas", "de"}, {"hasta"}, {"maximo"}, {"max"}, {"tope"}, {"menos", "de"},
	{"como", "mucho"}, {"a", "lo", "sumo"}, {"up", "to"}, {"under"}, {"below"},
	{"less", "than"}, {"at", "most"}, {"maximum"}, {"no", "more", "than"},
}

// Phrases consumed whole and ignored. Read word by word, "más o menos"
// would give a range connector "o" and a ceiling "menos de"; the floors
// ("más de", "al menos") leave the amount as it is (see ParseBudget).
var budgetFillerPhrases = [][]string{
	{"mas", "o", "menos"}, {"maso", "menos"}, {"mas", "de"}, {"por", "lo", "menos"},
	{"al", "menos"}, {"a", "partir", "de"}, {"at", "least"}, {"more", "than"},
}

// budgetConnectors join the two ends of a range ("de 1 a 2", "1 o 2").
var budgetConnectors = map[string]bool{
	"a": true, "y": true, "o": true, "u": true, "al": true, "to": true, "and": true, "or": true,
}

// budgetUSDWords make every amount of the answer dollars ("US$" lexes as
// "us" and "$").
var budgetUSDWords = map[string]bool{
	"usd": true, "us": true, "dolares": true, "dolar": true, "dollar": true, "dollars": true,
}

// readBudget walks the tokens once, collecting amounts, currency and the
// words that connect or bound them. It fails as soon as the answer cannot
// be one budget.
func readBudget(toks []budgetTok) (budgetReading, bool) {
	var r budgetReading
	joined, between := false, false
	for i := 0; i < len(toks); {
		if n := budgetPhraseAt(toks, i, budgetFillerPhrases); n > 0 {
			i += n
			continue
		}
		if n := budgetPhraseAt(toks, i, budgetUpperPhrases); n > 0 {
			r.upTo, joined = true, true
			i += n
			continue
		}
		if budgetStartsAmount(toks, i, len(r.amounts) == 0 || joined) {
			a, next, ok := readBudgetAmount(toks, i, !between)
			if !ok || (a.endsOnQty && !budgetAllowedAfter(toks, next)) {
				return r, false
			}
			i = next
			if a.weakOnly() {
				continue // "un presupuesto de…": an article, not an amount
			}
			if len(r.amounts) == 2 || (len(r.amounts) == 1 && !joined) {
				return r, false
			}
			r.amounts = append(r.amounts, a.amount())
			joined = false
			continue
		}
		t := toks[i]
		switch {
		case t.kind == '-' && len(r.amounts) == 0:
			if budgetStartsAmount(toks, i+1, true) {
				return r, false // "-2 millones"
			}
		case t.kind == '-' || (t.kind == 'w' && budgetConnectors[t.s]):
			joined = true
		case t.kind == 'w' && (t.s == "entre" || t.s == "between"):
			between = true
		case t.kind == 'w' && budgetUSDWords[t.s]:
			r.usd = true
		}
		i++
	}
	return r, true
}

// budgetPhraseAt returns the length of the first phrase found at toks[i],
// or 0.
func budgetPhraseAt(toks []budgetTok, i int, phrases [][]string) int {
	for _, p := range phrases {
		if budgetWordsAt(toks, i, p...) {
			return len(p)
		}
	}
	return 0
}

func budgetWordsAt(toks []budgetTok, i int, words ...string) bool {
	if i+len(words) > len(toks) {
		return false
	}
	for k, w := range words {
		if t := toks[i+k]; t.kind != 'w' || t.s != w {
			return false
		}
	}
	return true
}

// budgetStartsAmount reports whether an amount starts at toks[i]. "a" is
// an amount only before a unit ("a million") and where an amount may
// follow; elsewhere it is the "a" of "de 1 a 2".
func budgetStartsAmount(toks []budgetTok, i int, mayFollow bool) bool {
	if i >= len(toks) {
		return false
	}
	t := toks[i]
	if t.kind == 'n' {
		return true
	}
	if t.kind != 'w' {
		return false
	}
	if _, ok := budgetNumberWords[t.s]; ok {
		return true
	}
	if budgetStarterUnits[t.s] {
		return true
	}
	return t.s == "a" && mayFollow && i+1 < len(toks) && budgetUnit(toks[i+1], 1) > 0
}

// Spanish and English number words. Spanish hundreds are single words
// ("quinientos") and so simply add; English "hundred" is a unit.
var budgetNumberWords = map[string]float64{
	"cero": 0, "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
	"seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12,
	"trece": 13, "catorce": 14, "quince": 15, "dieciseis": 16, "diecisiete": 17,
	"dieciocho": 18, "diecinueve": 19, "veinte": 20, "veintiun": 21, "veintiuno": 21,
	"veintidos": 22, "veintitres": 23, "veinticuatro": 24, "veinticinco": 25,
	"veintiseis": 26, "veintisiete": 27, "veintiocho": 28, "veintinueve": 29,
	"treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "setenta": 70,
	"ochenta": 80, "noventa": 90, "cien": 100, "ciento": 100, "doscientos": 200,
	"doscientas": 200, "trescientos": 300, "trescientas": 300, "cuatrocientos": 400,
	"cuatrocientas": 400, "quinientos": 500, "quinientas": 500, "seiscientos": 600,
	"seiscientas": 600, "setecientos": 700, "setecientas": 700, "ochocientos": 800,
	"ochocientas": 800, "novecientos": 900, "novecientas": 900,
	"medio": 0.5, "media": 0.5, "half": 0.5,
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
	"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
	"eighty": 80, "ninety": 90,
}

// budgetWeakWords are number words that are just as often articles or
// adjectives ("un presupuesto", "en medio de"); alone they are no amount.
var budgetWeakWords = map[string]bool{"un": true, "una": true, "medio": true, "media": true, "half": true}

// budgetUnits maps unit words to their multiplier. "palo" and "melón" are
// Colombian slang for a million, "luca" and "barra" for a thousand ("una luca" is
// $1.000, which the Absurd check then confirms); Spanish "billón" is 10^12
// while English "billion" is 10^9. "m" is resolved by budgetUnit.
var budgetUnits = map[string]float64{
	"mil": 1e3, "k": 1e3, "luca": 1e3, "lucas": 1e3, "luka": 1e3, "lukas": 1e3, "barra": 1e3, "barras": 1e3,
	"thousand": 1e3, "thousands": 1e3, "grand": 1e3,
	"millon": 1e6, "millones": 1e6, "mm": 1e6, "mill": 1e6, "mills": 1e6, "mll": 1e6,
	"mlls": 1e6, "millo": 1e6, "millos": 1e6, "milion": 1e6, "milions": 1e6, "millons": 1e6, "miyon": 1e6,
	"miyones": 1e6, "millnes": 1e6, "milones": 1e6, "palo": 1e6, "palos": 1e6, "palito": 1e6,
	"palitos": 1e6, "melon": 1e6, "melones": 1e6, "meloncito": 1e6, "meloncitos": 1e6,
	"million": 1e6, "millions": 1e6,
	"billon": 1e12, "billones": 1e12, "billion": 1e9, "billions": 1e9,
	"hundred": 100,
}

// budgetStarterUnits may open an amount without a number: "millón y
// medio", "mil pesos".
var budgetStarterUnits = map[string]bool{
	"mil": true, "millon": true, "palo": true, "melon": true, "million": true, "thousand": true, "luca": true,
}

// budgetUnit returns the multiplier of t given the quantity before it, or
// 0 when t is not a unit.
func budgetUnit(t budgetTok, qty float64) float64 {
	if t.kind != 'w' {
		return 0
	}
	if t.s == "m" {
		if qty >= 100 {
			return 1e3
		}
		return 1e6
	}
	if u, ok := budgetUnits[t.s]; ok {
		return u
	}
	return budgetMillionTypo(t.s)
}

// budgetMillionTypo reads a million typed with one letter wrong, missing
// or extra ("millomes", "milones", "millónes"): the commonest unit, the
// one worst to misread.
func budgetMillionTypo(w string) float64 {
	if len(w) < 5 || w[0] != 'm' || w[1] != 'i' {
		return 0
	}
	rs := []rune(w)
	for _, u := range []string{"millon", "millones"} {
		if placeEditDistance(rs, []rune(u), 1) <= 1 {
			return 1e6
		}
	}
	return 0
}

// Words allowed right after a number that has no unit. Anything else
// means the number is not a budget ("2 melones", "3 meses", "1e9").
var budgetAfterNumber = map[string]bool{
	"y": true, "o": true, "u": true, "a": true, "al": true, "hasta": true, "de": true,
	"en": true, "para": true, "por": true, "x": true, "cada": true, "mas": true, "maso": true,
	"masomenos": true, "aprox": true, "aproximadamente": true, "maximo": true, "max": true,
	"minimo": true, "tope": true, "como": true, "mensual": true, "mensuales": true,
	"mensualmente": true, "mes": true, "pesos": true, "peso": true, "pesitos": true,
	"cop": true, "col": true, "colombianos": true, "usd": true, "us": true, "dolares": true,
	"dolar": true, "dollar": true, "dollars": true, "and": true, "or": true, "to": true,
	"per": true, "month": true, "monthly": true, "approx": true, "approximately": true,
	"more": true, "less": true, "tops": true, "entre": true,
}

func budgetAllowedAfter(toks []budgetTok, i int) bool {
	return i >= len(toks) || toks[i].kind != 'w' || budgetAfterNumber[toks[i].s]
}

// budgetAcc accumulates one amount the way Spanish numbers are said:
// millions, then thousands, then units ("un millón quinientos mil").
type budgetAcc struct {
	hi, th, cur float64 // millions and above, thousands, the open quantity
	curSet      bool    // cur holds a quantity not yet multiplied
	weak        bool    // the only quantity so far is a weak word
	place       float64 // place of the last number word: 100 "ciento", 10 "treinta"
	lastMult    float64 // last unit applied
	unit        float64 // largest unit applied
	endsOnQty   bool    // the amount ended on a quantity with no unit after it
}

func (a *budgetAcc) total() float64 { return a.hi + a.th + a.cur }

func (a *budgetAcc) weakOnly() bool { return a.weak && a.unit == 0 }

// amount closes the accumulator. After millions a bare small quantity is
// thousands: Colombians say "un millón quinientos" for 1.500.000.
func (a *budgetAcc) amount() budgetAmount {
	if a.lastMult == 1e6 && a.curSet && a.th == 0 && a.cur < 1000 {
		a.cur *= 1e3
	}
	return budgetAmount{value: a.total(), unit: a.unit}
}

// readBudgetAmount reads one amount starting at toks[i] and returns it
// with the index after it. allowY lets "y" join a smaller group after
// millions ("un millón y quinientos mil"); inside "entre … y …" it may not.
func readBudgetAmount(toks []budgetTok, i int, allowY bool) (budgetAcc, int, bool) {
	var a budgetAcc
	j := i
	for j < len(toks) {
		n, ok, done := a.step(toks, j, allowY)
		if !ok {
			return a, j, false
		}
		if done {
			break
		}
		j += n
		if a.total() > budgetMaxNumeral {
			return a, j, false
		}
	}
	a.endsOnQty = a.curSet && !a.weakOnly()
	return a, j, true
}

// step consumes the tokens at toks[j] that continue the amount and says
// how many; done means the amount ended before toks[j].
func (a *budgetAcc) step(toks []budgetTok, j int, allowY bool) (n int, ok, done bool) {
	t := toks[j]
	switch {
	case t.kind == 'n':
		if a.curSet {
			return 0, true, true // "1 2 millones": a second amount
		}
		v, ok := parseBudgetNumeral(t.s)
		a.cur, a.curSet, a.weak, a.place = v, true, false, 0
		return 1, ok, false
	case t.kind != 'w':
		return 0, true, true
	case t.s == "a" && (a.weak || !a.curSet && a.unit == 0) && j+1 < len(toks) && budgetUnit(toks[j+1], 1) > 0:
		if !a.curSet {
			a.cur, a.curSet, a.weak = 1, true, true // "a million"
		}
		return 1, true, false // "half a million"
	case t.s == "y" || t.s == "and":
		return a.stepAnd(toks, j, allowY)
	}
	if v, isNum := budgetNumberWords[t.s]; isNum {
		return a.stepWord(t.s, v)
	}
	if m := budgetUnit(t, a.cur); m > 0 {
		return 1, a.multiply(m), false
	}
	return 0, true, true
}

// stepWord adds a number word. Words add while each is below the place of
// the one before ("ciento veinte", "treinta y cinco"); otherwise the word
// starts another amount.
func (a *budgetAcc) stepWord(w string, v float64) (int, bool, bool) {
	if a.curSet && (a.place == 0 || v >= a.place || v < 1) {
		return 0, true, true
	}
	a.cur += v
	a.weak = !a.curSet && budgetWeakWords[w]
	a.curSet = true
	switch {
	case v >= 100:
		a.place = 100
	case v >= 20:
		a.place = 10
	default:
		a.place = 1
	}
	return 1, true, false
}

// stepAnd handles "y"/"and" inside an amount: "y medio", "treinta y
// cinco", "un millón y quinientos mil". Any other "y" ends the amount and
// is left to readBudget as a range connector.
func (a *budgetAcc) stepAnd(toks []budgetTok, j int, allowY bool) (int, bool, bool) {
	if n := budgetHalfAt(toks, j+1); n > 0 {
		return 1 + n, a.addHalf(), false
	}
	if j+1 < len(toks) && toks[j+1].kind == 'w' {
		if v, isNum := budgetNumberWords[toks[j+1].s]; isNum && a.curSet && a.place == 10 && v >= 1 && v < 10 {
			a.cur += v
			a.place = 1
			return 2, true, false
		}
	}
	if !allowY || a.lastMult != 1e6 || a.curSet {
		return 0, true, true
	}
	b, next, ok := readBudgetAmount(toks, j+1, false)
	if !ok || b.weakOnly() || b.unit >= 1e6 || b.total() <= 0 {
		return 0, true, true
	}
	if b.unit == 0 {
		if b.total() >= 1000 {
			return 0, true, true
		}
		a.cur, a.curSet = b.total(), true
	} else {
		a.th += b.total()
	}
	return next - j, true, false
}

// budgetHalfAt returns the number of tokens of a "medio", "media" or "a
// half" at toks[i], or 0.
func budgetHalfAt(toks []budgetTok, i int) int {
	switch {
	case budgetWordsAt(toks, i, "medio"), budgetWordsAt(toks, i, "media"):
		return 1
	case budgetWordsAt(toks, i, "a", "half"):
		return 2
	}
	return 0
}

// addHalf applies "y medio": half of the unit just written ("millón y
// medio"), or half a unit of the open quantity ("dos y medio millones").
func (a *budgetAcc) addHalf() bool {
	switch {
	case a.curSet:
		a.cur += 0.5
	case a.lastMult >= 1e6:
		a.hi += a.lastMult / 2
	case a.lastMult > 0:
		a.th += a.lastMult / 2
	default:
		return false
	}
	return true
}

// multiply applies a unit to the open quantity. Units must decrease
// ("2 millones 300 mil"), except "mil millones", where mil multiplies into
// the millions; "2 millones 3 millones" is not understood.
func (a *budgetAcc) multiply(m float64) bool {
	if m == 100 { // English "five hundred"
		if !a.curSet {
			a.cur = 1
		}
		a.cur *= 100
		a.curSet, a.weak, a.place = true, false, 100
		return true
	}
	if a.lastMult == 1e3 && m > 1e3 && a.hi == 0 && !a.curSet {
		a.hi, a.th = a.th*m, 0
	} else {
		if a.lastMult != 0 && m >= a.lastMult {
			return false
		}
		if !a.curSet {
			a.cur = 1
		}
		if m == 1e3 {
			a.th += a.cur * m
		} else {
			a.hi += (a.th + a.cur) * m
			a.th = 0
		}
	}
	a.cur, a.curSet, a.weak, a.place = 0, false, false, 0
	a.lastMult = m
	a.unit = math.Max(a.unit, m)
	return true
}

// budget turns the reading into COP. See ParseBudget for the rules.
func (r budgetReading) budget(usdToCOP float64) (Budget, bool) {
	rate := 1.0
	if r.usd {
		if !(usdToCOP > 0) || math.IsInf(usdToCOP, 1) {
			return Budget{}, false
		}
		rate = usdToCOP
	}
	values := r.resolveUnits()
	cop := make([]int64, len(values))
	for k, v := range values {
		x := v * rate
		if !(x >= 0) || x > budgetMaxCOP {
			return Budget{}, false
		}
		cop[k] = int64(math.Round(x))
	}
	b := Budget{MinCOP: cop[0], MaxCOP: cop[len(cop)-1]}
	if b.MinCOP > b.MaxCOP {
		b.MinCOP, b.MaxCOP = b.MaxCOP, b.MinCOP
	}
	if len(cop) == 1 && r.upTo {
		b.MinCOP = 0
	}
	return b, b.MaxCOP > 0
}

// resolveUnits applies the bare-number and range rules of ParseBudget,
// returning the amounts in the answer's currency.
func (r budgetReading) resolveUnits() []float64 {
	bare := budgetBareFactor
	if r.usd {
		bare = func(float64) float64 { return 1 }
	}
	if len(r.amounts) == 1 {
		a := r.amounts[0]
		if a.unit == 0 {
			return []float64{a.value * bare(a.value)}
		}
		return []float64{a.value}
	}
	lo, hi := r.amounts[0], r.amounts[1]
	switch {
	case lo.unit == 0 && hi.unit == 0:
		f := bare(math.Max(lo.value, hi.value))
		return []float64{lo.value * f, hi.value * f}
	case lo.unit == 0:
		if v := lo.value * hi.unit; v <= hi.value {
			return []float64{v, hi.value}
		}
		return []float64{lo.value * bare(lo.value), hi.value}
	case hi.unit == 0:
		if v := hi.value * lo.unit; v >= lo.value {
			return []float64{lo.value, v}
		}
		return []float64{lo.value, hi.value * bare(hi.value)}
	}
	return []float64{lo.value, hi.value}
}

// budgetBareFactor is the multiplier of a number written without a unit.
func budgetBareFactor(v float64) float64 {
	switch {
	case v < 100:
		return 1e6
	case v < 10_000:
		return 1e3
	}
	return 1
}

// Answers that say the prospect has no figure yet, matched as whole words
// on the folded text.
var budgetUnknownPhrases = []string{
	"no se", "nose", "no lo se", "no sabria", "no sabemos", "no tengo claro", "no lo tengo claro",
	"no tengo idea", "ni idea", "no idea", "aun no se", "todavia no se", "depende", "no estoy seguro",
	"no estoy segura", "por definir", "sin definir", "no he definido", "no lo he definido",
	"no hemos definido", "no tengo un presupuesto", "no tengo presupuesto definido",
	"i don t know", "i dont know", "don t know", "dont know", "not sure", "it depends", "depends", "tbd",
}

func budgetUnknown(folded string) bool {
	padded := " " + folded + " "
	for _, p := range budgetUnknownPhrases {
		if strings.Contains(padded, " "+p+" ") {
			return true
		}
	}
	return false
}
