package bot

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow/templates"
	"github.com/cis-agencia/cis/store"
)

// exampleTemplates is the documented example catalogue.
func exampleTemplates(t testing.TB) templates.Catalogue {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "templates", "templates.json"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := templates.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func withTemplates(t testing.TB) func(*CloudConfig) {
	c := exampleTemplates(t)
	return func(cfg *CloudConfig) { cfg.Templates = c }
}

func TestWindowClosedErrorMovesTheReplyToATemplate(t *testing.T) {
	e := newCloudEnv(t, withTemplates(t))
	const ana = "573001110501"
	e.hello(t, "", ana)
	e.graph.FailNextTo(ana, http.StatusBadRequest, codeOutsideWindow)
	e.flush(t)
	got := e.graph.Received(ana)
	if len(got) == 0 || got[0].Type != "template" || got[0].Template != "respuesta_pendiente/es" {
		t.Fatalf("ana got %+v; want the reply Meta refused (131047) sent as the window_closed template", got)
	}
	rows := outboxOf(t, e, ana)
	if rows[0].Status != "sent" {
		t.Errorf("the reply moved to the template is %s; want sent", rows[0].Status)
	}
	if n, _ := e.h.st.ReplyFailures(context.Background(), CloudChannel); n != 0 {
		t.Errorf("%d reply failures told to advisors; want none when the template went", n)
	}
	tr, err := e.h.st.Transcript(context.Background(), "+"+ana)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(tr, func(l store.TranscriptLine) bool {
		return strings.Contains(l.Body, "tenemos una respuesta a tu mensaje")
	}) {
		t.Errorf("the transcript does not show the template's text")
	}
}

func TestLateReplyGoesAsATemplateWithoutTryingText(t *testing.T) {
	e := newCloudEnv(t, withTemplates(t))
	const ana = "573001110502"
	e.hello(t, "", ana)
	e.h.clock.Add(25 * time.Hour) // the sender was down for a day
	e.flush(t)
	got := e.graph.Received(ana)
	if len(got) == 0 {
		t.Fatal("nothing sent")
	}
	for _, s := range got {
		if s.Type != "template" {
			t.Errorf("a %s message was posted outside the 24-hour window", s.Type)
		}
	}
}

// TestTemplateFollowUp: an advisor follows a lead up once the window has
// closed; the template leaves through the outbox exactly once, inside the
// Ley 2300 hours, filled in with the lead's data; a second click queues
// nothing; a person who opted out gets none.
func TestTemplateFollowUp(t *testing.T) {
	e := newCloudEnv(t, withTemplates(t))
	ctx := context.Background()
	const ana = "573001110601"
	lead := completeCloudLead(t, e, ana)
	before := len(e.graph.Received(ana))
	// The next day at 20:30 in Bogotá: the window has closed, the legal hours too.
	bogota, _ := time.LoadLocation("America/Bogota")
	now := e.h.clock.Now().In(bogota)
	evening := time.Date(now.Year(), now.Month(), now.Day()+1, 20, 30, 0, 0, bogota)
	e.h.clock.Add(evening.Sub(now))
	if r, _ := e.h.st.LeadReach(ctx, lead); r.Open {
		t.Fatalf("window open a day later: %+v", r)
	}
	tpl := exampleTemplates(t).For(templates.UseFollowUp, "es")[0]
	params, preview, err := tpl.Fill(templates.Values{"name": "Carlos", "advisor": "Ana", "service": "diseño web"})
	if err != nil {
		t.Fatal(err)
	}
	send := store.TemplateSend{Name: tpl.Name, Language: tpl.Language, Category: tpl.Category, Params: params}
	if _, err := e.h.st.FollowUpLead(ctx, lead, 0, send, preview); err != nil {
		t.Fatal(err)
	}
	if _, err := e.h.st.FollowUpLead(ctx, lead, 0, send, preview); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second follow-up = %v; want ErrConflict while the first waits", err)
	}
	e.flush(t)
	if got := e.graph.Received(ana); len(got) != before {
		t.Fatalf("a follow-up left at 20:30: %+v", got[before:])
	}
	e.h.clock.Add(11 * time.Hour) // 07:30 the next morning
	e.flush(t)
	e.flush(t)
	got := e.graph.Received(ana)[before:]
	if len(got) != 1 {
		t.Fatalf("%d follow-ups sent; want exactly one", len(got))
	}
	if got[0].Template != "seguimiento_asesor/es" || strings.Join(got[0].Params, "|") != "Carlos|Ana|diseño web" {
		t.Errorf("follow-up sent as %+v", got[0])
	}
	d, err := e.h.st.Lead(ctx, lead)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(d.Events, func(ev store.LeadEvent) bool { return ev.Kind == "follow_up" && ev.Detail == tpl.Name }) {
		t.Errorf("the follow-up is not on the lead's timeline: %+v", d.Events)
	}
	// Once it left, the advisor may follow up again another day.
	if _, err := e.h.st.FollowUpLead(ctx, lead, 0, send, preview); err != nil {
		t.Errorf("follow-up after the first left = %v", err)
	}
	// A person who opted out gets none.
	e.h.clock.Add(time.Minute)
	e.say(t, ana, "wamid.stop", "no me escriban", e.h.clock.Now())
	if _, err := e.h.st.FollowUpLead(ctx, lead, 0, send, preview); !errors.Is(err, store.ErrSuppressed) {
		t.Errorf("follow-up after an opt-out = %v; want ErrSuppressed", err)
	}
}
