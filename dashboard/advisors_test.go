package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

func auditSeen(t *testing.T, env *testEnv) map[string]string {
	t.Helper()
	audit, err := env.st.RecentAudit(context.Background(), 50)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, a := range audit {
		seen[a.Action] += a.Detail + "|"
	}
	return seen
}

// TestAvailabilitySwitchAndSharedQueue: an advisor in the rotation sees
// the available/away switch on the queue page; away, a new lead waits in
// the shared queue (shown as such); switching back to available hands it
// to them at once. Both switches are audited.
func TestAvailabilitySwitchAndSharedQueue(t *testing.T) {
	env := newEnv(t, Deps{})
	ctx := context.Background()
	if err := env.st.SetAdvisors(ctx, []store.Advisor{{Name: "advisor1"}}); err != nil {
		t.Fatal(err)
	}
	adv := env.client()
	adv.login("advisor1")
	page := adv.do(http.MethodGet, "/", nil, nil).Body.String()
	if !strings.Contains(page, `id="presence"`) || !strings.Contains(page, "Pasar a ausente") {
		t.Fatalf("queue page has no availability switch for an advisor in the rotation")
	}
	if rec := adv.post("/advisor/availability", url.Values{"state": {"away"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("switch to away: %d", rec.Code)
	}
	seedLead(t, env.st, "+573001110001", "Carla", "hola", env.now)
	admin := env.client()
	admin.login("admin1")
	page = admin.do(http.MethodGet, "/", nil, nil).Body.String()
	if !strings.Contains(page, "En cola compartida") {
		t.Errorf("a lead nobody can take is not shown in the shared queue")
	}
	if strings.Contains(page, `id="presence"`) {
		t.Errorf("an admin outside the rotation sees the switch")
	}
	if page := adv.do(http.MethodGet, "/", nil, nil).Body.String(); !strings.Contains(page, "Pasar a disponible") {
		t.Errorf("away advisor is not offered to switch back")
	}
	if rec := adv.post("/advisor/availability", url.Values{"state": {"available"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("switch to available: %d", rec.Code)
	}
	rows, err := env.st.Queue(ctx, store.LeadFilter{AdvisorID: env.users[RoleAdvisor].ID})
	if err != nil || len(rows) != 1 {
		t.Errorf("the waiting lead is not advisor1's after the switch: %d rows, %v", len(rows), err)
	}
	seen := auditSeen(t, env)
	if !strings.Contains(seen["advisor_away"], "manual") || !strings.Contains(seen["advisor_available"], "manual") {
		t.Errorf("switches not audited: %v", seen)
	}
	if rec := adv.post("/advisor/availability", url.Values{"state": {"lunch"}}); rec.Code != http.StatusBadRequest {
		t.Errorf("an unknown state: %d; want 400", rec.Code)
	}
}

// TestAdvisorsAdminForm: an admin sets an advisor's hours, days off,
// capacity and skills and the per-class modes from the dashboard; bad
// values are refused with words for the admin and nothing changes; every
// change is audited; other roles cannot reach the form.
func TestAdvisorsAdminForm(t *testing.T) {
	env := newEnv(t, Deps{})
	ctx := context.Background()
	if err := env.st.SetAdvisors(ctx, []store.Advisor{{Name: "advisor1"}}); err != nil {
		t.Fatal(err)
	}
	admin := env.client()
	admin.login("admin1")
	if rec := admin.do(http.MethodGet, "/admin/advisors", nil, nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "advisor1") {
		t.Fatalf("advisors page: %d", rec.Code)
	}
	id := itoa(env.users[RoleAdvisor].ID)
	good := url.Values{"hours": {"lun-vie 8-12,14-18"}, "days_off": {"2026-12-24, 2026-12-31"}, "max_open": {"5"},
		"services": {"seo, web"}, "places": {"Antioquia"}}
	for _, bad := range []struct{ field, value, words string }{
		{"hours", "todo el día", "el horario no se entiende"},
		{"days_off", "24/12", "las fechas van como"},
		{"max_open", "-2", "número entero"},
	} {
		form := url.Values{}
		for k, v := range good {
			form[k] = v
		}
		form.Set(bad.field, bad.value)
		rec := admin.post("/admin/advisors/"+id, form)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), bad.words) {
			t.Errorf("%s=%q: %d; want 422 saying %q", bad.field, bad.value, rec.Code, bad.words)
		}
	}
	if st, _ := env.st.AdvisorStateOf(ctx, env.users[RoleAdvisor].ID); st.Settings.Hours != "" {
		t.Fatalf("a refused form changed the settings: %+v", st.Settings)
	}
	if rec := admin.post("/admin/advisors/"+id, good); rec.Code != http.StatusSeeOther {
		t.Fatalf("save: %d", rec.Code)
	}
	st, err := env.st.AdvisorStateOf(ctx, env.users[RoleAdvisor].ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Settings.Hours != "lun-vie 8-12,14-18" || len(st.Settings.DaysOff) != 2 || st.Settings.MaxOpen != 5 ||
		strings.Join(st.Settings.Services, ",") != "seo,web" || st.Settings.Places[0] != "Antioquia" {
		t.Errorf("stored settings %+v", st.Settings)
	}
	if page := admin.do(http.MethodGet, "/admin/advisors", nil, nil).Body.String(); !strings.Contains(page, `value="2026-12-24, 2026-12-31"`) {
		t.Errorf("the form does not show the saved days off")
	}
	if rec := admin.post("/admin/advisors/modes", url.Values{"hot": {"least_loaded"}, "warm": {"rotation"}, "cold": {"rotation"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("save modes: %d", rec.Code)
	}
	if m := env.st.AssignModes(); m[flow.Hot] != store.ModeLeastLoaded || m[flow.Warm] != store.ModeRotation {
		t.Errorf("modes %v", m)
	}
	seen := auditSeen(t, env)
	if !strings.Contains(seen["advisor_settings"], "max_open=5") || !strings.Contains(seen["assign_modes"], "hot=least_loaded") {
		t.Errorf("changes not audited: %v", seen)
	}
	for _, role := range []string{"advisor1", "viewer1"} {
		c := env.client()
		c.login(role)
		if rec := c.do(http.MethodGet, "/admin/advisors", nil, nil); rec.Code != http.StatusForbidden {
			t.Errorf("%s on the admin form: %d; want 403", role, rec.Code)
		}
	}
}

// TestIdleAwayAndBackByActivity: an advisor idle on shift for the idle
// time is switched away; the queue page's own polling does not bring them
// back, their next real request does (audited as activity).
func TestIdleAwayAndBackByActivity(t *testing.T) {
	env := newEnv(t, Deps{})
	ctx := context.Background()
	if err := env.st.SetAdvisors(ctx, []store.Advisor{{Name: "advisor1"}}); err != nil {
		t.Fatal(err)
	}
	adv := env.client()
	adv.login("advisor1")
	env.now = env.now.Add(31 * time.Minute)
	if n, err := env.st.AwayIdle(ctx, 30*time.Minute); err != nil || n != 1 {
		t.Fatalf("idle sweep: %d, %v; want advisor1 away", n, err)
	}
	id := env.users[RoleAdvisor].ID
	adv.do(http.MethodGet, "/queue/version", nil, map[string]string{"X-Requested-With": "fetch", "Accept": "application/json"})
	adv.do(http.MethodGet, "/", nil, map[string]string{"X-CIS-Background": "1"})
	if st, _ := env.st.AdvisorStateOf(ctx, id); !st.Away || st.AwayReason != store.AwayIdle {
		t.Fatalf("after the page's own polls: %+v; want still away for idleness", st)
	}
	page := adv.do(http.MethodGet, "/", nil, nil).Body.String()
	if st, _ := env.st.AdvisorStateOf(ctx, id); st.Away {
		t.Errorf("a real request did not bring the advisor back: %+v", st)
	}
	if !strings.Contains(page, "Estás disponible") {
		t.Errorf("the page after coming back does not say available")
	}
	if seen := auditSeen(t, env); !strings.Contains(seen["advisor_available"], "activity") || !strings.Contains(seen["advisor_away"], "idle") {
		t.Errorf("idle and return not audited: %v", seen)
	}
}
