package dashboard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cis-agencia/cis/store"
)

func TestJobsRecoverAndRecordWithoutData(t *testing.T) {
	var logs bytes.Buffer
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	j := NewJobs(slog.New(slog.NewJSONHandler(&logs, nil)), func() time.Time { return now })
	tests := []struct {
		name       string
		fn         func(context.Context) error
		wantFailed bool
		wantDetail string
	}{
		{"ok", func(context.Context) error { return nil }, false, ""},
		{"error", func(context.Context) error { return errors.New("disk full") }, true, "disk full"},
		{"index", func(context.Context) error { return fmt.Errorf("%d", outOfRange(3)) }, true, "index out of range [3] with length 1"},
		{"nil pointer", func(context.Context) error { var p *struct{ n int }; return fmt.Errorf("%d", p.n) }, true, "nil pointer dereference"},
		// A panic built by code may carry a prospect's name: only its type is kept.
		{"text panic", func(context.Context) error { panic("lead Carlos Andrés +573001234567 broke") }, true, "panic(string)"},
		{"cancelled", func(context.Context) error { return context.Canceled }, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := j.Run(context.Background(), tt.name, tt.fn)
			f, failed := j.FailedJob(tt.name)
			if failed != tt.wantFailed || (failed && !strings.Contains(f.Detail, tt.wantDetail)) {
				t.Errorf("failed = %v (%q), err %v; want %v containing %q", failed, f.Detail, err, tt.wantFailed, tt.wantDetail)
			}
		})
	}
	for _, secret := range []string{"Carlos", "573001234567"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log carries %q:\n%s", secret, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "jobs_test.go") {
		t.Errorf("the log does not say where the panic happened:\n%s", logs.String())
	}
	now = now.Add(25 * time.Hour)
	if f := j.Failed(); len(f) != 0 {
		t.Errorf("failures older than a day are still shown: %v", f)
	}
}

func TestJobsLoopRestartsAfterPanic(t *testing.T) {
	j := NewJobs(nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var runs atomic.Int32
	done := make(chan error, 1)
	go func() {
		done <- j.Loop(ctx, "sweeper", func(ctx context.Context) error {
			if runs.Add(1) == 1 {
				panic(errors.New("first run breaks"))
			}
			<-ctx.Done()
			return nil
		})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for runs.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if runs.Load() < 2 {
		t.Fatal("the loop was not started again after its panic")
	}
	if _, failed := j.FailedJob("sweeper"); !failed {
		t.Error("the panic was not recorded")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Loop returned %v after its context ended; want nil", err)
	}
}

// panickyReports is a real store whose model bundles cannot be read
// without a panic, as a bad bundle once did in the report job.
type panickyReports struct{ *store.Store }

func (panickyReports) ModelBundle(context.Context, int64) ([]byte, error) {
	return nil, fmt.Errorf("%d", outOfRange(2)) // a runtime panic, as a bad bundle once caused
}

// outOfRange panics with a runtime error: index i of a one-element slice.
func outOfRange(i int) int {
	s := []int{1}
	return s[i]
}

// TestModelReportPanicShownNotFatal: the report job panics in its own
// goroutine; the process goes on, the model page says the report failed
// and offers to try again, admins see the failed job on every page, and
// /readyz reports it as degraded.
func TestModelReportPanicShownNotFatal(t *testing.T) {
	env := newEnv(t, Deps{Options: Options{ReportTrees: 10}})
	active, _, _ := seedModels(t, env)
	s, err := New(Deps{Store: env.st, Now: func() time.Time { return env.now }})
	if err != nil {
		t.Fatal(err)
	}
	s.bundles = panickyReports{env.st}
	env.s = s
	admin := env.client()
	admin.login("admin1")
	if rec := admin.do(http.MethodGet, "/model", nil, nil); rec.Code != http.StatusOK {
		t.Fatalf("/model = %d", rec.Code)
	}
	s.reports.wg.Wait()
	page := admin.do(http.MethodGet, "/model", nil, nil).Body.String()
	if !strings.Contains(page, `data-job="failed"`) || !strings.Contains(page, fmt.Sprintf("/model?id=%d&amp;retry=1", active)) {
		t.Errorf("the model page does not show the failed report with a retry:\n%s", page)
	}
	if !strings.Contains(page, `id="failed-jobs"`) || !strings.Contains(page, "Informe del modelo de leads") {
		t.Error("the admin banner does not list the failed job")
	}
	rec := admin.do(http.MethodGet, "/readyz", nil, nil)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), "degraded") || !strings.Contains(rec.Body.String(), "model-report") {
		t.Errorf("/readyz = %d %q; want degraded naming the job", rec.Code, rec.Body.String())
	}
	// The failure stays shown (no endless recomputation) until someone retries.
	admin.do(http.MethodGet, "/model", nil, nil)
	if running, _ := s.reports.state(active); running {
		t.Error("a plain visit restarted the failed report")
	}
}

// TestModelPageChurnModelActive: with both a lead and a churn model active
// (the demo store), the page shows the lead model's report and describes
// the churn model in words; a churn model has no report (404), which is
// how the page once stopped the server.
func TestModelPageChurnModelActive(t *testing.T) {
	env := newEnv(t, Deps{Options: Options{ReportTrees: 10}})
	active, _, _ := seedModels(t, env)
	churn, err := env.st.SaveModelKind(context.Background(), store.KindChurn, []byte("a churn bundle"),
		"churn: 5400 customer snapshots, 310 cancellations in 30 days, 50 trees, CV ROC AUC 0.781, Brier 0.0500, calibration platt", true)
	if err != nil {
		t.Fatal(err)
	}
	viewer := env.client()
	viewer.login("viewer1")
	for _, u := range []string{"/model", fmt.Sprintf("/model?id=%d", churn)} {
		rec := viewer.do(http.MethodGet, u, nil, nil)
		page := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(page, fmt.Sprintf("Modelo de leads n.º %d", active)) {
			t.Fatalf("GET %s = %d:\n%s", u, rec.Code, page)
		}
		if !strings.Contains(page, fmt.Sprintf("Modelo de cancelación n.º %d", churn)) || !strings.Contains(page, "5.400 fotos mensuales") ||
			!strings.Contains(page, "78 de cada 100") {
			t.Errorf("GET %s does not describe the churn model in words:\n%s", u, page)
		}
		for _, code := range []string{"forest:", "trees", "calibration platt", "CV ROC"} {
			if strings.Contains(page, code) {
				t.Errorf("GET %s shows the code word %q", u, code)
			}
		}
	}
	env.s.reports.wg.Wait()
	if rec := viewer.do(http.MethodGet, fmt.Sprintf("/model/%d/report", churn), nil, nil); rec.Code != http.StatusNotFound {
		t.Errorf("report of the churn model: %d; want 404", rec.Code)
	}
	if _, failed := env.s.jobs.FailedJob(reportJob(active)); failed {
		t.Error("the lead model's report failed")
	}
}

// TestJobsServeStopsAndWaitsForBackgroundWork: work a request began (a
// model report) runs under the server's context, not the request's: when
// the server's context ends, Serve cancels it and returns only once it has
// returned, and work begun after that starts already cancelled.
func TestJobsServeStopsAndWaitsForBackgroundWork(t *testing.T) {
	j := NewJobs(nil, nil)
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { _ = j.Serve(ctx); close(served) }()

	started := make(chan struct{})
	var finished atomic.Bool
	work, end := j.begin(time.Hour)
	go func() {
		defer end()
		close(started)
		<-work.Done()                     // a long cross-validation, cut by the stop
		time.Sleep(20 * time.Millisecond) // and its clean-up
		finished.Store(true)
	}()
	<-started
	select {
	case <-served:
		t.Fatal("Serve returned before the server's context ended")
	case <-time.After(20 * time.Millisecond):
	}
	stop()
	<-served
	if !finished.Load() {
		t.Error("Serve returned while the background work was still running")
	}
	late, lateEnd := j.begin(time.Hour)
	defer lateEnd()
	if late.Err() == nil {
		t.Error("work begun after the stop is not cancelled")
	}
}

// TestJobsCloseBoundsTheWait: work that does not see its context (a
// cross-validation under way) holds a stop back at most the grace period.
func TestJobsCloseBoundsTheWait(t *testing.T) {
	j := NewJobs(nil, nil)
	j.grace = 50 * time.Millisecond
	release := make(chan struct{})
	defer close(release)
	_, end := j.begin(time.Hour)
	go func() { defer end(); <-release }() // ignores its context
	start := time.Now()
	if j.Close() {
		t.Error("Close says everything returned; the work is still running")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close waited %v; want about the grace period", d)
	}
}
