package redact

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestPhones(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+573001112233", "***33"},
		{"573001112233@s.whatsapp.net", "***33@s.whatsapp.net"},
		{"123456789012345@lid", "***45@lid"},
		{"llamar al +57 300 111-2233 hoy", "llamar al ***33 hoy"},
		{"3001112233", "***33"},
		{"contact 42, lead 7, 20 msgs", "contact 42, lead 7, 20 msgs"},
		{"bsuid:CO.1502576394655843", "bsuid:CO.***43"},
		{"user US.ENT.11815799212886844830 moved", "user US.***30 moved"},
		{"recipient CO.ab12cd34ef56 unknown", "recipient CO.***56 unknown"},
		{"OK.done, go.mau.fi/whatsmeow", "OK.done, go.mau.fi/whatsmeow"},
		{"2026-03-02T10:00:00-05:00", "2026-03-02T10:00:00-05:00"},
		{"timeout after 1500ms; +05:00", "timeout after 1500ms; +05:00"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Phones(tt.in); got != tt.want {
			t.Errorf("Phones(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

type person struct{ name, phone string }

// LogValue logs the whole person, the mistake the handler must catch.
func (p person) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", p.name), slog.String("phone", p.phone))
}

type jid string

func (j jid) String() string { return string(j) + "@s.whatsapp.net" }

func TestHandlerRedacts(t *testing.T) {
	tests := []struct {
		name    string
		log     func(l *slog.Logger)
		want    []string // in the output
		notWant []string // never in the output
	}{
		{"sensitive keys", func(l *slog.Logger) {
			l.Info("lead", "name", "Carlos Andrés", "text", "me llamo carlos", "lead_id", 7, "prospect_phone", "3001112233")
		}, []string{`"lead_id":7`, `"name":"[redacted]"`}, []string{"Carlos", "carlos", "3001112233"}},
		{"WhatsApp username and BSUID", func(l *slog.Logger) {
			l.Info("identified", "username", "@carlitos.mde", "bsuid", "CO.ab12cd34ef56", "err", errors.New("contact bsuid:CO.1502576394655843"))
		}, []string{`"username":"[redacted]"`}, []string{"carlitos", "ab12cd34ef56", "1502576394655843"}},
		{"phone in a message and a value", func(l *slog.Logger) {
			l.Warn("send to +573001112233 failed", "err", errors.New("graph: recipient 573001112233 unknown"))
		}, []string{"***33"}, []string{"573001112233"}},
		{"LogValuer and group", func(l *slog.Logger) {
			l.Info("x", "who", person{"Ana Gómez", "+573004445566"}, slog.Group("req", "phone", "+573004445566", "route", "/leads/:id"))
		}, []string{`"route":"/leads/:id"`}, []string{"Ana", "4445566"}},
		{"Stringer and With", func(l *slog.Logger) {
			l.With("jid", "573001112233@s.whatsapp.net", "chat", jid("573007778899")).Info("m")
		}, []string{"***99@s.whatsapp.net"}, []string{"573001112233", "7778899"}},
		{"with group", func(l *slog.Logger) {
			l.WithGroup("g").Info("m", "body", "hola, soy Beatriz", "n", 3, "at", time.Unix(0, 0).UTC())
		}, []string{`"n":3`, `"at":"1970-01-01T00:00:00Z"`}, []string{"Beatriz"}},
		{"state names stay", func(l *slog.Logger) {
			l.Info("whatsapp channel state", "state", "logged_out", "from", "connected")
		}, []string{`"from":"connected"`, `"state":"logged_out"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(slog.New(Handler(slog.NewJSONHandler(&buf, nil))))
			out := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %s:\n%s", w, out)
				}
			}
			for _, n := range tt.notWant {
				if strings.Contains(out, n) {
					t.Errorf("output contains %q:\n%s", n, out)
				}
			}
		})
	}
}

func TestHandlerKeepsLevels(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(Handler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})))
	l.Info("hidden")
	l.Warn("shown")
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), "shown") {
		t.Errorf("levels not honoured:\n%s", buf.String())
	}
	if fmt.Sprint(l.Enabled(t.Context(), slog.LevelInfo)) != "false" {
		t.Error("Enabled(info) under a warn handler")
	}
}
