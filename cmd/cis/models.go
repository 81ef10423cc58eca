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
	"github.com/cis-agencia/cis/scoring/registry"
	"github.com/cis-agencia/cis/scoring/training"
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
	return training.FieldTrial(ctx, st, trees, progressBar(e.stderr, "trial"), e.stdout)
}

// train fits a model on the labelled leads, stores it as the active bundle,
// loads it into the running scorer and prints the comparison.
func (a *app) train(ctx context.Context, o scoring.TrainOptions, e env, asJSON bool) (int64, error) {
	o.Min = a.cfg.minHistory()
	if o.Progress == nil {
		o.Progress = progressBar(e.stderr, "train")
	}
	r, err := training.Leads(ctx, a.store, a.scorer, o)
	if err != nil {
		if r != nil {
			return r.ID, err
		}
		return 0, err
	}
	if e.stdout != nil {
		return r.ID, r.Write(e.stdout, asJSON)
	}
	return r.ID, nil
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
		if err := registry.Activate(ctx, st, id, "cis models activate"); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "model %d is active; a running server picks it up within --model-poll\n", id)
		return nil
	case len(rest) == 2 && rest[0] == "export":
		id, err := strconv.ParseInt(rest[1], 10, 64)
		if err != nil {
			return fmt.Errorf("models export: %q is not a model id", rest[1])
		}
		return registry.Export(ctx, st, id, e.stdout)
	case len(rest) == 2 && rest[0] == "import":
		return importModel(ctx, st, rest[1], e.stdout)
	}
	return errors.New("usage: cis models [activate ID | export ID > FILE | import FILE]")
}

// importModel stores the model file at path, inactive (registry.Import).
func importModel(ctx context.Context, st *store.Store, path string, w io.Writer) error {
	f, err := os.Open(path) // #nosec G304 -- the operator's own model file to import
	if err != nil {
		return fmt.Errorf("models import: %w", err)
	}
	defer f.Close()
	im, err := registry.Import(ctx, st, f, path, "cis models import")
	if err != nil {
		return err
	}
	if im.Existed {
		fmt.Fprintf(w, "model %d already holds this bundle; nothing imported\n", im.ID)
		return nil
	}
	fmt.Fprintf(w, "imported as model %d (%s); make it active with: cis models activate %d\n", im.ID, im.Summary, im.ID)
	return nil
}
