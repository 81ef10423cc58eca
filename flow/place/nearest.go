package place

import (
	"cmp"
	"math"
	"slices"
)

// Nearest maps a shared WhatsApp location to the municipality whose DANE
// centroid is closest (great-circle distance). Without municipal borders,
// ok says whether the point is plausibly in Colombia: it must lie within
// some municipality's radius of its centroid, the radius being the
// distance from that centroid to the nearest other one, kept between 60
// km (dense Andean municipalities) and 150 km (the vast Amazon and
// Orinoquía ones, whose neighbours are 100-260 km away). A point just
// across a border city (San Antonio del Táchira, Tabatinga, Tulcán) maps to
// its Colombian neighbour, which is what a prospect there means; Madrid,
// Quito or Panamá are not ok. Invalid coordinates are not ok.
func (p *Places) Nearest(lat, lon float64) (City, bool) {
	if !validPoint(lat, lon) {
		return City{}, false
	}
	best, bestKm, inside := -1, math.Inf(1), false
	for i := range p.munis {
		m := &p.munis[i]
		d := haversineKm(lat, lon, m.lat, m.lon)
		if d < bestKm {
			best, bestKm = i, d
		}
		if d <= m.radiusKm {
			inside = true
		}
	}
	if !inside || best < 0 {
		return City{}, false
	}
	return p.munis[best].city, true
}

func validPoint(lat, lon float64) bool {
	return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 // false for NaN too
}

const earthRadiusKm = 6371.0088 // mean radius (IUGG)

func haversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Sqrt(min(h, 1)))
}

// computeRadii sets each municipality's radius for Nearest from its
// nearest neighbour, scanning in latitude order so that load stays well
// under quadratic: a degree of latitude is at least 110 km on any meridian.
func (p *Places) computeRadii() {
	order := make([]int, len(p.munis))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(p.munis[a].lat, p.munis[b].lat) })
	const kmPerDegree = 110.5
	for k, i := range order {
		m := &p.munis[i]
		best := math.Inf(1)
		for _, step := range []int{1, -1} {
			for l := k + step; l >= 0 && l < len(order); l += step {
				o := &p.munis[order[l]]
				if math.Abs(o.lat-m.lat)*kmPerDegree > best {
					break
				}
				best = min(best, haversineKm(m.lat, m.lon, o.lat, o.lon))
			}
		}
		m.radiusKm = min(max(best, 60), 150)
	}
}
