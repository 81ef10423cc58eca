package bot

import (
	"context"
	"errors"
	"testing"
	"time"
)

type fakeStaffing struct {
	idle  []time.Duration
	ticks int
	err   error
}

func (f *fakeStaffing) AwayIdle(_ context.Context, idle time.Duration) (int, error) {
	f.idle = append(f.idle, idle)
	return 0, nil
}

func (f *fakeStaffing) AssignWaiting(context.Context) (int, error) {
	f.ticks++
	return 1, f.err
}

// The staffing loop runs a tick at once and then every interval, passes
// the idle time on, stops with its context and returns a store failure.
func TestStaffingLoopTicks(t *testing.T) {
	f := &fakeStaffing{}
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
	defer cancel()
	if err := (Staffing{Store: f, Idle: 30 * time.Minute}).Run(ctx, 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if f.ticks < 2 || f.idle[0] != 30*time.Minute {
		t.Errorf("ticks %d, idle %v; want several ticks with 30m", f.ticks, f.idle)
	}
	f.err = errors.New("disk")
	if err := (Staffing{Store: f}).Run(context.Background(), time.Hour); err == nil {
		t.Error("a failed tick was not returned")
	}
}
