package bot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mau.fi/whatsmeow"
	wastore "go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"google.golang.org/protobuf/proto"
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

// OpenClient opens whatsmeow's device store on db (store.DeviceDB: the same
// file as the app, its own handle), upgrades its tables and returns a client
// for the first device (a new, unpaired one if none). The client
// acknowledges a message only after every handler returned (SynchronousAck)
// and keeps decrypted messages until they are handled, so that a handler
// returning false gets the message again.
func OpenClient(ctx context.Context, db *sql.DB, log *slog.Logger) (*whatsmeow.Client, error) {
	wl := NewWALogger(log)
	container := sqlstore.NewWithDB(db, "sqlite3", wl.Sub("store"))
	if err := container.Upgrade(ctx); err != nil {
		return nil, fmt.Errorf("whatsapp device store: %w", err)
	}
	device, err := container.GetFirstDevice(ctx)
	if err != nil {
		return nil, fmt.Errorf("whatsapp device: %w", err)
	}
	wastore.DeviceProps.Os = proto.String(DeviceName)
	cli := whatsmeow.NewClient(device, wl.Sub("client"))
	cli.SynchronousAck = true
	cli.EnableDecryptedEventBuffer = true
	cli.InitialAutoReconnect = true
	return cli, nil
}

// clientDevice is *whatsmeow.Client as a Device.
type clientDevice struct{ *whatsmeow.Client }

// NewDevice wraps cli for the reconnect loop (WhatsApp.Link).
func NewDevice(cli *whatsmeow.Client) Device { return clientDevice{cli} }

var _ Device = clientDevice{}

func (d clientDevice) Account() string {
	if d.Store.ID == nil {
		return ""
	}
	return d.Store.ID.User
}

func (d clientDevice) LIDs() lidResolver                 { return d.Store.LIDs }
func (d clientDevice) Connect(ctx context.Context) error { return d.ConnectContext(ctx) }
func (d clientDevice) Forget(ctx context.Context) error  { d.Disconnect(); return d.Store.Delete(ctx) }
func (d clientDevice) OnEvent(handler func(evt any) bool) {
	d.AddEventHandlerWithSuccessStatus(handler)
}
func (d clientDevice) PairQR(ctx context.Context, show func(string, time.Duration)) (bool, error) {
	return PairQR(ctx, d.Client, show)
}

// ErrPairTimeout is returned by PairQR when no code was scanned in time.
var ErrPairTimeout = errors.New("no code was scanned in time")

// PairQR connects an unpaired client and calls show for every pairing code
// WhatsApp issues (it rotates them) until the phone scans one (done), the
// codes run out (ErrPairTimeout) or ctx ends.
func PairQR(ctx context.Context, cli *whatsmeow.Client, show func(code string, valid time.Duration)) (done bool, err error) {
	qr, err := cli.GetQRChannel(ctx)
	if err != nil {
		return false, fmt.Errorf("qr channel: %w", err)
	}
	if err := cli.ConnectContext(ctx); err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	for item := range qr { // keep draining: whatsmeow gives up on a full channel
		switch {
		case item.Event == whatsmeow.QRChannelEventCode:
			show(item.Code, item.Timeout)
		case item == whatsmeow.QRChannelSuccess:
			return true, nil
		case item == whatsmeow.QRChannelTimeout:
			return false, ErrPairTimeout
		case item.Event == whatsmeow.QRChannelEventError:
			return false, fmt.Errorf("pairing: %w", item.Error)
		default:
			return false, fmt.Errorf("pairing: %s", item.Event)
		}
	}
	return false, ctx.Err()
}

// PairPhoneCode is the alternative to the QR: it connects, waits for the
// first code event and asks WhatsApp for an 8-character code to type in
// the phone (Linked devices → Link with phone number instead). phone is the
// agency's number with country code. The code then works for the rest of
// the login socket (about 160 s); keep draining the returned channel until
// success or timeout.
func PairPhoneCode(ctx context.Context, cli *whatsmeow.Client, phone string) (string, <-chan whatsmeow.QRChannelItem, error) {
	qr, err := cli.GetQRChannel(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("qr channel: %w", err)
	}
	if err := cli.ConnectContext(ctx); err != nil {
		return "", nil, fmt.Errorf("connect: %w", err)
	}
	first, ok := <-qr
	if !ok || first.Event != whatsmeow.QRChannelEventCode {
		return "", nil, fmt.Errorf("pairing did not start: %s", first.Event)
	}
	code, err := cli.PairPhone(ctx, phone, true, whatsmeow.PairClientChrome, "Chrome (Linux)")
	if err != nil {
		return "", nil, fmt.Errorf("pair by phone: %w", err)
	}
	return code, qr, nil
}
