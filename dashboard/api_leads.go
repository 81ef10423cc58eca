package dashboard

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/store"
)

// apiLead is a lead as the API shows it. An erased person's lead keeps its
// facts (class, service, outcome) but no personal data: name, phone,
// callback phone and username are empty and Erased is true.
type apiLead struct {
	ID            int64      `json:"id"`
	Status        string     `json:"status"`
	Class         string     `json:"class"`
	Probability   float64    `json:"probability"`
	Name          string     `json:"name"`
	Phone         string     `json:"phone"`
	CallbackPhone string     `json:"callback_phone"`
	Username      string     `json:"username"`
	City          string     `json:"city"`
	Department    string     `json:"department"`
	Service       string     `json:"service"`
	Source        string     `json:"source"`
	Channel       string     `json:"channel"`
	Budget        apiBudget  `json:"budget"`
	DeadlineAt    time.Time  `json:"deadline_at"`
	CompletedAt   time.Time  `json:"completed_at"`
	Advisor       *apiPerson `json:"advisor"`
	Erased        bool       `json:"erased"`
}

type apiBudget struct {
	MinCOP  int64 `json:"min_cop"`
	MaxCOP  int64 `json:"max_cop"`
	Unknown bool  `json:"unknown"`
}

type apiPerson struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

func toAPILead(r store.QueueRow) apiLead {
	l := apiLead{ID: r.ID, Status: r.Status, Class: r.Class, Probability: r.Probability, Name: r.Name, Phone: r.Phone,
		CallbackPhone: r.CallbackPhone, Username: r.Username, City: r.City, Department: r.Department, Service: r.Service,
		Source: r.Source, Channel: r.Channel, Budget: apiBudget{r.Budget.MinCOP, r.Budget.MaxCOP, r.Budget.Unknown},
		DeadlineAt: r.DeadlineAt, CompletedAt: r.CompletedAt, Erased: r.Erased()}
	if r.AdvisorID > 0 {
		l.Advisor = &apiPerson{ID: r.AdvisorID, Username: r.Advisor}
	}
	if l.Erased {
		l.Name, l.Phone, l.CallbackPhone, l.Username = "", "", "", ""
	}
	return l
}

// apiLeadFilters are the list's query parameters: the queue page's filters
// plus paging. Any other parameter is refused, so a misspelt filter is not
// silently ignored.
var apiLeadFilters = []string{"status", "class", "advisor", "campaign", "since", "until", "q", "limit", "cursor"}

const (
	apiDefaultLimit = 50
	// apiMaxLimit stays below the store's 500 rows a query: a page asks
	// for one lead more than it lists, to know whether another follows.
	apiMaxLimit = 200
)

// parseAPIFilter reads the list's filters, refusing what the queue page
// would quietly drop: an unknown parameter or value is a 400.
func (s *Server) parseAPIFilter(q url.Values) (store.LeadFilter, int, error) {
	for k := range q {
		if !slices.Contains(apiLeadFilters, k) {
			return store.LeadFilter{}, 0, apiErr(http.StatusBadRequest, "unknown_filter", "unknown query parameter "+strconv.Quote(k)+"; known: "+strings.Join(apiLeadFilters, ", "))
		}
	}
	f := store.LeadFilter{Status: "open", Source: q.Get("campaign"), ServiceMatch: s.serviceMatch}
	bad := func(name, want string) error {
		return apiErr(http.StatusBadRequest, "invalid_value", name+": "+want)
	}
	if v := q.Get("status"); v != "" {
		if !slices.Contains([]string{"open", "contacted", "won", "lost", "erased", "all"}, v) {
			return f, 0, bad("status", "one of open, contacted, won, lost, erased, all")
		}
		f.Status = v
	}
	if v := q.Get("class"); v != "" {
		if !slices.Contains([]string{"hot", "warm", "cold"}, v) {
			return f, 0, bad("class", "one of hot, warm, cold")
		}
		f.Class = v
	}
	if v := q.Get("advisor"); v == "none" {
		f.AdvisorID = -1
	} else if v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, 0, bad("advisor", "a user id or \"none\" (unassigned)")
		}
		f.AdvisorID = id
	}
	for _, d := range []struct {
		name string
		to   *time.Time
		add  int
	}{{"since", &f.Since, 0}, {"until", &f.Until, 1}} {
		if v := q.Get(d.name); v != "" {
			t, err := time.ParseInLocation("2006-01-02", v, bogota)
			if err != nil {
				return f, 0, bad(d.name, "a date YYYY-MM-DD (Bogotá)")
			}
			*d.to = t.AddDate(0, 0, d.add) // until is inclusive: before the next day
		}
	}
	if f.Search = q.Get("q"); len([]rune(f.Search)) > 100 {
		return f, 0, bad("q", "at most 100 characters")
	}
	limit := apiDefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > apiMaxLimit {
			return f, 0, bad("limit", "a whole number from 1 to "+strconv.Itoa(apiMaxLimit))
		}
		limit = n
	}
	return f, limit, nil
}

// leadCursor is where the next page starts: just after the last lead of
// the previous one in the list's order, for the same filters. It is
// opaque to clients (base64url JSON) and bound to the filters it was made
// for, so a cursor is never read against another list.
type leadCursor struct {
	V      int    `json:"v"`
	Filter string `json:"f"`
	At     int64  `json:"d"` // the last lead's deadline, Unix ms
	ID     int64  `json:"i"`
}

// filterKey fingerprints a list's filters as parsed (not the paging), so
// "status=open" and no status, or "q=Medellín" and "q=Medellín " (same
// filter once parsed), share their cursors.
func filterKey(parts ...any) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%q", parts)))
	return hex.EncodeToString(sum[:6])
}

func leadFilterKey(f store.LeadFilter) string {
	return filterKey(f.Status, f.Class, f.AdvisorID, f.Source, f.Since.UnixMilli(), f.Until.UnixMilli(), f.Search)
}

func encodeCursor(f store.LeadFilter, r store.QueueRow) string {
	b, _ := json.Marshal(leadCursor{V: 1, Filter: leadFilterKey(f), At: r.DeadlineAt.UnixMilli(), ID: r.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(raw string, f store.LeadFilter) (store.QueueKey, error) {
	if raw == "" {
		return store.QueueKey{}, nil
	}
	var c leadCursor
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.V != 1 || c.ID <= 0 {
		return store.QueueKey{}, apiErr(http.StatusBadRequest, "invalid_cursor", "the cursor is not one this API returned")
	}
	if c.Filter != leadFilterKey(f) {
		return store.QueueKey{}, apiErr(http.StatusBadRequest, "invalid_cursor", "the cursor belongs to a list with other filters; start again without it")
	}
	return store.QueueKey{DeadlineAt: time.UnixMilli(c.At).UTC(), ID: c.ID}, nil
}

type apiLeadList struct {
	Data       []apiLead `json:"data"`
	NextCursor string    `json:"next_cursor"` // "" on the last page
}

// apiListLeads lists leads in the queue's order (open leads by contact
// deadline, soonest first; other statuses newest deadline first).
func (s *Server) apiListLeads(c echo.Context) error {
	q := c.QueryParams()
	f, limit, err := s.parseAPIFilter(q)
	if err != nil {
		return err
	}
	if f.After, err = decodeCursor(q.Get("cursor"), f); err != nil {
		return err
	}
	f.Limit = limit + 1 // one more tells whether a next page exists
	rows, err := s.api.Queue(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := apiLeadList{Data: make([]apiLead, 0, len(rows))}
	if len(rows) > limit {
		rows = rows[:limit]
		out.NextCursor = encodeCursor(f, rows[len(rows)-1])
	}
	for _, r := range rows {
		out.Data = append(out.Data, toAPILead(r))
	}
	return c.JSON(http.StatusOK, out)
}

func apiLeadID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apiErr(http.StatusBadRequest, "invalid_value", "id: a positive whole number")
	}
	return id, nil
}

// apiLeadDetail is one lead with its outcome and history.
type apiLeadDetail struct {
	apiLead
	Urgency         string         `json:"urgency"`
	ContactedAt     *time.Time     `json:"contacted_at"`
	OutcomeAt       *time.Time     `json:"outcome_at"`
	OutcomeValueCOP int64          `json:"outcome_value_cop"`
	OutcomeReason   string         `json:"outcome_reason"`
	Model           string         `json:"model"`
	Reasons         []apiReason    `json:"reasons"`
	Events          []apiLeadEvent `json:"events"`
}

type apiReason struct {
	Feature string  `json:"feature"`
	Value   string  `json:"value"`
	Weight  float64 `json:"weight"` // the feature's contribution to the probability
}

type apiLeadEvent struct {
	Kind     string    `json:"kind"`
	At       time.Time `json:"at"`
	User     string    `json:"user"`
	ValueCOP int64     `json:"value_cop"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toAPILeadDetail(d store.LeadDetail) apiLeadDetail {
	l := toAPILead(d.QueueRow)
	l.Channel = d.Channel
	out := apiLeadDetail{apiLead: l, Urgency: d.Urgency, ContactedAt: optTime(d.ContactedAt), OutcomeAt: optTime(d.OutcomeAt),
		OutcomeValueCOP: d.OutcomeValueCOP, OutcomeReason: d.OutcomeReason, Model: d.Lead.Score.Model,
		Reasons: []apiReason{}, Events: []apiLeadEvent{}}
	for _, r := range d.Lead.Score.Reasons {
		out.Reasons = append(out.Reasons, apiReason{Feature: r.Feature, Value: r.Value, Weight: r.Weight})
	}
	for _, e := range d.Events {
		out.Events = append(out.Events, apiLeadEvent{Kind: e.Kind, At: e.At, User: e.User, ValueCOP: e.ValueCOP})
	}
	if l.Erased {
		out.OutcomeReason = "" // erasure empties it too; never shown
	}
	return out
}

func (s *Server) apiLead(c echo.Context) error {
	d, err := s.apiReadLead(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toAPILeadDetail(d))
}

// apiReadLead reads the lead the path names and records that an
// integration read one person's data, as the lead page records who saw whom.
func (s *Server) apiReadLead(c echo.Context) (store.LeadDetail, error) {
	id, err := apiLeadID(c)
	if err != nil {
		return store.LeadDetail{}, err
	}
	d, err := s.api.Lead(c.Request().Context(), id)
	if err != nil {
		return d, err
	}
	tok := apiTokenOf(c)
	s.auditAs(c, tok.CreatedBy, "lead_viewed", "lead:"+strconv.FormatInt(id, 10), "api token #"+strconv.FormatInt(tok.ID, 10))
	return d, nil
}

// apiConversation is a lead's messages both ways and consent answers; an
// erased person's conversation is empty (Erased true).
type apiConversation struct {
	LeadID   int64        `json:"lead_id"`
	Erased   bool         `json:"erased"`
	Messages []apiMessage `json:"messages"`
	Consent  []apiConsent `json:"consent"`
}

type apiMessage struct {
	Direction string    `json:"direction"` // in, out
	Kind      string    `json:"kind"`
	Body      string    `json:"body"`
	At        time.Time `json:"at"`
	Status    string    `json:"status"` // out: pending, sent, failed, cancelled
}

type apiConsent struct {
	Accepted      bool      `json:"accepted"`
	PolicyVersion string    `json:"policy_version"`
	Channel       string    `json:"channel"`
	At            time.Time `json:"at"`
}

func (s *Server) apiConversation(c echo.Context) error {
	d, err := s.apiReadLead(c)
	if err != nil {
		return err
	}
	out := apiConversation{LeadID: d.ID, Erased: d.Erased, Messages: []apiMessage{}, Consent: []apiConsent{}}
	if d.Erased {
		return c.JSON(http.StatusOK, out)
	}
	for _, m := range d.Transcript {
		dir := "out"
		if m.Inbound {
			dir = "in"
		}
		out.Messages = append(out.Messages, apiMessage{Direction: dir, Kind: m.Kind, Body: m.Body, At: m.At, Status: m.Status})
	}
	for _, cr := range d.Consent {
		out.Consent = append(out.Consent, apiConsent{Accepted: cr.Accepted, PolicyVersion: cr.PolicyVersion, Channel: cr.Channel, At: cr.At})
	}
	return c.JSON(http.StatusOK, out)
}

// apiOutcomeRequest is what POST /leads/{id}/outcome takes. A won value is
// either value_cop (pesos) or value, text read as the lead page reads it
// ("3 millones", "USD 500").
type apiOutcomeRequest struct {
	Outcome  string `json:"outcome"` // contacted, won, lost
	ValueCOP *int64 `json:"value_cop"`
	Value    string `json:"value"`
	FeeCOP   *int64 `json:"fee_cop"`
	Reason   string `json:"reason"`
}

// apiOutcome records contact or an outcome through the same rules as the
// lead page (outcomeAction, store.ActOnLead), attributed to the admin who
// created the token and audited with the token's id.
func (s *Server) apiOutcome(c echo.Context) error {
	id, err := apiLeadID(c)
	if err != nil {
		return err
	}
	var req apiOutcomeRequest
	dec := json.NewDecoder(io.LimitReader(c.Request().Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return apiErr(http.StatusBadRequest, "invalid_json", "the body must be one JSON object with outcome, and value_cop or value (won) or reason (lost)")
	}
	a, err := s.apiAction(req)
	if err != nil {
		return err
	}
	tok := apiTokenOf(c)
	a.ByUser = tok.CreatedBy
	ctx := c.Request().Context()
	if err := s.api.ActOnLead(ctx, id, a); err != nil {
		return err
	}
	s.auditAs(c, tok.CreatedBy, "lead_"+a.Kind, "lead:"+strconv.FormatInt(id, 10), "api token #"+strconv.FormatInt(tok.ID, 10))
	d, err := s.api.Lead(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toAPILeadDetail(d))
}

// apiAction checks an outcome request with the lead page's rules.
func (s *Server) apiAction(req apiOutcomeRequest) (store.LeadAction, error) {
	invalid := func(msg string) error { return apiErr(http.StatusUnprocessableEntity, "invalid_value", msg) }
	switch req.Outcome {
	case "contacted":
		return store.LeadAction{Kind: "contacted"}, nil
	case "lost":
		reason, ok := lostReason(req.Reason)
		if !ok {
			return store.LeadAction{}, invalid("reason: a lost lead needs a reason of 1 to 500 characters")
		}
		return store.LeadAction{Kind: "lost", Detail: reason}, nil
	case "won":
		a := store.LeadAction{Kind: "won"}
		switch {
		case req.ValueCOP != nil && req.Value != "":
			return a, invalid("value: give value_cop or value, not both")
		case req.ValueCOP != nil:
			a.ValueCOP = *req.ValueCOP
		default:
			v, ok := parseAmount(req.Value, s.usdCOP)
			if !ok {
				return a, invalid("value_cop: a won lead needs its value in pesos, from 1 to 10,000,000,000,000 (or value: text such as \"3 millones\")")
			}
			a.ValueCOP = v
		}
		if !validAmount(a.ValueCOP) {
			return a, invalid("value_cop: from 1 to 10,000,000,000,000 pesos")
		}
		if req.FeeCOP != nil {
			if !validAmount(*req.FeeCOP) {
				return a, invalid("fee_cop: the new customer's monthly fee, from 1 to 10,000,000,000,000 pesos")
			}
			a.FeeCOP = *req.FeeCOP
		}
		return a, nil
	}
	return store.LeadAction{}, invalid("outcome: one of contacted, won, lost")
}
