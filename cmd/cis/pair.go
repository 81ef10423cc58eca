package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/store"
)

// errServerRunning: cis pair on a store a server holds. Pairing here would
// link a second device the running server never sees (it keeps its own,
// unpaired one): the server's dashboard pairs instead.
var errServerRunning = errors.New("a cis server is running on this store: pair from its dashboard (Vinculación WhatsApp, /admin/pairing, as an admin), or stop the server and run cis pair again")

// errPairLeaseLost: another process took the number's linked device while
// cis pair was pairing it (a server started and the lease could not be renewed).
var errPairLeaseLost = errors.New("pairing stopped: this number's linked device could no longer be held for cis pair (another server of the cluster may have taken it); pair from that server's dashboard")

// pairCmd links the agency's WhatsApp as a device of this program: it shows
// the QR in the terminal, redrawn each time WhatsApp rotates it, or with
// --phone prints a code to type in the phone instead. On SQLite it takes
// the store's lock like serve, so that only one process ever pairs or runs
// a device; on PostgreSQL, where several servers share the database, it
// takes the number's linked-device lease instead (the one serve connects
// the device under), and refuses while a server holds it.
func pairCmd(ctx context.Context, e env, args []string) error {
	fs, c := newFlagSet("pair", e.getenv)
	phone := fs.String("phone", "", "pair by code instead of QR: the agency's number with country code, e.g. 573001234567")
	wait := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	var leaseTTL time.Duration
	c.dur(fs, e.getenv, &leaseTTL, "lease-ttl", "CIS_LEASE_TTL", bot.DefaultLeaseTTL, "PostgreSQL: how long a server waits for the linked device after cis pair was killed")
	fs.SetOutput(e.stderr)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if err := bot.SetWhatsAppVersion(c.WhatsAppVersion); err != nil {
		return fmt.Errorf("--whatsapp-version (CIS_WHATSAPP_VERSION): %w", err)
	}
	unlock, err := pairLock(c)
	if err != nil {
		return err
	}
	defer unlock()
	log := newLogger(c, e.stderr)
	st, err := store.Open(ctx, c.DBPath, c.storeOptions(log)) // the app's tables first: one file, our migrations
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	number, declared, err := pairingNumber(ctx, st, c.whatsAppNumber())
	if err != nil {
		return err
	}
	p := pairing{e: e, c: c, st: st, number: number, declared: declared, phone: *phone, wait: *wait}
	if !store.IsPostgres(c.DBPath) {
		return p.run(ctx) // under the file lock: no server runs
	}
	return p.leased(ctx, leaseTTL)
}

// pairLock takes the file lock of a SQLite store (what serve holds);
// PostgreSQL has none: the number's lease decides (pairing.leased).
func pairLock(c *Config) (unlock func(), err error) {
	if store.IsPostgres(c.DBPath) {
		return func() {}, nil
	}
	lock, err := store.Lock(c.DBPath)
	if errors.Is(err, store.ErrInUse) {
		return nil, fmt.Errorf("%w (%w)", errServerRunning, err)
	}
	if err != nil {
		return nil, err
	}
	return func() { _ = lock.Unlock() }, nil
}

// pairingNumber is the number cis pair pairs: with linked-device numbers
// declared, the one of --whatsapp-number, which must be one of them (only
// its phone may scan the code; declared true); otherwise the single
// device's, as --whatsapp-number gives it ("" for any phone).
func pairingNumber(ctx context.Context, st *store.Store, number string) (string, bool, error) {
	numbers, err := linkedNumbers(ctx, st)
	if err != nil {
		return "", false, err
	}
	if len(numbers) == 0 {
		return number, false, nil
	}
	if !slices.Contains(numbers, number) {
		return "", false, fmt.Errorf("several linked-device numbers are declared (+%s): give the one to pair with --whatsapp-number", strings.Join(numbers, ", +"))
	}
	return number, true, nil
}

// pairing is one run of cis pair.
type pairing struct {
	e        env
	c        *Config
	st       *store.Store
	number   string
	declared bool
	phone    string
	wait     time.Duration
}

// leaseName is the lease serve connects this device under
// (serve_devices.go for declared numbers, linkedDevice for the single one).
func (p pairing) leaseName() string {
	if p.declared {
		return bot.LinkedDeviceLease(p.number)
	}
	return bot.LinkedDeviceLease(cmp.Or(p.number, "default"))
}

// leased pairs while holding the number's lease, so that no server of the
// cluster connects (or pairs) the same device meanwhile; it refuses,
// naming the holder, while a server holds it. The single device (no number
// declared) is refused while any server holds a linked device, whatever
// number that server was started with.
func (p pairing) leased(ctx context.Context, ttl time.Duration) error {
	l := &bot.Lease{Store: p.st, Name: p.leaseName(), TTL: ttl, Log: newLogger(p.c, p.e.stderr)}
	if !p.declared {
		held, err := otherDeviceHolder(ctx, p.st)
		if err != nil {
			return err
		}
		if held != nil {
			return refusal(held)
		}
	}
	err := l.TryRun(ctx, func(ctx context.Context, _ store.Fence) error { return p.run(ctx) })
	var held *bot.HeldError
	if errors.As(err, &held) {
		return refusal(held)
	}
	if errors.Is(err, bot.ErrLeaseLost) {
		return errPairLeaseLost
	}
	return err
}

// refusal is errServerRunning naming the device and the server holding it.
func refusal(held *bot.HeldError) error {
	return fmt.Errorf("%w (%s is held by server %s)", errServerRunning, held.Name, held.Holder)
}

// otherDeviceHolder is a linked-device lease another process holds
// unexpired, nil when there is none.
func otherDeviceHolder(ctx context.Context, st *store.Store) (*bot.HeldError, error) {
	ls, err := st.Leases(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	for _, l := range ls {
		if strings.HasPrefix(l.Name, bot.LinkedDeviceLease("")) && l.Owner != st.Owner() && l.Expires.After(now) {
			return &bot.HeldError{Name: l.Name, Holder: l.Owner}, nil
		}
	}
	return nil, nil
}

// run opens the device of p.number and pairs it, or reports the stored
// devices when it is paired already.
func (p pairing) run(ctx context.Context) error {
	log := newLogger(p.c, p.e.stderr)
	db, err := store.DeviceDB(p.c.DBPath, p.c.storeOptions(log))
	if err != nil {
		return err
	}
	defer db.Close()
	cli, err := openDevice(ctx, db, p.number, p.declared, log) // serve_devices.go
	if err != nil {
		return err
	}
	bot.ReportOthers(p.e.stdout, cli.Others)
	if cli.Store.ID != nil {
		fmt.Fprintf(p.e.stdout, "Already paired as +%s. To pair another phone, unlink this device in WhatsApp first.\n", cli.Store.ID.User)
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, p.wait)
	defer cancel()
	return bot.PairTerminal(ctx, cli, p.phone, p.e.stdin, p.e.stdout)
}
