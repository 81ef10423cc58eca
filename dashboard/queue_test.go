package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// workLead is one lead of a made-up working day, its deadline relative to now.
type workLead struct {
	name, city, service string
	class               flow.Class
	deadline            time.Duration
	reasons             []flow.Reason
}

// seedWorkday stores leads as the bot would have (completed an hour or a
// window before their deadline) and returns their IDs in order.
func seedWorkday(t *testing.T, env *testEnv, leads []workLead) []int64 {
	t.Helper()
	var past []store.PastLead
	for _, l := range leads {
		done := env.now.Add(l.deadline - 25*time.Minute)
		reasons := l.reasons
		if reasons == nil {
			reasons = []flow.Reason{{Feature: "urgency", Value: "urgencia inmediata", Weight: 0.3}}
		}
		past = append(past, store.PastLead{Lead: flow.Lead{Name: l.name, City: flow.City{Name: l.city, Department: "Antioquia", Code: "05001"},
			Service: l.service, Urgency: flow.Immediate, Budget: flow.Budget{MinCOP: 2_000_000, MaxCOP: 5_000_000},
			StartedAt: done.Add(-5 * time.Minute), CompletedAt: done},
			Score: flow.Score{Class: l.class, Probability: 0.45, Model: "forest:3", Reasons: reasons}, Deadline: env.now.Add(l.deadline), Status: "open"})
	}
	if err := env.st.InsertPastLeads(context.Background(), "work", "+5731200", past, nil); err != nil {
		t.Fatal(err)
	}
	rows, err := env.st.Queue(context.Background(), store.LeadFilter{Status: "all", Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, r := range rows {
		ids[r.Name] = r.ID
	}
	out := make([]int64, len(leads))
	for i, l := range leads {
		out[i] = ids[l.name]
	}
	return out
}

// sectionNames lists the lead names of one queue section, in page order.
func sectionNames(page, id string) []string {
	i := strings.Index(page, `<section class="queue-section" id="`+id+`"`)
	if i < 0 {
		return nil
	}
	sec := page[i:]
	if j := strings.Index(sec[1:], `<section class="queue-section"`); j > 0 {
		sec = sec[:j+1]
	}
	var out []string
	for _, m := range regexp.MustCompile(`class="name" href="/leads/\d+"><bdi>([^<]*)</bdi>`).FindAllStringSubmatch(sec, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestQueueWorkingDay: a hot lead that just arrived is first, above every
// overdue one; overdue leads have their own section, most recent first, in
// words; counts per class and status; the tab title counts the leads
// waiting; won leads carry no countdown.
func TestQueueWorkingDay(t *testing.T) {
	env := newEnv(t, Deps{})
	leads := []workLead{
		{"Overdue Long", "Medellín", "seo", flow.Warm, -26 * time.Hour, nil},
		{"Overdue Recent", "Medellín", "seo", flow.Cold, -(2*time.Hour + 10*time.Minute), nil},
		{"Cold Later", "Cali", "web", flow.Cold, 5 * time.Hour, nil},
		{"Warm Soon", "Cali", "social", flow.Warm, 80 * time.Minute, nil},
		{"Hot New", "Bogotá", "ads", flow.Hot, 25 * time.Minute, nil},
		{"Won Already", "Bogotá", "ads", flow.Hot, 10 * time.Minute, nil},
	}
	ids := seedWorkday(t, env, leads)
	if err := env.st.ActOnLead(context.Background(), ids[5], store.LeadAction{Kind: "won", ValueCOP: 1, ByUser: env.users[RoleAdmin].ID}); err != nil {
		t.Fatal(err)
	}
	c := env.client()
	c.login("advisor1")
	page := c.do(http.MethodGet, "/", nil, nil).Body.String()
	if got := sectionNames(page, "due"); strings.Join(got, ",") != "Hot New,Warm Soon,Cold Later" {
		t.Errorf("due section = %q; want the new hot lead first, then by deadline", got)
	}
	if got := sectionNames(page, "overdue"); strings.Join(got, ",") != "Overdue Recent,Overdue Long" {
		t.Errorf("overdue section = %q; want the most recently overdue first", got)
	}
	for _, want := range []string{"vencido hace 2 h 10 min", "vencido hace 1 día 2 h", "vence en 25 min", "vence en 5 h",
		"<title>(3) Cola de leads", "<strong>5</strong> abiertos", "<strong>1</strong> calientes", "<strong>2</strong> vencidos", "<strong>1</strong> ganados"} {
		if !strings.Contains(page, want) {
			t.Errorf("queue lacks %q", want)
		}
	}
	won := c.do(http.MethodGet, "/?status=won", nil, nil).Body.String()
	if !strings.Contains(won, "Won Already") || strings.Contains(won, "data-deadline") {
		t.Errorf("the won list must show the lead without a countdown")
	}
	lead := c.do(http.MethodGet, fmt.Sprintf("/leads/%d", ids[5]), nil, nil).Body.String()
	if strings.Contains(lead, "data-deadline") || strings.Contains(lead, `class="countdown`) {
		t.Error("a won lead's page still counts down")
	}
}

// TestQueuePaging: 120 leads due show 30 per page with a link to the next
// page that keeps the filters, and the pages do not overlap.
func TestQueuePaging(t *testing.T) {
	env := newEnv(t, Deps{})
	var leads []workLead
	for i := range 120 {
		leads = append(leads, workLead{name: fmt.Sprintf("Lead %03d", i), city: "Cali", service: "seo", class: flow.Hot, deadline: time.Duration(i+1) * time.Minute})
	}
	seedWorkday(t, env, leads)
	c := env.client()
	c.login("advisor1")
	p1 := c.do(http.MethodGet, "/?class=hot", nil, nil).Body.String()
	if n := len(sectionNames(p1, "due")); n != queuePageSize {
		t.Fatalf("page 1 shows %d leads; want %d", n, queuePageSize)
	}
	if !strings.Contains(p1, `href="/?class=hot&amp;page=2#due"`) || !strings.Contains(p1, "(120)") {
		t.Errorf("page 1 has no link to page 2 keeping the class, or no count of 120")
	}
	p4 := c.do(http.MethodGet, "/?class=hot&page=4", nil, nil).Body.String()
	got := sectionNames(p4, "due")
	if len(got) != 30 || got[0] != "Lead 090" || strings.Contains(p4, "page=5") || !strings.Contains(p4, "91–120") {
		t.Errorf("page 4 = %d leads from %q; want the last 30 and no next page", len(got), got)
	}
}

// TestQueueSearchFindsWhatAdvisorsType: the searches, by city with
// or without accents, by name, by the service's label.
func TestQueueSearchFindsWhatAdvisorsType(t *testing.T) {
	env := newEnv(t, Deps{})
	seedWorkday(t, env, []workLead{
		{"María Gómez", "Medellín", "social", flow.Hot, time.Hour, nil},
		{"Pedro Ruiz", "Bogotá, D.C.", "ads", flow.Warm, time.Hour, nil},
	})
	c := env.client()
	c.login("advisor1")
	for q, want := range map[string]string{"medellin": "María Gómez", "MEDELLÍN": "María Gómez", "bogota": "Pedro Ruiz",
		"maria": "María Gómez", "redes": "María Gómez", "pauta": "Pedro Ruiz", "ads": "Pedro Ruiz", "+57 312 00 00000001": "Pedro Ruiz"} {
		page := c.do(http.MethodGet, "/?q="+url.QueryEscape(q), nil, nil).Body.String()
		if got := sectionNames(page, "due"); len(got) != 1 || got[0] != want {
			t.Errorf("search %q finds %q; want %q", q, got, want)
		}
	}
}

// TestAdvisorScopeOwn: with --advisor-scope own an advisor lists their own
// leads and unassigned ones without name or number, cannot open another
// advisor's lead, takes an unassigned one and then sees it whole.
func TestAdvisorScopeOwn(t *testing.T) {
	env := newEnv(t, Deps{AdvisorScope: ScopeOwn})
	other := env.addUser("advisor2", RoleAdvisor)
	ids := seedWorkday(t, env, []workLead{
		{"Mine Lead", "Cali", "seo", flow.Hot, time.Hour, nil},
		{"Their Lead", "Cali", "seo", flow.Hot, time.Hour, nil},
		{"Free Lead", "Cali", "seo", flow.Hot, time.Hour, nil},
	})
	ctx := context.Background()
	me := env.users[RoleAdvisor].ID
	for i, to := range []int64{me, other.ID} {
		if err := env.st.ActOnLead(ctx, ids[i], store.LeadAction{Kind: "assign", AssignTo: to, ByUser: to}); err != nil {
			t.Fatal(err)
		}
	}
	c := env.client()
	c.login("advisor1")
	page := c.do(http.MethodGet, "/", nil, nil).Body.String()
	if !strings.Contains(page, "Mine Lead") || strings.Contains(page, "Their Lead") || strings.Contains(page, "Free Lead") ||
		!strings.Contains(page, fmt.Sprintf("Lead sin asignar #%d", ids[2])) {
		t.Errorf("own scope queue shows the wrong names:\n%s", page)
	}
	if rec := c.do(http.MethodGet, fmt.Sprintf("/leads/%d", ids[1]), nil, nil); rec.Code != http.StatusForbidden {
		t.Errorf("another advisor's lead: %d; want 403", rec.Code)
	}
	free := c.do(http.MethodGet, fmt.Sprintf("/leads/%d", ids[2]), nil, nil).Body.String()
	if strings.Contains(free, "Free Lead") || strings.Contains(free, "wa.me") {
		t.Error("an unassigned lead shows its name or number before it is taken")
	}
	if rec := c.post(fmt.Sprintf("/leads/%d/contacted", ids[2]), nil); rec.Code != http.StatusForbidden {
		t.Errorf("contacting a lead not taken: %d; want 403", rec.Code)
	}
	if rec := c.post(fmt.Sprintf("/leads/%d/take", ids[2]), nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("take: %d", rec.Code)
	}
	if !strings.Contains(c.do(http.MethodGet, fmt.Sprintf("/leads/%d", ids[2]), nil, nil).Body.String(), "Free Lead") {
		t.Error("the taken lead is still masked")
	}
	admin := env.client()
	admin.login("admin1")
	if !strings.Contains(admin.do(http.MethodGet, "/", nil, nil).Body.String(), "Their Lead") {
		t.Error("the admin must see every lead")
	}
}
