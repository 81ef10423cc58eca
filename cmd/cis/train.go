package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/learn"
	"github.com/cis-agencia/cis/scoring/training"
)

// trainCmd compares the models. With --csv it works on any CSV file;
// without it, on the store's labelled leads (see trainStore).
func trainCmd(ctx context.Context, e env, args []string) error {
	what := ""
	if len(args) > 0 && (args[0] == "churn" || args[0] == "value") {
		what, args = args[0], args[1:]
	}
	fs, c := newFlagSet("train", e.getenv)
	csvPath := fs.String("csv", "", "train and evaluate on this CSV file (comma or semicolon; .gz accepted) instead of the store")
	target := fs.String("target", "", "with --csv: the 0/1 or yes/no column to predict")
	drop := fs.String("drop", "", "with --csv: comma-separated columns to leave out")
	missing := fs.String("missing", "", "with --csv: comma-separated cell values that mean missing (the empty cell always does)")
	timeCol := fs.String("time-column", "", "column that orders rows in time for the hold-out (default: file order)")
	folds := fs.Int("folds", 5, "stratified cross-validation folds")
	trees := fs.Int("trees", 300, "trees per forest")
	seed := fs.Uint64("seed", 0, "seed for folds and everything else the project draws")
	asJSON := fs.Bool("json", false, "print the comparison as JSON")
	foldsOut := fs.String("folds-out", "", "with --csv: also write each data row's cross-validation fold to this CSV (row,fold; row 0 is the line after the header), to score another tool on the same folds")
	only := fs.String("models", "", "with --csv: comma-separated subset of forest, extra_trees, decision_tree, gradient_boosting, logistic (default all)")
	hotShare := fs.Float64("hot-share", 0.2, "at most this share of leads is hot (tiers from out-of-fold predictions)")
	warmShare := fs.Float64("warm-share", 0.3, "at most this share of leads is warm")
	trial := fs.Bool("trial-fields", false, "measure each candidate conversation feature on the time-ordered hold-out of the store's leads; trains nothing")
	fs.SetOutput(e.stderr)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if *trial {
		return trialFields(ctx, e, c, *trees)
	}
	o := scoring.TrainOptions{Trees: *trees, Folds: *folds, Seed: *seed, Tiers: learn.TierPolicy{HotShare: *hotShare, WarmShare: *warmShare}}
	switch {
	case what == "churn":
		return trainChurnStore(ctx, e, c, o, *asJSON)
	case what == "value":
		return checkLeadValue(ctx, e, c, o, *asJSON)
	}
	if *csvPath == "" {
		return trainStore(ctx, e, c, o, *asJSON)
	}
	if *target == "" {
		return errors.New("train: --csv needs --target")
	}
	lo := learn.Options{Folds: *folds, Seed: *seed, Progress: progressBar(e.stderr, "train")}
	rep, d, err := training.CompareCSV(training.CSVOptions{Path: *csvPath, Target: *target, Drop: *drop, Missing: *missing, TimeColumn: *timeCol},
		*only, *trees, lo, *foldsOut)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if *asJSON {
		return rep.WriteJSON(e.stdout, d)
	}
	return rep.WriteText(e.stdout, d)
}

// splitList splits a comma-separated flag value (training.SplitList).
func splitList(s string) []string { return training.SplitList(s) }
