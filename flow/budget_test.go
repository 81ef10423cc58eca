package flow

import (
	"math"
	"testing"
)

// testUSDToCOP has a fractional part so conversions exercise rounding.
const testUSDToCOP = 4000.5

// budgetOK, budgetAbsurd, budgetUnknownAnswer and budgetBad build the
// expected answers of the budget table.
func budgetOK(minCOP, maxCOP int64) BudgetAnswer {
	return BudgetAnswer{Budget: Budget{MinCOP: minCOP, MaxCOP: maxCOP}, OK: true}
}

func budgetAbsurd(minCOP, maxCOP int64) BudgetAnswer {
	a := budgetOK(minCOP, maxCOP)
	a.Absurd = true
	return a
}

var (
	budgetUnknownAnswer = BudgetAnswer{Budget: Budget{Unknown: true}, OK: true}
	budgetBad           = BudgetAnswer{}
)

var budgetTests = []struct {
	in   string
	rate float64
	want BudgetAnswer
}{
	// Digits and Colombian separators.
	{"2 millones", testUSDToCOP, budgetOK(2e6, 2e6)},
	{"2M", testUSDToCOP, budgetOK(2e6, 2e6)},
	{"2MM", testUSDToCOP, budgetOK(2e6, 2e6)},
	{"2m", testUSDToCOP, budgetOK(2e6, 2e6)},
	{"500m", testUSDToCOP, budgetOK(500e3, 500e3)},
	{"$2.000.000", testUSDToCOP, budgetOK(2e6, 2e6)},
	{"2'000.000", testUSDToCOP, budgetOK(2e6, 2e6)},
	{"2’500.000", testUSDToCOP, budgetOK(2.5e6, 2.5e6)},
	{"$ 1.200.000 COP", testUSDToCOP, budgetOK(1.2e6, 1.2e6)},
	{"1,500,000", testUSDToCOP, budgetOK(1.5e6, 1.5e6)},
	{"1.500.000,50", testUSDToCOP, budgetOK(1500001, 1500001)},
	{"1,5 millones", testUSDToCOP, budgetOK(1.5e6, 1.5e6)},
	{"1.5 millones", testUSDToCOP, budgetOK(1.5e6, 1.5e6)},
	{"2,75 millones", testUSDToCOP, budgetOK(2.75e6, 2.75e6)},
	{"500 mil", testUSDToCOP, budgetOK(500e3, 500e3)},
	{"500k", testUSDToCOP, budgetOK(500e3, 500e3)},
	{"500 K", testUSDToCOP, budgetOK(500e3, 500e3)},
	{"500 lucas", testUSDToCOP, budgetOK(500e3, 500e3)},
	{"1 millón 500 mil", testUSDToCOP, budgetOK(1.5e6, 1.5e6)},
	{"2 millones 300", testUSDToCOP, budgetOK(2.3e6, 2.3e6)},
	// Bare numbers: <100 millions, <10.000 thousands, else pesos.
	{"2", testUSDToCOP, budgetOK(2e6, 2e6)},
	{"0,5", testUSDToCOP, budgetOK(500e3, 500e3)},
	{"500", testUSDToCOP, budgetOK(500e3, 500e3)},
	{"$500", testUSDToCOP, budgetOK(500e3, 500e3)},
	{"1.500", testUSDToCOP, budgetOK(1.5e6, 1.5e6)},
	{"1500000", testUSDToCOP, budgetOK(1.5e6, 1.5e6)},
	{"50000", testUSDToCOP, budgetAbsurd(50e3, 50e3)},
	{"80.000", testUSDToCOP, budgetAbsurd(80e3, 80e3)},
	// Words and slang.
	{"dos millones", testUSDToCOP, budgetOK(2e6, 2e6)},
	{"millón y medio", testUSDToCOP, budgetOK(1.5e6, 1.5e6)},
	{"dos millones y medio", testUSDToCOP, budgetOK(2.5e6, 2.5e6)},
	{"dos y medio millones", testUSDToCOP, budgetOK(2.5e6, 2.5e6)},
	{"medio millón", testUSDToCOP, budgetOK(500e3, 500e3)},
	{"quinientos mil", testUSDToCOP, budgetOK(500e3, 500e3)},
	{"ciento cincuenta mil pesos", testUSDToCOP, budgetOK(150e3, 150e3)},
	{"un millón quinientos", testUSDToCOP, budgetOK(1.5e6, 1.5e6)},
	{"un millón y quinientos mil", testUSDToCOP, budgetOK(1.5e6, 1.5e6)},
	{"treinta y cinco millones", testUSDToCOP, budgetOK(35e6, 35e6)},
	{"mil millones", testUSDToCOP, budgetOK(1e9, 1e9)},
	{"dos mil millones", testUSDToCOP, budgetOK(2e9, 2e9)},
	{"unos 2 palos", testUSDToCOP, budgetOK(2e6, 2e6)},
	{"un palo", testUSDToCOP, budgetOK(1e6, 1e6)},
	{"palo y medio", testUSDToCOP, budgetOK(1.5e6, 1.5e6)},
	{"two million", testUSDToCOP, budgetOK(2e6, 2e6)},
	{"half a million", testUSDToCOP, budgetOK(500e3, 500e3)},
	{"a million pesos", testUSDToCOP, budgetOK(1e6, 1e6)},
	{"two hundred fifty thousand", testUSDToCOP, budgetOK(250e3, 250e3)},
	// Ranges and bounds.
	{"entre 1 y 2 millones", testUSDToCOP, budgetOK(1e6, 2e6)},
	{"de 1 a 2 millones", testUSDToCOP, budgetOK(1e6, 2e6)},
	{"1-2 millones", testUSDToCOP, budgetOK(1e6, 2e6)},
	{"1 - 2", testUSDToCOP, budgetOK(1e6, 2e6)},
	{"de 500 a 800 mil", testUSDToCOP, budgetOK(500e3, 800e3)},
	{"entre 500 mil y 1 millón", testUSDToCOP, budgetOK(500e3, 1e6)},
	{"de 800 a 1 millón", testUSDToCOP, budgetOK(800e3, 1e6)},
	{"entre 1 millón y 2", testUSDToCOP, budgetOK(1e6, 2e6)},
	{"2 o 3 millones", testUSDToCOP, budgetOK(2e6, 3e6)},
	{"desde 1 hasta 2 millones", testUSDToCOP, budgetOK(1e6, 2e6)},
	{"entre 3 y 2 millones", testUSDToCOP, budgetOK(2e6, 3e6)},
	{"between 1 and 2 million", testUSDToCOP, budgetOK(1e6, 2e6)},
	{"máximo 3 millones", testUSDToCOP, budgetOK(0, 3e6)},
	{"hasta 3 millones", testUSDToCOP, budgetOK(0, 3e6)},
	{"3 millones máximo", testUSDToCOP, budgetOK(0, 3e6)},
	{"menos de 1 millón", testUSDToCOP, budgetOK(0, 1e6)},
	{"up to 3 million", testUSDToCOP, budgetOK(0, 3e6)},
	{"más de 5 millones", testUSDToCOP, budgetOK(5e6, 5e6)},
	// Dollars, at testUSDToCOP.
	{"USD 500", testUSDToCOP, budgetOK(2000250, 2000250)},
	{"500 dólares", testUSDToCOP, budgetOK(2000250, 2000250)},
	{"US$500", testUSDToCOP, budgetOK(2000250, 2000250)},
	{"500 usd", testUSDToCOP, budgetOK(2000250, 2000250)},
	{"USD 333", testUSDToCOP, budgetOK(1332167, 1332167)},
	{"about 5k dollars", testUSDToCOP, budgetOK(20002500, 20002500)},
	{"entre 1 y 2 mil dólares", testUSDToCOP, budgetOK(4000500, 8001000)},
	{"USD 500", 0, budgetBad},
	{"500 dólares", -1, budgetBad},
	{"USD 500", math.NaN(), budgetBad},
	{"USD 500", math.Inf(1), budgetBad},
	// Unknown.
	{"no sé", testUSDToCOP, budgetUnknownAnswer},
	{"no se", testUSDToCOP, budgetUnknownAnswer},
	{"No tengo claro", testUSDToCOP, budgetUnknownAnswer},
	{"no tengo idea", testUSDToCOP, budgetUnknownAnswer},
	{"aún no sé", testUSDToCOP, budgetUnknownAnswer},
	{"Depende", testUSDToCOP, budgetUnknownAnswer},
	{"ni idea 🤷", testUSDToCOP, budgetUnknownAnswer},
	{"I don't know", testUSDToCOP, budgetUnknownAnswer},
	{"no tengo un presupuesto", testUSDToCOP, budgetUnknownAnswer},
	{"no sé, unos 2 millones", testUSDToCOP, budgetOK(2e6, 2e6)},
	// Filler around the amount.
	{"tengo como 2 millones al mes", testUSDToCOP, budgetOK(2e6, 2e6)},
	{"más o menos 1 millón mensual", testUSDToCOP, budgetOK(1e6, 1e6)},
	{"alrededor de 800 mil pesos", testUSDToCOP, budgetOK(800e3, 800e3)},
	{"un presupuesto de 3 millones", testUSDToCOP, budgetOK(3e6, 3e6)},
	{"2 millones de pesos mensuales", testUSDToCOP, budgetOK(2e6, 2e6)},
	{"Pues la verdad unos 1.200.000 mensuales aprox.", testUSDToCOP, budgetOK(1.2e6, 1.2e6)},
	// Absurd: understood, confirmed by the bot.
	{"5 mil millones", testUSDToCOP, budgetAbsurd(5e9, 5e9)},
	{"3 billones", testUSDToCOP, budgetAbsurd(3e12, 3e12)},
	{"mil pesos", testUSDToCOP, budgetAbsurd(1e3, 1e3)},
	// Colombian slang: palo and melón are a million, luca a thousand.
	{"un melón", testUSDToCOP, budgetOK(1e6, 1e6)},
	{"2 melones", testUSDToCOP, budgetOK(2e6, 2e6)},
	{"dos melones", testUSDToCOP, budgetOK(2e6, 2e6)},
	{"melón y medio", testUSDToCOP, budgetOK(1.5e6, 1.5e6)},
	{"como un meloncito al mes", testUSDToCOP, budgetOK(1e6, 1e6)},
	{"un palo", testUSDToCOP, budgetOK(1e6, 1e6)},
	{"palo y medio", testUSDToCOP, budgetOK(1.5e6, 1.5e6)},
	{"medio palo", testUSDToCOP, budgetOK(500e3, 500e3)},
	{"unos 3 palos", testUSDToCOP, budgetOK(3e6, 3e6)},
	{"entre 2 y 3 palos", testUSDToCOP, budgetOK(2e6, 3e6)},
	{"800 lucas", testUSDToCOP, budgetOK(800e3, 800e3)},
	{"unos 300 barras", testUSDToCOP, budgetOK(300e3, 300e3)},
	{"una luca", testUSDToCOP, budgetAbsurd(1e3, 1e3)},
	{"tengo 1.5 millones y lo necesito ya", testUSDToCOP, budgetOK(1.5e6, 1.5e6)},
	{"Estoy en Cali y tengo como 2 millones", testUSDToCOP, budgetOK(2e6, 2e6)},
	// One letter wrong in millón.
	{"2 millomes", testUSDToCOP, budgetOK(2e6, 2e6)},
	{"3 milion", testUSDToCOP, budgetOK(3e6, 3e6)},
	{"1,5 milones", testUSDToCOP, budgetOK(1.5e6, 1.5e6)},
	// Not understood.
	{"2 manzanas", testUSDToCOP, budgetBad},
	{"2 millas", testUSDToCOP, budgetBad},
	{"3 meses", testUSDToCOP, budgetBad},
	{"0", testUSDToCOP, budgetBad},
	{"-2 millones", testUSDToCOP, budgetBad},
	{"999999999999999999999 millones", testUSDToCOP, budgetBad},
	{"2000 billones", testUSDToCOP, budgetBad},
	{"1e9", testUSDToCOP, budgetBad},
	{"2,5,5 millones", testUSDToCOP, budgetBad},
	{"1.500.5", testUSDToCOP, budgetBad},
	{"USD 1e308", testUSDToCOP, budgetBad},
	{"NaN", testUSDToCOP, budgetBad},
	{"infinito", testUSDToCOP, budgetBad},
	{"2 millones 3 millones", testUSDToCOP, budgetBad},
	{"1 2 millones", testUSDToCOP, budgetBad},
	{"entre 1, 2 y 3 millones", testUSDToCOP, budgetBad},
	{"1/2 millón", testUSDToCOP, budgetBad},
	{"", testUSDToCOP, budgetBad},
	{"hola", testUSDToCOP, budgetBad},
	{"lo que cueste", testUSDToCOP, budgetBad},
}

func TestParseBudget(t *testing.T) {
	for _, tt := range budgetTests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ParseBudget(tt.in, tt.rate); got != tt.want {
				t.Errorf("ParseBudget(%q, %v) = %+v; want %+v", tt.in, tt.rate, got, tt.want)
			}
		})
	}
}

func TestParseBudgetAbsurdLimits(t *testing.T) {
	tests := []struct {
		in     string
		absurd bool
	}{
		{"99.999", true},
		{"100.000", false},
		{"2.000.000.000", false},
		{"2.000.000.001", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := ParseBudget(tt.in, testUSDToCOP)
			if !got.OK || got.Absurd != tt.absurd {
				t.Errorf("ParseBudget(%q) = %+v; want OK, Absurd %v", tt.in, got, tt.absurd)
			}
		})
	}
}

func FuzzParseBudget(f *testing.F) {
	for _, tt := range budgetTests {
		f.Add(tt.in, tt.rate)
	}
	f.Fuzz(func(t *testing.T, in string, rate float64) {
		got := ParseBudget(in, rate)
		b := got.Budget
		switch {
		case !got.OK:
			if got != (BudgetAnswer{}) {
				t.Errorf("ParseBudget(%q, %v) = %+v; want the zero answer when not OK", in, rate, got)
			}
		case b.Unknown:
			if b.MinCOP != 0 || b.MaxCOP != 0 || got.Absurd {
				t.Errorf("ParseBudget(%q, %v) = %+v; want no amounts when Unknown", in, rate, got)
			}
		case b.MinCOP < 0 || b.MinCOP > b.MaxCOP || b.MaxCOP <= 0 || b.MaxCOP > budgetMaxCOP:
			t.Errorf("ParseBudget(%q, %v) = %+v; want 0 <= Min <= Max, 0 < Max <= %g", in, rate, got, budgetMaxCOP)
		case got.Absurd != (b.MaxCOP < budgetMinPlausibleCOP || b.MaxCOP > budgetMaxPlausibleCOP):
			t.Errorf("ParseBudget(%q, %v) = %+v; Absurd disagrees with the limits", in, rate, got)
		}
	})
}

func BenchmarkParseBudget(b *testing.B) {
	for b.Loop() {
		for _, in := range []string{"tengo como 2 millones al mes", "entre 1 y 2 millones", "USD 500", "no sé"} {
			ParseBudget(in, testUSDToCOP)
		}
	}
}
