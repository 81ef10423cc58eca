package flow

import "fmt"

// A region is how many Colombians answer "¿en qué ciudad estás?": "en el
// Eje Cafetero", "de la costa", "del Valle", "de los Llanos". No single
// municipality can be assumed, so the bot offers the region's main
// municipalities as a choice (a list where the channel has one), and the
// prospect may still type another.
type region struct {
	keys  []string          // folded ways to name it
	name  map[string]string // how a reply names it, per language, with its preposition ("del Eje Cafetero")
	dept  string            // the department, when the region is one: another municipality is looked up there first
	codes []string          // main municipalities, most populous first; at most 9 (the menu keeps a row for "other")
}

var regions = []region{
	{
		keys: []string{"eje cafetero", "el eje cafetero", "zona cafetera", "la zona cafetera", "region cafetera",
			"triangulo del cafe", "el eje", "eje"},
		name:  map[string]string{"es": "del Eje Cafetero", "en": "of the Coffee Region"},
		codes: []string{"66001", "17001", "63001", "66170", "66682", "63130", "17174", "17873", "63470"},
	},
	{
		keys: []string{"la costa", "costa", "costa atlantica", "la costa atlantica", "costa caribe",
			"la costa caribe", "costa norte", "la costa norte", "caribe", "el caribe", "region caribe",
			"caribe colombiano", "el caribe colombiano", "la region caribe"},
		name:  map[string]string{"es": "de la Costa Caribe", "en": "of the Caribbean coast"},
		codes: []string{"08001", "13001", "47001", "23001", "20001", "70001", "44001", "08758", "44430"},
	},
	{
		keys:  []string{"valle", "el valle", "valle del cauca", "el valle del cauca"},
		name:  map[string]string{"es": "del Valle del Cauca", "en": "of Valle del Cauca"},
		dept:  "76",
		codes: []string{"76001", "76520", "76109", "76834", "76147", "76111", "76364", "76892"},
	},
	{
		keys: []string{"llanos", "los llanos", "llanos orientales", "los llanos orientales", "el llano", "llano",
			"orinoquia", "la orinoquia"},
		name:  map[string]string{"es": "de los Llanos", "en": "of the Eastern Plains (Llanos)"},
		codes: []string{"50001", "85001", "81001", "50006", "50313", "50573", "85010", "50568"},
	},
	{
		keys:  []string{"la sabana", "sabana", "sabana de bogota", "la sabana de bogota", "sabana centro", "sabana occidente"},
		name:  map[string]string{"es": "de la Sabana de Bogotá", "en": "of the Bogotá savanna"},
		dept:  "25",
		codes: []string{"25175", "25899", "25126", "25754", "25473", "25286", "25430", "25269", "25214"},
	},
	{
		keys:  []string{"oriente antioqueno", "el oriente antioqueno", "oriente de antioquia", "el oriente", "oriente"},
		name:  map[string]string{"es": "del Oriente antioqueño", "en": "of eastern Antioquia"},
		dept:  "05",
		codes: []string{"05615", "05376", "05440", "05148", "05318", "05607", "05697"},
	},
	{
		keys:  []string{"valle de aburra", "el valle de aburra", "area metropolitana de medellin", "el area metropolitana de medellin"},
		name:  map[string]string{"es": "del Valle de Aburrá", "en": "of the Medellín metropolitan area"},
		dept:  "05",
		codes: []string{"05001", "05088", "05360", "05266", "05631", "05380"},
	},
}

// regionIndex maps each region key to its position in regions.
var regionIndex = func() map[string]int {
	idx := map[string]int{}
	for i, r := range regions {
		for _, k := range r.keys {
			idx[k] = i
		}
	}
	return idx
}()

// loadRegions resolves every region's municipalities. It fails when a
// region names a municipality the gazetteer lacks, so that a DANE
// renumbering cannot go unnoticed.
func (p *Places) loadRegions() error {
	byCode := make(map[string]City, len(p.munis))
	for _, m := range p.munis {
		byCode[m.city.Code] = m.city
	}
	p.regions = make([][]City, len(regions))
	for i, r := range regions {
		if len(r.codes) > 9 {
			return fmt.Errorf("places: region %q lists more than 9 municipalities", r.keys[0])
		}
		for _, code := range r.codes {
			c, ok := byCode[code]
			if !ok {
				return fmt.Errorf("places: region %q names unknown municipality %s", r.keys[0], code)
			}
			p.regions[i] = append(p.regions[i], c)
		}
	}
	return nil
}

// Region reads a whole answer that names a region ("en el eje cafetero",
// "soy de la costa") and returns the region's position, or -1.
func (p *Places) Region(text string) int {
	ws, ok := placeWords(text, placeMaxRunes)
	if !ok || len(ws) == 0 {
		return -1
	}
	for _, t := range placeTrims(ws) {
		if i, ok := regionIndex[placeJoin(t)]; ok {
			return i
		}
	}
	return -1
}
