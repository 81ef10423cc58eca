//go:build !crashtest

package main

// crashHook returns nil: crash points are compiled in only for the crash
// test (go build -tags crashtest; see crash_on.go and docs/reliability.md).
func crashHook(getenv func(string) string) func(point string) { return nil }
