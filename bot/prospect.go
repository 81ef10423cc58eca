package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cis-agencia/cis/flow/messages"
)

// Prospect is a simulated person for the load test and the crash tests, who
// behaves as people do on WhatsApp: writes one message, waits until the
// bot's answer has arrived (what the fake Graph API accepted for them),
// reads it, and writes the next line of the script. Whenever a consent text
// arrives that they have not seen before, the next message answers it
// ("sí"): so a consent text sent again after a crash or after an answer that
// did not count (store/consent.go) is answered again, and one that never
// arrives is never answered. So is the line that asks for the answer again
// (AgainMark: "your answer came before this notice … reply SÍ or NO"), as a
// person who reads it does. Not safe for concurrent use: one goroutine per
// person.
type Prospect struct {
	Graph    *FakeGraph
	To       string   // the person's number as the Graph API gets it (digits)
	IDPrefix string   // message IDs are IDPrefix.1, IDPrefix.2, ...
	Script   []string // what the person writes, in order
	// ConsentMark is a piece of text every consent text holds (the policy
	// link); Yes is the answer to it (default "sí").
	ConsentMark, Yes string
	// AgainMark is a piece of the line asking for the consent answer again
	// (ConsentAgainMark); empty: that line is read like any other.
	AgainMark string
	// Quiet is how long without a new reply means the bot finished
	// answering (default 100 ms); Patience is how long the person waits for
	// any answer before writing the next line anyway (default 10 s).
	Quiet, Patience time.Duration

	said    []Said
	pos     int  // next line of Script
	consent bool // a consent text arrived that was not answered yet
	read    int  // replies read so far
	seen    map[string]bool
	unread  *Said // written, not acknowledged yet
	waiting bool  // the last message was acknowledged and its answer not read yet
}

// Said is one message the person wrote.
type Said struct {
	ID, Text string
	Acked    bool // the webhook answered 200
}

// Done reports whether the person has nothing more to write.
func (p *Prospect) Done() bool {
	return p.unread == nil && !p.consent && (p.pos >= len(p.Script) || len(p.said) >= 3*len(p.Script))
}

// Said returns what the person wrote so far, acknowledged or not.
func (p *Prospect) Said() []Said { return append([]Said(nil), p.said...) }

// Next returns the message to deliver now: the one not acknowledged yet
// (a redelivery, same ID), or a new one.
func (p *Prospect) Next() Said {
	if p.unread != nil {
		return *p.unread
	}
	yes := p.Yes
	if yes == "" {
		yes = "sí"
	}
	var text string
	switch {
	case p.consent:
		text, p.consent = yes, false
		if p.pos < len(p.Script) && p.Script[p.pos] == yes {
			p.pos++
		}
	default:
		text = p.Script[p.pos]
		p.pos++
	}
	s := Said{ID: fmt.Sprintf("%s.%d", p.IDPrefix, len(p.said)+1), Text: text}
	p.said = append(p.said, s)
	p.unread = &p.said[len(p.said)-1]
	return s
}

// Acked records that the message Next returned was acknowledged.
func (p *Prospect) Acked() {
	if p.unread != nil {
		p.unread.Acked = true
		p.unread = nil
		p.waiting = true
	}
}

// Read waits for the bot's answer to what was just written: at least one
// reply not read before (up to Patience), then until none arrives for
// Quiet. It reports whether anything arrived.
func (p *Prospect) Read(ctx context.Context) bool {
	quiet, patience := p.Quiet, p.Patience
	if quiet <= 0 {
		quiet = 100 * time.Millisecond
	}
	if patience <= 0 {
		patience = 10 * time.Second
	}
	wait, cancel := context.WithTimeout(ctx, patience)
	got := p.Graph.Await(wait, p.To, p.read)
	cancel()
	if ctx.Err() == nil {
		p.waiting = false // read, or waited as long as a person would
	}
	if len(got) == p.read {
		return false
	}
	for {
		more, cancel := context.WithTimeout(ctx, quiet)
		next := p.Graph.Await(more, p.To, len(got))
		cancel()
		if len(next) == len(got) {
			break
		}
		got = next
	}
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	for _, m := range got[p.read:] {
		if !p.seen[m.Outbox] && p.asksConsent(m.Body) {
			p.consent = true // a consent text (or the ask again) not seen before, not a duplicate of one read
		}
		p.seen[m.Outbox] = true
	}
	p.read = len(got)
	return true
}

// asksConsent reports whether body is a consent text or the line asking for
// the answer to it again.
func (p *Prospect) asksConsent(body string) bool {
	return p.ConsentMark != "" && strings.Contains(body, p.ConsentMark) ||
		p.AgainMark != "" && strings.Contains(body, p.AgainMark)
}

// ConsentAgainMark is the Spanish line the bot sends when a consent answer
// came before its text had surely left (store/consent.go): a person who
// reads it answers again.
func ConsentAgainMark() string {
	return messages.Default().Area("bot").Text(messages.Spanish, "consent_early")
}

// Talk writes, with deliver, until the person is done, ctx ends or a
// delivery fails (the server died: call Talk again after the restart; the
// message that failed is delivered again with the same ID, and an answer
// not read yet is waited for first).
func (p *Prospect) Talk(ctx context.Context, deliver func(ctx context.Context, id, text string) error) error {
	for {
		if p.waiting {
			p.Read(ctx)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p.Done() {
			return nil
		}
		m := p.Next()
		if err := deliver(ctx, m.ID, m.Text); err != nil {
			return err
		}
		p.Acked()
	}
}
