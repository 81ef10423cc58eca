package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

const privacyUsage = `usage: cis privacy export --phone N [--out FILE] | delete --phone N | requests [--all] |
  request --phone N --kind access|correct|delete|revoke | exclude add N... | exclude remove N | exclude list |
  exclude import FILE [--source rne|manual] | retention`

// privacyCmd is the terminal side of the data-rights back office (Ley 1581 de 2012): the same
// export, deletion, request list and exclusion list as the dashboard's "Solicitudes de datos".
// Terminal actions are audited as user 0.
func privacyCmd(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return errors.New(privacyUsage)
	}
	sub, rest := args[0], args[1:]
	if sub == "exclude" {
		if len(rest) == 0 {
			return errors.New(privacyUsage)
		}
		sub, rest = "exclude "+rest[0], rest[1:]
	}
	fs, c := newFlagSet("privacy "+sub, e.getenv)
	fs.SetOutput(e.stderr)
	phone := fs.String("phone", "", "the person: their number, E.164 (+573001234567); for a WhatsApp user who hides it, their business-scoped user id (CO.1502…) or @username; or a web-chat session key")
	out := fs.String("out", "", "export: write the file here instead of standard output")
	all := fs.Bool("all", false, "requests: list closed requests too")
	kind := fs.String("kind", "", "request: access, correct, delete or revoke")
	source := fs.String("source", "rne", "exclude import: rne (Registro de Números Excluidos) or manual")
	if err := c.parse(fs, rest); err != nil {
		return err
	}
	needPhone := func() error {
		if strings.TrimSpace(*phone) == "" {
			return fmt.Errorf("privacy %s: --phone is required", sub)
		}
		return nil
	}
	st, err := store.Open(ctx, c.DBPath, c.storeOptions(newLogger(c, e.stderr).With("component", "store")))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	switch sub {
	case "export":
		if err := needPhone(); err != nil {
			return err
		}
		return privacyExport(ctx, e, st, *phone, *out)
	case "delete":
		if err := needPhone(); err != nil {
			return err
		}
		return privacyDelete(ctx, e, st, *phone)
	case "requests":
		return privacyRequests(ctx, e, st, *all)
	case "request":
		if err := needPhone(); err != nil {
			return err
		}
		return privacyRequest(ctx, e, st, *phone, *kind)
	case "exclude add", "exclude remove", "exclude list", "exclude import":
		return privacyExclude(ctx, e, st, sub, fs.Args(), *source)
	case "retention":
		rep, err := st.ApplyRetention(ctx, c.retention())
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "cis: retention erased %d person(s) and emptied %d message text(s)\n", rep.People, rep.Transcripts)
		return nil
	}
	return errors.New(privacyUsage)
}

// privacyDelete erases everything stored under phone at the person's
// request; the store keeps a deletion record, which the summary names.
func privacyDelete(ctx context.Context, e env, st *store.Store, phone string) error {
	er, err := st.EraseByPhone(ctx, phone, store.EraseRequested, "cli", 0)
	if errors.Is(err, store.ErrNotFound) {
		return errors.New("privacy delete: nothing is stored under that phone")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "cis: erased %d contact(s), %d lead(s), %d message text(s), %d WhatsApp device row(s); deletion record: request %d\n",
		er.Contacts, er.Leads, er.Messages, er.WhatsAppRows, er.RequestID)
	return nil
}

// privacyRequest records a data-rights request taken outside the product (a
// call, a letter) so that its legal deadline is tracked like the chat's.
func privacyRequest(ctx context.Context, e env, st *store.Store, phone, kind string) error {
	id, err := st.RecordDataRequest(ctx, phone, kind, "cli", time.Now(), 0)
	if err != nil {
		return err
	}
	r, err := st.DataRequest(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "cis: request %d (%s, %s) due %s\n", id, r.Kind, r.LegalType, r.DueAt.In(flow.Bogota()).Format("2006-01-02 15:04"))
	return nil
}

// privacyExclude runs one "exclude" subcommand on the list of numbers that
// the agency must not contact (Registro de Números Excluidos and manual
// additions); args are the numbers, or the file to import.
func privacyExclude(ctx context.Context, e env, st *store.Store, sub string, args []string, source string) error {
	switch sub {
	case "exclude add":
		n, err := st.AddExclusions(ctx, args, "manual", 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "cis: %d number(s) added to the exclusion list\n", n)
		return nil
	case "exclude remove":
		for _, p := range args {
			ok, err := st.RemoveExclusion(ctx, p, 0)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("privacy exclude remove: %s is not on the list", store.PhoneHint(p))
			}
		}
		fmt.Fprintf(e.stdout, "cis: %d number(s) removed from the exclusion list\n", len(args))
		return nil
	case "exclude list":
		list, err := st.Exclusions(ctx, 1000)
		if err != nil {
			return err
		}
		for _, x := range list {
			fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", x.Hint, x.Source, x.CreatedAt.In(flow.Bogota()).Format("2006-01-02"))
		}
		return nil
	case "exclude import":
		if len(args) != 1 {
			return errors.New("privacy exclude import: give one FILE with one number per line")
		}
		phones, err := readPhones(args[0])
		if err != nil {
			return err
		}
		n, err := st.AddExclusions(ctx, phones, source, 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "cis: %d of %d number(s) added to the exclusion list\n", n, len(phones))
		return nil
	}
	return errors.New(privacyUsage)
}

func privacyExport(ctx context.Context, e env, st *store.Store, phone, out string) error {
	x, err := st.ExportByPhone(ctx, phone, 0)
	if errors.Is(err, store.ErrNotFound) {
		return errors.New("privacy export: nothing is stored under that phone")
	}
	if err != nil {
		return err
	}
	b, err := x.JSON()
	if err != nil {
		return err
	}
	if out == "" {
		_, err = e.stdout.Write(b)
		return err
	}
	// 0600: the file holds one person's data.
	if err := os.WriteFile(out, b, 0o600); err != nil { // #nosec G703 -- the operator's own --out path
		return fmt.Errorf("privacy export: %w", err)
	}
	fmt.Fprintf(e.stdout, "cis: export written to %s\n", out)
	return nil
}

func privacyRequests(ctx context.Context, e env, st *store.Store, all bool) error {
	rs, err := st.DataRequests(ctx, all, 1000)
	if err != nil {
		return err
	}
	now := time.Now()
	fmt.Fprintln(e.stdout, "id\tdue\tkind\ttype\tstatus\twarning\tphone")
	for _, r := range rs {
		who := store.PhoneHint(r.Phone)
		if r.Erased() {
			who = "(erased)"
		}
		fmt.Fprintf(e.stdout, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.DueAt.In(flow.Bogota()).Format("2006-01-02"),
			r.Kind, r.LegalType, r.Status, r.Warning(now), who)
	}
	return nil
}

// readPhones reads one number per line; blank lines and lines starting with # are skipped.
func readPhones(path string) ([]string, error) {
	f, err := os.Open(path) // #nosec G304 G703 -- the operator's own file to import
	if err != nil {
		return nil, fmt.Errorf("privacy exclude import: %w", err)
	}
	defer f.Close()
	return scanPhones(f)
}

func scanPhones(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.TrimSpace(strings.SplitN(line, ",", 2)[0]))
	}
	return out, sc.Err()
}
