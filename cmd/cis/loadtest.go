package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/dashboard"
	"github.com/cis-agencia/cis/store"
)

// loadtestCmd drives a Cloud API webhook on loopback with simulated
// prospects. Without --target it starts the real server in-process on a
// temporary store, with a fake Graph API, and also counts lost messages and
// duplicate replies.
func loadtestCmd(ctx context.Context, e env, args []string) error {
	fs, c := newFlagSet("loadtest", e.getenv)
	target := fs.String("target", "", "webhook URL on loopback, or several separated by commas (servers of one installation: each delivery goes to the next); "+
		"default: start the server in-process on a temporary store")
	servers := fs.Int("servers", 1, "start this many cis serve processes on one store and spread the deliveries over them (more than one needs --pg)")
	pg := fs.String("pg", "", "run the servers on this PostgreSQL (postgres://…), in a schema of their own dropped at the end")
	duration := fs.Duration("duration", 10*time.Second, "how long to send messages")
	prospects := fs.Int("prospects", 200, "simulated prospects writing at once")
	concurrency := fs.Int("concurrency", 0, "requests in flight (default min(prospects, 64))")
	maxMessages := fs.Int("max-messages", 0, "stop after this many distinct messages (0: only --duration bounds the run)")
	duplicates := fs.Float64("duplicates", 0.10, "share of deliveries sent twice, as Meta sometimes does (0 to 1)")
	reorder := fs.Float64("reorder", 0.05, "share of messages delivered after the next one of the same person (0 to 1)")
	seed := fs.Uint64("seed", 1, "seed of the duplicate and reorder choices")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	blindFlag := fs.Bool("blind", false, "people write their script without waiting for answers (in-process; --reorder applies only then)")
	kills := fs.Int("kill", 0, "kill the server with SIGKILL this many times during the run and restart it (it then runs as a child process); "+
		"each kill after --duration/(N+1) of work, so the run lasts until the N kills happened, at most 10 × --duration")
	fs.SetOutput(e.stderr)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if *duration <= 0 || *duration > 10*time.Minute || *prospects <= 0 || *prospects > 100_000 {
		return errors.New("loadtest: --duration must be in (0, 10m] and --prospects in (0, 100000]")
	}
	if *duplicates < 0 || *duplicates > 1 || *reorder < 0 || *reorder > 1 {
		return errors.New("loadtest: --duplicates and --reorder must be shares between 0 and 1")
	}
	if *kills < 0 || *kills > 100 || *kills > 0 && (*target != "" || *blindFlag) {
		return errors.New("loadtest: --kill N (0 to 100) needs the server the load test starts itself (no --target) and people who wait for answers (no --blind)")
	}
	if err := checkServers(*servers, *pg, *target, *blindFlag); err != nil {
		return err
	}
	urls := splitTargets(*target)
	cfg := bot.LoadConfig{URL: urls[0], Targets: urls[1:], AppSecret: c.CloudAppSecret, Account: "loadtest", Prospects: *prospects,
		Duration: *duration, Concurrency: *concurrency, Seed: *seed, MaxMessages: *maxMessages,
		Duplicates: orNone(*duplicates), Reorder: orNone(*reorder)}
	var rep bot.LoadReport
	var err error
	switch {
	case *kills > 0 || *servers > 1 || *pg != "":
		bin, berr := os.Executable()
		if berr != nil {
			return berr
		}
		rep, err = loadtestServers(ctx, c, cfg, serverRun{bin: bin, servers: *servers, kills: *kills, pg: *pg, limit: *duration * 10})
	case *target == "":
		rep, err = loadtestInProcess(ctx, c, cfg, *blindFlag)
	default:
		if cfg.AppSecret == "" {
			return errors.New("loadtest: --target needs the app secret (--cloudapi-app-secret or CIS_CLOUDAPI_APP_SECRET)")
		}
		rep, err = bot.LoadTest(ctx, cfg)
		rep.Lost, rep.DuplicateReplies = -1, -1 // unknown: the store and the Graph API are elsewhere
	}
	if err != nil {
		return err
	}
	if *asJSON {
		b, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "%s\n", b)
		return err
	}
	rep.WriteText(e.stdout, *target == "")
	return nil
}

// checkServers refuses what --servers and --pg cannot do.
func checkServers(servers int, pg, target string, blind bool) error {
	switch {
	case servers < 1 || servers > 16:
		return errors.New("loadtest: --servers must be between 1 and 16")
	case (servers > 1 || pg != "") && (target != "" || blind):
		return errors.New("loadtest: --servers and --pg start the servers themselves (no --target) for people who wait for answers (no --blind)")
	case servers > 1 && pg == "":
		return errors.New("loadtest: several servers share one store on PostgreSQL only (a SQLite file admits one cis serve): add --pg postgres://…")
	case pg != "" && !store.IsPostgres(pg):
		return errors.New("loadtest: --pg must be a postgres:// URL")
	}
	return nil
}

// splitTargets is --target's list of webhooks ("" gives one empty URL: the
// in-process server's, filled in later).
func splitTargets(target string) []string {
	var urls []string
	for u := range strings.SplitSeq(target, ",") {
		if u = strings.TrimSpace(u); u != "" {
			urls = append(urls, u)
		}
	}
	if len(urls) == 0 {
		return []string{""}
	}
	return urls
}

// orNone maps a share of 0 to LoadConfig's "none" (its zero means default).
func orNone(share float64) float64 {
	if share == 0 {
		return -1
	}
	return share
}

// loadtestInProcess wires the real store, flow, bot and Cloud API webhook on
// a temporary file, serves them on a loopback port, points the sender at a
// fake Graph API, runs the load and then audits the store.
func loadtestInProcess(ctx context.Context, c *Config, cfg bot.LoadConfig, blind bool) (bot.LoadReport, error) {
	dir, err := os.MkdirTemp("", "cis-loadtest-")
	if err != nil {
		return bot.LoadReport{}, err
	}
	defer os.RemoveAll(dir)
	c.DBPath, c.creates = filepath.Join(dir, "load.db"), true
	c.CloudAppSecret, c.CloudVerifyToken, c.CloudAccessToken = "loadtest-secret", "loadtest", "loadtest"
	cfg.AppSecret = c.CloudAppSecret

	locked := &bot.LockCounter{}
	log := slog.New(locked.Wrap(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})))
	a, err := open(ctx, c, log, time.Now)
	if err != nil {
		return bot.LoadReport{}, err
	}
	defer a.Close()
	graph := bot.NewFakeGraph()
	gsrv := httptest.NewServer(graph)
	defer gsrv.Close()
	cc := c.cloudConfig()
	cc.GraphURL = gsrv.URL
	cc.Poll = 20 * time.Millisecond
	cloud, err := bot.NewCloudAPI(a.bot, a.store, cc, log)
	if err != nil {
		return bot.LoadReport{}, err
	}
	mux := http.NewServeMux()
	mux.Handle("/webhook/whatsapp", cloud)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return bot.LoadReport{}, err
	}
	cfg.URL = "http://" + ln.Addr().String() + "/webhook/whatsapp"

	srvCtx, stopServer := context.WithCancel(ctx)
	done := make(chan error, 2)
	go func() { done <- dashboard.Serve(srvCtx, ln, mux, log) }()
	go func() { done <- cloud.Run(srvCtx) }()
	var accepted []string // appended under LoadTest's lock
	cfg.Accepted = func(id string) { accepted = append(accepted, id) }
	if !blind {
		cfg.Graph, cfg.ConsentMark = graph, c.PolicyURL
	}
	rep, loadErr := bot.LoadTest(ctx, cfg)

	// Let the sender drain what the load queued (bounded), then stop.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		au, err := a.store.DeliveryAudit(ctx, bot.CloudChannel)
		if err != nil || au.Outbox["pending"]+au.Outbox["sending"] == 0 {
			break
		}
		cloud.Wake()
		time.Sleep(20 * time.Millisecond) // polling an external condition, not synchronising goroutines
	}
	stopServer()
	for range 2 {
		<-done
	}
	if loadErr != nil {
		return rep, loadErr
	}
	rep.DBLockedErrors = locked.Count()
	return rep, bot.AuditLoad(ctx, a.store, bot.LoadAudit{Graph: graph, Accepted: accepted, Step: a.bot.Step}, &rep)
}
