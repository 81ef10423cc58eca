package modelreport

import "context"

// cancelled is what a progress step panics with once the report's context
// has ended. learn.Compare and scoring.FieldTrial take no context (package
// learn is out of this package's reach), but they call their progress
// function between folds, in the caller's goroutine and with no fit in
// flight: that is the one place a cancellation can reach them. ForModel
// recovers the panic (stopped) and returns the context's error.
type cancelled struct{ err error }

// watch wraps progress (which may be nil) so that each step first checks
// ctx and stops the computation when it has ended.
func watch(ctx context.Context, progress func(done, total int, step string)) func(done, total int, step string) {
	return func(done, total int, step string) {
		if err := ctx.Err(); err != nil {
			panic(cancelled{err})
		}
		if progress != nil {
			progress(done, total, step)
		}
	}
}

// stopped, deferred, turns watch's panic into the returned error; any
// other panic goes on.
func stopped(err *error) {
	if r := recover(); r != nil {
		c, ok := r.(cancelled)
		if !ok {
			panic(r)
		}
		*err = c.err
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
