package bot

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"google.golang.org/protobuf/proto"

	"github.com/cis-agencia/cis/store"
)

// noticeStore is the part of *store.Store the advisor notifier uses.
type noticeStore interface {
	SweepDeadlines(ctx context.Context, before time.Duration, reassign bool) (reminders, reassigned int, err error)
	PendingNotifications(ctx context.Context, limit int) ([]store.Notification, error)
	ClaimNotification(ctx context.Context, id int64) (bool, error)
	ReleaseNotificationOrphans(ctx context.Context) (int64, error)
	NotificationSent(ctx context.Context, id int64) error
	NotificationUnconfirmed(ctx context.Context, id int64, reason string) error
	NotificationFailed(ctx context.Context, id int64, maxAttempts int, reason string) error
}

var _ noticeStore = (*store.Store)(nil)

// NotifierConfig tunes advisor notifications.
type NotifierConfig struct {
	RemindBefore time.Duration                           // reminder this long before an uncontacted lead's deadline; default 10 min
	Reassign     bool                                    // a missed deadline moves the lead to the next advisor
	Text         func(key string, args ...string) string // the catalogue (flow.Machine.Text)
	Loc          *time.Location                          // time zone of the deadline shown; default UTC
	// Via, with several linked devices, is the number (digits) whose
	// device this notifier sends through: it sends only the notifications
	// routed to it (store.PendingNotificationsVia: the lead's own number,
	// else one of the advisor's). "" sends every notification (one device).
	Via string
	// NoSweep leaves the deadline sweep (reminders, reassignments) to
	// RunSweeps: with several devices, a periodic job of the cluster.
	NoSweep bool
}

// viaNotices is implemented by a store that lists the notifications of
// one linked-device number (*store.Store).
type viaNotices interface {
	PendingNotificationsVia(ctx context.Context, number string, limit int) ([]store.Notification, error)
}

var _ viaNotices = (*store.Store)(nil)

// Notifier tells advisors about their leads over WhatsApp: the assignment
// (round robin, decided in the lead's own transaction), a reminder before
// the deadline of a lead still uncontacted, and a reassignment when the
// deadline passed. Each notification is queued once in the store, so a
// repeated sweep never notifies twice; each is claimed before it is sent and
// marked right after, and one a crash cut is not sent again (the lead is on
// the advisor's queue page either way; store/sending.go).
type Notifier struct {
	cfg   NotifierConfig
	store noticeStore
	send  func(ctx context.Context, id int64, phone, text string) error
	log   *slog.Logger
}

// NewNotifier returns a notifier that sends through send; id is the
// notification's own, the same on every attempt (WhatsApp.Notify derives
// the message id from it, so that a retry is the same message).
func NewNotifier(st noticeStore, send func(ctx context.Context, id int64, phone, text string) error, cfg NotifierConfig, log *slog.Logger) (*Notifier, error) {
	if st == nil || send == nil || cfg.Text == nil {
		return nil, errors.New("notifier: store, sender and catalogue are required")
	}
	if cfg.RemindBefore == 0 {
		cfg.RemindBefore = 10 * time.Minute
	}
	if cfg.Loc == nil {
		cfg.Loc = time.UTC
	}
	if _, ok := st.(viaNotices); cfg.Via != "" && !ok {
		return nil, errors.New("notifier: this store cannot list one number's notifications")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{cfg: cfg, store: st, send: send, log: log}, nil
}

// Once sweeps the deadlines and sends what is due; it returns how many
// notifications went out.
func (n *Notifier) Once(ctx context.Context) (int, error) {
	if !n.cfg.NoSweep {
		if err := n.Sweep(ctx); err != nil {
			return 0, err
		}
	}
	due, err := n.pending(ctx)
	if err != nil {
		return 0, err
	}
	msgs := make([]store.Outgoing, len(due))
	for i, x := range due {
		msgs[i] = store.Outgoing{ID: x.ID, To: x.Advisor.Phone, Body: n.text(x)}
	}
	snd := &sender{channel: "notice", idKey: "notification_id", claims: notices{n.store}, log: n.log, now: time.Now,
		failMsg: "advisor notification failed"}
	p, err := snd.drain(ctx, msgs, func(_ context.Context, o store.Outgoing) (deliverFunc, error) {
		return func(ctx context.Context) (string, error) { return "", n.send(ctx, o.ID, o.To, o.Body) }, nil
	})
	return p.sent, err
}

// Sweep queues the reminders and reassignments now due (Once does it
// first unless NoSweep).
func (n *Notifier) Sweep(ctx context.Context) error {
	r, m, err := n.store.SweepDeadlines(ctx, n.cfg.RemindBefore, n.cfg.Reassign)
	if err != nil {
		return err
	}
	if r+m > 0 {
		n.log.Info("lead deadlines swept", "reminders", r, "reassigned", m)
	}
	return nil
}

// RunSweeps calls Sweep every interval until ctx ends. With several
// linked devices it runs as a periodic job of its own, once per cluster
// (a reassignment must not be decided twice), while each device's notifier
// only sends (NoSweep); it needs no device connected.
func (n *Notifier) RunSweeps(ctx context.Context, every time.Duration) error {
	return repeat(ctx, every, func() error {
		if err := n.Sweep(ctx); err != nil && ctx.Err() == nil {
			n.log.Error("lead deadlines not swept", "err", err)
		}
		return nil
	})
}

// pending are the notifications this notifier sends (NotifierConfig.Via).
func (n *Notifier) pending(ctx context.Context) ([]store.Notification, error) {
	if n.cfg.Via == "" {
		return n.store.PendingNotifications(ctx, 50)
	}
	return n.store.(viaNotices).PendingNotificationsVia(ctx, n.cfg.Via, 50)
}

// notices are the advisors' notifications (lead_notices) as the sender
// records them. Their resend policy is their own (store/sending.go): one
// that may have reached the advisor is never sent again, and the store
// counts the attempts of one that failed.
type notices struct{ st noticeStore }

var _ claims = notices{}

func (x notices) claim(ctx context.Context, done []store.Sent, id int64) (bool, error) {
	if err := x.confirm(ctx, done); err != nil {
		return false, err
	}
	return x.st.ClaimNotification(ctx, id)
}

func (x notices) confirm(ctx context.Context, done []store.Sent) error {
	for _, d := range done {
		if err := x.st.NotificationSent(ctx, d.ID); err != nil {
			return err
		}
	}
	return nil
}

// unclaim cannot put a notification back untouched: it counts as a failed
// attempt (no channel of notifications reports errNotTried).
func (x notices) unclaim(ctx context.Context, id int64) error {
	return x.st.NotificationFailed(ctx, id, maxAttempts, "not sent")
}

func (x notices) uncertain(ctx context.Context, id int64, _ time.Time, reason string) (bool, error) {
	return false, x.st.NotificationUnconfirmed(ctx, id, reason)
}

func (x notices) retry(ctx context.Context, id int64, _ time.Time, reason string) error {
	return x.st.NotificationFailed(ctx, id, maxAttempts, reason)
}

func (x notices) fail(ctx context.Context, id int64, reason string) error {
	return x.st.NotificationFailed(ctx, id, maxAttempts, reason)
}

// text is the notification in the agency's language. A lead whose person
// hid their number and left none to call is marked "solo WhatsApp", so the
// advisor writes instead of looking for a number; a number itself is never
// put in the notification (the lead page shows it, audited, to whom may see it).
func (n *Notifier) text(x store.Notification) string {
	l := x.Lead.Lead
	text := n.cfg.Text("advisor_"+x.Kind, "advisor", x.Advisor.Name, "name", l.Name, "class", string(x.Lead.Score.Class),
		"city", l.City.Name, "service", l.Service, "deadline", x.Lead.DeadlineAt.In(n.cfg.Loc).Format("15:04 02/01"))
	if x.SoloWhatsApp() {
		text += " " + n.cfg.Text("advisor_solo_whatsapp")
	}
	return text
}

// Run calls Once every interval until ctx ends. Notifications a previous
// process claimed and never marked are first marked unconfirmed.
func (n *Notifier) Run(ctx context.Context, every time.Duration) error {
	if c, err := n.store.ReleaseNotificationOrphans(ctx); err != nil {
		return err
	} else if c > 0 {
		n.log.Warn("advisor notifications cut by a crash; not sent again", "count", c)
	}
	return repeat(ctx, every, func() error {
		if _, err := n.Once(ctx); err != nil && ctx.Err() == nil {
			n.log.Error("advisor notifications failed", "err", err)
		}
		return nil
	})
}

// Notify sends text to an advisor (the agency's own staff, configured by
// the operator: not a stranger) through the linked device, paced with the
// replies. The message id derives from the notification id, so a retry
// after a lost answer is recognisable as the same message. A resend the
// advisor's phone asks for is answered from whatsmeow's memory of recent
// messages; after a restart it is not (MessageForRetry serves replies only).
func (w *WhatsApp) Notify(ctx context.Context, id int64, phone, text string) error {
	w.mu.Lock()
	c, stopped, account := w.client, w.stopSend, w.account
	w.mu.Unlock()
	if c == nil || stopped || !c.IsConnected() || !c.IsLoggedIn() {
		return errNotConnected
	}
	to, err := replyJID(phone)
	if err != nil {
		return err
	}
	if err := w.pace(ctx, phone); err != nil {
		return err
	}
	msgID := noticeID(account, id)
	if _, err := c.SendMessage(ctx, to, &waE2E.Message{Conversation: proto.String(text)}, whatsmeow.SendRequestExtra{ID: msgID}); err != nil {
		return err
	}
	w.recordSent(phone)
	w.rememberSent(msgID)
	return nil
}
