package flow

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

var nameTests = []struct {
	in   string
	want string // "" when ok is false
}{
	// Introductions, greetings, titles.
	{"me llamo carlos andrés", "Carlos Andrés"},
	{"Nombre: Julio César Duarte", "Julio César Duarte"},
	{"Fausto jaja", "Fausto"},
	{"soy el brayan", "Brayan"},
	{"yo soy la Yuli", "Yuli"},
	{"buenas noches, con Yamile Torres", "Yamile Torres"},
	{"soy Ana", "Ana"},
	{"CARLOS", "Carlos"},
	{"mi nombre es maría josé pérez", "María José Pérez"},
	{"yo soy juan", "Juan"},
	{"con gusto, Laura", "Laura"},
	{"Sr. Pedro Gómez", "Pedro Gómez"},
	{"I'm John Smith", "John Smith"},
	{"my name is Ana Lucía", "Ana Lucía"},
	{"Hola, buenas tardes. Mi nombre es Carlos Andrés Pérez Gómez", "Carlos Andrés Pérez Gómez"},
	{"Buenos días! Soy la Dra. Marcela Ríos", "Marcela Ríos"},
	{"La Rosa", "La Rosa"},
	{"hola soy don Efraín", "Efraín"},
	{"Don", "Don"},
	{"Laura, gracias", "Laura"},
	{"Sí claro, Andrés Felipe", "Andrés Felipe"},
	// The person, not the company or the request.
	{"Carlos de parte de Ferretería X", "Carlos"},
	{"Ana y quiero información de SEO", "Ana"},
	{"Pedro, gerente de Ferretería El Tornillo", "Pedro"},
	{"Soy Diana, les escribo de Panadería La Espiga", "Diana"},
	{"Camilo (de Medellín)", "Camilo"},
	{"Kevin Smith from Acme", "Kevin Smith"},
	{"Hola! Mi nombre es Juan Camilo, de parte de Inversiones ABC", "Juan Camilo"},
	// Case and particles.
	{"maria de los angeles", "Maria de los Angeles"},
	{"JOSÉ DE LA CRUZ", "José de la Cruz"},
	{"juan del valle y caicedo", "Juan del Valle y Caicedo"},
	{"O'Neil", "O'Neil"},
	{"o’neil", "O'Neil"},
	{"ana-maría", "Ana-María"},
	{"McDonald", "McDonald"},
	{"cArLoS", "Carlos"},
	{"Carlos A. Pérez", "Carlos A. Pérez"},
	{"Ñoño Núñez", "Ñoño Núñez"},
	{"jürgen müller", "Jürgen Müller"},
	{"Иван Петров", "Иван Петров"},
	{"محمد علي", "محمد علي"},
	{"李小龙", "李小龙"},
	// Limits.
	{"Juan Pablo Andrés Felipe Gómez Ruiz", "Juan Pablo Andrés Felipe Gómez"},
	{"María de los Ángeles del Mar", "María de los Ángeles"},
	{"Adolph Blaine Charles Wolfeschlegelsteinhausenbergerdorff Senior", "Adolph Blaine Charles Wolfeschlegelsteinhausenbergerdorff"},
	{strings.Repeat("a", 70), "A" + strings.Repeat("a", 59)},
	// Unicode tricks.
	{"Jose\u0301", "José"},
	{"Ca\u200Brlos", "Carlos"},
	{"\u202Eana", "Ana"},
	{"\u2066Ana María\u2069", "Ana María"},
	{"\uFEFFLuis", "Luis"},
	{"👨‍👩‍👧 Ana", "Ana"},
	{"Ana 😊🙏🏽", "Ana"},
	{"Ａｎａ", "Ana"},
	{"Ana\x00", "Ana"},
	{"Lu\xffis", "Lu Is"},
	{"A\u0301\u0302\u0303\u0304\u0305na", "Á\u0302\u0303\u0304na"},
	// Rejected.
	{"", ""},
	{"   ", ""},
	{"12345", ""},
	{"Ana 3", ""},
	{"Ana ٣", ""},
	{"Ana １", ""},
	{"Luis XIV ½", ""},
	{"ana@gmail.com", ""},
	{"@carlitos", ""},
	{"www.carlos.com", ""},
	{"https://ferreteria.co", ""},
	{"carlos.com", ""},
	{"😀😀", ""},
	{"👨‍👩‍👧", ""},
	{"\u200B\u200D", ""},
	{"\u0301\u0301", ""},
	{"a", ""},
	{"A.", ""},
	{"A. B.", ""},
	{"hola", ""},
	{"buenas", ""},
	{"buenos días", ""},
	{"si", ""},
	{"Sí", ""},
	{"no", ""},
	{"ok", ""},
	{"gracias", ""},
	{"quiero información", ""},
	{"precio", ""},
	{"me llamo", ""},
	{"jajaja", ""},
	{"<script>alert('x')</script>", ""},
	{"<b>Ana</b>", ""},
	{"hola buenas quiero saber cuánto cuesta una página web", ""},
	{"Carlos Andrés Pérez Gómez Ruiz López Díaz Torres Vargas", ""},
}

func TestParseName(t *testing.T) {
	for _, tt := range nameTests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ParseName(tt.in)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("ParseName(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.want != "")
			}
		})
	}
}

func FuzzParseName(f *testing.F) {
	for _, tt := range nameTests {
		f.Add(tt.in)
	}
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAaAAAAAAA") // cut before casing
	f.Fuzz(func(t *testing.T, in string) {
		got, ok := ParseName(in)
		if !ok {
			if got != "" {
				t.Errorf("ParseName(%q) = %q, false; want \"\" when not ok", in, got)
			}
			return
		}
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > nameMaxRunes || len(strings.Fields(got)) > nameMaxWords {
			t.Errorf("ParseName(%q) = %q; want valid UTF-8, <= %d runes, <= %d words", in, got, nameMaxRunes, nameMaxWords)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsNumber(r) {
				t.Errorf("ParseName(%q) = %q; contains %U", in, got, r)
			}
		}
		if again, ok := ParseName(got); again != got || !ok {
			t.Errorf("ParseName(%q) = %q, but ParseName(%q) = %q, %v; want it unchanged", in, got, got, again, ok)
		}
	})
}

func BenchmarkParseName(b *testing.B) {
	for b.Loop() {
		for _, in := range []string{"me llamo carlos andrés", "Hola, buenas tardes. Mi nombre es María de los Ángeles Pérez", "quiero información"} {
			ParseName(in)
		}
	}
}
