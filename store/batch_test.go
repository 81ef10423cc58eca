package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/cis-agencia/cis/flow"
)

// TestConcurrentHandleKeepsEveryMessageOnce sends messages of many
// prospects from many goroutines, each message twice, and checks that every
// message is stored once, stepped once and in order per prospect.
func TestConcurrentHandleKeepsEveryMessageOnce(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	const prospects, perProspect = 20, 15
	var wg sync.WaitGroup
	var mu sync.Mutex
	handled := 0
	for p := range prospects {
		wg.Go(func() {
			for m := range perProspect {
				in := inbound(fmt.Sprintf("p%d-m%d", p, m), fmt.Sprint(m))
				in.From = fmt.Sprintf("+57300%07d", p)
				for range 2 { // every message is delivered twice
					ok, err := s.Handle(ctx, in, orderStep(t, m))
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						mu.Lock()
						handled++
						mu.Unlock()
					}
				}
			}
		})
	}
	wg.Wait()
	if want := prospects * perProspect; handled != want || count(t, s, `SELECT COUNT(*) FROM messages`) != want {
		t.Errorf("handled %d, stored %d; want %d each", handled, count(t, s, `SELECT COUNT(*) FROM messages`), want)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM outbox`); n != prospects*perProspect {
		t.Errorf("outbox = %d; want one reply per message", n)
	}
}

// orderStep checks that message m sees the state left by message m-1.
func orderStep(t *testing.T, m int) func(flow.State) flow.Result {
	return func(s flow.State) flow.Result {
		if s.Failures != m {
			t.Errorf("message %d applied after %d earlier ones; want in order", m, s.Failures)
		}
		return echoStep(s)
	}
}

func TestOneBadMessageDoesNotSpoilItsBatch(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Go(func() {
			step := echoStep
			if i%10 == 3 {
				step = func(st flow.State) flow.Result { panic("boom") }
			}
			in := inbound(fmt.Sprintf("m%d", i), "hola")
			in.From = fmt.Sprintf("+57311%07d", i)
			_, errs[i] = s.Handle(ctx, in, step)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if bad := i%10 == 3; bad != (err != nil) {
			t.Errorf("message %d: err = %v; want an error only for the panicking ones", i, err)
		}
	}
	if n := count(t, s, `SELECT COUNT(*) FROM messages`); n != 36 {
		t.Errorf("stored %d messages; want the 36 good ones", n)
	}
}

func TestHandleAfterClose(t *testing.T) {
	s, _ := mustOpen(t)
	s.Close()
	_, err := s.Handle(context.Background(), inbound("x", "hola"), echoStep)
	if !errors.Is(err, ErrClosed) {
		t.Errorf("Handle after Close: %v; want ErrClosed", err)
	}
}

func TestHandleCancelledContext(t *testing.T) {
	s, _ := mustOpen(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Handle(ctx, inbound("x", "hola"), echoStep); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v; want context.Canceled", err)
	}
}
