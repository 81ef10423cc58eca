package bot

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/mdp/qrterminal/v3"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
)

// ReportOthers tells the operator about further devices in the store.
func ReportOthers(out io.Writer, others []types.JID) {
	if len(others) == 0 {
		return
	}
	fmt.Fprintf(out, "Note: the store holds %d more linked device(s) this program does not use:\n", len(others))
	for _, j := range others {
		fmt.Fprintf(out, "  +%s · device %d\n", j.User, j.Device)
	}
	fmt.Fprintln(out, "Remove the unused one on the phone: WhatsApp → Linked devices (the one last active longest ago).")
}

// PairTerminal pairs cli by QR (or by code with phone), answers a passkey
// step from in (standard input), and then logs in for the first time;
// what the operator reads goes to out.
func PairTerminal(ctx context.Context, cli *Client, phone string, in io.Reader, out io.Writer) error {
	login := watchLogin(cli)
	defer cli.Disconnect()
	ui := TerminalUI(ctx, cli, in, out)
	var err error
	if phone != "" {
		_, err = cli.PairPhone(ctx, phone, func(code string) {
			fmt.Fprintf(out, "WhatsApp → Settings → Linked devices → Link a device → Link with phone number instead, and type:\n\n    %s\n\n", code)
		}, ui)
	} else {
		err = pairByQR(ctx, cli, ui, out)
	}
	if err != nil {
		return fmt.Errorf("pair: %w", err)
	}
	fmt.Fprintf(out, "Linked as +%s; logging in…\n", cli.Account())
	if err := login.wait(ctx, cli); err != nil {
		return fmt.Errorf("linked as +%s, but the first login did not complete: %w; cis serve --whatsapp keeps trying", cli.Account(), err)
	}
	fmt.Fprintf(out, "Paired as +%s. Start the bot with: cis serve --whatsapp\n", cli.Account())
	return nil
}

func pairByQR(ctx context.Context, cli *Client, ui PairUI, out io.Writer) error {
	ui.Code = func(code string, valid time.Duration) {
		fmt.Fprint(out, "\033[H\033[2J") // clear the screen: the old code is no longer valid
		fmt.Fprintln(out, "WhatsApp → Settings → Linked devices → Link a device, and scan:")
		qrterminal.GenerateHalfBlock(code, qrterminal.L, out)
		fmt.Fprintf(out, "This code changes in %s.\n", valid.Round(time.Second))
	}
	for {
		done, err := cli.PairQR(ctx, ui)
		if done {
			return nil
		}
		if !errors.Is(err, ErrPairTimeout) || ctx.Err() != nil {
			return err
		}
		fmt.Fprintln(out, "The codes expired; asking WhatsApp for new ones.")
	}
}

// TerminalUI shows the passkey step and reads its answers from standard
// input without stopping the pairing (the QR channel must keep draining).
func TerminalUI(ctx context.Context, cli *Client, stdin io.Reader, out io.Writer) PairUI {
	in := newLineReader(stdin)
	return PairUI{
		Notice: func(problem string) { fmt.Fprintln(out, "Problem: "+problem) },
		Passkey: func(req *events.PairPasskeyRequest) {
			opts, _ := json.Marshal(req.PublicKey)
			fmt.Fprint(out, passkeyHelp(string(opts)))
			go func() {
				var resp types.WebAuthnResponse
				if err := in.json(&resp); err != nil {
					fmt.Fprintln(out, "No passkey response read: "+err.Error())
					return
				}
				if err := cli.SendPasskeyResponse(ctx, &resp); err != nil {
					fmt.Fprintln(out, "WhatsApp did not accept the passkey response: "+err.Error())
					return
				}
				fmt.Fprintln(out, "Passkey response sent; waiting for WhatsApp…")
			}()
		},
		Confirm: func(code string) {
			fmt.Fprintf(out, "\nWhatsApp shows a code on the phone. Does it read\n\n    %s\n\nType y (yes) and Enter to link, anything else to stop: ", code)
			go func() {
				answer, err := in.line()
				if err != nil || !strings.EqualFold(strings.TrimSpace(answer), "y") && !strings.EqualFold(strings.TrimSpace(answer), "s") {
					fmt.Fprintln(out, "Not confirmed; the pairing ends when WhatsApp's codes run out.")
					return
				}
				if err := cli.SendPasskeyConfirmation(ctx); err != nil {
					fmt.Fprintln(out, "Confirmation not accepted: "+err.Error())
				}
			}()
		},
	}
}

// passkeyHelp explains the passkey step: the response must come from a
// browser on web.whatsapp.com, the site the account's passkey belongs to.
func passkeyHelp(options string) string {
	return "\nThe phone scanned, and WhatsApp asks for this account's passkey before it links the device.\n" +
		"1. On a computer with the passkey, open https://web.whatsapp.com, open the browser console (F12) and run:\n\n" +
		"   " + PasskeySnippet(options) + "\n\n" +
		"2. Paste the JSON it prints here and press Enter.\n" +
		"If the account cannot answer a passkey this way, remove the passkey on the phone\n" +
		"(WhatsApp → Settings → Account → Passkeys) and pair again.\n\n"
}

// lineReader reads standard input from one goroutine at a time.
type lineReader struct {
	mu sync.Mutex
	r  *bufio.Reader
}

func newLineReader(r io.Reader) *lineReader {
	if r == nil {
		r = strings.NewReader("")
	}
	return &lineReader{r: bufio.NewReader(r)}
}

func (l *lineReader) line() (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.ReadString('\n')
}

func (l *lineReader) json(v any) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return json.NewDecoder(l.r).Decode(v)
}

// loginWatch follows the first login after a pairing: with whatsmeow's own
// reconnect off (OpenClient), this process connects, and tries again
// when that fails.
type loginWatch struct {
	reconnect chan struct{}
	connected chan struct{}
	once      sync.Once
}

func watchLogin(cli *Client) *loginWatch {
	w := &loginWatch{reconnect: make(chan struct{}, 1), connected: make(chan struct{})}
	cli.AddEventHandler(func(evt any) {
		switch evt.(type) {
		case *events.ManualLoginReconnect:
			select {
			case w.reconnect <- struct{}{}:
			default:
			}
		case *events.Connected:
			w.once.Do(func() { close(w.connected) })
		}
	})
	return w
}

// wait logs in after WhatsApp closed the pairing socket (code 515), retrying
// with a growing pause, until the connection is up or ctx ends.
func (w *loginWatch) wait(ctx context.Context, cli *Client) error {
	select {
	case <-w.connected:
		return nil
	case <-w.reconnect:
	case <-ctx.Done():
		return ctx.Err()
	}
	pause := 2 * time.Second
	for {
		cli.Disconnect()
		if err := cli.ConnectContext(ctx); err == nil {
			select {
			case <-w.connected:
				return nil
			case <-time.After(30 * time.Second):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return ctx.Err()
		}
		pause = min(2*pause, 30*time.Second)
	}
}
