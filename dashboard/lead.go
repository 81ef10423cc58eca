package dashboard

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// leadStore is what the lead page and its actions need.
type leadStore interface {
	Lead(ctx context.Context, id int64) (store.LeadDetail, error)
	ActOnLead(ctx context.Context, id int64, a store.LeadAction) error
	Users(ctx context.Context) ([]store.User, error) // whom a lead can be assigned to
	UserByID(ctx context.Context, id int64) (store.User, error)
}

type leadPage struct {
	page
	L         store.LeadDetail
	Open      bool // only an open lead has a countdown
	Overdue   bool
	Left      string
	WA        string
	Advisors  []store.User
	Value     int64 // expected revenue, 0 when unknown
	Reasons   []reasonLine
	Chance    string // the probability in words
	ModelName string
	Timeline  []timelineItem
	// Others are the further services the prospect named, as labels
	// ("Pauta digital (anuncios), SEO"); "" when they named one.
	Others string
	Form   leadForm
	// Masked: an advisor who sees only their own leads' personal data looks
	// at an unassigned lead: no name, number, conversation or consent.
	Masked bool
	// CanWork: the actions show (advisor or admin, not erased, and not
	// another advisor's lead under --advisor-scope own).
	CanWork bool
	I18n    string
	// FollowUps are the templates an advisor may follow the lead up with
	// (followup.go): only once the 24-hour window has closed.
	FollowUps []followUpOption
}

// leadForm keeps what the advisor typed and the error to show beside it,
// when an action is refused.
type leadForm struct {
	Value, Fee, Reason, Note string
	Err, Field               string // Field: value, fee, reason, note
}

func leadID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

// ownOnly is the advisor's user ID when the installation shows advisors
// only their own leads' personal data (--advisor-scope own), else 0.
func (s *Server) ownOnly(c echo.Context) int64 {
	sess := sessionOf(c)
	if s.advisorScope != ScopeOwn || sess == nil || sess.User.Role != RoleAdvisor {
		return 0
	}
	return sess.User.ID
}

// loadLead reads lead id and checks the session may see it: an advisor
// limited to their own leads gets 403 for another advisor's lead, and an
// unassigned one masked.
func (s *Server) loadLead(c echo.Context, id int64) (store.LeadDetail, bool, error) {
	d, err := s.leads.Lead(c.Request().Context(), id)
	if err != nil {
		return d, false, err
	}
	me := s.ownOnly(c)
	switch {
	case me == 0 || d.AdvisorID == me:
		return d, false, nil
	case d.AdvisorID == 0:
		return d, true, nil
	}
	s.audit(c, "forbidden", "lead:"+strconv.FormatInt(id, 10), "advisor scope own")
	return d, false, echo.ErrForbidden
}

func (s *Server) leadPage(c echo.Context) error {
	id, err := leadID(c)
	if err != nil {
		return err
	}
	return s.renderLead(c, id, http.StatusOK, leadForm{})
}

// renderLead shows lead id, with form's typed values and error when an
// action was refused (status 422).
func (s *Server) renderLead(c echo.Context, id int64, code int, form leadForm) error {
	d, masked, err := s.loadLead(c, id)
	if err != nil {
		return err
	}
	// Viewing a person's data is a sensitive action (audit: who saw whom).
	s.audit(c, "lead_viewed", "lead:"+strconv.FormatInt(id, 10), "")
	users, err := s.leads.Users(c.Request().Context())
	if err != nil {
		return err
	}
	lang := langOf(c)
	now := s.now()
	p := leadPage{page: s.basePage(c, lang), L: d, WA: waLink(d.Phone), Open: d.Status == "open", Value: s.value(d.QueueRow),
		Form: form, Masked: masked, I18n: countdownWords(lang), ModelName: modelName(lang, store.KindLead, d.Lead.Score.Model)}
	if p.Open {
		p.Overdue, p.Left = d.DeadlineAt.Before(now), timeLeft(lang, d.DeadlineAt.Sub(now))
	}
	p.CanWork = p.CanAct && !d.Erased && (!masked || d.AdvisorID == 0)
	p.Reasons, p.Chance = s.reasonLines(lang, d), chanceWords(lang, d.Lead.Score)
	p.Others = s.serviceLabels(d.Lead.Lead.OtherServices, lang)
	if masked {
		p.L.Name, p.L.Phone, p.WA, p.L.Transcript, p.L.Consent = "", "", "", nil, nil
	}
	p.Timeline = timeline(lang, p.L)
	if p.CanWork {
		p.FollowUps = s.followUps(lang, d, sessionOf(c).User.Username)
	}
	p.Title = T(lang, "lead.title") + " #" + strconv.FormatInt(id, 10)
	for _, u := range users {
		if u.Active && u.Role != RoleViewer {
			p.Advisors = append(p.Advisors, u)
		}
	}
	return c.Render(code, "lead", p)
}

// serviceLabels names catalogue keys in lang, comma-separated.
func (s *Server) serviceLabels(keys []string, lang string) string {
	labels := make([]string, len(keys))
	for i, k := range keys {
		labels[i] = s.services.Label(k, lang)
	}
	return strings.Join(labels, ", ")
}

// workable checks that the session may act on lead id beyond taking it:
// not another advisor's lead nor an unassigned one not taken yet under
// --advisor-scope own (403), not an erased person's (409).
func (s *Server) workable(c echo.Context, id int64) error {
	d, masked, err := s.loadLead(c, id)
	if err != nil {
		return err
	}
	if masked {
		return echo.ErrForbidden
	}
	if d.Erased {
		return echo.NewHTTPError(http.StatusConflict, T(langOf(c), "lead.erased"))
	}
	return nil
}

// act applies one action and sends the browser back where it came from
// (the queue or the lead page); scripts get 204. A refused action shows
// the lead page again with the reason beside the field.
func (s *Server) act(c echo.Context, a store.LeadAction) error {
	id, err := leadID(c)
	if err != nil {
		return err
	}
	d, masked, err := s.loadLead(c, id)
	if err != nil {
		return err
	}
	if masked && !(a.Kind == "assign" && a.AssignTo == sessionOf(c).User.ID && d.AdvisorID == 0) {
		return echo.ErrForbidden // an unassigned lead is taken before it is worked
	}
	a.ByUser = sessionOf(c).User.ID
	if err := s.leads.ActOnLead(c.Request().Context(), id, a); err != nil {
		if errors.Is(err, store.ErrErased) {
			return echo.NewHTTPError(http.StatusConflict, T(langOf(c), "lead.erased"))
		}
		return err
	}
	s.audit(c, "lead_"+a.Kind, "lead:"+strconv.FormatInt(id, 10), "")
	if c.Request().Header.Get(csrfHeader) != "" {
		return c.NoContent(http.StatusNoContent)
	}
	back := "/leads/" + strconv.FormatInt(id, 10)
	if c.FormValue("back") == "queue" {
		back = "/"
	}
	return c.Redirect(http.StatusSeeOther, back)
}

// refuse shows the lead page again with what was typed and why it was refused.
func (s *Server) refuse(c echo.Context, form leadForm, field, key string) error {
	id, err := leadID(c)
	if err != nil {
		return err
	}
	form.Field, form.Err = field, T(langOf(c), key)
	if c.Request().Header.Get(csrfHeader) != "" || !acceptsHTML(c) {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, form.Err)
	}
	return s.renderLead(c, id, http.StatusUnprocessableEntity, form)
}

func (s *Server) takeLead(c echo.Context) error {
	return s.act(c, store.LeadAction{Kind: "assign", AssignTo: sessionOf(c).User.ID})
}

func (s *Server) assignLead(c echo.Context) error {
	to, err := strconv.ParseInt(c.FormValue("advisor"), 10, 64)
	if err != nil || to < 0 {
		return echo.ErrBadRequest
	}
	if to > 0 {
		u, err := s.leads.UserByID(c.Request().Context(), to)
		if err != nil || !u.Active || u.Role == RoleViewer {
			return echo.ErrBadRequest
		}
	}
	return s.act(c, store.LeadAction{Kind: "assign", AssignTo: to})
}

func (s *Server) markContacted(c echo.Context) error {
	return s.act(c, store.LeadAction{Kind: "contacted"})
}

// markWon reads the value as the bot reads a budget ("3 millones",
// "$3.000.000", "3M", "2,5 millones"): one amount, in pesos.
func (s *Server) markWon(c echo.Context) error {
	form := leadForm{Value: c.FormValue("value"), Fee: c.FormValue("fee")}
	v, ok := parseAmount(form.Value, s.usdCOP)
	if !ok {
		return s.refuse(c, form, "value", "lead.value_invalid")
	}
	// The won lead becomes a customer paying fee a month (the value when no fee is given).
	var fee int64
	if strings.TrimSpace(form.Fee) != "" {
		if fee, ok = parseAmount(form.Fee, s.usdCOP); !ok {
			return s.refuse(c, form, "fee", "lead.value_invalid")
		}
	}
	return s.act(c, store.LeadAction{Kind: "won", ValueCOP: v, FeeCOP: fee})
}

func (s *Server) markLost(c echo.Context) error {
	form := leadForm{Reason: c.FormValue("reason")}
	reason, ok := lostReason(form.Reason)
	if !ok {
		return s.refuse(c, form, "reason", "lead.reason_invalid")
	}
	return s.act(c, store.LeadAction{Kind: "lost", Detail: reason})
}

// lostReason is a lost lead's reason, trimmed: 1 to 500 characters (the
// lead page and the API share this rule).
func lostReason(text string) (string, bool) {
	reason := strings.TrimSpace(text)
	return reason, reason != "" && len([]rune(reason)) <= 500
}

func (s *Server) addNote(c echo.Context) error {
	form := leadForm{Note: c.FormValue("note")}
	note := strings.TrimSpace(form.Note)
	if note == "" || len([]rune(note)) > 2000 {
		return s.refuse(c, form, "note", "lead.note_invalid")
	}
	return s.act(c, store.LeadAction{Kind: "note", Detail: note})
}

// parseAmount reads one amount of pesos with the bot's own budget parser
// (flow.ParseBudget), so the won value accepts what a prospect's budget
// does; a range, "no sé" or an amount above 10 billion pesos is refused.
func parseAmount(text string, usdCOP float64) (int64, bool) {
	if len(text) > 60 {
		return 0, false
	}
	a := flow.ParseBudget(text, usdCOP)
	b := a.Budget
	if !a.OK || b.Unknown || b.MinCOP != b.MaxCOP || !validAmount(b.MaxCOP) {
		return 0, false
	}
	return b.MaxCOP, true
}

// validAmount bounds a won value or monthly fee: at least one peso, at
// most 10 billion (more is a typo), for the lead page and the API alike.
func validAmount(cop int64) bool { return cop > 0 && cop <= 1e13 }

// timelineItem is one line of a lead's history: a message either way, an
// advisor's action, a notification to an advisor, a consent answer, an
// event of the conversation. New kinds (an advisor writing from this page,
// a prospect asking when they will be called) are one more case in
// timeline and one more block in lead.html.
type timelineItem struct {
	At     time.Time
	Kind   string // in, out, event, notice, consent, bot
	Label  string // what happened, in words
	Who    string // the advisor, when one acted
	Body   string // a message's text, a note, a lost reason
	Value  int64  // won: the value
	Status string // out: pending, sent, failed, cancelled
}

// timeline merges a lead's messages, advisors' actions, notifications,
// consent answers and conversation events, oldest first.
func timeline(lang string, d store.LeadDetail) []timelineItem {
	var out []timelineItem
	for _, m := range d.Transcript {
		it := timelineItem{At: m.At, Kind: "out", Body: m.Body, Status: m.Status}
		if m.Inbound {
			it.Kind = "in"
		}
		switch {
		case m.Kind == "text":
		case m.Kind == "audio" && m.Body != "": // a transcribed voice note
			it.Body = "🎤 " + T(lang, "lead.voice_note") + " «" + m.Body + "»"
		case m.Kind == "reaction" && m.Body != "":
			it.Body = T(lang, "lead.reaction") + " " + m.Body
		default:
			it.Body = T(lang, "msgkind."+m.Kind)
			if strings.HasPrefix(it.Body, "msgkind.") {
				it.Body = T(lang, "msgkind.other")
			}
		}
		out = append(out, it)
	}
	for _, cr := range d.Consent {
		label := T(lang, "timeline.consent_no")
		if cr.Accepted {
			label = T(lang, "timeline.consent_yes")
		}
		out = append(out, timelineItem{At: cr.At, Kind: "consent", Label: label + " · " + T(lang, "lead.policy") + " " + cr.PolicyVersion})
	}
	for _, e := range d.Events {
		it := timelineItem{At: e.At, Kind: "event", Label: T(lang, "event."+e.Kind), Who: e.User, Value: e.ValueCOP}
		switch {
		case e.Detail == "whatsapp_phone": // the advisor wrote from the agency's phone (issue 23)
			it.Label += " · " + T(lang, "event.whatsapp_phone")
		case e.Kind == "note" || e.Kind == "lost" || e.Kind == "message" || e.Kind == "follow_up" ||
			e.Kind == "meta_event" || e.Kind == "meta_event_failed":
			it.Body = e.Detail
		}
		out = append(out, it)
	}
	for _, n := range d.Notices {
		out = append(out, timelineItem{At: n.At, Kind: "notice", Label: T(lang, "notice."+n.Kind) + " · " + T(lang, "notice.status."+n.Status), Who: n.User})
	}
	for _, e := range d.BotEvents {
		label := T(lang, "botevent."+e.Kind)
		if strings.HasPrefix(label, "botevent.") {
			label = T(lang, "botevent.other")
		}
		it := timelineItem{At: e.At, Kind: "bot", Label: label}
		if at, err := time.Parse(time.RFC3339, e.Detail); err == nil && e.Kind == string(flow.EventAskedForCall) {
			it.Body = at.In(bogota).Format("2006-01-02 15:04") // the new time promised
		}
		out = append(out, it)
	}
	// At the same instant: the prospect's message, what it caused, the reply.
	rank := map[string]int{"in": 0, "consent": 1, "event": 2, "bot": 3, "out": 4, "notice": 5}
	sort.SliceStable(out, func(a, b int) bool {
		if !out[a].At.Equal(out[b].At) {
			return out[a].At.Before(out[b].At)
		}
		return rank[out[a].Kind] < rank[out[b].Kind]
	})
	return out
}
