package bot

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/cis-agencia/cis/store"
)

// fakePairClient hands out a QR channel fed with the items a test lists,
// as whatsmeow's qrChannel would emit them, and counts disconnects.
type fakePairClient struct {
	items       []whatsmeow.QRChannelItem
	keepOpen    bool // the channel stays open after the items (whatsmeow does after passkey items)
	connectErr  error
	code        string // the phone code pairPhone returns
	codeErr     error
	mu          sync.Mutex
	disconnects int
	qr          chan whatsmeow.QRChannelItem
}

func (f *fakePairClient) GetQRChannel(context.Context) (<-chan whatsmeow.QRChannelItem, error) {
	f.qr = make(chan whatsmeow.QRChannelItem, len(f.items))
	for _, it := range f.items {
		f.qr <- it
	}
	if !f.keepOpen {
		close(f.qr)
	}
	return f.qr, nil
}

func (f *fakePairClient) ConnectContext(context.Context) error { return f.connectErr }
func (f *fakePairClient) Disconnect() {
	f.mu.Lock()
	f.disconnects++
	f.mu.Unlock()
}
func (f *fakePairClient) pairPhone(context.Context, string) (string, error) { return f.code, f.codeErr }

func (f *fakePairClient) disconnected() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.disconnects
}

func codeItem(c string) whatsmeow.QRChannelItem {
	return whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: c, Timeout: 20 * time.Second}
}

var passkeyRequest = whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventPasskeyRequest,
	PasskeyRequest: &events.PairPasskeyRequest{PublicKey: &types.WebAuthnPublicKey{
		Challenge: []byte{1, 2, 3}, RelyingPartID: "whatsapp.com", Timeout: 60000, UserVerification: "required"}}}

// TestEveryPairingEndDisconnects feeds the pairing each item of whatsmeow's
// QR channel that ends it: all but success leave the socket closed (so the
// next GetQRChannel works at once) and say why.
func TestEveryPairingEndDisconnects(t *testing.T) {
	pairErr := whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventError, Error: whatsmeow.ErrPairInvalidDeviceSignature}
	passkeyErr := whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventError, Error: errors.New("failed to parse passkey notification")}
	tests := []struct {
		name     string
		items    []whatsmeow.QRChannelItem
		keepOpen bool
		want     error // nil: paired
	}{
		{"success", []whatsmeow.QRChannelItem{codeItem("2@a"), whatsmeow.QRChannelSuccess}, false, nil},
		{"codes ran out", []whatsmeow.QRChannelItem{codeItem("2@a"), codeItem("2@b"), whatsmeow.QRChannelTimeout}, false, ErrPairTimeout},
		{"client outdated", []whatsmeow.QRChannelItem{whatsmeow.QRChannelClientOutdated}, false, ErrClientOutdated},
		{"unexpected state", []whatsmeow.QRChannelItem{codeItem("2@a"), whatsmeow.QRChannelErrUnexpectedEvent}, false, ErrPairUnexpected},
		{"pair error", []whatsmeow.QRChannelItem{codeItem("2@a"), pairErr}, false, whatsmeow.ErrPairInvalidDeviceSignature},
		{"passkey error, channel left open", []whatsmeow.QRChannelItem{codeItem("2@a"), passkeyRequest, passkeyErr}, true, ErrPasskey},
		{"passkey never answered", []whatsmeow.QRChannelItem{passkeyRequest, codeItem("2@b"), whatsmeow.QRChannelTimeout}, false, ErrPasskey},
		{"closed without a result", []whatsmeow.QRChannelItem{codeItem("2@a")}, false, errPairClosed},
		{"unknown event", []whatsmeow.QRChannelItem{{Event: "err-something-new"}}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cli := &fakePairClient{items: tt.items, keepOpen: tt.keepOpen}
			done, err := pairQR(context.Background(), cli, PairUI{}, nil)
			if tt.name == "unknown event" {
				if done || err == nil || !strings.Contains(err.Error(), "err-something-new") {
					t.Errorf("= %v, %v; want the unknown event named", done, err)
				}
			} else if done != (tt.want == nil) || !errors.Is(err, tt.want) {
				t.Errorf("= %v, %v; want %v", done, err, tt.want)
			}
			if want := map[bool]int{true: 0, false: 1}[done]; cli.disconnected() != want {
				t.Errorf("%d disconnects; want %d", cli.disconnected(), want)
			}
		})
	}
	// A context that ends while codes are shown also closes the socket.
	ctx, cancel := context.WithCancel(context.Background())
	cli := &fakePairClient{items: []whatsmeow.QRChannelItem{codeItem("2@a")}, keepOpen: true}
	cancel()
	if done, err := pairQR(ctx, cli, PairUI{}, nil); done || !errors.Is(err, context.Canceled) || cli.disconnected() != 1 {
		t.Errorf("cancelled: %v, %v, %d disconnects", done, err, cli.disconnected())
	}
}

// TestPairingPasskeyItems: after the phone scans, WhatsApp asks for the
// passkey; codes that keep coming are not shown over the prompt; the
// confirmation code is handed on; a phone without multi-device is a notice
// and the pairing goes on.
func TestPairingPasskeyItems(t *testing.T) {
	var got []string
	ui := PairUI{
		Code:    func(c string, _ time.Duration) { got = append(got, "code "+c) },
		Passkey: func(r *events.PairPasskeyRequest) { got = append(got, "passkey "+r.PublicKey.RelyingPartID) },
		Confirm: func(c string) { got = append(got, "confirm "+c) },
		Notice:  func(p string) { got = append(got, "notice "+p) },
	}
	cli := &fakePairClient{items: []whatsmeow.QRChannelItem{
		codeItem("2@a"), whatsmeow.QRChannelScannedWithoutMultidevice, codeItem("2@b"), passkeyRequest, codeItem("2@c"),
		{Event: whatsmeow.QRChannelEventPasskeyResponse, PasskeyConfirmation: &events.PairPasskeyConfirmation{Code: "ABCD-EFGH"}},
		whatsmeow.QRChannelSuccess,
	}}
	done, err := pairQR(context.Background(), cli, ui, nil)
	if !done || err != nil || cli.disconnected() != 0 {
		t.Fatalf("= %v, %v with %d disconnects; want paired and connected", done, err, cli.disconnected())
	}
	want := []string{"code 2@a", "notice " + NoticeNoMultiDevice, "code 2@b", "passkey whatsapp.com", "confirm ABCD-EFGH"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("shown %q; want %q", got, want)
	}
}

// TestPairPhoneSaysWhatWentWrong: pairing by code reports what failed
// instead of waiting out the timeout, and closes the socket.
func TestPairPhoneSaysWhatWentWrong(t *testing.T) {
	tests := []struct {
		name  string
		cli   *fakePairClient
		want  string
		paird bool
	}{
		{"number without country code", &fakePairClient{items: []whatsmeow.QRChannelItem{codeItem("2@a")}, keepOpen: true,
			codeErr: whatsmeow.ErrPhoneNumberIsNotInternational}, "country code", false},
		{"rate limited", &fakePairClient{items: []whatsmeow.QRChannelItem{codeItem("2@a")}, keepOpen: true,
			codeErr: whatsmeow.ErrIQRateOverLimit}, "too many requests", false},
		{"outdated before any code", &fakePairClient{items: []whatsmeow.QRChannelItem{whatsmeow.QRChannelClientOutdated}}, "outdated", false},
		{"code not entered in time", &fakePairClient{items: []whatsmeow.QRChannelItem{codeItem("2@a"), codeItem("2@b"), whatsmeow.QRChannelTimeout},
			code: "ABCD-1234"}, "no code was scanned", false},
		{"channel closed after the code", &fakePairClient{items: []whatsmeow.QRChannelItem{codeItem("2@a")}, code: "ABCD-1234"}, "without a result", false},
		{"paired", &fakePairClient{items: []whatsmeow.QRChannelItem{codeItem("2@a"), codeItem("2@b"), whatsmeow.QRChannelSuccess},
			code: "ABCD-1234"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var shown string
			var codes int
			ui := PairUI{Code: func(string, time.Duration) { codes++ }}
			done, err := pairPhone(context.Background(), tt.cli, "573009990000", func(c string) { shown = c }, ui, func(e error) error { return e })
			if done != tt.paird || (tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want))) || (tt.want == "" && err != nil) {
				t.Fatalf("= %v, %v; want paired %v, error with %q", done, err, tt.paird, tt.want)
			}
			if want := map[bool]int{true: 0, false: 1}[done]; tt.cli.disconnected() != want {
				t.Errorf("%d disconnects; want %d", tt.cli.disconnected(), want)
			}
			if tt.cli.code != "" && shown != tt.cli.code {
				t.Errorf("code shown %q; want %q", shown, tt.cli.code)
			}
			if codes != 0 {
				t.Errorf("%d QR codes shown while pairing by phone code", codes)
			}
		})
	}
}

// deviceDB is whatsmeow's handle on a fresh app store file.
func deviceDB(t *testing.T) *sql.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cis.db")
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	db, err := store.DeviceDB(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// savePairedDevice stores a device as a pairing would, without a network.
func savePairedDevice(t *testing.T, cli *Client, user string, device uint16) {
	t.Helper()
	d := cli.Store.Container.(*sqlstore.Container).NewDevice()
	jid := types.JID{User: user, Server: types.DefaultUserServer, Device: device}
	d.ID = &jid
	d.Account = &waAdv.ADVSignedDeviceIdentity{Details: []byte{1}, AccountSignature: make([]byte, 64),
		AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64)}
	if err := d.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestDeviceChoiceIsDeterministic: a store holding two linked devices (cis
// pair and a dashboard scan at once) loads the same one on every start, the
// agency's number first, and reports the other.
func TestDeviceChoiceIsDeterministic(t *testing.T) {
	db := deviceDB(t)
	log := slog.New(slog.DiscardHandler)
	cli, err := OpenClient(context.Background(), db, "", log)
	if err != nil {
		t.Fatal(err)
	}
	if cli.Account() != "" || len(cli.Others) != 0 {
		t.Fatalf("an empty store opened +%s with others %v", cli.Account(), cli.Others)
	}
	savePairedDevice(t, cli, agencyNumber, 14)
	savePairedDevice(t, cli, agencyNumber, 9)
	savePairedDevice(t, cli, "573001112222", 3)
	for range 5 {
		cli, err := OpenClient(context.Background(), db, "", log)
		if err != nil {
			t.Fatal(err)
		}
		if cli.Store.ID.String() != "573001112222:3@s.whatsapp.net" || len(cli.Others) != 2 {
			t.Errorf("opened %s with others %v; want the lowest number and device, two others", cli.Store.ID, cli.Others)
		}
		cli, err = OpenClient(context.Background(), db, agencyNumber, log)
		if err != nil {
			t.Fatal(err)
		}
		if cli.Store.ID.String() != agencyNumber+":9@s.whatsapp.net" {
			t.Errorf("with the agency's number: opened %s", cli.Store.ID)
		}
		if got := NewDevice(cli).OtherDevices(); strings.Join(got, "|") != "+"+agencyNumber+" · 14|+573001112222 · 3" {
			t.Errorf("others reported %q", got)
		}
	}
	// ChooseDevice itself does not depend on the order the rows come in.
	all, err := cli.Store.Container.(*sqlstore.Container).GetAllDevices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		if d, _ := ChooseDevice(all, ""); d.ID.Device != 3 {
			t.Errorf("shuffled: chose %s", d.ID)
		}
	}
}

// TestOnlyTheAgencyNumberMayPair: with --whatsapp-number set, whatsmeow's
// PrePairCallback refuses any other account that scans, and the pairing
// error names both numbers.
func TestOnlyTheAgencyNumberMayPair(t *testing.T) {
	db := deviceDB(t)
	for _, tt := range []struct {
		number, scanned string
		ok              bool
	}{{agencyNumber, agencyNumber, true}, {agencyNumber, prospectPN, false}, {"", prospectPN, true}} {
		cli, err := OpenClient(context.Background(), db, tt.number, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if !cli.DisableLoginAutoReconnect || cli.PrePairCallback == nil {
			t.Fatal("client reconnects by itself after pairing, or has no pairing check")
		}
		jid := types.JID{User: tt.scanned, Server: types.DefaultUserServer, Device: 0}
		if got := cli.PrePairCallback(jid, "android", ""); got != tt.ok {
			t.Errorf("number %q, scanned by %s: allowed %v; want %v", tt.number, tt.scanned, got, tt.ok)
		}
		err = cli.explain(whatsmeow.ErrPairRejectedLocally)
		var wrong *WrongNumberError
		if !tt.ok && (!errors.As(err, &wrong) || wrong.Scanned != prospectPN || !strings.Contains(err.Error(), "+"+agencyNumber)) {
			t.Errorf("refused pairing explained as %v", err)
		}
		if tt.ok && !errors.Is(err, whatsmeow.ErrPairRejectedLocally) {
			t.Errorf("explain changed an unrelated error: %v", err)
		}
	}
	if _, err := NormalizeNumber("+57 300 999-0000"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"0300 999 0000", "1234"} {
		if _, err := NormalizeNumber(bad); err == nil {
			t.Errorf("NormalizeNumber(%q) accepted", bad)
		}
	}
}
