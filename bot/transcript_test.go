package bot

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts under testdata/transcripts")

// A transcript is a conversation replayed through the real flow, bot and a
// real store on disk. Lines:
//
//	# text            a comment, kept
//	# now: RFC3339    the clock at the first message (header)
//	# lang: es|en     reply language (header)
//	# burst: 3s       run as the linked device with this debounce (header):
//	                  replies are held, and written after the burst's last message
//	> line            a prospect's message, in the simulator's script syntax
//	! restart         close the store and open it again, as a process restart
//	! expire          run the idle sweeper at the current clock
//	! wait 25h        advance the clock without a message
//	< [key] text      a bot reply (written by the test; continuation lines "<   ")
//	~ redelivered ID  the message was a redelivery and changed nothing
//	= {json}          the stored lead at the end
func TestTranscripts(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "transcripts", "*.txt"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no transcripts found (err=%v)", err)
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			raw, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			want := string(raw)
			got := replay(t, want)
			if *update {
				if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != want {
				t.Errorf("%s: replay differs from the golden file:\n%s", p, lineDiff(want, got))
			}
		})
	}
}

// harness is a bot on a store file that can be closed and reopened.
type harness struct {
	t     testing.TB
	path  string
	cfg   flow.Config
	clock *Clock
	st    *store.Store
	bot   *Bot
	sim   *Simulator

	syncMode string        // SQLite synchronous mode; "" is the store's default
	burst    time.Duration // the debounce of a "# burst:" transcript
	busy     time.Duration // SQLite busy timeout; 0 is the store's default
}

func newHarness(t testing.TB, lang string, now time.Time) *harness {
	t.Helper()
	loc, err := time.LoadLocation("America/Bogota")
	if err != nil {
		t.Fatal(err)
	}
	cfg := flow.DefaultConfig(loc)
	cfg.Lang = lang
	h := &harness{t: t, path: filepath.Join(t.TempDir(), "cis.db"), cfg: cfg, clock: NewClock(now)}
	h.open()
	t.Cleanup(func() { h.st.Close() })
	return h
}

func (h *harness) open() {
	h.t.Helper()
	st, err := store.Open(context.Background(), h.path, store.Options{Now: h.clock.Now, Synchronous: h.syncMode, BusyTimeout: h.busy})
	if err != nil {
		h.t.Fatal(err)
	}
	m, err := flow.New(h.cfg, scoring.Rules{})
	if err != nil {
		h.t.Fatal(err)
	}
	b, err := New(Deps{Store: st, Flow: m, Now: h.clock.Now})
	if err != nil {
		h.t.Fatal(err)
	}
	n := 0
	if h.sim != nil {
		n = h.sim.n
	}
	h.st, h.bot = st, b
	h.sim = &Simulator{Bot: b, Clock: h.clock, Account: "simulator", Phone: "+573001234567", IDPrefix: "m", Step: 20 * time.Second,
		Burst: h.burst, n: n}
}

func (h *harness) restart() {
	h.t.Helper()
	if err := h.st.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.open()
}

func (h *harness) report() LeadReport {
	h.t.Helper()
	v, err := h.st.Conversation(context.Background(), ChatChannel, h.sim.Account, h.sim.Phone)
	if err != nil {
		h.t.Fatal(err)
	}
	return Report(v)
}

func replay(t *testing.T, script string) string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(script, "\n"), "\n")
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.FixedZone("COT", -5*3600)) // a Monday morning
	lang := "es"
	var burst time.Duration
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "# burst: "); ok {
			var err error
			if burst, err = time.ParseDuration(v); err != nil {
				t.Fatalf("bad header %q: %v", l, err)
			}
		}
		if v, ok := strings.CutPrefix(l, "# now: "); ok {
			var err error
			if now, err = time.Parse(time.RFC3339, v); err != nil {
				t.Fatalf("bad header %q: %v", l, err)
			}
		}
		if v, ok := strings.CutPrefix(l, "# lang: "); ok {
			lang = v
		}
	}
	h := newHarness(t, lang, now)
	if burst > 0 {
		h.burst, h.sim.Burst = burst, burst
	}
	var out strings.Builder
	ctx := context.Background()
	for i, l := range lines {
		switch {
		case l == "<", strings.HasPrefix(l, "< "), strings.HasPrefix(l, "~ "), strings.HasPrefix(l, "= "):
			continue // outputs are written anew below
		case strings.HasPrefix(l, "> "):
			out.WriteString(l + "\n")
			sl, err := ParseScriptLine(l[2:])
			if err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			x, err := h.sim.Deliver(ctx, sl)
			if err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			if !h.burstGoesOn(lines[i+1:]) {
				if x.Replies, err = h.sim.Flush(ctx); err != nil {
					t.Fatalf("%q: %v", l, err)
				}
			}
			writeExchange(&out, x)
		case l == "! restart":
			out.WriteString(l + "\n")
			h.restart()
		case l == "! expire":
			out.WriteString(l + "\n")
			if _, err := h.bot.ExpireIdle(ctx, h.cfg.IdleTimeout); err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(l, "! wait "):
			out.WriteString(l + "\n")
			d, err := time.ParseDuration(strings.TrimPrefix(l, "! wait "))
			if err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			h.clock.Add(d)
		case strings.HasPrefix(l, "!"):
			t.Fatalf("unknown directive %q", l)
		default:
			out.WriteString(l + "\n")
		}
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(h.report()); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&out, "= %s", b.String())
	return out.String()
}

// burstGoesOn reports whether the next message of the transcript continues
// a burst, so that the replies are still held (the channel's debounce).
func (h *harness) burstGoesOn(rest []string) bool {
	if h.burst == 0 {
		return false
	}
	for _, l := range rest {
		if next, ok := strings.CutPrefix(l, "> "); ok {
			sl, err := ParseScriptLine(next)
			return err == nil && h.sim.Gap(sl) < h.burst
		}
	}
	return false
}

func writeExchange(out *strings.Builder, x Exchange) {
	if !x.Handled {
		fmt.Fprintf(out, "~ redelivered %s\n", x.ID)
	}
	for _, r := range x.Replies {
		for i, line := range strings.Split(r.Body, "\n") {
			if i == 0 {
				fmt.Fprintf(out, "< [%s] %s\n", r.Key, line)
				continue
			}
			fmt.Fprintln(out, strings.TrimRight("<   "+line, " "))
		}
	}
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 8; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want: %s\n  got:  %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}
