package importer

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/store"
)

// The customers import takes two files (both through ReadTable):
//
//   - customers: one row per customer — id, name, city, service, plan,
//     source, monthly fee, start date, cancellation date if any, and
//     optionally the dates of the last activity and the last payment;
//   - customer events: one row per dated fact — customer id, date, kind
//     (payment, support, activity, fee_change, plan_change; Spanish names
//     accepted), amount, days late, detail.
//
// Only dated facts can be used by a point-in-time model, so history comes
// as events; a customers file alone still gives tenure, fee, plan, the
// cancellation and the last activity and payment.

var customerSpec = TableSpec{
	Fields:   []string{"customer_id", "name", "city", "service", "plan", "source", "monthly_fee", "start_date", "cancel_date", "last_activity", "last_payment"},
	Required: []string{"customer_id", "monthly_fee", "start_date"},
	Guesses: map[string][]string{
		"customer_id":   {"customerid", "id", "idcliente", "clienteid", "codigo", "codigocliente", "nit", "cliente"},
		"name":          {"name", "nombre", "razonsocial", "empresa", "company", "customername", "nombrecliente"},
		"city":          {"city", "ciudad", "municipio"},
		"service":       {"service", "servicio", "producto", "product"},
		"plan":          {"plan", "paquete", "package", "tier"},
		"source":        {"source", "fuente", "origen", "campaign", "campana", "canal"},
		"monthly_fee":   {"monthlyfee", "fee", "cuota", "cuotamensual", "mensualidad", "valormensual", "tarifa", "monthlycharges", "fee_cop"},
		"start_date":    {"startdate", "start", "fechainicio", "inicio", "fechadeinicio", "desde", "since", "fechaalta"},
		"cancel_date":   {"canceldate", "cancelled", "cancellationdate", "fechacancelacion", "fechadecancelacion", "fechabaja", "baja", "churndate", "hasta"},
		"last_activity": {"lastactivity", "ultimaactividad", "ultimouso", "lastseen", "ultimoingreso"},
		"last_payment":  {"lastpayment", "ultimopago", "fechaultimopago"},
	},
}

var eventSpec = TableSpec{
	Fields:   []string{"customer_id", "date", "kind", "amount", "days_late", "detail"},
	Required: []string{"customer_id", "date", "kind"},
	Guesses: map[string][]string{
		"customer_id": {"customerid", "id", "idcliente", "clienteid", "codigo", "codigocliente", "nit", "cliente"},
		"date":        {"date", "fecha", "at", "timestamp", "dia"},
		"kind":        {"kind", "type", "tipo", "evento", "event"},
		"amount":      {"amount", "valor", "monto", "importe", "amountcop"},
		"days_late":   {"dayslate", "diasatraso", "diasdeatraso", "atraso", "mora", "diasmora"},
		"detail":      {"detail", "detalle", "descripcion", "nota", "motivo", "plan"},
	},
}

// CustomerFields are the fields --map accepts for a customers file.
func CustomerFields() []string { return slices.Clone(customerSpec.Fields) }

// CustomerEventFields are the fields --map accepts for a customer events file.
func CustomerEventFields() []string { return slices.Clone(eventSpec.Fields) }

// CustomerFile is a read customers file.
type CustomerFile struct {
	Header  []string
	Mapping map[string]string
	Rows    []store.CustomerImport
	Bad     []BadRow
}

// CustomerOptions steer ReadCustomers and ReadCustomerEvents.
type CustomerOptions struct {
	Places    *place.Places
	Catalogue flow.Catalogue
	Loc       *time.Location // for dates without a zone; America/Bogota when nil
	Map       map[string]string
}

// ReadCustomers reads a customers file: one row per customer. Each
// customer gets a fee_change event at its start (the fee then, so a
// snapshot knows it) and, when given, an activity and a payment event at
// the last activity and payment dates.
func ReadCustomers(r io.Reader, o CustomerOptions) (*CustomerFile, error) {
	seen := map[string]bool{}
	t, err := ReadTable(r, customerSpec, o.Map, func(get Get) (store.CustomerImport, string) {
		c, reason := readCustomer(get, o)
		if reason == "" && seen[c.ExtKey] {
			return c, fmt.Sprintf("customer_id %q appears on an earlier row too", c.ExtKey)
		}
		seen[c.ExtKey] = true
		return c, reason
	})
	if err != nil {
		return nil, err
	}
	f := &CustomerFile{Header: t.Header, Mapping: t.Mapping, Bad: t.Bad}
	for _, row := range t.Rows {
		c := row.Value
		c.Extra = row.Extra
		f.Rows = append(f.Rows, c)
	}
	return f, nil
}

func readCustomer(get Get, o CustomerOptions) (store.CustomerImport, string) {
	var c store.CustomerImport
	c.ExtKey = get("customer_id")
	if c.ExtKey == "" {
		return c, "customer_id is empty"
	}
	if strings.HasPrefix(c.ExtKey, "lead:") {
		return c, fmt.Sprintf("customer_id %q: the prefix lead: is reserved for won leads", c.ExtKey)
	}
	c.Name, c.Plan, c.Source = get("name"), strings.ToLower(get("plan")), strings.ToLower(get("source"))
	if v := get("city"); v != "" && o.Places != nil {
		city, reason := parseCity(o.Places, v)
		if reason != "" {
			return c, reason
		}
		c.CityCode = city.Code
		if city.Foreign {
			c.CityCode = "foreign"
		}
	}
	if v := get("service"); v != "" {
		c.Service = parseService(o.Catalogue, v)
	}
	fee, ok := ParsePesos(get("monthly_fee"))
	if !ok || fee == 0 {
		return c, fmt.Sprintf("monthly_fee %q: not an amount in pesos", get("monthly_fee"))
	}
	c.MonthlyFeeCOP = fee
	start, ok := ParseDate(get("start_date"), o.Loc)
	if !ok {
		return c, fmt.Sprintf("start_date %q: not a date (use 2006-01-02 or 02/01/2006)", get("start_date"))
	}
	c.StartedAt = start
	dated := []struct {
		field string
		at    *time.Time
		kind  string
	}{{"cancel_date", &c.CancelledAt, ""}, {"last_activity", nil, store.EventActivity}, {"last_payment", nil, store.EventPayment}}
	c.Events = []store.CustomerEvent{{Kind: store.EventFeeChange, At: start, AmountCOP: fee}}
	for _, d := range dated {
		v := get(d.field)
		if v == "" {
			continue
		}
		at, ok := ParseDate(v, o.Loc)
		if !ok {
			return c, fmt.Sprintf("%s %q: not a date", d.field, v)
		}
		if at.Before(start) {
			return c, fmt.Sprintf("%s %s is before start_date %s", d.field, v, get("start_date"))
		}
		if d.at != nil {
			*d.at = at
			continue
		}
		e := store.CustomerEvent{Kind: d.kind, At: at}
		if d.kind == store.EventPayment {
			e.AmountCOP = fee
		}
		c.Events = append(c.Events, e)
	}
	store.SortEvents(c.Events)
	return c, ""
}

// EventFile is a read customer-events file.
type EventFile struct {
	Header  []string
	Mapping map[string]string
	Rows    []store.KeyedCustomerEvent
	Bad     []BadRow
}

var eventKinds = map[string]string{
	"payment": store.EventPayment, "pago": store.EventPayment,
	"support": store.EventSupport, "soporte": store.EventSupport, "queja": store.EventSupport, "reclamo": store.EventSupport, "ticket": store.EventSupport,
	"activity": store.EventActivity, "actividad": store.EventActivity, "uso": store.EventActivity, "login": store.EventActivity, "ingreso": store.EventActivity,
	"feechange": store.EventFeeChange, "cambiodecuota": store.EventFeeChange, "cambiocuota": store.EventFeeChange, "cambiodetarifa": store.EventFeeChange,
	"planchange": store.EventPlanChange, "cambiodeplan": store.EventPlanChange, "cambioplan": store.EventPlanChange,
}

// ReadCustomerEvents reads a customer-events file: one dated fact a row.
func ReadCustomerEvents(r io.Reader, o CustomerOptions) (*EventFile, error) {
	t, err := ReadTable(r, eventSpec, o.Map, func(get Get) (store.KeyedCustomerEvent, string) { return readEvent(get, o) })
	if err != nil {
		return nil, err
	}
	f := &EventFile{Header: t.Header, Mapping: t.Mapping, Bad: t.Bad}
	for _, row := range t.Rows {
		f.Rows = append(f.Rows, row.Value)
	}
	return f, nil
}

func readEvent(get Get, o CustomerOptions) (store.KeyedCustomerEvent, string) {
	var e store.KeyedCustomerEvent
	if e.CustomerKey = get("customer_id"); e.CustomerKey == "" {
		return e, "customer_id is empty"
	}
	at, ok := ParseDate(get("date"), o.Loc)
	if !ok {
		return e, fmt.Sprintf("date %q: not a date (use 2006-01-02 or 02/01/2006)", get("date"))
	}
	e.At = at
	kind, ok := eventKinds[foldHeader(get("kind"))]
	if !ok {
		return e, fmt.Sprintf("kind %q: want payment, support, activity, fee_change or plan_change (pago, soporte, actividad, cambio de cuota, cambio de plan)", get("kind"))
	}
	e.Kind, e.Detail = kind, get("detail")
	if v := get("amount"); v != "" {
		n, ok := ParsePesos(v)
		if !ok {
			return e, fmt.Sprintf("amount %q: not an amount in pesos", v)
		}
		e.AmountCOP = n
	}
	if kind == store.EventFeeChange && e.AmountCOP == 0 {
		return e, "fee_change needs the new fee in amount"
	}
	if kind == store.EventPlanChange {
		if e.Detail == "" {
			return e, "plan_change needs the new plan in detail"
		}
		e.Detail = strings.ToLower(e.Detail)
	}
	if v := get("days_late"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 3650 {
			return e, fmt.Sprintf("days_late %q: want a whole number of days", v)
		}
		e.DaysLate = n
	}
	return e, ""
}
