package flow

import (
	"slices"
	"testing"
	"time"
)

// Fixed clocks for month names: mid-October, and late December to cross
// the year end.
var (
	urgencyOctober  = time.Date(2025, time.October, 15, 10, 0, 0, 0, time.UTC)
	urgencyDecember = time.Date(2025, time.December, 28, 18, 30, 0, 0, time.UTC)
	urgencyJanuary  = time.Date(2026, time.January, 5, 9, 0, 0, 0, time.UTC)
)

var urgencyTests = []struct {
	in   string
	now  time.Time
	want Urgency // "" when ok is false
}{
	// Menu numbers.
	{"1", urgencyOctober, Immediate},
	{"2", urgencyOctober, ThisMonth},
	{"3", urgencyOctober, OneToThreeMonths},
	{"4", urgencyOctober, Exploring},
	{"1.", urgencyOctober, Immediate},
	{"opción 2", urgencyOctober, ThisMonth},
	{"la 3", urgencyOctober, OneToThreeMonths},
	{"1️⃣", urgencyOctober, Immediate},
	{"4️⃣", urgencyOctober, Exploring},
	{"la segunda", urgencyOctober, ThisMonth},
	{"la 2 porfa", urgencyOctober, ThisMonth},
	{"５", urgencyOctober, ""},
	{"5", urgencyOctober, ""},
	{"0", urgencyOctober, ""},
	// Immediate.
	{"ya", urgencyOctober, Immediate},
	{"Urgente!!", urgencyOctober, Immediate},
	{"para ayer", urgencyOctober, Immediate},
	{"pa' ya", urgencyOctober, Immediate},
	{"pa ya", urgencyOctober, Immediate},
	{"hoy", urgencyOctober, Immediate},
	{"mañana", urgencyOctober, Immediate},
	{"ahorita", urgencyOctober, Immediate},
	{"lo antes posible", urgencyOctober, Immediate},
	{"ASAP", urgencyOctober, Immediate},
	{"cuanto antes", urgencyOctober, Immediate},
	{"de una, me urge", urgencyOctober, Immediate},
	{"right now", urgencyOctober, Immediate},
	{"en 2 días", urgencyOctober, Immediate},
	// This month.
	{"esta semana", urgencyOctober, ThisMonth},
	{"la otra semana", urgencyOctober, ThisMonth},
	{"la próxima semana", urgencyOctober, ThisMonth},
	{"este mes", urgencyOctober, ThisMonth},
	{"en 15 días", urgencyOctober, ThisMonth},
	{"en unos días", urgencyOctober, ThisMonth},
	{"para la quincena", urgencyOctober, ThisMonth},
	{"dentro de dos semanas", urgencyOctober, ThisMonth},
	{"this week", urgencyOctober, ThisMonth},
	{"this month", urgencyOctober, ThisMonth},
	{"in a few days", urgencyOctober, ThisMonth},
	// One to three months.
	{"el otro mes", urgencyOctober, OneToThreeMonths},
	{"el próximo mes", urgencyOctober, OneToThreeMonths},
	{"en 2 meses", urgencyOctober, OneToThreeMonths},
	{"en un par de meses", urgencyOctober, OneToThreeMonths},
	{"este trimestre", urgencyOctober, OneToThreeMonths},
	{"antes de fin de año", urgencyOctober, OneToThreeMonths},
	{"en 1 a 3 meses", urgencyOctober, OneToThreeMonths},
	{"next month", urgencyOctober, OneToThreeMonths},
	{"in two months", urgencyOctober, OneToThreeMonths},
	{"dentro de un mes", urgencyOctober, OneToThreeMonths},
	{"en navidad", urgencyOctober, OneToThreeMonths},
	{"no sé, creo que el otro mes", urgencyOctober, OneToThreeMonths},
	// Month names, relative to now.
	{"en octubre", urgencyOctober, ThisMonth},
	{"en diciembre", urgencyOctober, OneToThreeMonths},
	{"para enero", urgencyOctober, OneToThreeMonths},
	{"en febrero", urgencyOctober, Exploring},
	{"en septiembre", urgencyOctober, Exploring},
	{"in may", urgencyOctober, Exploring},
	{"en diciembre", urgencyDecember, ThisMonth},
	{"antes de fin de año", urgencyDecember, ThisMonth},
	{"en enero", urgencyDecember, OneToThreeMonths},
	{"a principios de año", urgencyDecember, OneToThreeMonths},
	{"en marzo", urgencyDecember, OneToThreeMonths},
	{"en abril", urgencyDecember, Exploring},
	{"en diciembre", urgencyJanuary, Exploring},
	{"antes de fin de año", urgencyJanuary, Exploring},
	{"no sé, tal vez en noviembre", urgencyOctober, OneToThreeMonths},
	// Exploring.
	{"sin afán", urgencyOctober, Exploring},
	{"sin prisa", urgencyOctober, Exploring},
	{"no hay afán", urgencyOctober, Exploring},
	{"no es urgente", urgencyOctober, Exploring},
	{"no es tan urgente", urgencyOctober, Exploring},
	{"ahorita no", urgencyOctober, Exploring},
	{"ya te digo", urgencyOctober, Exploring},
	{"solo estoy mirando", urgencyOctober, Exploring},
	{"solo cotizando", urgencyOctober, Exploring},
	{"estoy averiguando precios", urgencyOctober, Exploring},
	{"más adelante", urgencyOctober, Exploring},
	{"el otro año", urgencyOctober, Exploring},
	{"no sé", urgencyOctober, Exploring},
	{"en 6 meses", urgencyOctober, Exploring},
	{"just looking", urgencyOctober, Exploring},
	{"no rush", urgencyOctober, Exploring},
	// Conditions and everyday forms (issue 13).
	{"cuando tenga la plata", urgencyOctober, Exploring},
	{"apenas tenga el presupuesto aprobado", urgencyOctober, Exploring},
	{"cuando me aprueben", urgencyOctober, Exploring},
	{"en medio año", urgencyOctober, Exploring},
	{"lo necesito ya", urgencyOctober, Immediate},
	{"para mañana", urgencyOctober, Immediate},
	{"cuando antes", urgencyOctober, Immediate},
	{"en estos días", urgencyOctober, ThisMonth},
	{"no es urgente, puede ser el otro mes", urgencyOctober, OneToThreeMonths},
	// Seasons, relative to the message: vacations end about 12 January and
	// 15 July, Semana Santa on Easter Monday; primas are paid in June and December.
	{"después de vacaciones", urgencyOctober, OneToThreeMonths},
	{"después de vacaciones", urgencyDecember, ThisMonth},
	{"pasando las vacaciones", urgencyJanuary, ThisMonth},
	{"después de navidad", urgencyOctober, OneToThreeMonths},
	{"en semana santa", urgencyOctober, Exploring},
	{"cuando me paguen la prima", urgencyOctober, OneToThreeMonths},
	{"a mitad de año", urgencyOctober, Exploring},
	// Dates, relative to the message (15 October).
	{"el 20", urgencyOctober, ThisMonth},
	{"para el 10", urgencyOctober, ThisMonth},
	{"para el 16", urgencyOctober, Immediate},
	{"el 15 de enero", urgencyOctober, OneToThreeMonths},
	{"antes del 30 de abril", urgencyOctober, Exploring},
	{"15/11", urgencyOctober, OneToThreeMonths}, // a month ahead, as "en un mes"
	{"14/11", urgencyOctober, ThisMonth},
	{"march 15th", urgencyOctober, Exploring},
	{"el 2", urgencyOctober, ThisMonth}, // the menu's 2, not the 2nd
	{"2 millones", urgencyOctober, ""},
	// Not understood or ambiguous.
	{"", urgencyOctober, ""},
	{"hola", urgencyOctober, ""},
	{"🤷", urgencyOctober, ""},
	{"may", urgencyOctober, ""},
	{"hoy o después", urgencyOctober, ""},
	{"1 y 2", urgencyOctober, ""},
}

func TestParseUrgency(t *testing.T) {
	for _, tt := range urgencyTests {
		t.Run(tt.in+"@"+tt.now.Format("Jan"), func(t *testing.T) {
			got, ok := ParseUrgency(tt.in, tt.now)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("ParseUrgency(%q, %s) = %q, %v; want %q, %v", tt.in, tt.now.Format("2006-01-02"), got, ok, tt.want, tt.want != "")
			}
		})
	}
}

func FuzzParseUrgency(f *testing.F) {
	for _, tt := range urgencyTests {
		f.Add(tt.in, tt.now.Unix())
	}
	f.Fuzz(func(t *testing.T, in string, unix int64) {
		now := time.Unix(unix, 0).UTC()
		got, ok := ParseUrgency(in, now)
		if ok != slices.Contains(Urgencies, got) || (!ok && got != "") {
			t.Errorf("ParseUrgency(%q, %v) = %q, %v; want one of %v with ok, or \"\", false", in, now, got, ok, Urgencies)
		}
	})
}

func BenchmarkParseUrgency(b *testing.B) {
	for b.Loop() {
		for _, in := range []string{"2", "lo antes posible", "no sé, creo que el otro mes", "en diciembre"} {
			ParseUrgency(in, urgencyOctober)
		}
	}
}
