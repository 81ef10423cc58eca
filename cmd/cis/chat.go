package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	out := bot.ChatPrinter{W: e.stdout, JSON: *asJSON, You: "tú> "}
	if c.Lang == "en" {
		out.You = "you> "
	}
	if err := bot.Converse(ctx, sim, in, interactive, out); err != nil {
		return err
	}
	v, err := a.store.Conversation(ctx, bot.ChatChannel, sim.Account, sim.Phone)
	if err != nil {
		return fmt.Errorf("read the stored lead: %w", err)
	}
	return out.Lead(bot.Report(v))
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
