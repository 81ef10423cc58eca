package store

import (
	"context"
	"errors"
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
