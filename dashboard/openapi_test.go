package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cis-agencia/cis/store"
)

// loadOpenAPI reads the document the server serves (not the file), and
// checks it is a valid OpenAPI 3 document.
func loadOpenAPI(t *testing.T, env *testEnv) *openapi3.T {
	t.Helper()
	rec := env.api("", http.MethodGet, "/api/v1/openapi.json", nil)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v1/openapi.json = %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	doc, err := openapi3.NewLoader().LoadFromData(rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	return doc
}

var echoParam = regexp.MustCompile(`:(\w+)`)

// TestOpenAPIMatchesRoutes: every registered /api/v1 route is in the
// document with its method, and every documented operation is a route;
// the scopes and security agree (only the document itself is public).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	env := newEnv(t, Deps{})
	doc := loadOpenAPI(t, env)
	documented := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented[method+" "+apiPrefix+path] = op
		}
	}
	registered := map[string]string{}
	for key, scope := range env.s.APIRoutes() {
		registered[echoParam.ReplaceAllString(key, "{$1}")] = scope
	}
	for k := range env.s.Routes() { // nothing under /api/v1 escapes APIRoutes
		if _, ok := registered[echoParam.ReplaceAllString(k, "{$1}")]; strings.Contains(k, apiPrefix+"/") && !ok {
			t.Errorf("route %s is under %s but not an API route", k, apiPrefix)
		}
	}
	for key, scope := range registered {
		op, ok := documented[key]
		if !ok {
			t.Errorf("route %s is not in the OpenAPI document", key)
			continue
		}
		public := op.Security != nil && len(*op.Security) == 0
		if public != (scope == "") {
			t.Errorf("%s: documented public=%v; the route needs scope %q", key, public, scope)
		}
		if scope == ScopeWrite && op.Responses.Status(http.StatusForbidden) == nil {
			t.Errorf("%s needs the write scope but documents no 403", key)
		}
		if scope != "" && (op.Responses.Status(http.StatusUnauthorized) == nil || op.Responses.Status(http.StatusTooManyRequests) == nil) {
			t.Errorf("%s documents no 401 or 429", key)
		}
	}
	for key := range documented {
		if _, ok := registered[key]; !ok {
			t.Errorf("the OpenAPI document describes %s, which is not a route", key)
		}
	}
	if len(registered) < 7 {
		t.Errorf("only %d API routes registered", len(registered))
	}
}

// TestAPIResponsesMatchDocument sends real requests, good and bad, and
// validates each body against the schema documented for its status.
func TestAPIResponsesMatchDocument(t *testing.T) {
	env := newEnv(t, Deps{})
	doc := loadOpenAPI(t, env)
	seedLead(t, env.st, "+573001112233", "Carlos", "hola", env.now)
	seedLead(t, env.st, "+573001112244", "Lucía", "hola", env.now)
	if err := env.st.InsertSyntheticLeads(context.Background(), 30, env.now.Add(-30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := env.st.EraseByPhone(context.Background(), "+573001112244", store.EraseRequested, "admin", env.users[RoleAdmin].ID); err != nil {
		t.Fatal(err)
	}
	seedCustomers(t, env, 50)
	read, _ := env.apiToken("sheet", ScopeRead)
	write, _ := env.apiToken("crm", ScopeWrite)
	for _, tt := range []struct {
		token, method, path, target string
		body                        any
		status                      int
	}{
		{write, "GET", "/leads", "/api/v1/leads?limit=5", nil, 200},
		{write, "GET", "/leads", "/api/v1/leads?status=all&q=medellin", nil, 200},
		{write, "GET", "/leads", "/api/v1/leads?cursor=x", nil, 400},
		{"", "GET", "/leads", "/api/v1/leads", nil, 401},
		{write, "GET", "/leads/{id}", "/api/v1/leads/1", nil, 200},
		{write, "GET", "/leads/{id}", "/api/v1/leads/2", nil, 200}, // erased
		{write, "GET", "/leads/{id}", "/api/v1/leads/404", nil, 404},
		{write, "GET", "/leads/{id}/conversation", "/api/v1/leads/1/conversation", nil, 200},
		{write, "GET", "/leads/{id}/conversation", "/api/v1/leads/2/conversation", nil, 200},
		{read, "POST", "/leads/{id}/outcome", "/api/v1/leads/1/outcome", map[string]any{"outcome": "contacted"}, 403},
		{write, "POST", "/leads/{id}/outcome", "/api/v1/leads/1/outcome", map[string]any{"outcome": "won", "value": "2 millones"}, 200},
		{write, "POST", "/leads/{id}/outcome", "/api/v1/leads/1/outcome", map[string]any{"outcome": "lost", "reason": "x"}, 409},
		{write, "POST", "/leads/{id}/outcome", "/api/v1/leads/3/outcome", map[string]any{"outcome": "won"}, 422},
		{write, "POST", "/leads/{id}/outcome", "/api/v1/leads/3/outcome", "{", 400},
		{write, "GET", "/campaigns", "/api/v1/campaigns", nil, 200},
		{write, "GET", "/campaigns", "/api/v1/campaigns?from=x", nil, 400},
		{write, "GET", "/customers/at-risk", "/api/v1/customers/at-risk?min_probability=0.1&limit=10", nil, 200},
		{write, "GET", "/customers/at-risk", "/api/v1/customers/at-risk?limit=x", nil, 400},
	} {
		name := fmt.Sprintf("%s %s → %d", tt.method, tt.target, tt.status)
		rec := env.api(tt.token, tt.method, tt.target, tt.body)
		if rec.Code != tt.status {
			t.Errorf("%s: got %d %s", name, rec.Code, rec.Body.String())
			continue
		}
		validateResponse(t, doc, name, tt.method, tt.path, rec)
	}
}

// validateResponse checks rec's body against the schema the document gives
// for path, method and status (kin-openapi's JSON Schema validator).
func validateResponse(t *testing.T, doc *openapi3.T, name, method, path string, rec *httptest.ResponseRecorder) {
	t.Helper()
	item := doc.Paths.Find(path)
	if item == nil || item.GetOperation(method) == nil {
		t.Fatalf("%s: %s %s is not documented", name, method, path)
	}
	resp := item.GetOperation(method).Responses.Status(rec.Code)
	if resp == nil || resp.Value.Content.Get("application/json") == nil {
		t.Errorf("%s: status %d is not documented as JSON", name, rec.Code)
		return
	}
	var body any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Errorf("%s: body is not JSON: %v", name, err)
		return
	}
	if err := resp.Value.Content.Get("application/json").Schema.Value.VisitJSON(body); err != nil {
		t.Errorf("%s: the body does not match the documented schema: %v\n%s", name, err, rec.Body.String())
	}
}

// TestOpenAPIDocumentsEveryErrorCode: the codes the handlers return are
// named in the document, so a client can rely on them.
func TestOpenAPIDocumentsEveryErrorCode(t *testing.T) {
	var codes []string
	for _, c := range apiErrorCodes {
		codes = append(codes, c)
	}
	codes = append(codes, "unknown_filter", "invalid_cursor", "invalid_json", "invalid_token", "erased", "rate_limited")
	sort.Strings(codes)
	for _, c := range codes {
		if c == "too_large" || c == "unsupported_media_type" || c == "unavailable" || c == "method_not_allowed" || c == "bad_request" {
			continue // generic statuses of the HTTP layer, not the API's own
		}
		if !strings.Contains(string(openAPIDocument), "`"+c+"`") {
			t.Errorf("error code %q is not documented", c)
		}
	}
}
