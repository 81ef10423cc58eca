// Package insight turns the store's analytics summaries into what the
// agency reads: campaign ROI, predicted versus actual for any probability
// model, and plain-language findings (Spanish first, English second), each
// backed by its numbers and a minimum sample. It holds no SQL: the store
// reads, this package computes, the dashboard shows.
package insight

import (
	"math"
	"sort"

	"github.com/cis-agencia/cis/store"
)

// Ratio is a quotient that may not exist (division by zero); the pages
// show a missing one as "—".
type Ratio struct {
	V  float64
	OK bool
}

func ratio(num, den float64) Ratio {
	if den == 0 {
		return Ratio{}
	}
	return Ratio{V: num / den, OK: true}
}

// ROI is one campaign's (or channel's) return over a period. Money is in
// whole pesos; the cost is the ad spend plus the messaging cost; cost per
// lead and per acquisition are rounded half up to the peso; ROI =
// (revenue − cost) / cost.
type ROI struct {
	Key, Name, Channel string
	Known              bool // described by a campaigns row
	SpendCOP           int64
	MessagingCOP       int64 // what the messages to the campaign's people cost (issue 18)
	Leads              int
	Hot, Warm, Cold    int
	Unscored           int // imported history, never classified
	Won                int // customers won
	RevenueCOP         int64
	CPL, CPA           Ratio // pesos per lead, per customer won
	ROI                Ratio
	Conversion         Ratio // won / (won + lost)
}

// NewROI computes the figures of one campaign from its facts.
func NewROI(f store.CampaignFacts) ROI {
	r := ROI{Key: f.Key, Name: f.Name, Channel: f.Channel, Known: f.Known, SpendCOP: f.SpendCOP, MessagingCOP: f.MessagingCOP, Leads: f.Leads,
		Hot: f.ByClass[0], Warm: f.ByClass[1], Cold: f.ByClass[2], Unscored: f.ByClass[3], Won: f.Won, RevenueCOP: f.RevenueCOP}
	r.finish(f.Lost)
	return r
}

func (r *ROI) finish(lost int) {
	cost := r.SpendCOP + r.MessagingCOP
	r.CPL = pesosPer(cost, r.Leads)
	r.CPA = pesosPer(cost, r.Won)
	r.ROI = ratio(float64(r.RevenueCOP-cost), float64(cost))
	r.Conversion = ratio(float64(r.Won), float64(r.Won+lost))
}

// pesosPer divides whole pesos by a count, rounding half up, in integers.
func pesosPer(cop int64, n int) Ratio {
	if n == 0 {
		return Ratio{}
	}
	return Ratio{V: float64((cop + int64(n)/2) / int64(n)), OK: true}
}

// Campaigns computes every campaign's ROI and the totals per channel
// (campaigns without a channel are grouped under ""), channels by spend.
func Campaigns(facts []store.CampaignFacts) (campaigns, channels []ROI) {
	byCh := map[string]*ROI{}
	lost := map[string]int{}
	for _, f := range facts {
		r := NewROI(f)
		campaigns = append(campaigns, r)
		c, ok := byCh[f.Channel]
		if !ok {
			c = &ROI{Key: f.Channel, Name: f.Channel, Channel: f.Channel, Known: true}
			byCh[f.Channel] = c
		}
		c.SpendCOP += r.SpendCOP
		c.MessagingCOP += r.MessagingCOP
		c.Leads += r.Leads
		c.Hot, c.Warm, c.Cold, c.Unscored = c.Hot+r.Hot, c.Warm+r.Warm, c.Cold+r.Cold, c.Unscored+r.Unscored
		c.Won += r.Won
		c.RevenueCOP += r.RevenueCOP
		lost[f.Channel] += f.Lost
	}
	for k, c := range byCh {
		c.finish(lost[k])
		channels = append(channels, *c)
	}
	sort.Slice(channels, func(i, j int) bool {
		if channels[i].SpendCOP != channels[j].SpendCOP {
			return channels[i].SpendCOP > channels[j].SpendCOP
		}
		return channels[i].Key < channels[j].Key
	})
	return campaigns, channels
}

// finite reports whether a ratio exists and is a number.
func finite(r Ratio) bool { return r.OK && !math.IsNaN(r.V) && !math.IsInf(r.V, 0) }
