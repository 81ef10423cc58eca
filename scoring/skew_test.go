package scoring

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// recorder is the live scorer: the rule scorer, keeping every lead it was
// asked to score exactly as it received it.
type recorder struct {
	mu    sync.Mutex
	leads []flow.Lead
}

func (r *recorder) Score(l flow.Lead) flow.Score {
	r.mu.Lock()
	r.leads = append(r.leads, l)
	r.mu.Unlock()
	return Rules{}.Score(l)
}

// TestLiveFeaturesAreTrainingFeatures is the train/serve skew check: real
// conversations go through the bot, the flow and the store as a prospect
// writes them (the first from a click-to-WhatsApp ad, the last the same
// person again, now a returning contact who came from that ad), an advisor
// closes the leads, and every feature the scorer saw live must equal, field
// by field, the feature training reads back from the store for that lead.
func TestLiveFeaturesAreTrainingFeatures(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "cis.db"), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	live := &recorder{}
	m, err := flow.New(flow.DefaultConfig(bogota), live)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Deps{Store: st, Flow: m, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ad := &flow.Referral{SourceType: "ad", SourceID: "120212345", Headline: "SEO en Medellín", CtwaClid: "ARAkLk-1"}
	convs := []conversation{
		{"+573001110001", ad, []string{"Hola, quiero más información", "sí", "Ana", "Medellín", "2 millones", "ya", "seo"}},
		{"+573001110002", nil, []string{"hola", "sí", "Beto", "Cali", "mucho", "no sé", "explorando", "???", "diseño web"}},
		{"+573001110001", nil, []string{"reiniciar", "Ana", "Bogotá", "3 millones", "este mes", "seo"}},
	}
	converse(t, st, &now, convs, func(in flow.Inbound) error {
		_, err := b.Receive(ctx, in)
		return err
	})
	if len(live.leads) != 3 {
		t.Fatalf("%d leads scored; want 3", len(live.leads))
	}
	for id := int64(1); id <= 3; id++ {
		if err := st.ActOnLead(ctx, id, store.LeadAction{Kind: "won", ValueCOP: 1_000_000}); err != nil {
			t.Fatal(err)
		}
	}
	trained, err := st.LabelledLeads(ctx)
	if err != nil || len(trained) != 3 {
		t.Fatalf("LabelledLeads = %d, %v; want 3", len(trained), err)
	}
	fields := make([]string, 0, len(knownFields))
	for f := range knownFields {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	for i, l := range live.leads {
		for _, f := range fields {
			if scored, read := fieldValue[f](l), fieldValue[f](trained[i].Lead); scored != read {
				t.Errorf("lead %d, feature %s: scored live %q, read back for training %q", i+1, f, scored, read)
			}
		}
	}
	// The facts the skew hid are there on both sides.
	if got := fieldValue["source"](live.leads[0]); got != "ad:120212345/ARAkLk-1" {
		t.Errorf("first lead scored with source %q; want the ad it came from", got)
	}
	if got := fieldValue["returning"](live.leads[2]); got != "1" {
		t.Errorf("third lead scored with returning %q; want 1 (Ana already left a lead)", got)
	}
}

// conversation is one prospect's messages as they write them; referral
// comes with the first.
type conversation struct {
	from     string
	referral *flow.Referral
	msgs     []string
}

// converse delivers every message of convs in turn through receive, the
// clock moving on between them, and marks each reply sent before the next
// message arrives, as a channel would (a consent answer counts only once
// its text was sent).
func converse(t *testing.T, st *store.Store, now *time.Time, convs []conversation, receive func(flow.Inbound) error) {
	t.Helper()
	ctx := context.Background()
	n := 0
	for _, c := range convs {
		for i, text := range c.msgs {
			n++
			*now = now.Add(time.Duration(40+n*7) * time.Second)
			in := flow.Inbound{Channel: "chat", Account: "acct", ID: fmt.Sprint("m", n), From: c.from, Kind: flow.KindText, Text: text, At: *now}
			if i == 0 {
				in.Referral = c.referral
			}
			if err := receive(in); err != nil {
				t.Fatal(err)
			}
			out, err := st.PendingOutbox(ctx, "chat", 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range out {
				if err := st.MarkSent(ctx, o.ID, fmt.Sprint("sent-", o.ID)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}
