package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types/events"
)

// Why a pairing ended without a linked device. Every one of them leaves the
// login socket closed, so that the next attempt can ask for new codes at once
// (whatsmeow refuses GetQRChannel on a connected client).
var (
	// ErrPairTimeout: no code was scanned before WhatsApp stopped issuing them
	// (about 160 s per login socket).
	ErrPairTimeout = errors.New("no code was scanned in time")
	// ErrClientOutdated: WhatsApp rejected the version this program
	// announces (405). Retrying cannot help; --whatsapp-version can.
	ErrClientOutdated = errors.New("WhatsApp rejected this program's version as outdated (405): set --whatsapp-version to the current WhatsApp Web version, or update cis")
	// ErrPasskey: WhatsApp asked for the account's passkey and the answer
	// failed or never came.
	ErrPasskey = errors.New("the passkey step failed")
	// ErrPairUnexpected: the socket reached a state that is not a pairing
	// (already logged in elsewhere, logged out, banned) while codes were shown.
	ErrPairUnexpected = errors.New("WhatsApp answered the pairing with an unexpected state")
	// errPairClosed: the code channel closed without saying why.
	errPairClosed = errors.New("the pairing ended without a result")
)

// WrongNumberError is a pairing this program refused: the phone that scanned
// belongs to another account than the configured agency number
// (--whatsapp-number), so a stray scan cannot make a stranger's WhatsApp the
// agency's bot.
type WrongNumberError struct {
	Scanned, Want string // digits with country code
}

func (e *WrongNumberError) Error() string {
	return fmt.Sprintf("the phone that scanned (+%s) is not the agency's number (+%s): scan with the agency's WhatsApp", e.Scanned, e.Want)
}

// Is makes errors.Is(err, whatsmeow.ErrPairRejectedLocally) hold.
func (e *WrongNumberError) Is(target error) bool { return target == whatsmeow.ErrPairRejectedLocally }

// PairUI is what a pairing shows to the person pairing, on the dashboard or
// in the terminal. Nil functions show nothing.
type PairUI struct {
	// Code is a QR code to show; WhatsApp rotates it after valid.
	Code func(code string, valid time.Duration)
	// Passkey: the phone scanned, and WhatsApp asks for the account's
	// passkey before it links the device. The pairing waits for the answer
	// (Client.SendPasskeyResponse) until the login socket times out.
	Passkey func(req *events.PairPasskeyRequest)
	// Confirm shows the code WhatsApp also shows on the phone; once they
	// match, Client.SendPasskeyConfirmation finishes the pairing.
	Confirm func(code string)
	// Notice is a problem the person can fix and then scan again; the
	// pairing goes on (e.g. a phone without multi-device).
	Notice func(problem string)
}

func (ui PairUI) code(code string, valid time.Duration) {
	if ui.Code != nil {
		ui.Code(code, valid)
	}
}

func (ui PairUI) notice(problem string) {
	if ui.Notice != nil {
		ui.Notice(problem)
	}
}

// pairClient is the part of *whatsmeow.Client a pairing drives; tests feed
// real whatsmeow.QRChannelItem values through a fake.
type pairClient interface {
	GetQRChannel(ctx context.Context) (<-chan whatsmeow.QRChannelItem, error)
	ConnectContext(ctx context.Context) error
	Disconnect()
}

var _ pairClient = (*whatsmeow.Client)(nil)

// NoticeNoMultiDevice is shown when a phone without multi-device scanned.
const NoticeNoMultiDevice = "the phone that scanned cannot link devices: update WhatsApp on it and scan again"

// pairQR connects an unpaired client and drains its QR channel until the
// pairing ends: done on success (the socket stays as it is: WhatsApp closes
// it, and the first login follows events.ManualLoginReconnect), otherwise
// an error saying why, with the socket closed. explain turns whatsmeow's
// pair errors into ours (the refused number); nil keeps them.
func pairQR(ctx context.Context, cli pairClient, ui PairUI, explain func(error) error) (done bool, err error) {
	qr, err := openPairing(ctx, cli)
	if err != nil {
		return false, err
	}
	done, err = drainPairing(ctx, qr, ui)
	if !done {
		// whatsmeow closes the socket itself only for some endings (codes
		// ran out, a pair error); after a passkey error, an outdated client
		// or an unexpected state it stays open and the next GetQRChannel
		// would fail for the rest of the login socket's life.
		cli.Disconnect()
		if explain != nil {
			err = explain(err)
		}
	}
	return done, err
}

// openPairing asks for the QR channel (before connecting, as whatsmeow
// wants) and connects.
func openPairing(ctx context.Context, cli pairClient) (<-chan whatsmeow.QRChannelItem, error) {
	qr, err := cli.GetQRChannel(ctx)
	if err != nil {
		return nil, fmt.Errorf("qr channel: %w", err)
	}
	if err := cli.ConnectContext(ctx); err != nil {
		cli.Disconnect()
		return nil, fmt.Errorf("connect: %w", err)
	}
	return qr, nil
}

// drainPairing reads the QR channel until an item ends the pairing. After a
// passkey request the phone has scanned: later codes are not shown, so the
// prompt stays on screen.
func drainPairing(ctx context.Context, qr <-chan whatsmeow.QRChannelItem, ui PairUI) (bool, error) {
	passkey := false
	for {
		var item whatsmeow.QRChannelItem
		var ok bool
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case item, ok = <-qr:
		}
		if !ok {
			return false, errPairClosed
		}
		switch item.Event {
		case whatsmeow.QRChannelEventCode:
			if !passkey {
				ui.code(item.Code, item.Timeout)
			}
			continue
		case whatsmeow.QRChannelScannedWithoutMultidevice.Event:
			ui.notice(NoticeNoMultiDevice) // the same code can be scanned again
			continue
		case whatsmeow.QRChannelEventPasskeyRequest:
			passkey = true
			if ui.Passkey != nil && item.PasskeyRequest != nil {
				ui.Passkey(item.PasskeyRequest)
			}
			continue
		case whatsmeow.QRChannelEventPasskeyResponse:
			if ui.Confirm != nil && item.PasskeyConfirmation != nil {
				ui.Confirm(item.PasskeyConfirmation.Code)
			}
			continue
		}
		return pairEnd(item, passkey)
	}
}

// pairEnd maps an item that ends the pairing to its result.
func pairEnd(item whatsmeow.QRChannelItem, passkey bool) (bool, error) {
	switch item.Event {
	case whatsmeow.QRChannelSuccess.Event:
		return true, nil
	case whatsmeow.QRChannelTimeout.Event:
		if passkey {
			return false, fmt.Errorf("%w: no answer before the login socket closed", ErrPasskey)
		}
		return false, ErrPairTimeout
	case whatsmeow.QRChannelClientOutdated.Event:
		return false, ErrClientOutdated
	case whatsmeow.QRChannelErrUnexpectedEvent.Event:
		return false, ErrPairUnexpected
	case whatsmeow.QRChannelEventError:
		if passkey {
			return false, fmt.Errorf("%w: %w", ErrPasskey, item.Error)
		}
		return false, fmt.Errorf("pairing: %w", item.Error)
	}
	return false, fmt.Errorf("pairing: unknown event %q", item.Event)
}
