package scoring

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// bundleSource is where Active finds the active bundle; *store.Store
// satisfies it. It returns an error wrapping store.ErrNotFound when no model
// is active (Active treats every error the same way: keep what it has).
type bundleSource interface {
	ActiveBundle(ctx context.Context) (id int64, body []byte, err error)
}

// Active is the scorer the bot uses: the active trained model when one has
// loaded and passed validation, the rule-based scorer otherwise. Load and
// Watch swap models atomically; Score never blocks and is safe for
// concurrent use.
type Active struct {
	src     bundleSource
	log     *slog.Logger
	min     MinHistory
	lang    string
	current atomic.Pointer[Model]
	rules   Rules

	mu       sync.Mutex
	loaded   int64  // id of the last bundle tried, so a bad one is reported once
	status   string // what the dashboard shows
	fallback bool   // the store has an active model that did not load (Fallback)
}

// NewActive returns an Active that scores with the rules until Load finds
// a valid bundle trained on at least min labelled history. lang is the
// language of the reasons ("es" or "en").
func NewActive(src bundleSource, log *slog.Logger, min MinHistory, lang string) *Active {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Active{src: src, log: log, min: min, lang: lang}
	a.status = "rules: no trained model yet"
	return a
}

// Score implements flow.Scorer.
func (a *Active) Score(l flow.Lead) flow.Score {
	if m := a.current.Load(); m != nil {
		return m.Score(l)
	}
	return a.rules.Score(l)
}

// Current returns the model in use, or nil when the rules are.
func (a *Active) Current() *Model { return a.current.Load() }

// Status says which scorer is in use and why, for the dashboard and logs.
func (a *Active) Status() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status
}

// Fallback reports whether leads are scored by a fallback: the store names
// an active model but it did not load (corrupt, invalid, trained on too
// little history), so the rules or the previous model serve instead. A store
// with no trained model yet is not a fallback: the rules are the design
// then. The reason is Status's text, for /readyz.
func (a *Active) Fallback() (bool, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.fallback, a.status
}

// Load checks the source once and swaps in the active bundle if it changed
// and is valid. On any failure the current scorer stays and the error is
// returned (and logged once per bundle id).
func (a *Active) Load(ctx context.Context) error {
	id, body, err := a.src.ActiveBundle(ctx)
	a.mu.Lock()
	defer a.mu.Unlock()
	if cur := a.current.Load(); err == nil && cur != nil && cur.ID == id {
		return nil
	}
	if err == nil {
		var m *Model
		if m, err = a.decode(id, body); err == nil {
			a.current.Store(m)
			a.loaded, a.fallback = id, false
			a.status = fmt.Sprintf("model %s (%d leads, %d conversions)", m.Version, m.Bundle.Rows, m.Bundle.Positives)
			a.log.Info("model loaded", "model", m.Version, "leads", m.Bundle.Rows)
			return nil
		}
	}
	keep := "rules"
	if cur := a.current.Load(); cur != nil {
		keep = cur.Version
	}
	msg := fmt.Sprintf("%s: %v", keep, err)
	if msg != a.status || id != a.loaded {
		if id == 0 { // no active bundle at all (a new store): expected, not a warning
			a.log.Debug("no active model; keeping the current scorer", "keeping", keep, "err", err)
		} else {
			a.log.Warn("model not loaded; keeping the current scorer", "model_id", id, "keeping", keep, "err", err)
		}
	}
	a.status, a.loaded = msg, id
	a.fallback = id != 0
	return err
}

func (a *Active) decode(id int64, body []byte) (*Model, error) {
	b, err := DecodeBundle(body)
	if err != nil {
		return nil, fmt.Errorf("model %d: %w", id, err)
	}
	if b.Rows < a.min.Leads || b.Positives < a.min.Conversions {
		return nil, fmt.Errorf("model %d: %w: trained on %d leads with %d conversions; need %d with %d",
			id, ErrNotEnoughHistory, b.Rows, b.Positives, a.min.Leads, a.min.Conversions)
	}
	m, err := NewModel(id, b)
	if err != nil {
		return nil, fmt.Errorf("model %d: %w", id, err)
	}
	m.Lang = a.lang
	return m, nil
}

// Watch calls Load every interval until ctx ends, so a model activated with
// `cis models activate` is picked up without a restart. It returns nil when
// ctx is cancelled; load errors are logged, never returned.
func (a *Active) Watch(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			_ = a.Load(ctx) // failures keep the current scorer and are logged by Load
		}
	}
}
