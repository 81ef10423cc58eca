package importer

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// campaignSpec is the campaigns import: one row per campaign and spend
// entry (a day's or a month's amount); a row without date and amount only
// describes the campaign. campaign is the text the campaign's leads carry
// as their source (leads import, ad referral "ad:<id>", UTM campaign).
var campaignSpec = TableSpec{
	Fields:   []string{"campaign", "name", "channel", "started_on", "ended_on", "period", "date", "amount"},
	Required: []string{"campaign"},
	Guesses: map[string][]string{
		"campaign":   {"campaign", "campana", "campaignid", "idcampana", "source", "fuente", "origen", "utmcampaign", "clave", "key"},
		"name":       {"name", "nombre", "campaignname", "nombrecampana", "descripcion"},
		"channel":    {"channel", "canal", "medio", "plataforma", "platform", "network", "red"},
		"started_on": {"startedon", "start", "startdate", "inicio", "fechainicio", "desde"},
		"ended_on":   {"endedon", "end", "enddate", "fin", "fechafin", "hasta"},
		"period":     {"period", "periodo", "granularidad", "frecuencia"},
		"date":       {"date", "fecha", "dia", "day", "mes", "month"},
		"amount":     {"amount", "spend", "gasto", "inversion", "monto", "costo", "cost", "valor"},
	},
}

// CampaignFields are the fields a campaigns import maps from the file's columns.
func CampaignFields() []string { return slices.Clone(campaignSpec.Fields) }

// ImportedCampaign is one good row of a campaigns file.
type ImportedCampaign struct {
	Key, Name, Channel string
	StartedOn, EndedOn string // YYYY-MM-DD (Colombian) or ""
	HasSpend           bool
	Period             string // day, month
	Day                string // YYYY-MM-DD; a month's first day for period month
	AmountCOP          int64
}

// channelSynonyms maps what spreadsheets write to the channel names the
// campaigns table uses; other names are kept, lower-cased.
var channelSynonyms = map[string]string{
	"facebook": "facebook", "fb": "facebook", "facebookads": "facebook", "meta": "facebook", "metaads": "facebook",
	"instagram": "instagram", "ig": "instagram", "google": "google", "googleads": "google", "adwords": "google", "sem": "google",
	"tiktok": "tiktok", "tiktokads": "tiktok", "web": "web", "sitioweb": "web", "organico": "web", "organic": "web", "seo": "web",
	"referral": "referral", "referido": "referral", "referidos": "referral", "other": "other", "otro": "other", "otros": "other",
	"feria": "other", "evento": "other", "event": "other",
}

// ReadCampaigns reads a campaigns file (see ReadTable). A bad date, amount
// or period is a bad row; an amount needs a date and a date an amount.
func ReadCampaigns(r io.Reader, explicit map[string]string) (*Table[ImportedCampaign], error) {
	return ReadTable(r, campaignSpec, explicit, func(get Get) (ImportedCampaign, string) {
		c := ImportedCampaign{Key: get("campaign"), Name: get("name")}
		if c.Key == "" {
			return c, "empty campaign"
		}
		if ch := get("channel"); ch != "" {
			if s, ok := channelSynonyms[foldHeader(ch)]; ok {
				c.Channel = s
			} else {
				c.Channel = strings.ToLower(ch)
			}
		}
		for _, d := range []struct {
			field string
			dst   *string
		}{{"started_on", &c.StartedOn}, {"ended_on", &c.EndedOn}} {
			if raw := get(d.field); raw != "" {
				t, ok := ParseDate(raw, nil)
				if !ok {
					return c, fmt.Sprintf("%s %q is not a date", d.field, raw)
				}
				*d.dst = t.In(bogota).Format("2006-01-02")
			}
		}
		rawDate, rawAmount := get("date"), get("amount")
		if rawDate == "" && rawAmount == "" {
			return c, ""
		}
		if rawDate == "" || rawAmount == "" {
			return c, "a spend needs both date and amount"
		}
		amount, ok := ParsePesos(rawAmount)
		if !ok {
			return c, fmt.Sprintf("amount %q is not a peso amount", rawAmount)
		}
		period, month := "", false
		switch foldHeader(get("period")) {
		case "":
		case "day", "dia", "diario", "daily":
			period = "day"
		case "month", "mes", "mensual", "monthly":
			period = "month"
		default:
			return c, fmt.Sprintf("period %q is neither day nor month", get("period"))
		}
		day, ok := ParseDate(rawDate, nil)
		if !ok {
			if m, okm := parseMonth(rawDate); okm {
				day, ok, month = m, true, true
			}
		}
		if !ok {
			return c, fmt.Sprintf("date %q is not a date", rawDate)
		}
		if period == "" {
			period = "day"
			if month {
				period = "month"
			}
		}
		if period == "day" && month {
			return c, fmt.Sprintf("date %q is a month but the period is day", rawDate)
		}
		local := day.In(bogota)
		if period == "month" {
			local = time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, bogota)
		}
		c.HasSpend, c.Period, c.Day, c.AmountCOP = true, period, local.Format("2006-01-02"), amount
		return c, ""
	})
}

// parseMonth reads a month as spreadsheets write it: 2026-03, 03/2026, 2026/03.
func parseMonth(raw string) (time.Time, bool) {
	for _, layout := range []string{"2006-01", "01/2006", "1/2006", "2006/01"} {
		if t, err := time.ParseInLocation(layout, raw, bogota); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
