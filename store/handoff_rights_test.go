package store

import (
	"context"
	"errors"
	"testing"

	"github.com/cis-agencia/cis/flow"
)

// TestRightsHonouredInHandoff: whole conversations through the real flow
// and store in which a person has the chat. Carlos completes his lead and an
// advisor takes the chat over from the agency's phone; his "gracias" gets no
// bot reply, but "ya no me escribas más por favor" is an opt-out: recorded
// (revocation request, suppression), confirmed once, queued work for him
// cancelled, and the dashboard's hand-back does not bring the bot back.
// Laura asks for a person halfway and then "por favor borren mis datos":
// a deletion request is recorded and she is suppressed.
func TestRightsHonouredInHandoff(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-11-13 09:00"), nil)
	const carlos, laura, account = "+573001112233", "+573004445566", "573009999999"

	e.say(t, carlos, completeLead...)
	e.sendAll(t)
	v, err := e.s.Conversation(ctx, "whatsapp", account, carlos)
	if err != nil || v.Lead == nil {
		t.Fatalf("no lead for Carlos: %v", err)
	}
	if tk, err := e.s.TakeOver(ctx, "whatsapp", account, carlos, "wamid.phone.1", e.clock.now()); err != nil || !tk.Started {
		t.Fatalf("take over: %+v, %v", tk, err)
	}
	e.say(t, carlos, "listo, gracias")
	if n := e.sendAll(t); n != 0 {
		t.Fatalf("the bot answered %d messages in a chat an advisor has", n)
	}
	if _, err := e.s.EnqueueCommercial(ctx, carlos, "followup", "¿Seguimos con tu cotización?"); err != nil {
		t.Fatal(err)
	}
	e.say(t, carlos, "ya no me escribas más por favor")
	out, err := e.s.PendingOutbox(ctx, "whatsapp", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Key != "opted_out" || out[0].To != carlos {
		t.Fatalf("pending after the opt-out = %+v; want only its confirmation", out)
	}
	if n := count(t, e.s, `SELECT count(*) FROM data_requests WHERE kind = 'revoke'`); n != 1 {
		t.Errorf("%d revocation requests; want 1", n)
	}
	if _, err := e.s.EnqueueCommercial(ctx, carlos, "followup", "¿Seguimos?"); !errors.Is(err, ErrSuppressed) {
		t.Errorf("commercial after the opt-out: %v; want ErrSuppressed", err)
	}
	e.sendAll(t)
	if back, err := e.s.HandBackLead(ctx, v.Lead.ID, 0); err != nil || !back {
		t.Fatalf("hand back: %v, %v", back, err)
	}
	if v, _ := e.s.Conversation(ctx, "whatsapp", account, carlos); v.State.Status != flow.OptedOut {
		t.Errorf("after the hand-back the conversation is %s; want it to stay opted out", v.State.Status)
	}
	e.say(t, carlos, "hola?")
	if n := e.sendAll(t); n != 0 {
		t.Errorf("the bot wrote %d messages to a person who opted out", n)
	}

	e.say(t, laura, "hola", "sí", "Laura Gómez", "mejor quiero hablar con una persona")
	e.sendAll(t)
	e.say(t, laura, "por favor borren mis datos")
	if v, _ := e.s.Conversation(ctx, "whatsapp", account, laura); v.State.Status != flow.OptedOut {
		t.Errorf("Laura's conversation is %s after asking for deletion; want opted out", v.State.Status)
	}
	if n := count(t, e.s, `SELECT count(*) FROM data_requests WHERE kind = 'delete'`); n != 1 {
		t.Errorf("%d deletion requests; want Laura's", n)
	}
	if _, err := e.s.EnqueueCommercial(ctx, laura, "followup", "¿Seguimos?"); !errors.Is(err, ErrSuppressed) {
		t.Errorf("commercial after the deletion request: %v; want ErrSuppressed", err)
	}
}
