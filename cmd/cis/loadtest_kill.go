package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/store"
)

// serverRun is how loadtestServers runs its servers.
type serverRun struct {
	bin     string        // this program, run as `cis serve`
	servers int           // how many, on one store
	kills   int           // SIGKILLs during the run, one server at a time
	pg      string        // PostgreSQL URL; "": a temporary SQLite file (one server)
	limit   time.Duration // the longest the load may last while kills are due
}

// loadtestServers is `cis loadtest --servers N [--pg URL] [--kill K]`: the
// load of loadtestInProcess against N `cis serve` child processes on one
// store (a temporary SQLite file for one server; a schema of its own in the
// --pg database for several), each on its own loopback address, every
// delivery to the next server in turn (bot.LoadConfig.Targets). With K
// kills, one server at a time gets SIGKILL and is restarted at once on the
// same address, as a crash and a supervisor restart would, while the load
// goes on at the others. Kills are paced at cfg.Duration/(K+1) of work
// per server (bot.KillRun.KillEvery): the load lasts until the K kills
// happened and the last server served as long, so a slow machine (a
// restart's audit takes seconds under load) makes the run longer, not the
// kills fewer; run.limit bounds it, and fewer kills by then is an error.
// The fake Graph API and the simulated people stay in this process, so
// every server's replies reach the one fake, the people keep waiting for
// answers across the kills, and Meta's retries of refused deliveries are
// the people's. After each kill, before the restart, the store is audited
// (with no process running when there is one server): every acknowledged
// message is on disk (I1), nothing committed before the previous kill
// changed (I5), and the replies the kill caught in flight are noted. At
// the end come the figures over all servers: lost messages, replies never
// sent (and whether each was in flight at a kill), questions resent,
// replies sent twice, consent without a sent consent text, and the
// invariant check.
func loadtestServers(ctx context.Context, c *Config, cfg bot.LoadConfig, run serverRun) (bot.LoadReport, error) {
	db, cleanup, err := loadtestStore(ctx, run.pg)
	if err != nil {
		return bot.LoadReport{}, err
	}
	defer cleanup()
	graph := bot.NewFakeGraph()
	gsrv := httptest.NewServer(graph)
	defer gsrv.Close()
	const secret = "loadtest-secret"
	k, urls, err := startServers(run, db, secret, gsrv.URL, c.getenv)
	if err != nil {
		return bot.LoadReport{}, err
	}
	defer k.Stop()
	cfg.URL, cfg.Targets, cfg.AppSecret, cfg.Graph, cfg.ConsentMark = urls[0], urls[1:], secret, graph, c.PolicyURL
	cfg.Accepted = k.Accept
	rep, err := loadWithKills(ctx, k, cfg, run)
	if err != nil {
		return rep, err
	}
	bot.WaitGraphQuiet(ctx, graph, 1500*time.Millisecond, 30*time.Second)
	if err := k.Stop(); err != nil {
		return rep, err
	}
	la := k.Audit(&rep)
	la.Graph = graph
	c.DBPath = db
	if err := auditStore(ctx, c, la, &rep); err != nil {
		return rep, err
	}
	if rep.Kills < run.kills {
		return rep, fmt.Errorf("loadtest: only %d of %d kills within %s (each after %s of work and one acknowledged message)",
			rep.Kills, run.kills, run.limit, cfg.Duration/time.Duration(run.kills+1))
	}
	return rep, nil
}

// loadWithKills runs the load while k kills its servers run.kills times;
// without kills the load lasts cfg.Duration.
func loadWithKills(ctx context.Context, k *bot.KillRun, cfg bot.LoadConfig, run serverRun) (bot.LoadReport, error) {
	if run.kills == 0 {
		return bot.LoadTest(ctx, cfg)
	}
	interval := cfg.Duration / time.Duration(run.kills+1)
	load, stopLoad := context.WithTimeout(ctx, run.limit)
	defer stopLoad()
	cfg.Duration = run.limit // the load ends when the kills are done (stopLoad), at the latest at the limit
	killed := make(chan error, 1)
	go func() {
		err := k.KillEvery(load, interval, run.kills)
		stopLoad()
		killed <- err
	}()
	rep, loadErr := bot.LoadTest(load, cfg)
	stopLoad()
	if err := <-killed; err != nil {
		return rep, err
	}
	return rep, loadErr
}

// loadtestStore is the store the servers share: a schema of its own in the
// PostgreSQL database pg, or a file in a temporary directory; cleanup
// removes it.
func loadtestStore(ctx context.Context, pg string) (db string, cleanup func(), err error) {
	if pg != "" {
		db, drop, err := store.ScratchSchema(ctx, pg, "cis_loadtest")
		if err != nil {
			return "", nil, err
		}
		return db, func() { _ = drop(context.WithoutCancel(ctx)) }, nil
	}
	dir, err := os.MkdirTemp("", "cis-loadtest-kill-")
	if err != nil {
		return "", nil, err
	}
	return filepath.Join(dir, "load.db"), func() { _ = os.RemoveAll(dir) }, nil
}

// startServers starts run.servers `cis serve` on db, each on a loopback
// address of its own, and returns them with their webhooks' URLs.
func startServers(run serverRun, db, secret, graphURL string, getenv func(string) string) (*bot.KillRun, []string, error) {
	var k *bot.KillRun
	var urls []string
	for i := range run.servers {
		addr, err := bot.FreeLoopbackAddr()
		if err != nil {
			return nil, nil, err
		}
		env := killRunEnv(db, addr, secret, graphURL, getenv)
		if i == 0 {
			k = bot.NewKillRun([]string{run.bin, "serve"}, env, db, "serving on http://"+addr)
		} else {
			k.AddServer(env, "serving on http://"+addr)
		}
		urls = append(urls, "http://"+addr+"/webhook/whatsapp")
	}
	if err := k.Start(); err != nil {
		_ = k.Stop()
		return nil, nil, err
	}
	return k, urls, nil
}

// killRunEnv is the environment of `cis serve` under loadtestServers: the
// store db, the loopback address, the Cloud API settings and the fake Graph API.
func killRunEnv(db, addr, secret, graphURL string, getenv func(string) string) []string {
	env := append(os.Environ(), "CIS_DB="+db, "CIS_ADDR="+addr, "CIS_LOG_LEVEL=error",
		"CIS_CLOUDAPI_APP_SECRET="+secret, "CIS_CLOUDAPI_VERIFY_TOKEN=loadtest", "CIS_CLOUDAPI_ACCESS_TOKEN=loadtest",
		"CIS_GRAPH_URL="+graphURL)
	if v := getenv("CIS_CRASH_AT"); v != "" {
		env = append(env, "CIS_CRASH_AT="+v) // a crashtest build's named crash point, for the first process
	}
	if v := getenv("CIS_LEASE_TTL"); v != "" {
		env = append(env, "CIS_LEASE_TTL="+v) // how soon a killed server's claims are settled on PostgreSQL
	}
	return env
}

// auditStore opens the store at c.DBPath as the server does and fills the
// figures (bot.AuditLoad).
func auditStore(ctx context.Context, c *Config, la bot.LoadAudit, rep *bot.LoadReport) error {
	a, err := open(ctx, c, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	la.Step = a.bot.Step
	return bot.AuditLoad(ctx, a.store, la, rep)
}
