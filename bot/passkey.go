package bot

import "strings"

// WhatsApp may ask for the account's passkey before it links a device
// (events.PairPasskeyRequest). The answer is a WebAuthn assertion, which a
// browser makes only for the site the passkey belongs to (the request's
// rpId, WhatsApp's): a page of this program cannot ask for it. The operator
// runs PasskeySnippet in the console of https://web.whatsapp.com on a device
// that holds the passkey and pastes what it prints into the pairing page or
// cis pair; AnswerPasskey hands it to whatsmeow's SendPasskeyResponse.

// passkeyJS turns the request options (JSON, binary fields base64url as
// whatsmeow sends them) into navigator.credentials.get's argument, asks for
// the assertion and prints it in the shape of whatsmeow's
// types.WebAuthnResponse (binary fields base64url without padding).
const passkeyJS = `(async o=>{` +
	`const d=s=>Uint8Array.from(atob(s.replace(/-/g,'+').replace(/_/g,'/')+'='.repeat((4-s.length%4)%4)),c=>c.charCodeAt(0));` +
	`const e=a=>btoa(String.fromCharCode(...new Uint8Array(a))).replace(/\+/g,'-').replace(/\//g,'_').replace(/=+$/,'');` +
	`for(const k in o)if(o[k]===null)delete o[k];` +
	`o.challenge=d(o.challenge);` +
	`o.allowCredentials=(o.allowCredentials||[]).map(c=>{const x={type:c.type||'public-key',id:d(c.id)};if(c.transports)x.transports=c.transports;return x});` +
	`const c=await navigator.credentials.get({publicKey:o}),r=c.response;` +
	`console.log(JSON.stringify({id:c.id,rawId:e(c.rawId),type:c.type,response:{clientDataJSON:e(r.clientDataJSON),` +
	`authenticatorData:e(r.authenticatorData),signature:e(r.signature),userHandle:r.userHandle?e(r.userHandle):null}}))` +
	`})(OPTIONS)`

// PasskeySnippet is the one line to run in the console of
// https://web.whatsapp.com for the passkey request options (JSON).
func PasskeySnippet(options string) string {
	if strings.TrimSpace(options) == "" {
		options = "{}"
	}
	return strings.Replace(passkeyJS, "OPTIONS", options, 1)
}
