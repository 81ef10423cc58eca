package bot

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	wastore "go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"github.com/cis-agencia/cis/store"
)

// DeviceName is how the linked device appears in the phone's list.
const DeviceName = "CIS"

// SetWhatsAppVersion sets the WhatsApp Web version whatsmeow announces
// ("2.3000.1045649367"), so that a version WhatsApp starts rejecting can be
// replaced by configuration, without a rebuild. "" keeps the built-in one.
// It changes a whatsmeow package variable: call it once, before connecting.
func SetWhatsAppVersion(v string) error {
	if v == "" {
		return nil
	}
	parsed, err := wastore.ParseVersion(v)
	if err != nil {
		return fmt.Errorf("whatsapp version %q: %w", v, err)
	}
	wastore.SetWAVersion(parsed)
	return nil
}

// Client is a whatsmeow client as this program opens it: on the device
// chosen from the store (OpenClient), restricted to the agency's number,
// and reporting the other devices the store holds.
type Client struct {
	*whatsmeow.Client
	// Others are devices the store holds besides the one in use: links made
	// by an earlier `cis pair` and a dashboard scan at the same time. Each is
	// a linked device on the phone too; the operator removes it there.
	Others []types.JID
	// Number is the agency's number (digits) when configured: only it may
	// pair (PrePairCallback).
	Number   string
	rejected atomic.Pointer[types.JID]
}

// OpenClient opens whatsmeow's device store on db (store.DeviceDB: the same
// file as the app, its own handle), upgrades its tables and returns a client
// for the device chosen by ChooseDevice (a new, unpaired one if none).
// number is the agency's number (--whatsapp-number, digits with country
// code, "" for any): a phone of another account that scans a code is
// refused. The client acknowledges a message only after every handler
// returned (SynchronousAck) and keeps decrypted messages until they are
// handled, so that a handler returning false gets the message again. It does
// not reconnect by itself after a pairing (DisableLoginAutoReconnect): a
// failed reconnect there would never be retried, so the caller reconnects
// on events.ManualLoginReconnect, with retries.
func OpenClient(ctx context.Context, db *sql.DB, number string, log *slog.Logger) (*Client, error) {
	return openClient(ctx, db, number, ChooseDevice, log)
}

// openClient is OpenClient with the device chosen by choose.
func openClient(ctx context.Context, db *sql.DB, number string, choose func([]*wastore.Device, string) (*wastore.Device, []types.JID), log *slog.Logger) (*Client, error) {
	wl := NewWALogger(log)
	container := sqlstore.NewWithDB(db, store.DeviceDialect(db), wl.Sub("store"))
	if err := container.Upgrade(ctx); err != nil {
		return nil, fmt.Errorf("whatsapp device store: %w", err)
	}
	all, err := container.GetAllDevices(ctx)
	if err != nil {
		return nil, fmt.Errorf("whatsapp devices: %w", err)
	}
	device, others := choose(all, number)
	if device == nil {
		device = container.NewDevice()
	}
	wastore.DeviceProps.Os = proto.String(DeviceName)
	c := &Client{Client: whatsmeow.NewClient(device, wl.Sub("client")), Others: others, Number: number}
	c.SynchronousAck = true
	c.EnableDecryptedEventBuffer = true
	c.InitialAutoReconnect = true
	c.DisableLoginAutoReconnect = true
	c.PrePairCallback = c.allowPairing
	return c, nil
}

// UpgradeDeviceStore creates (or upgrades) whatsmeow's device-store tables
// on db with whatsmeow's own upgrade, as OpenClient does at start: `cis
// store copy` has it make them on a PostgreSQL target, in whatsmeow's
// PostgreSQL dialect, before it fills them.
func UpgradeDeviceStore(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	container := sqlstore.NewWithDB(db, store.DeviceDialect(db), NewWALogger(log).Sub("store"))
	if err := container.Upgrade(ctx); err != nil {
		return fmt.Errorf("whatsapp device store: %w", err)
	}
	return nil
}

// ChooseDevice picks the device to run from the ones the store holds, the
// same one on every start: the agency's number first, then the lowest
// number and device id. whatsmeow's own GetFirstDevice takes whichever row
// the database returns first, which may change between restarts.
func ChooseDevice(devices []*wastore.Device, number string) (chosen *wastore.Device, others []types.JID) {
	devices = slices.DeleteFunc(slices.Clone(devices), func(d *wastore.Device) bool { return d == nil || d.ID == nil })
	slices.SortFunc(devices, func(a, b *wastore.Device) int {
		ma, mb := number != "" && a.ID.User == number, number != "" && b.ID.User == number
		if ma != mb {
			if ma {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.ID.User, b.ID.User), cmp.Compare(a.ID.Device, b.ID.Device))
	})
	if len(devices) == 0 {
		return nil, nil
	}
	for _, d := range devices[1:] {
		others = append(others, *d.ID)
	}
	return devices[0], others
}

// allowPairing is the PrePairCallback: with a configured number only that
// account may link this program.
func (c *Client) allowPairing(jid types.JID, _, _ string) bool {
	if c.Number == "" || jid.User == c.Number {
		return true
	}
	c.rejected.Store(&jid)
	return false
}

// explain names the refused number in a pair error caused by allowPairing.
func (c *Client) explain(err error) error {
	if jid := c.rejected.Load(); jid != nil && errors.Is(err, whatsmeow.ErrPairRejectedLocally) {
		return &WrongNumberError{Scanned: jid.User, Want: c.Number}
	}
	return err
}

// PairQR connects the unpaired client and shows pairing codes through ui
// until the phone scans one and the pairing succeeds (done) or the pairing
// ends: ErrPairTimeout, ErrClientOutdated, ErrPasskey, *WrongNumberError,
// ErrPairUnexpected or ctx's error. The socket is closed on every ending but
// success.
func (c *Client) PairQR(ctx context.Context, ui PairUI) (done bool, err error) {
	return pairQR(ctx, c.Client, ui, c.explain)
}

// PairPhone is the alternative to the QR: it connects, waits for the first
// code event, asks WhatsApp for an 8-character code for phone (the agency's
// number with country code), hands it to show (type it in the phone:
// Linked devices → Link with phone number instead) and then waits like
// PairQR. The code works for the rest of the login socket (about 160 s).
func (c *Client) PairPhone(ctx context.Context, phone string, show func(code string), ui PairUI) (done bool, err error) {
	return pairPhone(ctx, phoneClient{c.Client}, phone, show, ui, c.explain)
}

// Account is the paired number's digits, "" while unpaired.
func (c *Client) Account() string {
	if c.Store.ID == nil {
		return ""
	}
	return c.Store.ID.User
}

// phonePairer is pairClient plus the phone-code request.
type phonePairer interface {
	pairClient
	pairPhone(ctx context.Context, phone string) (string, error)
}

type phoneClient struct{ *whatsmeow.Client }

func (p phoneClient) pairPhone(ctx context.Context, phone string) (string, error) {
	return p.Client.PairPhone(ctx, phone, true, whatsmeow.PairClientChrome, "Chrome (Linux)")
}

func pairPhone(ctx context.Context, cli phonePairer, phone string, show func(string), ui PairUI, explain func(error) error) (bool, error) {
	qr, err := openPairing(ctx, cli)
	if err != nil {
		return false, err
	}
	done, err := phoneCode(ctx, cli, qr, phone, show, ui)
	if !done {
		cli.Disconnect()
		err = explain(err)
	}
	return done, err
}

func phoneCode(ctx context.Context, cli phonePairer, qr <-chan whatsmeow.QRChannelItem, phone string, show func(string), ui PairUI) (bool, error) {
	select { // WhatsApp must be ready for a pairing: its first QR code says so
	case <-ctx.Done():
		return false, ctx.Err()
	case first, ok := <-qr:
		if !ok {
			return false, errPairClosed
		}
		if first.Event != whatsmeow.QRChannelEventCode {
			if _, err := pairEnd(first, false); err != nil {
				return false, err
			}
			return false, fmt.Errorf("pairing: %q before any code", first.Event)
		}
	}
	code, err := cli.pairPhone(ctx, phone)
	switch {
	case errors.Is(err, whatsmeow.ErrPhoneNumberIsNotInternational), errors.Is(err, whatsmeow.ErrPhoneNumberTooShort):
		return false, fmt.Errorf("--phone %q: %w: give the number with its country code, e.g. 573001234567", phone, err)
	case errors.Is(err, whatsmeow.ErrIQRateOverLimit):
		return false, fmt.Errorf("WhatsApp refused another pairing code for now (too many requests): wait a few minutes or pair by QR: %w", err)
	case err != nil:
		return false, fmt.Errorf("pair by phone: %w", err)
	}
	show(code)
	ui.Code = nil // QR codes keep coming on this socket; the typed code is what counts
	return drainPairing(ctx, qr, ui)
}

// clientDevice is *Client as a Device.
type clientDevice struct{ *Client }

// NewDevice wraps cli for the reconnect loop (WhatsApp.Link).
func NewDevice(cli *Client) Device { return clientDevice{cli} }

var _ Device = clientDevice{}

func (d clientDevice) LIDs() lidResolver                 { return d.Store.LIDs }
func (d clientDevice) Connect(ctx context.Context) error { return d.ConnectContext(ctx) }
func (d clientDevice) Forget(ctx context.Context) error  { d.Disconnect(); return d.Store.Delete(ctx) }
func (d clientDevice) OnEvent(handler func(evt any) bool) {
	d.AddEventHandlerWithSuccessStatus(handler)
}
func (d clientDevice) OnRetry(lookup func(requester, to types.JID, id types.MessageID) *waE2E.Message) {
	d.GetMessageForRetry = lookup
}
func (d clientDevice) PairQR(ctx context.Context, ui PairUI) (bool, error) {
	return d.Client.PairQR(ctx, ui)
}

// OtherDevices names the store's other devices ("+573001234567 · 14").
func (d clientDevice) OtherDevices() []string { return describeDevices(d.Others) }

func describeDevices(jids []types.JID) []string {
	var out []string
	for _, j := range jids {
		out = append(out, fmt.Sprintf("+%s · %d", j.User, j.Device))
	}
	return out
}

// digits keeps the digits of a phone number as typed ("+57 300 123-4567").
func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// NormalizeNumber turns the agency's number as an operator types it into
// WhatsApp's digits; "" stays "".
func NormalizeNumber(s string) (string, error) {
	d := digits(s)
	if s == "" {
		return "", nil
	}
	if len(d) < 8 || strings.HasPrefix(d, "0") {
		return "", fmt.Errorf("%q is not a number with its country code (e.g. +57 300 123 4567)", s)
	}
	return d, nil
}
