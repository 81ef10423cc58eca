package dashboard

import (
	"context"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/store"
)

// TestQueueShowsProspectAskedForCall: two web-chat prospects complete; the
// deadline passes and one of them asks "¿a qué hora me llaman?". The bot
// promises a new time (flow.EventAskedForCall) and the queue marks that
// lead, with the time promised, in Spanish and in English; the queue's
// version changes so an open queue page reloads; the other lead carries no
// marker, nor does the asking lead once the advisor has contacted it.
func TestQueueShowsProspectAskedForCall(t *testing.T) {
	env := newBotEnv(t, Deps{})
	ctx := context.Background()
	asker, quiet := env.client(), env.client()
	for _, m := range hotLead {
		asker.chat(m)
		quiet.chat(m)
	}
	adv := env.client()
	adv.login("advisor1")
	before, err := env.st.QueueVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	env.now = env.now.Add(3 * time.Hour)
	if page := adv.do(http.MethodGet, "/", nil, nil).Body.String(); strings.Contains(page, `class="asked"`) {
		t.Fatal("a lead is marked as asked before anyone asked")
	}
	asker.chat("¿a qué hora me llaman?")
	after, err := env.st.QueueVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after == before {
		t.Errorf("queue version %s unchanged after the prospect asked", after)
	}
	rows, err := env.st.Queue(ctx, store.LeadFilter{Status: "all"})
	if err != nil || len(rows) != 2 {
		t.Fatalf("queue rows %d, %v", len(rows), err)
	}
	var asked store.QueueRow
	for _, r := range rows {
		if !r.AskedForCall.IsZero() {
			if asked.ID != 0 {
				t.Fatal("both leads marked as asked; one prospect asked")
			}
			asked = r
		}
	}
	if asked.ID == 0 || !asked.AskedForCall.After(env.now) {
		t.Fatalf("asked lead %+v; want one lead with a new time after %v", asked, env.now)
	}
	promised := asked.AskedForCall.In(bogota).Format("15:04")
	for _, tt := range []struct{ query, want string }{
		{"", "Preguntó por su llamada: se le prometió para las " + promised},
		{"?lang=en", "Asked for their call: promised for " + promised},
	} {
		page := html.UnescapeString(adv.do(http.MethodGet, "/"+tt.query, nil, nil).Body.String())
		if !strings.Contains(page, tt.want) {
			t.Errorf("queue%s lacks %q", tt.query, tt.want)
		}
		if n := strings.Count(page, `class="asked"`); n != 1 {
			t.Errorf("queue%s marks %d leads; want 1", tt.query, n)
		}
	}
	if rec := adv.post("/leads/"+itoa(asked.ID)+"/contacted", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("contacted = %d", rec.Code)
	}
	if page := adv.do(http.MethodGet, "/?status=all", nil, nil).Body.String(); strings.Contains(page, `class="asked"`) {
		t.Error("a contacted lead still carries the asked marker")
	}
}
