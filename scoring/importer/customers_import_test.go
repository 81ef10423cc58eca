package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/store"
)

func customerOpts(t *testing.T) CustomerOptions {
	t.Helper()
	places, err := place.Load()
	if err != nil {
		t.Fatal(err)
	}
	return CustomerOptions{Places: places, Catalogue: flow.DefaultCatalogue()}
}

func TestReadCustomersMessyFile(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "testdata", "import", "messy_customers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := ReadCustomers(f, customerOpts(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 3 {
		t.Fatalf("%d good rows; want 3 (C-001, C-002, C-003): %+v bad %+v", len(res.Rows), res.Rows, res.Bad)
	}
	wantBad := map[int]string{5: "monthly_fee", 6: "city", 7: "start_date", 8: "appears on an earlier row", 9: "before start_date"}
	if len(res.Bad) != len(wantBad) {
		t.Errorf("bad rows = %+v; want lines %v", res.Bad, wantBad)
	}
	for _, b := range res.Bad {
		if w, ok := wantBad[b.Line]; !ok || !strings.Contains(b.Reason, w) {
			t.Errorf("line %d: %q; want it to mention %q", b.Line, b.Reason, w)
		}
	}
	c1, c2, c3 := res.Rows[0], res.Rows[1], res.Rows[2]
	bog := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, bogota).UTC() }
	if c1.ExtKey != "C-001" || c1.Name != "Panadería La Esquina" || c1.CityCode != "05001" || c1.Service != "ads" ||
		c1.Plan != "estándar" || c1.Source != "facebook ads" || c1.MonthlyFeeCOP != 1_500_000 || !c1.StartedAt.Equal(bog(2025, 3, 2)) {
		t.Errorf("C-001 = %+v", c1.Customer)
	}
	// The start's fee and the last activity become dated events; unmapped columns are kept.
	if len(c1.Events) != 2 || c1.Events[0].Kind != store.EventFeeChange || c1.Events[0].AmountCOP != 1_500_000 ||
		c1.Events[1].Kind != store.EventActivity || !c1.Events[1].At.Equal(bog(2026, 10, 20)) || c1.Extra["Sector"] != "alimentos" {
		t.Errorf("C-001 events = %+v, extra %v", c1.Events, c1.Extra)
	}
	if !c2.CancelledAt.Equal(bog(2026, 9, 15)) || !c2.StartedAt.Equal(bog(2025, 4, 3)) || c3.CityCode != "08001" || !c3.CancelledAt.IsZero() {
		t.Errorf("C-002 = %+v; C-003 = %+v", c2.Customer, c3.Customer)
	}
}

func TestReadCustomerEvents(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "testdata", "import", "customer_events.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := ReadCustomerEvents(f, customerOpts(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 6 || len(res.Bad) != 2 || res.Bad[0].Line != 8 || !strings.Contains(res.Bad[1].Reason, "amount") {
		t.Fatalf("rows %d, bad %+v; want 6 good and lines 8 (kind) and 9 (amount) bad", len(res.Rows), res.Bad)
	}
	want := []store.KeyedCustomerEvent{
		{CustomerKey: "C-001", CustomerEvent: store.CustomerEvent{Kind: store.EventPayment, AmountCOP: 1_500_000}},
		{CustomerKey: "C-001", CustomerEvent: store.CustomerEvent{Kind: store.EventPayment, AmountCOP: 1_500_000, DaysLate: 10}},
		{CustomerKey: "C-001", CustomerEvent: store.CustomerEvent{Kind: store.EventSupport, Detail: "factura"}},
		{CustomerKey: "C-002", CustomerEvent: store.CustomerEvent{Kind: store.EventFeeChange, AmountCOP: 900_000}},
		{CustomerKey: "C-002", CustomerEvent: store.CustomerEvent{Kind: store.EventPlanChange, Detail: "estándar"}},
		{CustomerKey: "C-003", CustomerEvent: store.CustomerEvent{Kind: store.EventActivity}},
	}
	for i, w := range want {
		g := res.Rows[i]
		g.At = time.Time{}
		if g != w {
			t.Errorf("row %d = %+v; want %+v", i, g, w)
		}
	}
}
