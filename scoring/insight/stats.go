package insight

import "math"

// TwoProportionZ is the z statistic of the difference between k1/n1 and
// k2/n2 under the pooled null hypothesis; 0 when undefined.
func TwoProportionZ(k1, n1, k2, n2 int) float64 {
	if n1 == 0 || n2 == 0 {
		return 0
	}
	p1, p2 := float64(k1)/float64(n1), float64(k2)/float64(n2)
	p := float64(k1+k2) / float64(n1+n2)
	se := math.Sqrt(p * (1 - p) * (1/float64(n1) + 1/float64(n2)))
	if se == 0 {
		return 0
	}
	return (p1 - p2) / se
}

// PSI is the population stability index of the distribution actual
// against expected over the same categories (counts by category). Empty
// categories get half a count, so a new or vanished value weighs without
// dividing by zero. Rule of thumb: < 0.1 stable, 0.1–0.25 moderate, > 0.25 shifted.
func PSI(expected, actual map[string]int) float64 {
	var te, ta float64
	keys := map[string]bool{}
	for k, v := range expected {
		te += float64(v)
		keys[k] = true
	}
	for k, v := range actual {
		ta += float64(v)
		keys[k] = true
	}
	if te == 0 || ta == 0 {
		return 0
	}
	var psi float64
	for k := range keys {
		e := math.Max(float64(expected[k]), 0.5) / te
		a := math.Max(float64(actual[k]), 0.5) / ta
		psi += (a - e) * math.Log(a/e)
	}
	return psi
}
