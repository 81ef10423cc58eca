package dashboard

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"
)

// Jobs runs the server's background work (report computation, sweeps,
// daily scoring) so that none of it can stop the process: a panic is
// recovered, logged without personal data, and the job is marked failed,
// which /readyz and the admins' pages show. Safe for concurrent use.
type Jobs struct {
	log *slog.Logger
	now func() time.Time
	mu  sync.Mutex
	// failed is the last failure of each job name, kept for a day.
	failed map[string]JobFailure
	// base is the context of the work a request starts and its response
	// does not wait for (a model report): it ends when the server stops
	// (Serve, Close), never with the request.
	base   context.Context
	stop   context.CancelFunc
	closed bool          // under mu: Close began, no new work starts
	grace  time.Duration // how long Close waits; closeGrace when zero (tests shorten it)
	wg     sync.WaitGroup
}

// JobFailure is a background job's last failure. Detail names where and
// why in code terms (a runtime error and the function that panicked),
// never a value: the panic's own text is not kept unless the runtime wrote it.
type JobFailure struct {
	Name   string
	At     time.Time
	Detail string
}

// jobFailureShown is how long a failure stays on the pages after it happened.
const jobFailureShown = 24 * time.Hour

// NewJobs returns an empty registry logging to log.
func NewJobs(log *slog.Logger, now func() time.Time) *Jobs {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	base, stop := context.WithCancel(context.Background())
	return &Jobs{log: log, now: now, failed: map[string]JobFailure{}, base: base, stop: stop}
}

// errPanicked marks an error made from a recovered panic.
var errPanicked = errors.New("panicked")

// Run runs fn once in the calling goroutine and returns its error; a panic
// becomes an error wrapping errPanicked. Either failure marks the job failed.
func (j *Jobs) Run(ctx context.Context, name string, fn func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %w: %s", name, errPanicked, panicDetail(r))
			j.log.Error("background job panicked", "job", name, "panic", panicDetail(r), "stack", stackFrames())
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			j.fail(name, err)
		}
	}()
	return fn(ctx)
}

// Go runs fn in a new goroutine through Run; Wait waits for all of them.
func (j *Jobs) Go(ctx context.Context, name string, fn func(context.Context) error) {
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		if err := j.Run(ctx, name, fn); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, errPanicked) {
			j.log.Error("background job failed", "job", name, "err", err)
		}
	}()
}

// Wait waits for the goroutines Go started.
func (j *Jobs) Wait() { j.wg.Wait() }

// begin starts a piece of background work under the jobs' own context,
// for at most timeout: ctx ends when the server stops, and Close waits
// for end. After Close, ctx is already done and end does nothing.
func (j *Jobs) begin(timeout time.Duration) (ctx context.Context, end func()) {
	j.mu.Lock()
	defer j.mu.Unlock()
	ctx, cancel := context.WithTimeout(j.base, timeout)
	if j.closed {
		cancel()
		return ctx, func() {}
	}
	j.wg.Add(1)
	return ctx, func() { cancel(); j.wg.Done() }
}

// Serve ties the background work to ctx, the server's: when ctx ends it
// cancels the work begun under the jobs' context and returns once all of
// it (and every goroutine Go started) has returned, or closeGrace has
// passed (Close). serve runs it beside
// the HTTP server, so that a stop never leaves a report half-written
// behind a closed store.
func (j *Jobs) Serve(ctx context.Context) error {
	<-ctx.Done()
	j.Close()
	return nil
}

// closeGrace bounds how long Close waits. A model report's
// cross-validation sees its context only between folds
// (modelreport.ForModel), so one fold's fit may still run after a stop,
// and work that ignores its context must not hang a stop for minutes.
// What is still running then is abandoned: its result is not saved.
const closeGrace = 10 * time.Second

// Close cancels the background work and waits for it, at most closeGrace;
// no new work starts. It reports whether everything returned in time.
func (j *Jobs) Close() bool {
	j.mu.Lock()
	j.closed = true
	grace := cmp.Or(j.grace, closeGrace)
	j.mu.Unlock()
	j.stop()
	done := make(chan struct{})
	go func() { j.wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(grace):
		j.log.Warn("background work still running at stop; abandoned", "waited", grace.String())
		return false
	}
}

// Loop runs a long-lived loop (fn returns only when ctx ends) and starts it
// again after a pause when it panics or fails, so that one bad record does
// not stop the sweeper or the daily jobs for good. It returns when ctx ends.
func (j *Jobs) Loop(ctx context.Context, name string, fn func(context.Context) error) error {
	pause := 5 * time.Second
	for {
		err := j.Run(ctx, name, fn)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && !errors.Is(err, errPanicked) {
			j.log.Error("background job failed; restarting", "job", name, "err", err, "after", pause.String())
		} else {
			j.log.Error("background job stopped; restarting", "job", name, "after", pause.String())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pause):
		}
		pause = min(2*pause, 10*time.Minute)
	}
}

func (j *Jobs) fail(name string, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.failed[name] = JobFailure{Name: name, At: j.now(), Detail: err.Error()}
}

// Clear forgets a job's failure (it succeeded since).
func (j *Jobs) Clear(name string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.failed, name)
}

// Failed lists the failures of the last day, newest first.
func (j *Jobs) Failed() []JobFailure {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	var out []JobFailure
	for _, f := range j.failed {
		if now.Sub(f.At) < jobFailureShown {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].At.After(out[b].At) })
	return out
}

// FailedJob reports the failure of one job name, if any in the last day.
func (j *Jobs) FailedJob(name string) (JobFailure, bool) {
	for _, f := range j.Failed() {
		if f.Name == name {
			return f, true
		}
	}
	return JobFailure{}, false
}

// panicDetail describes a recovered value without its data: a runtime
// error's own text (written by the runtime: "index out of range [3] with
// length 2"), an error's or value's type otherwise, since a message built
// by code could carry a prospect's name.
func panicDetail(r any) string {
	var re runtime.Error
	if err, ok := r.(error); ok && errors.As(err, &re) {
		return re.Error()
	}
	return fmt.Sprintf("panic(%T)", r)
}

// stackFrames is the panicking goroutine's stack as function names and
// lines, without the argument values debug.Stack prints.
func stackFrames() string {
	var b strings.Builder
	for _, line := range strings.Split(string(debug.Stack()), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "/") || strings.Contains(line, ".go:") {
			if i := strings.LastIndex(line, " +0x"); i > 0 {
				line = line[:i]
			}
			if strings.HasPrefix(line, "/") { // a file: its package directory and name are enough
				line = filepath.Base(filepath.Dir(line)) + "/" + filepath.Base(line)
			}
			b.WriteString(line)
			b.WriteString("; ")
		}
	}
	return b.String()
}

// jobLabel names a job for the admins' banner. Names are "kind" or "kind:id".
func jobLabel(lang, name string) string {
	kind, id, _ := strings.Cut(name, ":")
	label := T(lang, "job."+kind)
	if label == "job."+kind {
		label = T(lang, "job.other")
	}
	if id != "" {
		label += " n.º " + id
		if lang == "en" {
			label = strings.Replace(label, " n.º ", " no. ", 1)
		}
	}
	return label
}
