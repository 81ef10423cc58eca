package dashboard

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// pinger is the part of the store that readiness checks.
type pinger interface {
	Ping(ctx context.Context) error
}

// Readiness reports, for /readyz, the parts of the service beyond the store
// answering a query; cmd/cis implements it over the store, the scorer and
// the WhatsApp channel.
type Readiness interface {
	Readiness(ctx context.Context) []Condition
}

// Condition is one part's state on /readyz. Detail carries no personal data.
type Condition struct {
	Name string // "store", "model", "whatsapp"
	OK   bool
	// Critical marks a part without which messages cannot be accepted (the
	// store cannot write): /readyz then answers 503 so that a load balancer
	// stops sending traffic and Meta retries later. Other failing parts make
	// the service degraded, answered 200: a logged-out phone or a rules
	// fallback must not take the dashboard (and its pairing page) offline.
	Critical bool
	Detail   string
}

// readyz answers 200 "ready" or 200 "degraded", or 503 "unavailable", then
// one line per failing part ("model: …") and one per well part with
// something to say ("leases (ok): …"), as plain text for people and the
// status code for machines.
func (s *Server) readyz(c echo.Context) error {
	if starting, err := s.startingReadyz(c); starting {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	conds := []Condition{{Name: "store", OK: true, Critical: true}}
	if err := s.ping.Ping(ctx); err != nil {
		conds[0] = Condition{Name: "store", Critical: true, Detail: err.Error()}
	} else if s.readiness != nil {
		conds = append(conds, s.readiness.Readiness(ctx)...)
	}
	for _, f := range s.jobs.Failed() {
		conds = append(conds, Condition{Name: "job " + f.Name, Detail: "failed at " + f.At.UTC().Format(time.RFC3339) + ": " + f.Detail})
	}
	status, code := "ready", http.StatusOK
	var b strings.Builder
	for _, cd := range conds {
		if cd.OK {
			continue
		}
		if cd.Critical {
			status, code = "unavailable", http.StatusServiceUnavailable
		} else if status == "ready" {
			status = "degraded"
		}
		fmt.Fprintf(&b, "%s: %s\n", cd.Name, cd.Detail)
	}
	// Parts that are well but say something (the leases this server holds
	// or stands by for, several servers on one database) come after.
	for _, cd := range conds {
		if cd.OK && cd.Detail != "" {
			fmt.Fprintf(&b, "%s (ok): %s\n", cd.Name, cd.Detail)
		}
	}
	body := status + "\n" + b.String()
	// Probes come every few seconds: log changes, not every answer.
	if prev, _ := s.lastReady.Swap(body).(string); prev != body {
		level := slog.LevelInfo
		if status != "ready" {
			level = slog.LevelWarn
		}
		s.log.Log(ctx, level, "readiness changed", "status", status, "failing", strings.TrimSpace(b.String()))
	}
	return c.String(code, body)
}
