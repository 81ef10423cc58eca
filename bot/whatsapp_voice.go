package bot

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/cis-agencia/cis/flow"
)

// Voice notes on the linked device (voice.go): the held message keeps the
// AudioMessage itself (its direct path, media key and hashes, protobuf
// encoded), which is what whatsmeow needs to download and decrypt the
// audio later, after the event handler returned and the message was acked.

// waDownloader is the part of *whatsmeow.Client that downloads media.
type waDownloader interface {
	Download(ctx context.Context, msg whatsmeow.DownloadableMessage) ([]byte, error)
}

var _ waDownloader = (*whatsmeow.Client)(nil)

// holdVoice holds a voice note for transcription, or a later message of a
// person who has one held; held false means it is received now.
func (w *WhatsApp) holdVoice(e *events.Message, in flow.Inbound) (held bool, err error) {
	if w.voice == nil {
		return false, nil
	}
	ref := ""
	if a := e.Message.GetAudioMessage(); a != nil && in.Kind == flow.KindAudio {
		raw, err := proto.Marshal(a)
		if err != nil {
			return false, fmt.Errorf("encode voice note: %w", err)
		}
		ref = base64.StdEncoding.EncodeToString(raw)
	}
	return w.voice.accept(w.runCtx(), in, ref)
}

// fetchVoice downloads and decrypts a held voice note through the client.
func (w *WhatsApp) fetchVoice(ctx context.Context, ref string) ([]byte, string, error) {
	raw, err := base64.StdEncoding.DecodeString(ref)
	var a waE2E.AudioMessage
	if err != nil || proto.Unmarshal(raw, &a) != nil {
		return nil, "", fmt.Errorf("voice note reference unreadable: %w", ErrPermanent)
	}
	w.mu.Lock()
	c := w.client
	w.mu.Unlock()
	d, ok := c.(waDownloader)
	if !ok {
		return nil, "", errNotConnected // no client yet: tried again
	}
	ctx, cancel := context.WithTimeout(ctx, mediaTimeout)
	defer cancel()
	audio, err := d.Download(ctx, &a)
	switch {
	case errors.Is(err, whatsmeow.ErrMediaDownloadFailedWith404), errors.Is(err, whatsmeow.ErrMediaDownloadFailedWith410),
		errors.Is(err, whatsmeow.ErrNoURLPresent), errors.Is(err, whatsmeow.ErrInvalidMediaHMAC):
		return nil, "", fmt.Errorf("voice note download: %w: %w", err, ErrPermanent) // gone or damaged
	case err != nil:
		return nil, "", fmt.Errorf("voice note download: %w", err)
	case len(audio) > maxAudioBytes:
		return nil, "", fmt.Errorf("voice note over %d bytes: %w", maxAudioBytes, ErrPermanent)
	}
	return audio, a.GetMimetype(), nil
}

// receiveHeld receives a held message once its voice note is transcribed,
// as onMessage receives any other.
func (w *WhatsApp) receiveHeld(ctx context.Context, in flow.Inbound) error {
	handled, err := w.bot.ReceiveBurst(ctx, in, w.cfg.Debounce)
	if err != nil {
		return err
	}
	if handled {
		w.mu.Lock()
		w.lastIn[in.From] = w.now()
		w.mu.Unlock()
		w.Wake()
	}
	return nil
}

// runVoice works the linked device's hold until ctx ends; it does nothing
// without a transcriber.
func (w *WhatsApp) runVoice(ctx context.Context) {
	if w.voice != nil {
		_ = w.voice.run(ctx)
	}
}
