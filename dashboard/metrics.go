package dashboard

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/store"
)

// refusalCounter is the Cloud API webhook as /metrics sees it: how many
// deliveries it refused for a missing or wrong signature.
type refusalCounter interface {
	SignatureRefusals() int64
}

// statsStore is what /metrics reads of the store.
type statsStore interface {
	Stats(ctx context.Context) (store.Stats, error)
	OverdueOpen(ctx context.Context, now time.Time) (int, error)
}

// metrics are written by hand in the Prometheus text format (version 0.0.4):
// a few counters and one histogram do not justify client_golang's dependency
// tree. Labels are route patterns and status codes only, never personal data.
type metrics struct {
	messages atomic.Int64 // web-chat messages handled
	mu       sync.Mutex
	reqs     map[string]*routeStats // "route code" → stats
}

type routeStats struct {
	route, code string
	count       int64
	sum         float64
	buckets     []int64
}

var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

func newMetrics() *metrics { return &metrics{reqs: map[string]*routeStats{}} }

func (m *metrics) observe(route string, code int, d time.Duration) {
	k := fmt.Sprintf("%s %d", route, code)
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.reqs[k]
	if st == nil {
		st = &routeStats{route: route, code: fmt.Sprint(code), buckets: make([]int64, len(latencyBuckets))}
		m.reqs[k] = st
	}
	st.count++
	st.sum += d.Seconds()
	for i, b := range latencyBuckets {
		if d.Seconds() <= b {
			st.buckets[i]++
		}
	}
}

// observe times every request under its route pattern (not its URL, which may carry ids).
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		code := c.Response().Status
		if err != nil {
			code = http.StatusInternalServerError
			if he, ok := err.(*echo.HTTPError); ok {
				code = he.Code
			}
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		s.metrics.observe(route, code, time.Since(start))
		return err
	}
}

// metricsPage serves /metrics to a scraper with the bearer token or to an admin session.
func (s *Server) metricsPage(c echo.Context) error {
	authorized := false
	if s.metricsToken != "" {
		got := strings.TrimPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		authorized = subtle.ConstantTimeCompare([]byte(got), []byte(s.metricsToken)) == 1
	}
	if !authorized {
		// A scraper gets a plain 401 (not the login redirect pages get).
		if err := s.requireSession(func(c echo.Context) error { return nil })(c); err != nil {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="cis metrics"`)
			return c.String(http.StatusUnauthorized, "unauthorized\n")
		}
		if sessionOf(c).User.Role != RoleAdmin {
			return echo.ErrForbidden
		}
	}
	ctx := c.Request().Context()
	st, err := s.stats.Stats(ctx)
	if err != nil {
		return err
	}
	overdue, err := s.stats.OverdueOpen(ctx, s.now())
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# HELP cis_messages_stored Messages in the message log (all channels).\n# TYPE cis_messages_stored gauge\ncis_messages_stored %d\n", st.Messages)
	fmt.Fprintf(&b, "# HELP cis_webchat_messages_total Web-chat messages handled by this process.\n# TYPE cis_webchat_messages_total counter\ncis_webchat_messages_total %d\n", s.metrics.messages.Load())
	fmt.Fprintf(&b, "# HELP cis_conversations Conversations in the store.\n# TYPE cis_conversations gauge\ncis_conversations %d\n", st.Conversations)
	b.WriteString("# HELP cis_leads Leads in the store by class.\n# TYPE cis_leads gauge\n")
	classes := make([]string, 0, len(st.LeadsByClass))
	for k := range st.LeadsByClass {
		classes = append(classes, k)
	}
	sort.Strings(classes)
	for _, k := range classes {
		fmt.Fprintf(&b, "cis_leads{class=%q} %d\n", k, st.LeadsByClass[k])
	}
	if s.webhook != nil {
		fmt.Fprintf(&b, "# HELP cis_webhook_signature_refused_total Cloud API deliveries refused for a missing or wrong signature.\n# TYPE cis_webhook_signature_refused_total counter\ncis_webhook_signature_refused_total %d\n", s.webhook.SignatureRefusals())
	}
	writeReliability(&b, st)
	fmt.Fprintf(&b, "# HELP cis_sla_breaches Open leads past their contact deadline.\n# TYPE cis_sla_breaches gauge\ncis_sla_breaches %d\n", overdue)
	model := "rules"
	if name := s.models.Name(); name != "" {
		model = name
	}
	fmt.Fprintf(&b, "# HELP cis_model_info The scoring model in use.\n# TYPE cis_model_info gauge\ncis_model_info{model=%q} 1\n", model)
	b.WriteString("# HELP cis_http_request_duration_seconds HTTP request latency by route pattern and status.\n# TYPE cis_http_request_duration_seconds histogram\n")
	s.metrics.mu.Lock()
	keys := make([]string, 0, len(s.metrics.reqs))
	for k := range s.metrics.reqs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r := s.metrics.reqs[k]
		for i, le := range latencyBuckets {
			fmt.Fprintf(&b, "cis_http_request_duration_seconds_bucket{route=%q,code=%q,le=\"%g\"} %d\n", r.route, r.code, le, r.buckets[i])
		}
		fmt.Fprintf(&b, "cis_http_request_duration_seconds_bucket{route=%q,code=%q,le=\"+Inf\"} %d\n", r.route, r.code, r.count)
		fmt.Fprintf(&b, "cis_http_request_duration_seconds_sum{route=%q,code=%q} %g\n", r.route, r.code, r.sum)
		fmt.Fprintf(&b, "cis_http_request_duration_seconds_count{route=%q,code=%q} %d\n", r.route, r.code, r.count)
	}
	s.metrics.mu.Unlock()
	return c.Blob(http.StatusOK, "text/plain; version=0.0.4; charset=utf-8", []byte(b.String()))
}

// writeReliability writes what the store did with messages that could not
// count as answers and with sends a crash or a timeout left uncertain
// (docs/reliability.md): counted in the store, so they survive restarts.
func writeReliability(b *strings.Builder, st store.Stats) {
	for _, m := range []struct {
		name, help string
		v          int
	}{
		{"cis_messages_late_total", "Messages whose provider time was more than the clock skew before a newer applied message (kept with the open question asked again, or applied when a command).", st.LateMessages},
		{"cis_messages_clock_skew_total", "Messages whose provider time was more than the clock skew ahead of ours (ordered by arrival instead).", st.ClockSkewed},
		{"cis_consent_not_shown_total", "Consent answers that did not count because their consent text was not sent (the text is sent again).", st.ConsentUnshown},
		{"cis_replies_resent_total", "Questions sent again because a crash or a timeout left their send uncertain.", st.RepliesResent},
	} {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", m.name, m.help, m.name, m.name, m.v)
	}
	fmt.Fprintf(b, "# HELP cis_replies_unconfirmed Replies that may or may not have left (a crash or a timeout), not sent again.\n# TYPE cis_replies_unconfirmed gauge\ncis_replies_unconfirmed %d\n", st.RepliesUnconfirmed)
}
