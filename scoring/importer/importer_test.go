package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/place"
)

func TestReadLeadsMessyFile(t *testing.T) {
	res := readMessy(t)
	wantMap := map[string]string{"created_at": "Fecha de creación", "city": "Ciudad", "budget": "Presupuesto", "urgency": "Urgencia",
		"service": "Servicio", "source": "Campaña", "converted": "Convertido", "revenue": "Ingresos"}
	for f, h := range wantMap {
		if res.Mapping[f] != h {
			t.Errorf("mapping %s = %q; want %q", f, res.Mapping[f], h)
		}
	}
	wantBad := map[int]string{6: "created_at", 7: "city", 8: "budget", 9: "converted", 10: "fields"}
	if len(res.Bad) != len(wantBad) {
		t.Errorf("%d bad rows %+v; want %d", len(res.Bad), res.Bad, len(wantBad))
	}
	for _, b := range res.Bad {
		if w, ok := wantBad[b.Line]; !ok || !strings.Contains(b.Reason, w) {
			t.Errorf("bad line %d: %q; want a reason about %q", b.Line, b.Reason, wantBad[b.Line])
		}
	}
	if len(res.Rows) != 6 {
		t.Fatalf("%d good rows; want 6", len(res.Rows))
	}
	first := res.Rows[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"city nickname", first.Lead.City.Name, "Medellín"},
		{"budget", first.Lead.Budget.MinCOP, int64(2_000_000)},
		{"urgency", first.Lead.Urgency, flow.Immediate},
		{"service synonym", first.Lead.Service, "ads"},
		{"source", first.Lead.Source, "facebook ads"},
		{"converted", first.Converted, true},
		{"revenue", *first.RevenueCOP, int64(6_000_000)},
		{"extra column kept", first.Extra["Sector"], "salud"},
		{"dd/mm/yyyy date", res.Rows[1].CreatedAt.Format("2006-01-02"), "2025-03-03"},
		{"range", res.Rows[1].Lead.Budget.MaxCOP, int64(2_000_000)},
		{"unknown budget", res.Rows[3].Lead.Budget.Unknown, true},
		{"missing urgency", res.Rows[3].Lead.Urgency, flow.Urgency("")},
		{"USD budget", res.Rows[5].Lead.Budget.MinCOP, int64(2_000_000)},
		{"duplicate row gets its own key", res.Rows[4].Key != first.Key, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v; want %v", c.name, c.got, c.want)
		}
	}
}

func TestReadLeadsNeedsRequiredColumns(t *testing.T) {
	tests := []struct {
		name, csv string
		mapping   map[string]string
		wantErr   string
	}{
		{"no outcome column", "fecha,ciudad\n2025-01-01,Cali\n", nil, "converted"},
		{"explicit mapping", "when,won?\n2025-01-01,yes\n", map[string]string{"created_at": "when", "converted": "won?"}, ""},
		{"mapping to a missing header", "fecha,convertido\n2025-01-01,sí\n", map[string]string{"city": "town"}, "no such column"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ReadLeads(strings.NewReader(tt.csv), ImportOptions{Map: tt.mapping})
			if tt.wantErr == "" {
				if err != nil || len(res.Rows) != 1 {
					t.Errorf("ReadLeads = %v, %v; want one row", res, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ReadLeads error = %v; want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestImportStatsRecordWhatTheFileTaught(t *testing.T) {
	res := readMessy(t)
	s := res.Stats
	if s.Read != 11 || s.Good != 6 || s.Good+sum(s.Rejected) != s.Read {
		t.Errorf("read %d, good %d, rejected %v; want 11 rows, 6 good, the rest rejected", s.Read, s.Good, s.Rejected)
	}
	wantRejected := map[string]int{"created_at": 1, "city": 1, "budget": 1, "converted": 1, "format": 1}
	for k, v := range wantRejected {
		if s.Rejected[k] != v {
			t.Errorf("rejected[%s] = %d; want %d (all: %v)", k, s.Rejected[k], v, s.Rejected)
		}
	}
	if s.Cities["medallo → Medellín (05001)"] != 2 || s.Cities["la arenosa → Barranquilla (08001)"] != 1 {
		t.Errorf("city spellings = %v; want medallo ×2 and la arenosa mapped", s.Cities)
	}
	if _, ok := s.Cities["envigado → Envigado (05266)"]; ok {
		t.Errorf("a city written as its official name is not a normalisation: %v", s.Cities)
	}
	if s.Budgets["range"] != 1 || s.Budgets["usd"] != 1 || s.Budgets["unknown"] != 1 || s.Budgets["text"] < 2 {
		t.Errorf("budget forms = %v", s.Budgets)
	}
	if s.Missing["urgency"] != 1 || s.Missing["city"] != 1 {
		t.Errorf("missing = %v; want the row without city and urgency counted", s.Missing)
	}
}

func readMessy(t *testing.T) *ImportResult {
	t.Helper()
	places, err := place.Load()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join("..", "..", "testdata", "import", "messy_leads.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := ReadLeads(f, ImportOptions{Places: places, Catalogue: flow.DefaultCatalogue(), USDToCOP: 4000})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
