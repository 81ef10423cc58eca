package insight

import (
	"testing"

	"github.com/cis-agencia/cis/store"
)

// TestROICountsMessagingCost: the cost of a campaign is its ad spend plus
// what its messages cost (issue 18), in cost per lead, per customer and ROI,
// and the channel totals carry it.
func TestROICountsMessagingCost(t *testing.T) {
	f := store.CampaignFacts{Campaign: store.Campaign{Key: "ad:1", Channel: "facebook"}, SpendCOP: 1000, MessagingCOP: 200,
		Leads: 4, Won: 1, Lost: 1, RevenueCOP: 2400}
	r := NewROI(f)
	if r.CPL.V != 300 || r.CPA.V != 1200 || r.ROI.V != 1 || r.MessagingCOP != 200 {
		t.Errorf("ROI = %+v; want CPL 300, CPA 1200, ROI 1 with 200 of messaging", r)
	}
	camps, chans := Campaigns([]store.CampaignFacts{f, {Campaign: store.Campaign{Key: "", Channel: ""}, MessagingCOP: 50, Leads: 2}})
	if len(camps) != 2 || camps[1].CPL.V != 25 {
		t.Errorf("organic leads' cost per lead = %+v; want the messaging cost alone, 25", camps[1].CPL)
	}
	for _, c := range chans {
		if c.Channel == "facebook" && c.MessagingCOP != 200 {
			t.Errorf("channel total = %+v; want its messaging cost", c)
		}
	}
}
