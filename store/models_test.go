package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

func TestModelLifecycle(t *testing.T) {
	ctx := context.Background()
	s, _ := mustOpen(t)
	if _, _, err := s.ActiveBundle(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ActiveBundle on an empty store: err = %v; want ErrNotFound", err)
	}
	a, err := s.SaveModel(ctx, []byte("bundle a"), "a", true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.SaveModel(ctx, []byte("bundle b"), "b", false)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name     string
		activate int64
		wantErr  error
		wantID   int64
		wantBody string
	}{
		{"first saved and activated", 0, nil, a, "bundle a"},
		{"switch to b", b, nil, b, "bundle b"},
		{"unknown id keeps b", 99, ErrNotFound, b, "bundle b"},
		{"back to a", a, nil, a, "bundle a"},
	}
	for _, st := range steps {
		if st.activate != 0 {
			if err := s.ActivateModel(ctx, st.activate); !errors.Is(err, st.wantErr) {
				t.Fatalf("%s: ActivateModel(%d) = %v; want %v", st.name, st.activate, err, st.wantErr)
			}
		}
		id, body, err := s.ActiveBundle(ctx)
		if err != nil || id != st.wantID || string(body) != st.wantBody {
			t.Errorf("%s: ActiveBundle = %d, %q, %v; want %d, %q", st.name, id, body, err, st.wantID, st.wantBody)
		}
	}
	list, err := s.Models(ctx)
	if err != nil || len(list) != 2 || !list[0].Active || list[1].Active || list[0].SHA256 == "" {
		t.Errorf("Models = %+v, %v; want a active, b inactive, with checksums", list, err)
	}
	if _, err := s.rw.Exec(`UPDATE models SET body = ? WHERE id = ?`, []byte("tampered"), a); err != nil {
		t.Fatal(err)
	}
	if id, _, err := s.ActiveBundle(ctx); !errors.Is(err, ErrCorrupt) || id != a {
		t.Errorf("ActiveBundle after tampering = %d, %v; want %d, ErrCorrupt", id, err, a)
	}
}

func TestImportHistoryIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s, _ := mustOpen(t)
	rev := int64(3_000_000)
	rows := []HistoryLead{
		{Key: "k1", CreatedAt: t0, Converted: true, RevenueCOP: &rev, Extra: map[string]string{"sector": "salud"},
			Lead: flow.Lead{City: flow.City{Code: "05001", Name: "Medellín"}, Urgency: flow.Immediate, Service: "ads"}},
		{Key: "k2", CreatedAt: t0.Add(time.Hour), Lead: flow.Lead{Budget: flow.Budget{Unknown: true}, Urgency: flow.Exploring}},
	}
	for round, want := range []int{2, 0} {
		n, err := s.ImportHistory(ctx, rows, nil)
		if err != nil || n != want {
			t.Fatalf("round %d: ImportHistory = %d, %v; want %d new", round, n, err, want)
		}
	}
	got, err := s.LabelledLeads(ctx)
	if err != nil || len(got) != 2 {
		t.Fatalf("LabelledLeads = %d rows, %v; want 2", len(got), err)
	}
	if got[0].Lead.City.Name != "Medellín" || !got[0].Converted || got[1].Converted || !got[1].Lead.Budget.Unknown {
		t.Errorf("LabelledLeads = %+v; want the imported values back in time order", got)
	}
	if n, c, err := s.CountLabelled(ctx); n != 2 || c != 1 || err != nil {
		t.Errorf("CountLabelled = %d, %d, %v; want 2, 1", n, c, err)
	}
}

// TestLabelledLeadsCarryEngagement: a bot lead's engagement comes back for
// training, the second lead of a contact is marked returning, and imported
// history and leads without engagement give nil (missing, not zero).
func TestLabelledLeadsCarryEngagement(t *testing.T) {
	ctx := context.Background()
	s, _ := mustOpen(t)
	if _, err := s.ImportHistory(ctx, []HistoryLead{{Key: "h", CreatedAt: t0.Add(-time.Hour), Converted: true,
		Lead: flow.Lead{Urgency: flow.Immediate, Service: "ads"}}}, nil); err != nil {
		t.Fatal(err)
	}
	leads := []struct {
		from string
		g    *flow.Engagement
	}{
		{"+573001110001", &flow.Engagement{Retries: 2, Seconds: 300}},
		{"+573001110001", &flow.Engagement{Retries: 0, Seconds: 90}},
		{"+573001110002", &flow.Engagement{}},
		{"+573001110003", nil},
	}
	for i, l := range leads {
		in := inbound(fmt.Sprintf("m%d", i), "seo")
		in.From = l.from
		started := t0.Add(time.Duration(i)*time.Minute - 10*time.Minute)
		_, err := s.Handle(ctx, in, func(st flow.State) flow.Result {
			g := l.g
			if g != nil { // as flow does: the store tells the step whether the contact is returning
				c := *g
				c.Returning = st.Contact.Returning
				g = &c
			}
			r := echoStep(flow.State{})
			r.State.Status = flow.Completed
			r.Events = []flow.Event{{Kind: flow.EventLeadCompleted, Deadline: t0.Add(time.Hour),
				Lead: &flow.Lead{Name: "P", Urgency: flow.Immediate, Service: "seo", StartedAt: started,
					CompletedAt: t0.Add(time.Duration(i) * time.Minute), Engagement: g},
				Score: &flow.Score{Class: flow.Hot, Probability: 0.8, Model: "rules"}}}
			return r
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.rw.Exec(`UPDATE leads SET status = 'won'`); err != nil {
		t.Fatal(err)
	}
	got, err := s.LabelledLeads(ctx)
	if err != nil || len(got) != 5 {
		t.Fatalf("LabelledLeads = %d rows, %v; want 5", len(got), err)
	}
	want := []*flow.Engagement{nil, {Retries: 2, Seconds: 300}, {Seconds: 90, Returning: true}, {}, nil}
	for i, h := range got {
		g := h.Lead.Engagement
		if (g == nil) != (want[i] == nil) || (g != nil && *g != *want[i]) {
			t.Errorf("row %d engagement = %+v; want %+v", i, g, want[i])
		}
		if i > 0 && !h.Lead.StartedAt.Equal(t0.Add(time.Duration(i-1)*time.Minute-10*time.Minute)) {
			t.Errorf("row %d started at %v; want the bot lead's first message", i, h.Lead.StartedAt)
		}
	}
}
