package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/bot"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestServeTwoNumbers: `cis serve --numbers FILE` with the Cloud API
// answers each number as its brand, from that number; a message to a
// phone_number_id the file does not declare gets no answer and an
// operator's error in the log that names it.
func TestServeTwoNumbers(t *testing.T) {
	dir := t.TempDir()
	graph := bot.NewFakeGraph()
	gsrv := httptest.NewServer(graph)
	t.Cleanup(gsrv.Close)
	numbers := writeFile(t, dir, "numbers.json", `[
		{"channel": "cloudapi", "number": "111000111", "brand": "Norte Digital SAS", "contact": "datos@norte.example"},
		{"channel": "cloudapi", "number": "222000222", "brand": "Sur Creativo Ltda", "services": "../`+filepath.Base(dir)+`/sur.json"}]`)
	writeFile(t, dir, "sur.json", `[{"key":"video","label":{"es":"Video corporativo","en":"Corporate video"},"synonyms":["video"]}]`)
	env := map[string]string{"CIS_DB": filepath.Join(dir, "cis.db"), "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "warn",
		"CIS_CLOUDAPI_APP_SECRET": "s3cret", "CIS_CLOUDAPI_VERIFY_TOKEN": "tok", "CIS_CLOUDAPI_ACCESS_TOKEN": "acc",
		"CIS_GRAPH_URL": gsrv.URL, "CIS_NUMBERS": numbers}
	var logs syncBuffer
	base := startServeLogging(t, env, &logs)
	post := func(number, from, id string) {
		t.Helper()
		body := fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages",`+
			`"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000000","phone_number_id":%q},`+
			`"contacts":[{"profile":{"name":"x"},"wa_id":%q}],"messages":[{"from":%q,"id":%q,"timestamp":"%d","type":"text","text":{"body":"hola"}}]}}]}]}`,
			number, from, from, id, time.Now().Unix())
		req, _ := http.NewRequest(http.MethodPost, base+"/webhook/whatsapp", bytes.NewReader(body))
		req.Header.Set("X-Hub-Signature-256", bot.Sign("s3cret", body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d", id, resp.StatusCode)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, c := range []struct{ number, from, brand string }{
		{"111000111", "573001110001", "Norte Digital SAS"}, {"222000222", "573002220002", "Sur Creativo Ltda"},
	} {
		post(c.number, c.from, "wamid."+c.number)
		got := graph.Await(ctx, c.from, 1) // more than one: the greeting and the consent
		if len(got) < 2 || got[0].Account != c.number || got[1].Account != c.number || !strings.Contains(got[1].Body, "*"+c.brand+"*") {
			t.Errorf("replies to %s: %+v; want greeting and consent from %s naming %s", c.from, got, c.number, c.brand)
		}
	}
	post("999000999", "573009990009", "wamid.unknown")
	time.Sleep(500 * time.Millisecond)
	if got := graph.Received("573009990009"); len(got) != 0 {
		t.Errorf("a message to an undeclared number was answered: %+v", got)
	}
	if l := logs.String(); !strings.Contains(l, "999000999") || !strings.Contains(l, "held") {
		t.Errorf("no operator error naming the undeclared number in the log:\n%s", l)
	}
}

// TestNumbersFileErrors: a bad --numbers file is refused at start, with
// the entry and the fault named.
func TestNumbersFileErrors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"no brand", `[{"channel":"cloudapi","number":"111"}]`, "brand is required"},
		{"bad channel", `[{"channel":"sms","number":"111","brand":"X"}]`, `channel "sms"`},
		{"phone for an id", `[{"channel":"cloudapi","number":"+57 300","brand":"X"}]`, "phone_number_id"},
		{"twice", `[{"channel":"cloudapi","number":"1","brand":"X"},{"channel":"cloudapi","number":"1","brand":"Y"}]`, "entry 2 (1): declared twice"},
		{"bad linked number", `[{"channel":"whatsapp","number":"300","brand":"X"}]`, "country code"},
		{"missing services", `[{"channel":"cloudapi","number":"1","brand":"X","services":"nope.json"}]`, "nope.json"},
		{"unknown field", `[{"channel":"cloudapi","number":"1","brand":"X","brnad":"Y"}]`, "brnad"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"CIS_DB": filepath.Join(dir, "cis.db"), "CIS_NUMBERS": writeFile(t, dir, "n.json", tc.body)}
			_, err := runCmd(t, env, "", "serve")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--numbers") {
				t.Errorf("err = %v; want one naming --numbers and %q", err, tc.want)
			}
		})
	}
	ns, err := readNumbers(writeFile(t, t.TempDir(), "n.json", `[{"channel":"whatsapp","number":"+57 300 123 4567","brand":"Norte"}]`))
	if err != nil || len(ns) != 1 || ns[0].Address != "573001234567" {
		t.Errorf("linked device number = %+v, %v; want its digits", ns, err)
	}
}
