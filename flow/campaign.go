package flow

import "strings"

// Where a lead came from. A channel reports the ad or tagged link a person
// tapped before writing (Inbound.Referral); the lead carries it as its
// source, and analytics count every lead for the campaign its source names.
// Both rules are here, once: the store registers CampaignKey as the SQL
// function campaign_key, so its summary triggers apply this very code.

// Source is the lead source a referral names: "<type>:<id>" ("ad:120212…",
// "utm:promo_nov"), with the ad click's id after a slash when there is one
// ("ad:120212…/ARAkLk…"). A referral without a type is an ad (WhatsApp's
// click-to-WhatsApp data). Nil names no source: "".
func (r *Referral) Source() string {
	if r == nil {
		return ""
	}
	typ := r.SourceType
	if typ == "" {
		typ = "ad"
	}
	src := typ + ":" + r.SourceID
	if r.CtwaClid != "" {
		src += "/" + r.CtwaClid
	}
	return src
}

// CampaignKey is how a lead's source names its campaign: trimmed,
// lower-cased (ASCII only, as SQLite's lower() did in the first triggers);
// for an ad referral ("ad:<id>/<click id>") without the click id, so every
// click of one ad counts for the same campaign; for a UTM-tagged web chat
// ("utm:<campaign>") the campaign alone, so it meets the imported leads and
// the campaigns file that name it the same way.
func CampaignKey(source string) string {
	s := strings.TrimSpace(source)
	switch {
	case len(s) >= 3 && strings.EqualFold(s[:3], "ad:"):
		if i := strings.IndexByte(s, '/'); i > 0 {
			s = s[:i]
		}
	case len(s) >= 4 && strings.EqualFold(s[:4], "utm:"):
		s = s[4:]
	}
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
