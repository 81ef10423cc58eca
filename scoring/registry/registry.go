// Package registry moves trained model bundles in and out of the store
// safely: a bundle is checked as the server would load it before it is made
// active, checked against its checksum before it leaves as a model file,
// and checked (envelope, checksum, loadable by this build) before a model
// file is stored. Activation and import are audited.
package registry

import (
	"context"
	"fmt"
	"io"

	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// Store holds the model bundles and the audit log; *store.Store satisfies it.
type Store interface {
	ModelBundle(ctx context.Context, id int64) ([]byte, error)
	ModelKind(ctx context.Context, id int64) (string, error)
	ActivateModel(ctx context.Context, id int64) error
	ImportModel(ctx context.Context, kind string, body []byte, summary string) (id int64, existed bool, err error)
	Audit(ctx context.Context, e store.AuditEntry) error
}

// Check decodes and validates model id as the server would load it.
func Check(ctx context.Context, st Store, id int64) error {
	body, err := st.ModelBundle(ctx, id)
	if err != nil {
		return err
	}
	b, err := scoring.DecodeBundle(body)
	if err != nil {
		return err
	}
	_, err = scoring.NewModel(id, b)
	return err
}

// Activate makes model id active after checking it, so that a bad bundle
// never replaces a good one (RELIABILITY F15), and audits it as done by
// how (e.g. "cis models activate").
func Activate(ctx context.Context, st Store, id int64, how string) error {
	if err := Check(ctx, st, id); err != nil {
		return fmt.Errorf("models activate %d: refused, the current model stays: %w", id, err)
	}
	if err := st.ActivateModel(ctx, id); err != nil {
		return fmt.Errorf("models activate: %w", err)
	}
	if err := st.Audit(ctx, store.AuditEntry{Action: "model_activated", Object: fmt.Sprintf("model:%d", id), Detail: how}); err != nil {
		return fmt.Errorf("models activate %d: active, but the audit log failed: %w", id, err)
	}
	return nil
}

// Export writes model id as a model file (scoring.WriteModelFile). The
// stored bytes are checked against their SHA-256 first, so a damaged bundle
// is never passed on to another installation.
func Export(ctx context.Context, st Store, id int64, w io.Writer) error {
	kind, err := st.ModelKind(ctx, id)
	if err != nil {
		return fmt.Errorf("models export: %w", err)
	}
	body, err := st.ModelBundle(ctx, id)
	if err != nil {
		return fmt.Errorf("models export: %w", err)
	}
	return scoring.WriteModelFile(w, kind, body)
}

// Imported is the outcome of Import.
type Imported struct {
	ID      int64
	Existed bool   // the store already held this bundle: nothing was imported
	Summary string // the bundle's summary
}

// Import checks the model file read from r (named name in errors) and stores
// it inactive; activation stays a separate, audited step. how names the
// importer in the audit log.
func Import(ctx context.Context, st Store, r io.Reader, name, how string) (Imported, error) {
	mf, err := scoring.ReadModelFile(r)
	if err != nil {
		return Imported{}, fmt.Errorf("models import %s: refused: %w", name, err)
	}
	b, err := scoring.CheckImport(mf)
	if err != nil {
		return Imported{}, fmt.Errorf("models import %s: refused: %w", name, err)
	}
	im := Imported{Summary: b.Summary()}
	im.ID, im.Existed, err = st.ImportModel(ctx, mf.Kind, mf.Body, im.Summary)
	if err != nil || im.Existed {
		if err != nil {
			err = fmt.Errorf("models import %s: %w", name, err)
		}
		return im, err
	}
	if err := st.Audit(ctx, store.AuditEntry{Action: "model_imported", Object: fmt.Sprintf("model:%d", im.ID), Detail: how}); err != nil {
		return im, fmt.Errorf("models import: stored as model %d, but the audit log failed: %w", im.ID, err)
	}
	return im, nil
}
