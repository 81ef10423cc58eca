package importer

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/place"
)

// FuzzReadLeads feeds the history importer arbitrary files (plain or
// gzipped CSV). Seeds: testdata/import/messy_leads.csv, its gzip, a few
// headers, plus scoring/importer/testdata/fuzz/FuzzReadLeads. A file is refused with
// an error or read into good rows and bad rows; good rows carry what the
// store needs, and reading the same bytes twice gives the same keys, so a
// re-import never doubles a lead.
func FuzzReadLeads(f *testing.F) {
	places, err := place.Load()
	if err != nil {
		f.Fatal(err)
	}
	opt := ImportOptions{Places: places, Catalogue: flow.DefaultCatalogue(), USDToCOP: 4000}
	messy, err := os.ReadFile(filepath.Join("..", "..", "testdata", "import", "messy_leads.csv"))
	if err != nil {
		f.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(messy); err != nil {
		f.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		f.Fatal(err)
	}
	f.Add(messy)
	f.Add(gz.Bytes())
	f.Add([]byte("date,converted\n2025-01-02,yes\n2025-01-02,yes\n"))
	f.Add([]byte("fecha;estado;ciudad;presupuesto;ingresos\n02/01/2025;ganado;Cali;3 millones;$ 1.000.000\n"))
	f.Fuzz(func(t *testing.T, file []byte) {
		res, err := ReadLeads(bytes.NewReader(file), opt)
		if err != nil {
			if res != nil {
				t.Fatal("a refused file still gave a result")
			}
			return
		}
		if res.Mapping["created_at"] == "" || res.Mapping["converted"] == "" {
			t.Fatalf("read without the required columns: %v", res.Mapping)
		}
		keys := map[string]bool{}
		last := 0
		for _, r := range res.Rows {
			switch {
			case len(r.Key) != 64 || keys[r.Key]:
				t.Fatalf("line %d: key %q is not a fresh SHA-256", r.Line, r.Key)
			case r.Line < 2 || r.Line <= last:
				t.Fatalf("line %d after line %d: header is line 1 and rows come in order", r.Line, last)
			case r.CreatedAt.IsZero() || r.Lead.Channel != "import":
				t.Fatalf("line %d: row without date or channel: %+v", r.Line, r)
			case r.RevenueCOP != nil && *r.RevenueCOP < 0:
				t.Fatalf("line %d: negative revenue %d", r.Line, *r.RevenueCOP)
			}
			keys[r.Key] = true
			last = r.Line
		}
		for _, b := range res.Bad {
			if b.Line < 1 || b.Reason == "" {
				t.Fatalf("bad row without line or reason: %+v", b)
			}
		}
		again, err := ReadLeads(bytes.NewReader(file), opt)
		if err != nil || len(again.Rows) != len(res.Rows) || len(again.Bad) != len(res.Bad) {
			t.Fatalf("second read differs: err %v, %d/%d rows", err, len(again.Rows), len(res.Rows))
		}
		for i, r := range again.Rows {
			if r.Key != res.Rows[i].Key {
				t.Fatalf("line %d: key changed between two reads", r.Line)
			}
		}
	})
}
