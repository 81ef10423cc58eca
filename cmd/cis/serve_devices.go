package main

import (
	"context"
	"database/sql"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/store"
)

// Several linked devices in one installation (issue 16): with linked-device
// numbers declared (--numbers or the numbers page, channel whatsapp),
// serve runs one device per declared number on the shared device store,
// each with its own lease ("linked-device:<digits>"), so that on several
// servers the devices spread over the processes and a stopped process's
// devices are taken over. With none declared, the single device of
// --whatsapp runs as before. A number declared while serving gets its
// device within a third of the lease time (deviceSet.run), also when the
// single device ran until then (singleUntilDeclared).

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

// linkedDevices wires one whatsmeow client and channel per number on db
// (deviceSet.device), and runs them with the numbers declared later
// (deviceSet.run).
func linkedDevices(a *app, c *Config, db *sql.DB, wc bot.WhatsAppConfig, numbers []string, log *slog.Logger) ([]func(context.Context) error, error) {
	d, initial, err := startDevices(a, c, db, wc, numbers, log)
	if err != nil {
		_ = db.Close() // the start-up error is the one to report
		return nil, err
	}
	return []func(context.Context) error{func(ctx context.Context) error {
		defer db.Close()
		return d.run(ctx, initial)
	}}, nil
}

// startDevices wires the devices of numbers (at least one); the first is
// the pairing page's default.
func startDevices(a *app, c *Config, db *sql.DB, wc bot.WhatsAppConfig, numbers []string, log *slog.Logger) (*deviceSet, [][]func(context.Context) error, error) {
	d := &deviceSet{a: a, c: c, db: db, wc: wc, log: log, spread: bot.NewSpread(a.store, a.cluster.ttl, log.With("component", "cluster")),
		every: a.cluster.ttl / 3}
	var initial [][]func(context.Context) error
	for i, number := range numbers {
		wa, parts, err := d.device(number)
		if err != nil {
			return nil, nil, err
		}
		if i == 0 {
			a.pairing.setCurrent(wa) // the pairing page's default
			sweeps, err := newAdvisorNotifier(a, c, wa, bot.NotifierConfig{}, log)
			if err != nil {
				return nil, nil, err
			}
			if sweeps != nil { // the advisors' deadlines: once per cluster, apart from the devices
				initial = append(initial, []func(context.Context) error{a.cluster.job("advisor-deadlines",
					func(ctx context.Context) error { return sweeps.RunSweeps(ctx, 30*time.Second) })})
			}
		}
		initial = append(initial, parts)
	}
	log.Info("linked devices", "numbers", len(numbers))
	return d, initial, nil
}

// singleUntilDeclared runs the single device (no number declared at
// start: parts) until ctx ends, or until a linked-device number is
// declared while serving (on this server's numbers page or another's):
// then the single device stops, releasing its lease, and every declared
// number's device runs instead (startDevices), without a restart. The
// phone the single device was paired with keeps its session when its
// number is one of them (OpenClientFor picks the device by number).
func singleUntilDeclared(ctx context.Context, a *app, c *Config, db *sql.DB, wc bot.WhatsAppConfig, parts []func(context.Context) error,
	lease *bot.Lease, log *slog.Logger) error {
	defer db.Close()
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- runAll(sctx, parts...) }()
	for {
		select {
		case err := <-done:
			return err
		case <-time.After(a.cluster.ttl / 3):
		}
		numbers, err := linkedNumbers(ctx, a.store)
		if err != nil || len(numbers) == 0 {
			continue // read again at the next round
		}
		log.Info("linked-device numbers declared while serving: the single device stops, each number's device runs", "numbers", len(numbers))
		stop()
		if err := <-done; err != nil {
			return err
		}
		a.cluster.drop(lease)
		d, initial, err := startDevices(a, c, db, wc, numbers, log)
		if err != nil {
			return err
		}
		return d.run(ctx, initial)
	}
}

// deviceSet runs the linked devices of the declared numbers, one each.
type deviceSet struct {
	a      *app
	c      *Config
	db     *sql.DB
	wc     bot.WhatsAppConfig
	log    *slog.Logger
	spread *bot.Spread
	every  time.Duration // how often the declared numbers are read again
}

// device wires number's device: it opens only its number's device
// (bot.OpenClientFor: never another number's, and only its number's phone
// may pair it), connects only while this process holds its number's
// lease, and sends only its number's replies, and the advisors'
// notifications routed through it (store.PendingNotificationsVia: the
// notifications of its number's leads, or of its number's advisors).
func (d *deviceSet) device(number string) (*bot.WhatsApp, []func(context.Context) error, error) {
	cfg := d.wc
	cfg.Number = number
	dlog := d.log.With("component", "whatsapp", "device", "+"+number) // the agency's own number, not a person's
	wa, err := bot.NewWhatsApp(d.a.bot, d.a.store, cfg, dlog)
	if err != nil {
		return nil, nil, err
	}
	also, err := advisorNotifier(d.a, d.c, wa, bot.NotifierConfig{Via: number, NoSweep: true}, dlog) // the sweep is a job (startDevices)
	if err != nil {
		return nil, nil, err
	}
	d.a.pairing.addDevice(number, wa)
	open := func(ctx context.Context) (bot.Device, error) {
		cli, err := bot.OpenClientFor(ctx, d.db, number, dlog.With("component", "whatsmeow"))
		if err != nil {
			return nil, err
		}
		if cli.Store.ID == nil {
			dlog.Warn("linked device of a declared number not paired: pair it on the pairing page (or cis pair --whatsapp-number)")
		}
		return bot.NewDevice(cli), nil
	}
	lease := d.a.cluster.lease(bot.LinkedDeviceLease(number))
	lease.Defer = d.spread.Defer // several servers spread the devices
	mine := slices.Concat(also, []func(context.Context) error{d.spread.Watch(lease.Name)})
	return wa, []func(context.Context) error{wa.Run, func(ctx context.Context) error { return wa.LinkLeased(ctx, lease, open, mine...) }}, nil
}

// run runs the devices' parts, and reads the declared numbers again every
// d.every: a number declared while serving, on this server's numbers page
// or another server's, gets its device (and its lease) without a restart.
// It returns when ctx ends or a device fails, with the first error.
func (d *deviceSet) run(ctx context.Context, initial [][]func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	start := func(parts []func(context.Context) error) {
		wg.Go(func() {
			if err := runAll(ctx, parts...); err != nil {
				once.Do(func() { first = err })
			}
			cancel()
		})
	}
	for _, p := range initial {
		start(p)
	}
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return first
		case <-time.After(d.every):
		}
		if err := d.added(ctx, start); err != nil && ctx.Err() == nil {
			d.log.Warn("declared numbers not read; tried again", "err", err)
		}
	}
}

// added starts the device of every linked-device number declared since
// the devices started.
func (d *deviceSet) added(ctx context.Context, start func([]func(context.Context) error)) error {
	numbers, err := linkedNumbers(ctx, d.a.store)
	if err != nil {
		return err
	}
	for _, number := range numbers {
		if d.a.pairing.device(number) != nil {
			continue
		}
		_, parts, err := d.device(number)
		if err != nil {
			return err
		}
		d.log.Info("linked device of a number declared while serving", "device", "+"+number)
		start(parts)
	}
	return nil
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
	if devices := a.pairing.deviceList(); len(devices) > 0 {
		numbers := slices.Sorted(maps.Keys(devices))
		out := make([]namedDevice, 0, len(numbers))
		for _, n := range numbers {
			out = append(out, namedDevice{name: "whatsapp +" + n, wa: devices[n]})
		}
		return out
	}
	if a.whatsapp != nil {
		return []namedDevice{{name: "whatsapp", wa: a.whatsapp}}
	}
	return nil
}
