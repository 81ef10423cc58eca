package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"google.golang.org/protobuf/proto"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// fakeWhisper is an OpenAI-compatible /v1/audio/transcriptions endpoint:
// it answers the transcript registered for the uploaded bytes, or the
// status it is told to, and records what it received.
type fakeWhisper struct {
	mu      sync.Mutex
	texts   map[string]string // audio bytes → transcript
	status  int               // answer this instead, when not 0
	gate    chan struct{}     // when set, each request waits for a value
	calls   int
	models  []string
	names   []string
	formats []string
	auth    []string
}

func (f *fakeWhisper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != TranscriptionPath || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		http.Error(w, `{"error":{"message":"no file"}}`, http.StatusBadRequest)
		return
	}
	audio, _ := io.ReadAll(file)
	f.mu.Lock()
	gate := f.gate
	f.calls++
	f.models = append(f.models, r.FormValue("model"))
	f.names = append(f.names, hdr.Filename)
	f.formats = append(f.formats, r.FormValue("response_format"))
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	status, text := f.status, f.texts[string(audio)]
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
	}
	if status != 0 {
		w.WriteHeader(status)
		fmt.Fprint(w, `{"error":{"message":"injected"}}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"text":%q}`, text)
}

func (f *fakeWhisper) set(fn func(f *fakeWhisper)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
}

func (f *fakeWhisper) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func newFakeWhisper(t *testing.T) (*fakeWhisper, *Transcriber) {
	t.Helper()
	f := &fakeWhisper{texts: map[string]string{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	tr, err := NewTranscriber(TranscriberConfig{URL: srv.URL, Key: "sk-test", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return f, tr
}

func TestTranscriber(t *testing.T) {
	f, tr := newFakeWhisper(t)
	ctx := context.Background()
	f.set(func(f *fakeWhisper) {
		f.texts["ogg-1"] = " Hola, me llamo Ana y estoy en Cali. "
		f.texts["ogg-2"] = "[BLANK_AUDIO]"
		f.texts["mp3-1"] = "[Música] tengo 2 millones"
	})
	tests := []struct {
		name, audio, mime string
		status            int
		want              string
		wantErr           bool
		refused           bool // errTranscribeRefused: no retry helps
		wantFile          string
	}{
		{name: "voice note", audio: "ogg-1", mime: "audio/ogg; codecs=opus", want: "Hola, me llamo Ana y estoy en Cali.", wantFile: "voice.ogg"},
		{name: "silence", audio: "ogg-2", mime: "audio/ogg", want: "", wantFile: "voice.ogg"},
		{name: "marker removed", audio: "mp3-1", mime: "audio/mpeg", want: "tengo 2 millones", wantFile: "voice.mp3"},
		{name: "server error: retry", audio: "ogg-1", mime: "audio/ogg", status: 503, wantErr: true},
		{name: "rate limited: retry", audio: "ogg-1", mime: "audio/ogg", status: 429, wantErr: true},
		{name: "refused", audio: "ogg-1", mime: "audio/ogg", status: 400, wantErr: true, refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.set(func(f *fakeWhisper) { f.status = tt.status })
			got, err := tr.Transcribe(ctx, []byte(tt.audio), tt.mime)
			if (err != nil) != tt.wantErr || errors.Is(err, errTranscribeRefused) != tt.refused {
				t.Fatalf("err = %v; want error %v, refused %v", err, tt.wantErr, tt.refused)
			}
			if got != tt.want {
				t.Errorf("text %q; want %q", got, tt.want)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if n := len(f.models) - 1; f.models[n] != "whisper-1" || f.formats[n] != "json" || f.auth[n] != "Bearer sk-test" ||
				(tt.wantFile != "" && f.names[n] != tt.wantFile) {
				t.Errorf("request: model %q format %q auth %q file %q", f.models[n], f.formats[n], f.auth[n], f.names[n])
			}
		})
	}
	for _, bad := range []string{"", "ftp://x", "localhost:8080", "http://"} {
		if _, err := NewTranscriber(TranscriberConfig{URL: bad}); err == nil {
			t.Errorf("URL %q accepted", bad)
		}
	}
	if tr, _ := NewTranscriber(TranscriberConfig{URL: "https://api.example/custom/path"}); tr.URL() != "https://api.example/custom/path" {
		t.Errorf("an explicit path was changed: %s", tr.URL())
	}
}

// voiceEnv is a Cloud API webhook with transcription through a fake
// endpoint, the media in the fake Graph API, and the channel running.
type voiceEnv struct {
	*cloudEnv
	whisper *fakeWhisper
	stop    func()
}

func newVoiceEnv(t *testing.T) *voiceEnv {
	t.Helper()
	whisper, tr := newFakeWhisper(t)
	e := newCloudEnv(t, func(c *CloudConfig) { c.Transcriber = tr; c.Poll = 20 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.cloud.Run(ctx) }()
	v := &voiceEnv{cloudEnv: e, whisper: whisper}
	v.stop = func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) { // stopped before it started
			t.Error(err)
		}
	}
	t.Cleanup(func() {
		if ctx.Err() == nil {
			v.stop()
		}
	})
	return v
}

// waitFor polls cond while the channel runs, poking it, for up to 10 s.
func (v *voiceEnv) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		v.cloud.voice.poke()
		v.cloud.Wake()
		time.Sleep(5 * time.Millisecond)
	}
}

func (v *voiceEnv) stage(t *testing.T, phone string) flow.Stage {
	t.Helper()
	c, err := v.h.st.Conversation(context.Background(), CloudChannel, testAccount, "+"+phone)
	if err != nil {
		return ""
	}
	return c.State.Stage
}

// TestCloudAPIVoiceNoteTranscribed: a voice note answering the budget is
// acknowledged before it is transcribed, the text sent right after it waits
// its turn, the transcript answers the question and is in the log as the
// voice note's text, and the redelivery changes nothing.
func TestCloudAPIVoiceNoteTranscribed(t *testing.T) {
	v := newVoiceEnv(t)
	const phone = "573001110010"
	voiceNote := fixture(t, "voice.json")
	v.graph.AddMedia("1273417987246632", "audio/ogg; codecs=opus", []byte("opus-bytes-1"))
	v.whisper.set(func(f *fakeWhisper) {
		f.texts["opus-bytes-1"] = "Pues mira, tengo más o menos 2 millones al mes"
		f.gate = make(chan struct{})
	})
	at := time.Unix(1772463700, 0) // the voice note's own timestamp is 1772463720
	for i, s := range []string{"hola", "sí", "Ana", "Medellín"} {
		if got := v.postSigned(t, testPayload(phone, fmt.Sprintf("wamid.v-%d", i), s, at.Add(time.Duration(i)*time.Second))); got != 200 {
			t.Fatal(got)
		}
		// The person reads the answer before writing again (a consent
		// answer counts only once its consent text left).
		v.waitFor(t, "the answers to leave", func() bool { a := v.audit(t); return a.Outbox["pending"]+a.Outbox["sending"] == 0 })
	}
	v.waitFor(t, "the budget question", func() bool { return v.stage(t, phone) == flow.StageBudget })

	// The webhook answers while the transcription service has not answered.
	if got := v.postSigned(t, voiceNote); got != 200 {
		t.Fatalf("voice note: status %d", got)
	}
	v.waitFor(t, "the transcription request", func() bool { return v.whisper.count() == 1 })
	later := testPayload(phone, "wamid.v-after", "lo antes posible", time.Unix(1772463725, 0))
	if got := v.postSigned(t, later); got != 200 {
		t.Fatalf("text after the voice note: status %d", got)
	}
	if got := v.postSigned(t, voiceNote); got != 200 { // Meta redelivers while it is held
		t.Fatalf("redelivery while held: status %d", got)
	}
	if st := v.stage(t, phone); st != flow.StageBudget {
		t.Fatalf("stage %s while the voice note is transcribed; the text after it must wait", st)
	}
	close(v.whisper.gate)
	v.waitFor(t, "the service question", func() bool { return v.stage(t, phone) == flow.StageService })

	c, err := v.h.st.Conversation(context.Background(), CloudChannel, testAccount, "+"+phone)
	if err != nil {
		t.Fatal(err)
	}
	if b := c.State.Answers.Budget; b == nil || b.MaxCOP != 2_000_000 || c.State.Answers.Urgency != flow.Immediate {
		t.Errorf("answers = %+v; want the budget from the voice note, then the urgency from the text", c.State.Answers)
	}
	lines, err := v.h.st.Transcript(context.Background(), "+"+phone)
	if err != nil {
		t.Fatal(err)
	}
	var in []string
	for _, l := range lines {
		if l.Inbound {
			in = append(in, l.Kind+":"+l.Body)
		}
	}
	want := "text:hola text:sí text:Ana text:Medellín audio:Pues mira, tengo más o menos 2 millones al mes text:lo antes posible"
	if strings.Join(in, " ") != want {
		t.Errorf("log = %q;\nwant %q", strings.Join(in, " "), want)
	}
	// A redelivery days later: no second transcription, no second answer.
	v.h.clock.Add(time.Hour)
	if got := v.postSigned(t, voiceNote); got != 200 {
		t.Fatal(got)
	}
	v.waitFor(t, "every reply sent", func() bool { a := v.audit(t); return a.Outbox["pending"]+a.Outbox["sending"] == 0 })
	v.stop()
	if n := v.whisper.count(); n != 1 {
		t.Errorf("%d transcriptions; want 1", n)
	}
	if n := v.graph.MediaDownloads(); n != 1 {
		t.Errorf("%d media downloads; want 1", n)
	}
	checkBot(t, v.h, store.Expect{Channel: CloudChannel, Accepted: []string{"wamid.v-after"}, Drained: true})
}

// TestCloudAPIVoiceNoteNotTranscribed: a refused transcription, an unknown
// media id and a service that keeps failing each end in the polite request
// to write, once, and nothing stays held.
func TestCloudAPIVoiceNoteNotTranscribed(t *testing.T) {
	tests := []struct {
		name  string
		media bool // the media is in the fake Graph API
		code  int  // the transcription service's answer
		fails int  // failed rounds before the clock passes the give-up time
		calls int  // transcription requests
	}{
		{name: "service refuses the audio", media: true, code: http.StatusBadRequest, calls: 1},
		{name: "media unknown to the Graph API", media: false, calls: 0},
		{name: "service keeps failing", media: true, code: http.StatusServiceUnavailable, fails: voiceAttempts, calls: voiceAttempts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVoiceEnv(t)
			const phone = "573001110010"
			if tt.media {
				v.graph.AddMedia("1273417987246632", "audio/ogg", []byte("opus"))
			}
			v.whisper.set(func(f *fakeWhisper) { f.status = tt.code })
			if got := v.postSigned(t, testPayload(phone, "wamid.n-0", "hola", time.Unix(1772463700, 0))); got != 200 {
				t.Fatal(got)
			}
			v.waitFor(t, "the greeting", func() bool { n, _ := v.graph.Count(); return n == 2 })
			if got := v.postSigned(t, fixture(t, "voice.json")); got != 200 {
				t.Fatal(got)
			}
			for i := 1; i < tt.fails; i++ {
				v.waitFor(t, "a failed attempt recorded", func() bool {
					heads, err := v.h.st.HeldHeads(context.Background(), CloudChannel, 10)
					return err == nil && len(heads) == 1 && heads[0].Attempts >= i
				})
				v.h.clock.Add(time.Minute) // past the retry's due time
			}
			v.waitFor(t, "the polite request", func() bool { n, _ := v.graph.Count(); return n == 3 })
			last := lastTo(t, v.graph, phone)
			if !strings.Contains(last.Body, "solo puedo leer mensajes de texto") {
				t.Errorf("reply %q; want the polite request", last.Body)
			}
			v.stop()
			if heads, err := v.h.st.HeldHeads(context.Background(), CloudChannel, 10); err != nil || len(heads) != 0 {
				t.Errorf("held after the answer: %+v, %v", heads, err)
			}
			if n, _ := v.graph.Count(); n != 3 {
				t.Errorf("%d replies; want greeting, consent and one polite request", n)
			}
			if n := v.whisper.count(); n != tt.calls {
				t.Errorf("%d transcription requests; want %d", n, tt.calls)
			}
		})
	}
}

// TestHeldMessagesSurviveARestart: a voice note held when the process
// stopped is transcribed and answered by the next one.
func TestHeldMessagesSurviveARestart(t *testing.T) {
	v := newVoiceEnv(t)
	v.stop() // nothing works the hold
	v.graph.AddMedia("1273417987246632", "audio/ogg", []byte("opus"))
	v.whisper.set(func(f *fakeWhisper) { f.texts["opus"] = "hola buenas" })
	if got := v.postSigned(t, fixture(t, "voice.json")); got != 200 {
		t.Fatal(got)
	}
	if a := v.audit(t); a.Inbound != 0 {
		t.Fatalf("%d messages in the log before the transcription; want the voice note held", a.Inbound)
	}
	// A new process on the same store.
	v.h.restart()
	cloud, err := NewCloudAPI(v.h.bot, v.h.st, CloudConfig{AppSecret: testSecret, VerifyToken: testVerify, AccessToken: "t",
		GraphURL: v.cloud.cfg.GraphURL, Transcriber: v.cloud.cfg.Transcriber, Poll: 20 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cloud.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for n, _ := v.graph.Count(); n < 2; n, _ = v.graph.Count() {
		if time.Now().After(deadline) {
			t.Fatal("the held voice note was not answered after the restart")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	lines, _ := v.h.st.Transcript(context.Background(), "+573001110010")
	if len(lines) == 0 || lines[0].Kind != "audio" || lines[0].Body != "hola buenas" {
		t.Errorf("log = %+v; want the voice note with its transcript", lines)
	}
	if sent := v.graph.Sent(); !bytes.Contains([]byte(sent[0].Body), []byte("Hola")) {
		t.Errorf("first reply %q; want the greeting", sent[0].Body)
	}
}

// downloadingClient is the fake linked-device client with whatsmeow's
// media download: it serves audio by the message's direct path.
type downloadingClient struct {
	*fakeClient
	audio map[string][]byte
	mu    sync.Mutex
	n     int
}

func (d *downloadingClient) Download(_ context.Context, msg whatsmeow.DownloadableMessage) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, ok := d.audio[msg.GetDirectPath()]
	if !ok {
		return nil, whatsmeow.ErrMediaDownloadFailedWith404
	}
	d.n++
	return b, nil
}

// TestWhatsAppVoiceNoteTranscribed: on the linked device a voice note is
// acknowledged at once, downloaded through whatsmeow from the AudioMessage
// kept with the hold, transcribed and answered as text.
func TestWhatsAppVoiceNoteTranscribed(t *testing.T) {
	whisper, tr := newFakeWhisper(t)
	whisper.set(func(f *fakeWhisper) { f.texts["opus-wa"] = "Me llamo Andrea Gómez" })
	e := &waEnv{h: newHarness(t, "es", fixtureStart), client: &fakeClient{connected: true}}
	wa, err := NewWhatsApp(e.h.bot, e.h.st, WhatsAppConfig{Debounce: time.Second, Transcriber: tr,
		Sleep: func(_ context.Context, d time.Duration) error { e.h.clock.Add(d); return nil }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dl := &downloadingClient{fakeClient: e.client, audio: map[string][]byte{"/v/t62.7117-24/voice-1": []byte("opus-wa")}}
	wa.Attach(dl, fakeLIDs{}, agencyNumber)
	e.wa = wa
	for i, s := range []string{"hola", "sí"} {
		e.h.clock.Add(5 * time.Second)
		if !wa.HandleEvent(waText(fmt.Sprintf("W%d", i), s, e.h.clock.Now())) {
			t.Fatal("text refused")
		}
		e.h.clock.Add(5 * time.Second)
		e.drain(t)
	}
	e.h.clock.Add(5 * time.Second)
	note := waText("WV", "", e.h.clock.Now())
	note.Message = &waE2E.Message{AudioMessage: &waE2E.AudioMessage{DirectPath: proto.String("/v/t62.7117-24/voice-1"),
		Mimetype: proto.String("audio/ogg; codecs=opus"), PTT: proto.Bool(true), MediaKey: []byte("k")}}
	if !wa.HandleEvent(note) {
		t.Fatal("voice note not acknowledged")
	}
	if e.inboundCount(t) != 2 {
		t.Fatalf("the voice note reached the log before its transcription")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); wa.runVoice(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for e.inboundCount(t) != 3 {
		if time.Now().After(deadline) {
			t.Fatal("the voice note was not handled")
		}
		wa.voice.poke()
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	c, err := e.h.st.Conversation(context.Background(), WhatsAppChannel, agencyNumber, "+"+pnJID.User)
	if err != nil {
		t.Fatal(err)
	}
	if c.State.Answers.Name != "Andrea Gómez" || c.State.Stage != flow.StageCity {
		t.Errorf("state = %s with name %q; want the name from the voice note and the city question", c.State.Stage, c.State.Answers.Name)
	}
	e.h.clock.Add(5 * time.Second)
	if sent := e.drain(t); !strings.Contains(sent[len(sent)-1], "Andrea") {
		t.Errorf("last reply %q; want the city question to Andrea", sent[len(sent)-1])
	}
	if dl.n != 1 {
		t.Errorf("%d downloads; want 1", dl.n)
	}
}
