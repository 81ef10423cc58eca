package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPrivacyBackOffice: "mis datos" and "borrar mis datos" typed in the web chat appear on the
// admin's "Solicitudes de datos" page by due date, with the warning two business days before
// expiry and once overdue; the admin exports (audited), resolves and deletes (audited), and the
// deleted person's name is gone from the queue and the page.
func TestPrivacyBackOffice(t *testing.T) {
	env := newBotEnv(t, Deps{}) // Monday 2026-03-02 10:00 in Bogotá
	carlos := env.client()
	for _, m := range hotLead {
		carlos.chat(m)
	}
	carlos.chat("mis datos")
	env.now = env.now.Add(24 * time.Hour)
	ana := env.client()
	for _, m := range []string{"hola", "sí", "Ana María Pérez", "borrar mis datos"} {
		ana.chat(m)
	}

	admin := env.client()
	admin.login("admin1")
	page := admin.do(http.MethodGet, "/admin/privacy", nil, nil).Body.String()
	rows := regexp.MustCompile(`data-request="(\d+)" data-warning="([a-z_]*)"`).FindAllStringSubmatch(page, -1)
	if len(rows) != 2 || rows[0][1] != "1" {
		t.Fatalf("rows %v; want the query (due first) then the deletion claim", rows)
	}
	for _, want := range []string{"Consulta (mis datos)", "Reclamo: supresión", "Carlos Andrés", "2026-03-16 23:59"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, `id="privacy-warning"`) {
		t.Error("a warning with 9 business days left")
	}
	for _, tc := range []struct {
		at, warning string
	}{{"2026-03-11T15:00:00Z", ""}, {"2026-03-12T15:00:00Z", "due_soon"}, {"2026-03-17T05:00:00Z", "overdue"}} {
		env.now, _ = time.Parse(time.RFC3339, tc.at)
		admin = env.client() // sessions end after 8 idle hours
		admin.login("admin1")
		page := admin.do(http.MethodGet, "/admin/privacy", nil, nil).Body.String()
		m := regexp.MustCompile(`data-request="1" data-warning="([a-z_]*)"`).FindStringSubmatch(page)
		if m == nil || m[1] != tc.warning {
			t.Errorf("at %s the query's warning = %v, want %q", tc.at, m, tc.warning)
		}
		if tc.warning != "" && !strings.Contains(page, `id="privacy-warning"`) {
			t.Errorf("at %s no visible warning", tc.at)
		}
	}

	rec := admin.do(http.MethodGet, "/admin/privacy/requests/1/export", nil, nil)
	var x map[string]any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &x) != nil {
		t.Fatalf("export = %d %s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(rec.Body.String(), "Carlos Andrés") || !strings.Contains(rec.Header().Get("Content-Disposition"), "attachment") {
		t.Error("the export lacks the person's data or is not a download")
	}
	if rec := admin.post("/admin/privacy/requests/1/resolve", url.Values{"status": {"resolved"}, "resolution": {"export sent"}}); rec.Code != http.StatusSeeOther {
		t.Errorf("resolve = %d", rec.Code)
	}
	if rec := admin.post("/admin/privacy/requests/1/delete", nil); rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "err=confirm") {
		t.Errorf("delete without confirmation = %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if rec := admin.post("/admin/privacy/requests/1/delete", url.Values{"confirm": {"yes"}}); rec.Code != http.StatusSeeOther {
		t.Errorf("delete = %d", rec.Code)
	}
	all := admin.do(http.MethodGet, "/admin/privacy?all=1", nil, nil).Body.String()
	if strings.Contains(all, "Carlos") || !strings.Contains(all, "(borrado)") {
		t.Error("the deleted person is still named on the requests page")
	}
	if queue := admin.do(http.MethodGet, "/", nil, nil).Body.String(); strings.Contains(queue, "Carlos") {
		t.Error("the deleted person is still named in the lead queue")
	}
	if rec := admin.do(http.MethodGet, "/admin/privacy/requests/1/export", nil, nil); rec.Code != http.StatusGone {
		t.Errorf("export after deletion = %d, want 410", rec.Code)
	}
	if rec := admin.post("/admin/privacy/exclusions", url.Values{"phones": {"+573005550001\n+573005550002"}, "source": {"rne"}}); !strings.Contains(rec.Header().Get("Location"), "done=excluded") {
		t.Errorf("exclusions = %s", rec.Header().Get("Location"))
	}
	if rec := admin.post("/admin/privacy/exclusions", url.Values{"phones": {"3005550003"}}); !strings.Contains(rec.Header().Get("Location"), "err=excluded") {
		t.Errorf("a bad number was accepted: %s", rec.Header().Get("Location"))
	}
	if page := admin.do(http.MethodGet, "/admin/privacy", nil, nil).Body.String(); !strings.Contains(page, "…0002") || strings.Contains(page, "5550002") {
		t.Error("the exclusion list does not show (only) the last digits")
	}

	// A security incident detected on Tuesday 2026-03-10 must reach the SIC by the end of the 15th
	// business day after it: Wednesday 1 April (Monday 23 March is a holiday).
	if rec := admin.post("/admin/privacy/incidents", url.Values{"detected": {"2026-03-10T11:30"}, "description": {"portátil robado"}}); !strings.Contains(rec.Header().Get("Location"), "done=incident") {
		t.Errorf("incident = %s", rec.Header().Get("Location"))
	}
	if rec := admin.post("/admin/privacy/incidents", url.Values{"detected": {"ayer"}, "description": {"x"}}); !strings.Contains(rec.Header().Get("Location"), "err=incident") {
		t.Errorf("a bad date was accepted: %s", rec.Header().Get("Location"))
	}
	page = admin.do(http.MethodGet, "/admin/privacy", nil, nil).Body.String()
	if !strings.Contains(page, "2026-04-01 23:59") || !regexp.MustCompile(`data-incident="1" data-warning=""`).MatchString(page) {
		t.Error("the incident's SIC deadline is not shown, or it warns too early")
	}
	if rec := admin.post("/admin/privacy/incidents/1/reported", nil); !strings.Contains(rec.Header().Get("Location"), "done=reported") {
		t.Errorf("reported = %s", rec.Header().Get("Location"))
	}

	audit, err := env.st.RecentAudit(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range audit {
		if a.UserID == env.users[RoleAdmin].ID {
			seen[a.Action] = true
		}
	}
	for _, want := range []string{"privacy_viewed", "privacy.export", "privacy.resolved", "privacy.delete", "privacy.exclusions_added",
		"privacy.incident", "privacy.incident_reported"} {
		if !seen[want] {
			t.Errorf("%s by the admin is not in the audit log", want)
		}
	}
}
