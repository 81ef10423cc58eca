package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/store"
)

// apiToken stores a token of scope made by admin1 and returns its secret.
func (e *testEnv) apiToken(name, scope string) (string, store.APIToken) {
	e.t.Helper()
	tok := newAPIToken()
	t, err := e.st.CreateAPIToken(context.Background(), name, scope, hashToken(tok), tok[:10], e.users[RoleAdmin].ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok, t
}

// api sends one API request with token (none when ""); body, when not
// nil, is sent as JSON.
func (e *testEnv) api(token, method, target string, body any) *httptest.ResponseRecorder {
	e.t.Helper()
	var r *http.Request
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		if s, ok := body.(string); ok { // raw text, for bad JSON
			b = []byte(s)
		}
		r = httptest.NewRequest(method, target, bytes.NewReader(b))
		r.Header.Set("Content-Type", "application/json")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.s.ServeHTTP(rec, r)
	return rec
}

// decodeJSON reads rec's body into v, failing on fields v does not have.
func decodeJSON(t testing.TB, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("body %q: %v", rec.Body.String(), err)
	}
}

// wantAPIError checks status and that the body is exactly
// {"error":{"code":code,"message":…}} with a message.
func wantAPIError(t testing.TB, what string, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("%s = %d %s; want %d", what, rec.Code, rec.Body.String(), status)
		return
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q; want JSON", what, ct)
	}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	decodeJSON(t, rec, &body)
	if body.Error.Code != code || body.Error.Message == "" {
		t.Errorf("%s: error %+v; want code %q and a message", what, body.Error, code)
	}
}

// checkAPIRouteNeedsToken is the route inventory's check of an API
// endpoint: without a bearer token 401, also with a logged-in session
// (the API does not take cookies, so it needs no CSRF token).
func checkAPIRouteNeedsToken(t *testing.T, env *testEnv, admin *client, method, target string) {
	t.Helper()
	wantAPIError(t, method+" "+target+" without token", env.api("", method, target, nil), http.StatusUnauthorized, "unauthorized")
	rec := admin.do(method, target, url.Values{}, map[string]string{"Accept": "application/json"})
	wantAPIError(t, method+" "+target+" with a session cookie", rec, http.StatusUnauthorized, "unauthorized")
	checkSecurityHeaders(t, method+" "+target, rec.Header())
}

func TestAPITokensAuthenticate(t *testing.T) {
	env := newEnv(t, Deps{})
	seedLead(t, env.st, "+573001112233", "Carlos", "hola", env.now)
	read, rt := env.apiToken("HubSpot", ScopeRead)
	revoked, vt := env.apiToken("old", ScopeRead)
	if err := env.st.RevokeAPIToken(context.Background(), vt.ID, env.users[RoleAdmin].ID); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, header string
		status       int
		code         string
	}{
		{"none", "", http.StatusUnauthorized, "unauthorized"},
		{"basic scheme", "Basic " + read, http.StatusUnauthorized, "unauthorized"},
		{"empty bearer", "Bearer ", http.StatusUnauthorized, "unauthorized"},
		{"unknown token", "Bearer " + newAPIToken(), http.StatusUnauthorized, "invalid_token"},
		{"revoked token", "Bearer " + revoked, http.StatusUnauthorized, "invalid_token"},
		{"read token", "Bearer " + read, http.StatusOK, ""},
		{"scheme in any case", "bearer " + read, http.StatusOK, ""},
	} {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/leads", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		rec := httptest.NewRecorder()
		env.s.ServeHTTP(rec, r)
		if tt.status == http.StatusOK {
			if rec.Code != http.StatusOK {
				t.Errorf("%s = %d %s; want 200", tt.name, rec.Code, rec.Body.String())
			}
			continue
		}
		wantAPIError(t, tt.name, rec, tt.status, tt.code)
		if rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate header", tt.name)
		}
	}
	got, err := env.st.APITokenByHash(context.Background(), hashToken(read))
	if err != nil || !got.LastUsed.Equal(env.now) || got.ID != rt.ID {
		t.Errorf("last used = %v, %v; want %v", got.LastUsed, err, env.now)
	}
}

// TestAPIBadTokensThrottled: an address that keeps sending unknown tokens
// is refused for a minute, even with a good one; other addresses are not.
func TestAPIBadTokensThrottled(t *testing.T) {
	env := newEnv(t, Deps{})
	good, _ := env.apiToken("crm", ScopeRead)
	from := func(ip, token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/leads", nil)
		r.RemoteAddr = ip + ":4444"
		r.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		env.s.ServeHTTP(rec, r)
		return rec
	}
	for i := range apiBadTokenLimit {
		if rec := from("198.51.100.7", newAPIToken()); rec.Code != http.StatusUnauthorized {
			t.Fatalf("bad token %d = %d; want 401", i+1, rec.Code)
		}
	}
	rec := from("198.51.100.7", good)
	wantAPIError(t, "a good token after 20 bad ones from the same address", rec, http.StatusTooManyRequests, "rate_limited")
	if rec.Header().Get("Retry-After") != "60" {
		t.Errorf("Retry-After = %q; want 60", rec.Header().Get("Retry-After"))
	}
	if rec := from("198.51.100.8", good); rec.Code != http.StatusOK {
		t.Errorf("another address = %d; want 200", rec.Code)
	}
	env.now = env.now.Add(apiBadTokenWindow + time.Second)
	if rec := from("198.51.100.7", good); rec.Code != http.StatusOK {
		t.Errorf("after the window = %d; want 200", rec.Code)
	}
}

func TestAPIScopes(t *testing.T) {
	env := newEnv(t, Deps{})
	seedLead(t, env.st, "+573001112233", "Carlos", "hola", env.now)
	read, _ := env.apiToken("sheet", ScopeRead)
	write, _ := env.apiToken("crm", ScopeWrite)
	for _, path := range []string{"/api/v1/leads", "/api/v1/leads/1", "/api/v1/leads/1/conversation", "/api/v1/campaigns", "/api/v1/customers/at-risk"} {
		for name, tok := range map[string]string{"read": read, "write": write} {
			if rec := env.api(tok, http.MethodGet, path, nil); rec.Code != http.StatusOK {
				t.Errorf("GET %s with a %s token = %d %s; want 200", path, name, rec.Code, rec.Body.String())
			}
		}
	}
	wantAPIError(t, "outcome with a read token", env.api(read, http.MethodPost, "/api/v1/leads/1/outcome", map[string]any{"outcome": "contacted"}),
		http.StatusForbidden, "forbidden")
	if d, _ := env.st.Lead(context.Background(), 1); d.Status != "open" {
		t.Fatalf("a read token changed the lead to %s", d.Status)
	}
	if rec := env.api(write, http.MethodPost, "/api/v1/leads/1/outcome", map[string]any{"outcome": "contacted"}); rec.Code != http.StatusOK {
		t.Errorf("outcome with a write token = %d %s", rec.Code, rec.Body.String())
	}
}

// TestAPIListPagingWalk walks every page of 250 leads (equal deadlines
// among them) with leads added between pages: every lead there at the
// start comes exactly once, in the queue's order, and the walk ends.
func TestAPIListPagingWalk(t *testing.T) {
	for _, status := range []string{"open", "all"} {
		t.Run(status, func(t *testing.T) { apiWalk(t, status) })
	}
}

func apiWalk(t *testing.T, status string) {
	env := newEnv(t, Deps{})
	ctx := context.Background()
	start := env.now.Add(-2 * time.Hour)
	batch := func(n int, at time.Time) {
		env.now = env.now.Add(time.Millisecond) // synthetic phone numbers end in the clock's last digit
		if err := env.st.InsertSyntheticLeads(ctx, n, at); err != nil {
			t.Fatal(err)
		}
	}
	batch(125, start)
	batch(125, start) // the same deadlines: ties broken by id
	want, err := env.st.Queue(ctx, store.LeadFilter{Status: status, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := env.apiToken("walker", ScopeRead)
	seen := map[int64]int{}
	var walked []apiLead
	next := ""
	for page := 0; page == 0 || next != ""; page++ {
		if page > 60 {
			t.Fatal("the walk does not end")
		}
		target := "/api/v1/leads?limit=17&status=" + status
		if next != "" {
			target += "&cursor=" + url.QueryEscape(next)
		}
		rec := env.api(tok, http.MethodGet, target, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("page %d = %d %s", page, rec.Code, rec.Body.String())
		}
		var list apiLeadList
		decodeJSON(t, rec, &list)
		for _, l := range list.Data {
			seen[l.ID]++
		}
		walked = append(walked, list.Data...)
		next = list.NextCursor
		if page%4 == 1 { // new leads, before and after the cursor
			batch(4, start.Add(time.Duration(page)*time.Minute))
		}
	}
	for _, r := range want {
		if seen[r.ID] != 1 {
			t.Errorf("lead %d listed %d times; want once", r.ID, seen[r.ID])
		}
	}
	for i := 1; i < len(walked); i++ {
		a, b := walked[i-1], walked[i]
		before := a.DeadlineAt.Before(b.DeadlineAt) || (a.DeadlineAt.Equal(b.DeadlineAt) && a.ID < b.ID)
		if status != "open" {
			before = a.DeadlineAt.After(b.DeadlineAt) || (a.DeadlineAt.Equal(b.DeadlineAt) && a.ID > b.ID)
		}
		if !before {
			t.Fatalf("leads %d and %d out of the queue's order", a.ID, b.ID)
		}
	}
}

func TestAPIListFilters(t *testing.T) {
	env := newEnv(t, Deps{})
	if err := env.st.InsertSyntheticLeads(context.Background(), 60, env.now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	tok, _ := env.apiToken("crm", ScopeRead)
	for _, tt := range []struct {
		query string
		want  int
		check func(apiLead) bool
	}{
		{"", 50, func(l apiLead) bool { return l.Status == "open" }},
		{"limit=200", 60, nil},
		{"class=hot&limit=200", 20, func(l apiLead) bool { return l.Class == "hot" }},
		{"campaign=instagram&limit=200", 15, func(l apiLead) bool { return l.Source == "instagram" }},
		{"q=MEDELLÍN&limit=200", 10, func(l apiLead) bool { return l.City == "Medellín" }},
		{"advisor=none&limit=200", 60, func(l apiLead) bool { return l.Advisor == nil }},
		{"advisor=2", 0, nil},
		{"status=won", 0, nil},
		{"since=2026-03-03", 0, nil},
		{"until=2026-03-02&limit=200", 60, nil},
	} {
		rec := env.api(tok, http.MethodGet, "/api/v1/leads?"+tt.query, nil)
		if rec.Code != http.StatusOK {
			t.Errorf("%s = %d %s", tt.query, rec.Code, rec.Body.String())
			continue
		}
		var list apiLeadList
		decodeJSON(t, rec, &list)
		if len(list.Data) != tt.want {
			t.Errorf("%s: %d leads; want %d", tt.query, len(list.Data), tt.want)
		}
		for _, l := range list.Data {
			if tt.check != nil && !tt.check(l) {
				t.Errorf("%s: lead %+v does not match", tt.query, l)
				break
			}
		}
	}
}

// TestAPIListLargestPage: a page of the most leads still says whether
// another follows (it reads one lead more than it lists).
func TestAPIListLargestPage(t *testing.T) {
	env := newEnv(t, Deps{})
	if err := env.st.InsertSyntheticLeads(context.Background(), apiMaxLimit+30, env.now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	tok, _ := env.apiToken("crm", ScopeRead)
	var first, second apiLeadList
	decodeJSON(t, env.api(tok, http.MethodGet, "/api/v1/leads?limit="+strconv.Itoa(apiMaxLimit), nil), &first)
	if len(first.Data) != apiMaxLimit || first.NextCursor == "" {
		t.Fatalf("first page: %d leads, next %q; want %d and a cursor", len(first.Data), first.NextCursor, apiMaxLimit)
	}
	// The same filters spelt otherwise (the default status named) keep the cursor.
	decodeJSON(t, env.api(tok, http.MethodGet, "/api/v1/leads?status=open&limit="+strconv.Itoa(apiMaxLimit)+"&cursor="+first.NextCursor, nil), &second)
	if len(second.Data) != 30 || second.NextCursor != "" {
		t.Errorf("second page: %d leads, next %q; want the last 30 and no cursor", len(second.Data), second.NextCursor)
	}
}

// TestAPIListPagingWithSearch walks a search's pages (the search may read
// its leads from the search index first): each match once.
func TestAPIListPagingWithSearch(t *testing.T) {
	env := newEnv(t, Deps{})
	if err := env.st.InsertSyntheticLeads(context.Background(), 600, env.now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	tok, _ := env.apiToken("crm", ScopeRead)
	for _, tt := range []struct {
		q    string
		want int // what one page of 200 lists
	}{{"MEDELLÍN", 100}, {"prospecto 59", 0}, {"pauta", 120}} {
		var one apiLeadList
		decodeJSON(t, env.api(tok, http.MethodGet, "/api/v1/leads?limit=200&q="+url.QueryEscape(tt.q), nil), &one)
		if tt.want == 0 {
			tt.want = len(one.Data)
		}
		if len(one.Data) != tt.want || tt.want < 5 {
			t.Fatalf("q=%s: one page lists %d; want %d (at least 5)", tt.q, len(one.Data), tt.want)
		}
		seen := map[int64]bool{}
		next, pages := "", 0
		for ; pages == 0 || next != ""; pages++ {
			target := "/api/v1/leads?limit=7&q=" + url.QueryEscape(tt.q)
			if next != "" {
				target += "&cursor=" + url.QueryEscape(next)
			}
			var list apiLeadList
			decodeJSON(t, env.api(tok, http.MethodGet, target, nil), &list)
			for _, l := range list.Data {
				if seen[l.ID] {
					t.Fatalf("q=%s: lead %d twice", tt.q, l.ID)
				}
				seen[l.ID] = true
			}
			next = list.NextCursor
		}
		if len(seen) != tt.want {
			t.Errorf("q=%s: %d leads over %d pages; want %d", tt.q, len(seen), pages, tt.want)
		}
	}
}

// TestAPIBadInput: every mistake a client can make gets a 4xx with the
// uniform JSON error and a code a program can test, never a 500.
func TestAPIBadInput(t *testing.T) {
	env := newEnv(t, Deps{})
	seedLead(t, env.st, "+573001112233", "Carlos", "hola", env.now)
	seedLead(t, env.st, "+573001112244", "Lucía", "hola", env.now)
	write, _ := env.apiToken("crm", ScopeWrite)
	if rec := env.api(write, http.MethodPost, "/api/v1/leads/2/outcome", map[string]any{"outcome": "won", "value_cop": 1000}); rec.Code != http.StatusOK {
		t.Fatalf("won = %d %s", rec.Code, rec.Body.String())
	}
	otherCursor := func() string { // a real cursor of the class=hot list
		rec := env.api(write, http.MethodGet, "/api/v1/leads?class=hot&limit=1&status=all", nil)
		var list apiLeadList
		decodeJSON(t, rec, &list)
		if list.NextCursor == "" {
			t.Fatal("no next cursor")
		}
		return list.NextCursor
	}()
	for _, tt := range []struct {
		method, target string
		body           any
		status         int
		code           string
	}{
		{"GET", "/api/v1/leads?stauts=open", nil, 400, "unknown_filter"},
		{"GET", "/api/v1/leads?status=closed", nil, 400, "invalid_value"},
		{"GET", "/api/v1/leads?class=tibio", nil, 400, "invalid_value"},
		{"GET", "/api/v1/leads?advisor=yo", nil, 400, "invalid_value"},
		{"GET", "/api/v1/leads?since=02/03/2026", nil, 400, "invalid_value"},
		{"GET", "/api/v1/leads?until=2026-13-01", nil, 400, "invalid_value"},
		{"GET", "/api/v1/leads?limit=0", nil, 400, "invalid_value"},
		{"GET", "/api/v1/leads?limit=201", nil, 400, "invalid_value"},
		{"GET", "/api/v1/leads?limit=diez", nil, 400, "invalid_value"},
		{"GET", "/api/v1/leads?q=" + strings.Repeat("a", 101), nil, 400, "invalid_value"},
		{"GET", "/api/v1/leads?cursor=not-a-cursor", nil, 400, "invalid_cursor"},
		{"GET", "/api/v1/leads?cursor=eyJ2IjoxfQ", nil, 400, "invalid_cursor"}, // {"v":1}
		{"GET", "/api/v1/leads?status=all&class=hot&limit=1&q=x&cursor=" + otherCursor, nil, 400, "invalid_cursor"},
		{"GET", "/api/v1/leads/abc", nil, 400, "invalid_value"},
		{"GET", "/api/v1/leads/0", nil, 400, "invalid_value"},
		{"GET", "/api/v1/leads/99999", nil, 404, "not_found"},
		{"GET", "/api/v1/leads/99999/conversation", nil, 404, "not_found"},
		{"GET", "/api/v1/nothing", nil, 404, "not_found"},
		{"GET", "/api/v1", nil, 404, "not_found"},
		{"DELETE", "/api/v1/leads/1", nil, 405, "method_not_allowed"},
		{"POST", "/api/v1/leads/1/outcome", "{not json", 400, "invalid_json"},
		{"POST", "/api/v1/leads/1/outcome", map[string]any{"outcome": "won", "valor": 5}, 400, "invalid_json"},
		{"POST", "/api/v1/leads/1/outcome", map[string]any{"outcome": "won", "value_cop": "3M"}, 400, "invalid_json"},
		{"POST", "/api/v1/leads/1/outcome", map[string]any{"outcome": "ganado"}, 422, "invalid_value"},
		{"POST", "/api/v1/leads/1/outcome", map[string]any{"outcome": "won"}, 422, "invalid_value"},
		{"POST", "/api/v1/leads/1/outcome", map[string]any{"outcome": "won", "value_cop": -5}, 422, "invalid_value"},
		{"POST", "/api/v1/leads/1/outcome", map[string]any{"outcome": "won", "value_cop": int64(2e13)}, 422, "invalid_value"},
		{"POST", "/api/v1/leads/1/outcome", map[string]any{"outcome": "won", "value": "entre 1 y 2 millones"}, 422, "invalid_value"},
		{"POST", "/api/v1/leads/1/outcome", map[string]any{"outcome": "won", "value": "3M", "value_cop": 3}, 422, "invalid_value"},
		{"POST", "/api/v1/leads/1/outcome", map[string]any{"outcome": "won", "value_cop": 3, "fee_cop": 0}, 422, "invalid_value"},
		{"POST", "/api/v1/leads/1/outcome", map[string]any{"outcome": "lost", "reason": "   "}, 422, "invalid_value"},
		{"POST", "/api/v1/leads/1/outcome", map[string]any{"outcome": "lost", "reason": strings.Repeat("x", 501)}, 422, "invalid_value"},
		{"POST", "/api/v1/leads/2/outcome", map[string]any{"outcome": "contacted"}, 409, "conflict"},
		{"POST", "/api/v1/leads/2/outcome", map[string]any{"outcome": "lost", "reason": "precio"}, 409, "conflict"},
		{"POST", "/api/v1/leads/99999/outcome", map[string]any{"outcome": "contacted"}, 404, "not_found"},
		{"GET", "/api/v1/campaigns?from=ayer", nil, 400, "invalid_value"},
		{"GET", "/api/v1/campaigns?desde=2026-01-01", nil, 400, "unknown_filter"},
		{"GET", "/api/v1/customers/at-risk?min_probability=2", nil, 400, "invalid_value"},
		{"GET", "/api/v1/customers/at-risk?min_probability=alto", nil, 400, "invalid_value"},
		{"GET", "/api/v1/customers/at-risk?limit=-1", nil, 400, "invalid_value"},
		{"GET", "/api/v1/customers/at-risk?cursor=zzz", nil, 400, "invalid_cursor"},
		{"GET", "/api/v1/customers/at-risk?sort=tenure", nil, 400, "unknown_filter"},
	} {
		wantAPIError(t, tt.method+" "+tt.target+" "+fmt.Sprint(tt.body), env.api(write, tt.method, tt.target, tt.body), tt.status, tt.code)
	}
	if d, _ := env.st.Lead(context.Background(), 1); d.Status != "open" || len(d.Events) != 1 {
		t.Errorf("refused requests changed lead 1: %s, %d events", d.Status, len(d.Events))
	}
}

// TestAPIOutcomesShareTheLeadPageRules: the API records contact, a won
// value typed as an advisor types it, and a lost reason; the lead page
// shows them, the audit log names the token, and an erased person's lead
// cannot change (409) and shows no personal data.
func TestAPIOutcomesShareTheLeadPageRules(t *testing.T) {
	env := newEnv(t, Deps{})
	ctx := context.Background()
	for i, name := range []string{"Carlos", "Lucía", "Pedro", "Ana"} {
		seedLead(t, env.st, "+57300111220"+strconv.Itoa(i), name, "hola", env.now)
	}
	write, wt := env.apiToken("crm", ScopeWrite)
	outcome := func(id int, body map[string]any) apiLeadDetail {
		t.Helper()
		rec := env.api(write, http.MethodPost, fmt.Sprintf("/api/v1/leads/%d/outcome", id), body)
		if rec.Code != http.StatusOK {
			t.Fatalf("outcome %v on lead %d = %d %s", body, id, rec.Code, rec.Body.String())
		}
		var d apiLeadDetail
		decodeJSON(t, rec, &d)
		return d
	}
	if d := outcome(1, map[string]any{"outcome": "contacted"}); d.Status != "contacted" || d.ContactedAt == nil {
		t.Errorf("contacted: %+v", d)
	}
	if d := outcome(1, map[string]any{"outcome": "won", "value": "3 millones"}); d.Status != "won" || d.OutcomeValueCOP != 3_000_000 {
		t.Errorf("won \"3 millones\": status %s value %d; want won 3000000", d.Status, d.OutcomeValueCOP)
	}
	if d := outcome(2, map[string]any{"outcome": "won", "value_cop": 2_500_000, "fee_cop": 800_000}); d.OutcomeValueCOP != 2_500_000 {
		t.Errorf("won value_cop: %d", d.OutcomeValueCOP)
	}
	if d := outcome(3, map[string]any{"outcome": "lost", "reason": "  Eligió otra agencia "}); d.Status != "lost" || d.OutcomeReason != "Eligió otra agencia" {
		t.Errorf("lost: %s %q", d.Status, d.OutcomeReason)
	}
	c := env.client()
	c.login("advisor1")
	if page := c.do(http.MethodGet, "/leads/1", nil, nil).Body.String(); !strings.Contains(page, "$3.000.000") {
		t.Error("the lead page does not show the value the API recorded")
	}
	audit, err := env.st.RecentAudit(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, a := range audit {
		if strings.HasPrefix(a.Action, "lead_") && a.Detail == "api token #"+strconv.FormatInt(wt.ID, 10) && a.UserID == env.users[RoleAdmin].ID {
			n++
		}
	}
	if n != 4 {
		t.Errorf("%d audit entries name the token; want 4: %+v", n, audit)
	}
	env.api(write, http.MethodGet, "/api/v1/leads/3/conversation", nil)
	if audit, _ := env.st.RecentAudit(ctx, 1); len(audit) != 1 || audit[0].Action != "lead_viewed" || audit[0].Object != "lead:3" ||
		audit[0].Detail != "api token #"+strconv.FormatInt(wt.ID, 10) {
		t.Errorf("reading a conversation through the API is not audited: %+v", audit)
	}
	// Erased: no name or number anywhere (seedLead's city and service repeat the name: those are not erased), and no change.
	if _, err := env.st.EraseByPhone(ctx, "+573001112203", store.EraseRequested, "admin", env.users[RoleAdmin].ID); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, "outcome on an erased lead", env.api(write, http.MethodPost, "/api/v1/leads/4/outcome", map[string]any{"outcome": "contacted"}),
		http.StatusConflict, "erased")
	for _, target := range []string{"/api/v1/leads/4", "/api/v1/leads/4/conversation", "/api/v1/leads?status=all"} {
		rec := env.api(write, http.MethodGet, target, nil)
		if body := rec.Body.String(); rec.Code != 200 || strings.Contains(body, `"name":"Ana"`) || strings.Contains(body, "573001112203") || strings.Contains(body, "erased:") {
			t.Errorf("%s = %d shows the erased person's data: %s", target, rec.Code, body)
		}
	}
	var conv apiConversation
	decodeJSON(t, env.api(write, http.MethodGet, "/api/v1/leads/4/conversation", nil), &conv)
	if !conv.Erased || len(conv.Messages) != 0 || len(conv.Consent) != 0 {
		t.Errorf("erased conversation = %+v; want erased and empty", conv)
	}
	decodeJSON(t, env.api(write, http.MethodGet, "/api/v1/leads/1/conversation", nil), &conv)
	if conv.Erased || len(conv.Messages) != 2 || conv.Messages[0].Direction != "in" || conv.Messages[0].Body != "hola" || conv.Messages[1].Body != "Gracias Carlos" {
		t.Errorf("conversation of lead 1 = %+v; want hola, then the reply", conv)
	}
}

func TestAPIRateLimitPerToken(t *testing.T) {
	env := newEnv(t, Deps{Options: Options{APIRate: 0.5, APIBurst: 3}})
	a, _ := env.apiToken("a", ScopeRead)
	b, _ := env.apiToken("b", ScopeRead)
	for i := range 3 {
		if rec := env.api(a, http.MethodGet, "/api/v1/leads", nil); rec.Code != http.StatusOK {
			t.Fatalf("request %d = %d", i+1, rec.Code)
		}
	}
	rec := env.api(a, http.MethodGet, "/api/v1/leads", nil)
	wantAPIError(t, "4th request in the same instant", rec, http.StatusTooManyRequests, "rate_limited")
	if ra := rec.Header().Get("Retry-After"); ra != "2" { // one request refills in 1 / 0.5 s
		t.Errorf("Retry-After = %q; want 2", ra)
	}
	if rec := env.api(b, http.MethodGet, "/api/v1/leads", nil); rec.Code != http.StatusOK {
		t.Errorf("another token = %d; want 200 (limits are per token)", rec.Code)
	}
	env.now = env.now.Add(2 * time.Second)
	if rec := env.api(a, http.MethodGet, "/api/v1/leads", nil); rec.Code != http.StatusOK {
		t.Errorf("after Retry-After = %d; want 200", rec.Code)
	}
	wantAPIError(t, "and again at once", env.api(a, http.MethodGet, "/api/v1/leads", nil), http.StatusTooManyRequests, "rate_limited")
}

func TestAPIAtRiskAndCampaigns(t *testing.T) {
	env := newEnv(t, Deps{})
	seedCustomers(t, env, 300) // probabilities i/301
	if err := env.st.InsertSyntheticLeads(context.Background(), 40, env.now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	tok, _ := env.apiToken("crm", ScopeRead)
	var all []apiCustomer
	next := ""
	for page := 0; page == 0 || next != ""; page++ {
		target := "/api/v1/customers/at-risk?min_probability=0.5&limit=40"
		if next != "" {
			target += "&cursor=" + url.QueryEscape(next)
		}
		var list apiCustomerList
		decodeJSON(t, env.api(tok, http.MethodGet, target, nil), &list)
		all, next = append(all, list.Data...), list.NextCursor
		if page > 10 {
			t.Fatal("the walk does not end")
		}
	}
	if len(all) != 150 { // 151/301 … 300/301
		t.Errorf("%d customers at ≥ 0.5; want 150", len(all))
	}
	for i, cu := range all {
		if cu.Probability < 0.5 || (i > 0 && cu.Probability > all[i-1].Probability) || cu.Risk != "high" {
			t.Fatalf("customer %d: probability %v risk %s out of order or below the threshold", i, cu.Probability, cu.Risk)
		}
	}
	var camps apiCampaignList
	decodeJSON(t, env.api(tok, http.MethodGet, "/api/v1/campaigns?from=2026-01-01&to=2026-03-31", nil), &camps)
	leads := 0
	for _, c := range camps.Data {
		leads += c.Leads
	}
	if camps.From != "2026-01-01" || camps.To != "2026-03-31" || leads != 40 {
		t.Errorf("campaigns %s..%s count %d leads; want 40", camps.From, camps.To, leads)
	}
}

// TestAPIOutcomesQueueWebhookEvents: an outcome recorded through the API
// goes through store.ActOnLead, so it queues the same webhook events as the
// lead page (issue 21 items 1 and 2 together), in order.
func TestAPIOutcomesQueueWebhookEvents(t *testing.T) {
	env := newEnv(t, Deps{})
	ctx := context.Background()
	seedLead(t, env.st, "+573001112233", "Carlos", "hola", env.now)
	dest, _, err := env.st.CreateWebhook(ctx, store.NewWebhook{Name: "crm", URL: "https://crm.example/hook",
		Events: []string{"lead.contacted", "lead.won", "lead.lost"}}, env.users[RoleAdmin].ID)
	if err != nil {
		t.Fatal(err)
	}
	write, _ := env.apiToken("crm", ScopeWrite)
	for _, body := range []map[string]any{{"outcome": "contacted"}, {"outcome": "won", "value_cop": 3_000_000}} {
		if rec := env.api(write, http.MethodPost, "/api/v1/leads/1/outcome", body); rec.Code != http.StatusOK {
			t.Fatalf("outcome %v = %d %s", body, rec.Code, rec.Body.String())
		}
	}
	var types []string // one delivery per lead at a time: deliver each to see the next
	for range 5 {
		due, err := env.st.DueWebhooks(ctx, dest, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) == 0 {
			break
		}
		types = append(types, due[0].Type)
		if ok, err := env.st.ClaimWebhook(ctx, due[0].ID); !ok || err != nil {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if err := env.st.WebhookDelivered(ctx, due[0].ID, "200"); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(types, ",") != "lead.contacted,lead.won" {
		t.Errorf("queued webhook events = %v; want lead.contacted, lead.won", types)
	}
}
