package main

import (
	"context"
	"database/sql"
	"log/slog"
	"maps"
	"slices"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/store"
)

// Several linked devices in one installation (issue 16): with linked-device
// numbers declared (--numbers or the numbers page, channel whatsapp),
// serve runs one device per declared number on the shared device store,
// each with its own lease ("linked-device:<digits>"), so that on several
// servers the devices spread over the processes and a stopped process's
// devices are taken over. With none declared, the single device of
// --whatsapp runs as before. Numbers declared while serving are run from
// the next start.

// linkedNumbers are the declared linked-device numbers (digits), in the
// store's order.
func linkedNumbers(ctx context.Context, st *store.Store) ([]string, error) {
	ns, err := st.Numbers(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range ns {
		if n.Declared && n.Channel == bot.WhatsAppChannel {
			out = append(out, n.Address)
		}
	}
	return out, nil
}

// linkedDevices wires one whatsmeow client and channel per number on db:
// each opens only its number's device (bot.OpenClientFor: never another
// number's, and only its number's phone may pair it), connects only while
// this process holds its number's lease, and sends only its number's
// replies. The advisors' notifier sends through the first number's device.
func linkedDevices(a *app, c *Config, db *sql.DB, wc bot.WhatsAppConfig, numbers []string, log *slog.Logger) ([]func(context.Context) error, error) {
	a.pairing.devices = map[string]*bot.WhatsApp{}
	spread := bot.NewSpread(a.store, a.cluster.ttl, log.With("component", "cluster"))
	var parts []func(context.Context) error
	for i, number := range numbers {
		cfg := wc
		cfg.Number = number
		dlog := log.With("component", "whatsapp", "device", "+"+number) // the agency's own number, not a person's
		wa, err := bot.NewWhatsApp(a.bot, a.store, cfg, dlog)
		if err != nil {
			_ = db.Close() // the start-up error is the one to report
			return nil, err
		}
		var also []func(context.Context) error
		if i == 0 {
			a.whatsapp, a.pairing.wa = wa, wa // readiness and the pairing page's default
			if also, err = advisorNotifier(a, c, wa, log); err != nil {
				_ = db.Close()
				return nil, err
			}
		}
		a.pairing.devices[number] = wa
		open := func(ctx context.Context) (bot.Device, error) {
			cli, err := bot.OpenClientFor(ctx, db, number, dlog.With("component", "whatsmeow"))
			if err != nil {
				return nil, err
			}
			if cli.Store.ID == nil {
				dlog.Warn("linked device of a declared number not paired: pair it on the pairing page (or cis pair --whatsapp-number)")
			}
			return bot.NewDevice(cli), nil
		}
		lease := a.cluster.lease(bot.LinkedDeviceLease(number))
		lease.Defer = spread.Defer // several servers spread the devices
		mine := slices.Concat(also, []func(context.Context) error{spread.Watch(lease.Name)})
		parts = append(parts, wa.Run, func(ctx context.Context) error { return wa.LinkLeased(ctx, lease, open, mine...) })
	}
	log.Info("linked devices", "numbers", len(numbers))
	return []func(context.Context) error{func(ctx context.Context) error {
		defer db.Close()
		return runAll(ctx, parts...)
	}}, nil
}

// openForPairing opens the device cis pair pairs (pairingNumber, then
// openDevice).
func openForPairing(ctx context.Context, st *store.Store, db *sql.DB, number string, log *slog.Logger) (*bot.Client, error) {
	number, declared, err := pairingNumber(ctx, st, number)
	if err != nil {
		return nil, err
	}
	return openDevice(ctx, db, number, declared, log)
}

// openDevice opens the device cis pair pairs: a declared number's own
// (only its phone may scan the code), or the single device as before.
func openDevice(ctx context.Context, db *sql.DB, number string, declared bool, log *slog.Logger) (*bot.Client, error) {
	if declared {
		return bot.OpenClientFor(ctx, db, number, log.With("component", "whatsmeow"))
	}
	return bot.OpenClient(ctx, db, number, log.With("component", "whatsmeow"))
}

// namedDevice is a linked device as readiness names it.
type namedDevice struct {
	name string
	wa   *bot.WhatsApp
}

// linkedDevices are the linked devices this process runs: one per declared
// number ("whatsapp +573001110000"), or the single one ("whatsapp").
func (a *app) linkedDevices() []namedDevice {
	if a.pairing != nil && len(a.pairing.devices) > 0 {
		numbers := slices.Sorted(maps.Keys(a.pairing.devices))
		out := make([]namedDevice, 0, len(numbers))
		for _, n := range numbers {
			out = append(out, namedDevice{name: "whatsapp +" + n, wa: a.pairing.devices[n]})
		}
		return out
	}
	if a.whatsapp != nil {
		return []namedDevice{{name: "whatsapp", wa: a.whatsapp}}
	}
	return nil
}
