package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzAPIRequests sends any query string to the list endpoints and any
// body to the outcome endpoint: the answer is a success or a 4xx with the
// API's error body, never a 500 and never another shape.
func FuzzAPIRequests(f *testing.F) {
	for _, seed := range []struct{ query, body string }{
		{"", `{"outcome":"contacted"}`},
		{"status=all&class=hot&limit=3&q=medell%C3%ADn", `{"outcome":"won","value":"3 millones"}`},
		{"cursor=eyJ2IjoxLCJmIjoiIiwiZCI6MCwiaSI6MX0&limit=200", `{"outcome":"won","value_cop":1e30}`},
		{"since=2026-02-30&until=9999-99-99", `{"outcome":"lost","reason":"\u0000"}`},
		{"advisor=-1&campaign=%00&q=%FF%FE", `[{"outcome":"won"}]`},
		{"min_probability=NaN&limit=1e3", `{"outcome":"won","value":"USD 500","fee_cop":-1}`},
		{"%zz=1&;=;", `{"outcome":null}`},
	} {
		f.Add(seed.query, seed.body)
	}
	env := newEnv(f, Deps{})
	if err := env.st.InsertSyntheticLeads(context.Background(), 20, env.now.Add(-time.Hour)); err != nil {
		f.Fatal(err)
	}
	seedCustomers(f, env, 20)
	tok, _ := env.apiToken("fuzz", ScopeWrite)
	env.s.apiLimit = newBuckets(1e9, 1e9)
	f.Fuzz(func(t *testing.T, query, body string) {
		for _, r := range []*http.Request{
			httptest.NewRequest(http.MethodGet, "/api/v1/leads", nil),
			httptest.NewRequest(http.MethodGet, "/api/v1/customers/at-risk", nil),
			httptest.NewRequest(http.MethodGet, "/api/v1/campaigns", nil),
			httptest.NewRequest(http.MethodPost, "/api/v1/leads/1/outcome", strings.NewReader(body)),
		} {
			if r.Method == http.MethodGet {
				r.URL.RawQuery = query // as sent, malformed or not (NewRequest would refuse some)
			}
			r.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			env.s.ServeHTTP(rec, r)
			if rec.Code >= 500 {
				t.Fatalf("%s %s %q = %d %s", r.Method, r.URL, body, rec.Code, rec.Body.String())
			}
			if rec.Code >= 400 {
				var e struct {
					Error *apiError `json:"error"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == nil || e.Error.Code == "" || e.Error.Message == "" {
					t.Fatalf("%s %s = %d with body %q; want the API's error body", r.Method, r.URL, rec.Code, rec.Body.String())
				}
			}
		}
	})
}
