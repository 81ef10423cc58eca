package place

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// ForeignName title-cases a place the prospect confirmed is outside
// Colombia, for City{Name: ..., Foreign: true}. Lead-ins are dropped as in
// Parse ("vivo en miami" → "Miami, Estados Unidos"); known cities and
// countries get their Spanish display name, with the country; anything
// else keeps the prospect's words and accents, title-cased, and at most
// eight words ("valència, españa" → "València, España").
func ForeignName(text string) string {
	ws, _ := splitWords(text, maxRunes)
	trims := trims(ws)
	if len(trims) == 0 {
		return ""
	}
	for _, t := range trims {
		if name, ok := foreignWhole(t); ok {
			return name
		}
		if name, ok := foreignWithCountry(t); ok {
			return name
		}
	}
	t := trims[len(trims)-1]
	if len(t) > 8 {
		t = t[:8]
	}
	return title(t)
}

// foreign is a foreign place in Spanish, with its country (for a
// country, itself; for a US state, the United States).
type foreign struct{ name, country string }

// foreignCities are the cities abroad that Colombian prospects most
// often write from. Parse checks Colombian names first, so a namesake here
// ("valencia", "monterrey", "santiago") only applies with the country.
var foreignCities = map[string]foreign{
	"miami":                   {"Miami", "Estados Unidos"},
	"orlando":                 {"Orlando", "Estados Unidos"},
	"nueva york":              {"Nueva York", "Estados Unidos"},
	"new york":                {"Nueva York", "Estados Unidos"},
	"nyc":                     {"Nueva York", "Estados Unidos"},
	"houston":                 {"Houston", "Estados Unidos"},
	"los angeles":             {"Los Ángeles", "Estados Unidos"},
	"chicago":                 {"Chicago", "Estados Unidos"},
	"boston":                  {"Boston", "Estados Unidos"},
	"atlanta":                 {"Atlanta", "Estados Unidos"},
	"dallas":                  {"Dallas", "Estados Unidos"},
	"washington":              {"Washington", "Estados Unidos"},
	"tampa":                   {"Tampa", "Estados Unidos"},
	"fort lauderdale":         {"Fort Lauderdale", "Estados Unidos"},
	"las vegas":               {"Las Vegas", "Estados Unidos"},
	"newark":                  {"Newark", "Estados Unidos"},
	"madrid":                  {"Madrid", "España"},
	"barcelona":               {"Barcelona", "España"},
	"valencia":                {"Valencia", "España"},
	"sevilla":                 {"Sevilla", "España"},
	"malaga":                  {"Málaga", "España"},
	"bilbao":                  {"Bilbao", "España"},
	"alicante":                {"Alicante", "España"},
	"zaragoza":                {"Zaragoza", "España"},
	"murcia":                  {"Murcia", "España"},
	"palma de mallorca":       {"Palma de Mallorca", "España"},
	"londres":                 {"Londres", "Reino Unido"},
	"london":                  {"Londres", "Reino Unido"},
	"paris":                   {"París", "Francia"},
	"roma":                    {"Roma", "Italia"},
	"milan":                   {"Milán", "Italia"},
	"berlin":                  {"Berlín", "Alemania"},
	"amsterdam":               {"Ámsterdam", "Países Bajos"},
	"lisboa":                  {"Lisboa", "Portugal"},
	"toronto":                 {"Toronto", "Canadá"},
	"montreal":                {"Montreal", "Canadá"},
	"vancouver":               {"Vancouver", "Canadá"},
	"ciudad de mexico":        {"Ciudad de México", "México"},
	"cdmx":                    {"Ciudad de México", "México"},
	"mexico df":               {"Ciudad de México", "México"},
	"guadalajara":             {"Guadalajara", "México"},
	"monterrey":               {"Monterrey", "México"},
	"cancun":                  {"Cancún", "México"},
	"tijuana":                 {"Tijuana", "México"},
	"caracas":                 {"Caracas", "Venezuela"},
	"maracaibo":               {"Maracaibo", "Venezuela"},
	"barquisimeto":            {"Barquisimeto", "Venezuela"},
	"maracay":                 {"Maracay", "Venezuela"},
	"san cristobal":           {"San Cristóbal", "Venezuela"},
	"merida":                  {"Mérida", "Venezuela"},
	"quito":                   {"Quito", "Ecuador"},
	"guayaquil":               {"Guayaquil", "Ecuador"},
	"cuenca":                  {"Cuenca", "Ecuador"},
	"lima":                    {"Lima", "Perú"},
	"arequipa":                {"Arequipa", "Perú"},
	"cusco":                   {"Cusco", "Perú"},
	"ciudad de panama":        {"Ciudad de Panamá", "Panamá"},
	"panama city":             {"Ciudad de Panamá", "Panamá"},
	"santiago de chile":       {"Santiago de Chile", "Chile"},
	"santiago":                {"Santiago", "Chile"},
	"buenos aires":            {"Buenos Aires", "Argentina"},
	"cordoba":                 {"Córdoba", "Argentina"},
	"mendoza":                 {"Mendoza", "Argentina"},
	"montevideo":              {"Montevideo", "Uruguay"},
	"asuncion":                {"Asunción", "Paraguay"},
	"la paz":                  {"La Paz", "Bolivia"},
	"santa cruz de la sierra": {"Santa Cruz de la Sierra", "Bolivia"},
	"sao paulo":               {"São Paulo", "Brasil"},
	"rio de janeiro":          {"Río de Janeiro", "Brasil"},
	"san jose":                {"San José", "Costa Rica"},
	"santo domingo":           {"Santo Domingo", "República Dominicana"},
	"punta cana":              {"Punta Cana", "República Dominicana"},
	"la habana":               {"La Habana", "Cuba"},
	"san juan":                {"San Juan", "Puerto Rico"},
	"guatemala":               {"Ciudad de Guatemala", "Guatemala"},
	"dubai":                   {"Dubái", "Emiratos Árabes Unidos"},
	"sidney":                  {"Sídney", "Australia"},
	"sydney":                  {"Sídney", "Australia"},
	"tokio":                   {"Tokio", "Japón"},
}

// countries are foreign countries, and a few US states, Spanish
// regions and abbreviations people add after a city ("Orlando, FL").
var countries = map[string]foreign{
	"venezuela":              {"Venezuela", "Venezuela"},
	"ecuador":                {"Ecuador", "Ecuador"},
	"peru":                   {"Perú", "Perú"},
	"panama":                 {"Panamá", "Panamá"},
	"mexico":                 {"México", "México"},
	"espana":                 {"España", "España"},
	"spain":                  {"España", "España"},
	"argentina":              {"Argentina", "Argentina"},
	"chile":                  {"Chile", "Chile"},
	"brasil":                 {"Brasil", "Brasil"},
	"brazil":                 {"Brasil", "Brasil"},
	"costa rica":             {"Costa Rica", "Costa Rica"},
	"canada":                 {"Canadá", "Canadá"},
	"alemania":               {"Alemania", "Alemania"},
	"francia":                {"Francia", "Francia"},
	"italia":                 {"Italia", "Italia"},
	"portugal":               {"Portugal", "Portugal"},
	"inglaterra":             {"Inglaterra", "Reino Unido"},
	"reino unido":            {"Reino Unido", "Reino Unido"},
	"uk":                     {"Reino Unido", "Reino Unido"},
	"holanda":                {"Países Bajos", "Países Bajos"},
	"paises bajos":           {"Países Bajos", "Países Bajos"},
	"suiza":                  {"Suiza", "Suiza"},
	"suecia":                 {"Suecia", "Suecia"},
	"republica dominicana":   {"República Dominicana", "República Dominicana"},
	"puerto rico":            {"Puerto Rico", "Puerto Rico"},
	"cuba":                   {"Cuba", "Cuba"},
	"guatemala":              {"Guatemala", "Guatemala"},
	"honduras":               {"Honduras", "Honduras"},
	"el salvador":            {"El Salvador", "El Salvador"},
	"nicaragua":              {"Nicaragua", "Nicaragua"},
	"bolivia":                {"Bolivia", "Bolivia"},
	"paraguay":               {"Paraguay", "Paraguay"},
	"uruguay":                {"Uruguay", "Uruguay"},
	"australia":              {"Australia", "Australia"},
	"japon":                  {"Japón", "Japón"},
	"china":                  {"China", "China"},
	"aruba":                  {"Aruba", "Aruba"},
	"curazao":                {"Curazao", "Curazao"},
	"jamaica":                {"Jamaica", "Jamaica"},
	"emiratos arabes unidos": {"Emiratos Árabes Unidos", "Emiratos Árabes Unidos"},
	"estados unidos":         {"Estados Unidos", "Estados Unidos"},
	"usa":                    {"Estados Unidos", "Estados Unidos"},
	"eeuu":                   {"Estados Unidos", "Estados Unidos"},
	"ee uu":                  {"Estados Unidos", "Estados Unidos"},
	"u s a":                  {"Estados Unidos", "Estados Unidos"},
	"united states":          {"Estados Unidos", "Estados Unidos"},
	"florida":                {"Florida", "Estados Unidos"},
	"fl":                     {"Florida", "Estados Unidos"},
	"texas":                  {"Texas", "Estados Unidos"},
	"tx":                     {"Texas", "Estados Unidos"},
	"california":             {"California", "Estados Unidos"},
	"new jersey":             {"Nueva Jersey", "Estados Unidos"},
	"nueva jersey":           {"Nueva Jersey", "Estados Unidos"},
	"nj":                     {"Nueva Jersey", "Estados Unidos"},
	"ny":                     {"Nueva York", "Estados Unidos"},
	"georgia":                {"Georgia", "Estados Unidos"},
	"massachusetts":          {"Massachusetts", "Estados Unidos"},
	"illinois":               {"Illinois", "Estados Unidos"},
	"ontario":                {"Ontario", "Canadá"},
	"quebec":                 {"Quebec", "Canadá"},
	"cataluna":               {"Cataluña", "España"},
	"andalucia":              {"Andalucía", "España"},
}

// foreignWhole reads ws as a known foreign city or country.
func foreignWhole(ws []word) (string, bool) {
	key := join(ws)
	if c, ok := foreignCities[key]; ok {
		return c.name + ", " + c.country, true
	}
	if c, ok := countries[key]; ok {
		return c.name, true
	}
	return "", false
}

// foreignWithCountry reads "<city> <country>": "Madrid, España",
// "Valencia Venezuela", "Orlando FL". A city not in the list keeps the
// prospect's words, if they look like a name: at most three words, no
// lead-in ("vivo en") and no everyday word ("trabajo para España").
func foreignWithCountry(ws []word) (string, bool) {
	for i := 1; i < len(ws); i++ {
		c, ok := countries[join(ws[i:])]
		if !ok {
			continue
		}
		city := ws[:i]
		if known, ok := foreignCities[join(city)]; ok && known.country == c.country {
			return known.name + ", " + known.country, true
		}
		if len(city) > 3 || leadingFiller(city) > 0 || slices.ContainsFunc(city, isChat) {
			return "", false
		}
		return title(city) + ", " + c.name, true
	}
	return "", false
}

func isChat(w word) bool { return chatWords[w.key] }

// title title-cases words as typed, keeping accents, Spanish and
// Portuguese articles in lower case, short acronyms ("FL", "UK") when the
// rest is not shouted, and commas between words.
func title(ws []word) string {
	shouted := true
	for _, w := range ws {
		if strings.ToUpper(w.orig) != w.orig || strings.ToLower(w.orig) == w.orig {
			shouted = false
		}
	}
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			if w.comma {
				b.WriteByte(',')
			}
			b.WriteByte(' ')
		}
		lower := strings.ToLower(w.orig)
		switch {
		case i > 0 && smallWords[w.key]:
			b.WriteString(lower)
		case !shouted && utf8.RuneCountInString(w.orig) <= 3 && strings.ToUpper(w.orig) == w.orig && strings.ToLower(w.orig) != w.orig:
			b.WriteString(w.orig)
		default:
			b.WriteString(capitalize(lower))
		}
	}
	return b.String()
}
