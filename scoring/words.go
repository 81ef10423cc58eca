package scoring

import (
	"math"
	"strconv"
)

// words says what a field's contribution means, in the advisor's language
// (es by default, en). raw is the lead's value as rawLead gives it.
func words(lang, field, raw string, w float64, s Schema) string {
	en := lang == "en"
	up := w > 0
	pick := func(es, eng string) string {
		if en {
			return eng
		}
		return es
	}
	trend := pick("convierte por debajo del promedio", "converts below average")
	if up {
		trend = pick("convierte por encima del promedio", "converts above average")
	}
	switch field {
	case "base":
		return pick("tasa base de conversión del historial", "base conversion rate of the history")
	case "budget":
		if raw == "" {
			return pick("presupuesto sin definir", "budget not given")
		}
		if up {
			return pick("presupuesto alto", "high budget")
		}
		return pick("presupuesto bajo", "low budget")
	case "budget_unknown":
		if raw == "1" {
			return pick("no sabe su presupuesto", "does not know the budget")
		}
		return pick("dio un presupuesto", "gave a budget")
	case "urgency":
		switch raw {
		case "3":
			return pick("urgencia inmediata", "immediate urgency")
		case "2":
			return pick("lo quiere este mes", "wants it this month")
		case "1":
			return pick("lo quiere en 1 a 3 meses", "wants it in 1 to 3 months")
		case "0":
			return pick("solo está explorando", "only exploring")
		}
		return pick("urgencia sin definir", "urgency not given")
	case "month":
		m, _ := strconv.Atoi(raw)
		if m < 1 || m > 12 {
			return pick("fecha desconocida", "unknown date")
		}
		name := pick([]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}[m-1],
			[]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}[m-1])
		if up {
			return pick("temporada alta ("+name+")", "high season ("+name+")")
		}
		return pick("temporada baja ("+name+")", "low season ("+name+")")
	case "city":
		switch raw {
		case "":
			return pick("ciudad sin definir", "city not given")
		case "foreign":
			return pick("ciudad fuera de Colombia "+trend, "city abroad "+trend)
		}
		name := s.CityNames[raw]
		if name == "" {
			name = raw
		}
		return name + " " + trend
	case "department":
		if raw == "" {
			return pick("departamento sin definir", "department not given")
		}
		return raw + " " + trend
	case "service":
		if raw == "" {
			return pick("servicio sin definir", "service not given")
		}
		return pick("el servicio "+raw+" ", "the service "+raw+" ") + trend
	case "source":
		if raw == "" {
			return pick("origen desconocido", "unknown source")
		}
		return pick("la campaña "+raw+" ", "the campaign "+raw+" ") + trend
	case "hour":
		if raw == "" {
			return pick("hora de contacto desconocida", "contact hour unknown")
		}
		return pick("escribió a las "+raw+" h, hora que ", "wrote at "+raw+" h, an hour that ") + trend
	case "weekday":
		d, _ := strconv.Atoi(raw)
		if d < 1 || d > 7 {
			return pick("día de contacto desconocido", "contact day unknown")
		}
		return pick([]string{"lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"}[d-1]+": ",
			[]string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}[d-1]+": ") + trend
	case "retries":
		if raw == "" {
			return pick("conversación sin medir", "conversation not measured")
		}
		return pick(raw+" respuestas no entendidas: ", raw+" answers not understood: ") + trend
	case "answer_speed":
		v, err := strconv.ParseFloat(raw, 64)
		if raw == "" || err != nil {
			return pick("rapidez sin medir", "answer speed not measured")
		}
		secs := strconv.FormatFloat(math.Pow(10, v)-1, 'f', 0, 64)
		return pick("respondió en "+secs+" s: ", "answered in "+secs+" s: ") + trend
	case "returning":
		switch raw {
		case "1":
			return pick("ya había escrito antes: ", "had written before: ") + trend
		case "0":
			return pick("primer contacto: ", "first contact: ") + trend
		}
		return pick("historial de contacto desconocido", "contact history unknown")
	case "city_rate":
		return words(lang, "city", raw, w, s)
	case "service_rate":
		return words(lang, "service", raw, w, s)
	}
	return field
}
