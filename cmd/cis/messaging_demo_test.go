package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// demoCampaignsShowMessaging: the demo's campaigns page has the
// WhatsApp messaging-cost column (issue 18), with some campaign's messages
// costing something.
func demoCampaignsShowMessaging(t *testing.T, d *demoServer) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(d.base+"/login", url.Values{"username": {d.adminUser}, "password": {d.adminPass}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = c.Get(d.base + "/analytics/campaigns")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Mensajería WhatsApp") {
		t.Fatalf("campaigns page = %d without the messaging column", resp.StatusCode)
	}
	// name, channel, spend, then messaging: at least one campaign's is not $0.
	cost := regexp.MustCompile(`<td>[^<]*</td><td>[^<]*</td><td class="num">[^<]*</td><td class="num">\$[1-9][0-9.]*( M)?</td>`)
	if !cost.MatchString(page) {
		t.Error("no campaign on the demo's campaigns page shows a messaging cost")
	}
}
