package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/learn"
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
	cf, err := readCSV(*csvPath, *target, *drop, *missing, *timeCol)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	d, order, note := cf.d, cf.order, cf.note
	specs, err := pickModels(*only, *trees)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	lo := learn.Options{Folds: *folds, Seed: *seed, Holdout: order, HoldNote: note, Progress: progressBar(e.stderr, "train")}
	if *foldsOut != "" {
		if err := writeFolds(*foldsOut, learn.CVFolds(d.Y, lo), len(d.Y)); err != nil {
			return fmt.Errorf("train: --folds-out: %w", err)
		}
	}
	rep, err := learn.Compare(d, specs, lo)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if *asJSON {
		return rep.WriteJSON(e.stdout, d)
	}
	return rep.WriteText(e.stdout, d)
}

// writeFolds writes "row,fold" for each of n data rows: row counts from 0
// at the first line after the header, fold from 1.
func writeFolds(path string, folds [][]int, n int) error {
	of := make([]int, n)
	for k, rows := range folds {
		for _, i := range rows {
			of[i] = k + 1
		}
	}
	var b bytes.Buffer
	b.WriteString("row,fold\n")
	for i, k := range of {
		fmt.Fprintf(&b, "%d,%d\n", i, k)
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

// csvFile is a CSV prepared for training or reporting.
type csvFile struct {
	t     *learn.Table
	d     *learn.Dataset
	order []int  // rows oldest first (by --time-column, else file order)
	note  string // how order was made
}

// readCSV reads and prepares a CSV the way cis train --csv and cis report
// --csv both do.
func readCSV(path, target, drop, missing, timeCol string) (*csvFile, error) {
	if target == "" {
		return nil, errors.New("--csv needs --target")
	}
	f, err := os.Open(path) // #nosec G304 -- the operator's own --csv path
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := learn.ReadTable(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d, err := learn.Prepare(t, target, splitList(drop), splitList(missing))
	if err != nil {
		return nil, err
	}
	order, note, err := learn.TimeOrder(t, timeCol)
	if err != nil {
		return nil, fmt.Errorf("--time-column: %w", err)
	}
	return &csvFile{t: t, d: d, order: order, note: note}, nil
}

// pickModels returns the model families named in only (comma-separated;
// all when empty), production forest first.
func pickModels(only string, trees int) ([]learn.Spec, error) {
	specs := learn.Models(trees)
	if only == "" {
		return specs, nil
	}
	want := map[string]bool{}
	for _, n := range splitList(only) {
		want[n] = true
	}
	var keep []learn.Spec
	for _, s := range specs {
		if want[s.Name] {
			keep = append(keep, s)
			delete(want, s.Name)
		}
	}
	if len(want) > 0 || len(keep) == 0 {
		return nil, fmt.Errorf("--models %q: unknown or no model names", only)
	}
	return keep, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
