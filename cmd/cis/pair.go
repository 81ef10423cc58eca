package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/store"
)

// errServerRunning: cis pair on a store a server holds. Pairing here would
// link a second device the running server never sees (it keeps its own,
// unpaired one): the server's dashboard pairs instead.
var errServerRunning = errors.New("a cis server is running on this store: pair from its dashboard (Vinculación WhatsApp, /admin/pairing, as an admin), or stop the server and run cis pair again")

// pairCmd links the agency's WhatsApp as a device of this program: it shows
// the QR in the terminal, redrawn each time WhatsApp rotates it, or with
// --phone prints a code to type in the phone instead. It takes the store's
// lock like serve, so that only one process ever pairs or runs a device.
func pairCmd(ctx context.Context, e env, args []string) error {
	fs, c := newFlagSet("pair", e.getenv)
	phone := fs.String("phone", "", "pair by code instead of QR: the agency's number with country code, e.g. 573001234567")
	wait := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	fs.SetOutput(e.stderr)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if err := bot.SetWhatsAppVersion(c.WhatsAppVersion); err != nil {
		return fmt.Errorf("--whatsapp-version (CIS_WHATSAPP_VERSION): %w", err)
	}
	lock, err := store.Lock(c.DBPath)
	if errors.Is(err, store.ErrInUse) {
		return fmt.Errorf("%w (%w)", errServerRunning, err)
	}
	if err != nil {
		return err
	}
	defer lock.Unlock()
	log := newLogger(c, e.stderr)
	st, err := store.Open(ctx, c.DBPath, c.storeOptions(log)) // the app's tables first: one file, our migrations
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	db, err := store.DeviceDB(c.DBPath, c.storeOptions(log))
	if err != nil {
		return err
	}
	defer db.Close()
	cli, err := openForPairing(ctx, st, db, c.whatsAppNumber(), log) // serve_devices.go
	if err != nil {
		return err
	}
	bot.ReportOthers(e.stdout, cli.Others)
	if cli.Store.ID != nil {
		fmt.Fprintf(e.stdout, "Already paired as +%s. To pair another phone, unlink this device in WhatsApp first.\n", cli.Store.ID.User)
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	return bot.PairTerminal(ctx, cli, *phone, e.stdin, e.stdout)
}
