package dashboard

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/flow/templates"
	"github.com/cis-agencia/cis/store"
)

func exampleTemplates(t *testing.T) templates.Catalogue {
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

// TestFollowUpWithTemplate: once the window has closed the lead page offers
// the follow_up template filled in with the lead's name and the advisor's;
// following up queues it once (a second click is refused) and puts it on
// the timeline.
func TestFollowUpWithTemplate(t *testing.T) {
	env := newEnv(t, Deps{Templates: exampleTemplates(t)})
	ctx := context.Background()
	lead := cloudLead(t, env, store.CloudIdentity{Phone: "+573001112299"}, "f")
	adv := env.client()
	adv.login("advisor1")
	page := adv.do(http.MethodGet, fmt.Sprintf("/leads/%d", lead), nil, nil).Body.String()
	if strings.Contains(page, `id="follow-up"`) {
		t.Error("a template follow-up is offered while the window is open")
	}
	// Every role sees whether the window is open and until when.
	viewer := env.client()
	viewer.login("viewer1")
	vpage := html.UnescapeString(viewer.do(http.MethodGet, fmt.Sprintf("/leads/%d", lead), nil, nil).Body.String())
	if !strings.Contains(vpage, `id="reach-window" data-open="true"`) || !strings.Contains(vpage, "abierta hasta el") {
		t.Error("the lead page does not say the window is open and until when")
	}
	env.now = env.now.Add(26 * time.Hour) // the next day, 11:00 in Bogotá
	adv.login("advisor1")
	page = html.UnescapeString(adv.do(http.MethodGet, fmt.Sprintf("/leads/%d", lead), nil, nil).Body.String())
	for _, want := range []string{`id="follow-up"`, "Hola Carlos Andrés, soy advisor1 de la agencia", "Ley 2300",
		`id="reach-window" data-open="false"`, "cerrada desde el"} {
		if !strings.Contains(page, want) {
			t.Errorf("lead page lacks %q", want)
		}
	}
	form := url.Values{"template": {"seguimiento_asesor/es"}}
	if rec := adv.post(fmt.Sprintf("/leads/%d/follow-up", lead), form); rec.Code != http.StatusSeeOther {
		t.Fatalf("follow-up = %d; want 303", rec.Code)
	}
	if rec := adv.post(fmt.Sprintf("/leads/%d/follow-up", lead), form); rec.Code != http.StatusConflict {
		t.Errorf("second follow-up = %d; want 409 while the first waits", rec.Code)
	}
	if rec := adv.post(fmt.Sprintf("/leads/%d/follow-up", lead), url.Values{"template": {"no_such/es"}}); rec.Code != http.StatusConflict {
		t.Errorf("unknown template = %d; want 409", rec.Code)
	}
	out, err := env.st.PendingOutbox(ctx, bot.CloudChannel, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, o := range out {
		if o.Key == store.FollowUpKey {
			n++
			if o.Template == nil || o.Template.Name != "seguimiento_asesor" || o.Template.Params[1] != "advisor1" {
				t.Errorf("queued follow-up = %+v", o.Template)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d follow-ups queued; want 1", n)
	}
	page = adv.do(http.MethodGet, fmt.Sprintf("/leads/%d", lead), nil, nil).Body.String()
	if !strings.Contains(page, "Seguimiento con plantilla de WhatsApp") {
		t.Error("the follow-up is not on the lead's timeline")
	}
}

// TestUnreachableOnTheLeadPage: a contact WhatsApp cannot deliver to
// (131026) is marked so on the lead page.
func TestUnreachableOnTheLeadPage(t *testing.T) {
	env := newEnv(t, Deps{})
	lead := cloudLead(t, env, store.CloudIdentity{Phone: "+573001112298"}, "x")
	env.now = env.now.Add(time.Minute)
	if err := env.st.MarkUnreachable(context.Background(), "+573001112298", store.CodeUnreachable); err != nil {
		t.Fatal(err)
	}
	adv := env.client()
	adv.login("advisor1")
	page := html.UnescapeString(adv.do(http.MethodGet, fmt.Sprintf("/leads/%d", lead), nil, nil).Body.String())
	if !strings.Contains(page, `id="reach-unreachable"`) || !strings.Contains(page, "WhatsApp no pudo entregarle mensajes") {
		t.Error("the lead page does not say the contact is unreachable")
	}
}
