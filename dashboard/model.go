package dashboard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/dashboard/report"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/modelreport"
	"github.com/cis-agencia/cis/store"
)

// modelStore is what the model page needs: the list of models, activation,
// and the report's inputs and cache (report.Store).
type modelStore interface {
	report.Store
	Models(ctx context.Context) ([]store.ModelInfo, error)
	ActivateModel(ctx context.Context, id int64) error
	ActiveBundle(ctx context.Context) (int64, []byte, error)
}

// reports computes lead models' reports in the background, one at a time
// per model, because a report cross-validates a forest (a minute on the
// demo history) and a page request must not wait for it. The work runs
// through Jobs: a failure or a panic is recovered, logged and shown on the
// model page, and the process goes on.
type reports struct {
	mu      sync.Mutex
	running map[int64]bool
	trees   int
	jobs    *Jobs
	wg      sync.WaitGroup
}

func reportJob(id int64) string { return fmt.Sprintf("model-report:%d", id) }

// ensure starts computing lead model id's report unless it is already running.
func (r *reports) ensure(s *Server, id int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running[id] {
		return
	}
	r.running[id] = true
	r.jobs.Clear(reportJob(id))
	// Under the server's context, not the request's: the page answers at
	// once, and a stop cancels the cross-validation and waits for it.
	ctx, end := r.jobs.begin(30 * time.Minute)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer end()
		defer func() {
			r.mu.Lock()
			delete(r.running, id)
			r.mu.Unlock()
		}()
		start := time.Now()
		err := r.jobs.Run(ctx, reportJob(id), func(ctx context.Context) error {
			_, err := report.Compute(ctx, s.store, id, modelreport.Options{Trees: r.trees, Now: s.now})
			return err
		})
		if err != nil {
			s.log.Error("model report failed", "model_id", id, "err", err)
			return
		}
		s.log.Info("model report computed", "model_id", id, "seconds", time.Since(start).Seconds())
	}()
}

func (r *reports) state(id int64) (running bool, failed string) {
	r.mu.Lock()
	running = r.running[id]
	r.mu.Unlock()
	if f, ok := r.jobs.FailedJob(reportJob(id)); ok && !running {
		return false, f.Detail
	}
	return running, ""
}

// modelRow is one trained model as the page describes it, in words.
type modelRow struct {
	store.ModelInfo
	Words modelWords
}

type modelPageData struct {
	page
	Lead      []modelRow // lead models, newest first
	Churn     []modelRow // churn models
	ActiveID  int64      // the active lead model
	Shown     int64      // the lead model whose report is shown
	ShownName string
	Ready     bool
	Running   bool
	Failed    string
	Message   string
}

// modelPage shows the active lead model's report (in a frame: the report
// is a self-contained document with its own inline styles), the lead and
// churn models described in words with activation for admins, and links to
// predicted-vs-actual and to the downloadable HTML. Reports exist for lead
// models only: a churn model is never handed to the lead report.
func (s *Server) modelPage(c echo.Context) error {
	ctx := c.Request().Context()
	lang := langOf(c)
	p := modelPageData{page: s.basePage(c, lang)}
	p.Title = T(lang, "model.title")
	models, err := s.store.Models(ctx)
	if err != nil {
		return err
	}
	kinds := map[int64]string{}
	for _, m := range models {
		row := modelRow{ModelInfo: m, Words: describeModel(m, lang)}
		kinds[m.ID] = m.Kind
		if m.Kind == store.KindChurn {
			p.Churn = append(p.Churn, row)
			continue
		}
		p.Lead = append(p.Lead, row)
		if m.Active {
			p.ActiveID = m.ID
		}
	}
	p.Shown = p.ActiveID
	if id, err := strconv.ParseInt(c.QueryParam("id"), 10, 64); err == nil && id > 0 && isLeadKind(kinds[id]) {
		p.Shown = id
	}
	switch c.QueryParam("done") {
	case "activated":
		p.Message = T(lang, "model.activated")
	}
	if p.Shown > 0 {
		p.ShownName = fmt.Sprintf(T(lang, "modelw.name_lead"), p.Shown)
		_, err := report.Stored(ctx, s.store, p.Shown)
		switch {
		case err == nil:
			p.Ready = true
		case report.IsMissing(err):
			// A failed report is shown as failed until someone asks again.
			if _, failed := s.reports.state(p.Shown); failed == "" || c.QueryParam("retry") == "1" {
				s.reports.ensure(s, p.Shown)
			}
		default:
			return err
		}
		p.Running, p.Failed = s.reports.state(p.Shown)
	}
	return c.Render(http.StatusOK, "model", p)
}

// isLeadKind: models saved before kinds existed have an empty kind.
func isLeadKind(k string) bool { return k == store.KindLead || k == "" }

// isLeadModel reports whether model id exists and is a lead model.
func (s *Server) isLeadModel(ctx context.Context, id int64) (bool, error) {
	models, err := s.store.Models(ctx)
	if err != nil {
		return false, err
	}
	for _, m := range models {
		if m.ID == id {
			return isLeadKind(m.Kind), nil
		}
	}
	return false, nil
}

// modelReport serves a model's report as the standalone HTML file (also as
// a download with ?download=1).
func (s *Server) modelReport(c echo.Context) error {
	ctx := c.Request().Context()
	lang := langOf(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.ErrNotFound
	}
	if ok, err := s.isLeadModel(ctx, id); err != nil || !ok {
		if err != nil {
			return err
		}
		return echo.ErrNotFound // no such model, or a churn model: reports describe lead models
	}
	r, err := report.Stored(ctx, s.store, id)
	if report.IsMissing(err) {
		s.reports.ensure(s, id)
		return c.String(http.StatusAccepted, T(lang, "model.report_running")+"\n")
	}
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, r, lang); err != nil {
		return err
	}
	h := c.Response().Header()
	// The report is a document of its own: inline styles and SVG, nothing
	// fetched; it may be framed by the model page only.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	if c.QueryParam("download") == "1" {
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="modelo-%d-%s.html"`, id, lang))
	}
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

// activateModel makes a model active (admin): checked first as the server
// would load it, so a bad bundle never replaces a good one; audited.
func (s *Server) activateModel(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.ErrNotFound
	}
	body, err := s.store.ModelBundle(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err == nil {
		var b *scoring.Bundle
		if b, err = scoring.DecodeBundle(body); err == nil {
			_, err = scoring.NewModel(id, b)
		}
	}
	if err != nil {
		s.log.Warn("model activation refused", "model_id", id, "err", err)
		return echo.NewHTTPError(http.StatusUnprocessableEntity, T(langOf(c), "model.refused"))
	}
	if err := s.store.ActivateModel(ctx, id); err != nil {
		return err
	}
	s.audit(c, "model_activated", fmt.Sprintf("model:%d", id), "dashboard")
	return c.Redirect(http.StatusSeeOther, "/model?done=activated")
}
