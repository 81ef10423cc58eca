// Package seeding gives a store the demo agency (package demo's generated
// history, customers, campaigns and past bot leads) and trains its first
// models, the way `cis demo` and `cis serve --demo` start. Each step leaves
// a store that already has what it seeds alone, so restarts do not
// duplicate. The store and the training are passed in as the small
// interfaces below; cmd/cis wires them.
package seeding

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/demo"
	"github.com/cis-agencia/cis/scoring/importer"
	"github.com/cis-agencia/cis/scoring/learn"
	"github.com/cis-agencia/cis/store"
)

// Store is what seeding reads and writes; *store.Store satisfies it.
type Store interface {
	CountLabelled(ctx context.Context) (leads, conversions int, err error)
	ImportHistory(ctx context.Context, rows []store.HistoryLead, progress func(done, total int, step string)) (int, error)
	SaveImportRun(ctx context.Context, kind string, stats []byte) error
	CustomerHistories(ctx context.Context, activeOnly bool) ([]store.CustomerHistory, error)
	ImportCustomers(ctx context.Context, rows []store.CustomerImport, progress func(done, total int, step string)) (int, int, error)
	ActiveBundleKind(ctx context.Context, kind string) (int64, []byte, error)
	Campaigns(ctx context.Context, p store.Period) ([]store.CampaignFacts, error)
	InsertPastLeads(ctx context.Context, address, phonePrefix string, leads []store.PastLead, dropouts []store.Dropout) error
	ImportCampaigns(ctx context.Context, rows []store.CampaignRow) (store.CampaignImport, error)
	SeedMessagingCosts(ctx context.Context, address string) (int, error)
}

// Models trains, saves and applies models as cis train and the daily
// churn job do; the demo only chooses their settings.
type Models interface {
	// Current is the active lead model, nil while the rules score.
	Current() *scoring.Model
	// Train trains a lead model on the store's labelled leads and
	// activates it, returning its id.
	Train(ctx context.Context, o scoring.TrainOptions) (int64, error)
	// TrainChurn trains a churn model on the store's customers (a snapshot
	// every few months) and activates it.
	TrainChurn(ctx context.Context, o scoring.TrainOptions, every int) (int64, error)
	// ScoreChurn scores the active customers and says how many.
	ScoreChurn(ctx context.Context, now time.Time) (int, error)
}

// Options are the demo's size and what follows its progress.
type Options struct {
	Leads int // leads in the demo history (--demo-leads)
	Trees int // trees per forest of the first models (--demo-trees)
	Now   func() time.Time
	Log   *slog.Logger
	// Step, when set, names each step as it starts ("history",
	// "lead_model", "customers", "churn_model"); Bar returns the progress
	// function of a labelled step, or nil.
	Step func(key string)
	Bar  func(label string) func(done, total int, step string)
}

func (o Options) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}

func (o Options) step(key string) {
	if o.Step != nil {
		o.Step(key)
	}
}

func (o Options) bar(label string) func(done, total int, step string) {
	if o.Bar == nil {
		return nil
	}
	return o.Bar(label)
}

func (o Options) log() *slog.Logger {
	if o.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Log
}

// The demo's first start must stay under a minute on the 2-core machine
// (docs/models.md), so its lead model is trained like cis train's but
// with a stored forest setting instead of the nested search (leadForest)
// and with 3 cross-validation folds instead of 5; cis train on the demo
// store tunes and compares on 5.
const leadFolds = 3

// leadForest is the production forest's setting for the demo history,
// stored so that the first start does not search it again: the library's
// defaults, which cis train's nested search on the demo store kept in every
// fold and for the production forest (docs/models.md); the number of trees
// is --demo-trees.
var leadForest = learn.ForestParams{}

// HistoryEnd is where the demo lead history ends: the start of now's
// month, so it is the same all month long and leaves room for the live
// demo prospects.
func HistoryEnd(now time.Time) time.Time {
	now = now.UTC()
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// History gives an empty store the demo agency's history (demo.History)
// and trains the first model on it. A store with history or an active
// model is left alone.
func History(ctx context.Context, st Store, m Models, o Options) error {
	if m.Current() != nil {
		return nil
	}
	n, _, err := st.CountLabelled(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		o.step("history")
		if err := importHistory(ctx, st, o); err != nil {
			return fmt.Errorf("demo history: %w", err)
		}
	}
	o.step("lead_model")
	id, err := m.Train(ctx, scoring.TrainOptions{Trees: o.Trees, Folds: leadFolds, Seed: demo.Seed, Forest: &leadForest, Progress: o.bar("train")})
	if err != nil {
		return fmt.Errorf("demo model: %w", err)
	}
	o.log().Info("demo model trained", "model_id", id)
	return nil
}

// importHistory stores the generated history as an import would, with
// the import's record (every row good: the generator already speaks the
// gazetteer's names).
func importHistory(ctx context.Context, st Store, o Options) error {
	places, err := place.Load()
	if err != nil {
		return err
	}
	hist := demo.History(places, o.Leads, HistoryEnd(o.now()), demo.Seed)
	rows := make([]store.HistoryLead, len(hist))
	for i, h := range hist {
		var rev *int64
		if h.RevenueCOP > 0 {
			rev = &h.RevenueCOP
		}
		rows[i] = store.HistoryLead{Key: fmt.Sprintf("demo-%d-%d", demo.Seed, i), Lead: h.Lead, CreatedAt: h.Lead.CompletedAt,
			Converted: h.Converted, RevenueCOP: rev, Extra: map[string]string{"agency": demo.Agency}}
	}
	added, err := st.ImportHistory(ctx, rows, o.bar("demo history"))
	if err != nil {
		return err
	}
	stats, err := json.Marshal(importer.DemoStats(len(rows), added))
	if err != nil {
		return err
	}
	return st.SaveImportRun(ctx, "leads", stats)
}

// churnForest is the demo churn forest's setting: the library's
// defaults, not tuned, so the first start stays short; cis train churn
// tunes it.
var churnForest = learn.ForestParams{}

// churnTrees caps the churn forest of the demo, which is also trained
// with 3 folds, without the other families and on every other month's
// snapshot, so that the extra start-up time stays small
// (docs/benchmarks.md); cis train churn compares them all on every month.
const churnTrees = 50

// Customers gives a store without customers the demo agency's customers
// (every converted lead of the demo history, with a simulated history up
// to now: demo.Customers), trains the churn model on them when none is
// active, and scores the active customers. It returns how many were
// scored. A store with customers and a churn model is only rescored.
func Customers(ctx context.Context, st Store, m Models, o Options) (int, error) {
	hs, err := st.CustomerHistories(ctx, false)
	if err != nil {
		return 0, err
	}
	now := o.now()
	if len(hs) == 0 {
		o.step("customers")
		places, err := place.Load()
		if err != nil {
			return 0, err
		}
		hist := demo.History(places, o.Leads, HistoryEnd(now), demo.Seed)
		rows := demo.Customers(hist, now.UTC(), demo.Seed, fmt.Sprintf("demo-%d-", demo.Seed))
		if _, _, err := st.ImportCustomers(ctx, rows, o.bar("demo customers")); err != nil {
			return 0, fmt.Errorf("demo customers: %w", err)
		}
	}
	if _, _, err := st.ActiveBundleKind(ctx, store.KindChurn); errors.Is(err, store.ErrNotFound) {
		o.step("churn_model")
		trees := min(o.Trees, churnTrees)
		to := scoring.TrainOptions{Trees: trees, Folds: 3, Seed: demo.Seed, Forest: &churnForest, Models: learn.ModelsWith(trees, &churnForest)[:1], Progress: o.bar("train churn")}
		id, err := m.TrainChurn(ctx, to, 2)
		if errors.Is(err, scoring.ErrNotEnoughHistory) || errors.Is(err, learn.ErrTiersNotOrdered) {
			// A tiny demo (--demo-leads) may have too few cancellations, or a
			// forest too small to rank them: the demo still runs, without
			// churn scores, and the churn page says how to train.
			o.log().Warn("demo churn model not trained", "err", err)
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("demo churn model: %w", err)
		}
		o.log().Info("demo churn model trained", "model_id", id)
	}
	return m.ScoreChurn(ctx, now)
}
