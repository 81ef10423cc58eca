package training

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cis-agencia/cis/scoring/learn"
)

// CSV is a CSV file prepared for training or a report.
type CSV struct {
	Table *learn.Table
	Data  *learn.Dataset
	Order []int  // rows oldest first (by the time column, else file order)
	Note  string // how Order was made
}

// CSVOptions say how to read a CSV for training (cis train --csv, cis
// report --csv): the column to predict, the columns to leave out and the
// cell values that mean missing (comma-separated), and the column that
// orders the rows in time.
type CSVOptions struct {
	Path, Target, Drop, Missing, TimeColumn string
}

// ReadCSV reads and prepares the CSV o names.
func ReadCSV(o CSVOptions) (*CSV, error) {
	if o.Target == "" {
		return nil, errors.New("--csv needs --target")
	}
	f, err := os.Open(o.Path) // #nosec G304 -- the operator's own --csv path
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := learn.ReadTable(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Path, err)
	}
	d, err := learn.Prepare(t, o.Target, SplitList(o.Drop), SplitList(o.Missing))
	if err != nil {
		return nil, err
	}
	order, note, err := learn.TimeOrder(t, o.TimeColumn)
	if err != nil {
		return nil, fmt.Errorf("--time-column: %w", err)
	}
	return &CSV{Table: t, Data: d, Order: order, Note: note}, nil
}

// CompareCSV compares the model families named in only (comma-separated;
// all when empty) on the CSV o names. With foldsOut it first writes each
// data row's cross-validation fold there (WriteFolds), so that another tool
// can be scored on the same folds.
func CompareCSV(o CSVOptions, only string, trees int, lo learn.Options, foldsOut string) (*learn.Report, *learn.Dataset, error) {
	cf, err := ReadCSV(o)
	if err != nil {
		return nil, nil, err
	}
	specs, err := PickModels(only, trees)
	if err != nil {
		return nil, nil, err
	}
	lo.Holdout, lo.HoldNote = cf.Order, cf.Note
	if foldsOut != "" {
		if err := WriteFolds(foldsOut, learn.CVFolds(cf.Data.Y, lo), len(cf.Data.Y)); err != nil {
			return nil, nil, fmt.Errorf("--folds-out: %w", err)
		}
	}
	rep, err := learn.Compare(cf.Data, specs, lo)
	return rep, cf.Data, err
}

// WriteFolds writes "row,fold" for each of n data rows: row counts from 0
// at the first line after the header, fold from 1.
func WriteFolds(path string, folds [][]int, n int) error {
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

// PickModels returns the model families named in only (comma-separated;
// all when empty), production forest first.
func PickModels(only string, trees int) ([]learn.Spec, error) {
	specs := learn.Models(trees)
	if only == "" {
		return specs, nil
	}
	want := map[string]bool{}
	for _, n := range SplitList(only) {
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

// SplitList splits a comma-separated flag value, dropping blanks around
// and between the items.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
