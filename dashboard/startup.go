package dashboard

import (
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// Startup is the progress of what the server prepares before it can serve
// its pages (the demo store on a first start: a history, two models, made-up
// prospects; a minute or more on 2 cores). Until Ready, every page answers
// 503 with a "preparing" page that shows the step and refreshes itself,
// and /readyz says "starting": the HTTP server answers at once. Safe for
// concurrent use; a nil *Startup is ready.
type Startup struct {
	mu          sync.Mutex
	step        string // catalogue key suffix: starting.<step>
	done, total int
	ready       bool
	failed      string
}

// NewStartup returns a Startup that is not ready yet.
func NewStartup() *Startup { return &Startup{step: "open"} }

// Step starts a new step (its name in the catalogue: "starting.<key>").
func (s *Startup) Step(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.step, s.done, s.total = key, 0, 0
}

// Progress records how far the current step is.
func (s *Startup) Progress(done, total int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done, s.total = done, total
}

// Ready ends the preparation: pages are served.
func (s *Startup) Ready() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ready = true
}

// Fail ends the preparation with an error, shown on the page and /readyz
// (detail carries no personal data: it is an error from seeding the demo).
func (s *Startup) Fail(detail string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed = detail
}

type startupState struct {
	Ready       bool
	Step        string
	Done, Total int
	Failed      string
}

func (s *Startup) state() startupState {
	if s == nil {
		return startupState{Ready: true}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return startupState{Ready: s.ready, Step: s.step, Done: s.done, Total: s.total, Failed: s.failed}
}

type startingPage struct {
	page
	Step    string
	Percent int
	Known   bool // the step reports progress
	Failed  string
}

// whileStarting answers every request but health, readiness and assets
// with the "preparing" page until the startup is ready.
func (s *Server) whileStarting(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		st := s.startup.state()
		if st.Ready {
			return next(c)
		}
		p := c.Request().URL.Path
		if p == "/healthz" || p == "/readyz" || p == "/favicon.ico" || strings.HasPrefix(p, "/static/") {
			return next(c)
		}
		c.Response().Header().Set("Retry-After", "5")
		if isAPIPath(p) {
			return apiErr(http.StatusServiceUnavailable, "unavailable", "the server is starting; retry after Retry-After seconds")
		}
		if !acceptsHTML(c) {
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"error": "starting", "step": st.Step})
		}
		lang := langOf(c)
		sp := startingPage{page: s.basePage(c, lang), Step: T(lang, "starting."+st.Step), Failed: st.Failed}
		sp.Title = T(lang, "starting.title")
		if st.Total > 0 {
			sp.Known, sp.Percent = true, min(100, st.Done*100/st.Total)
		}
		return c.Render(http.StatusServiceUnavailable, "starting", sp)
	}
}

// startingReadyz is /readyz's answer while starting: 503, the step and its progress.
func (s *Server) startingReadyz(c echo.Context) (bool, error) {
	st := s.startup.state()
	if st.Ready {
		return false, nil
	}
	body := "starting\nstep: " + st.Step
	if st.Total > 0 {
		body += " " + strconv.Itoa(st.Done) + "/" + strconv.Itoa(st.Total)
	}
	if st.Failed != "" {
		body = "unavailable\ndemo preparation failed: " + st.Failed
	}
	return true, c.String(http.StatusServiceUnavailable, body+"\n")
}
