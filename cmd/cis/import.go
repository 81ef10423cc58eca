package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cis-agencia/cis/dashboard"
	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/scoring/importer"
	"github.com/cis-agencia/cis/store"
)

// importCmd reads an agency file of one kind (scoring/importer holds the
// kinds and their contract) and commits its good rows to the store.
func importCmd(ctx context.Context, e env, args []string) error {
	var names []string
	for _, k := range importer.Kinds() {
		names = append(names, k.Name)
	}
	usage := fmt.Errorf("usage: cis import %s FILE.csv [--skip-bad] [--map field=Header,...]", strings.Join(names, "|"))
	if len(args) == 0 {
		return usage
	}
	kind, ok := importer.KindNamed(args[0])
	if !ok {
		return usage
	}
	what := "import " + args[0]
	fs, c := newFlagSet(what, e.getenv)
	skipBad := fs.Bool("skip-bad", false, "import the good rows and write the bad ones to FILE.rejects.csv")
	mapping := fs.String("map", "", "column mapping, e.g. created_at=Fecha (fields: "+strings.Join(kind.Fields, ", ")+")")
	fs.SetOutput(e.stderr)
	rest := args[1:]
	var path string
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		path, rest = rest[0], rest[1:]
	}
	if err := c.parse(fs, rest); err != nil {
		return err
	}
	if path == "" && fs.NArg() > 0 {
		path = fs.Arg(0)
	}
	if path == "" {
		return fmt.Errorf("%s: no file given", what)
	}
	o, err := importOptions(c, kind, *mapping)
	if err != nil {
		return err
	}
	file, err := readImport(kind, path, o)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	// The rejects go back to a person who opens them in a spreadsheet: the
	// dashboard's escaping writer, so a cell typed as a formula stays text.
	rej, err := file.CheckBad(path, *skipBad, func(w io.Writer) importer.RowWriter { return dashboard.NewCSVWriter(w) })
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if rej != "" {
		fmt.Fprintf(e.stdout, "%d bad rows written to %s\n", len(file.Bad), rej)
	}
	c.creates = true // an agency's history may be the first thing in a new store
	st, err := store.Open(ctx, c.DBPath, c.storeOptions(newLogger(c, e.stderr)))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	msg, err := file.Commit(ctx, st, progressBar(e.stderr, "import"))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	fmt.Fprintf(e.stdout, "%s; columns: %v\n", msg, file.Mapping)
	return nil
}

// importOptions wires the configuration (dollar rate, the catalogue's
// services, the gazetteer for the kinds that read places) and --map.
func importOptions(c *Config, kind importer.Kind, mapping string) (importer.Options, error) {
	o := importer.Options{USDToCOP: c.USDToCOP, Map: map[string]string{}}
	for _, kv := range splitList(mapping) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return o, fmt.Errorf("--map %q: want field=Header", kv)
		}
		o.Map[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if !kind.Lookup {
		return o, nil
	}
	fc, err := c.flowConfig()
	if err != nil {
		return o, err
	}
	o.Catalogue = fc.Catalogue
	o.Places, err = place.Load()
	return o, err
}

func readImport(kind importer.Kind, path string, o importer.Options) (*importer.File, error) {
	f, err := os.Open(path) // #nosec G304 G703 -- the operator's own file to import
	if err != nil {
		return nil, err
	}
	defer f.Close()
	file, err := kind.Read(f, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return file, nil
}
