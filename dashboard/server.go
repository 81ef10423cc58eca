// Package dashboard is the agency's web side: the advisors' lead queue and
// lead pages, the operators' pairing page, the public web chat, health and
// metrics, behind server-side sessions with roles. It serves HTTP with echo
// v4 and html/template, reads and writes data through the small interfaces
// it declares (never SQL), and embeds every asset (no CDN: it runs offline).
package dashboard

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/templates"
	"github.com/cis-agencia/cis/scoring/insight"
	"github.com/cis-agencia/cis/store"
)

// chatBot is the bot as the web chat uses it (*bot.Bot): Converse records
// a visitor's message, runs the flow and delivers the replies into the
// transcript the page reads.
type chatBot interface {
	Converse(ctx context.Context, in flow.Inbound) (handled bool, err error)
}

// Models is what the pages read of the scoring models in use.
type Models interface {
	// Name names the lead model in use, for /metrics and the queue page;
	// "" or "rules": the rule scorer.
	Name() string
	// LeadValue prices a lead: its expected revenue in COP from its
	// conversion probability, service and budget; 0 shows no value.
	LeadValue(p float64, service string, b flow.Budget) int64
	// LeadModel describes the lead model for the accuracy page
	// (training-time ROC AUC, tier thresholds).
	LeadModel() ModelInfo
	// ChurnModel describes the active churn model for the accuracy page.
	// It reads the store, hence ctx; an error (store.ErrNotFound: none
	// trained yet) leaves the churn section with its fallback tiers and
	// no drop flag.
	ChurnModel(ctx context.Context) (ModelInfo, error)
}

// ruleScorer is Models when none are wired: the rule scorer's thresholds
// (scoring.DefaultThresholds), no deal values, no churn model.
type ruleScorer struct{}

func (ruleScorer) Name() string                                 { return "" }
func (ruleScorer) LeadValue(float64, string, flow.Budget) int64 { return 0 }
func (ruleScorer) LeadModel() ModelInfo {
	return ModelInfo{Name: "rules", TrainAUC: math.NaN(), Hot: 0.6, Warm: 0.35}
}
func (ruleScorer) ChurnModel(context.Context) (ModelInfo, error) {
	return ModelInfo{}, store.ErrNotFound
}

// Deps are the collaborators of a Server.
type Deps struct {
	// Store is the data the pages read and write; each group of handlers
	// keeps only the small interface it declares (queueStore, churnStore…).
	Store   *store.Store
	Bot     chatBot       // nil: the web chat answers 503
	Pairing PairingSource // nil when no WhatsApp channel is configured
	Log     *slog.Logger
	Now     func() time.Time // default time.Now
	// Models are the scoring models in use (swapped live as models are
	// trained); nil: the rule scorer, no deal values, no churn model.
	Models Models
	// Webhook is the Cloud API webhook (*bot.CloudAPI), whose refusals
	// /metrics counts; nil when the webhook is not served.
	Webhook refusalCounter
	// Services is the service catalogue, to show labels instead of keys;
	// default: flow.DefaultCatalogue().
	Services flow.Catalogue
	// Readiness adds degraded states to /readyz (ready.go); nil: the store's ping only.
	Readiness Readiness
	// Startup, when set, holds every page behind a "preparing" page until
	// it is ready (the demo's first start); nil: ready at once.
	Startup *Startup
	// Jobs runs background work so that a failure cannot stop the process
	// and shows failures on /readyz and to admins; nil: a registry of the
	// server's own. cmd/cis passes the one its loops run under.
	Jobs *Jobs
	// InsightRules are added to insight.Rules() on the insights page: the
	// list is open to rules over new data.
	InsightRules []insight.Rule
	Options      Options

	// Templates are the agency's approved WhatsApp templates (cis serve
	// --templates): the lead page offers the follow_up ones once a
	// person's 24-hour window has closed. Empty: no follow-up is offered.
	Templates templates.Catalogue
}

// Options are the deployment's choices (cis serve's flags).
type Options struct {
	// Secure marks the deployment as served over HTTPS (directly or behind a
	// TLS proxy): cookies get Secure and the __Host- prefix, HSTS is sent.
	Secure bool
	// MetricsToken, when set, lets a scraper read /metrics with
	// "Authorization: Bearer <token>"; an admin session always can.
	MetricsToken string
	// WidgetOrigins may embed the web chat in a frame (CSP frame-ancestors).
	WidgetOrigins []string
	// ReportTrees is the forest size the model page's report is computed
	// with (it cross-validates the forest again); 100 when zero.
	ReportTrees int
	// AdvisorScope is ScopeAll (default: every advisor sees every lead) or
	// ScopeOwn: an advisor sees the personal data of their own leads only,
	// and unassigned leads without it until they take one.
	AdvisorScope string
	// USDToCOP converts a won value typed in dollars ("USD 500"), as the bot
	// converts budgets; 0 refuses dollars.
	USDToCOP float64
	// Demo marks a demo store: the login page says where its login is.
	Demo bool
	// APIRate and APIBurst are each API token's rate limit: requests a
	// second sustained, and at once after a quiet spell (token bucket);
	// zero: DefaultAPIRate, DefaultAPIBurst.
	APIRate  float64
	APIBurst int
}

// Server is the HTTP side. It implements http.Handler, so tests need no listener.
type Server struct {
	e *echo.Echo
	// The store as each group of handlers sees it (one *store.Store).
	hooks       webhookStore     // webhooks.go
	numbers     numberStore      // numbers.go
	ping        pinger           // ready.go
	users       userStore        // auth.go
	accounts    accountStore     // accounts.go
	queue       queueStore       // queue.go
	leads       leadStore        // lead.go
	reach       reachStore       // reach.go
	takeover    takeoverStore    // takeover.go
	transcripts transcriptStore  // webchat.go
	stats       statsStore       // metrics.go
	churn       churnStore       // churn.go
	analytics   analyticsStore   // analytics.go
	privacy     privacyStore     // privacy.go
	bundles     modelStore       // model.go
	staff       staffStore       // advisors.go
	weeks       advisorWeekStore // analytics_advisors.go
	activity    activityClock    // advisors.go: the idle rule's activity, once a minute per account

	// followUpsStore and templates: following a lead up with a WhatsApp
	// template (followup.go).
	followUpsStore followUpStore
	templates      templates.Catalogue

	bot           chatBot
	pairing       PairingSource
	log           *slog.Logger
	now           func() time.Time
	views         *views
	secure        bool
	metricsToken  string
	widgetOrigins []string
	models        Models
	webhook       refusalCounter
	throttle      *throttle
	chatLimit     *throttle
	metrics       *metrics
	public        map[string]bool // routes that need no session
	readiness     Readiness
	lastReady     atomic.Value // the last /readyz body, so a change is logged once (ready.go)
	reports       *reports
	rules         []insight.Rule
	jobs          *Jobs
	services      flow.Catalogue
	advisorScope  string
	usdCOP        float64
	startup       *Startup
	demo          bool
	hashSem       chan struct{} // argon2id verifications in flight (auth.go)
	hashing       atomic.Int32  // verifications running now
	hashPeak      atomic.Int32  // the most that ever ran at once

	// The HTTP API (api*.go): its store, tokens, rate limits and routes.
	api       apiStore
	tokens    apiTokenStore
	apiLimit  *buckets          // each API token's rate limit
	apiScopes map[string]string // "METHOD path" of each API route → its scope
}

// Advisor scopes (Deps.AdvisorScope, cis serve --advisor-scope).
const (
	ScopeAll = "all"
	ScopeOwn = "own"
)

// Session lifetimes (ASVS 7.3): documented in the README.
const (
	sessionIdle     = 8 * time.Hour
	sessionAbsolute = 7 * 24 * time.Hour
)

// New checks d, parses every template and registers the routes.
func New(d Deps) (*Server, error) {
	if d.Store == nil {
		return nil, errors.New("dashboard: a store is required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Services == nil {
		d.Services = flow.DefaultCatalogue()
	}
	switch d.Options.AdvisorScope {
	case "":
		d.Options.AdvisorScope = ScopeAll
	case ScopeAll, ScopeOwn:
	default:
		return nil, fmt.Errorf("dashboard: advisor scope %q: want %q or %q", d.Options.AdvisorScope, ScopeAll, ScopeOwn)
	}
	v, err := newViews(d.Services)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// Echo trusts X-Forwarded-For by default; a client could then pick its own
	// IP and dodge the login throttle. The IP is the TCP peer's.
	e.IPExtractor = echo.ExtractIPDirect()
	e.Renderer = v
	st := d.Store
	s := &Server{e: e, ping: st, users: st, accounts: st, queue: st, leads: st, reach: st, takeover: st, transcripts: st,
		stats: st, churn: st, analytics: st, privacy: st, bundles: st, staff: st, weeks: st, bot: d.Bot, pairing: d.Pairing, log: d.Log, now: d.Now, views: v,
		secure: d.Options.Secure, metricsToken: d.Options.MetricsToken, widgetOrigins: d.Options.WidgetOrigins, models: d.Models, webhook: d.Webhook,
		throttle: newThrottle(d.Now), chatLimit: newThrottle(d.Now), metrics: newMetrics(), public: map[string]bool{},
		readiness: d.Readiness, rules: d.InsightRules, followUpsStore: st, templates: d.Templates,
		services: d.Services, advisorScope: d.Options.AdvisorScope, usdCOP: d.Options.USDToCOP, startup: d.Startup, demo: d.Options.Demo, hashSem: make(chan struct{}, hashSlots)}
	s.api, s.tokens = st, st
	s.apiLimit, s.apiScopes = newBuckets(d.Options.APIRate, d.Options.APIBurst), map[string]string{}
	if s.models == nil {
		s.models = ruleScorer{}
	}
	if d.Options.ReportTrees == 0 {
		d.Options.ReportTrees = 100
	}
	if d.Jobs == nil {
		d.Jobs = NewJobs(d.Log, d.Now)
	}
	s.jobs = d.Jobs
	s.hooks = st
	s.numbers = st
	s.reports = &reports{running: map[int64]bool{}, trees: d.Options.ReportTrees, jobs: d.Jobs}
	e.HTTPErrorHandler = s.handleError
	e.Use(s.recoverer, s.observe, s.securityHeaders, s.whileStarting)
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	// Public: health, login, the web chat, static assets.
	s.publicGET("/healthz", s.healthz)
	s.publicGET("/readyz", s.readyz)
	s.publicGET("/metrics", s.metricsPage) // bearer token or admin session, checked inside
	s.publicGET("/login", s.loginForm)
	s.publicPOST("/login", s.login, s.sameOrigin)
	s.publicGET("/chat", s.chatPage)
	s.publicGET("/chat/messages", s.chatMessages)
	s.publicPOST("/chat/messages", s.chatSend, s.sameOrigin)
	s.publicGET("/static/*", s.static)
	s.publicGET("/favicon.ico", s.favicon) // browsers ask for it on pages that are not HTML

	all := []string{RoleAdmin, RoleAdvisor, RoleViewer}
	s.route(http.MethodGet, "/", s.queuePage, all...)
	s.route(http.MethodGet, "/queue/version", s.queueVersion, all...)
	s.route(http.MethodGet, "/leads/:id", s.leadPage, all...)
	s.route(http.MethodPost, "/leads/:id/take", s.takeLead, RoleAdmin, RoleAdvisor)
	s.route(http.MethodPost, "/leads/:id/assign", s.assignLead, RoleAdmin)
	s.route(http.MethodPost, "/leads/:id/contacted", s.markContacted, RoleAdmin, RoleAdvisor)
	s.route(http.MethodPost, "/leads/:id/won", s.markWon, RoleAdmin, RoleAdvisor)
	s.route(http.MethodPost, "/leads/:id/lost", s.markLost, RoleAdmin, RoleAdvisor)
	s.route(http.MethodPost, "/leads/:id/note", s.addNote, RoleAdmin, RoleAdvisor)
	s.route(http.MethodPost, "/leads/:id/handback", s.handBackLead, RoleAdmin, RoleAdvisor)
	s.route(http.MethodPost, "/leads/:id/message", s.writeToLead, RoleAdmin, RoleAdvisor)
	s.route(http.MethodPost, "/leads/:id/follow-up", s.followUpLead, RoleAdmin, RoleAdvisor)
	s.route(http.MethodGet, "/churn", s.churnPage, all...)
	s.route(http.MethodGet, "/churn.csv", s.churnCSV, all...)
	s.route(http.MethodPost, "/churn/:id/contacted", s.actOnCustomer("contacted"), RoleAdmin, RoleAdvisor)
	s.route(http.MethodPost, "/churn/:id/retained", s.actOnCustomer("retained"), RoleAdmin, RoleAdvisor)
	s.route(http.MethodPost, "/churn/:id/churned", s.actOnCustomer("churned"), RoleAdmin, RoleAdvisor)
	s.route(http.MethodGet, "/analytics", s.analyticsOverview, all...)
	s.route(http.MethodGet, "/analytics/campaigns", s.analyticsCampaigns, all...)
	s.route(http.MethodGet, "/analytics/insights", s.analyticsInsights, all...)
	s.route(http.MethodGet, "/analytics/accuracy", s.analyticsAccuracy, all...)
	s.route(http.MethodGet, "/account/password", s.passwordForm, all...)
	s.route(http.MethodPost, "/account/password", s.changePassword, all...)
	s.route(http.MethodPost, "/logout", s.logout, all...)
	s.tokenRoutes()
	s.apiRoutes()

	s.route(http.MethodGet, "/model", s.modelPage, all...)
	s.route(http.MethodGet, "/model/:id/report", s.modelReport, all...)
	s.route(http.MethodPost, "/model/:id/activate", s.activateModel, RoleAdmin)

	s.route(http.MethodGet, "/admin/pairing", s.pairingPage, RoleAdmin)
	s.route(http.MethodGet, "/admin/pairing/status", s.pairingStatus, RoleAdmin)
	s.route(http.MethodGet, "/admin/pairing/qr.png", s.pairingQR, RoleAdmin)
	s.route(http.MethodPost, "/admin/pairing/logout", s.pairingLogout, RoleAdmin)
	s.route(http.MethodPost, "/admin/pairing/pair", s.pairingPair, RoleAdmin)
	s.route(http.MethodPost, "/admin/pairing/passkey", s.pairingPasskey, RoleAdmin)
	s.route(http.MethodPost, "/admin/pairing/passkey/confirm", s.pairingPasskeyConfirm, RoleAdmin)
	s.webhookRoutes()
	s.numberRoutes()
	s.privacyRoutes()
	s.accountRoutes()
	s.advisorRoutes()
	s.advisorAnalyticsRoutes()
}

// route registers a page behind a session, the CSRF check and a role list.
// (Per route, not an echo Group: a Group's middleware also guards its
// not-found routes, which would answer unknown URLs with a login redirect.)
func (s *Server) route(method, path string, h echo.HandlerFunc, roles ...string) {
	s.e.Add(method, path, h, s.requireSession, s.csrf, s.allow(roles...))
}

func (s *Server) publicGET(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	s.e.GET(path, h, m...)
	s.public[http.MethodGet+" "+path] = true
}

func (s *Server) publicPOST(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	s.e.POST(path, h, m...)
	s.public[http.MethodPost+" "+path] = true
}

// Routes lists every registered route as "METHOD path", and whether it is
// public (no session needed), for the route-inventory test.
func (s *Server) Routes() map[string]bool {
	out := map[string]bool{}
	for _, r := range s.e.Routes() {
		if strings.HasPrefix(r.Name, "echo_route_not_found") || r.Method == echo.RouteNotFound {
			continue
		}
		k := r.Method + " " + r.Path
		out[k] = s.public[k]
	}
	return out
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.e.ServeHTTP(w, r) }

func (s *Server) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

// securityHeaders sets the headers every response carries (ASVS 3.4).
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		frame := "'none'"
		if strings.HasPrefix(c.Request().URL.Path, "/chat") && len(s.widgetOrigins) > 0 {
			frame = strings.Join(s.widgetOrigins, " ")
		}
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors "+frame)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin") // no-referrer would make browsers send "Origin: null" on our own POSTs
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if frame == "'none'" {
			h.Set("X-Frame-Options", "DENY")
		}
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		if !strings.HasPrefix(c.Request().URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store") // pages carry personal data (ASVS 14.3.2)
		}
		return next(c)
	}
}

// recoverer turns a panic into a generic 500 and keeps the process alive.
func (s *Server) recoverer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("handler panicked", "method", c.Request().Method, "route", c.Path(), "panic", fmt.Sprint(r))
				err = echo.NewHTTPError(http.StatusInternalServerError)
			}
		}()
		return next(c)
	}
}

// handleError is the one error handler: status from the error, a catalogue
// message for people, JSON for scripts; internal text never reaches users.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if isAPIPath(c.Request().URL.Path) {
		s.handleAPIError(err, c) // programs read {"error":{"code","message"}}
		return
	}
	code := http.StatusInternalServerError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		code = he.Code
	case errors.Is(err, store.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, store.ErrConflict):
		code = http.StatusConflict
	}
	if code >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "route", c.Path(), "status", code, "err", err)
	}
	if code == http.StatusUnauthorized && acceptsHTML(c) {
		_ = c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	if !acceptsHTML(c) || c.Request().Method == http.MethodHead {
		_ = c.JSON(code, map[string]string{"error": http.StatusText(code)})
		return
	}
	lang := langOf(c)
	p := errorPage{page: s.basePage(c, lang), Code: code, Message: T(lang, errorKey(code))}
	if rerr := c.Render(code, "error", p); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		_ = c.String(code, http.StatusText(code))
	}
}

func errorKey(code int) string {
	switch code {
	case http.StatusNotFound:
		return "err.not_found"
	case http.StatusForbidden:
		return "err.forbidden"
	case http.StatusConflict:
		return "err.conflict"
	case http.StatusTooManyRequests:
		return "err.too_many"
	case http.StatusBadRequest:
		return "err.bad_request"
	case http.StatusServiceUnavailable:
		return "err.unavailable"
	}
	return "err.internal"
}

func acceptsHTML(c echo.Context) bool {
	r := c.Request()
	if r.Header.Get("X-Requested-With") != "" {
		return false
	}
	a := r.Header.Get("Accept")
	return a == "" || strings.Contains(a, "text/html") || strings.Contains(a, "*/*") && !strings.Contains(a, "json")
}

// Serve serves the dashboard on ln until ctx ends, then shuts down
// gracefully and stops and waits for its background work (Jobs.Close).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	defer s.jobs.Close()
	return Serve(ctx, ln, s, s.log)
}

// Timeouts bound how long a client may take (RELIABILITY W3: a body sent
// at one byte a second must not hold a connection and a goroutine for
// ever). Body bounds reading the whole request, headers and body; the
// response must be written within Write.
type Timeouts struct {
	Header, Body, Write time.Duration
}

// Serve's timeouts, and ServeTimeouts' for a zero field.
const (
	DefaultHeaderTimeout = 5 * time.Second
	DefaultBodyTimeout   = 30 * time.Second
	DefaultWriteTimeout  = 30 * time.Second
)

// Serve serves h on ln until ctx ends, then shuts down gracefully. The
// timeouts cut slow clients (RELIABILITY W3). cmd/cis uses it directly when
// channels (the Cloud API webhook) are mounted in front of the dashboard.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	return ServeTimeouts(ctx, ln, h, log, Timeouts{})
}

// ServeTimeouts is Serve with the given timeouts (zero fields: the default).
func ServeTimeouts(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger, t Timeouts) error {
	t.Header = cmp.Or(t.Header, DefaultHeaderTimeout)
	t.Body = cmp.Or(t.Body, DefaultBodyTimeout)
	t.Write = cmp.Or(t.Write, DefaultWriteTimeout)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: min(t.Header, t.Body), ReadTimeout: t.Body, WriteTimeout: t.Write,
		// net/http's own complaints (TLS handshakes, panics) go through the
		// service's logger, and so through its redaction, not to stderr.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	log.Info("listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}
