package dashboard

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// TestAdvisorsAnalyticsPerNumber: the advisors' page filtered by number
// (issue 16), as the other analytics pages are. Ana and Beto are in the
// rotation; Norte's leads go to Beto only (its own advisors), Sur's to the
// whole rotation. One whole conversation on Norte, then two on Sur, a
// minute apart, each assigned in turn as it completes. Norte's view lists Beto with its one open lead
// and not Ana; Sur's view lists both with two open leads between them;
// every number's view has the three; the staffing table counts each
// number's leads at their hour; the Número filter and its note are shown.
func TestAdvisorsAnalyticsPerNumber(t *testing.T) {
	env := newEnv(t, Deps{})
	ctx := context.Background()
	if err := env.st.SetAdvisors(ctx, []store.Advisor{{Name: "ana"}, {Name: "beto"}}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []store.Number{{Channel: "cloudapi", Address: "111", Brand: "Norte Digital", Advisors: []string{"beto"}},
		{Channel: "cloudapi", Address: "222", Brand: "Sur Creativo"}} {
		if err := env.st.DeclareNumber(ctx, n, env.users[RoleAdmin].ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	m, err := flow.New(flow.DefaultConfig(bogota), scoring.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	start := env.now
	for i, acct := range []string{"111", "222", "222"} {
		env.now = env.now.Add(time.Minute) // the rotation takes turns by time
		for j, text := range []string{"hola", "sí", "Carlos", "Cali", "2 millones", "pa' ya", "una página web"} {
			in := flow.Inbound{Channel: "cloudapi", Account: acct, ID: fmt.Sprintf("v%d.%d", i, j), From: fmt.Sprintf("+57300777000%d", i),
				Kind: flow.KindText, Text: text, At: env.now}
			if _, err := env.st.Handle(ctx, in, func(st flow.State) flow.Result { return m.Step(st, in, env.now) }); err != nil {
				t.Fatal(err)
			}
			sendAll(t, env.st, "cloudapi")
		}
	}
	env.now = env.now.Add(time.Hour) // the hours read up to now, excluded
	ns, err := env.st.Numbers(ctx)
	if err != nil || len(ns) != 2 {
		t.Fatalf("numbers %+v, %v", ns, err)
	}
	c := env.client()
	c.login("viewer1")
	hour := start.In(bogota).Format("15") + ":00"
	for _, tc := range []struct {
		number string
		open   map[string]string // advisor: open leads
		leads  string            // leads completed in this hour, staffing table
	}{
		{"", map[string]string{"ana": "1", "beto": "2"}, "3"},
		{itoa(ns[0].ID), map[string]string{"beto": "1"}, "1"},
		{itoa(ns[1].ID), map[string]string{"ana": "1", "beto": "1"}, "2"},
	} {
		url := "/analytics/advisors?number=" + tc.number
		if got := csvColumn(t, c, url+"&csv=advisors", 1); !equalMaps(got, tc.open) {
			t.Errorf("GET %s: open leads by advisor %v; want %v", url, got, tc.open)
		}
		if got := csvColumn(t, c, url+"&csv=hours", 1)[hour]; got != tc.leads {
			t.Errorf("GET %s: %s leads at %s; want %s", url, got, hour, tc.leads)
		}
		body := c.do(http.MethodGet, url, nil, nil).Body.String()
		if tc.number != "" && (!strings.Contains(body, `value="`+tc.number+`" selected>`) || !strings.Contains(body, `id="number-note"`)) {
			t.Errorf("GET %s: the number is not shown chosen, with its note", url)
		}
	}
}

// csvColumn reads a table's CSV download as first column: column col.
func csvColumn(t *testing.T, c *client, url string, col int) map[string]string {
	t.Helper()
	rec := c.do(http.MethodGet, url, nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d", url, rec.Code)
	}
	rows, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("GET %s: %d rows, %v", url, len(rows), err)
	}
	out := map[string]string{}
	for _, r := range rows[1:] {
		out[r[0]] = r[col]
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
