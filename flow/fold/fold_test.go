package fold

import "testing"

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		max  int
		want int
	}{
		{"medelin", "medellin", 2, 1},
		{"pereria", "pereira", 2, 1}, // one swap
		{"bogta", "bogota", 1, 1},
		{"cali", "cali", 0, 0},
		{"abc", "xyz", 2, 3}, // max+1 when too far
		{"abcdefgh", "a", 2, 3},
		{"", "", 2, 0},
	}
	for _, tt := range tests {
		if got := EditDistance([]rune(tt.a), []rune(tt.b), tt.max); got != tt.want {
			t.Errorf("EditDistance(%q, %q, %d) = %d; want %d", tt.a, tt.b, tt.max, got, tt.want)
		}
	}
}
