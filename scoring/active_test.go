package scoring

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestFallbackIsReported: /readyz calls the service degraded when the store
// names an active model that did not load, and only then.
func TestFallbackIsReported(t *testing.T) {
	b, _, _ := mustTrain(t)
	good := mustEncode(t, b)
	steps := []struct {
		name     string
		id       int64
		body     []byte
		err      error
		fallback bool
		reason   string
	}{
		{"no trained model yet", 0, nil, errors.New("active model: not found"), false, "rules"},
		{"a good model", 1, good, nil, false, "model forest:1"},
		{"a corrupt model activated", 2, []byte("hello"), nil, true, "forest:1: model 2"},
		{"bytes changed on disk", 2, nil, errors.New("model 2: stored bytes do not match their checksum"), true, "checksum"},
		{"a good model again", 3, good, nil, false, "model forest:3"},
	}
	src := &fakeSource{}
	a := NewActive(src, nil, DefaultMinHistory(), "es")
	for _, s := range steps {
		src.set(s.id, s.body, s.err)
		_ = a.Load(context.Background())
		fb, reason := a.Fallback()
		if fb != s.fallback {
			t.Errorf("%s: Fallback = %v; want %v (%s)", s.name, fb, s.fallback, reason)
		}
		if !strings.Contains(reason, s.reason) {
			t.Errorf("%s: reason %q; want it to mention %q", s.name, reason, s.reason)
		}
	}
}
