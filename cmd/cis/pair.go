package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/mdp/qrterminal/v3"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/store"
)

// pairCmd links the agency's WhatsApp as a device of this program: it shows
// the QR in the terminal, redrawn each time WhatsApp rotates it, or with
// --phone prints a code to type in the phone instead.
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
	cli, err := bot.OpenClient(ctx, db, log.With("component", "whatsmeow"))
	if err != nil {
		return err
	}
	if cli.Store.ID != nil {
		fmt.Fprintf(e.stdout, "Already paired as +%s. To pair another phone, unlink this device in WhatsApp first.\n", cli.Store.ID.User)
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	connected := make(chan struct{}, 1)
	cli.AddEventHandler(func(evt any) {
		if _, ok := evt.(*events.Connected); ok {
			select {
			case connected <- struct{}{}:
			default:
			}
		}
	})
	defer cli.Disconnect()
	if *phone != "" {
		err = pairByCode(ctx, cli, *phone, e.stdout)
	} else {
		err = pairByQR(ctx, cli, e.stdout)
	}
	if err != nil {
		return err
	}
	// After the scan WhatsApp closes the socket once and whatsmeow logs in
	// again; the pairing is complete when that connection is up.
	select {
	case <-connected:
	case <-ctx.Done():
		return errors.New("paired, but the first connection did not complete; run cis pair again to check")
	}
	fmt.Fprintf(e.stdout, "Paired as +%s. Start the bot with: cis serve --whatsapp\n", cli.Store.ID.User)
	return nil
}

func pairByQR(ctx context.Context, cli *whatsmeow.Client, out io.Writer) error {
	for {
		done, err := bot.PairQR(ctx, cli, func(code string, valid time.Duration) {
			fmt.Fprint(out, "\033[H\033[2J") // clear the screen: the old code is no longer valid
			fmt.Fprintln(out, "WhatsApp → Settings → Linked devices → Link a device, and scan:")
			qrterminal.GenerateHalfBlock(code, qrterminal.L, out)
			fmt.Fprintf(out, "This code changes in %s.\n", valid.Round(time.Second))
		})
		if done {
			return nil
		}
		if !errors.Is(err, bot.ErrPairTimeout) || ctx.Err() != nil {
			return fmt.Errorf("pair: %w", err)
		}
		fmt.Fprintln(out, "The codes expired; asking WhatsApp for new ones.")
	}
}

func pairByCode(ctx context.Context, cli *whatsmeow.Client, phone string, out io.Writer) error {
	code, items, err := bot.PairPhoneCode(ctx, cli, phone)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "WhatsApp → Settings → Linked devices → Link a device → Link with phone number instead, and type:\n\n    %s\n\n", code)
	for item := range items {
		switch {
		case item == whatsmeow.QRChannelSuccess:
			return nil
		case item == whatsmeow.QRChannelTimeout:
			return errors.New("pair: the code was not entered in time; run cis pair --phone again")
		case item.Event == whatsmeow.QRChannelEventError:
			return fmt.Errorf("pair: %w", item.Error)
		}
	}
	return ctx.Err()
}
