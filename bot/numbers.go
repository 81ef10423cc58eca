package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// Several numbers in one installation (issue 16): each number the agency
// declared answers as its brand (the data controller its greeting and
// consent text name) with its services. The flow stays pure: the brand
// reaches it as data, one flow.Machine per number (flow.Machine.ForBrand),
// built from the numbers the store keeps and reread every brandTTL, so a
// number declared on the numbers page or by another server is answered as
// itself within seconds. A number with no brand is the installation's.

// brandTTL is how long the numbers read from the store are used before
// they are read again.
const brandTTL = 5 * time.Second

// heldReplayEvery is how often the Cloud API looks for deliveries held for
// a number declared since (on any server: the numbers page, --numbers).
const heldReplayEvery = 15 * time.Second

// numberLister is implemented by a ledger that keeps the agency's numbers
// (*store.Store).
type numberLister interface {
	Numbers(ctx context.Context) ([]store.Number, error)
}

var _ numberLister = (*store.Store)(nil)

// brander is implemented by a machine that can run as a brand (*flow.Machine).
type brander interface {
	ForBrand(b flow.Brand) (*flow.Machine, error)
}

var _ brander = (*flow.Machine)(nil)

// brands caches one machine per branded number.
type brands struct {
	mu     sync.Mutex
	read   time.Time          // when the numbers were last read; zero: never
	byKey  map[string]machine // "channel:address" → its brand's machine
	failed bool               // the last read failed (logged once per failure streak)
	// declared are the declared numbers ("channel:address") and channels
	// the channels that have one: store.NumberKnown's rule, without a query
	// per delivery.
	declared, channels map[string]bool
}

// machineFor returns the machine that answers in: its number's brand, or
// the installation's.
func (b *Bot) machineFor(ctx context.Context, in flow.Inbound) machine {
	ls, ok1 := b.store.(numberLister)
	br, ok2 := b.flow.(brander)
	if !ok1 || !ok2 {
		return b.flow
	}
	b.brands.mu.Lock()
	defer b.brands.mu.Unlock()
	b.freshBrands(ctx, ls, br)
	if m, ok := b.brands.byKey[in.Channel+":"+in.Account]; ok {
		return m
	}
	return b.flow
}

// freshBrands rereads the numbers when they are older than brandTTL; the
// caller holds b.brands.mu.
func (b *Bot) freshBrands(ctx context.Context, ls numberLister, br brander) {
	if now := b.now(); b.brands.read.IsZero() || now.Sub(b.brands.read) >= brandTTL || now.Before(b.brands.read) {
		b.loadBrands(ctx, ls, br, now)
	}
}

// forgetBrands makes the next message reread the numbers.
func (b *Bot) forgetBrands() {
	b.brands.mu.Lock()
	defer b.brands.mu.Unlock()
	b.brands.read = time.Time{}
}

// cachedKnown is store.NumberKnown from the numbers read at most brandTTL
// ago; ok is false when they could not be read (the caller asks the store).
// A number declared meanwhile is held for up to brandTTL and then replayed
// (ReplayHeld asks the store itself): late by seconds, never lost.
func (b *Bot) cachedKnown(ctx context.Context, channel, account string) (known, ok bool) {
	ls, ok1 := b.store.(numberLister)
	br, ok2 := b.flow.(brander)
	if !ok1 || !ok2 {
		return false, false
	}
	b.brands.mu.Lock()
	defer b.brands.mu.Unlock()
	b.freshBrands(ctx, ls, br)
	if b.brands.read.IsZero() {
		return false, false
	}
	return !b.brands.channels[channel] || b.brands.declared[channel+":"+account], true
}

// loadBrands rereads the numbers; on a failure the machines already built
// stay in use (a brand is never dropped for a failed read).
func (b *Bot) loadBrands(ctx context.Context, ls numberLister, br brander, now time.Time) {
	ns, err := ls.Numbers(ctx)
	if err != nil {
		if !b.brands.failed {
			b.log.Error("numbers not read; brands kept as they were", "err", err)
		}
		b.brands.failed = true
		return
	}
	b.brands.failed = false
	byKey := make(map[string]machine, len(ns))
	declared, channels := map[string]bool{}, map[string]bool{}
	for _, n := range ns {
		if n.Declared {
			declared[n.Key()], channels[n.Channel] = true, true
		}
		if n.Brand == "" {
			continue
		}
		m, err := brandMachine(br, n)
		if err != nil {
			b.log.Error("number's services not usable; it answers with the installation's", "number", n.Key(), "err", err)
		}
		if m != nil {
			byKey[n.Key()] = m
		}
	}
	b.brands.byKey, b.brands.read = byKey, now
	b.brands.declared, b.brands.channels = declared, channels
}

// brandMachine builds n's machine. Services that do not read (checked
// when declared, so only after a hand edit) fall back to the installation's,
// with the error: the brand, the data controller, is never dropped.
func brandMachine(br brander, n store.Number) (*flow.Machine, error) {
	agency := flow.Agency{Name: n.Brand, Contact: n.Contact, PolicyURL: n.PolicyURL}
	cat, err := parseServices(n.Services)
	if err == nil {
		m, berr := br.ForBrand(flow.Brand{Agency: agency, Catalogue: cat})
		if berr == nil {
			return m, nil
		}
		err = berr
	}
	m, berr := br.ForBrand(flow.Brand{Agency: agency})
	if berr != nil {
		return nil, berr
	}
	return m, err
}

// parseServices reads a number's service catalogue (the --services file's
// JSON); "" is none (the installation's). The catalogue is validated.
func parseServices(s string) (flow.Catalogue, error) {
	if s == "" {
		return nil, nil
	}
	var c flow.Catalogue
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return nil, fmt.Errorf("services: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("services: %w", err)
	}
	return c, nil
}

// numberGate is implemented by a store that knows which numbers were
// declared and holds deliveries for the others (*store.Store).
type numberGate interface {
	NumberKnown(ctx context.Context, channel, address string) (bool, error)
	HoldForNumber(ctx context.Context, channel, account string, body []byte) error
	UnknownNumbers(ctx context.Context) ([]store.UnknownHeld, error)
	HeldFor(ctx context.Context, channel, account string) ([]store.HeldDelivery, error)
	MarkReplayed(ctx context.Context, id int64) error
}

var _ numberGate = (*store.Store)(nil)

// holdUnknown takes out of d the messages sent to a phone_number_id the
// operator did not declare (once any Cloud API number is declared: with
// none, every number is the installation's, as with one number). The
// whole body is held once per such number, for ReplayHeld, with an error
// in the log that names the number (an operator's fault, not a
// prospect's: nothing is answered under no brand, nothing is lost).
// replay: the body is a held one being replayed; its other numbers' messages
// are held under their own rows already.
func (c *CloudAPI) holdUnknown(ctx context.Context, d delivery, body []byte, replay bool) (delivery, error) {
	g, ok := c.store.(numberGate)
	if !ok || len(d.messages) == 0 {
		return d, nil
	}
	known := map[string]bool{}
	for _, in := range d.messages {
		if _, seen := known[in.Account]; seen {
			continue
		}
		k, cached := c.bot.cachedKnown(ctx, CloudChannel, in.Account)
		var err error
		if !cached || replay { // a replay asks the store: it must not drop what it marks replayed
			k, err = g.NumberKnown(ctx, CloudChannel, in.Account)
		}
		if err != nil {
			c.log.Error("numbers not read; delivery not stored", "err", err)
			return d, err
		}
		known[in.Account] = k
		if k || replay {
			continue
		}
		if err := g.HoldForNumber(ctx, CloudChannel, in.Account, body); err != nil {
			c.log.Error("delivery for an undeclared number not held", numberAttr(in.Account), "err", err)
			return d, err
		}
		c.log.Error("delivery for a phone_number_id no number declares: held, not answered; declare it (--numbers or the numbers page) and it is answered",
			numberAttr(in.Account))
	}
	var keep delivery = d
	keep.messages, keep.who = nil, nil
	for i, in := range d.messages {
		if known[in.Account] {
			keep.messages, keep.who = append(keep.messages, in), append(keep.who, d.who[i])
		}
	}
	return keep, nil
}

// ReplayHeld applies the deliveries held for numbers declared since, and
// returns how many it replayed. Each message is still applied exactly once
// (its inbound key), so a replay by two servers at once answers nothing twice.
func (c *CloudAPI) ReplayHeld(ctx context.Context) (int, error) {
	g, ok := c.store.(numberGate)
	if !ok {
		return 0, nil
	}
	unknown, err := g.UnknownNumbers(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, u := range unknown {
		if u.Channel != CloudChannel {
			continue
		}
		if k, err := g.NumberKnown(ctx, u.Channel, u.Account); err != nil || !k {
			if err != nil {
				return n, err
			}
			continue
		}
		held, err := g.HeldFor(ctx, u.Channel, u.Account)
		if err != nil {
			return n, err
		}
		c.bot.forgetBrands() // declared since the bot last read the numbers: answered as its brand, not the installation's
		for _, h := range held {
			if err := c.replayOne(ctx, g, h); err != nil {
				return n, err
			}
			n++
		}
		c.log.Info("held deliveries of a declared number answered", numberAttr(u.Account), "deliveries", len(held))
	}
	if n > 0 {
		c.Wake()
	}
	return n, nil
}

func (c *CloudAPI) replayOne(ctx context.Context, g numberGate, h store.HeldDelivery) error {
	d, err := parseDelivery(h.Body)
	if err != nil { // it parsed when it was held: this build reads it no more
		return fmt.Errorf("held delivery %d: %w", h.ID, err)
	}
	if d, err = c.holdUnknown(ctx, d, h.Body, true); err != nil {
		return err
	}
	if err := c.apply(ctx, d); err != nil {
		return fmt.Errorf("held delivery %d: %w", h.ID, err)
	}
	return g.MarkReplayed(ctx, h.ID)
}

// numberAttr logs a Cloud API phone_number_id in full: it is Meta's id of
// the agency's own number, not a person's, and the operator must be able to
// find it in WhatsApp Manager. As a number it passes the log redaction
// (bot/redact masks digit runs in strings, which would hide it).
func numberAttr(id string) slog.Attr {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return slog.Int64("phone_number_id", n)
	}
	return slog.String("phone_number_id", id)
}
