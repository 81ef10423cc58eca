package dashboard

import "testing"

func TestJobLabel(t *testing.T) {
	tests := []struct{ lang, name, want string }{
		{"es", "model-report:3", "Informe del modelo de leads n.º 3"},
		{"en", "model-report:3", "Report of lead model no. 3"},
		{"es", "sweeper", "Cierre de conversaciones inactivas"},
		{"en", "nightly-thing:7", "Background job no. 7"},
		{"es", "nightly-thing", "Tarea en segundo plano"},
	}
	for _, tt := range tests {
		if got := jobLabel(tt.lang, tt.name); got != tt.want {
			t.Errorf("jobLabel(%q, %q) = %q; want %q", tt.lang, tt.name, got, tt.want)
		}
	}
}
