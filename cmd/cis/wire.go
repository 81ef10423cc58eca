package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/bot/redact"
	"github.com/cis-agencia/cis/dashboard"
	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/daily"
	"github.com/cis-agencia/cis/store"
)

// app is the wired system: the only place that knows every concrete type.
type app struct {
	cfg     *Config
	log     *slog.Logger
	store   *store.Store
	machine *flow.Machine
	bot     *bot.Bot
	// whatsapp is the linked-device channel when enabled; its Status and
	// Subscribe are for the dashboard's pairing page.
	whatsapp *bot.WhatsApp
	pairing  *linkedPairing // the dashboard's view of whatsapp; nil without it
	scorer   *scoring.Active
	// daily refits the deal values that price leads for the queue and
	// scores churn.
	daily *daily.Jobs
	// churnInfo describes the active churn model for the accuracy page.
	churnInfo *scoring.ChurnMeasured
	// cluster holds serve's leases (serve_cluster.go); nil in other commands.
	cluster *cluster
}

// newLogger builds the one logger every command passes down: JSON, at
// --log-level, and redacted (phone numbers masked, personal-data keys
// blanked) whatever a component or whatsmeow writes to it.
func newLogger(c *Config, w io.Writer) *slog.Logger {
	level, _ := c.logLevel() // checked by parse
	return slog.New(redact.Handler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})))
}

// open wires store, flow and bot. now is the clock the bot runs on.
func open(ctx context.Context, c *Config, log *slog.Logger, now func() time.Time) (*app, error) {
	return openClock(ctx, c, log, now, nil)
}

// openClock is open with the store's own clock (nil: time.Now): serve
// --demo gives the store and the demo's prospects one clock, so that the
// times they record agree.
func openClock(ctx context.Context, c *Config, log *slog.Logger, now, storeNow func() time.Time) (*app, error) {
	fc, err := c.flowConfig()
	if err != nil {
		return nil, err
	}
	opt := c.storeOptions(log.With("component", "store"))
	opt.Now = storeNow
	st, err := store.Open(ctx, c.DBPath, opt)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	// The active trained model scores leads; the rules do until one loads.
	// A missing or invalid bundle is logged by Load and never stops the start.
	scorer := scoring.NewActive(st, log.With("component", "scoring"), c.minHistory(), c.Lang)
	_ = scorer.Load(ctx)
	m, err := flow.New(fc, scorer)
	if err != nil {
		_ = st.Close() // the start-up error is the one to report
		return nil, err
	}
	b, err := bot.New(bot.Deps{Store: st, Flow: m, Now: now, Log: log.With("component", "bot")})
	if err != nil {
		_ = st.Close() // the start-up error is the one to report
		return nil, err
	}
	d := &daily.Jobs{Store: st, Lang: c.Lang, Log: log}
	return &app{cfg: c, log: log, store: st, machine: m, bot: b, scorer: scorer, daily: d,
		churnInfo: scoring.NewChurnMeasured(st, c.Lang)}, nil
}

func (a *app) Close() error { return a.store.Close() }

// modelName names the model scoring leads now: "forest:<id>" or "rules".
func (a *app) modelName() string {
	if m := a.scorer.Current(); m != nil {
		return m.Version
	}
	return "rules"
}

// leadModelInfo tells the accuracy page what the model in use measured at
// training time (scoring.Active.Measured).
func (a *app) leadModelInfo() dashboard.ModelInfo {
	return modelInfo(a.scorer.Measured())
}

// churnModelInfo is leadModelInfo for the active churn model
// (scoring.ChurnMeasured); the error wraps store.ErrNotFound when no churn
// model is active.
func (a *app) churnModelInfo(ctx context.Context) (dashboard.ModelInfo, error) {
	m, err := a.churnInfo.Get(ctx)
	return modelInfo(m), err
}

func modelInfo(m scoring.Measured) dashboard.ModelInfo {
	return dashboard.ModelInfo{Name: m.Name, TrainAUC: m.TrainAUC, Hot: m.Hot, Warm: m.Warm}
}

// models is the app's live scoring models as the dashboard reads them
// (dashboard.Models).
type models struct{ a *app }

func (m models) Name() string { return m.a.modelName() }

func (m models) LeadValue(p float64, service string, b flow.Budget) int64 {
	return m.a.daily.LeadValue(p, service, b)
}

func (m models) LeadModel() dashboard.ModelInfo { return m.a.leadModelInfo() }

func (m models) ChurnModel(ctx context.Context) (dashboard.ModelInfo, error) {
	return m.a.churnModelInfo(ctx)
}
