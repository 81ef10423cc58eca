package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/dashboard"
	"github.com/cis-agencia/cis/store"
)

// demoProspects is how many made-up prospects `serve --demo` seeds.
const demoProspects = 60

func serveCmd(ctx context.Context, e env, args []string) error {
	fs, c := newFlagSet("serve", e.getenv)
	demo := fs.Bool("demo", false, "seed a demo store the first time (made-up prospects through the real flow)")
	secure := fs.Bool("secure", e.getenv("CIS_SECURE") == "true", "the dashboard is served over HTTPS: Secure __Host- cookies and HSTS (env CIS_SECURE)")
	metricsToken := fs.String("metrics-token", e.getenv("CIS_METRICS_TOKEN"), "bearer token for /metrics scrapers; admins can always read it (env CIS_METRICS_TOKEN)")
	widgetOrigins := fs.String("widget-origins", e.getenv("CIS_WIDGET_ORIGINS"), "space-separated sites allowed to embed the web chat widget (env CIS_WIDGET_ORIGINS)")
	fs.SetOutput(e.stderr)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	c.creates = true
	log := newLogger(c, e.stderr)
	// One server per store: a second one would share the outbox and the
	// WhatsApp session (RELIABILITY F14). Held until serve returns.
	if err := store.CreateFile(c.DBPath); err != nil { // serve creates stores
		return err
	}
	lock, err := store.Lock(c.DBPath)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	a, err := open(ctx, c, log, time.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	if *demo {
		if err := seedHistory(ctx, a, env{stderr: e.stderr}); err != nil {
			return err
		}
		if _, err := seedCustomers(ctx, a, env{stderr: e.stderr}); err != nil {
			return err
		}
		if err := seedDemo(ctx, a); err != nil {
			return err
		}
		// After the made-up prospects: seedDemo seeds only a store without conversations.
		if err := seedAnalytics(ctx, a); err != nil {
			return err
		}
		if err := demoAdmin(ctx, e, a); err != nil {
			return err
		}
	}
	deps := dashboard.Deps{Store: a.store, Bot: a.bot, Log: log.With("component", "dashboard"),
		Secure: *secure, MetricsToken: *metricsToken, WidgetOrigins: strings.Fields(*widgetOrigins), Model: a.modelName,
		Services: a.machine.Config().Catalogue, Readiness: readiness{a}, WebhookRefusals: a.webhookRefusals, LeadValue: a.leadValue,
		LeadModel: a.leadModelInfo, ChurnModel: a.churnModelInfo}
	if c.WhatsApp || c.cloudEnabled() {
		a.pairing = &linkedPairing{}
		if c.cloudEnabled() {
			a.pairing.cloud = "configured"
		}
		deps.Pairing = a.pairing // only when set: a nil *linkedPairing is not a nil interface
		// (the linked device, when enabled, is attached by linkedDevice)
	}
	web, err := dashboard.New(deps)
	if err != nil {
		return err
	}
	if err := setAdvisors(ctx, a, c); err != nil {
		return err
	}
	handler, channels, err := mountChannels(ctx, a, c, web, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("--addr (CIS_ADDR): %w", err)
	}
	fmt.Fprintf(e.stdout, "cis: serving on http://%s (dashboard: /, web chat: /chat, health: /healthz, /readyz); store %s\n", ln.Addr(), c.DBPath)
	parts := append(channels,
		func(ctx context.Context) error {
			return dashboard.ServeTimeouts(ctx, ln, handler, log, dashboard.Timeouts{Body: c.BodyTimeout})
		},
		func(ctx context.Context) error { return a.bot.RunSweeper(ctx, c.IdleTimeout, time.Minute) },
		func(ctx context.Context) error { return a.scorer.Watch(ctx, c.ModelPoll) },
		func(ctx context.Context) error {
			j := &privacyJobs{store: a.store, retention: c.retention(), now: time.Now, log: log.With("component", "privacy")}
			return j.run(ctx, time.Minute)
		},
		func(ctx context.Context) error { return a.dailyJobs(ctx, 24*time.Hour) },
	)
	return runAll(ctx, parts...)
}

// mountChannels puts the configured channels in front of the dashboard:
// the Cloud API webhook at /webhook/whatsapp, everything else to web. It
// returns the HTTP handler and the channels' background loops.
func mountChannels(ctx context.Context, a *app, c *Config, web http.Handler, log *slog.Logger) (http.Handler, []func(context.Context) error, error) {
	var parts []func(context.Context) error
	tr, err := c.transcriber()
	if err != nil {
		return nil, nil, err
	}
	if tr != nil {
		log.Info("voice notes are transcribed", "endpoint_host", transcribeHost(tr.URL()))
	}
	if c.WhatsApp {
		p, err := linkedDevice(ctx, a, c, tr, log)
		if err != nil {
			return nil, nil, err
		}
		parts = append(parts, p...)
	}
	if !c.cloudEnabled() {
		return web, parts, nil
	}
	cfg := c.cloudConfig()
	cfg.Crash, cfg.Transcriber = crashHook(c.getenv), tr
	cloud, err := bot.NewCloudAPI(a.bot, a.store, cfg, log.With("component", "cloudapi"))
	if err != nil {
		return nil, nil, err
	}
	a.cloud = cloud
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
	wa, err := bot.NewWhatsApp(a.bot, a.store, wc, log.With("component", "whatsapp"))
	if err != nil {
		_ = db.Close() // the start-up error is the one to report
		return nil, err
	}
	a.whatsapp = wa
	a.pairing.wa = wa
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
	connect := func(ctx context.Context) error {
		defer db.Close()
		return wa.Link(ctx, open)
	}
	parts := []func(context.Context) error{wa.Run, connect}
	if c.Advisors != "" {
		loc, err := time.LoadLocation("America/Bogota")
		if err != nil {
			return nil, err
		}
		n, err := bot.NewNotifier(a.store, wa.Notify, bot.NotifierConfig{RemindBefore: c.AdvisorRemind,
			Reassign: c.AdvisorReassign, Text: a.machine.Text, Loc: loc}, log.With("component", "advisors"))
		if err != nil {
			return nil, err
		}
		parts = append(parts, func(ctx context.Context) error { return n.Run(ctx, 30*time.Second) })
	}
	return parts, nil
}

// seedDemo fills an empty store with demo conversations; a store that
// already has conversations is left alone, so restarts do not duplicate.
func seedDemo(ctx context.Context, a *app) error {
	// Only the demo account counts: `cis demo` may have added past leads
	// (analytics) on their own account before the first serve --demo.
	seeded, err := a.store.CountConversations(ctx, bot.DemoChannel, bot.DemoAccount)
	if err != nil {
		return err
	}
	if seeded > 0 {
		a.log.Info("demo store already seeded", "conversations", seeded)
		return nil
	}
	// The demo bot runs on its own clock so that made-up prospects write
	// during the past week; the served bot keeps the real clock.
	clock := bot.NewClock(time.Now())
	b, err := bot.New(bot.Deps{Store: a.store, Flow: a.machine, Now: clock.Now, Log: a.log.With("component", "demo")})
	if err != nil {
		return err
	}
	n, err := bot.SeedDemo(ctx, b, clock, time.Now(), demoProspects, 1)
	if err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	st, err := a.store.Stats(ctx)
	if err != nil {
		return err
	}
	a.log.Info("demo store seeded", "messages", n, "conversations", st.Conversations, "leads", st.Leads,
		"hot", st.LeadsByClass["hot"], "warm", st.LeadsByClass["warm"], "cold", st.LeadsByClass["cold"])
	return nil
}

// demoAdmin creates the demo's admin account on a store without users and
// prints its login once; a real deployment creates it with `cis users add`.
func demoAdmin(ctx context.Context, e env, a *app) error {
	n, err := a.store.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	pw := generatePassword()
	if _, err := createUser(ctx, a.store, "demo-admin", "admin", pw); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "cis: demo login: user demo-admin, password %s (shown once)\n", pw)
	return nil
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

// setAdvisors makes --advisors the active advisors. Leads are assigned in
// turn even without a WhatsApp channel; their notifications then wait.
func setAdvisors(ctx context.Context, a *app, c *Config) error {
	as, err := c.advisors()
	if err != nil || as == nil {
		return err
	}
	if err := a.store.SetAdvisors(ctx, as); err != nil {
		return err
	}
	if !c.WhatsApp {
		a.log.Warn("advisors set but no linked device: leads are assigned, notifications wait", "advisors", len(as))
	}
	return nil
}

// transcribeHost is the transcription endpoint's host, for the start-up
// log (the URL itself may carry a key in its query).
func transcribeHost(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Host
	}
	return ""
}
