package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cis-agencia/cis/bot"
)

// chatCmd runs the real flow and store in the terminal: interactively, or
// replaying a script (one message per line) with --script.
func chatCmd(ctx context.Context, e env, args []string) error {
	fs, c := newFlagSet("chat", e.getenv)
	script := fs.String("script", "", "file with one message per line (- for standard input); interactive when empty")
	asJSON := fs.Bool("json", false, "print replies and the final lead as JSON")
	nowFlag := fs.String("now", "", "simulated start time, RFC 3339 (default: the real time)")
	phone := fs.String("phone", "+573001234567", "the simulated prospect's phone, E.164")
	fs.SetOutput(e.stderr)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	start := time.Now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return fmt.Errorf("--now: %w", err)
		}
		start = t
	}
	cleanup, err := chatStore(c, fs, e.getenv)
	if err != nil {
		return err
	}
	defer cleanup()
	clock := bot.NewClock(start)
	a, err := open(ctx, c, newLogger(c, io.Discard), clock.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	sim := &bot.Simulator{Bot: a.bot, Clock: clock, Account: "simulator", Phone: *phone, IDPrefix: runID(), Step: 20 * time.Second}
	in, interactive, closeIn, err := chatInput(*script, e.stdin)
	if err != nil {
		return err
	}
	defer closeIn()
	out := chatPrinter{w: e.stdout, json: *asJSON, you: "tú> "}
	if c.Lang == "en" {
		out.you = "you> "
	}
	if err := converse(ctx, sim, in, interactive, out); err != nil {
		return err
	}
	v, err := a.store.Conversation(ctx, bot.ChatChannel, sim.Account, sim.Phone)
	if err != nil {
		return fmt.Errorf("read the stored lead: %w", err)
	}
	return out.lead(bot.Report(v))
}

// chatStore points the simulator at a temporary store unless --db or CIS_DB
// says otherwise: trying the bot must not write into the production file. A
// store named that way must exist (`cis serve` or `cis demo` creates one).
func chatStore(c *Config, fs *flag.FlagSet, getenv func(string) string) (cleanup func(), err error) {
	explicit := getenv("CIS_DB") != ""
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "db" })
	if explicit {
		return func() {}, nil
	}
	dir, err := os.MkdirTemp("", "cis-chat-")
	if err != nil {
		return nil, fmt.Errorf("temporary store: %w", err)
	}
	// Its own temporary store, which it may create.
	c.DBPath, c.creates = filepath.Join(dir, "chat.db"), true
	return func() { _ = os.RemoveAll(dir) }, nil // best effort: a temporary directory
}

// runID makes generated message IDs unique per run, so a second run on the
// same store is not mistaken for a redelivery of the first.
func runID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "chat-" + hex.EncodeToString(b)
}

func chatInput(script string, stdin io.Reader) (r io.Reader, interactive bool, closeFn func(), err error) {
	switch script {
	case "":
		return stdin, true, func() {}, nil
	case "-":
		return stdin, false, func() {}, nil
	}
	f, err := os.Open(script) // #nosec G304 -- the operator's own --script path
	if err != nil {
		return nil, false, nil, fmt.Errorf("--script: %w", err)
	}
	return f, false, func() { _ = f.Close() }, nil // read-only: nothing to lose
}

// converse feeds every line of in to the simulator and prints the replies.
func converse(ctx context.Context, sim *bot.Simulator, in io.Reader, interactive bool, out chatPrinter) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	lineNo := 0
	if interactive {
		out.prompt()
	}
	for sc.Scan() {
		lineNo++
		raw := sc.Text()
		if strings.TrimSpace(raw) == "" || strings.HasPrefix(strings.TrimSpace(raw), "#") {
			if interactive {
				out.prompt()
			}
			continue
		}
		l, err := bot.ParseScriptLine(raw)
		if err != nil {
			return fmt.Errorf("line %d: %w", lineNo, err)
		}
		x, err := sim.Send(ctx, l)
		if err != nil {
			return fmt.Errorf("line %d: %w", lineNo, err)
		}
		if err := out.exchange(x); err != nil {
			return err
		}
		if interactive {
			out.prompt()
		}
	}
	return sc.Err()
}

// chatPrinter writes the conversation for a person or, with json, as one
// JSON object per line: {"reply_to", "key", "text"} per reply, the lead last.
type chatPrinter struct {
	w    io.Writer
	json bool
	you  string // the interactive prompt
}

func (p chatPrinter) prompt() {
	if !p.json {
		fmt.Fprint(p.w, p.you)
	}
}

func (p chatPrinter) exchange(x bot.Exchange) error {
	if !x.Handled && !p.json {
		fmt.Fprintf(p.w, "(mensaje %s repetido: ya se atendió)\n", x.ID)
	}
	for _, r := range x.Replies {
		if p.json {
			b, err := json.Marshal(map[string]string{"reply_to": x.ID, "key": r.Key, "text": r.Body})
			if err != nil {
				return err
			}
			fmt.Fprintf(p.w, "%s\n", b)
			continue
		}
		fmt.Fprintf(p.w, "bot> %s\n", strings.ReplaceAll(r.Body, "\n", "\n     "))
	}
	return nil
}

func (p chatPrinter) lead(r bot.LeadReport) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if !p.json {
		fmt.Fprintln(p.w, "\nLead guardado:")
	}
	_, err = fmt.Fprintf(p.w, "%s\n", b)
	return err
}
