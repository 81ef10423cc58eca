package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// TestMenuTravelsWithTheReply: the menu a reply offers is queued with it and
// read back by the sender and the transcript; a reply without one has none.
func TestMenuTravelsWithTheReply(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	menu := &flow.Menu{Kind: flow.MenuList, Button: "Ver opciones", Options: []flow.Option{
		{ID: "urg_now", Title: "Lo antes posible"}, {ID: "urg_month", Title: "Este mes", Description: "En las próximas semanas"}}}
	step := func(st flow.State) flow.Result {
		st.Version, st.Status, st.Stage = flow.StateVersion, flow.InProgress, flow.StageUrgency
		return flow.Result{State: st, Replies: []flow.Reply{
			{Key: "ack", Text: "Listo."},
			{Key: "ask_urgency", Text: "¿Para cuándo?\n1. Lo antes posible\n2. Este mes", Menu: menu},
		}}
	}
	if _, err := s.Handle(ctx, inbound("m1", "hola"), step); err != nil {
		t.Fatal(err)
	}
	out, err := s.PendingOutbox(ctx, "chat", 10)
	if err != nil || len(out) != 2 {
		t.Fatalf("outbox = %+v, %v; want two replies", out, err)
	}
	if out[0].Menu != nil {
		t.Errorf("plain reply got a menu: %+v", out[0].Menu)
	}
	if !reflect.DeepEqual(out[1].Menu, menu) {
		t.Errorf("menu read back = %+v; want %+v", out[1].Menu, menu)
	}
	lines, err := s.Transcript(ctx, "+573001112233")
	if err != nil || len(lines) != 3 {
		t.Fatalf("transcript = %+v, %v", lines, err)
	}
	if lines[0].Menu != nil || lines[1].Menu != nil || !reflect.DeepEqual(lines[2].Menu, menu) {
		t.Errorf("transcript menus = %v %v %v; want only the question's", lines[0].Menu, lines[1].Menu, lines[2].Menu)
	}
	// A damaged menu column degrades to the numbered text, never an error.
	if _, err := s.rw.Exec(`UPDATE outbox SET menu = '{not json' WHERE key = 'ask_urgency'`); err != nil {
		t.Fatal(err)
	}
	if out, err := s.PendingOutbox(ctx, "chat", 10); err != nil || out[1].Menu != nil {
		t.Errorf("damaged menu: %+v, %v; want no menu and no error", out[1].Menu, err)
	}
}

func TestHoldKeepsOrderAndOnce(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	voice := inbound("v1", "")
	voice.Kind = flow.KindAudio
	voice.Referral = &flow.Referral{SourceType: "ad", SourceID: "123"}

	// Nothing held: a text is not held.
	if held, _, err := s.Hold(ctx, inbound("t0", "hola"), ""); err != nil || held {
		t.Fatalf("text with nothing held: held=%v err=%v", held, err)
	}
	tests := []struct {
		name  string
		in    flow.Inbound
		media string
		want  bool
		added bool
	}{
		{"voice note", voice, "media-1", true, true},
		{"redelivered voice note", voice, "media-1", true, false},
		{"text behind it", inbound("t1", "soy Ana"), "", true, true},
		{"another person's text", flow.Inbound{Channel: "chat", Account: "acct", ID: "o1", From: "+573009999999", Kind: flow.KindText, Text: "hola", At: t0}, "", false, false},
	}
	for _, tt := range tests {
		held, added, err := s.Hold(ctx, tt.in, tt.media)
		if err != nil || held != tt.want || added != tt.added {
			t.Errorf("%s: held=%v added=%v err=%v; want %v %v", tt.name, held, added, err, tt.want, tt.added)
		}
	}
	if n, err := s.HeldSenders(ctx, "chat"); err != nil || len(n) != 1 || n["+573001112233"] != 2 {
		t.Errorf("held senders = %v, %v; want the person with 2", n, err)
	}
	heads, err := s.HeldHeads(ctx, "chat", 10)
	if err != nil || len(heads) != 1 {
		t.Fatalf("heads = %+v, %v; want the voice note alone", heads, err)
	}
	h := heads[0]
	if h.Media != "media-1" || h.In.ID != "v1" || h.In.Kind != flow.KindAudio || h.In.Referral == nil || h.In.Referral.SourceID != "123" || h.Done {
		t.Errorf("head = %+v", h)
	}
	if !h.Due.Equal(t0) || !h.Since.Equal(t0) {
		t.Errorf("held since %v, due %v; want both %v", h.Since, h.Due, t0)
	}
	// A failed attempt makes it due later; nothing behind it overtakes.
	if err := s.RetryHeld(ctx, h.ID, t0.Add(time.Minute), "transcriber 503"); err != nil {
		t.Fatal(err)
	}
	if heads, _ := s.HeldHeads(ctx, "chat", 10); len(heads) != 1 || heads[0].ID != h.ID || !heads[0].Due.Equal(t0.Add(time.Minute)) {
		t.Errorf("heads while the voice note waits for a retry = %+v; want it alone, due in a minute", heads)
	}
	// Handled, then a crash before the release: the head says Done.
	if _, err := s.Handle(ctx, h.In, echoStep); err != nil {
		t.Fatal(err)
	}
	heads, _ = s.HeldHeads(ctx, "chat", 10)
	if len(heads) != 1 || !heads[0].Done || heads[0].Attempts != 1 {
		t.Fatalf("heads after Handle = %+v; want the voice note, done, one attempt", heads)
	}
	if err := s.ReleaseHeld(ctx, h.ID); err != nil {
		t.Fatal(err)
	}
	heads, _ = s.HeldHeads(ctx, "chat", 10)
	if len(heads) != 1 || heads[0].In.ID != "t1" || heads[0].In.Text != "soy Ana" || heads[0].Media != "" {
		t.Fatalf("next head = %+v; want the text held behind", heads)
	}
	// A message the log already has is never held again (Meta redelivers for days).
	if held, _, err := s.Hold(ctx, voice, "media-1"); err != nil || held {
		t.Errorf("redelivery of a handled voice note: held=%v err=%v; want not held", held, err)
	}
}

func TestEraseDropsHeldMessages(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	if _, err := s.Handle(ctx, inbound("m1", "hola"), echoStep); err != nil {
		t.Fatal(err)
	}
	voice := inbound("v1", "")
	voice.Kind = flow.KindAudio
	if _, _, err := s.Hold(ctx, voice, "media-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EraseByPhone(ctx, "+573001112233", EraseRequested, "chat", 0); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM held_inbound`); n != 0 {
		t.Errorf("%d held messages left after the deletion", n)
	}
}
