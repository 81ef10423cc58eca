package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// loadModel decodes model id of the store at db as the server would.
func loadModel(t *testing.T, db string, id int64) (*scoring.Model, []store.HistoryLead) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	body, err := st.ModelBundle(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := scoring.DecodeBundle(body)
	if err != nil {
		t.Fatal(err)
	}
	m, err := scoring.NewModel(id, b)
	if err != nil {
		t.Fatal(err)
	}
	leads, err := st.LabelledLeads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return m, leads
}

func TestModelsExportImportOnAFreshStore(t *testing.T) {
	dir := t.TempDir()
	src := map[string]string{"CIS_DB": filepath.Join(dir, "a.db"), "CIS_LOG_LEVEL": "warn",
		"CIS_DEMO_LEADS": "800", "CIS_DEMO_TREES": "15"}
	dst := map[string]string{"CIS_DB": filepath.Join(dir, "b.db"), "CIS_LOG_LEVEL": "warn"}
	if out, err := runCmd(t, src, "", "demo"); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	file, err := runCmd(t, src, "", "models", "export", "1")
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	if !strings.HasPrefix(file, scoring.ExportMagic+"\nformat 1\nkind lead\n") {
		t.Fatalf("export header: %.80q", file)
	}
	path := filepath.Join(dir, "model.cis")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, dst, "", "models", "import", path)
	if err != nil || !strings.Contains(out, "imported as model 1") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if out, _ := runCmd(t, dst, "", "models", "import", path); !strings.Contains(out, "nothing imported") {
		t.Errorf("a second import must add nothing: %s", out)
	}
	if out, err := runCmd(t, dst, "", "models", "activate", "1"); err != nil {
		t.Fatalf("activate the imported model: %v\n%s", err, out)
	}

	orig, leads := loadModel(t, src["CIS_DB"], 1)
	imp, _ := loadModel(t, dst["CIS_DB"], 1)
	for _, l := range leads {
		p1, c1 := orig.Probability(l.Lead)
		p2, c2 := imp.Probability(l.Lead)
		if p1 != p2 || c1 != c2 {
			t.Fatalf("imported model scores %v (%s), the original %v (%s)", p2, c2, p1, c1)
		}
	}

	// The report of the exported model, on the store it was trained on; the
	// fresh store has the model but no leads to report on, and says so.
	html := filepath.Join(dir, "report.html")
	if _, err := runCmd(t, src, "", "report", "--trees", "10", "--folds", "3", "--out", html); err != nil {
		t.Fatalf("report: %v", err)
	}
	page, _ := os.ReadFile(html)
	if !strings.Contains(string(page), `<section id="training">`) {
		t.Errorf("report file lacks its sections: %.200s", page)
	}
	if !strings.Contains(string(page), "Historial de demostración generado") {
		t.Error("the demo's import record is not in the report's data section")
	}
	if _, err := runCmd(t, dst, "", "report", "--trees", "10"); err == nil || !strings.Contains(err.Error(), "no labelled leads") {
		t.Errorf("report on a store without leads: %v", err)
	}

	// Damaged or foreign files are refused and store nothing.
	bad := map[string][]byte{
		"truncated.cis": []byte(file[:len(file)-50]),
		"foreign.cis":   []byte("PK\x03\x04 a zip file, not a model"),
	}
	for name, data := range bad {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := runCmd(t, dst, "", "models", "import", p); err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("import %s: err = %v; want refused", name, err)
		}
	}
	if out, _ := runCmd(t, dst, "", "models"); strings.Count(out, "\n") != 1 {
		t.Errorf("refused imports must store nothing:\n%s", out)
	}
	if _, err := runCmd(t, src, "", "models", "export", "7"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("export of an unknown model: %v", err)
	}
}
