package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// TranscriptionPath is the path of the OpenAI-compatible transcription
// endpoint (OpenAI, whisper.cpp's server with --inference-path, faster-whisper
// servers, LocalAI and others expose it).
const TranscriptionPath = "/v1/audio/transcriptions"

// TranscriberConfig configures the speech-to-text client.
type TranscriberConfig struct {
	// URL is the transcription endpoint. A URL without a path gets
	// TranscriptionPath ("http://127.0.0.1:8080" is enough for a local server).
	URL string
	// Key is sent as a bearer token when set (hosted services need one).
	Key string
	// Model is the form's "model" field; default "whisper-1" (servers that
	// run one model ignore it).
	Model string
	// Timeout bounds one transcription, upload included. Default 60 s.
	Timeout time.Duration
	HTTP    *http.Client // default: a client without its own timeout (Timeout applies)
}

// Transcriber turns a voice note into text through an OpenAI-compatible
// /v1/audio/transcriptions endpoint. Safe for concurrent use.
type Transcriber struct {
	cfg TranscriberConfig
	url string
}

// errTranscribeRefused marks an answer that retrying cannot change (the
// service refused the audio or the request).
var errTranscribeRefused = errors.New("transcription refused")

// maxAudioBytes bounds a voice note fetched for transcription: WhatsApp's
// limit for audio is 16 MB.
const maxAudioBytes = 16 << 20

// NewTranscriber checks cfg.
func NewTranscriber(cfg TranscriberConfig) (*Transcriber, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("transcription URL %q: want http(s)://host[:port][/path]", cfg.URL)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = TranscriptionPath
	}
	if cfg.Model == "" {
		cfg.Model = "whisper-1"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{}
	}
	return &Transcriber{cfg: cfg, url: u.String()}, nil
}

// URL is the endpoint the transcriber posts to.
func (t *Transcriber) URL() string { return t.url }

// Transcribe returns what the audio says, "" for a note without speech.
// An error wrapping errTranscribeRefused will not change on a retry.
func (t *Transcriber) Transcribe(ctx context.Context, audio []byte, mimeType string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
	defer cancel()
	body, contentType, err := transcriptionForm(audio, mimeType, t.cfg.Model)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, body)
	if err != nil {
		return "", fmt.Errorf("transcription request: %w", err)
	}
	req.Header.Set("Content-Type", contentType)
	if t.cfg.Key != "" {
		req.Header.Set("Authorization", "Bearer "+t.cfg.Key)
	}
	resp, err := t.cfg.HTTP.Do(req)
	if err != nil {
		return "", fmt.Errorf("transcription service: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return "", fmt.Errorf("transcription service status %d", resp.StatusCode)
	case resp.StatusCode/100 != 2:
		return "", fmt.Errorf("transcription service status %d: %w", resp.StatusCode, errTranscribeRefused)
	}
	var a struct {
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(raw, &a); err != nil || a.Text == nil {
		return "", fmt.Errorf("transcription service answered without text: %w", errTranscribeRefused)
	}
	return cleanTranscript(*a.Text), nil
}

// transcriptionForm is the multipart body the endpoint takes: the audio as
// "file" (its name's extension tells servers the format), the model, and
// JSON as the answer's format. No language is forced: prospects write in
// Spanish or English, and the services detect it.
func transcriptionForm(audio []byte, mimeType, model string) (io.Reader, string, error) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	f, err := w.CreateFormFile("file", "voice"+audioExt(mimeType))
	if err != nil {
		return nil, "", err
	}
	if _, err := f.Write(audio); err != nil {
		return nil, "", err
	}
	for k, v := range map[string]string{"model": model, "response_format": "json"} {
		if err := w.WriteField(k, v); err != nil {
			return nil, "", err
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return &b, w.FormDataContentType(), nil
}

// audioExt names the file for the audio's type: WhatsApp voice notes are
// Ogg Opus ("audio/ogg; codecs=opus").
func audioExt(mimeType string) string {
	mt, _, _ := mime.ParseMediaType(mimeType)
	switch mt {
	case "audio/mpeg", "audio/mp3":
		return ".mp3"
	case "audio/mp4", "audio/m4a", "audio/x-m4a", "audio/aac":
		return ".m4a"
	case "audio/amr":
		return ".amr"
	case "audio/wav", "audio/x-wav":
		return ".wav"
	case "audio/webm":
		return ".webm"
	}
	return ".ogg"
}

// nonSpeech matches the markers Whisper models write for sounds that are
// not words: "[BLANK_AUDIO]", "[Música]".
var nonSpeech = regexp.MustCompile(`\[[^\]]*\]`)

func cleanTranscript(s string) string {
	return strings.Join(strings.Fields(nonSpeech.ReplaceAllString(s, " ")), " ")
}
