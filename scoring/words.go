package scoring

import (
	"fmt"
	"math"
	"strconv"
)

// words says what a field's contribution means, in the advisor's language
// (es by default, en). raw is the lead's value as rawLead gives it.
// Each field that needs more than a lookup has a small method of its own,
// so that the two languages of one phrase stay side by side.
func words(lang, field, raw string, w float64, s Schema) string {
	p := wording{en: lang == "en", up: w > 0}
	if n, ok := namedFields[field]; ok {
		if raw == "" {
			return p.pick(n.unknownES, n.unknownEN)
		}
		return fmt.Sprintf(p.pick(n.es, n.en), raw) + p.trend()
	}
	switch field {
	case "base":
		return p.pick("tasa base de conversión del historial", "base conversion rate of the history")
	case "budget":
		return p.budget(raw)
	case "budget_unknown":
		if raw == "1" {
			return p.pick("no sabe su presupuesto", "does not know the budget")
		}
		return p.pick("dio un presupuesto", "gave a budget")
	case "urgency":
		return p.urgency(raw)
	case "month":
		return p.month(raw)
	case "city", "city_rate":
		return p.city(raw, s)
	case "weekday":
		return p.weekday(raw)
	case "answer_speed":
		return p.answerSpeed(raw)
	case "returning":
		return p.returning(raw)
	}
	return field
}

// namedFields are the fields whose phrase names the lead's value (in place
// of %s) and then says which way it moves conversion, or says the value is
// unknown when it is empty. "service_rate" is the target-rate encoding of
// the service and reads the same.
var namedFields = map[string]struct{ es, en, unknownES, unknownEN string }{
	"department":   {"%s ", "%s ", "departamento sin definir", "department not given"},
	"service":      {"el servicio %s ", "the service %s ", "servicio sin definir", "service not given"},
	"service_rate": {"el servicio %s ", "the service %s ", "servicio sin definir", "service not given"},
	"source":       {"la campaña %s ", "the campaign %s ", "origen desconocido", "unknown source"},
	"hour":         {"escribió a las %s h, hora que ", "wrote at %s h, an hour that ", "hora de contacto desconocida", "contact hour unknown"},
	"retries":      {"%s respuestas no entendidas: ", "%s answers not understood: ", "conversación sin medir", "conversation not measured"},
}

// Month and weekday names, January and Monday first (time.Weekday starts on
// Sunday; the lead's weekday field is 1 = Monday … 7 = Sunday).
var (
	monthsES   = []string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}
	monthsEN   = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	weekdaysES = []string{"lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"}
	weekdaysEN = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
)

// wording is what a phrase depends on besides the field's value: the
// advisor's language and whether the contribution raised the score.
type wording struct {
	en, up bool
}

// pick chooses the Spanish or English phrase.
func (p wording) pick(es, en string) string {
	if p.en {
		return en
	}
	return es
}

// trend ends most phrases: which way leads like this one convert.
func (p wording) trend() string {
	if p.up {
		return p.pick("convierte por encima del promedio", "converts above average")
	}
	return p.pick("convierte por debajo del promedio", "converts below average")
}

func (p wording) budget(raw string) string {
	if raw == "" {
		return p.pick("presupuesto sin definir", "budget not given")
	}
	if p.up {
		return p.pick("presupuesto alto", "high budget")
	}
	return p.pick("presupuesto bajo", "low budget")
}

// urgency reads the flow's urgency levels, 0 (exploring) to 3 (now).
func (p wording) urgency(raw string) string {
	switch raw {
	case "3":
		return p.pick("urgencia inmediata", "immediate urgency")
	case "2":
		return p.pick("lo quiere este mes", "wants it this month")
	case "1":
		return p.pick("lo quiere en 1 a 3 meses", "wants it in 1 to 3 months")
	case "0":
		return p.pick("solo está explorando", "only exploring")
	}
	return p.pick("urgencia sin definir", "urgency not given")
}

// month calls a month that raised the score high season, one that lowered
// it low season.
func (p wording) month(raw string) string {
	m, _ := strconv.Atoi(raw)
	if m < 1 || m > 12 {
		return p.pick("fecha desconocida", "unknown date")
	}
	name := p.pick(monthsES[m-1], monthsEN[m-1])
	if p.up {
		return p.pick("temporada alta ("+name+")", "high season ("+name+")")
	}
	return p.pick("temporada baja ("+name+")", "low season ("+name+")")
}

// city names the city as the schema spells it (raw is its key), or says it
// is abroad.
func (p wording) city(raw string, s Schema) string {
	switch raw {
	case "":
		return p.pick("ciudad sin definir", "city not given")
	case "foreign":
		return p.pick("ciudad fuera de Colombia "+p.trend(), "city abroad "+p.trend())
	}
	name := s.CityNames[raw]
	if name == "" {
		name = raw
	}
	return name + " " + p.trend()
}

func (p wording) weekday(raw string) string {
	d, _ := strconv.Atoi(raw)
	if d < 1 || d > 7 {
		return p.pick("día de contacto desconocido", "contact day unknown")
	}
	return p.pick(weekdaysES[d-1]+": ", weekdaysEN[d-1]+": ") + p.trend()
}

// answerSpeed reads the feature's log10(seconds+1) back as seconds, which
// an advisor can picture.
func (p wording) answerSpeed(raw string) string {
	v, err := strconv.ParseFloat(raw, 64)
	if raw == "" || err != nil {
		return p.pick("rapidez sin medir", "answer speed not measured")
	}
	secs := strconv.FormatFloat(math.Pow(10, v)-1, 'f', 0, 64)
	return p.pick("respondió en "+secs+" s: ", "answered in "+secs+" s: ") + p.trend()
}

func (p wording) returning(raw string) string {
	switch raw {
	case "1":
		return p.pick("ya había escrito antes: ", "had written before: ") + p.trend()
	case "0":
		return p.pick("primer contacto: ", "first contact: ") + p.trend()
	}
	return p.pick("historial de contacto desconocido", "contact history unknown")
}
