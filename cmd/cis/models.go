package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// trainStore trains on the store's labelled leads, saves the bundle and
// makes it active.
func trainStore(ctx context.Context, e env, c *Config, o scoring.TrainOptions, asJSON bool) error {
	log := newLogger(c, e.stderr)
	a, err := open(ctx, c, log, time.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	id, err := a.train(ctx, o, e, asJSON)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "cis: model %d saved and active (%s)\n", id, a.scorer.Status())
	return nil
}

// trialFields prints scoring.FieldTrial on the store's labelled leads.
func trialFields(ctx context.Context, e env, c *Config, trees int) error {
	st, err := store.Open(ctx, c.DBPath, c.storeOptions(newLogger(c, e.stderr)))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	rows, err := st.LabelledLeads(ctx)
	if err != nil {
		return err
	}
	ex := make([]scoring.Example, len(rows))
	for i, r := range rows {
		ex[i] = scoring.Example{Lead: r.Lead, Converted: r.Converted}
	}
	rs, err := scoring.FieldTrial(ex, trees, progressBar(e.stderr, "trial"))
	if err != nil {
		return err
	}
	return scoring.WriteFieldTrial(e.stdout, rs)
}

// train fits a model on the labelled leads, stores it as the active bundle
// and loads it into the running scorer.
func (a *app) train(ctx context.Context, o scoring.TrainOptions, e env, asJSON bool) (int64, error) {
	rows, err := a.store.LabelledLeads(ctx)
	if err != nil {
		return 0, err
	}
	ex := make([]scoring.Example, len(rows))
	for i, r := range rows {
		ex[i] = scoring.Example{Lead: r.Lead, Converted: r.Converted}
	}
	o.Min = a.cfg.minHistory()
	if o.Progress == nil {
		o.Progress = progressBar(e.stderr, "train")
	}
	b, rep, err := scoring.Train(ex, o)
	if err != nil {
		return 0, fmt.Errorf("train: %w", err)
	}
	body, err := b.Encode()
	if err != nil {
		return 0, err
	}
	id, err := a.store.SaveModel(ctx, body, b.Summary(), true)
	if err != nil {
		return 0, err
	}
	if err := a.scorer.Load(ctx); err != nil {
		return id, fmt.Errorf("model %d saved but not loaded: %w", id, err)
	}
	d := scoring.TrainingDataset(ex)
	if e.stdout != nil {
		if asJSON {
			err = rep.WriteJSON(e.stdout, d)
		} else if err = rep.WriteText(e.stdout, d); err == nil {
			_, err = fmt.Fprintf(e.stdout, "\nProduction model (all %d leads): %s\n", len(ex), b.Setting())
		}
	}
	return id, err
}

func modelsCmd(ctx context.Context, e env, args []string) error {
	fs, c := newFlagSet("models", e.getenv)
	fs.SetOutput(e.stderr)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	// Importing a model is the first step on another installation: like the
	// data imports, it may create the store.
	c.creates = len(rest) > 0 && rest[0] == "import"
	st, err := store.Open(ctx, c.DBPath, c.storeOptions(newLogger(c, e.stderr)))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	switch {
	case len(rest) == 0:
		list, err := st.Models(ctx)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintln(e.stdout, "no trained models; leads are scored by the rules (run cis train or cis demo)")
			return nil
		}
		for _, m := range list {
			mark := " "
			if m.Active {
				mark = "*"
			}
			fmt.Fprintf(e.stdout, "%s %3d  %s  %7d B  sha256 %.12s  %s\n", mark, m.ID, m.CreatedAt.Format(time.RFC3339), m.Size, m.SHA256, m.Summary)
		}
		return nil
	case len(rest) == 2 && rest[0] == "activate":
		id, err := strconv.ParseInt(rest[1], 10, 64)
		if err != nil {
			return fmt.Errorf("models activate: %q is not a model id", rest[1])
		}
		// Check the bundle before making it active, so a bad one never
		// replaces a good one (RELIABILITY F15).
		if err := checkBundle(ctx, st, id); err != nil {
			return fmt.Errorf("models activate %d: refused, the current model stays: %w", id, err)
		}
		if err := st.ActivateModel(ctx, id); err != nil {
			return fmt.Errorf("models activate: %w", err)
		}
		if err := st.Audit(ctx, store.AuditEntry{Action: "model_activated", Object: fmt.Sprintf("model:%d", id), Detail: "cis models activate"}); err != nil {
			return fmt.Errorf("models activate %d: active, but the audit log failed: %w", id, err)
		}
		fmt.Fprintf(e.stdout, "model %d is active; a running server picks it up within --model-poll\n", id)
		return nil
	case len(rest) == 2 && rest[0] == "export":
		id, err := strconv.ParseInt(rest[1], 10, 64)
		if err != nil {
			return fmt.Errorf("models export: %q is not a model id", rest[1])
		}
		return exportModel(ctx, st, id, e.stdout)
	case len(rest) == 2 && rest[0] == "import":
		return importModel(ctx, st, rest[1], e.stdout)
	}
	return errors.New("usage: cis models [activate ID | export ID > FILE | import FILE]")
}

// exportModel writes model id as a model file (scoring.WriteModelFile).
// The stored bytes are checked against their SHA-256 first, so a damaged
// bundle is never passed on to another installation.
func exportModel(ctx context.Context, st *store.Store, id int64, w io.Writer) error {
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

// importModel checks a model file (envelope, checksum, and that this build
// can load the bundle) and stores it inactive; activation stays a separate,
// audited step.
func importModel(ctx context.Context, st *store.Store, path string, w io.Writer) error {
	f, err := os.Open(path) // #nosec G304 -- the operator's own model file to import
	if err != nil {
		return fmt.Errorf("models import: %w", err)
	}
	defer f.Close()
	mf, err := scoring.ReadModelFile(f)
	if err != nil {
		return fmt.Errorf("models import %s: refused: %w", path, err)
	}
	b, err := scoring.CheckImport(mf)
	if err != nil {
		return fmt.Errorf("models import %s: refused: %w", path, err)
	}
	id, existed, err := st.ImportModel(ctx, mf.Kind, mf.Body, b.Summary())
	if err != nil {
		return fmt.Errorf("models import %s: %w", path, err)
	}
	if existed {
		fmt.Fprintf(w, "model %d already holds this bundle; nothing imported\n", id)
		return nil
	}
	if err := st.Audit(ctx, store.AuditEntry{Action: "model_imported", Object: fmt.Sprintf("model:%d", id), Detail: "cis models import"}); err != nil {
		return fmt.Errorf("models import: stored as model %d, but the audit log failed: %w", id, err)
	}
	fmt.Fprintf(w, "imported as model %d (%s); make it active with: cis models activate %d\n", id, b.Summary(), id)
	return nil
}

// checkBundle decodes and validates model id as the server would load it.
func checkBundle(ctx context.Context, st *store.Store, id int64) error {
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
