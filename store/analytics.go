package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// The analytics pages read the summary tables of migration 0026 (lead_daily,
// lead_dim_monthly, lead_prob_monthly, lead_contact_delay,
// conversation_funnel), which triggers keep equal to a GROUP BY over the
// base tables, so no page scans every lead.

// Period is a range of Colombian calendar days, both ends included, as
// YYYY-MM-DD; an empty end is open.
//
// Number, when not 0, is one of the agency's numbers (accounts.id): the
// figures are then that number's live leads and conversations only
// (analytics_number.go).
type Period struct {
	From, To string
	Number   int64
}

func (p Period) bounds() (string, string) {
	from, to := p.From, p.To
	if from == "" {
		from = "0000-00-00"
	}
	if to == "" {
		to = "9999-12-31"
	}
	return from, to
}

// months returns the period's bounds as YYYY-MM.
func (p Period) months() (string, string) {
	from, to := p.bounds()
	return from[:7], to[:7]
}

// Campaign is what an agency spends on to get leads.
type Campaign struct {
	Key       string // flow.CampaignKey of the source its leads carry
	Name      string
	Channel   string // facebook, instagram, google, tiktok, web, referral, other
	StartedOn string // YYYY-MM-DD or ""
	EndedOn   string
}

// Spend is an amount spent on a campaign on one day, or in one month
// (Day is then the month's first day).
type Spend struct {
	Period    string // day, month
	Day       string // YYYY-MM-DD
	AmountCOP int64
}

// CampaignRow is one row of a campaigns file: the campaign and, when the
// row carries an amount, its spend.
type CampaignRow struct {
	Campaign
	Spend *Spend
}

// CampaignImport says what ImportCampaigns changed.
type CampaignImport struct {
	NewCampaigns, NewSpend, ChangedSpend int
}

const campaignIDQuery = `SELECT id FROM campaigns WHERE key = ?`

const insertCampaignQuery = `INSERT INTO campaigns (key, name, channel, started_on, ended_on, created_at) VALUES (?, ?, ?, ?, ?, ?)`

const updateCampaignQuery = `UPDATE campaigns SET name = CASE WHEN ?1 <> '' THEN ?1 ELSE name END,
				channel = CASE WHEN ?2 <> '' THEN ?2 ELSE channel END, started_on = CASE WHEN ?3 <> '' THEN ?3 ELSE started_on END,
				ended_on = CASE WHEN ?4 <> '' THEN ?4 ELSE ended_on END WHERE id = ?5`

const spendAmountQuery = `SELECT amount_cop FROM campaign_spend WHERE campaign_id = ? AND period = ? AND day = ?`

const upsertSpendQuery = `INSERT INTO campaign_spend (campaign_id, period, day, amount_cop) VALUES (?, ?, ?, ?)
				ON CONFLICT (campaign_id, period, day) DO UPDATE SET amount_cop = excluded.amount_cop`

// ImportCampaigns adds or updates campaigns and their spend in one
// transaction. A campaign's name, channel and dates are updated when the
// row gives them; a spend row for a (campaign, period, day) already stored
// replaces the amount, so re-importing the same file changes nothing and a
// corrected file corrects.
func (s *Store) ImportCampaigns(ctx context.Context, rows []CampaignRow) (CampaignImport, error) {
	var res CampaignImport
	now := millis(s.now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		ids := map[string]int64{}
		for _, r := range rows {
			key := flow.CampaignKey(r.Key)
			if key == "" {
				return errors.New("campaign without a key")
			}
			id, ok := ids[key]
			if !ok {
				err := tx.QueryRowContext(ctx, campaignIDQuery, key).Scan(&id)
				if errors.Is(err, sql.ErrNoRows) {
					name := r.Name
					if name == "" {
						name = key
					}
					out, err := tx.ExecContext(ctx, insertCampaignQuery,
						key, name, r.Channel, r.StartedOn, r.EndedOn, now)
					if err != nil {
						return fmt.Errorf("campaign %s: %w", key, err)
					}
					id, _ = out.LastInsertId()
					res.NewCampaigns++
				} else if err != nil {
					return fmt.Errorf("campaign %s: %w", key, err)
				}
				ids[key] = id
			}
			if _, err := tx.ExecContext(ctx, updateCampaignQuery, r.Name, r.Channel, r.StartedOn, r.EndedOn, id); err != nil {
				return fmt.Errorf("campaign %s: %w", key, err)
			}
			if r.Spend == nil {
				continue
			}
			var old int64
			err := tx.QueryRowContext(ctx, spendAmountQuery,
				id, r.Spend.Period, r.Spend.Day).Scan(&old)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				res.NewSpend++
			case err != nil:
				return fmt.Errorf("spend of %s: %w", key, err)
			case old == r.Spend.AmountCOP:
				continue
			default:
				res.ChangedSpend++
			}
			if _, err := tx.ExecContext(ctx, upsertSpendQuery,
				id, r.Spend.Period, r.Spend.Day, r.Spend.AmountCOP); err != nil {
				return fmt.Errorf("spend of %s: %w", key, err)
			}
		}
		return nil
	})
	if err != nil {
		return CampaignImport{}, fmt.Errorf("import campaigns: %w", err)
	}
	return res, nil
}

// CampaignFacts is what the store knows about one campaign key in a period:
// its spend and its leads (live and imported) with their outcomes.
type CampaignFacts struct {
	Campaign             // Name = Key and Channel "" for a source no campaign row describes
	Known       bool     // a campaigns row exists
	SpendCOP    int64    // day spend in the period plus month spend pro rata by days (flow.MonthSpend)
	Leads       int      // live and imported
	ByClass     [4]int   // hot, warm, cold, unscored (imported history)
	Won, Lost   int      // closed leads
	RevenueCOP  int64    // value of the won leads
	spendMonths []string // months whose spend was prorated (tests)

	// MessagingCOP is what the messages to the campaign's people cost
	// (messaging_cost.go), rounded to the peso.
	MessagingCOP int64
}

// classes names ByClass's slots.
var classes = [4]string{"hot", "warm", "cold", ""}

func classSlot(c string) int {
	for i, k := range classes[:3] {
		if c == k {
			return i
		}
	}
	return 3
}

// Campaigns returns every campaign and every lead source seen in the period,
// with spend, leads and outcomes, ordered by key.
func (s *Store) Campaigns(ctx context.Context, p Period) ([]CampaignFacts, error) {
	from, to := p.bounds()
	f := campaignSet{byKey: map[string]*CampaignFacts{}}
	if err := s.campaignRows(ctx, &f); err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	leads := func() error { return s.campaignLeads(ctx, &f, from, to) }
	if p.Number != 0 {
		leads = func() error { return s.numberCampaignLeads(ctx, &f, p) }
	}
	if err := leads(); err != nil {
		return nil, fmt.Errorf("campaign leads: %w", err)
	}
	if err := s.campaignSpend(ctx, &f, from, to); err != nil {
		return nil, fmt.Errorf("campaign spend: %w", err)
	}
	if err := s.campaignMessaging(ctx, &f, from, to); err != nil {
		return nil, fmt.Errorf("campaign messaging cost: %w", err)
	}
	out := make([]CampaignFacts, 0, len(f.keys))
	for _, k := range f.keys {
		out = append(out, *f.byKey[k])
	}
	sortFacts(out)
	return out, nil
}

// campaignSet gathers the facts of each campaign key as the queries meet it.
type campaignSet struct {
	byKey map[string]*CampaignFacts
	keys  []string
}

func (c *campaignSet) get(key string) *CampaignFacts {
	f, ok := c.byKey[key]
	if !ok {
		f = &CampaignFacts{Campaign: Campaign{Key: key, Name: key}}
		c.byKey[key] = f
		c.keys = append(c.keys, key)
	}
	return f
}

const campaignRowsQuery = `SELECT key, name, channel, started_on, ended_on FROM campaigns ORDER BY key`

// campaignRows adds every campaign the campaigns file described.
func (s *Store) campaignRows(ctx context.Context, set *campaignSet) error {
	rows, err := s.ro.QueryContext(ctx, campaignRowsQuery)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c Campaign
		if err := rows.Scan(&c.Key, &c.Name, &c.Channel, &c.StartedOn, &c.EndedOn); err != nil {
			return err
		}
		f := set.get(c.Key)
		f.Campaign, f.Known = c, true
	}
	return rows.Err()
}

const campaignLeadsQuery = `SELECT source, class, SUM(n), SUM(won), SUM(lost), SUM(revenue_cop) FROM lead_daily
		WHERE day BETWEEN ? AND ? GROUP BY source, class`

// campaignLeads adds the leads of each campaign key in [from, to].
func (s *Store) campaignLeads(ctx context.Context, set *campaignSet, from, to string) error {
	rows, err := s.ro.QueryContext(ctx, campaignLeadsQuery, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var src, class string
		var n, won, lost int
		var rev int64
		if err := rows.Scan(&src, &class, &n, &won, &lost, &rev); err != nil {
			return err
		}
		if n == 0 {
			continue
		}
		f := set.get(src)
		f.Leads += n
		f.ByClass[classSlot(class)] += n
		f.Won += won
		f.Lost += lost
		f.RevenueCOP += rev
	}
	return rows.Err()
}

const campaignSpendQuery = `SELECT c.key, s.period, s.day, s.amount_cop FROM campaign_spend s JOIN campaigns c ON c.id = s.campaign_id
		WHERE s.day <= ? AND s.day >= CASE s.period WHEN 'month' THEN substr(?, 1, 7) || '-01' ELSE ? END`

// campaignSpend adds the spend of each campaign in [from, to]: day spend
// as it is, a month's spend as flow.MonthSpend prorates it.
func (s *Store) campaignSpend(ctx context.Context, set *campaignSet, from, to string) error {
	rows, err := s.ro.QueryContext(ctx, campaignSpendQuery, to, from, from)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var key, period, day string
		var amount int64
		if err := rows.Scan(&key, &period, &day, &amount); err != nil {
			return err
		}
		f := set.get(key)
		if period == "day" {
			f.SpendCOP += amount
			continue
		}
		part, whole, err := flow.MonthSpend(amount, day, from, to)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		f.SpendCOP += part
		if !whole {
			f.spendMonths = append(f.spendMonths, day[:7])
		}
	}
	return rows.Err()
}

func sortFacts(f []CampaignFacts) {
	for i := 1; i < len(f); i++ {
		for j := i; j > 0 && f[j].Key < f[j-1].Key; j-- {
			f[j], f[j-1] = f[j-1], f[j]
		}
	}
}

// LeadMonth is one month's leads of one class and origin.
type LeadMonth struct {
	Month      string // YYYY-MM
	Class      string // hot, warm, cold; "" for imported history
	Origin     string // live, history
	N          int
	Won, Lost  int
	RevenueCOP int64
	Contacted  int // first contact recorded
	InSLA      int // first contact at or before the deadline
}

const leadMonthsQuery = `SELECT substr(day, 1, 7), class, origin, SUM(n), SUM(won), SUM(lost), SUM(revenue_cop), SUM(contacted), SUM(in_sla)
		FROM lead_daily WHERE day BETWEEN ? AND ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`

// LeadMonths returns the period's leads by month, class and origin, oldest first.
func (s *Store) LeadMonths(ctx context.Context, p Period) ([]LeadMonth, error) {
	if p.Number != 0 {
		out, err := s.numberLeadMonths(ctx, p)
		return out, numberErr("lead months", p.Number, err)
	}
	from, to := p.bounds()
	rows, err := s.ro.QueryContext(ctx, leadMonthsQuery, from, to)
	if err != nil {
		return nil, fmt.Errorf("lead months: %w", err)
	}
	defer rows.Close()
	var out []LeadMonth
	for rows.Next() {
		var m LeadMonth
		if err := rows.Scan(&m.Month, &m.Class, &m.Origin, &m.N, &m.Won, &m.Lost, &m.RevenueCOP, &m.Contacted, &m.InSLA); err != nil {
			return nil, fmt.Errorf("lead months: %w", err)
		}
		if m.N != 0 {
			out = append(out, m)
		}
	}
	return out, rows.Err()
}

// DelayBucket counts first contacts whose delay after completion (minutes)
// falls in [Minutes, next bucket): 5-minute buckets up to 1 h, 15-minute
// buckets up to 8 h, then hours.
type DelayBucket struct {
	Class   string
	Minutes int
	N       int
}

const contactDelaysQuery = `SELECT class, bucket, SUM(n) FROM lead_contact_delay WHERE day BETWEEN ? AND ?
		GROUP BY 1, 2 ORDER BY 2, 1`

// ContactDelays returns the period's first-contact delays by class, shortest first.
func (s *Store) ContactDelays(ctx context.Context, p Period) ([]DelayBucket, error) {
	if p.Number != 0 {
		out, err := s.numberContactDelays(ctx, p)
		return out, numberErr("contact delays", p.Number, err)
	}
	from, to := p.bounds()
	rows, err := s.ro.QueryContext(ctx, contactDelaysQuery, from, to)
	if err != nil {
		return nil, fmt.Errorf("contact delays: %w", err)
	}
	defer rows.Close()
	var out []DelayBucket
	for rows.Next() {
		var b DelayBucket
		if err := rows.Scan(&b.Class, &b.Minutes, &b.N); err != nil {
			return nil, fmt.Errorf("contact delays: %w", err)
		}
		if b.N != 0 {
			out = append(out, b)
		}
	}
	return out, rows.Err()
}

// FunnelCount is how many conversations started in the period are at a step with a status.
type FunnelCount struct {
	Step, Status string
	N            int
}

const funnelQuery = `SELECT step, status, SUM(n) FROM conversation_funnel WHERE day BETWEEN ? AND ?
		GROUP BY 1, 2 ORDER BY 1, 2`

// Funnel returns the conversations started in the period by step and status.
func (s *Store) Funnel(ctx context.Context, p Period) ([]FunnelCount, error) {
	if p.Number != 0 {
		out, err := s.numberFunnel(ctx, p)
		return out, numberErr("funnel", p.Number, err)
	}
	from, to := p.bounds()
	rows, err := s.ro.QueryContext(ctx, funnelQuery, from, to)
	if err != nil {
		return nil, fmt.Errorf("funnel: %w", err)
	}
	defer rows.Close()
	var out []FunnelCount
	for rows.Next() {
		var f FunnelCount
		if err := rows.Scan(&f.Step, &f.Status, &f.N); err != nil {
			return nil, fmt.Errorf("funnel: %w", err)
		}
		if f.N != 0 {
			out = append(out, f)
		}
	}
	return out, rows.Err()
}

// DimMonth counts one month's leads and conversions with one value of a
// feature (dim: city, service, urgency, budget).
type DimMonth struct {
	Month, Dim, Value, Origin string
	N, Won                    int
}

const dimMonthsQuery = `SELECT month, dim, value, origin, n, won FROM lead_dim_monthly
		WHERE month BETWEEN ? AND ? AND n <> 0 ORDER BY 1, 2, 3, 4`

// DimMonths returns the feature counts of the months in the period.
func (s *Store) DimMonths(ctx context.Context, p Period) ([]DimMonth, error) {
	if p.Number != 0 {
		out, err := s.numberDimMonths(ctx, p)
		return out, numberErr("feature months", p.Number, err)
	}
	from, to := p.months()
	rows, err := s.ro.QueryContext(ctx, dimMonthsQuery, from, to)
	if err != nil {
		return nil, fmt.Errorf("feature months: %w", err)
	}
	defer rows.Close()
	var out []DimMonth
	for rows.Next() {
		var d DimMonth
		if err := rows.Scan(&d.Month, &d.Dim, &d.Value, &d.Origin, &d.N, &d.Won); err != nil {
			return nil, fmt.Errorf("feature months: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Outcomes counts closed predictions with one probability (in thousandths)
// in one month: how many came true (Pos) and how many did not (Neg).
type Outcomes struct {
	Month    string
	Model    string
	Class    string
	PerMille int
	Pos, Neg int
}

const leadOutcomesKeyQuery = `SELECT COUNT(*), TOTAL(won), TOTAL(lost), TOTAL((pbin + 1) * (won + 3 * lost) + length(month) + length(model) + length(class))
		FROM lead_prob_monthly`

const leadOutcomesQuery = `SELECT month, model, class, pbin, won, lost FROM lead_prob_monthly
		WHERE won + lost > 0 ORDER BY 1, 2, 3, 4`

// LeadOutcomes returns the live leads closed as won or lost, by month of
// completion, model, class and probability.
//
// Reading every row through database/sql costs far more than summing them
// in SQLite, so the rows are kept with a signature of the table (row count
// and weighted sums, computed in one aggregate) and read again only when it
// changes: when a lead closes, its status changes or a lead is deleted.
func (s *Store) LeadOutcomes(ctx context.Context) ([]Outcomes, error) {
	var n int64
	var won, lost, weighted float64
	if err := s.ro.QueryRowContext(ctx, leadOutcomesKeyQuery).Scan(&n, &won, &lost, &weighted); err != nil {
		return nil, fmt.Errorf("lead outcomes: %w", err)
	}
	key := fmt.Sprintf("%d.%.0f.%.0f.%.0f", n, won, lost, weighted)
	s.churn.mu.Lock()
	if s.churn.leadKey == key {
		out := s.churn.lead
		s.churn.mu.Unlock()
		return out, nil
	}
	s.churn.mu.Unlock()
	out, err := s.outcomes(ctx, leadOutcomesQuery)
	if err != nil {
		return nil, err
	}
	s.churn.mu.Lock()
	s.churn.leadKey, s.churn.lead = key, out
	s.churn.mu.Unlock()
	return out, nil
}

const churnOutcomesQuery = `SELECT strftime('%Y-%m', s.scored_at / 1000 - 18000, 'unixepoch'), s.model, '',
		CAST(round(s.probability * 1000) AS INTEGER) AS pb,
		SUM(c.cancelled_at IS NOT NULL AND c.cancelled_at > s.scored_at AND c.cancelled_at <= s.scored_at + ?1),
		SUM(NOT (c.cancelled_at IS NOT NULL AND c.cancelled_at > s.scored_at AND c.cancelled_at <= s.scored_at + ?1))
		FROM churn_scores s JOIN customers c ON c.id = s.customer_id
		WHERE s.scored_at <= ?2 - ?1 AND (c.cancelled_at IS NULL OR c.cancelled_at > s.scored_at)
		GROUP BY 1, 2, 4 ORDER BY 1, 2, 4`

// ChurnOutcomes returns the churn scores at least 30 days old, by month of
// scoring and probability; a score came true when the customer cancelled
// within 30 days after it. The class is "" (churn has no tiers).
//
// Both churn reads walk every score of a scoring (100,000 rows for 100,000
// customers), so their results are kept until the churn data changes
// (churnVersion) or, for the outcomes, the day changes.
func (s *Store) ChurnOutcomes(ctx context.Context, now time.Time) ([]Outcomes, error) {
	v, err := s.churnVersion(ctx)
	if err != nil {
		return nil, err
	}
	key := v + "|" + now.UTC().Format("2006-01-02")
	s.churn.mu.Lock()
	if s.churn.outcomesKey == key {
		out := s.churn.outcomes
		s.churn.mu.Unlock()
		return out, nil
	}
	s.churn.mu.Unlock()
	const month = 30 * 24 * 3600 * 1000
	// Scores older than 30 days at the start of the UTC day, so the result holds all day.
	day := now.UTC().Truncate(24 * time.Hour)
	out, err := s.outcomes(ctx, churnOutcomesQuery, month, millis(day))
	if err != nil {
		return nil, err
	}
	s.churn.mu.Lock()
	s.churn.outcomesKey, s.churn.outcomes = key, out
	s.churn.mu.Unlock()
	return out, nil
}

// churnCache keeps the results of the outcome reads (churn, and the lead
// outcomes) with the version of the data they were computed from. Callers
// get the cached slice itself: they must not modify it.
type churnCache struct {
	mu          sync.Mutex
	leadKey     string
	lead        []Outcomes
	outcomesKey string
	outcomes    []Outcomes
	riskKey     string
	risk        ChurnRisk
}

const churnVersionQuery = `SELECT COALESCE((SELECT MAX(id) FROM churn_scores), 0), COALESCE((SELECT MAX(id) FROM customers), 0),
		COALESCE((SELECT MAX(id) FROM customer_events), 0), COALESCE((SELECT MAX(id) FROM customer_actions), 0),
		(SELECT COUNT(*) FROM customers WHERE cancelled_at IS NOT NULL), (SELECT TOTAL(cancelled_at) FROM customers WHERE cancelled_at IS NOT NULL)`

// churnVersion changes whenever what the churn reads depend on changes: a
// new score, customer or customer event, a cancellation (count and sum of
// the dates, from the customers_active index), or a customer action.
func (s *Store) churnVersion(ctx context.Context) (string, error) {
	var scores, customers, events, actions, cancelled int64
	var cancelSum float64
	err := s.ro.QueryRowContext(ctx, churnVersionQuery).
		Scan(&scores, &customers, &events, &actions, &cancelled, &cancelSum)
	if err != nil {
		return "", fmt.Errorf("churn version: %w", err)
	}
	return fmt.Sprintf("%d.%d.%d.%d.%d.%.0f", scores, customers, events, actions, cancelled, cancelSum), nil
}

func (s *Store) outcomes(ctx context.Context, q string, args ...any) ([]Outcomes, error) {
	rows, err := s.ro.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("outcomes: %w", err)
	}
	defer rows.Close()
	var out []Outcomes
	for rows.Next() {
		var o Outcomes
		if err := rows.Scan(&o.Month, &o.Model, &o.Class, &o.PerMille, &o.Pos, &o.Neg); err != nil {
			return nil, fmt.Errorf("outcomes: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// ClassSLA is how one class fared against its contact deadline among the
// leads completed since a time.
type ClassSLA struct {
	Class       string
	Leads       int
	Contacted   int
	Late        int // contacted after the deadline
	OpenOverdue int // not contacted and past the deadline
}

const slaQuery = `SELECT class, SUM(n), SUM(contacted), SUM(contacted - in_sla) FROM lead_daily
		WHERE origin = 'live' AND day >= ? GROUP BY 1 ORDER BY 1`

const openOverdueByClassQuery = `SELECT class, COUNT(*) FROM leads WHERE status = 'open' AND deadline_at < ? AND completed_at >= ?
		GROUP BY 1`

// SLASince returns, per class, the leads completed since (a Colombian day,
// YYYY-MM-DD) and how many broke their deadline, at now; of one number's
// live leads when number is not 0.
func (s *Store) SLASince(ctx context.Context, since string, number int64, now time.Time) ([]ClassSLA, error) {
	sinceMs, err := dayStartMillis(since)
	if err != nil {
		return nil, err
	}
	byClass := map[string]*ClassSLA{}
	var order []string
	q, args := slaQuery, []any{since}
	if number != 0 {
		q, args = numberSLAQuery, []any{number, sinceMs}
	}
	rows, err := s.ro.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sla: %w", err)
	}
	for rows.Next() {
		c := &ClassSLA{}
		if err := rows.Scan(&c.Class, &c.Leads, &c.Contacted, &c.Late); err != nil {
			_ = rows.Close() // the scan error is the one to return
			return nil, fmt.Errorf("sla: %w", err)
		}
		byClass[c.Class] = c
		order = append(order, c.Class)
	}
	_ = rows.Close() // closed before the next query; rows.Err reports a failed read
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sla: %w", err)
	}
	// Open and past the deadline: a walk of the leads_queue index.
	q, args = openOverdueByClassQuery, []any{millis(now), sinceMs}
	if number != 0 {
		q, args = numberOpenOverdueQuery, []any{millis(now), sinceMs, number}
	}
	rows, err = s.ro.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sla: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var class string
		var n int
		if err := rows.Scan(&class, &n); err != nil {
			return nil, fmt.Errorf("sla: %w", err)
		}
		if c, ok := byClass[class]; ok {
			c.OpenOverdue = n
		}
	}
	out := make([]ClassSLA, 0, len(order))
	for _, k := range order {
		out = append(out, *byClass[k])
	}
	return out, rows.Err()
}

// dayStartMillis is midnight of a Colombian day (UTC-5) in Unix milliseconds.
func dayStartMillis(day string) (int64, error) {
	t, err := time.Parse("2006-01-02", day)
	if err != nil {
		return 0, fmt.Errorf("day %q: %w", day, err)
	}
	return t.Add(5 * time.Hour).UnixMilli(), nil
}

// ChurnRisk is the latest churn scoring's exposure: active customers at or
// above a probability and the monthly fees they pay.
type ChurnRisk struct {
	ScoredAt   time.Time
	Scored     int // active customers in the latest scoring
	AtRisk     int
	MonthlyCOP int64
}

// ChurnRiskAt reads the latest churn scoring (zero ChurnRisk when there is none).
func (s *Store) ChurnRiskAt(ctx context.Context, threshold float64) (ChurnRisk, error) {
	v, err := s.churnVersion(ctx)
	if err != nil {
		return ChurnRisk{}, err
	}
	key := fmt.Sprintf("%s|%g", v, threshold)
	s.churn.mu.Lock()
	if s.churn.riskKey == key {
		r := s.churn.risk
		s.churn.mu.Unlock()
		return r, nil
	}
	s.churn.mu.Unlock()
	r, err := s.churnRisk(ctx, threshold)
	if err != nil {
		return r, err
	}
	s.churn.mu.Lock()
	s.churn.riskKey, s.churn.risk = key, r
	s.churn.mu.Unlock()
	return r, nil
}

const latestScoringQuery = `SELECT MAX(scored_at) FROM churn_scores`

const churnRiskQuery = `SELECT COUNT(*), COALESCE(SUM(s.probability >= ?2), 0),
		COALESCE(SUM(CASE WHEN s.probability >= ?2 THEN c.monthly_fee_cop ELSE 0 END), 0)
		FROM churn_scores s JOIN customers c ON c.id = s.customer_id
		WHERE s.scored_at = ?1 AND c.cancelled_at IS NULL`

func (s *Store) churnRisk(ctx context.Context, threshold float64) (ChurnRisk, error) {
	var r ChurnRisk
	var at sql.NullInt64
	err := s.ro.QueryRowContext(ctx, latestScoringQuery).Scan(&at)
	if err != nil {
		return r, fmt.Errorf("churn risk: %w", err)
	}
	if !at.Valid {
		return r, nil
	}
	r.ScoredAt = fromMillis(at.Int64)
	err = s.ro.QueryRowContext(ctx, churnRiskQuery, at.Int64, threshold).Scan(&r.Scored, &r.AtRisk, &r.MonthlyCOP)
	if err != nil {
		return r, fmt.Errorf("churn risk: %w", err)
	}
	return r, nil
}
