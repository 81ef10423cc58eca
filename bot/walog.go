package bot

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"

	waLog "go.mau.fi/whatsmeow/util/log"
)

// waLogger adapts slog to whatsmeow's logger interface. whatsmeow formats
// its own messages and they contain JIDs (phone numbers), so runs of 7 or
// more digits are masked before anything is written (STYLE 2.10).
type waLogger struct{ l *slog.Logger }

// NewWALogger returns a whatsmeow logger writing to l with phone numbers masked.
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
	w.l.Log(context.Background(), level, maskPhones(fmt.Sprintf(format, args...)))
}

var digitRun = regexp.MustCompile(`\d{7,}`)

// maskPhones keeps the last two digits of every run of seven or more.
func maskPhones(s string) string {
	return digitRun.ReplaceAllStringFunc(s, func(d string) string {
		return "***" + d[len(d)-2:]
	})
}
