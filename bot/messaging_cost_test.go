package bot

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow/pricing"
	"github.com/cis-agencia/cis/store"
)

// statusWithPricing is a status callback for outbox row id with a pricing
// block (Meta's per-message pricing).
func statusWithPricing(id, status, category, typ string, billable bool, at time.Time) []byte {
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{`+
		`"messaging_product":"whatsapp","metadata":{"phone_number_id":%q},"statuses":[{"id":"wamid.out-%s","status":%q,`+
		`"timestamp":"%d","recipient_id":"573001110901","biz_opaque_callback_data":"outbox:%s",`+
		`"pricing":{"billable":%t,"pricing_model":"PMP","category":%q,"type":%q}}]}}]}]}`,
		testAccount, id, status, at.Unix(), id, billable, category, typ)
}

// TestMessagingCostFromStatusPricing: each message is priced once, from the
// category of its status callback's pricing block and the rate in force
// that day, free ones at nothing, and the campaign that brought the person
// carries the cost as its own figure.
func TestMessagingCostFromStatusPricing(t *testing.T) {
	e := newCloudEnv(t, nil)
	ctx := context.Background()
	completeCloudLeadFromAd(t, e, "573001110901", "clid-cost")
	sent := e.graph.Received("573001110901")
	if len(sent) < 4 {
		t.Fatalf("%d replies; want at least 4", len(sent))
	}
	ids := make([]string, len(sent))
	for i, s := range sent {
		ids[i] = strings.TrimPrefix(s.Outbox, opaquePrefix)
	}
	at := e.h.clock.Now()
	for _, st := range []struct {
		id, status, category, typ string
		billable                  bool
	}{
		{ids[0], "sent", "marketing", "free_entry_point", false}, // the first reply to an ad: free
		{ids[1], "sent", "service", "free_customer_service", false},
		{ids[2], "sent", "utility", "regular", true},
		{ids[2], "delivered", "utility", "regular", true}, // the same message again: priced once
		{ids[3], "delivered", "marketing", "regular", true},
	} {
		if got := e.postSigned(t, statusWithPricing(st.id, st.status, st.category, st.typ, st.billable, at)); got != http.StatusOK {
			t.Fatal(got)
		}
	}
	facts, err := e.h.st.Campaigns(ctx, store.Period{})
	if err != nil {
		t.Fatal(err)
	}
	var ad *store.CampaignFacts
	for i := range facts {
		if facts[i].Key == "ad:120210000000001" {
			ad = &facts[i]
		}
	}
	// Colombia, March 2026, the built-in rates: utility 3.2 + marketing 50.
	if ad == nil || ad.MessagingCOP != 53 || ad.Leads != 1 {
		t.Fatalf("ad campaign = %+v; want 1 lead and 53 COP of messaging", ad)
	}
	// Another table applies to messages priced after it is set.
	tab, err := pricing.Parse([]byte(`{"rates":[{"country":"CO","category":"marketing","from":"2025-07-01","cop":80}]}`))
	if err != nil {
		t.Fatal(err)
	}
	e.h.st.SetRates(tab)
	if got := e.postSigned(t, statusWithPricing(ids[4], "sent", "marketing", "regular", true, at)); got != http.StatusOK {
		t.Fatal(got)
	}
	facts, _ = e.h.st.Campaigns(ctx, store.Period{})
	for _, f := range facts {
		if f.Key == "ad:120210000000001" && f.MessagingCOP != 133 {
			t.Errorf("messaging cost = %d after an 80 COP message; want 133", f.MessagingCOP)
		}
	}
}
