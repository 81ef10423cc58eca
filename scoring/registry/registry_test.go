package registry

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// fakeStore holds one model bundle and records what was changed.
type fakeStore struct {
	kind      string
	body      []byte
	activated []int64
	imported  int
	audits    []store.AuditEntry
}

func (f *fakeStore) ModelBundle(context.Context, int64) ([]byte, error) { return f.body, nil }
func (f *fakeStore) ModelKind(context.Context, int64) (string, error)   { return f.kind, nil }
func (f *fakeStore) ActivateModel(_ context.Context, id int64) error {
	f.activated = append(f.activated, id)
	return nil
}

func (f *fakeStore) ImportModel(context.Context, string, []byte, string) (int64, bool, error) {
	f.imported++
	return 7, false, nil
}

func (f *fakeStore) Audit(_ context.Context, e store.AuditEntry) error {
	f.audits = append(f.audits, e)
	return nil
}

// TestBadBundlesAreRefused: a bundle that does not decode is never made
// active, and a model file that fails its checks is never stored; neither
// is audited as done.
func TestBadBundlesAreRefused(t *testing.T) {
	ctx := context.Background()
	st := &fakeStore{kind: "lead", body: []byte("not a bundle")}
	err := Activate(ctx, st, 3, "test")
	if err == nil || !strings.Contains(err.Error(), "refused, the current model stays") {
		t.Errorf("Activate of a damaged bundle: %v", err)
	}
	if len(st.activated) != 0 || len(st.audits) != 0 {
		t.Errorf("damaged bundle activated %v, audited %v", st.activated, st.audits)
	}

	var file bytes.Buffer
	if err := scoring.WriteModelFile(&file, "lead", []byte("not a bundle")); err != nil {
		t.Fatal(err)
	}
	damaged := bytes.Replace(file.Bytes(), []byte("not a bundle"), []byte("not a bundlf"), 1)
	for name, r := range map[string][]byte{"empty": nil, "unloadable": file.Bytes(), "checksum": damaged} {
		t.Run(name, func(t *testing.T) {
			_, err := Import(ctx, st, bytes.NewReader(r), name, "test")
			if err == nil || !strings.Contains(err.Error(), "refused") {
				t.Errorf("Import: %v, want a refusal", err)
			}
			if st.imported != 0 || len(st.audits) != 0 {
				t.Errorf("refused file stored %d times, audited %v", st.imported, st.audits)
			}
		})
	}
}

// TestExportWritesAModelFile: what Export writes reads back as the stored
// kind and bytes.
func TestExportWritesAModelFile(t *testing.T) {
	st := &fakeStore{kind: "churn", body: []byte("bundle bytes")}
	var out bytes.Buffer
	if err := Export(context.Background(), st, 1, &out); err != nil {
		t.Fatal(err)
	}
	mf, err := scoring.ReadModelFile(&out)
	if err != nil {
		t.Fatal(err)
	}
	if mf.Kind != "churn" || !bytes.Equal(mf.Body, st.body) {
		t.Errorf("read back kind %q body %q", mf.Kind, mf.Body)
	}
}
