package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// newBotEnv is a server whose web chat runs the real flow, bot and store.
func newBotEnv(t testing.TB, d Deps) *testEnv {
	t.Helper()
	var env *testEnv
	clock := func() time.Time { return env.now }
	env = newEnv(t, d)
	m, err := flow.New(flow.DefaultConfig(bogota), scoring.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Deps{Store: env.st, Flow: m, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	env.s.bot = b
	return env
}

// The web chat asks for a number to call back (Inbound.NoPhone) once the flow has that question; before
// it, the number is a message after completion, answered with the same closing words naming Carlos.
var hotLead = []string{"hola", "sí", "me llamo Carlos Andrés", "medallo", "2 millones", "pa' ya", "facebook ads", "300 123 4567"}

func (c *client) chat(text string) []chatLine {
	c.e.t.Helper()
	rec := c.do(http.MethodPost, "/chat/messages", url.Values{"text": {text}}, map[string]string{"X-Requested-With": "fetch", "Accept": "application/json"})
	if rec.Code != http.StatusOK {
		c.e.t.Fatalf("chat %q = %d %s", text, rec.Code, rec.Body.String())
	}
	var lines []chatLine
	if err := json.Unmarshal(rec.Body.Bytes(), &lines); err != nil {
		c.e.t.Fatal(err)
	}
	return lines
}

// TestWebChatToQueueToWon: a visitor chats until the lead completes; an
// advisor sees it in the queue with its class and deadline, opens it (audited),
// takes it, marks it contacted and won; the outcome is stored for scoring.
func TestWebChatToQueueToWon(t *testing.T) {
	env := newBotEnv(t, Deps{})
	visitor := env.client()
	var lines []chatLine
	for _, m := range hotLead {
		lines = visitor.chat(m)
	}
	last := lines[len(lines)-1]
	if last.In || !strings.Contains(last.Text, "Carlos") {
		t.Fatalf("last reply = %+v; want the bot's closing message naming Carlos", last)
	}
	// Another visitor does not see this conversation.
	if rec := env.client().do(http.MethodGet, "/chat/messages", nil, nil); rec.Body.String() != "[]\n" {
		t.Errorf("a new visitor sees %q", rec.Body.String())
	}
	adv := env.client()
	adv.login("advisor1")
	body := adv.do(http.MethodGet, "/", nil, nil).Body.String()
	for _, want := range []string{"Carlos Andrés", `class="badge hot"`, "data-deadline=", "Medellín", "Pauta digital", "reglas transparentes"} {
		if !strings.Contains(body, want) {
			t.Errorf("queue lacks %q", want)
		}
	}
	id := regexp.MustCompile(`href="/leads/(\d+)"`).FindStringSubmatch(body)
	if id == nil {
		t.Fatal("no lead link in the queue")
	}
	lead := "/leads/" + id[1]
	detail := adv.do(http.MethodGet, lead, nil, nil).Body.String()
	for _, want := range []string{"facebook ads", "pa&#39; ya", "2026-11-01", "Aceptó", "Pauta digital"} {
		if !strings.Contains(detail, want) {
			t.Errorf("lead page lacks %q", want)
		}
	}
	for _, step := range []struct {
		path string
		form url.Values
	}{
		{lead + "/take", nil},
		{lead + "/contacted", nil},
		{lead + "/note", url.Values{"note": {"llamar mañana"}}},
		{lead + "/won", url.Values{"value": {"$2.500.000"}}},
	} {
		if rec := adv.post(step.path, step.form); rec.Code != http.StatusSeeOther {
			t.Fatalf("POST %s = %d", step.path, rec.Code)
		}
	}
	if rec := adv.post(lead+"/lost", url.Values{"reason": {"precio"}}); rec.Code != http.StatusConflict {
		t.Errorf("losing a won lead = %d; want 409", rec.Code)
	}
	var n int64
	fmt.Sscan(id[1], &n)
	d, err := env.st.Lead(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != "won" || d.OutcomeValueCOP != 2_500_000 || d.Advisor != "advisor1" || d.ContactedAt.IsZero() {
		t.Errorf("stored lead = status %s value %d advisor %q contacted %v", d.Status, d.OutcomeValueCOP, d.Advisor, d.ContactedAt)
	}
	kinds := []string{}
	for _, e := range d.Events {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, ","); got != "completed,assign,contacted,note,won" {
		t.Errorf("timeline = %s", got)
	}
	audit, _ := env.st.RecentAudit(context.Background(), 50)
	seen := false
	for _, a := range audit {
		seen = seen || a.Action == "lead_viewed" && a.Object == "lead:"+id[1]
	}
	if !seen {
		t.Error("viewing the lead was not audited")
	}
	// A viewer sees it but cannot act.
	v := env.client()
	v.login("viewer1")
	if rec := v.post(lead+"/note", url.Values{"note": {"x"}}); rec.Code != http.StatusForbidden {
		t.Errorf("viewer note = %d; want 403", rec.Code)
	}
	// The won lead leaves the open queue and shows under "won".
	if strings.Contains(adv.do(http.MethodGet, "/", nil, nil).Body.String(), "Carlos") {
		t.Error("won lead still in the open queue")
	}
	if !strings.Contains(adv.do(http.MethodGet, "/?status=won", nil, nil).Body.String(), "Carlos") {
		t.Error("won lead missing under status=won")
	}
}

// hostile names and messages: they must render escaped and intact.
var hostile = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`{{.}} =HYPERLINK("http://x","clic")`,
	"Ana 👩🏽‍💻 María 🇨🇴",
	"محمد \u202eevil\u202c عبد الله",
	strings.Repeat("Largo", 400),
}

// seedLead stores a completed lead with the given name through store.Handle,
// bypassing the flow's name rules (which would refuse some of these).
func seedLead(t testing.TB, st *store.Store, phone, name, message string, at time.Time) {
	t.Helper()
	in := flow.Inbound{Channel: "whatsapp", Account: "+5760000000", ID: "m-" + phone, From: phone, Kind: flow.KindText, Text: message, At: at}
	_, err := st.Handle(context.Background(), in, func(s flow.State) flow.Result {
		s.Status, s.Stage, s.StartedAt, s.UpdatedAt = flow.Completed, flow.StageDone, at, at
		lead := flow.Lead{Name: name, City: flow.City{Name: name, Department: "Antioquia"}, Service: name, Urgency: flow.Urgency("immediate"),
			Budget: flow.Budget{MinCOP: 1_000_000, MaxCOP: 2_000_000}, StartedAt: at, CompletedAt: at}
		score := flow.Score{Class: flow.Hot, Probability: 0.8, Model: "rules", Reasons: []flow.Reason{{Feature: "budget", Value: name, Weight: 0.2}}}
		return flow.Result{State: s, Replies: []flow.Reply{{Key: "echo", Text: "Gracias " + name}},
			Events: []flow.Event{{Kind: flow.EventLeadCompleted, Lead: &lead, Score: &score, Deadline: at.Add(25 * time.Minute)}}}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestHostileTextRendersEscapedAndIntact(t *testing.T) {
	env := newEnv(t, Deps{})
	for i, name := range hostile {
		seedLead(t, env.st, fmt.Sprintf("+5730000000%02d", i), name, name, env.now)
	}
	c := env.client()
	c.login("admin1")
	queue := c.do(http.MethodGet, "/?status=all", nil, nil).Body.String()
	pages := []string{queue}
	for _, id := range regexp.MustCompile(`href="/leads/(\d+)"`).FindAllStringSubmatch(queue, -1) {
		pages = append(pages, c.do(http.MethodGet, "/leads/"+id[1], nil, nil).Body.String())
	}
	if len(pages) != len(hostile)+1 {
		t.Fatalf("queue links %d leads; want %d", len(pages)-1, len(hostile))
	}
	all := strings.Join(pages, "\n")
	for _, bad := range []string{"<script>alert", "<img src=x", "onerror=alert(1)>"} {
		if strings.Contains(all, bad) {
			t.Errorf("rendered pages contain raw %q", bad)
		}
	}
	for _, name := range hostile {
		if !strings.Contains(queue, html.EscapeString(name)) && !strings.Contains(queue, templateEscaped(name)) {
			t.Errorf("queue does not show %.40q intact", name)
		}
	}
	// Right-to-left text is isolated so it cannot reorder its neighbours.
	if !strings.Contains(queue, "<bdi>محمد") {
		t.Error("RTL name not wrapped in <bdi>")
	}
}

// templateEscaped is html/template's escaping of text in an element body.
func templateEscaped(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;")
	return r.Replace(s)
}

func TestPairingPage(t *testing.T) {
	fp := &fakePairing{}
	env := newEnv(t, Deps{Pairing: fp})
	admin := env.client()
	admin.login("admin1")
	page := admin.do(http.MethodGet, "/admin/pairing", nil, nil)
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), `src="/admin/pairing/qr.png"`) {
		t.Fatalf("pairing page = %d", page.Code)
	}
	png := admin.do(http.MethodGet, "/admin/pairing/qr.png", nil, nil)
	if png.Code != http.StatusOK || !strings.HasPrefix(png.Body.String(), "\x89PNG") {
		t.Errorf("QR = %d %q", png.Code, png.Header().Get("Content-Type"))
	}
	if rec := admin.post("/admin/pairing/logout", nil); rec.Code != http.StatusSeeOther || fp.logouts != 1 {
		t.Errorf("logout = %d, %d calls", rec.Code, fp.logouts)
	}
	if rec := admin.do(http.MethodGet, "/admin/pairing/qr.png", nil, nil); rec.Code != http.StatusNotFound {
		t.Errorf("QR after logout = %d; want 404", rec.Code)
	}
	if rec := admin.post("/admin/pairing/pair", nil); rec.Code != http.StatusSeeOther || fp.pairs != 1 {
		t.Errorf("pair = %d, %d calls", rec.Code, fp.pairs)
	}
	adv := env.client()
	adv.login("advisor1")
	if rec := adv.do(http.MethodGet, "/admin/pairing", nil, nil); rec.Code != http.StatusForbidden {
		t.Errorf("advisor on pairing = %d; want 403", rec.Code)
	}
	// Without a channel the page says so.
	none := newEnv(t, Deps{})
	a2 := none.client()
	a2.login("admin1")
	if body := a2.do(http.MethodGet, "/admin/pairing?lang=en", nil, nil).Body.String(); !strings.Contains(body, "No WhatsApp channel") {
		t.Error("pairing page without a channel does not say so")
	}
}

func TestMetrics(t *testing.T) {
	env := newEnv(t, Deps{MetricsToken: "s3cret-token"})
	seedLead(t, env.st, "+573001112233", "Carlos Secreto", "hola", env.now.Add(-time.Hour))
	anon := env.client()
	if rec := anon.do(http.MethodGet, "/metrics", nil, map[string]string{"Accept": "text/plain"}); rec.Code != http.StatusUnauthorized {
		t.Errorf("anonymous /metrics = %d; want 401", rec.Code)
	}
	adv := env.client()
	adv.login("advisor1")
	if rec := adv.do(http.MethodGet, "/metrics", nil, nil); rec.Code != http.StatusForbidden {
		t.Errorf("advisor /metrics = %d; want 403", rec.Code)
	}
	rec := anon.do(http.MethodGet, "/metrics", nil, map[string]string{"Authorization": "Bearer s3cret-token"})
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics with token = %d", rec.Code)
	}
	for _, want := range []string{`cis_leads{class="hot"} 1`, "cis_sla_breaches 1", `cis_model_info{model="rules"} 1`, "cis_http_request_duration_seconds_bucket"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, pii := range []string{"Carlos", "3001112233"} {
		if strings.Contains(body, pii) {
			t.Errorf("/metrics leaks %q", pii)
		}
	}
	admin := env.client()
	admin.login("admin1")
	if rec := admin.do(http.MethodGet, "/metrics", nil, nil); rec.Code != http.StatusOK {
		t.Errorf("admin /metrics = %d", rec.Code)
	}
}

func TestWebChatLimits(t *testing.T) {
	env := newBotEnv(t, Deps{})
	c := env.client()
	if rec := c.do(http.MethodPost, "/chat/messages", url.Values{"text": {"hola"}}, nil); rec.Code != http.StatusForbidden {
		t.Errorf("chat POST without X-Requested-With = %d; want 403", rec.Code)
	}
	if rec := c.do(http.MethodPost, "/chat/messages", url.Values{"text": {strings.Repeat("a", maxChatRunes+1)}}, map[string]string{"X-Requested-With": "fetch"}); rec.Code != http.StatusBadRequest {
		t.Errorf("overlong chat message = %d; want 400", rec.Code)
	}
	codes := map[int]int{}
	for range chatNewLimit + 2 {
		fresh := env.client() // a new visitor each time, same IP
		codes[fresh.do(http.MethodPost, "/chat/messages", url.Values{"text": {"hola"}}, map[string]string{"X-Requested-With": "fetch"}).Code]++
	}
	if codes[http.StatusTooManyRequests] == 0 {
		t.Errorf("new chats from one IP never limited: %v", codes)
	}
}

func TestQueueSaysWhichScorerClassifies(t *testing.T) {
	tests := []struct {
		name  string
		model func() string
		lang  string
		want  string
	}{
		{"no model wired", nil, "es", "reglas transparentes"},
		{"rules until enough history", func() string { return "rules" }, "es", "reglas transparentes"},
		{"trained model", func() string { return "forest:7" }, "es", "Puntaje: Modelo de leads n.º 7, entrenado con el historial de la agencia"},
		{"trained model in English", func() string { return "forest:7" }, "en", "Scores: Lead model no. 7, trained on the agency&#39;s history"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, Deps{Model: tt.model})
			adv := env.client()
			adv.login("advisor1")
			body := adv.do(http.MethodGet, "/?lang="+tt.lang, nil, nil).Body.String()
			if !strings.Contains(body, tt.want) {
				t.Errorf("queue does not say %q", tt.want)
			}
		})
	}
}
