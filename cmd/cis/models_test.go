package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cis-agencia/cis/store"
)

func TestImportLeadsAllOrNothingThenSkipBad(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "import", "messy_leads.csv"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "leads.csv")
	if err := os.WriteFile(file, src, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CIS_DB": filepath.Join(dir, "cis.db"), "CIS_LOG_LEVEL": "warn"}
	steps := []struct {
		name    string
		args    []string
		wantErr string
		wantOut string
	}{
		{"bad rows stop the import", []string{"import", "leads", file}, "line 7: city", ""},
		{"skip-bad imports the good rows", []string{"import", "leads", file, "--skip-bad"}, "", "imported 6 new leads (0 already present)"},
		{"re-import adds nothing", []string{"import", "leads", file, "--skip-bad"}, "", "imported 0 new leads (6 already present)"},
		{"too little history to train", []string{"train"}, "not enough labelled history", ""},
		{"no models yet", []string{"models"}, "", "no trained models"},
		{"activate an unknown model", []string{"models", "activate", "3"}, "not found", ""},
	}
	for _, st := range steps {
		out, err := runCmd(t, env, "", st.args...)
		if st.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), st.wantErr) {
				t.Errorf("%s: err = %v; want it to mention %q", st.name, err, st.wantErr)
			}
			continue
		}
		if err != nil || !strings.Contains(out, st.wantOut) {
			t.Errorf("%s: out = %q, err = %v; want %q", st.name, out, err, st.wantOut)
		}
	}
	rejPath := filepath.Join(dir, "leads.rejects.csv")
	rej, err := os.ReadFile(rejPath)
	if err != nil {
		t.Fatal(err)
	}
	// The rejected rows hold names and phones: the file is the owner's only.
	if fi, err := os.Stat(rejPath); err != nil {
		t.Error(err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Errorf("reject file mode = %v; want -rw-------", fi.Mode().Perm())
	}
	if lines := strings.Count(string(rej), "\n"); lines != 6 {
		t.Errorf("reject file has %d lines; want a header and 5 bad rows:\n%s", lines, rej)
	}
}

func TestImportCampaignsAllOrNothingThenSkipBad(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "import", "messy_campaigns.csv"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "campaigns.csv")
	if err := os.WriteFile(file, src, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CIS_DB": filepath.Join(dir, "cis.db"), "CIS_LOG_LEVEL": "warn"}
	steps := []struct {
		name, wantErr, wantOut string
		args                   []string
	}{
		{"bad rows stop the import", "line 6: amount", "", []string{"import", "campaigns", file}},
		{"skip-bad imports the good rows", "", "imported 3 new campaigns, 3 new spend entries, 0 changed (4 rows)", []string{"import", "campaigns", file, "--skip-bad"}},
		{"re-import adds nothing", "", "imported 0 new campaigns, 0 new spend entries, 0 changed (4 rows)", []string{"import", "campaigns", file, "--skip-bad"}},
	}
	for _, st := range steps {
		out, err := runCmd(t, env, "", st.args...)
		if st.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), st.wantErr) || !strings.Contains(err.Error(), "line 7: period") || !strings.Contains(err.Error(), "line 8: a spend needs") {
				t.Errorf("%s: err = %v; want lines 6, 7 and 8 named", st.name, err)
			}
			continue
		}
		if err != nil || !strings.Contains(out, st.wantOut) {
			t.Errorf("%s: out = %q, err = %v; want %q", st.name, out, err, st.wantOut)
		}
	}
	rej, err := os.ReadFile(filepath.Join(dir, "campaigns.rejects.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(rej), "\n"); lines != 4 {
		t.Errorf("reject file has %d lines; want a header and 3 bad rows:\n%s", lines, rej)
	}
}

func TestDemoTrainsAModelAndModelsListsIt(t *testing.T) {
	env := map[string]string{"CIS_DB": filepath.Join(t.TempDir(), "cis.db"), "CIS_LOG_LEVEL": "warn",
		"CIS_DEMO_LEADS": "1500", "CIS_DEMO_TREES": "20"}
	out, err := runCmd(t, env, "", "demo")
	if err != nil || !strings.Contains(out, "scorer: model forest:1") {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	out, err = runCmd(t, env, "", "models")
	if err != nil || !strings.HasPrefix(out, "*   1") || !strings.Contains(out, "leads") {
		t.Errorf("models: %v\n%s", err, out)
	}
	out, err = runCmd(t, env, "", "models", "activate", "1")
	if err != nil || !strings.Contains(out, "model 1 is active") {
		t.Errorf("models activate 1: %v\n%s", err, out)
	}

	// A bundle that cannot serve is refused and the active model stays (F15);
	// the good activation is in the audit log.
	c := mustConfig(t, env)
	st, err := store.Open(context.Background(), c.DBPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := st.SaveModel(context.Background(), []byte("not a bundle"), "broken", false)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := st.RecentAudit(context.Background(), 10)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) == 0 || audit[0].Action != "model_activated" || audit[0].Object != "model:1" {
		t.Errorf("audit log = %+v; want the activation of model 1", audit)
	}
	if _, err := runCmd(t, env, "", "models", "activate", strconv.FormatInt(bad, 10)); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("activating a broken bundle: %v; want it refused", err)
	}
	if out, _ := runCmd(t, env, "", "models"); !strings.HasPrefix(out, "*   1") {
		t.Errorf("after the refusal model 1 must stay active:\n%s", out)
	}
}
