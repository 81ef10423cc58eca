package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// env carries the process's surroundings, so tests can run commands with
// their own arguments, environment and streams.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// step and progress, when set, also receive what long work reports
	// (serve --demo shows it on the "preparing the demo" page).
	step     func(key string)
	progress func(done, total int)
}

// bar returns a progress callback that draws a bar on standard error and
// reports to e.progress.
func (e env) bar(label string) func(done, total int, step string) {
	var draw func(done, total int, step string)
	if e.stderr != nil {
		draw = progressBar(e.stderr, label)
	}
	return func(done, total int, step string) {
		if draw != nil {
			draw(done, total, step)
		}
		if e.progress != nil {
			e.progress(done, total)
		}
	}
}

// stepTo reports the start of a step of long work ("history", "lead_model"…).
func (e env) stepTo(key string) {
	if e.step != nil {
		e.step(key)
	}
}

type command struct {
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":    {"run the service: dashboard, web chat, Cloud API webhook, the WhatsApp channels configured, idle sweeper; --demo seeds a demo store", serveCmd},
		"chat":     {"talk to the bot in the terminal, or replay a script with --script FILE [--json]", chatCmd},
		"users":    {"dashboard accounts: users add [--role admin] [--generate] NAME (password on stdin) | passwd [--generate] NAME | list | deactivate NAME | activate NAME", usersCmd},
		"pair":     {"link the agency's WhatsApp to this program: QR in the terminal, or --phone for a code", pairCmd},
		"loadtest": {"drive the Cloud API webhook on loopback with simulated prospects (--duration, --prospects, --json)", loadtestCmd},
		"backup":   {"backup FILE: checked online copy of the store, safe while serve runs; backup --verify FILE checks one", backupCmd},
		"store":    {"store copy --from FILE.db --to postgres://…: move an installation (every table, the WhatsApp session too) into an empty PostgreSQL database, verified", storeCmd},
		"restore":  {"restore FILE: replace the store with a verified backup (serve stopped; the old file is kept)", restoreCmd},
		"help":     {"show commands, flags and environment variables", nil},
		"train":    {"compare the models (forest, extra trees, tree, boosting, logistic) with stratified CV; --csv FILE --target COL for any CSV", trainCmd},
		"models":   {"list trained models (* = active); models activate ID switches; models export ID > FILE, models import FILE move one between installations", modelsCmd},
		"import":   {"import leads FILE.csv (the agency's lead history) and other agency files; --skip-bad, --map field=Header", importCmd},
		"report":   {"write the model report as one offline HTML file: --model ID (default active) --out FILE.html --lang es|en; --csv FILE --target COL for any CSV", reportCmd},
		"churn":    {"churn score: score every active customer now with the active churn model (serve does it daily)", churnCmd},
		"demo":     {"fill the store with the demo agency's 18-month history and train a model on it", demoCmd},
		"privacy":  {"data-rights back office: privacy export|delete --phone N, requests, request, exclude add|remove|list|import, retention", privacyCmd},
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		printHelp(stdout)
		return errors.New("no command given")
	}
	name, rest := args[0], args[1:]
	if name == "help" || name == "-h" || name == "--help" {
		printHelp(stdout)
		return nil
	}
	cmd, ok := commands()[name]
	if !ok || cmd.run == nil {
		return fmt.Errorf("unknown command %q (see cis help)", name)
	}
	return cmd.run(ctx, e, rest)
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "cis: Customer Intelligence System\n\nUsage: cis COMMAND [flags]\n\nCommands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nFlags common to every command (a flag beats its environment variable, which beats the default):")
	fs, _ := newFlagSet("cis", func(string) string { return "" })
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintln(w, "\n"+strings.TrimSpace(`
cis chat flags: --script FILE (- for stdin) --json --now RFC3339 --phone E164 (a temporary store unless --db or CIS_DB names an existing one)
cis serve flags: --demo (seed a demo store and train on a demo history the first time; print its login at every start) --secure
  --metrics-token T --widget-origins "SITES" --advisor-scope all|own --api-rate N --api-burst N (each API token's limit)
cis pair flags: --phone NUMBER (pair by code instead of QR) --timeout D
cis loadtest flags: --duration D --prospects N --concurrency N --max-messages N --json --target URL (loopback only;
  without --target the real server runs in-process on a temporary store with a fake Graph API) --blind (people do not
  wait for answers) --kill N (the server runs as a child process, killed with SIGKILL N times and restarted)
cis train churn: train the churn model on the customers' histories (same flags); cis train value: check lead values on a time-ordered hold-out
cis train flags: --csv FILE --target COL --drop COLS --missing VALUES --time-column COL --folds N --trees N --seed N --hot-share F --warm-share F --json; --trial-fields (candidate conversation features on the hold-out)
cis import leads|customers|customer-events|campaigns FILE.csv flags: --skip-bad (write FILE.rejects.csv) --map field=Header,...
cis import campaigns FILE.csv: campaign, name, channel, started_on, ended_on, period (day|month), date, amount (docs/analytics.md)
cis report flags: --model ID --out FILE.html --trees N --folds N --seed N; --csv FILE --target COL --drop COLS --missing VALUES --time-column COL --models LIST
cis models [activate ID | export ID > model.cis | import model.cis]
cis backup FILE | cis backup --verify FILE; cis restore FILE (with cis serve stopped); on PostgreSQL both explain pg_dump and pg_restore
cis store copy --from FILE.db --to postgres://USER:PASSWORD@HOST:5432/DATABASE[?search_path=SCHEMA] (cis serve stopped; the target empty)
cis users add [--role admin|advisor|viewer] [--generate] NAME | passwd [--generate] NAME | list | deactivate NAME | activate NAME
cis privacy export --phone N [--out FILE] | delete --phone N | requests [--all] | request --phone N --kind K |
  exclude add N... | exclude remove N | exclude list | exclude import FILE [--source rne|manual] | retention`))
}
