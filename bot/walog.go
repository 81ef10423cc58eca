package bot

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	waLog "go.mau.fi/whatsmeow/util/log"

	"github.com/cis-agencia/cis/bot/redact"
)

// waLogger adapts slog to whatsmeow's logger interface. whatsmeow formats
// its own messages, and their arguments carry JIDs (phone numbers), push
// names ("Push name of %s changed from %s to %s") and, at debug level,
// whole protocol nodes. The format string is whatsmeow's constant text, so
// the arguments are what is redacted, before formatting (waArg); phone
// numbers left in the result (in errors) are masked after (STYLE 2.10).
type waLogger struct{ l *slog.Logger }

// NewWALogger returns a whatsmeow logger writing to l without personal data.
func NewWALogger(l *slog.Logger) waLog.Logger { return waLogger{l} }

func (w waLogger) Errorf(f string, a ...any) { w.log(slog.LevelError, f, a) }
func (w waLogger) Warnf(f string, a ...any)  { w.log(slog.LevelWarn, f, a) }
func (w waLogger) Infof(f string, a ...any)  { w.log(slog.LevelInfo, f, a) }
func (w waLogger) Debugf(f string, a ...any) { w.log(slog.LevelDebug, f, a) }
func (w waLogger) Sub(module string) waLog.Logger {
	return waLogger{w.l.With("module", module)}
}

func (w waLogger) log(level slog.Level, format string, args []any) {
	if !w.l.Enabled(context.Background(), level) {
		return // do not format what will not be written
	}
	safe := make([]any, len(args))
	for i, a := range args {
		safe[i] = waArg(a)
	}
	w.l.Log(context.Background(), level, redact.Phones(fmt.Sprintf(format, safe...)))
}

// token is what an identifier looks like (a message ID "3EB0C431D5A9…", a
// JID, a node ID "123.45-6", a version "2.3000.1"): one word with a digit.
// A name ("Carlos", "Ana María") has no digit; a node dump has spaces.
var token = regexp.MustCompile(`^[A-Za-z0-9._:@/+\-]*[0-9][A-Za-z0-9._:@/+\-]*$`)

// waArg keeps an argument that helps an operator and cannot be a name or a
// message text: numbers, durations, times, errors (whatsmeow's own text
// around IDs), and identifiers; anything else becomes "[redacted]".
func waArg(a any) any {
	switch v := a.(type) {
	case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64,
		time.Duration, time.Time, error:
		return v
	case string:
		return waString(v)
	case fmt.Stringer:
		return waString(v.String())
	}
	return redact.Redacted
}

func waString(s string) string {
	if len(s) <= 128 && token.MatchString(s) {
		return s // phone numbers in it are masked once formatted
	}
	return redact.Redacted
}
