package dashboard

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"go.mau.fi/whatsmeow/types"

	"github.com/cis-agencia/cis/bot"
)

// TestPasskeySnippetInChromium runs the line the pairing page tells the
// operator to run on web.whatsapp.com (bot.PasskeySnippet) in a real
// Chromium with a virtual authenticator holding a passkey for the page's
// site, with request options shaped as whatsmeow's types.WebAuthnPublicKey
// marshals them. What it prints must decode into whatsmeow's
// types.WebAuthnResponse and carry a valid assertion over the challenge.
// (WhatsApp's own site and passkeys cannot be reached from here: this
// checks the snippet against the WebAuthn standard, not against WhatsApp.)
func TestPasskeySnippetInChromium(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	credID := []byte("cis-test-credential-1")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>web.whatsapp.com stand-in</title>"))
	}))
	t.Cleanup(srv.Close)
	origin := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) // WebAuthn wants a domain, and localhost is a secure context
	ctx := browser(t)
	setup := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		auth, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2,
				Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
				IsUserVerified: true, AutomaticPresenceSimulation: true,
				HasCmtgKey: true}}) // cdproto always sends the credential's CMTG fields, which Chromium refuses otherwise
		if err != nil {
			return err
		}
		_, err = cdp.Call(ctx, tg, webauthn.AddCredential, webauthn.AddCredentialParams{AuthenticatorID: auth.AuthenticatorID,
			Credential: &webauthn.Credential{CredentialID: credID, RpID: "localhost", PrivateKey: pkcs8, SignCount: 1}})
		return err
	})
	if err := within(ctx, 20*time.Second, chromedp.Navigate(origin), setup); err != nil {
		t.Fatalf("virtual authenticator: %v", err)
	}
	challenge := []byte("whatsapp-challenge-42")
	opts, err := json.Marshal(&types.WebAuthnPublicKey{Challenge: challenge, Timeout: 60000, RelyingPartID: "localhost",
		AllowCredentials: []types.AllowedCredential{{ID: credID, Type: "public-key"}}, UserVerification: "preferred"})
	if err != nil {
		t.Fatal(err)
	}
	// The operator reads what the snippet prints in the console; here it is caught.
	expr := `(async()=>{let out;const log=console.log;console.log=x=>{out=x};try{await ` + bot.PasskeySnippet(string(opts)) +
		`}finally{console.log=log}return out})()`
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	printed, err := chromedp.Run(rctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("snippet: %v", err)
	}
	var resp types.WebAuthnResponse
	if err := json.Unmarshal([]byte(printed), &resp); err != nil {
		t.Fatalf("printed %q does not decode as whatsmeow's WebAuthnResponse: %v", printed, err)
	}
	if string(resp.RawID) != string(credID) || resp.Type != "public-key" || resp.ID == "" {
		t.Errorf("credential %q (%s, %s)", resp.RawID, resp.ID, resp.Type)
	}
	var client struct{ Type, Challenge, Origin string }
	if err := json.Unmarshal(resp.Response.ClientDataJSON, &client); err != nil {
		t.Fatal(err)
	}
	if client.Type != "webauthn.get" || client.Origin != origin || client.Challenge != "d2hhdHNhcHAtY2hhbGxlbmdlLTQy" {
		t.Errorf("client data %+v", client)
	}
	// The assertion is valid: signed by the passkey over authenticatorData ‖ SHA-256(clientDataJSON).
	h := sha256.Sum256(resp.Response.ClientDataJSON)
	signed := sha256.Sum256(append(append([]byte{}, resp.Response.AuthenticatorData...), h[:]...))
	if !ecdsa.VerifyASN1(&key.PublicKey, signed[:], resp.Response.Signature) {
		t.Error("the assertion's signature does not verify")
	}
}
