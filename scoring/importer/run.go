package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/store"
)

// Store is what an import writes to; *store.Store satisfies it. Each
// method ignores rows whose key it already has, so a re-import adds
// nothing twice.
type Store interface {
	ImportHistory(ctx context.Context, rows []store.HistoryLead, progress func(done, total int, step string)) (int, error)
	SaveImportRun(ctx context.Context, kind string, stats []byte) error
	ImportCustomers(ctx context.Context, rows []store.CustomerImport, progress func(done, total int, step string)) (int, int, error)
	ImportCustomerEvents(ctx context.Context, rows []store.KeyedCustomerEvent) (int, error)
	ImportCampaigns(ctx context.Context, rows []store.CampaignRow) (store.CampaignImport, error)
}

// RowWriter writes the rejected rows as CSV. The caller gives one that
// escapes cells a spreadsheet would run as formulas (the rows go back to a
// person who opens them in one).
type RowWriter interface {
	Write(record []string) error
	Flush()
	Error() error
}

// Options steer reading a file of any kind.
type Options struct {
	Places    *place.Places  // leads and customers: the gazetteer
	Catalogue flow.Catalogue // leads and customers: service names
	USDToCOP  float64        // leads: budgets written in dollars
	Map       map[string]string
}

// A Kind reads one kind of agency file. Every kind shares one contract: bad
// rows are listed by line and nothing is imported unless they are skipped,
// in which case the good rows are imported and the bad ones written to a
// rejects file; a re-import adds nothing twice.
type Kind struct {
	Name   string
	Fields []string // what Options.Map may name, in the order help lists them
	// Lookup says the kind reads places and services, so Options must
	// carry the gazetteer and the catalogue.
	Lookup bool
	read   func(r io.Reader, o Options) (*File, error)
}

// Kinds are the import kinds, by name.
func Kinds() []Kind {
	return []Kind{
		{"campaigns", CampaignFields(), false, readCampaignsFile},
		{"customer-events", CustomerEventFields(), true, readCustomerEventsFile},
		{"customers", CustomerFields(), true, readCustomersFile},
		{"leads", ImportFields(), true, readLeadsFile},
	}
}

// KindNamed returns the kind called name.
func KindNamed(name string) (Kind, bool) {
	i := slices.IndexFunc(Kinds(), func(k Kind) bool { return k.Name == name })
	if i < 0 {
		return Kind{}, false
	}
	return Kinds()[i], true
}

// Read reads a file of kind k; its good rows wait in the File for Commit.
func (k Kind) Read(r io.Reader, o Options) (*File, error) { return k.read(r, o) }

// File is a read file waiting to be committed.
type File struct {
	Header  []string
	Mapping map[string]string // field → header used
	Bad     []BadRow
	Rows    int // good rows
	// commit stores the good rows and says what it did, e.g. "imported 6
	// new leads (0 already present)".
	commit func(ctx context.Context, st Store, progress func(done, total int, step string)) (string, error)
}

// Commit stores the file's good rows and says what it did.
func (f *File) Commit(ctx context.Context, st Store, progress func(done, total int, step string)) (string, error) {
	return f.commit(ctx, st, progress)
}

// CheckBad refuses a file with bad rows, listing the first 20 by line and
// reason, unless skip: then it writes them next to path (FILE.rejects.csv,
// with line and reason first) through newCSV and returns that file's name.
func (f *File) CheckBad(path string, skip bool, newCSV func(io.Writer) RowWriter) (rejects string, err error) {
	if len(f.Bad) == 0 {
		return "", nil
	}
	if !skip {
		var b strings.Builder
		for i, r := range f.Bad {
			if i == 20 {
				fmt.Fprintf(&b, "\n… and %d more", len(f.Bad)-20)
				break
			}
			fmt.Fprintf(&b, "\nline %d: %s", r.Line, r.Reason)
		}
		return "", fmt.Errorf("%s: %d bad rows, nothing imported (fix them or use --skip-bad):%s", path, len(f.Bad), b.String())
	}
	rejects = strings.TrimSuffix(strings.TrimSuffix(path, ".gz"), ".csv") + ".rejects.csv"
	return rejects, writeRejects(rejects, f.Header, f.Bad, newCSV)
}

func writeRejects(path string, header []string, bad []BadRow, newCSV func(io.Writer) RowWriter) error {
	// The rejected rows are leads (names, phones): readable by the owner only.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600) // #nosec G304 G703 -- next to the operator's own file
	if err != nil {
		return fmt.Errorf("reject file: %w", err)
	}
	w := newCSV(f)
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

func readLeadsFile(r io.Reader, o Options) (*File, error) {
	res, err := ReadLeads(r, ImportOptions{Places: o.Places, Catalogue: o.Catalogue, USDToCOP: o.USDToCOP, Map: o.Map})
	if err != nil {
		return nil, err
	}
	rows := make([]store.HistoryLead, len(res.Rows))
	for i, r := range res.Rows {
		rows[i] = store.HistoryLead{Key: r.Key, Lead: r.Lead, CreatedAt: r.CreatedAt, Converted: r.Converted, RevenueCOP: r.RevenueCOP, Extra: r.Extra}
	}
	return &File{Header: res.Header, Mapping: res.Mapping, Bad: res.Bad, Rows: len(rows),
		commit: func(ctx context.Context, st Store, progress func(done, total int, step string)) (string, error) {
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

func readCustomersFile(r io.Reader, o Options) (*File, error) {
	res, err := ReadCustomers(r, CustomerOptions{Places: o.Places, Catalogue: o.Catalogue, Map: o.Map})
	if err != nil {
		return nil, err
	}
	return &File{Header: res.Header, Mapping: res.Mapping, Bad: res.Bad, Rows: len(res.Rows),
		commit: func(ctx context.Context, st Store, progress func(done, total int, step string)) (string, error) {
			added, events, err := st.ImportCustomers(ctx, res.Rows, progress)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("imported %d new customers (%d already present), %d new events", added, len(res.Rows)-added, events), nil
		}}, nil
}

func readCustomerEventsFile(r io.Reader, o Options) (*File, error) {
	res, err := ReadCustomerEvents(r, CustomerOptions{Places: o.Places, Catalogue: o.Catalogue, Map: o.Map})
	if err != nil {
		return nil, err
	}
	return &File{Header: res.Header, Mapping: res.Mapping, Bad: res.Bad, Rows: len(res.Rows),
		commit: func(ctx context.Context, st Store, _ func(done, total int, step string)) (string, error) {
			added, err := st.ImportCustomerEvents(ctx, res.Rows)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("imported %d new customer events (%d already present)", added, len(res.Rows)-added), nil
		}}, nil
}

func readCampaignsFile(r io.Reader, o Options) (*File, error) {
	t, err := ReadCampaigns(r, o.Map)
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
	return &File{Header: t.Header, Mapping: t.Mapping, Bad: t.Bad, Rows: len(rows),
		commit: func(ctx context.Context, st Store, _ func(done, total int, step string)) (string, error) {
			res, err := st.ImportCampaigns(ctx, rows)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("imported %d new campaigns, %d new spend entries, %d changed (%d rows)",
				res.NewCampaigns, res.NewSpend, res.ChangedSpend, len(rows)), nil
		}}, nil
}
