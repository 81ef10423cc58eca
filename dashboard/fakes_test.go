package dashboard

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/flow"
)

type echoContext = echo.Context

// fakePairing stands in for the WhatsApp channel (issue 4).
type fakePairing struct {
	mu      sync.Mutex
	st      PairingStatus
	logouts int
	pairs   int
}

func (f *fakePairing) PairingStatus(context.Context) (PairingStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.st.State == "" {
		return PairingStatus{State: PairingWaitingQR, QR: "2@fakeQRpayload,abc,def", Updated: time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)}, nil
	}
	return f.st, nil
}

func (f *fakePairing) Logout(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logouts++
	f.st = PairingStatus{State: PairingLoggedOut}
	return nil
}

func (f *fakePairing) Pair(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pairs++
	f.st = PairingStatus{State: PairingWaitingQR, QR: "2@second,code"}
	return nil
}

// cloudOnlyPairing is the pairing source when only the Cloud API runs: no
// linked device, so both actions are refused as not applicable.
type cloudOnlyPairing struct{}

func (cloudOnlyPairing) PairingStatus(context.Context) (PairingStatus, error) {
	return PairingStatus{State: PairingDisconnected, CloudAPI: "configured", NoDevice: true}, nil
}

func (cloudOnlyPairing) Logout(context.Context) error {
	return fmt.Errorf("no linked device: %w", ErrPairingUnavailable)
}

func (cloudOnlyPairing) Pair(context.Context) error {
	return fmt.Errorf("no linked device: %w", ErrPairingUnavailable)
}

// funcModels is Models from functions (Deps.Models); a nil one answers as
// the rule scorer.
type funcModels struct {
	name  func() string
	value func(p float64, service string, b flow.Budget) int64
	lead  func() ModelInfo
	churn func(context.Context) (ModelInfo, error)
}

func (m funcModels) Name() string {
	if m.name == nil {
		return ruleScorer{}.Name()
	}
	return m.name()
}

func (m funcModels) LeadValue(p float64, service string, b flow.Budget) int64 {
	if m.value == nil {
		return 0
	}
	return m.value(p, service, b)
}

func (m funcModels) LeadModel() ModelInfo {
	if m.lead == nil {
		return ruleScorer{}.LeadModel()
	}
	return m.lead()
}

func (m funcModels) ChurnModel(ctx context.Context) (ModelInfo, error) {
	if m.churn == nil {
		return ruleScorer{}.ChurnModel(ctx)
	}
	return m.churn(ctx)
}
