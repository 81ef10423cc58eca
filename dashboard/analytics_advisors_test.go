package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/assign"
	"github.com/cis-agencia/cis/store"
)

// TestOwnerViewAndStaffingInsight: a store where the evenings are
// understaffed. Two advisors work Mon–Fri 8–17; the agency promised 25
// minutes to every lead, also those arriving at 18, 19 and 20 h, which
// were called the next morning. The owner's view shows each advisor's
// week (on time, late, shift hours) and the insights page says the
// evenings break the promise for lack of advisors.
func TestOwnerViewAndStaffingInsight(t *testing.T) {
	env := &testEnv{t: t, users: map[string]store.User{}}
	rules := assign.Rules{Agency: flow.Calendar{Loc: bogota, Week: flow.DefaultWeek(), Enabled: true}}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "cis.db"),
		store.Options{Synchronous: "NORMAL", Now: func() time.Time { return env.now }, Assign: rules})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	env.st = st
	if env.s, err = New(Deps{Store: st, Now: func() time.Time { return env.now }}); err != nil {
		t.Fatal(err)
	}
	env.users[RoleAdmin] = env.addUser("admin1", RoleAdmin)
	ctx := context.Background()
	if err := st.SetAdvisors(ctx, []store.Advisor{{Name: "ana"}, {Name: "beto"}}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"ana", "beto"} {
		if err := st.SetAdvisorSettings(ctx, n, store.AdvisorSettings{Hours: "lun-vie 8-17"}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	lead := func(day, hour, minute int, contact time.Time) {
		n++
		at := time.Date(2026, 3, day, hour, minute, 0, 0, bogota)
		env.now = at
		phone := fmt.Sprintf("+5730055%05d", n)
		seedLead(t, st, phone, fmt.Sprintf("Prospecto %d", n), "hola", at)
		rows, err := st.Queue(ctx, store.LeadFilter{Status: "all", Search: phone})
		if err != nil || len(rows) != 1 {
			t.Fatalf("lead %d: %d rows, %v", n, len(rows), err)
		}
		env.now = contact
		if err := st.ActOnLead(ctx, rows[0].ID, store.LeadAction{Kind: "contacted", ByUser: rows[0].AdvisorID}); err != nil {
			t.Fatal(err)
		}
	}
	for day := 2; day <= 4; day++ { // Monday to Wednesday
		for h := 9; h < 17; h++ {
			lead(day, h, 0, time.Date(2026, 3, day, h, 10, 0, 0, bogota)) // called in 10 minutes
		}
		for h := 18; h < 21; h++ {
			for _, m := range []int{0, 20, 40} {
				lead(day, h, m, time.Date(2026, 3, day+1, 8, 10, 0, 0, bogota)) // called the next morning
			}
		}
	}
	env.now = time.Date(2026, 3, 5, 10, 0, 0, 0, bogota)
	weeks, err := st.AdvisorWeeks(ctx, weekStart(env.now), env.now, 0)
	if err != nil {
		t.Fatal(err)
	}
	var onTime, late int
	for _, w := range weeks {
		onTime, late = onTime+w.OnTime, late+w.Late
		if w.ShiftHours != 45*time.Hour {
			t.Errorf("%s: %v on shift this week; want 45h (Mon–Fri 8–17)", w.Username, w.ShiftHours)
		}
		if w.Contacted == 0 || w.MedianFirst <= 0 {
			t.Errorf("%s: no median first contact: %+v", w.Username, w)
		}
	}
	if len(weeks) != 2 || onTime != 24 || late != 27 {
		t.Errorf("week: %d advisors, %d on time, %d late; want 2, 24, 27", len(weeks), onTime, late)
	}
	admin := env.client()
	admin.login("admin1")
	page := admin.do(http.MethodGet, "/analytics/advisors", nil, nil)
	if body := page.Body.String(); page.Code != http.StatusOK || !strings.Contains(body, "ana") || !strings.Contains(body, "45,0 h") {
		t.Errorf("owner view: %d; want each advisor with 45,0 h", page.Code)
	}
	insights := admin.do(http.MethodGet, "/analytics/insights", nil, nil).Body.String()
	if !strings.Contains(insights, "Entre las 18:00 y las 21:00 se incumplió la promesa de contacto en 27 de 27 leads") {
		t.Errorf("no staffing insight for the evenings:\n%s", findingsOf(insights))
	}
}

// findingsOf cuts the findings list out of the insights page.
func findingsOf(page string) string {
	if i := strings.Index(page, `id="findings"`); i >= 0 {
		page = page[i:]
		if j := strings.Index(page, "</ul>"); j >= 0 {
			return page[:j]
		}
	}
	return page
}
