package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cis-agencia/cis/dashboard/report"
	"github.com/cis-agencia/cis/scoring/importer"
	"github.com/cis-agencia/cis/scoring/modelreport"
	"github.com/cis-agencia/cis/scoring/training"
	"github.com/cis-agencia/cis/store"
)

// reportCmd writes the model report: of a stored model (the active one by
// default) from the store's labelled leads, or of any CSV with --csv.
func reportCmd(ctx context.Context, e env, args []string) error {
	fs, c := newFlagSet("report", e.getenv)
	modelID := fs.Int64("model", 0, "model id (default: the active model)")
	out := fs.String("out", "", "write the HTML here (default: standard output)")
	csvPath := fs.String("csv", "", "report on this CSV file instead of a stored model (as cis train --csv)")
	target := fs.String("target", "", "with --csv: the column to predict")
	drop := fs.String("drop", "", "with --csv: comma-separated columns to leave out")
	missing := fs.String("missing", "", "with --csv: comma-separated cell values that mean missing")
	timeCol := fs.String("time-column", "", "with --csv: column that orders rows in time (dates also give the monthly series)")
	only := fs.String("models", "", "with --csv: subset of the model families (must include forest)")
	folds := fs.Int("folds", 5, "stratified cross-validation folds")
	trees := fs.Int("trees", 100, "trees per forest refitted for the report")
	seed := fs.Uint64("seed", 0, "seed for folds and everything else the project draws")
	fs.SetOutput(e.stderr)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	o := modelreport.Options{Trees: *trees, Folds: *folds, Seed: *seed, Progress: progressBar(e.stderr, "report")}
	var r *modelreport.Report
	var err error
	if *csvPath != "" {
		r, err = csvReport(*csvPath, *target, *drop, *missing, *timeCol, *only, o)
	} else {
		r, err = storeReport(ctx, c, e, *modelID, o)
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if *out == "" {
		return report.Render(e.stdout, r, c.Lang)
	}
	f, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := report.Render(f, r, c.Lang); err != nil {
		_ = f.Close() // the render error is the one to report
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(e.stderr, "cis: report written to %s\n", *out)
	return nil
}

// storeReport computes (and saves, for the dashboard) a stored model's report.
func storeReport(ctx context.Context, c *Config, e env, id int64, o modelreport.Options) (*modelreport.Report, error) {
	st, err := store.Open(ctx, c.DBPath, c.storeOptions(newLogger(c, e.stderr)))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	if id == 0 {
		if id, _, err = st.ActiveBundle(ctx); err != nil {
			return nil, fmt.Errorf("no active model (train one, or give --model ID): %w", err)
		}
	}
	return report.Compute(ctx, st, id, o)
}

// csvReport reports on any CSV: the comparison of every family (or --models)
// and the same sections as a stored model's report.
func csvReport(path, target, drop, missing, timeCol, only string, o modelreport.Options) (*modelreport.Report, error) {
	cf, err := training.ReadCSV(training.CSVOptions{Path: path, Target: target, Drop: drop, Missing: missing, TimeColumn: timeCol})
	if err != nil {
		return nil, err
	}
	specs, err := training.PickModels(only, o.Trees)
	if err != nil {
		return nil, err
	}
	q := modelreport.DataQuality{Read: cf.Table.Rows(), Dropped: cf.Data.Dropped, DupNote: "kept", Notes: []string{"csv"}}
	seen := map[string]bool{}
	row := make([]string, len(cf.Table.Names))
	for i := range cf.Table.Rows() {
		for j := range row {
			row[j] = cf.Table.Cols[j][i]
		}
		k := strings.Join(row, "\x1f")
		if seen[k] {
			q.Duplicates++
		}
		seen[k] = true
	}
	var dates []time.Time
	if j := cf.Table.Col(timeCol); j >= 0 {
		dates = make([]time.Time, cf.Table.Rows())
		for i, v := range cf.Table.Cols[j] {
			at, ok := importer.ParseDate(v, nil)
			if !ok {
				if _, numErr := strconv.ParseFloat(v, 64); numErr == nil {
					dates = nil // a numeric order column, not dates: no monthly series
					break
				}
				continue // one unparseable date is left out of the monthly series
			}
			dates[i] = at
		}
	}
	return modelreport.ForTable(filepath.Base(path), cf.Data, specs, cf.Order, cf.Note, dates, q, o)
}
