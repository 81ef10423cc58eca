package bot

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cis-agencia/cis/flow"
)

// faultText is what parseDelivery's errors may contain: our own words,
// numbers and JSON field paths, never a piece of the body (it is logged).
var faultText = regexp.MustCompile(`^[a-zA-Z0-9_ .:,]+$`)

// FuzzParseDelivery feeds the webhook decoder arbitrary bodies. Seeds: every
// fixture of testdata/cloudapi plus bot/testdata/fuzz/FuzzParseDelivery.
// A body is either refused with an error that names the fault and quotes
// nothing, or gives messages and statuses the bot can store as they are.
func FuzzParseDelivery(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "cloudapi", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no webhook fixtures: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := parseDelivery(body)
		if err != nil {
			if !faultText.MatchString(err.Error()) || len(err.Error()) > 200 {
				t.Fatalf("error text %q quotes the body or is too long", err)
			}
			if len(d.messages) != 0 || len(d.statuses) != 0 {
				t.Fatal("a refused body still gave messages or statuses")
			}
			return
		}
		for _, m := range d.messages {
			from, phone := strings.CutPrefix(m.From, "+")
			switch {
			case m.ID == "" || m.Account == "":
				t.Fatalf("message without id or account: %+v", m)
			case phone && !allDigits(from):
				t.Fatalf("sender %q is neither +digits nor bsuid:", m.From)
			case !phone && (!strings.HasPrefix(m.From, "bsuid:") || len(m.From) == len("bsuid:")):
				t.Fatalf("sender %q is neither +digits nor bsuid:", m.From)
			case m.At.Unix() <= 0 || m.At.Location().String() != "UTC":
				t.Fatalf("time %v is not a positive UTC instant", m.At)
			case m.Channel != CloudChannel:
				t.Fatalf("channel %q", m.Channel)
			case m.Kind == flow.KindLocation && m.Location == nil:
				t.Fatal("location message without coordinates")
			}
		}
		for _, s := range d.statuses {
			if s.ExtID == "" || s.Status == "" || s.At.Unix() <= 0 {
				t.Fatalf("status %+v", s)
			}
		}
	})
}

// FuzzValidSignature checks the webhook's HMAC check against Sign: the
// right signature passes (in either hex case), and any other header, or an
// empty secret, fails.
func FuzzValidSignature(f *testing.F) {
	f.Add("app-secret", "sha256=00", []byte(`{"object":"whatsapp_business_account"}`))
	f.Add("s", "", []byte{})
	f.Add("", "sha256=", []byte("x"))
	f.Fuzz(func(t *testing.T, secret, header string, body []byte) {
		good := Sign(secret, body)
		if got := validSignature(secret, good, body); got != (secret != "") {
			t.Fatalf("own signature: %v with secret %q", got, secret)
		}
		if secret != "" && !validSignature(secret, "sha256="+strings.ToUpper(strings.TrimPrefix(good, "sha256=")), body) {
			t.Fatal("upper-case hex refused")
		}
		if validSignature(secret, header, body) && !strings.EqualFold(header, good) {
			t.Fatalf("header %q accepted; only %q is right", header, good)
		}
	})
}
