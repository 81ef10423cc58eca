package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// ChatChannel is the channel name of the terminal simulator.
const ChatChannel = "chat"

// ScriptLine is one line of a simulator script: a message and the
// directives in front of it. A line is plain text, optionally preceded by
// directives, each a word starting with '@':
//
//	@id=ABC1        the channel message ID (default: generated); a repeated
//	                ID is a redelivery and is handled once
//	@wait=2h        advance the simulated clock before the message
//	@at=2026-03-02T09:00:00-05:00   set the simulated clock
//	@kind=audio     a message that is not text (audio, image, sticker, ...);
//	                the text after @kind=reaction is its emoji, after
//	                @kind=audio the voice note's transcript
//	@location=6.25,-75.56           a shared location
//
// Lines starting with '#' and blank lines are skipped by ParseScript.
type ScriptLine struct {
	ID       string
	Wait     time.Duration
	At       time.Time
	Kind     flow.Kind
	Location *flow.Location
	Text     string
}

// ParseScriptLine reads one script line. Errors name the bad directive.
func ParseScriptLine(line string) (ScriptLine, error) {
	l := ScriptLine{Kind: flow.KindText}
	rest := strings.TrimLeft(line, " \t")
	for strings.HasPrefix(rest, "@") {
		word, after, _ := strings.Cut(rest, " ")
		if err := l.directive(word[1:]); err != nil {
			return l, err
		}
		rest = strings.TrimLeft(after, " \t")
	}
	l.Text = strings.TrimRight(rest, "\r")
	switch l.Kind {
	case flow.KindText, flow.KindReaction, flow.KindAudio: // a reaction's emoji; a voice note's transcript
	default:
		l.Text = ""
	}
	return l, nil
}

func (l *ScriptLine) directive(d string) error {
	key, val, _ := strings.Cut(d, "=")
	var err error
	switch key {
	case "id":
		if val == "" {
			return errors.New("@id needs a value")
		}
		l.ID = val
	case "wait":
		l.Wait, err = time.ParseDuration(val)
	case "at":
		l.At, err = time.Parse(time.RFC3339, val)
	case "kind":
		l.Kind = flow.Kind(val)
	case "location":
		l.Kind = flow.KindLocation
		l.Location, err = parseLatLon(val)
	default:
		return fmt.Errorf("unknown directive @%s", key)
	}
	if err != nil {
		return fmt.Errorf("directive @%s: %w", key, err)
	}
	return nil
}

func parseLatLon(s string) (*flow.Location, error) {
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return nil, errors.New("want lat,lon")
	}
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if err := errors.Join(err1, err2); err != nil || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return nil, fmt.Errorf("bad coordinates %q", s)
	}
	return &flow.Location{Lat: lat, Lon: lon}, nil
}

// Clock is a settable clock for the simulator and tests. Safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t; Add moves it by d.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Simulator is the terminal channel: it feeds script lines to the real bot
// and store as one prospect writing to the agency, and collects the replies.
type Simulator struct {
	Bot      *Bot
	Clock    *Clock
	Account  string // the agency account the prospect writes to
	Phone    string // the prospect, E.164
	IDPrefix string // prefix of generated message IDs; make it unique per run
	Step     time.Duration
	// Burst, when set, runs the flow as the linked device does
	// (Bot.ReceiveBurst): a message less than Burst after the previous one
	// continues a burst. Deliver and Flush let the caller hold the replies
	// meanwhile, as the channel's debounce does.
	Burst time.Duration
	n     int
}

// Exchange is one message and what the bot answered to it.
type Exchange struct {
	ID      string
	Handled bool // false for a redelivered ID
	Replies []store.Outgoing
}

// Send delivers one script line and returns the replies it produced.
func (s *Simulator) Send(ctx context.Context, l ScriptLine) (Exchange, error) {
	return s.send(ctx, l, ChatChannel)
}

// Deliver delivers one script line and keeps its replies queued; Flush
// sends them.
func (s *Simulator) Deliver(ctx context.Context, l ScriptLine) (Exchange, error) {
	return s.deliver(ctx, l, ChatChannel)
}

// Flush sends the queued replies and returns them.
func (s *Simulator) Flush(ctx context.Context) ([]store.Outgoing, error) {
	return s.flush(ctx, ChatChannel)
}

// Gap is how far the clock moves before l is delivered.
func (s *Simulator) Gap(l ScriptLine) time.Duration {
	switch {
	case !l.At.IsZero():
		return l.At.Sub(s.Clock.Now())
	case l.Wait > 0:
		return l.Wait
	case s.n > 0:
		return s.Step
	}
	return 0
}

func (s *Simulator) send(ctx context.Context, l ScriptLine, channel string) (Exchange, error) {
	x, err := s.deliver(ctx, l, channel)
	if err != nil {
		return Exchange{}, err
	}
	x.Replies, err = s.flush(ctx, channel)
	return x, err
}

func (s *Simulator) deliver(ctx context.Context, l ScriptLine, channel string) (Exchange, error) {
	s.Clock.Add(s.Gap(l)) // a person takes a moment to type
	s.n++
	id := l.ID
	if id == "" {
		id = fmt.Sprintf("%s-%d", s.IDPrefix, s.n)
	}
	in := flow.Inbound{Channel: channel, Account: s.Account, ID: id, From: s.Phone,
		Kind: l.Kind, Text: l.Text, Location: l.Location, At: s.Clock.Now()}
	handled, err := s.Bot.ReceiveBurst(ctx, in, s.Burst)
	if err != nil {
		return Exchange{}, err
	}
	return Exchange{ID: id, Handled: handled}, nil
}

func (s *Simulator) flush(ctx context.Context, channel string) ([]store.Outgoing, error) {
	rec := &recorder{}
	if _, err := s.Bot.Flush(ctx, channel, rec); err != nil {
		return nil, err
	}
	return rec.sent, nil
}

// recorder is the simulator's Sender: it keeps what would be sent.
type recorder struct{ sent []store.Outgoing }

func (r *recorder) Send(_ context.Context, o store.Outgoing) (string, error) {
	r.sent = append(r.sent, o)
	return fmt.Sprintf("sim-out-%d", o.ID), nil
}
