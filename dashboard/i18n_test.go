package dashboard

import "testing"

// A job's label names its kind in the reader's language, and its number
// the way each language abbreviates it.
func TestJobLabel(t *testing.T) {
	want := map[[2]string]string{
		{"es", "model-report:3"}:  "Informe del modelo de leads n.º 3",
		{"en", "model-report:3"}:  "Report of lead model no. 3",
		{"es", "sweeper"}:         "Cierre de conversaciones inactivas",
		{"en", "nightly-thing:7"}: "Background job no. 7",
		{"es", "nightly-thing"}:   "Tarea en segundo plano",
	}
	for in, label := range want {
		if got := jobLabel(in[0], in[1]); got != label {
			t.Errorf("jobLabel(%q, %q) = %q; want %q", in[0], in[1], got, label)
		}
	}
}
