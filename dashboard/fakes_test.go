package dashboard

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
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
