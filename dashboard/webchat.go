package dashboard

import (
	"context"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// transcriptStore is what the web chat reads back: the visitor's
// conversation as the store holds it.
type transcriptStore interface {
	Transcript(ctx context.Context, phone string) ([]store.TranscriptLine, error)
}

// Web chat: the third channel. A browser visitor is identified by a random
// cookie; their messages go through the real bot (Receive, then Flush), and
// the page shows the conversation as the store holds it.
const (
	WebChatChannel = "webchat"
	webChatAccount = "web"
	chatCookie     = "cis_chat"
	maxChatRunes   = 1000
	// Anti-automation (ASVS 2.4.1): messages per IP per minute, new chats per IP per hour.
	chatMsgLimit = 30
	chatNewLimit = 20
)

type chatPage struct {
	page
}

func (s *Server) chatPage(c echo.Context) error {
	lang := langOf(c)
	p := chatPage{page: s.basePage(c, lang)}
	p.Title = T(lang, "chat.title")
	p.Embed = c.QueryParam("embed") == "1"
	// A UTM-tagged link (or the widget, which forwards its page's tag) names
	// the campaign; it is kept until the visitor's first message, which
	// carries it as the conversation's referral (the lead's source "utm:…").
	if v := c.QueryParam("utm_campaign"); validUTM(v) {
		// #nosec G124 -- HttpOnly and SameSite are set; Secure follows --secure (on behind HTTPS), as for the session cookie
		c.SetCookie(&http.Cookie{Name: utmCookie, Value: v, Path: "/chat", MaxAge: 24 * 3600,
			HttpOnly: true, Secure: s.secure, SameSite: s.chatSameSite()})
	}
	return c.Render(http.StatusOK, "chat", p)
}

const utmCookie = "cis_utm"

// validUTM accepts a campaign tag of 1–64 letters, digits and - _ . : (what
// ad platforms put in utm_campaign); anything else is ignored, not stored.
func validUTM(v string) bool {
	if v == "" || len(v) > 64 {
		return false
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:", r)) {
			return false
		}
	}
	return true
}

// chatKey is the visitor's contact key (the session cookie's hash, so the
// cookie itself is not stored), or "" without a cookie.
func (s *Server) chatKey(c echo.Context) string {
	ck, err := c.Cookie(chatCookie)
	if err != nil || ck.Value == "" || len(ck.Value) > 100 {
		return ""
	}
	return "web:" + hashToken(ck.Value)[:32]
}

type chatLine struct {
	In    bool         `json:"in"`
	Text  string       `json:"text"`
	Parts []chatSpan   `json:"parts"`          // Text with WhatsApp's formatting (webchat_format.go)
	Menu  []chatOption `json:"menu,omitempty"` // the newest reply's choices, as buttons
	At    string       `json:"at"`
}

const timeFormat = time.RFC3339

func (s *Server) chatMessages(c echo.Context) error {
	key := s.chatKey(c)
	lines := []chatLine{}
	if key != "" {
		t, err := s.transcripts.Transcript(c.Request().Context(), key)
		if err != nil {
			return err
		}
		lines = chatLines(t)
	}
	return c.JSON(http.StatusOK, lines)
}

func (s *Server) chatSend(c echo.Context) error {
	if s.bot == nil {
		return echo.ErrServiceUnavailable
	}
	if c.Request().Header.Get("X-Requested-With") == "" {
		return echo.ErrForbidden // a plain cross-site form cannot set this header
	}
	ip := c.RealIP()
	if s.chatLimit.blocked("msg:"+ip, chatMsgLimit, time.Minute) {
		return echo.NewHTTPError(http.StatusTooManyRequests)
	}
	text := strings.TrimSpace(c.FormValue("text"))
	if text == "" || !utf8.ValidString(text) || utf8.RuneCountInString(text) > maxChatRunes {
		return echo.ErrBadRequest
	}
	key := s.chatKey(c)
	var referral *flow.Referral
	if key == "" {
		if ck, err := c.Cookie(utmCookie); err == nil && validUTM(ck.Value) {
			referral = &flow.Referral{SourceType: "utm", SourceID: ck.Value}
		}
		if s.chatLimit.blocked("new:"+ip, chatNewLimit, time.Hour) {
			return echo.NewHTTPError(http.StatusTooManyRequests)
		}
		s.chatLimit.add("new:"+ip, time.Hour)
		token := newToken()
		// #nosec G124 -- Secure follows the configured public scheme; SameSite as the widget needs
		c.SetCookie(&http.Cookie{Name: chatCookie, Value: token, Path: "/chat", MaxAge: 30 * 24 * 3600,
			HttpOnly: true, Secure: s.secure, SameSite: s.chatSameSite()})
		key = "web:" + hashToken(token)[:32]
	}
	s.chatLimit.add("msg:"+ip, time.Minute)
	// The client sends an id per message so that a retried POST is one message.
	id := c.FormValue("id")
	if !validMsgID(id) {
		id = newToken()[:22]
	}
	ctx := c.Request().Context()
	// A web chat session is not a phone the agency can call: the flow asks
	// for a number (NoPhone).
	in := flow.Inbound{Channel: WebChatChannel, Account: webChatAccount, ID: key[4:20] + "-" + id, From: key,
		Kind: flow.KindText, Text: text, At: s.now(), Referral: referral, NoPhone: true}
	if choice := c.FormValue("choice"); choice != "" {
		// A tapped button: its id counts only when the open menu offers
		// it, and the text is then the option's own title.
		t, err := s.transcripts.Transcript(ctx, key)
		if err != nil {
			return err
		}
		if o, ok := offered(t, choice); ok {
			in.Choice, in.Text = o.ID, o.Title
		}
	}
	if _, err := s.bot.Converse(ctx, in); err != nil {
		return err
	}
	s.metrics.messages.Add(1)
	t, err := s.transcripts.Transcript(ctx, key)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, chatLines(t))
}

// chatSameSite: an embedded widget lives in another site's page, so its
// cookie must be SameSite=None (which needs Secure); otherwise Lax.
func (s *Server) chatSameSite() http.SameSite {
	if s.secure && len(s.widgetOrigins) > 0 {
		return http.SameSiteNoneMode
	}
	return http.SameSiteLaxMode
}

func validMsgID(id string) bool {
	if len(id) < 8 || len(id) > 40 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
