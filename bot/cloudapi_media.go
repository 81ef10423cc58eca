package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// mediaTimeout bounds one voice note's download (its URL, then its bytes).
const mediaTimeout = 30 * time.Second

// fetchMedia downloads a voice note the Cloud API way: GET /{media-id} with
// the access token answers a short-lived URL (about five minutes) and the
// type, and GET on that URL with the same token answers the bytes. The id
// is asked again on every attempt, so an expired URL is never reused. An
// error wrapping ErrPermanent will not change on a retry (unknown or
// deleted media, a file over WhatsApp's 16 MB limit).
func (c *CloudAPI) fetchMedia(ctx context.Context, id string) ([]byte, string, error) {
	if !allDigits(id) {
		return nil, "", fmt.Errorf("media id is not numeric: %w", ErrPermanent)
	}
	ctx, cancel := context.WithTimeout(ctx, mediaTimeout)
	defer cancel()
	raw, _, err := c.graphGet(ctx, c.cfg.GraphURL+"/"+id, 64<<10)
	if err != nil {
		return nil, "", fmt.Errorf("media %s: %w", id, err)
	}
	var m struct {
		URL      string `json:"url"`
		MimeType string `json:"mime_type"`
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.URL == "" {
		return nil, "", fmt.Errorf("media %s: answer without a url: %w", id, ErrPermanent)
	}
	if u, err := url.Parse(m.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, "", fmt.Errorf("media %s: bad url: %w", id, ErrPermanent)
	}
	audio, typ, err := c.graphGet(ctx, m.URL, maxAudioBytes+1)
	if err != nil {
		return nil, "", fmt.Errorf("media %s download: %w", id, err)
	}
	if len(audio) > maxAudioBytes {
		return nil, "", fmt.Errorf("media %s over %d bytes: %w", id, maxAudioBytes, ErrPermanent)
	}
	if m.MimeType != "" {
		typ = m.MimeType
	}
	return audio, typ, nil
}

// graphGet reads up to limit bytes from a Graph API URL with the access
// token. A 4xx answer (other than 429) wraps ErrPermanent.
func (c *CloudAPI) graphGet(ctx context.Context, u string, limit int64) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", fmt.Errorf("build request: %w", ErrPermanent)
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.AccessToken)
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("graph api: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	switch {
	case err != nil:
		return nil, "", fmt.Errorf("graph api read: %w", err)
	case resp.StatusCode/100 == 2:
		return body, resp.Header.Get("Content-Type"), nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return nil, "", fmt.Errorf("graph api status %d", resp.StatusCode)
	}
	return nil, "", fmt.Errorf("graph api status %d: %w", resp.StatusCode, ErrPermanent)
}

// receiveOne hands one webhook message to the bot, or to the voice-note
// hold when transcription is on (media: the voice note's media id).
func (c *CloudAPI) receiveOne(ctx context.Context, in flow.Inbound, media string) error {
	if c.voice != nil {
		held, err := c.voice.accept(ctx, in, media)
		if err != nil || held {
			return err
		}
	}
	_, err := c.bot.Receive(ctx, in)
	return err
}

// receiveHeld receives a held message once its voice note is transcribed.
func (c *CloudAPI) receiveHeld(ctx context.Context, in flow.Inbound) error {
	if _, err := c.bot.Receive(ctx, in); err != nil {
		return err
	}
	c.Wake()
	return nil
}
