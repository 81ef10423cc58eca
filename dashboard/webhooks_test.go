package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestWebhooksPage: an admin registers a destination (the secret shown
// once, or the one entered), pauses, reactivates and deletes it, each
// audited; bad input gets a clear message in the page's language and
// nothing stored; advisors and viewers cannot see the page.
func TestWebhooksPage(t *testing.T) {
	env := newEnv(t, Deps{})
	admin := env.client()
	admin.login("admin1")
	secretRe := regexp.MustCompile(`<code class="secret">(whsec_[0-9a-f]{64})</code>`)
	rec := admin.post("/admin/webhooks", url.Values{"name": {"HubSpot"}, "url": {"https://crm.example/hooks/cis"},
		"events": {"lead.completed", "lead.won", "lead.bogus"}})
	m := secretRe.FindStringSubmatch(rec.Body.String())
	if rec.Code != http.StatusOK || m == nil {
		t.Fatalf("add: %d, no secret shown\n%s", rec.Code, rec.Body.String())
	}
	page := admin.do(http.MethodGet, "/admin/webhooks", nil, nil).Body.String()
	if strings.Contains(page, m[1]) {
		t.Error("the secret is shown again on a later visit")
	}
	for _, want := range []string{"https://crm.example/hooks/cis", "HubSpot", `data-event="lead.completed"`, "Lead completado", "Pendientes", "nunca"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	ws, err := env.st.Webhooks(context.Background())
	if err != nil || len(ws) != 1 || strings.Join(ws[0].Events, ",") != "lead.completed,lead.won" {
		t.Fatalf("stored %+v, %v; want one destination with the two known events", ws, err)
	}
	id := itoa(ws[0].ID)
	entered := "my-own-secret-of-32-characters!!"
	rec = admin.post("/admin/webhooks", url.Values{"url": {"http://n8n.example/webhook"}, "events": {"lead.lost"}, "secret": {entered}})
	if !strings.Contains(rec.Body.String(), entered) {
		t.Errorf("an entered secret is not confirmed once: %d", rec.Code)
	}
	for _, bad := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"url": {"ftp://x.example/"}, "events": {"lead.won"}}, "http:// o https://"},
		{url.Values{"url": {"https://user:pw@x.example/"}, "events": {"lead.won"}}, "ni contraseña"},
		{url.Values{"url": {"https://x.example/"}}, "al menos un evento"},
		{url.Values{"url": {"https://x.example/"}, "events": {"lead.won"}, "secret": {"short"}}, "entre 16 y 200"},
	} {
		rec := admin.post("/admin/webhooks", bad.form)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), bad.want) {
			t.Errorf("%v: %d; want 422 saying %q", bad.form, rec.Code, bad.want)
		}
	}
	if ws, _ := env.st.Webhooks(context.Background()); len(ws) != 2 {
		t.Errorf("%d destinations after refused input; want 2", len(ws))
	}
	for _, step := range []struct{ path, flash string }{
		{"/admin/webhooks/" + id + "/test", "Evento de prueba en cola"},
		{"/admin/webhooks/" + id + "/retry", "volvieron a la cola"},
		{"/admin/webhooks/" + id + "/disable", "Destino pausado"},
		{"/admin/webhooks/" + id + "/enable", "Destino activado"},
		{"/admin/webhooks/" + id + "/delete", "Destino borrado"},
	} {
		rec := admin.post(step.path, nil)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("%s: %d", step.path, rec.Code)
		}
		if page := admin.do(http.MethodGet, rec.Header().Get("Location"), nil, nil).Body.String(); !strings.Contains(page, step.flash) {
			t.Errorf("%s: the page does not say %q", step.path, step.flash)
		}
	}
	if rec := admin.post("/admin/webhooks/"+id+"/delete", nil); rec.Code != http.StatusNotFound {
		t.Errorf("deleting twice: %d; want 404", rec.Code)
	}
	if rec := admin.post("/admin/webhooks/"+id+"/test", nil); rec.Code != http.StatusNotFound {
		t.Errorf("testing a deleted destination: %d; want 404", rec.Code)
	}
	audit, _ := env.st.RecentAudit(context.Background(), 20)
	seen := map[string]int{}
	for _, a := range audit {
		seen[a.Action]++
	}
	for _, want := range []string{"webhook.create", "webhook.test", "webhook.disable", "webhook.enable", "webhook.delete"} {
		if seen[want] == 0 {
			t.Errorf("audit lacks %s", want)
		}
	}
	for _, role := range []string{"advisor1", "viewer1"} {
		c := env.client()
		c.login(role)
		if rec := c.do(http.MethodGet, "/admin/webhooks", nil, nil); rec.Code != http.StatusForbidden {
			t.Errorf("%s on the webhooks page: %d; want 403", role, rec.Code)
		}
	}
	en := admin.do(http.MethodGet, "/admin/webhooks?lang=en", nil, nil).Body.String()
	if !strings.Contains(en, "Outgoing webhooks") || !strings.Contains(en, "Add a destination") {
		t.Error("the English page is not in English")
	}
}
