//go:build crashtest

package main

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// crashHook reads CIS_CRASH_AT=point:n and returns a hook that kills this
// process with SIGKILL (no deferred function, no flush, no clean close) the
// n-th time the named crash point is reached. Built only with -tags
// crashtest, for the crash test.
func crashHook(getenv func(string) string) func(point string) {
	spec := getenv("CIS_CRASH_AT")
	if spec == "" {
		return nil
	}
	name, nth, _ := strings.Cut(spec, ":")
	n, err := strconv.Atoi(nth)
	if err != nil || n < 1 {
		n = 1
	}
	var mu sync.Mutex
	hits := 0
	return func(point string) {
		if point != name {
			return
		}
		mu.Lock()
		hits++
		h := hits
		mu.Unlock()
		if h == n {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // never returns: the signal is on its way
		}
	}
}
