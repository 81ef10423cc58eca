package dashboard

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/scoring/insight"
	"github.com/cis-agencia/cis/store"
)

// onlyParams refuses query parameters other than known (400), so a
// misspelt filter is an error rather than a silently wider answer.
func onlyParams(q url.Values, known ...string) error {
	for k := range q {
		if !slices.Contains(known, k) {
			return apiErr(http.StatusBadRequest, "unknown_filter", "unknown query parameter "+strconv.Quote(k)+"; known: "+strings.Join(known, ", "))
		}
	}
	return nil
}

// apiCampaign is one campaign's (or lead source's) return over a period,
// as the campaigns page computes it (insight.Campaigns). A ratio without a
// denominator (no spend, no lead, no customer won) is null.
type apiCampaign struct {
	Key        string   `json:"key"`
	Name       string   `json:"name"`
	Channel    string   `json:"channel"`
	Known      bool     `json:"known"` // described by a campaign row, not only seen as a lead source
	SpendCOP   int64    `json:"spend_cop"`
	Leads      int      `json:"leads"`
	Hot        int      `json:"hot"`
	Warm       int      `json:"warm"`
	Cold       int      `json:"cold"`
	Unscored   int      `json:"unscored"`
	Won        int      `json:"won"`
	RevenueCOP int64    `json:"revenue_cop"`
	CPLCOP     *float64 `json:"cpl_cop"`
	CPACOP     *float64 `json:"cpa_cop"`
	ROI        *float64 `json:"roi"`
	Conversion *float64 `json:"conversion"`
}

func ratioOrNil(r insight.Ratio) *float64 {
	if !r.OK {
		return nil
	}
	return &r.V
}

type apiCampaignList struct {
	From string        `json:"from"`
	To   string        `json:"to"`
	Data []apiCampaign `json:"data"`
}

// apiCampaigns lists campaigns with ROI over from..to (Bogotá dates,
// inclusive; default: the last 12 months, as the campaigns page).
func (s *Server) apiCampaigns(c echo.Context) error {
	q := c.QueryParams()
	if err := onlyParams(q, "from", "to"); err != nil {
		return err
	}
	p, _, _ := s.period(c)
	for _, name := range []string{"from", "to"} {
		if v := q.Get(name); v != "" && !validDay(v) {
			return apiErr(http.StatusBadRequest, "invalid_value", name+": a date YYYY-MM-DD")
		}
	}
	camps, _, err := s.campaignRows(c.Request().Context(), p)
	if err != nil {
		return err
	}
	out := apiCampaignList{From: p.From, To: p.To, Data: make([]apiCampaign, 0, len(camps))}
	for _, r := range camps {
		out.Data = append(out.Data, apiCampaign{Key: r.Key, Name: r.Name, Channel: r.Channel, Known: r.Known, SpendCOP: r.SpendCOP,
			Leads: r.Leads, Hot: r.Hot, Warm: r.Warm, Cold: r.Cold, Unscored: r.Unscored, Won: r.Won, RevenueCOP: r.RevenueCOP,
			CPLCOP: ratioOrNil(r.CPL), CPACOP: ratioOrNil(r.CPA), ROI: ratioOrNil(r.ROI), Conversion: ratioOrNil(r.Conversion)})
	}
	return c.JSON(http.StatusOK, out)
}

// apiCustomer is an active customer with their churn risk. An erased
// person's customer row keeps no name (erasure empties it).
type apiCustomer struct {
	ID            int64       `json:"id"`
	ExtKey        string      `json:"ext_key"`
	LeadID        int64       `json:"lead_id"`
	Name          string      `json:"name"`
	Service       string      `json:"service"`
	Plan          string      `json:"plan"`
	Source        string      `json:"source"`
	MonthlyFeeCOP int64       `json:"monthly_fee_cop"`
	StartedAt     time.Time   `json:"started_at"`
	Probability   float64     `json:"probability"` // of cancelling within 30 days
	Risk          string      `json:"risk"`        // high (≥ 0.30), medium (≥ 0.10), low
	AtStakeCOP    int64       `json:"at_stake_cop"`
	ScoredAt      time.Time   `json:"scored_at"`
	Model         string      `json:"model"`
	Reasons       []apiReason `json:"reasons"`
	LastAction    string      `json:"last_action"`
}

type apiCustomerList struct {
	Data       []apiCustomer `json:"data"`
	NextCursor string        `json:"next_cursor"`
}

// riskCursor is where the next page of customers at risk starts (an
// offset into the list by probability, bound to its filters).
type riskCursor struct {
	V      int    `json:"v"`
	Filter string `json:"f"`
	Offset int    `json:"o"`
}

// apiAtRisk lists active customers whose churn probability is at least
// min_probability (default 0.30, "high"), the most likely to leave first.
func (s *Server) apiAtRisk(c echo.Context) error {
	q := c.QueryParams()
	if err := onlyParams(q, "min_probability", "limit", "cursor"); err != nil {
		return err
	}
	least, limit, offset, err := atRiskParams(q)
	if err != nil {
		return err
	}
	rows, err := s.api.ChurnRisk(c.Request().Context(), store.RiskFilter{Sort: "risk", Limit: limit + 1, Offset: offset})
	if err != nil {
		return err
	}
	out := apiCustomerList{Data: []apiCustomer{}}
	for i, r := range rows {
		if r.Probability < least || i == limit {
			break // sorted by probability: the rest are below too
		}
		out.Data = append(out.Data, toAPICustomer(r))
	}
	if len(rows) > limit && rows[limit].Probability >= least {
		b, _ := json.Marshal(riskCursor{V: 1, Filter: filterKey(least), Offset: offset + limit})
		out.NextCursor = base64.RawURLEncoding.EncodeToString(b)
	}
	return c.JSON(http.StatusOK, out)
}

func atRiskParams(q url.Values) (least float64, limit, offset int, err error) {
	least, limit = riskHigh, 100
	if v := q.Get("min_probability"); v != "" {
		if least, err = strconv.ParseFloat(v, 64); err != nil || least < 0 || least > 1 {
			return 0, 0, 0, apiErr(http.StatusBadRequest, "invalid_value", "min_probability: a number from 0 to 1")
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > apiMaxLimit {
			return 0, 0, 0, apiErr(http.StatusBadRequest, "invalid_value", "limit: a whole number from 1 to "+strconv.Itoa(apiMaxLimit))
		}
	}
	if raw := q.Get("cursor"); raw != "" {
		var rc riskCursor
		b, derr := base64.RawURLEncoding.DecodeString(raw)
		if derr == nil {
			derr = json.Unmarshal(b, &rc)
		}
		if derr != nil || rc.V != 1 || rc.Offset < 1 || rc.Filter != filterKey(least) {
			return 0, 0, 0, apiErr(http.StatusBadRequest, "invalid_cursor", "the cursor is not one this list returned for these filters")
		}
		offset = rc.Offset
	}
	return least, limit, offset, nil
}

func toAPICustomer(r store.RiskRow) apiCustomer {
	out := apiCustomer{ID: r.ID, ExtKey: r.ExtKey, LeadID: r.LeadID, Name: r.Name, Service: r.Service, Plan: r.Plan, Source: r.Source,
		MonthlyFeeCOP: r.MonthlyFeeCOP, StartedAt: r.StartedAt, Probability: r.Probability, Risk: riskLevel(r.Probability),
		AtStakeCOP: r.AtStakeCOP, ScoredAt: r.ScoredAt, Model: r.Model, Reasons: []apiReason{}, LastAction: r.LastAction}
	for _, x := range r.Reasons {
		out.Reasons = append(out.Reasons, apiReason{Feature: x.Feature, Value: x.Value, Weight: x.Weight})
	}
	return out
}
