package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
)

func TestFormatSpans(t *testing.T) {
	b := func(s string) chatSpan { return chatSpan{Text: s, Bold: true} }
	p := func(s string) chatSpan { return chatSpan{Text: s} }
	tests := []struct {
		in   string
		want []chatSpan
	}{
		{"hola", []chatSpan{p("hola")}},
		{"Escríbelo: *2 millones* o *no sé*.", []chatSpan{p("Escríbelo: "), b("2 millones"), p(" o "), b("no sé"), p(".")}},
		{"_cursiva_ y ~tachado~", []chatSpan{{Text: "cursiva", Italic: true}, p(" y "), {Text: "tachado", Strike: true}}},
		{"*_las dos_*", []chatSpan{{Text: "las dos", Bold: true, Italic: true}}},
		{"código ```*no* _se_ toca```", []chatSpan{p("código "), {Text: "*no* _se_ toca", Mono: true}}},
		{"mi_correo_de_trabajo", []chatSpan{p("mi_correo_de_trabajo")}},                // inside a word: not a marker
		{"2*3*4 = 24", []chatSpan{p("2*3*4 = 24")}},                                    // between digits: not a marker
		{"* no abre*", []chatSpan{p("* no abre*")}},                                    // a space after the opening marker
		{"*no cierra *", []chatSpan{p("*no cierra *")}},                                // a space before the closing marker
		{"*una\nlínea*", []chatSpan{p("*una\nlínea*")}},                                // markers do not cross lines
		{"**", []chatSpan{p("**")}},                                                    // empty
		{"<b>*x*</b>", []chatSpan{p("<b>"), b("x"), p("</b>")}},                        // markup stays text
		{"(*sí*)", []chatSpan{p("("), b("sí"), p(")")}},                                // punctuation around markers
		{"*SÍ* o *NO*", []chatSpan{b("SÍ"), p(" o "), b("NO")}},                        // consent
		{"``` sin cierre", []chatSpan{p("``` sin cierre")}},                            // monospace needs its closing ticks
		{"precio: $2.000.000 *neto*", []chatSpan{p("precio: $2.000.000 "), b("neto")}}, // money stays
	}
	for _, tt := range tests {
		got := formatSpans(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("formatSpans(%q) = %+v; want %+v", tt.in, got, tt.want)
		}
	}
}

// menuFlow is a stand-in for the flow's menus (built in parallel in flow):
// the consent question offers Sí / No, as flow.Reply.Menu says.
type menuFlow struct{ *flow.Machine }

func (m menuFlow) StepBurst(s flow.State, in flow.Inbound, now time.Time, w time.Duration) flow.Result {
	r := m.Machine.StepBurst(s, in, now, w)
	for i := range r.Replies {
		if k := r.Replies[i].Key; k == "consent" || k == "consent_retry" {
			r.Replies[i].Menu = &flow.Menu{Kind: flow.MenuButtons, Options: []flow.Option{
				{ID: "consent_yes", Title: "Sí"}, {ID: "consent_no", Title: "No", Description: "No autorizo"}}}
		}
	}
	return r
}

func newMenuBotEnv(t testing.TB) *testEnv {
	t.Helper()
	env := newEnv(t, Deps{})
	m, err := flow.New(flow.DefaultConfig(bogota), scoring.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Deps{Store: env.st, Flow: menuFlow{m}, Now: func() time.Time { return env.now }})
	if err != nil {
		t.Fatal(err)
	}
	env.s.bot = b
	return env
}

func (c *client) chatChoice(text, choice string) []chatLine {
	c.e.t.Helper()
	rec := c.do(http.MethodPost, "/chat/messages", url.Values{"text": {text}, "choice": {choice}},
		map[string]string{"X-Requested-With": "fetch", "Accept": "application/json"})
	if rec.Code != http.StatusOK {
		c.e.t.Fatalf("choice %q = %d %s", choice, rec.Code, rec.Body.String())
	}
	var lines []chatLine
	if err := json.Unmarshal(rec.Body.Bytes(), &lines); err != nil {
		c.e.t.Fatal(err)
	}
	return lines
}

// TestWebChatMenusAndFormatting: the consent comes with its choices as
// buttons and its *SÍ* in bold; a tap sends the option's id, which counts
// only when the open menu offers it; answered menus offer nothing.
func TestWebChatMenusAndFormatting(t *testing.T) {
	env := newMenuBotEnv(t)
	v := env.client()
	lines := v.chat("hola")
	last := lines[len(lines)-1]
	if len(last.Menu) != 2 || last.Menu[0] != (chatOption{ID: "consent_yes", Title: "Sí"}) || last.Menu[1].Description != "No autorizo" {
		t.Fatalf("consent line menu = %+v; want Sí / No", last.Menu)
	}
	bold := false
	for _, s := range last.Parts {
		bold = bold || (s.Bold && s.Text == "SÍ")
	}
	if !bold {
		t.Errorf("consent parts %+v; want *SÍ* in bold", last.Parts)
	}
	for _, l := range lines[:len(lines)-1] {
		if l.Menu != nil {
			t.Errorf("a line other than the newest offers a menu: %+v", l)
		}
	}
	// A forged id is taken as what was typed (not a yes); the real one as its title.
	v.chatChoice("sí", "consent_forged")
	if st := env.conversation(t, v); st.Stage != flow.StageName {
		t.Fatalf("after typed sí: stage %s", st.Stage)
	}
	env2 := newMenuBotEnv(t)
	w := env2.client()
	w.chat("hola")
	lines = w.chatChoice("cualquier cosa", "consent_yes")
	if in := lines[len(lines)-2]; !in.In || in.Text != "Sí" {
		t.Errorf("the tapped choice was stored as %+v; want the option's title", in)
	}
	if st := env2.conversation(t, w); st.Stage != flow.StageName || st.ConsentPolicy == "" {
		t.Errorf("after the tap: stage %s consent %q; want consent given", st.Stage, st.ConsentPolicy)
	}
	for _, l := range lines {
		if l.Menu != nil {
			t.Errorf("an answered menu is still offered: %+v", l)
		}
	}
	rec := env2.client().do(http.MethodPost, "/chat/messages", url.Values{"text": {"x"}, "choice": {"consent_yes"}},
		map[string]string{"X-Requested-With": "fetch"})
	if rec.Code != http.StatusOK {
		t.Errorf("a choice from a new visitor (no menu open) = %d; want it taken as text", rec.Code)
	}
}

// conversation reads the state of the visitor's web chat conversation.
func (e *testEnv) conversation(t *testing.T, c *client) flow.State {
	t.Helper()
	ck := c.cookies[chatCookie]
	if ck == nil {
		t.Fatal("no chat cookie")
	}
	key := "web:" + hashToken(ck.Value)[:32]
	v, err := e.st.Conversation(context.Background(), WebChatChannel, webChatAccount, key)
	if err != nil {
		t.Fatal(err)
	}
	return v.State
}

// recordingBot is the web chat's bot that records what it receives.
type recordingBot struct{ got []flow.Inbound }

func (r *recordingBot) Receive(_ context.Context, in flow.Inbound) (bool, error) {
	r.got = append(r.got, in)
	return true, nil
}
func (r *recordingBot) Flush(context.Context, string, bot.Sender) (int, error) { return 0, nil }

// TestWebChatSaysItHasNoPhone: every web chat message tells the flow that
// the visitor's address is not a number to call back (the flow then asks).
func TestWebChatSaysItHasNoPhone(t *testing.T) {
	env := newEnv(t, Deps{})
	rb := &recordingBot{}
	env.s.bot = rb
	env.client().chat("hola")
	if len(rb.got) != 1 || !rb.got[0].NoPhone || rb.got[0].Channel != WebChatChannel {
		t.Errorf("received %+v; want one web chat message with NoPhone", rb.got)
	}
}

// TestBrowserWebChatRendering opens the web chat in Chromium: formatting
// shows as bold, a visitor's markup stays text, and the consent's buttons
// answer it.
func TestBrowserWebChatRendering(t *testing.T) {
	env := newMenuBotEnv(t)
	env.now = time.Now()
	srv := httptest.NewServer(env.s)
	t.Cleanup(srv.Close)
	ctx := browser(t)
	hostileText := `<img src=x onerror="document.title='pwned'"> *hola*`
	err := within(ctx, 30*time.Second,
		chromedp.Navigate(srv.URL+"/chat"), chromedp.WaitVisible(chromedp.CSS("#chat-text")),
		chromedp.SendKeys(chromedp.CSS("#chat-text"), hostileText+"\r"),
		chromedp.WaitVisible(chromedp.CSS("#bubbles li.bot .choices button")),
	)
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	ectx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	got, err := chromedp.Run(ectx, chromedp.Evaluate[map[string]any](`({
		injected: document.querySelectorAll("#bubbles img, #bubbles [onerror]").length,
		title: document.title,
		mine: document.querySelector("#bubbles li.me").textContent,
		mineBold: Array.from(document.querySelectorAll("#bubbles li.me strong")).map(e => e.textContent),
		consentBold: Array.from(document.querySelectorAll("#bubbles li.bot strong")).map(e => e.textContent),
		buttons: Array.from(document.querySelectorAll("#bubbles .choices button")).map(b => b.textContent),
		literalStars: Array.from(document.querySelectorAll("#bubbles li.bot")).some(li => li.textContent.includes("*SÍ*"))
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if got["injected"].(float64) != 0 || got["title"] == "pwned" {
		t.Errorf("the visitor's markup became elements: %v", got)
	}
	if mine := got["mine"].(string); !strings.Contains(mine, `<img src=x onerror=`) || strings.Contains(mine, "*hola*") {
		t.Errorf("visitor bubble %q; want the markup as text and *hola* styled", mine)
	}
	if fmt.Sprint(got["mineBold"]) != "[hola]" || !strings.Contains(fmt.Sprint(got["consentBold"]), "SÍ") || got["literalStars"] == true {
		t.Errorf("bold: visitor %v, consent %v, literal stars %v; want WhatsApp formatting rendered", got["mineBold"], got["consentBold"], got["literalStars"])
	}
	if fmt.Sprint(got["buttons"]) != "[Sí No]" {
		t.Errorf("buttons %v; want [Sí No]", got["buttons"])
	}
	err = within(ctx, 20*time.Second,
		chromedp.Click(chromedp.CSS(`#bubbles .choices button[data-choice="consent_yes"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll("#bubbles li.me:not(.pending)").length >= 2 && document.querySelector("#bubbles li.bot:last-child").textContent.includes("¿Cómo te llamas?")`),
	)
	if err != nil {
		t.Fatalf("tapping Sí: %v", err)
	}
	if n, err := chromedp.Run(ectx, chromedp.Evaluate[int](`document.querySelectorAll("#bubbles .choices button").length`)); err != nil || n != 0 {
		t.Errorf("%d buttons left after the answer (err %v); want none", n, err)
	}
}

// TestLeadPageShowsVoiceTranscript: an advisor reads a voice note's
// transcript, and a reaction's emoji, in the lead's conversation.
func TestLeadPageShowsVoiceTranscript(t *testing.T) {
	env := newBotEnv(t, Deps{})
	ctx := context.Background()
	msgs := []flow.Inbound{
		{Kind: flow.KindText, Text: "hola"},
		{Kind: flow.KindText, Text: "sí"},
		{Kind: flow.KindReaction, Text: "👍"},
		{Kind: flow.KindAudio, Text: "Me llamo Carlos Andrés"},
		{Kind: flow.KindText, Text: "Medellín"},
		{Kind: flow.KindText, Text: "2 millones"},
		{Kind: flow.KindText, Text: "pa' ya"},
		{Kind: flow.KindText, Text: "facebook ads"},
	}
	for i, in := range msgs {
		env.now = env.now.Add(20 * time.Second)
		in.Channel, in.Account, in.From, in.ID, in.At = bot.CloudChannel, "106540352242922", "+573001230000", fmt.Sprintf("wamid.l%d", i), env.now
		if _, err := env.s.bot.Receive(ctx, in); err != nil {
			t.Fatal(err)
		}
		// The replies leave before the next message (a consent answer
		// counts only once its consent text was sent).
		if _, err := env.s.bot.Flush(ctx, bot.CloudChannel, sentAs("wamid.out")); err != nil {
			t.Fatal(err)
		}
	}
	adv := env.client()
	adv.login("advisor1")
	page := adv.do(http.MethodGet, "/leads/1", nil, nil)
	if page.Code != http.StatusOK {
		t.Fatalf("lead page = %d; the conversation did not become a lead", page.Code)
	}
	body := page.Body.String()
	for _, want := range []string{"Nota de voz, transcrita:", "Me llamo Carlos Andrés", "Reaccionó con 👍"} {
		if !strings.Contains(body, want) {
			t.Errorf("lead page lacks %q", want)
		}
	}
}
