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

// FairShare is a Lease.Defer for the linked devices' leases: a process
// leaves a free device one round (a sixth of the lease time) when another
// live server (its process lease unexpired) holds fewer devices than it
// does, so that the devices spread over the servers instead of all going
// to the first to start. It never defers twice in a row, so a device is
// never left unowned for long: after a kill the survivors take the dead
// server's devices within the lease time and one round.
func FairShare(st deviceLeases) func(ctx context.Context) bool {
	return func(ctx context.Context) bool {
		ls, err := st.Leases(ctx)
		if err != nil {
			return false // take it as without the rule: an owner matters more than a spread
		}
		now := time.Now()
		devices := map[string]int{} // live owner → devices held
		for _, l := range ls {
			if !l.Expires.After(now) {
				continue
			}
			switch {
			case strings.HasPrefix(l.Name, "process:"):
				devices[strings.TrimPrefix(l.Name, "process:")] += 0
			case strings.HasPrefix(l.Name, LinkedDeviceLease("")):
				devices[l.Owner]++
			}
		}
		me := devices[st.Owner()]
		for owner, n := range devices {
			if owner != st.Owner() && n < me {
				return true
			}
		}
		return false
	}
}
