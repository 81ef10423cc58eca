package store

import (
	"context"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// TestContactsLinkedAndMergedBothEngines: one person is one contact whichever
// address WhatsApp uses, on both engines. A LID-only contact merges into the
// phone's (conversations joined, consent and opt-out kept); a person known
// by BSUID alone becomes the phone's contact when a webhook shows both; a
// BSUID-only contact and a phone contact of the same person are merged.
func TestContactsLinkedAndMergedBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		s := e.open(t, Options{Now: func() time.Time { return pgT0 }})
		const phone, lid = "+573001112233", "987654321"
		withEvent := func(ev flow.Event) func(flow.State) flow.Result {
			return func(st flow.State) flow.Result {
				r := echoStep(st)
				r.Events = []flow.Event{ev}
				return r
			}
		}
		byLID := func(id string) flow.Inbound {
			in := inbound(id, "x")
			in.From = LIDKey(lid)
			return in
		}
		consent := flow.Event{Kind: flow.EventConsent, Consent: &flow.Consent{Accepted: true, PolicyVersion: "v1", Lang: "es", Text: "t", Answer: "sí"}}
		askConsent(t, s, byLID("l1"))
		for _, x := range []struct {
			in   flow.Inbound
			step func(flow.State) flow.Result
		}{
			{inbound("p1", "hola"), echoStep},
			{byLID("l1"), withEvent(consent)},
			{byLID("l2"), withEvent(flow.Event{Kind: flow.EventOptedOut})},
		} {
			if _, err := s.Handle(ctx, x.in, x.step); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 { // a second link changes nothing
			if err := s.LinkLID(ctx, phone, lid); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			what, query string
			want        int
		}{
			{"active contacts", `SELECT COUNT(*) FROM contacts WHERE merged_into IS NULL`, 1},
			{"conversations", `SELECT COUNT(*) FROM conversations`, 1},
			{"messages on the phone's contact", `SELECT COUNT(*) FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE c.phone = '` + phone + `'`, 4},
			{"opt-out and LID kept", `SELECT COUNT(*) FROM contacts WHERE phone = '` + phone + `' AND opted_out_at IS NOT NULL AND lid = '` + lid + `'`, 1},
		} {
			if got := e.count(t, c.query); got != c.want {
				t.Errorf("%s: %d; want %d", c.what, got, c.want)
			}
		}
		if got, err := s.PhoneForLID(ctx, lid); err != nil || got != phone {
			t.Errorf("PhoneForLID = %q, %v", got, err)
		}

		// The Cloud API: BSUID alone, then with the phone (the same row).
		ana := CloudIdentity{BSUID: "CO.ana"}
		key, err := s.IdentifyCloud(ctx, ana)
		if err != nil {
			t.Fatal(err)
		}
		in := inbound("b1", "hola")
		in.Channel, in.From = "cloudapi", key
		if _, err := s.Handle(ctx, in, echoStep); err != nil {
			t.Fatal(err)
		}
		ana.Phone = "+573005550001"
		if key, err = s.IdentifyCloud(ctx, ana); err != nil || key != ana.Phone {
			t.Fatalf("IdentifyCloud(bsuid and phone) = %q, %v; want the phone", key, err)
		}
		// A phone contact and a BSUID-only contact of one person: merged.
		beto := CloudIdentity{BSUID: "CO.beto"}
		for i, who := range []CloudIdentity{beto, {Phone: "+573005550002"}} {
			k, err := s.IdentifyCloud(ctx, who)
			if err != nil {
				t.Fatal(err)
			}
			in := inbound("beto"+string(rune('a'+i)), "hola")
			in.Channel, in.From = "cloudapi", k
			if _, err := s.Handle(ctx, in, echoStep); err != nil {
				t.Fatal(err)
			}
		}
		// A phone contact learns its BSUID.
		carla := inbound("carla", "hola")
		carla.Channel, carla.From = "cloudapi", "+573005550003"
		if _, err := s.Handle(ctx, carla, echoStep); err != nil {
			t.Fatal(err)
		}
		if key, err := s.IdentifyCloud(ctx, CloudIdentity{Phone: carla.From, BSUID: "CO.carla"}); err != nil || key != carla.From {
			t.Fatalf("IdentifyCloud(carla) = %q, %v", key, err)
		}
		if got := e.count(t, `SELECT COUNT(*) FROM contacts WHERE phone = '+573005550003' AND bsuid = 'CO.carla'`); got != 1 {
			t.Errorf("carla's contact does not carry her BSUID")
		}
		beto.Phone = "+573005550002"
		if key, err = s.IdentifyCloud(ctx, beto); err != nil || key != beto.Phone {
			t.Fatalf("IdentifyCloud(beto's bsuid and phone) = %q, %v", key, err)
		}
		for _, c := range []struct {
			what, query string
			want        int
		}{
			{"ana: one contact with her phone and BSUID", `SELECT COUNT(*) FROM contacts WHERE phone = '+573005550001' AND bsuid = 'CO.ana' AND merged_into IS NULL`, 1},
			{"ana's message on it", `SELECT COUNT(*) FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE c.phone = '+573005550001'`, 1},
			{"beto: one live contact", `SELECT COUNT(*) FROM contacts WHERE (phone = '+573005550002' OR bsuid = 'CO.beto') AND merged_into IS NULL`, 1},
			{"beto: one conversation", `SELECT COUNT(*) FROM conversations v JOIN contacts c ON c.id = v.contact_id WHERE c.phone = '+573005550002'`, 1},
			{"beto: both messages", `SELECT COUNT(*) FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE c.phone = '+573005550002'`, 2},
		} {
			if got := e.count(t, c.query); got != c.want {
				t.Errorf("%s: %d; want %d", c.what, got, c.want)
			}
		}
	})
}
