package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/bot"
)

// TestServeTranscribesVoiceNotes runs `cis serve` with the Cloud API and
// CIS_TRANSCRIBE_URL pointing at a fake OpenAI-compatible endpoint: a voice
// note answering the name question is downloaded from the (fake) Graph API,
// transcribed and answered as the name it says.
func TestServeTranscribesVoiceNotes(t *testing.T) {
	graph := bot.NewFakeGraph()
	graph.AddMedia("5550001", "audio/ogg; codecs=opus", []byte("voice-bytes"))
	gsrv := httptest.NewServer(graph)
	t.Cleanup(gsrv.Close)
	whisper := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, _, err := r.FormFile("file")
		if err != nil || r.URL.Path != bot.TranscriptionPath || r.Header.Get("Authorization") != "Bearer sk-local" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if b, _ := io.ReadAll(f); string(b) != "voice-bytes" {
			http.Error(w, "unknown audio", http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, `{"text":"Me llamo Andrea Gómez"}`)
	}))
	t.Cleanup(whisper.Close)
	env := map[string]string{"CIS_DB": filepath.Join(t.TempDir(), "cis.db"), "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "warn",
		"CIS_CLOUDAPI_APP_SECRET": "s3cret", "CIS_CLOUDAPI_VERIFY_TOKEN": "tok", "CIS_CLOUDAPI_ACCESS_TOKEN": "acc",
		"CIS_GRAPH_URL": gsrv.URL, "CIS_TRANSCRIBE_URL": whisper.URL, "CIS_TRANSCRIBE_KEY": "sk-local"}
	base := startServe(t, env)
	at := time.Now().Unix()
	post := func(id, msg string) {
		t.Helper()
		body := fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{`+
			`"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},`+
			`"contacts":[{"profile":{"name":"A"},"wa_id":"573001234567"}],"messages":[{"from":"573001234567","id":%q,"timestamp":"%d",%s}]}}]}]}`,
			id, at, msg)
		at++
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
	waitReplies := func(n int) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for got, _ := graph.Count(); got < n; got, _ = graph.Count() {
			if time.Now().After(deadline) {
				t.Fatalf("%d replies; want %d", got, n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	post("wamid.s1", `"type":"text","text":{"body":"hola"}`)
	waitReplies(2)
	post("wamid.s2", `"type":"text","text":{"body":"sí"}`)
	waitReplies(3)
	post("wamid.s3", `"type":"audio","audio":{"mime_type":"audio/ogg; codecs=opus","id":"5550001","voice":true}`)
	waitReplies(4)
	sent := graph.Sent()
	if last := sent[len(sent)-1].Body; !strings.Contains(last, "Andrea") {
		t.Errorf("reply to the voice note %q; want the next question to Andrea", last)
	}
}

func TestTranscribeURLIsChecked(t *testing.T) {
	env := map[string]string{"CIS_DB": filepath.Join(t.TempDir(), "cis.db"), "CIS_TRANSCRIBE_URL": "localhost:8080"}
	if _, err := runCmd(t, env, "", "serve"); err == nil || !strings.Contains(err.Error(), "CIS_TRANSCRIBE_URL") {
		t.Errorf("err = %v; want the bad transcription URL named", err)
	}
}
