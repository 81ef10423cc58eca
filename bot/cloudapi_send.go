package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cis-agencia/cis/store"
)

// opaquePrefix starts the biz_opaque_callback_data of every send: Meta echoes
// it in the status callbacks, which names the outbox row even when the
// process died before recording the send's answer.
const opaquePrefix = "outbox:"

// window is the Cloud API customer-service window: free-form replies only
// within 24 hours of the person's last message.
const window = 24 * time.Hour

// errUncertain marks a send whose request may have reached the Graph API
// (the connection broke after it was written, or no answer came in time):
// the row follows the resend policy of its kind (store/sending.go), and a
// status callback confirms it.
var errUncertain = errors.New("send outcome unknown")

// graphText is one Graph API send: a text, or an interactive message
// (cloudapi_interactive.go) when the reply offers a menu.
type graphText struct {
	MessagingProduct string            `json:"messaging_product"`
	RecipientType    string            `json:"recipient_type"`
	To               string            `json:"to,omitempty"`
	Recipient        string            `json:"recipient,omitempty"` // a business-scoped user id, instead of To
	Type             string            `json:"type"`
	Text             *graphTextBody    `json:"text,omitempty"`
	Interactive      *graphInteractive `json:"interactive,omitempty"`
	Template         *graphTemplate    `json:"template,omitempty"`
	BizOpaque        string            `json:"biz_opaque_callback_data"`
}

// graphTemplate is an approved template with its body's parameters.
type graphTemplate struct {
	Name     string `json:"name"`
	Language struct {
		Code string `json:"code"`
	} `json:"language"`
	Components []graphComponent `json:"components,omitempty"`
}

type graphComponent struct {
	Type       string       `json:"type"` // "body"
	Parameters []graphParam `json:"parameters"`
}

type graphParam struct {
	Type string `json:"type"` // "text"
	Text string `json:"text"`
}

// newGraphTemplate is the Graph API's form of t.
func newGraphTemplate(t store.TemplateSend) *graphTemplate {
	g := &graphTemplate{Name: t.Name}
	g.Language.Code = t.Language
	if len(t.Params) > 0 {
		body := graphComponent{Type: "body"}
		for _, p := range t.Params {
			body.Parameters = append(body.Parameters, graphParam{Type: "text", Text: p})
		}
		g.Components = []graphComponent{body}
	}
	return g
}

type graphTextBody struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url"`
}

type graphAnswer struct {
	Messages []struct {
		ID string `json:"id"`
	} `json:"messages"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Graph API error codes the sender treats specially (Meta's error reference).
const (
	codeOutsideWindow = 131047 // more than 24 hours since the person last wrote
	codeThroughput    = 130429 // number's throughput exceeded: retry later
	codePairRate      = 131056 // too many messages to this person: retry later
	codeUnreachable   = 131026 // the person cannot receive the message (no WhatsApp, old app, blocked)
	codeInvalidParam  = 100    // a parameter is not valid
	codeBadParamValue = 131009 // a parameter value is not valid
)

// errUnreachable marks a send Meta refused because the person cannot
// receive it (131026): the contact is marked unreachable on the lead page.
var errUnreachable = fmt.Errorf("recipient cannot receive WhatsApp messages: %w", ErrPermanent)

// errRefusedParams marks a send the Graph API refused for its content: an
// interactive message refused so is sent again as text.
var errRefusedParams = errors.New("graph api refused the message's parameters")

// address fills in whom msg goes to: "to", the phone, when the person's
// number is known (Meta recommends it: it keeps the number in later
// webhooks), else "recipient", their business-scoped user id (a person who
// hides their number behind a username).
func address(msg *graphText, o store.Outgoing) error {
	switch {
	case store.IsPhoneKey(o.To):
		msg.To = strings.TrimPrefix(o.To, "+")
	case o.Recipient != "":
		msg.Recipient = o.Recipient
	case strings.HasPrefix(o.To, "bsuid:"):
		msg.Recipient = strings.TrimPrefix(o.To, "bsuid:")
	default:
		return fmt.Errorf("recipient is neither a phone nor a business-scoped user id: %w", ErrPermanent)
	}
	return nil
}

// Send posts one reply to POST {GraphURL}/{phone-number-id}/messages and
// returns the message's wamid. It implements Sender. A reply with a menu goes
// as reply buttons or a list message when the menu fits Meta's limits, and as
// its text otherwise, or when the Graph API refuses the interactive message's
// content. Errors wrap ErrPermanent when retrying cannot help, errUncertain
// when the request may have been accepted.
func (c *CloudAPI) Send(ctx context.Context, o store.Outgoing) (string, error) {
	msg := graphText{MessagingProduct: "whatsapp", RecipientType: "individual",
		BizOpaque: opaquePrefix + strconv.FormatInt(o.ID, 10)}
	if err := address(&msg, o); err != nil {
		return "", err
	}
	if o.Template != nil {
		msg.Type, msg.Template = "template", newGraphTemplate(*o.Template)
		return c.post(ctx, o.Account, msg)
	}
	if ia := interactiveFor(o.Body, o.Menu); ia != nil {
		msg.Type, msg.Interactive = "interactive", ia
		id, err := c.post(ctx, o.Account, msg)
		if !errors.Is(err, errRefusedParams) {
			return id, err
		}
		c.log.Warn("interactive message refused; sent as text", "outbox_id", o.ID, "err", err)
	}
	msg.Type, msg.Interactive, msg.Text = "text", nil, &graphTextBody{Body: o.Body}
	return c.post(ctx, o.Account, msg)
}

// post sends msg from account and reads the Graph API's answer.
func (c *CloudAPI) post(ctx context.Context, account string, msg graphText) (string, error) {
	body, err := json.Marshal(msg)
	if err != nil {
		return "", fmt.Errorf("encode message: %w", ErrPermanent)
	}
	url := c.cfg.GraphURL + "/" + account + "/messages"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("build request: %w", ErrPermanent)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.cfg.AccessToken)
	if err := ctx.Err(); err != nil {
		return "", err // nothing was sent
	}
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return "", fmt.Errorf("graph api unreachable: %w", err) // nothing was sent: retry
		}
		// A timeout, a reset or a cancellation after the request was
		// written: Meta may have the message.
		return "", fmt.Errorf("graph api: %w: %w", err, errUncertain)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var a graphAnswer
	_ = json.Unmarshal(raw, &a) // an unreadable answer is judged by its status code
	if resp.StatusCode/100 == 2 && len(a.Messages) > 0 && a.Messages[0].ID != "" {
		return a.Messages[0].ID, nil
	}
	code := 0
	if a.Error != nil {
		code = a.Error.Code
	}
	err = &graphError{status: resp.StatusCode, code: code}
	switch {
	case resp.StatusCode/100 == 2:
		return "", fmt.Errorf("graph api accepted without an id: %w", errUncertain)
	case code == codeOutsideWindow:
		return "", fmt.Errorf("%w: %w", err, errOutsideWindow)
	case code == codeUnreachable:
		return "", fmt.Errorf("%w: %w", err, errUnreachable)
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500, code == codeThroughput, code == codePairRate:
		return "", err // transient: retried with backoff
	case resp.StatusCode == http.StatusBadRequest && (code == codeInvalidParam || code == codeBadParamValue):
		return "", fmt.Errorf("%w: %w: %w", err, errRefusedParams, ErrPermanent)
	default:
		return "", fmt.Errorf("%w: %w", err, ErrPermanent)
	}
}
