package bot

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	wastore "go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"

	"github.com/cis-agencia/cis/store"
)

// Several linked devices in one installation (issue 16): each declared
// linked-device number (channel whatsapp) is a device of its own in the
// shared device store (whatsmeow's sqlstore container holds several, each
// known by its JID, whose user is the number's digits) and a WhatsApp
// channel of its own (WhatsAppConfig.Number), connected only while this
// process holds the number's lease (LinkLeased with LinkedDeviceLease of
// the number). A device receives the messages written to its number, so
// their conversations are that number's account, answered as its brand
// (numbers.go); and it sends only that account's replies, fenced by its
// own lease: a reply leaves through the number the prospect wrote to, and
// on several servers each process claims only the rows of the numbers it
// owns.

// accountOutbox is implemented by a store that lists one account's
// pending replies (*store.Store).
type accountOutbox interface {
	PendingOutboxFor(ctx context.Context, channel, account string, limit int) ([]store.Outgoing, error)
}

var _ accountOutbox = (*store.Store)(nil)

// errNoAccountOutbox: a channel of one number on a store that cannot list
// one number's replies would send the other numbers' replies through it.
var errNoAccountOutbox = errors.New("whatsapp: this store cannot list one number's replies")

// pending lists the replies this channel sends: its number's when it is
// one of several devices, the whole channel's otherwise.
func (w *WhatsApp) pending(ctx context.Context) ([]store.Outgoing, error) {
	if w.cfg.Number == "" {
		return w.store.PendingOutbox(ctx, WhatsAppChannel, 50)
	}
	s, ok := w.store.(accountOutbox)
	if !ok {
		return nil, errNoAccountOutbox
	}
	return s.PendingOutboxFor(ctx, WhatsAppChannel, w.cfg.Number, 50)
}

// OpenClientFor is OpenClient for one of several declared linked-device
// numbers sharing the device store: the device whose JID is number's (a
// new, unpaired one when there is none: never another number's device),
// and only number's phone may pair it: a phone of another account that
// scans its code is refused with a *WrongNumberError naming both numbers.
func OpenClientFor(ctx context.Context, db *sql.DB, number string, log *slog.Logger) (*Client, error) {
	if number == "" {
		return nil, errors.New("whatsapp: a linked-device number is required")
	}
	return openClient(ctx, db, number, ChooseDeviceFor, log)
}

// ChooseDeviceFor picks number's device from the ones the store holds
// (the lowest device id when the phone linked it more than once; the
// others are returned to be removed on the phone), nil when none is.
// Devices of other numbers are theirs: neither chosen nor reported.
func ChooseDeviceFor(devices []*wastore.Device, number string) (chosen *wastore.Device, others []types.JID) {
	mine := slices.DeleteFunc(slices.Clone(devices), func(d *wastore.Device) bool {
		return d == nil || d.ID == nil || d.ID.User != number
	})
	if len(mine) == 0 {
		return nil, nil
	}
	slices.SortFunc(mine, func(a, b *wastore.Device) int { return cmp.Compare(a.ID.Device, b.ID.Device) })
	for _, d := range mine[1:] {
		others = append(others, *d.ID)
	}
	return mine[0], others
}

// deviceLeases is the part of *store.Store the devices' fair share reads.
type deviceLeases interface {
	Owner() string
	Leases(ctx context.Context) ([]store.Lease, error)
}

var _ deviceLeases = (*store.Store)(nil)

// Spread spreads the linked devices over the servers of a cluster. Defer
// (a Lease.Defer) leaves a free device's lease a round (a sixth of the lease
// time; at most two in a row, so a device is never left unowned for long)
// while another live server (its process lease unexpired) holds fewer
// devices than this one; Watch (run beside a device's connection) hands
// the device back when this server holds two or more devices more than
// another live server, so that a server started later, or restarted after a
// kill, gets its share: only the last of this server's devices by name is
// handed back at a time, and the one with fewer takes it at its next round.
type Spread struct {
	st    deviceLeases
	every time.Duration
	log   *slog.Logger
}

// NewSpread makes the spread of the devices' leases (ttl: their lease time).
func NewSpread(st deviceLeases, ttl time.Duration, log *slog.Logger) *Spread {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Spread{st: st, every: ttl / 3, log: log}
}

// shares reads the live servers' device counts and this server's devices.
func (s *Spread) shares(ctx context.Context) (counts map[string]int, mine []string, err error) {
	ls, err := s.st.Leases(ctx)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	counts = map[string]int{}
	for _, l := range ls {
		if l.Expires.After(now) && strings.HasPrefix(l.Name, "process:") {
			counts[strings.TrimPrefix(l.Name, "process:")] += 0
		}
	}
	for _, l := range ls {
		if !l.Expires.After(now) || !strings.HasPrefix(l.Name, LinkedDeviceLease("")) {
			continue
		}
		if _, server := counts[l.Owner]; !server && l.Owner != s.st.Owner() {
			continue // cis pair holding a device while it pairs: no server to share with
		}
		counts[l.Owner]++
		if l.Owner == s.st.Owner() {
			mine = append(mine, l.Name)
		}
	}
	return counts, mine, nil
}

// fewest is the fewest devices another live server holds (-1: none other).
func (s *Spread) fewest(counts map[string]int) int {
	low := -1
	for owner, n := range counts {
		if owner != s.st.Owner() && (low < 0 || n < low) {
			low = n
		}
	}
	return low
}

// Defer implements Lease.Defer.
func (s *Spread) Defer(ctx context.Context) bool {
	counts, _, err := s.shares(ctx)
	if err != nil {
		return false // take it as without the rule: an owner matters more than a spread
	}
	low := s.fewest(counts)
	return low >= 0 && low < counts[s.st.Owner()]
}

// Watch returns a part to run beside device lease name's connection
// (LinkLeased's also): it returns, so that the lease is released, when this
// server should hand that device to a server with fewer.
func (s *Spread) Watch(name string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		for sleepCtx(ctx, s.every) == nil {
			counts, mine, err := s.shares(ctx)
			if err != nil || len(mine) == 0 {
				continue
			}
			low := s.fewest(counts)
			if low >= 0 && len(mine)-low >= 2 && slices.Max(mine) == name {
				s.log.Info("linked device handed to a server with fewer devices", "lease", name)
				return nil
			}
		}
		return nil
	}
}
