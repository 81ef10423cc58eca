package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// TestNumbersBothEngines: two declared Cloud API numbers with their brands
// and advisors; a whole conversation on each becomes a lead of its own
// number, given to that number's advisor, and the queue filters by number;
// a delivery for a third, undeclared number is held whole, listed for the
// operator and replayable once. On SQLite and on PostgreSQL.
func TestNumbersBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		clock := &pgClock{now: pgT0}
		s := e.open(t, Options{Now: clock.Now})
		if ok, err := s.NumberKnown(ctx, "cloudapi", "111"); err != nil || !ok {
			t.Fatalf("before any number is declared every number is answered: %v, %v", ok, err)
		}
		if err := s.SetAdvisors(ctx, []Advisor{{"Ana", "+573000000001"}, {"Beto", "+573000000002"}}); err != nil {
			t.Fatal(err)
		}
		norte := Number{Channel: "cloudapi", Address: "111", Brand: "Norte Digital", Contact: "datos@norte.example", Advisors: []string{"ana"}}
		sur := Number{Channel: "cloudapi", Address: "222", Brand: "Sur Creativo", Services: `[{"key":"video"}]`, Advisors: []string{"Beto"}}
		for _, n := range []Number{norte, sur} {
			if err := s.DeclareNumber(ctx, n, 7, "10.0.0.1"); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeclareNumber(ctx, Number{Channel: "cloudapi", Address: "333", Brand: "X", Advisors: []string{"nadie"}}, 7, ""); err == nil {
			t.Error("an advisor no account has was accepted")
		}
		got, err := s.Numbers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Brand != "Norte Digital" || got[0].Contact != "datos@norte.example" ||
			fmt.Sprint(got[0].Advisors) != "[Ana]" || got[1].Services == "" || !got[1].Declared || fmt.Sprint(got[1].Advisors) != "[Beto]" {
			t.Fatalf("numbers = %+v", got)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'number.declare' AND user_id = 7`); n != 2 {
			t.Errorf("%d audit entries for the declarations; want 2", n)
		}
		m, err := flow.New(flow.DefaultConfig(flow.Bogota()), pgFixedScorer(flow.Hot))
		if err != nil {
			t.Fatal(err)
		}
		for i, acct := range []string{"111", "222"} {
			phone := fmt.Sprintf("+57300111220%d", i)
			for j, text := range []string{"hola", "sí", "Carlos", "Cali", "2 millones", "pa' ya", "una página web"} {
				clock.Add(time.Minute)
				in := flow.Inbound{Channel: "cloudapi", Account: acct, ID: fmt.Sprintf("%s.%d", acct, j), From: phone, Kind: flow.KindText, Text: text, At: clock.Now()}
				if _, err := s.Handle(ctx, in, func(st flow.State) flow.Result { return m.Step(st, in, clock.Now()) }); err != nil {
					t.Fatal(err)
				}
				sendAll(t, s, "cloudapi")
			}
		}
		for i, n := range got {
			rows, err := s.Queue(ctx, LeadFilter{Account: n.ID})
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"Ana", "Beto"}[i]
			if len(rows) != 1 || rows[0].Advisor != want {
				t.Errorf("queue of %s = %+v; want its one lead, given to %s", n.Key(), rows, want)
			}
		}
		byNumber, err := s.LeadsByNumber(ctx)
		if err != nil || byNumber[got[0].ID].Open != 1 || byNumber[got[1].ID].Total() != 1 {
			t.Errorf("leads by number = %+v, %v; want one open lead each", byNumber, err)
		}
		if all, err := s.Queue(ctx, LeadFilter{}); err != nil || len(all) != 2 {
			t.Errorf("queue of every number: %d, %v; want 2", len(all), err)
		}
		for _, tc := range []struct {
			acct string
			want bool
		}{{"111", true}, {"222", true}, {"999", false}} {
			if ok, err := s.NumberKnown(ctx, "cloudapi", tc.acct); err != nil || ok != tc.want {
				t.Errorf("NumberKnown(%s) = %v, %v; want %v", tc.acct, ok, err, tc.want)
			}
		}
		if ok, err := s.NumberKnown(ctx, "whatsapp", "573001"); err != nil || !ok {
			t.Errorf("another channel with no declared number: %v, %v; want answered", ok, err)
		}
		body := []byte(`{"object":"whatsapp_business_account"}`)
		if err := s.HoldForNumber(ctx, "cloudapi", "999", body); err != nil {
			t.Fatal(err)
		}
		unknown, err := s.UnknownNumbers(ctx)
		if err != nil || len(unknown) != 1 || unknown[0].Account != "999" || unknown[0].N != 1 {
			t.Fatalf("unknown numbers = %+v, %v", unknown, err)
		}
		held, err := s.HeldFor(ctx, "cloudapi", "999")
		if err != nil || len(held) != 1 || string(held[0].Body) != string(body) {
			t.Fatalf("held = %+v, %v", held, err)
		}
		if err := s.MarkReplayed(ctx, held[0].ID); err != nil {
			t.Fatal(err)
		}
		if held, err := s.HeldFor(ctx, "cloudapi", "999"); err != nil || len(held) != 0 {
			t.Errorf("after the replay %d held, %v; want none", len(held), err)
		}
		if unknown, err := s.UnknownNumbers(ctx); err != nil || len(unknown) != 0 {
			t.Errorf("after the replay unknown numbers = %+v, %v", unknown, err)
		}
	})
}
