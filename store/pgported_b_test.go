package store

import "testing"

// TestPostgresTwinsBAreCurrent is TestPostgresTwinsAreCurrent for part B
// (pgported_b.go): a twin whose SQLite text changed must be read again.
func TestPostgresTwinsBAreCurrent(t *testing.T) {
	for _, tw := range pgTwinsB {
		if got := sqlSum(tw.sqlite); got != tw.sum {
			t.Errorf("the SQLite statement of a PostgreSQL twin changed (sum %s, twin written from %s): re-port it in pgported_b.go:\n%s",
				got, tw.sum, tw.sqlite)
		}
	}
}
