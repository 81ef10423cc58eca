package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// LoadAuditStore is what auditing a load test reads from the server's
// store; *store.Store satisfies it.
type LoadAuditStore interface {
	DeliveryAudit(ctx context.Context, channel string) (store.DeliveryAudit, error)
	ReplyRows(ctx context.Context, channel string) ([]store.ReplyRow, error)
	Stats(ctx context.Context) (store.Stats, error)
	Completion(ctx context.Context, channel string) (conversations, completed int, err error)
	CheckInvariants(ctx context.Context, e store.Expect) ([]store.Violation, error)
}

// LoadAudit is what a load test left, to be checked against the store.
type LoadAudit struct {
	Graph    *FakeGraph
	Accepted []string // message ids the webhook acknowledged
	// Step replays a conversation (the bot's flow step) for the invariant check.
	Step     func(flow.State, flow.Inbound, time.Time) flow.Result
	Before   store.Snapshot // the snapshot taken after the last kill; nil: none
	InFlight map[int64]bool // the replies a kill cut
}

// AuditLoad fills the figures of rep that need the store and the Graph API
// fake, and runs the invariant checker (I1–I5, C2).
func AuditLoad(ctx context.Context, st LoadAuditStore, la LoadAudit, rep *LoadReport) error {
	au, err := st.DeliveryAudit(ctx, CloudChannel)
	if err != nil {
		return err
	}
	rep.Unprocessed = au.Unprocessed
	rep.RepliesSent, _ = la.Graph.Count()
	rep.RepliesPending = au.Outbox["pending"] + au.Outbox["sending"]
	sends := la.Graph.PerOutbox()
	rows, err := st.ReplyRows(ctx, CloudChannel)
	if err != nil {
		return err
	}
	countSends(rows, sends, la.InFlight, rep)
	stats, err := st.Stats(ctx)
	if err != nil {
		return err
	}
	rep.ConsentNotCounted = stats.ConsentUnshown
	if rep.Conversations, rep.Completed, err = st.Completion(ctx, CloudChannel); err != nil {
		return err
	}
	vs, err := st.CheckInvariants(ctx, store.Expect{Channel: CloudChannel, Accepted: la.Accepted,
		Drained: rep.RepliesPending == 0, Sends: sends, Step: la.Step, Before: la.Before})
	if err != nil {
		return err
	}
	rep.Violations = []string{}
	rep.Lost = 0
	for _, v := range vs {
		switch v.Invariant {
		case "I1":
			rep.Lost++ // an acknowledged message not in the log
		case "C2":
			rep.ConsentNoText++
		}
		rep.Violations = append(rep.Violations, v.String())
	}
	return nil
}

// countSends compares the outbox rows with what the Graph API received.
func countSends(rows []store.ReplyRow, sends map[int64]int, inFlight map[int64]bool, rep *LoadReport) {
	rep.NeverSent, rep.NeverSentOther, rep.RepliesResent, rep.DuplicateReplies = 0, 0, 0, 0
	for _, r := range rows {
		n := sends[r.ID]
		switch {
		case n == 0 && r.Status != "cancelled":
			rep.NeverSent++
			if !inFlight[r.ID] {
				rep.NeverSentOther++
			}
		case n > 1 && r.Resend && n-1 <= r.Resends:
			rep.RepliesResent += n - 1
		case n > 1:
			rep.DuplicateReplies++
		}
	}
}

// WriteText prints the report for a person; withStore adds the figures
// that need the store and the Graph API fake (an in-process run).
func (rep LoadReport) WriteText(w io.Writer, withStore bool) {
	fmt.Fprintf(w, "messages %d in %.1f s: %.0f msg/s; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n"+
		"deliveries %d (%d duplicated, %d reordered); lost %d, duplicate replies %d, database locked %d, refused deliveries %d, replies sent %d (pending %d)\n",
		rep.Messages, rep.Seconds, rep.ThroughputPerS, rep.P50ms, rep.P99ms, rep.Maxms,
		rep.Deliveries, rep.Duplicated, rep.Reordered,
		rep.Lost, rep.DuplicateReplies, rep.DBLockedErrors, rep.Refused, rep.RepliesSent, rep.RepliesPending)
	if !withStore {
		return
	}
	fmt.Fprintf(w, "kills %d (replies in flight at the kills %d); never sent %d (%d not in flight at a kill); "+
		"questions resent %d; consent answers not counted %d, consent without a sent text %d; conversations %d, completed %d\n",
		rep.Kills, rep.InFlightAtKills, rep.NeverSent, rep.NeverSentOther, rep.RepliesResent,
		rep.ConsentNotCounted, rep.ConsentNoText, rep.Conversations, rep.Completed)
	fmt.Fprintf(w, "invariant violations (I1–I5): %d\n", len(rep.Violations))
	for _, v := range rep.Violations {
		fmt.Fprintf(w, "  %s\n", v)
	}
}

// WaitGraphQuiet waits until g received nothing new for quiet (the server
// drained its outbox), at most limit.
func WaitGraphQuiet(ctx context.Context, g *FakeGraph, quiet, limit time.Duration) {
	deadline := time.Now().Add(limit)
	last, since := -1, time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if n, _ := g.Count(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= quiet {
			return
		}
		time.Sleep(50 * time.Millisecond) // observing another process
	}
}

// LockCounter counts log records that mention SQLite's "database is
// locked" (or busy): a load test must see none.
type LockCounter struct{ n atomic.Int64 }

// Count is how many such records passed.
func (l *LockCounter) Count() int { return int(l.n.Load()) }

// Wrap returns h counting through l; every record is inspected, whatever
// h's level.
func (l *LockCounter) Wrap(h slog.Handler) slog.Handler { return lockHandler{h, l} }

type lockHandler struct {
	slog.Handler
	c *LockCounter
}

func (h lockHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h lockHandler) Handle(ctx context.Context, r slog.Record) error {
	hit := false
	r.Attrs(func(a slog.Attr) bool {
		hit = hit || lockedIn(a.Value.String()) > 0
		return !hit
	})
	if hit {
		h.c.n.Add(1)
	}
	if h.Handler.Enabled(ctx, r.Level) {
		return h.Handler.Handle(ctx, r)
	}
	return nil
}

func (h lockHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return lockHandler{h.Handler.WithAttrs(as), h.c}
}

func (h lockHandler) WithGroup(g string) slog.Handler {
	return lockHandler{h.Handler.WithGroup(g), h.c}
}

// lockedIn counts the mentions of a locked or busy SQLite database in logs.
func lockedIn(logs string) int {
	return strings.Count(logs, "database is locked") + strings.Count(logs, "SQLITE_BUSY")
}
