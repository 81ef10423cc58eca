package flow

import "testing"

func TestReferralSource(t *testing.T) {
	for _, c := range []struct {
		r    *Referral
		want string
	}{
		{nil, ""},
		{&Referral{SourceID: "120212"}, "ad:120212"},
		{&Referral{SourceType: "ad", SourceID: "120212", CtwaClid: "ARAkLk"}, "ad:120212/ARAkLk"},
		{&Referral{SourceType: "post", SourceID: "99"}, "post:99"},
		{&Referral{SourceType: "utm", SourceID: "promo_nov"}, "utm:promo_nov"},
	} {
		if got := c.r.Source(); got != c.want {
			t.Errorf("%+v.Source() = %q; want %q", c.r, got, c.want)
		}
	}
}

func TestCampaignKey(t *testing.T) {
	for source, want := range map[string]string{
		" FB-Marzo ": "fb-marzo", "ad:120212/ARAkLk": "ad:120212", "AD:120212": "ad:120212", "utm:Promo_Nov": "promo_nov",
		"UTM:x": "x", "google_ads": "google_ads", "": "", "ad:/clid": "ad:", "Ñandú": "Ñandú", "\tTikTok\u00a0": "tiktok",
		"post:99/x": "post:99/x",
	} {
		if got := CampaignKey(source); got != want {
			t.Errorf("CampaignKey(%q) = %q; want %q", source, got, want)
		}
	}
	// Every click of one ad is one campaign.
	a := (&Referral{SourceID: "120212", CtwaClid: "one"}).Source()
	b := (&Referral{SourceType: "AD", SourceID: "120212", CtwaClid: "two"}).Source()
	if CampaignKey(a) != CampaignKey(b) {
		t.Errorf("two clicks of one ad: %q and %q", CampaignKey(a), CampaignKey(b))
	}
}
