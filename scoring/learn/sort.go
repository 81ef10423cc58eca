package learn

import "sort"

func sortStrings(s []string) { sort.Strings(s) }
func sortFloats(s []float64) { sort.Float64s(s) }

func sortStable(idx []int, less func(a, b int) bool) {
	sort.SliceStable(idx, func(i, j int) bool { return less(idx[i], idx[j]) })
}
