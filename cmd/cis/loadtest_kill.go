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
)

// loadtestKilling is `cis loadtest --kill N`: the load of loadtestInProcess
// against `cis serve` run as a child process (bin) on a temporary store,
// killed with SIGKILL N times and restarted at once on the same address, as
// a crash and a supervisor restart would. Kills are paced at cfg.Duration/(N+1)
// of work per server (bot.KillRun.KillEvery): the load lasts until the N
// kills happened and the last server served as long, so a slow machine (a
// restart's audit takes seconds under load) makes the run longer, not the
// kills fewer; limit bounds it, and fewer kills by then is an error. The
// fake Graph API and the simulated people stay in this process, so the
// people keep waiting for answers across the kills and Meta's retries of
// refused deliveries are the people's. After each kill, before the restart,
// the store is audited with no process running: every acknowledged message
// is on disk (I1), nothing committed before the previous kill changed (I5),
// and the replies the kill caught in flight are noted. At the end come the
// figures: lost messages, replies never sent (and whether each was in flight
// at a kill), questions resent, replies sent twice, consent without a sent
// consent text, and the invariant check.
func loadtestKilling(ctx context.Context, c *Config, cfg bot.LoadConfig, bin string, kills int, limit time.Duration) (bot.LoadReport, error) {
	dir, err := os.MkdirTemp("", "cis-loadtest-kill-")
	if err != nil {
		return bot.LoadReport{}, err
	}
	defer os.RemoveAll(dir)
	graph := bot.NewFakeGraph()
	gsrv := httptest.NewServer(graph)
	defer gsrv.Close()
	db := filepath.Join(dir, "load.db")
	addr, err := bot.FreeLoopbackAddr()
	if err != nil {
		return bot.LoadReport{}, err
	}
	const secret = "loadtest-secret"
	k := bot.NewKillRun([]string{bin, "serve"}, killRunEnv(db, addr, secret, gsrv.URL, c.getenv), db, "serving on http://"+addr)
	if err := k.Start(); err != nil {
		return bot.LoadReport{}, err
	}
	defer k.Stop()
	cfg.URL, cfg.AppSecret, cfg.Graph, cfg.ConsentMark = "http://"+addr+"/webhook/whatsapp", secret, graph, c.PolicyURL
	cfg.Accepted = k.Accept
	interval := cfg.Duration / time.Duration(kills+1)
	load, stopLoad := context.WithTimeout(ctx, limit)
	defer stopLoad()
	cfg.Duration = limit // the load ends when the kills are done (stopLoad), at the latest at limit
	killed := make(chan error, 1)
	go func() {
		err := k.KillEvery(load, interval, kills)
		stopLoad()
		killed <- err
	}()
	rep, loadErr := bot.LoadTest(load, cfg)
	stopLoad()
	if err := <-killed; err != nil {
		return rep, err
	}
	if loadErr != nil {
		return rep, loadErr
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
	if rep.Kills < kills {
		return rep, fmt.Errorf("loadtest: only %d of %d kills within %s (each after %s of work and one acknowledged message)", rep.Kills, kills, limit, interval)
	}
	return rep, nil
}

// killRunEnv is the environment of `cis serve` under loadtestKilling: the
// store db, the loopback address, the Cloud API settings and the fake Graph API.
func killRunEnv(db, addr, secret, graphURL string, getenv func(string) string) []string {
	env := append(os.Environ(), "CIS_DB="+db, "CIS_ADDR="+addr, "CIS_LOG_LEVEL=error",
		"CIS_CLOUDAPI_APP_SECRET="+secret, "CIS_CLOUDAPI_VERIFY_TOKEN=loadtest", "CIS_CLOUDAPI_ACCESS_TOKEN=loadtest",
		"CIS_GRAPH_URL="+graphURL)
	if v := getenv("CIS_CRASH_AT"); v != "" {
		env = append(env, "CIS_CRASH_AT="+v) // a crashtest build's named crash point, for the first process
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
