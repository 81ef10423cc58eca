package scoring

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// Watch must pick up a newly activated model on its next tick, keep the
// current one when the next activation is broken, and return nil when its
// context ends. synctest's fake clock makes the ticks exact and the test
// instant.
func TestWatchPicksUpActivationsAndKeepsServingOnBadOnes(t *testing.T) {
	b, _, hist := mustTrain(t)
	good, lead := mustEncode(t, b), hist[0].Lead
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{}
		src.set(0, nil, errors.New("not found"))
		a := NewActive(src, nil, DefaultMinHistory(), "es")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Watch(ctx, time.Minute) }()

		steps := []struct {
			name string
			id   int64
			body []byte
			want string
		}{
			{"no model yet: rules", 0, nil, "rules"},
			{"model 1 activated", 1, good, "forest:1"},
			{"model 2 is broken: model 1 keeps serving", 2, good[:len(good)/3], "forest:1"},
			{"model 3 activated", 3, good, "forest:3"},
		}
		for _, s := range steps {
			if s.id != 0 {
				src.set(s.id, s.body, nil)
			}
			if got := a.Score(lead).Model; s.id != 0 && got == s.want && s.want != "forest:1" {
				t.Errorf("%s: swapped before the tick", s.name)
			}
			time.Sleep(time.Minute)
			synctest.Wait()
			if got := a.Score(lead).Model; got != s.want {
				t.Errorf("%s: Score uses %q; want %q", s.name, got, s.want)
			}
		}
		cancel()
		synctest.Wait()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Watch returned %v after cancel; want nil", err)
			}
		default:
			t.Error("Watch still running after its context ended")
		}
	})
}
