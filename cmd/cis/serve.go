package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/dashboard"
	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/assign"
	"github.com/cis-agencia/cis/store"
)

func serveCmd(ctx context.Context, e env, args []string) error {
	fs, c := newFlagSet("serve", e.getenv)
	demo := fs.Bool("demo", false, "seed a demo store the first time (made-up prospects through the real flow); print its login at every start")
	secure := fs.Bool("secure", e.getenv("CIS_SECURE") == "true", "the dashboard is served over HTTPS: Secure __Host- cookies and HSTS (env CIS_SECURE)")
	metricsToken := fs.String("metrics-token", e.getenv("CIS_METRICS_TOKEN"), "bearer token for /metrics scrapers; admins can always read it (env CIS_METRICS_TOKEN)")
	widgetOrigins := fs.String("widget-origins", e.getenv("CIS_WIDGET_ORIGINS"), "space-separated sites allowed to embed the web chat widget (env CIS_WIDGET_ORIGINS)")
	scope := fs.String("advisor-scope", envOr(e.getenv, "CIS_ADVISOR_SCOPE", dashboard.ScopeAll), "all: advisors see every lead; own: only their own leads' personal data (env CIS_ADVISOR_SCOPE)")
	var apiRate float64
	c.float(fs, e.getenv, &apiRate, "api-rate", "CIS_API_RATE", dashboard.DefaultAPIRate, "HTTP API: requests a second each token may make, sustained")
	apiBurst := fs.Int("api-burst", fromEnv(c, e.getenv, "CIS_API_BURST", dashboard.DefaultAPIBurst, strconv.Atoi),
		"HTTP API: requests each token may make at once after a quiet spell (env CIS_API_BURST)")
	var leaseTTL time.Duration
	c.dur(fs, e.getenv, &leaseTTL, "lease-ttl", "CIS_LEASE_TTL", bot.DefaultLeaseTTL, "several servers on one PostgreSQL: how long a killed server's linked device and jobs wait before another server takes them over")
	fs.SetOutput(e.stderr)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	c.creates = true
	if *scope != dashboard.ScopeAll && *scope != dashboard.ScopeOwn {
		return fmt.Errorf("--advisor-scope (CIS_ADVISOR_SCOPE) %q: want all or own", *scope)
	}
	if apiRate <= 0 || *apiBurst < 1 {
		return fmt.Errorf("--api-rate (CIS_API_RATE) %v and --api-burst (CIS_API_BURST) %d: want more than 0 and at least 1", apiRate, *apiBurst)
	}
	log := newLogger(c, e.stderr)
	unlock, err := lockServe(c)
	if err != nil {
		return err
	}
	defer unlock()
	clock := &demoClock{}
	a, err := openClock(ctx, c, log, time.Now, clock.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := startCluster(ctx, a, leaseTTL, log); err != nil {
		return err
	}
	jobs := dashboard.NewJobs(log.With("component", "jobs"), time.Now)
	ch, err := newChannels(a, c, log)
	if err != nil {
		return err
	}
	deps := dashboardDeps(a, c, log, jobs, ch.cloud, dashboard.Options{Secure: *secure, MetricsToken: *metricsToken,
		WidgetOrigins: strings.Fields(*widgetOrigins), AdvisorScope: *scope, USDToCOP: c.USDToCOP, Demo: *demo,
		APIRate: apiRate, APIBurst: *apiBurst})
	web, err := dashboard.New(deps)
	if err != nil {
		return err
	}
	if err := setAdvisorsAndNumbers(ctx, a, c); err != nil { // numbers.go
		return err
	}
	handler, channels, err := mountChannels(ctx, a, c, web, ch, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("--addr (CIS_ADDR): %w", err)
	}
	fmt.Fprintf(e.stdout, "cis: serving on http://%s (dashboard: /, web chat: /chat, health: /healthz, /readyz); store %s\n", ln.Addr(), shownDB(c.DBPath))
	loops := backgroundLoops(a, c, log, jobs, channels, *demo)
	work := func(ctx context.Context) error {
		if *demo {
			if !prepareDemo(ctx, e, a, deps.Startup, clock, log) {
				<-ctx.Done() // the page says the preparation failed; the process stays up to show it
				return nil
			}
		}
		return runAll(ctx, loops...)
	}
	serveHTTP := func(ctx context.Context) error {
		return dashboard.ServeTimeouts(ctx, ln, handler, log, dashboard.Timeouts{Body: c.BodyTimeout})
	}
	// jobs.Serve: background work a page started (a model report) ends
	// with the server and is waited for.
	return runAll(ctx, serveHTTP, work, jobs.Serve)
}

// shownDB is the store as serve names it on its start line, which ends up
// in the service's journal: a PostgreSQL URL without its password.
func shownDB(db string) string {
	if store.IsPostgres(db) {
		return store.RedactURL(db)
	}
	return db
}

// lockServe makes sure one server runs per SQLite file: a second one would
// share the outbox and the WhatsApp session (RELIABILITY F14). Held until
// serve returns (unlock). On PostgreSQL several servers share the database
// and leases decide who does what (serve_cluster.go).
func lockServe(c *Config) (unlock func(), err error) {
	if store.IsPostgres(c.DBPath) {
		return func() {}, nil
	}
	if err := store.CreateFile(c.DBPath); err != nil { // serve creates stores
		return nil, err
	}
	lock, err := store.Lock(c.DBPath)
	if err != nil {
		return nil, err
	}
	return func() { _ = lock.Unlock() }, nil
}

// dashboardDeps wires the dashboard to the running app, with serve's flags
// in opts and the Cloud API webhook (nil when not served) for /metrics. It
// also sets a.pairing when a WhatsApp channel is enabled, so that the
// channels mounted later report their pairing state to the page.
func dashboardDeps(a *app, c *Config, log *slog.Logger, jobs *dashboard.Jobs, cloud *bot.CloudAPI, opts dashboard.Options) dashboard.Deps {
	deps := dashboard.Deps{Store: a.store, Bot: a.bot, Log: log.With("component", "dashboard"), Jobs: jobs, Models: models{a},
		Services: a.machine.Config().Catalogue, Readiness: readiness{a}, Options: opts, Templates: c.templateCat}
	if cloud != nil {
		deps.Webhook = cloud // only when set: a nil *bot.CloudAPI is not a nil interface
	}
	if opts.Demo {
		// The HTTP server answers at once; pages say "preparing the demo"
		// until the store is seeded (a minute or two the first time).
		deps.Startup = dashboard.NewStartup()
		// The model page cross-validates the forest again for its report:
		// on a demo, with the demo's forest size (--demo-trees) at most.
		deps.Options.ReportTrees = min(100, c.DemoTrees)
	}
	if c.WhatsApp || c.cloudEnabled() {
		a.pairing = &linkedPairing{}
		if c.cloudEnabled() {
			a.pairing.cloud = "configured"
		}
		deps.Pairing = a.pairing // only when set: a nil *linkedPairing is not a nil interface
		// (the linked device, when enabled, is attached by linkedDevice)
	}
	return deps
}

// envOr is getenv(key), or def when unset.
func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// backgroundLoops are serve's loops, each under jobs: a panic or an error
// is logged without personal data, shown to admins and on /readyz, and the
// loop starts again; only the HTTP server ending stops serve. After a demo
// preparation, which ran the privacy and daily jobs once, their first
// round waits one period.
func backgroundLoops(a *app, c *Config, log *slog.Logger, jobs *dashboard.Jobs, channels []func(context.Context) error, prepared bool) []func(context.Context) error {
	loops := map[string]func(context.Context) error{
		"sweeper":     func(ctx context.Context) error { return a.bot.RunSweeper(ctx, c.IdleTimeout, time.Minute) },
		"model-watch": func(ctx context.Context) error { return a.scorer.Watch(ctx, c.ModelPoll) },
		"privacy": func(ctx context.Context) error {
			j := &store.PrivacyJobs{Store: a.store, Retention: c.retention(), Now: time.Now, Log: log.With("component", "privacy")}
			if prepared {
				j.LastRun = time.Now()
			}
			return j.Run(ctx, time.Minute)
		},
		"daily": func(ctx context.Context) error { return a.daily.Run(ctx, 24*time.Hour, prepared) },
		"staffing": func(ctx context.Context) error {
			return bot.Staffing{Store: a.store, Idle: c.AdvisorIdle, Log: log.With("component", "staffing")}.Run(ctx, 30*time.Second)
		},
		"webhooks": func(ctx context.Context) error {
			return webhookWorker(a, c, log).Run(ctx, time.Second)
		},
	}
	if r := c.reengager(a, log); c.cloudEnabled() && r.Enabled() {
		loops["reengage"] = func(ctx context.Context) error { return r.Run(ctx, 10*time.Minute) }
	}
	for name, loop := range loops { // once per cluster; each server watches its own models
		if name != "model-watch" {
			loops[name] = a.cluster.job(name, loop)
		}
	}
	loops["cluster-alive"], loops["cluster-orphans"] = a.cluster.alive, a.cluster.orphans
	for i, ch := range channels {
		loops[fmt.Sprintf("channel-%d", i+1)] = ch
	}
	var parts []func(context.Context) error
	for name, loop := range loops {
		parts = append(parts, func(ctx context.Context) error { return jobs.Loop(ctx, name, loop) })
	}
	return parts
}

// channelSet is what serve builds before the dashboard: the voice-note
// transcriber (nil without one) and the Cloud API webhook (nil when not
// configured), whose refusals the dashboard's /metrics counts.
type channelSet struct {
	tr    *bot.Transcriber
	cloud *bot.CloudAPI
	// meta sends conversion events to Meta (issue 18); nil without
	// --meta-dataset.
	meta func(context.Context) error
}

// newChannels builds the transcriber and, when configured, the Cloud API
// webhook; nothing runs until mountChannels mounts them.
func newChannels(a *app, c *Config, log *slog.Logger) (channelSet, error) {
	meta, err := c.metaSetup(a, log) // before any channel: events are queued from the first lead
	if err != nil {
		return channelSet{}, err
	}
	tr, err := c.transcriber()
	if err != nil || !c.cloudEnabled() {
		return channelSet{tr: tr, meta: meta}, err
	}
	cfg := c.cloudConfig()
	cfg.Crash, cfg.Transcriber = crashHook(c.getenv), tr
	cloud, err := bot.NewCloudAPI(a.bot, a.store, cfg, log.With("component", "cloudapi"))
	return channelSet{tr: tr, cloud: cloud, meta: meta}, err
}

// mountChannels puts the configured channels in front of the dashboard:
// the Cloud API webhook at /webhook/whatsapp, everything else to web. It
// starts the linked device when enabled, and returns the HTTP handler and
// the channels' background loops.
func mountChannels(ctx context.Context, a *app, c *Config, web http.Handler, ch channelSet, log *slog.Logger) (http.Handler, []func(context.Context) error, error) {
	var parts []func(context.Context) error
	if ch.meta != nil {
		parts = append(parts, ch.meta)
	}
	if ch.tr != nil {
		log.Info("voice notes are transcribed", "endpoint_host", transcribeHost(ch.tr.URL()))
	}
	if c.WhatsApp {
		p, err := linkedDevice(ctx, a, c, ch.tr, log)
		if err != nil {
			return nil, nil, err
		}
		parts = append(parts, p...)
	}
	cloud := ch.cloud
	if cloud == nil {
		return web, parts, nil
	}
	mux := http.NewServeMux()
	mux.Handle("/webhook/whatsapp", cloud)
	mux.Handle("/", web)
	log.Info("channel enabled", "channel", bot.CloudChannel, "webhook", "/webhook/whatsapp")
	return mux, append(parts, cloud.Run), nil
}

// linkedDevice wires the whatsmeow channel: the device store on the same
// file (its own handle), the client, the channel's sender, and the
// connection, which lasts until ctx ends.
func linkedDevice(ctx context.Context, a *app, c *Config, tr *bot.Transcriber, log *slog.Logger) ([]func(context.Context) error, error) {
	if err := bot.SetWhatsAppVersion(c.WhatsAppVersion); err != nil {
		return nil, fmt.Errorf("--whatsapp-version (CIS_WHATSAPP_VERSION): %w", err)
	}
	db, err := store.DeviceDB(c.DBPath, c.storeOptions(log))
	if err != nil {
		return nil, err
	}
	wc := c.whatsAppConfig(a.machine.Text("delay_apology"))
	wc.Transcriber = tr
	numbers, err := linkedNumbers(ctx, a.store) // serve_devices.go
	if err != nil || len(numbers) > 0 {
		if err != nil {
			_ = db.Close() // the start-up error is the one to report
			return nil, err
		}
		return linkedDevices(a, c, db, wc, numbers, log)
	}
	wa, err := bot.NewWhatsApp(a.bot, a.store, wc, log.With("component", "whatsapp"))
	if err != nil {
		_ = db.Close() // the start-up error is the one to report
		return nil, err
	}
	a.whatsapp = wa
	a.pairing.setCurrent(wa)
	// The reconnect loop (bot.WhatsApp.Link) opens the stored device, or a
	// new one after a logout, through this.
	open := func(ctx context.Context) (bot.Device, error) {
		cli, err := bot.OpenClient(ctx, db, c.whatsAppNumber(), log.With("component", "whatsmeow"))
		if err != nil {
			return nil, err
		}
		if cli.Store.ID == nil {
			log.Warn("whatsapp device not paired: run cis pair (or scan the QR the dashboard shows)")
		}
		return bot.NewDevice(cli), nil
	}
	// The notifier sends through the device: it runs where the device is
	// connected, and its reminders so run once per cluster.
	also, err := advisorNotifier(a, c, wa, bot.NotifierConfig{}, log)
	if err != nil {
		return nil, err
	}
	// One server connects the device at a time (its lease); the others
	// stand by to take it over.
	lease := a.cluster.lease(bot.LinkedDeviceLease(cmp.Or(c.whatsAppNumber(), "default")))
	connect := func(ctx context.Context) error { return wa.LinkLeased(ctx, lease, open, also...) }
	// Until a number is declared (serve_devices.go).
	return []func(context.Context) error{func(ctx context.Context) error {
		return singleUntilDeclared(ctx, a, c, db, wc, []func(context.Context) error{wa.Run, connect}, lease, log)
	}}, nil
}

// advisorNotifier is the advisors' notifier sending through wa, as a part
// to run beside wa's connection; none without --advisors. route says,
// with several devices, which notifications are wa's (Via, NoSweep).
func advisorNotifier(a *app, c *Config, wa *bot.WhatsApp, route bot.NotifierConfig, log *slog.Logger) ([]func(context.Context) error, error) {
	n, err := newAdvisorNotifier(a, c, wa, route, log)
	if err != nil || n == nil {
		return nil, err
	}
	return []func(context.Context) error{func(ctx context.Context) error { return n.Run(ctx, 30*time.Second) }}, nil
}

// newAdvisorNotifier is the advisors' notifier sending through wa; nil
// without --advisors.
func newAdvisorNotifier(a *app, c *Config, wa *bot.WhatsApp, route bot.NotifierConfig, log *slog.Logger) (*bot.Notifier, error) {
	if c.Advisors == "" {
		return nil, nil
	}
	return bot.NewNotifier(a.store, wa.Notify, bot.NotifierConfig{RemindBefore: c.AdvisorRemind,
		Reassign: c.AdvisorReassign, Text: a.machine.Text, Loc: flow.Bogota(), Via: route.Via, NoSweep: route.NoSweep},
		log.With("component", "advisors"))
}

// webhookWorker delivers the outgoing webhooks apart from the bot; its crash
// points are the sender's, named "webhook-send-after-claim" and
// "webhook-send-after-post" so that a crash test of the replies never hits them.
func webhookWorker(a *app, c *Config, log *slog.Logger) *bot.Webhooks {
	cfg := bot.WebhookConfig{AllowPrivate: c.WebhooksAllowPrivate}
	if hook := crashHook(c.getenv); hook != nil {
		cfg.Crash = func(p string) { hook("webhook-" + p) }
	}
	return bot.NewWebhooks(a.store, cfg, log.With("component", "webhooks"))
}

// runAll runs every part until ctx ends or one part fails, then stops the
// others and returns the first error.
func runAll(ctx context.Context, parts ...func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		once sync.Once
		err  error
	)
	for _, p := range parts {
		wg.Go(func() {
			if e := p(ctx); e != nil && !errors.Is(e, context.Canceled) {
				once.Do(func() { err = e })
			}
			cancel()
		})
	}
	wg.Wait()
	return err
}

// setAdvisors makes --advisors the active advisors, with the schedules,
// capacity and skills of --advisor-settings (advisors it does not name keep
// theirs). Leads are assigned even without a WhatsApp channel; their
// notifications then wait.
func setAdvisors(ctx context.Context, a *app, c *Config) error {
	as, err := c.advisors()
	if err != nil || as == nil {
		return err
	}
	if err := a.store.SetAdvisors(ctx, as); err != nil {
		return err
	}
	settings, err := c.advisorSettings()
	if err != nil {
		return err
	}
	for name, st := range settings {
		if err := a.store.SetAdvisorSettings(ctx, name, st); err != nil {
			return fmt.Errorf("--advisor-settings (CIS_ADVISOR_SETTINGS): %w", err)
		}
		// Audited like the admin form's changes; the actor is the start-up (user 0).
		if err := a.store.Audit(ctx, store.AuditEntry{Action: "advisor_settings", Object: "advisor:" + name, Detail: "--advisor-settings"}); err != nil {
			return err
		}
	}
	if err := storeModes(ctx, a, c); err != nil {
		return err
	}
	if !c.WhatsApp {
		a.log.Warn("advisors set but no linked device: leads are assigned, notifications wait", "advisors", len(as))
	}
	return nil
}

// storeModes makes --advisor-least-loaded, when given, the stored choice
// per class: the flag (automation) wins at start, the admin form from then
// on; without the flag the admin's last choice stays.
func storeModes(ctx context.Context, a *app, c *Config) error {
	if strings.TrimSpace(c.AdvisorLeastLoaded) == "" {
		return nil
	}
	rules, err := c.assignRules()
	if err != nil {
		return err
	}
	modes := map[flow.Class]string{}
	for _, class := range []flow.Class{flow.Hot, flow.Warm, flow.Cold} {
		modes[class] = store.ModeRotation
		if rules.Modes[class] == assign.LeastLoaded {
			modes[class] = store.ModeLeastLoaded
		}
	}
	if err := a.store.SetAssignModes(ctx, modes); err != nil {
		return err
	}
	return a.store.Audit(ctx, store.AuditEntry{Action: "assign_modes", Object: "agency",
		Detail: "--advisor-least-loaded=" + c.AdvisorLeastLoaded})
}

// transcribeHost is the transcription endpoint's host, for the start-up
// log (the URL itself may carry a key in its query).
func transcribeHost(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Host
	}
	return ""
}
