package dashboard

import (
	"context"
	_ "embed"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/store"
)

// The HTTP API (/api/v1) lets the agency's other tools (a CRM, n8n, a
// spreadsheet) read leads and record outcomes. It is served by the same
// echo server as the pages but shares none of their session machinery:
// each integration has its own bearer token (apitokens.go), with a scope
// and a rate limit. Errors are always {"error":{"code","message"}}.

// apiStore is what the API's handlers read and write.
type apiStore interface {
	Queue(ctx context.Context, f store.LeadFilter) ([]store.QueueRow, error)
	Lead(ctx context.Context, id int64) (store.LeadDetail, error)
	ActOnLead(ctx context.Context, id int64, a store.LeadAction) error
	Campaigns(ctx context.Context, p store.Period) ([]store.CampaignFacts, error)
	ChurnRisk(ctx context.Context, f store.RiskFilter) ([]store.RiskRow, error)
}

// apiTokenStore is what token checks and the tokens admin page need.
type apiTokenStore interface {
	APITokenByHash(ctx context.Context, tokenSHA256 string) (store.APIToken, error)
	TouchAPIToken(ctx context.Context, id int64) error
	CreateAPIToken(ctx context.Context, name, scope, tokenSHA256, prefix string, by int64) (store.APIToken, error)
	APITokens(ctx context.Context) ([]store.APIToken, error)
	RevokeAPIToken(ctx context.Context, id, by int64) error
}

// API token scopes: write includes read.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
)

const apiPrefix = "/api/v1"

// isAPIPath reports whether a request is the API's (its errors are JSON).
func isAPIPath(p string) bool { return p == apiPrefix || strings.HasPrefix(p, apiPrefix+"/") }

//go:embed openapi.json
var openAPIDocument []byte

func (s *Server) apiRoutes() {
	s.publicGET(apiPrefix+"/openapi.json", s.openAPI)
	s.apiRoute(http.MethodGet, "/leads", s.apiListLeads, ScopeRead)
	s.apiRoute(http.MethodGet, "/leads/:id", s.apiLead, ScopeRead)
	s.apiRoute(http.MethodGet, "/leads/:id/conversation", s.apiConversation, ScopeRead)
	s.apiRoute(http.MethodPost, "/leads/:id/outcome", s.apiOutcome, ScopeWrite)
	s.apiRoute(http.MethodGet, "/campaigns", s.apiCampaigns, ScopeRead)
	s.apiRoute(http.MethodGet, "/customers/at-risk", s.apiAtRisk, ScopeRead)
}

// apiRoute registers an endpoint behind a bearer token of scope (or
// wider) and the token's rate limit.
func (s *Server) apiRoute(method, path string, h echo.HandlerFunc, scope string) {
	s.e.Add(method, apiPrefix+path, h, s.apiAuth, s.apiRateLimit, s.apiScope(scope))
	s.apiScopes[method+" "+apiPrefix+path] = scope
}

// APIRoutes lists the API's endpoints as "METHOD path" with the scope each
// needs ("" for the public OpenAPI document), for the document's test.
func (s *Server) APIRoutes() map[string]string {
	out := map[string]string{http.MethodGet + " " + apiPrefix + "/openapi.json": ""}
	for k, v := range s.apiScopes {
		out[k] = v
	}
	return out
}

func (s *Server) openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIDocument)
}

// apiError is an API error: its HTTP status, a stable code for programs
// and a message for the developer reading it.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func apiErr(status int, code, message string) *apiError {
	return &apiError{Status: status, Code: code, Message: message}
}

// apiErrorCodes name the statuses that reach the API as echo errors
// (unknown route, wrong method) or store errors.
var apiErrorCodes = map[int]string{
	http.StatusBadRequest: "bad_request", http.StatusUnauthorized: "unauthorized", http.StatusForbidden: "forbidden",
	http.StatusNotFound: "not_found", http.StatusMethodNotAllowed: "method_not_allowed", http.StatusConflict: "conflict",
	http.StatusRequestEntityTooLarge: "too_large", http.StatusUnsupportedMediaType: "unsupported_media_type",
	http.StatusUnprocessableEntity: "invalid_value", http.StatusTooManyRequests: "rate_limited",
	http.StatusServiceUnavailable: "unavailable",
}

// toAPIError turns any handler error into the API's error body; internal
// details never reach the client (they are logged).
func toAPIError(err error) *apiError {
	var ae *apiError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, store.ErrNotFound):
		return apiErr(http.StatusNotFound, "not_found", "no such resource")
	case errors.Is(err, store.ErrErased):
		return apiErr(http.StatusConflict, "erased", "the person's data was erased; the lead can no longer change")
	case errors.Is(err, store.ErrConflict):
		return apiErr(http.StatusConflict, "conflict", "the lead's status does not allow this outcome")
	case errors.As(err, &he) && he.Code < 500:
		code, ok := apiErrorCodes[he.Code]
		if !ok {
			code = "error"
		}
		return apiErr(he.Code, code, strings.ToLower(http.StatusText(he.Code)))
	}
	return apiErr(http.StatusInternalServerError, "internal", "internal error; it was logged")
}

// handleAPIError writes err as the API's JSON error body.
func (s *Server) handleAPIError(err error, c echo.Context) {
	ae := toAPIError(err)
	if ae.Status >= 500 {
		s.log.Error("api request failed", "method", c.Request().Method, "route", c.Path(), "status", ae.Status, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(ae.Status)
		return
	}
	_ = c.JSON(ae.Status, map[string]*apiError{"error": ae})
}

const ctxAPIToken = "api_token"

func apiTokenOf(c echo.Context) store.APIToken {
	t, _ := c.Get(ctxAPIToken).(store.APIToken)
	return t
}

// apiAuth requires "Authorization: Bearer <token>" naming an active token.
// A session cookie is not enough: the API is for programs, which have no
// CSRF token, so only an explicit header opens it.
func (s *Server) apiAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ipKey := "api-ip:" + c.RealIP()
		if s.throttle.blocked(ipKey, apiBadTokenLimit, apiBadTokenWindow) {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(apiBadTokenWindow.Seconds())))
			return apiErr(http.StatusTooManyRequests, "rate_limited", "too many requests with unknown or revoked tokens from this address; retry after the seconds in Retry-After")
		}
		scheme, token, ok := strings.Cut(c.Request().Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="cis"`)
			return apiErr(http.StatusUnauthorized, "unauthorized", "send the API token as \"Authorization: Bearer <token>\"")
		}
		t, err := s.tokens.APITokenByHash(c.Request().Context(), hashToken(strings.TrimSpace(token)))
		if errors.Is(err, store.ErrNotFound) || (err == nil && !t.Active()) {
			s.throttle.add(ipKey, apiBadTokenWindow)
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="cis", error="invalid_token"`)
			return apiErr(http.StatusUnauthorized, "invalid_token", "the API token is unknown or was revoked")
		}
		if err != nil {
			return err
		}
		// "Last used" to the minute: most requests write nothing, so an
		// integration polling the API does not queue behind the bot's writes.
		if s.now().Sub(t.LastUsed) >= time.Minute {
			if err := s.tokens.TouchAPIToken(c.Request().Context(), t.ID); err != nil {
				s.log.Warn("api token last use not recorded", "token_id", t.ID, "err", err)
			}
		}
		c.Set(ctxAPIToken, t)
		return next(c)
	}
}

// An address that sends this many unknown or revoked tokens within the
// window is refused for the rest of it (429): guessing a 256-bit token is
// hopeless, but a flood of guesses still costs a store read each.
const (
	apiBadTokenLimit  = 20
	apiBadTokenWindow = time.Minute
)

// apiScope refuses a read token on an endpoint that writes (403).
func (s *Server) apiScope(scope string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if scope == ScopeWrite && apiTokenOf(c).Scope != ScopeWrite {
				return apiErr(http.StatusForbidden, "forbidden", "this endpoint needs a token with the write scope")
			}
			return next(c)
		}
	}
}

// apiRateLimit takes one request from the token's bucket; an empty bucket
// answers 429 with Retry-After (whole seconds until one request refills).
func (s *Server) apiRateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		wait := s.apiLimit.take(apiTokenOf(c).ID, s.now())
		if wait > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			return apiErr(http.StatusTooManyRequests, "rate_limited", "too many requests for this token; retry after the seconds in Retry-After")
		}
		return next(c)
	}
}

// Default API rate limit per token (cis serve --api-rate, --api-burst).
const (
	DefaultAPIRate  = 10.0 // requests per second, sustained
	DefaultAPIBurst = 60   // requests at once after a quiet spell
)

// buckets is a token bucket per API token: rate requests a second refill
// it up to burst.
type buckets struct {
	mu    sync.Mutex
	rate  float64
	burst float64
	by    map[int64]*bucket
}

type bucket struct {
	left float64
	at   time.Time
}

func newBuckets(rate float64, burst int) *buckets {
	if rate <= 0 {
		rate = DefaultAPIRate
	}
	if burst <= 0 {
		burst = DefaultAPIBurst
	}
	return &buckets{rate: rate, burst: float64(burst), by: map[int64]*bucket{}}
}

// take spends one request of id's bucket at now; when it is empty it
// spends nothing and says how long until one request is available.
func (b *buckets) take(id int64, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	k, ok := b.by[id]
	if !ok {
		k = &bucket{left: b.burst, at: now}
		b.by[id] = k // one per token: bounded by the tokens an admin created
	}
	if dt := now.Sub(k.at).Seconds(); dt > 0 {
		k.left = min(b.burst, k.left+dt*b.rate)
		k.at = now
	}
	if k.left >= 1 {
		k.left--
		return 0
	}
	return time.Duration((1 - k.left) / b.rate * float64(time.Second))
}
