package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cis-agencia/cis/flow/templates"
	"github.com/cis-agencia/cis/store"
)

// reengageStore is what the re-engagement job needs.
type reengageStore interface {
	AbandonedConversations(ctx context.Context, idle, maxAge time.Duration, limit int) ([]store.Abandoned, error)
	Reengage(ctx context.Context, id int64, t store.TemplateSend, body string) (bool, error)
}

// ReengageMaxAge bounds which abandoned conversations are re-engaged: a
// person silent for longer than a week is left alone.
const ReengageMaxAge = 7 * 24 * time.Hour

// Reengager invites, once, each person who gave consent on the Cloud API
// and stopped answering halfway to go on, with the catalogue's reengage
// template (issue 18). The template queues as a commercial outbox row:
// the Cloud API's sender sends it inside the Ley 2300 hours, never to a
// person who opted out.
type Reengager struct {
	Store     reengageStore
	Templates templates.Catalogue
	Idle      time.Duration // how long the person has been silent; 0 turns the job off
	Lang      string        // templates in this language are preferred
	Log       *slog.Logger
}

// Enabled reports whether the job has something to do: a wait and a
// reengage template.
func (r *Reengager) Enabled() bool {
	return r.Idle > 0 && len(r.Templates.For(templates.UseReengage, r.Lang)) > 0
}

// Once queues the re-engagements due now and returns how many it queued.
func (r *Reengager) Once(ctx context.Context) (int, error) {
	if !r.Enabled() {
		return 0, nil
	}
	todo, err := r.Store.AbandonedConversations(ctx, r.Idle, ReengageMaxAge, 200)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range todo {
		t, body, ok := r.template(a)
		if !ok {
			continue // no template fits (it needs a name they never gave)
		}
		queued, err := r.Store.Reengage(ctx, a.ConversationID, t, body)
		switch {
		case errors.Is(err, store.ErrSuppressed):
			continue
		case err != nil:
			return n, err
		case queued:
			n++
		}
	}
	if n > 0 && r.Log != nil {
		r.Log.Info("re-engagements queued", "count", n)
	}
	return n, nil
}

// template is the first reengage template that can be filled in for a.
func (r *Reengager) template(a store.Abandoned) (store.TemplateSend, string, bool) {
	for _, t := range r.Templates.For(templates.UseReengage, r.Lang) {
		params, body, err := t.Fill(templates.Values{templates.ParamName: a.Name})
		if err == nil {
			return store.TemplateSend{Name: t.Name, Language: t.Language, Category: t.Category, Params: params}, body, true
		}
	}
	return store.TemplateSend{}, "", false
}

// Run calls Once every period until ctx ends.
func (r *Reengager) Run(ctx context.Context, every time.Duration) error {
	return repeat(ctx, every, func() error {
		if _, err := r.Once(ctx); err != nil {
			return fmt.Errorf("re-engagement: %w", err)
		}
		return nil
	})
}
