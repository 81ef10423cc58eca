// Package dashboard is the agency's web side: today the health endpoints
// that operators and orchestrators probe; the advisors' pages are added
// here. It serves HTTP with echo v4 and reads data through the small
// interfaces it declares, never through SQL.
package dashboard

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// pinger is the part of the store that readiness checks.
type pinger interface {
	Ping(ctx context.Context) error
}

// scorerStatus says which lead scorer is in use and why (*scoring.Active).
type scorerStatus interface {
	Status() string
}

// Deps are the collaborators of a Server.
type Deps struct {
	Store  pinger
	Scorer scorerStatus // optional: GET /status/scoring reports it
	Log    *slog.Logger
}

// Server is the HTTP side. It implements http.Handler, so tests need no listener.
type Server struct {
	e      *echo.Echo
	store  pinger
	scorer scorerStatus
	log    *slog.Logger
}

// New checks d and registers the routes.
func New(d Deps) (*Server, error) {
	if d.Store == nil {
		return nil, errors.New("dashboard: a store is required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// Echo trusts X-Forwarded-For by default; a client could then pick its own
	// IP. Until a proxy is configured, the IP is the TCP peer's.
	e.IPExtractor = echo.ExtractIPDirect()
	s := &Server{e: e, store: d.Store, scorer: d.Scorer, log: d.Log}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	s.e.GET("/healthz", s.healthz)
	s.e.GET("/readyz", s.readyz)
	s.e.GET("/status/scoring", s.scoringStatus)
}

// scoringStatus tells operators whether leads are scored by a trained model
// or, until enough labelled history exists, by the rules, and why.
func (s *Server) scoringStatus(c echo.Context) error {
	if s.scorer == nil {
		return c.String(http.StatusOK, "rules\n")
	}
	return c.String(http.StatusOK, s.scorer.Status()+"\n")
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.e.ServeHTTP(w, r) }

func (s *Server) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

// readyz reports whether the store answers; a load balancer stops sending
// traffic while it does not.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Error("readiness check failed", "err", err)
		return c.String(http.StatusServiceUnavailable, "store unavailable\n")
	}
	return c.String(http.StatusOK, "ready\n")
}

// Serve serves on ln until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	s.log.Info("listening", "addr", ln.Addr().String())
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
