// Package redact keeps personal data out of logs (issue 7, STYLE 2.10): a
// slog.Handler wrapper that blanks attributes whose key names personal data
// and masks phone numbers wherever they appear, and Phones for text that is
// formatted before it reaches slog (whatsmeow's log lines, error strings).
//
// Names and message texts cannot be recognised by their shape; they are kept
// out by not logging them (log contact_id, lead_id, msg_id instead) and by
// the key list below, and a test (cmd/cis TestD3...) checks the real paths.
package redact

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
)

// Redacted replaces the value of an attribute whose key names personal data.
const Redacted = "[redacted]"

// sensitiveKeys are attribute keys whose values are personal data whatever
// they look like. ("from" and "to" are not here: they name channel states.)
var sensitiveKeys = map[string]bool{
	"phone": true, "phone_number": true, "wa_id": true, "jid": true, "lid": true, "sender": true, "recipient": true,
	"name": true, "full_name": true, "push_name": true, "pushname": true, "profile_name": true,
	"text": true, "body": true, "caption": true, "message_text": true, "email": true,
	"bsuid": true, "parent_bsuid": true, "username": true, "whatsapp_username": true,
}

// sensitive reports whether key (any case) names personal data, also as the
// last part of a longer key ("prospect_phone", "reply_text").
func sensitive(key string) bool {
	k := strings.ToLower(key)
	if sensitiveKeys[k] {
		return true
	}
	return strings.HasSuffix(k, "_phone") || strings.HasSuffix(k, "_text")
}

// phoneLike matches a run of seven or more digits (a phone number, a JID's or
// LID's user part: "573001112233@s.whatsapp.net") and an international
// number written with spaces or dashes ("+57 300 111-2233"). Dates and
// times do not match: their digit groups are short and they have no "+".
var phoneLike = regexp.MustCompile(`\+\d[\d \-]{5,}\d|\d{7,}`)

// bsuidLike matches a WhatsApp business-scoped user id ("CO.1502576394655843",
// "US.ENT.118157…"): two capitals, a dot and a long alphanumeric run. The
// digits alone are caught by phoneLike; a BSUID with letters is caught here.
var bsuidLike = regexp.MustCompile(`\b[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{8,}\b`)

// Phones masks every phone-like number and business-scoped user id in s,
// keeping the last two characters so that an operator can still tell two
// apart: "***33", "CO.***k9".
func Phones(s string) string {
	s = bsuidLike.ReplaceAllStringFunc(s, func(m string) string { return m[:3] + "***" + m[len(m)-2:] })
	return phoneLike.ReplaceAllStringFunc(s, func(m string) string {
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, m)
		if len(digits) < 7 {
			return m // "+5 7-3" and the like: too short to be a number
		}
		return "***" + digits[len(digits)-2:]
	})
}

// Handler returns h with every record redacted before h sees it: the
// message and string-like values are masked with Phones, and values of
// sensitive keys (in groups too) are replaced by Redacted.
func Handler(h slog.Handler) slog.Handler { return handler{h} }

type handler struct{ next slog.Handler }

func (r handler) Enabled(ctx context.Context, l slog.Level) bool { return r.next.Enabled(ctx, l) }

func (r handler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, Phones(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(attr(a))
		return true
	})
	return r.next.Handle(ctx, out)
}

func (r handler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = attr(a)
	}
	return handler{r.next.WithAttrs(red)}
}

func (r handler) WithGroup(name string) slog.Handler { return handler{r.next.WithGroup(name)} }

// attr returns a redacted copy of a. Values of kind Any (errors, Stringers,
// structs) become masked strings: their text is all a JSON log shows anyway,
// and only as text can a phone inside them be found.
func attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve() // a LogValuer's value, so that it is redacted too
	if sensitive(a.Key) && v.Kind() != slog.KindGroup {
		return slog.String(a.Key, Redacted)
	}
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Phones(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]any, len(g))
		for i, x := range g {
			if sensitive(a.Key) {
				x = slog.String(x.Key, Redacted) // everything under "prospect_phone": {…}
			}
			red[i] = attr(x)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case nil:
			return slog.Attr{Key: a.Key, Value: v}
		case error:
			return slog.String(a.Key, Phones(x.Error()))
		default:
			return slog.String(a.Key, Phones(fmt.Sprint(x)))
		}
	}
	return slog.Attr{Key: a.Key, Value: v} // numbers, booleans, times, durations
}
