package main

import (
	"context"

	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/cis-agencia/cis/dashboard"
	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// An import kind reads one kind of agency file. Every kind shares the
// command's contract: bad rows are listed by line and nothing is imported
// unless --skip-bad, which imports the good rows and writes the bad ones to
// FILE.rejects.csv; a re-import adds nothing twice (each store method
// ignores rows whose key it already has).
type importKind struct {
	fields []string
	read   func(c *Config, r io.Reader, mapping map[string]string) (*importFile, error)
}

// importFile is a read file waiting to be committed.
type importFile struct {
	header  []string
	mapping map[string]string
	bad     []scoring.BadRow
	rows    int
	// commit stores the good rows and says what it did, e.g. "imported 6 new leads (0 already present)".
	commit func(ctx context.Context, st *store.Store, progress func(done, total int, step string)) (string, error)
}

func importKinds() map[string]importKind {
	return map[string]importKind{
		"leads":           {scoring.ImportFields, readLeadsFile},
		"customers":       {scoring.CustomerFields, readCustomersFile},
		"customer-events": {scoring.CustomerEventFields, readCustomerEventsFile},
		"campaigns":       {scoring.CampaignFields, readCampaignsFile},
	}
}

func importCmd(ctx context.Context, e env, args []string) error {
	kinds := importKinds()
	names := make([]string, 0, len(kinds))
	for n := range kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	usage := fmt.Errorf("usage: cis import %s FILE.csv [--skip-bad] [--map field=Header,...]", strings.Join(names, "|"))
	if len(args) == 0 {
		return usage
	}
	kind, ok := kinds[args[0]]
	if !ok {
		return usage
	}
	what := "import " + args[0]
	fs, c := newFlagSet(what, e.getenv)
	skipBad := fs.Bool("skip-bad", false, "import the good rows and write the bad ones to FILE.rejects.csv")
	mapping := fs.String("map", "", "column mapping, e.g. created_at=Fecha (fields: "+strings.Join(kind.fields, ", ")+")")
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
	m, err := parseMapping(*mapping)
	if err != nil {
		return err
	}
	f, err := os.Open(path) // #nosec G304 G703 -- the operator's own file to import
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer f.Close()
	file, err := kind.read(c, f, m)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", what, path, err)
	}
	if err := handleBadRows(e, what, path, file, *skipBad); err != nil {
		return err
	}
	c.creates = true // an agency's history may be the first thing in a new store
	st, err := store.Open(ctx, c.DBPath, c.storeOptions(newLogger(c, e.stderr)))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	msg, err := file.commit(ctx, st, progressBar(e.stderr, "import"))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	fmt.Fprintf(e.stdout, "%s; columns: %v\n", msg, file.mapping)
	return nil
}

func parseMapping(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range splitList(s) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("--map %q: want field=Header", kv)
		}
		m[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return m, nil
}

// handleBadRows refuses a file with bad rows unless skipBad, in which case
// it writes them, with line and reason, next to the file.
func handleBadRows(e env, what, path string, file *importFile, skipBad bool) error {
	if len(file.bad) == 0 {
		return nil
	}
	if !skipBad {
		var b strings.Builder
		for i, r := range file.bad {
			if i == 20 {
				fmt.Fprintf(&b, "\n… and %d more", len(file.bad)-20)
				break
			}
			fmt.Fprintf(&b, "\nline %d: %s", r.Line, r.Reason)
		}
		return fmt.Errorf("%s: %s: %d bad rows, nothing imported (fix them or use --skip-bad):%s", what, path, len(file.bad), b.String())
	}
	rej := strings.TrimSuffix(strings.TrimSuffix(path, ".gz"), ".csv") + ".rejects.csv"
	if err := writeRejects(rej, file.header, file.bad); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d bad rows written to %s\n", len(file.bad), rej)
	return nil
}

func writeRejects(path string, header []string, bad []scoring.BadRow) error {
	// The rejected rows are leads (names, phones): readable by the owner only.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600) // #nosec G304 G703 -- next to the operator's own file
	if err != nil {
		return fmt.Errorf("reject file: %w", err)
	}
	// The rows go back to a person who opens them in a spreadsheet: the
	// dashboard's escaping writer, so a cell typed as a formula stays text.
	w := dashboard.NewCSVWriter(f)
	err = w.Write(append([]string{"line", "reason"}, header...))
	for _, r := range bad {
		if err != nil {
			break
		}
		err = w.Write(append([]string{strconv.Itoa(r.Line), r.Reason}, r.Cells...))
	}
	w.Flush()
	if err = errors.Join(err, w.Error(), f.Close()); err != nil {
		return fmt.Errorf("reject file: %w", err)
	}
	return nil
}

func readLeadsFile(c *Config, r io.Reader, m map[string]string) (*importFile, error) {
	fc, err := c.flowConfig()
	if err != nil {
		return nil, err
	}
	places, err := flow.LoadPlaces()
	if err != nil {
		return nil, err
	}
	res, err := scoring.ReadLeads(r, scoring.ImportOptions{Places: places, Catalogue: fc.Catalogue, USDToCOP: c.USDToCOP, Map: m})
	if err != nil {
		return nil, err
	}
	rows := make([]store.HistoryLead, len(res.Rows))
	for i, r := range res.Rows {
		rows[i] = store.HistoryLead{Key: r.Key, Lead: r.Lead, CreatedAt: r.CreatedAt, Converted: r.Converted, RevenueCOP: r.RevenueCOP, Extra: r.Extra}
	}
	return &importFile{header: res.Header, mapping: res.Mapping, bad: res.Bad, rows: len(rows),
		commit: func(ctx context.Context, st *store.Store, progress func(done, total int, step string)) (string, error) {
			added, err := st.ImportHistory(ctx, rows, progress)
			if err != nil {
				return "", err
			}
			// What the file taught (rejects, spellings, budget forms) is kept
			// for the model report's data-and-cleaning section.
			res.Stats.Duplicates = len(rows) - added
			stats, err := json.Marshal(res.Stats)
			if err != nil {
				return "", err
			}
			if err := st.SaveImportRun(ctx, "leads", stats); err != nil {
				return "", fmt.Errorf("imported %d new leads, but recording the import failed: %w", added, err)
			}
			return fmt.Sprintf("imported %d new leads (%d already present)", added, len(rows)-added), nil
		}}, nil
}

func customerOptions(c *Config, m map[string]string) (scoring.CustomerOptions, error) {
	fc, err := c.flowConfig()
	if err != nil {
		return scoring.CustomerOptions{}, err
	}
	places, err := flow.LoadPlaces()
	if err != nil {
		return scoring.CustomerOptions{}, err
	}
	return scoring.CustomerOptions{Places: places, Catalogue: fc.Catalogue, Map: m}, nil
}

func readCustomersFile(c *Config, r io.Reader, m map[string]string) (*importFile, error) {
	o, err := customerOptions(c, m)
	if err != nil {
		return nil, err
	}
	res, err := scoring.ReadCustomers(r, o)
	if err != nil {
		return nil, err
	}
	return &importFile{header: res.Header, mapping: res.Mapping, bad: res.Bad, rows: len(res.Rows),
		commit: func(ctx context.Context, st *store.Store, progress func(done, total int, step string)) (string, error) {
			added, events, err := st.ImportCustomers(ctx, res.Rows, progress)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("imported %d new customers (%d already present), %d new events", added, len(res.Rows)-added, events), nil
		}}, nil
}

func readCustomerEventsFile(c *Config, r io.Reader, m map[string]string) (*importFile, error) {
	o, err := customerOptions(c, m)
	if err != nil {
		return nil, err
	}
	res, err := scoring.ReadCustomerEvents(r, o)
	if err != nil {
		return nil, err
	}
	return &importFile{header: res.Header, mapping: res.Mapping, bad: res.Bad, rows: len(res.Rows),
		commit: func(ctx context.Context, st *store.Store, _ func(done, total int, step string)) (string, error) {
			added, err := st.ImportCustomerEvents(ctx, res.Rows)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("imported %d new customer events (%d already present)", added, len(res.Rows)-added), nil
		}}, nil
}

func readCampaignsFile(_ *Config, r io.Reader, m map[string]string) (*importFile, error) {
	t, err := scoring.ReadCampaigns(r, m)
	if err != nil {
		return nil, err
	}
	rows := make([]store.CampaignRow, len(t.Rows))
	for i, r := range t.Rows {
		v := r.Value
		rows[i] = store.CampaignRow{Campaign: store.Campaign{Key: v.Key, Name: v.Name, Channel: v.Channel, StartedOn: v.StartedOn, EndedOn: v.EndedOn}}
		if v.HasSpend {
			rows[i].Spend = &store.Spend{Period: v.Period, Day: v.Day, AmountCOP: v.AmountCOP}
		}
	}
	return &importFile{header: t.Header, mapping: t.Mapping, bad: t.Bad, rows: len(rows),
		commit: func(ctx context.Context, st *store.Store, _ func(done, total int, step string)) (string, error) {
			res, err := st.ImportCampaigns(ctx, rows)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("imported %d new campaigns, %d new spend entries, %d changed (%d rows)",
				res.NewCampaigns, res.NewSpend, res.ChangedSpend, len(rows)), nil
		}}, nil
}
