package bot

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cis-agencia/cis/store"
)

// silentPeer is a Graph API that, while silent, reads each request and
// never answers (a peer that accepted the connection and went quiet); it
// keeps what it was handed, which Meta may have delivered. Otherwise it is
// the fake.
type silentPeer struct {
	graph  *FakeGraph
	silent atomic.Bool
	mu     sync.Mutex
	got    map[int64]int // outbox row → requests the silent peer swallowed
}

func (p *silentPeer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !p.silent.Load() {
		p.graph.ServeHTTP(w, r)
		return
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	n := len(b)
	if i := strings.Index(string(b[:n]), `"biz_opaque_callback_data":"outbox:`); i >= 0 {
		rest := string(b[i+len(`"biz_opaque_callback_data":"outbox:`) : n])
		if id, err := strconv.ParseInt(rest[:strings.IndexByte(rest, '"')], 10, 64); err == nil {
			p.mu.Lock()
			p.got[id]++
			p.mu.Unlock()
		}
	}
	<-r.Context().Done() // silence until the client gives up
}

// TestF20SilentPeer: the Graph API accepts connections and answers
// nothing. The sender gives up on each request after its timeout (the
// flush does not hang); a reply whose request may have arrived follows its
// kind's policy: a question is queued again, anything else is unconfirmed
// and never sent twice. Once the peer speaks again the backlog drains, and
// no reply reaches the provider more than once plus its resends.
func TestF20SilentPeer(t *testing.T) {
	peer := &silentPeer{graph: NewFakeGraph(), got: map[int64]int{}}
	peer.silent.Store(true)
	psrv := httptest.NewServer(peer)
	t.Cleanup(psrv.Close)
	e := newCloudEnv(t, func(c *CloudConfig) {
		c.GraphURL = psrv.URL
		c.HTTP = &http.Client{Timeout: 300 * time.Millisecond}
	})
	const people = 3
	for p := range people {
		if got := e.postSigned(t, testPayload(fmt.Sprintf("57300133%04d", p), fmt.Sprintf("wamid.f20.%d", p), "hola", fixtureStart)); got != 200 {
			t.Fatal(got)
		}
	}
	// While the peer is silent: two passes (the greeting, then the consent text, of each person).
	for range 2 {
		done := make(chan error, 1)
		go func() { _, err := e.cloud.Flush(context.Background()); done <- err }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Flush hangs on a silent peer")
		}
		e.h.clock.Add(time.Hour) // past any backoff
	}
	a := e.audit(t)
	if a.Outbox["unconfirmed"] != people || a.Outbox["sent"] != 0 {
		t.Errorf("after the silence: %v; want the %d greetings unconfirmed (not questions: never sent again)", a.Outbox, people)
	}
	st, err := e.h.st.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.RepliesResent != people {
		t.Errorf("questions queued again: %d; want the %d consent texts", st.RepliesResent, people)
	}
	// The peer speaks again: the backlog drains, each question once more.
	peer.silent.Store(false)
	e.flush(t)
	a = e.audit(t)
	if a.Outbox["pending"]+a.Outbox["sending"] != 0 || a.Outbox["sent"] != people {
		t.Errorf("after recovery: %v; want the %d consent texts sent, nothing left", a.Outbox, people)
	}
	sends := peer.graph.PerOutbox()
	peer.mu.Lock()
	for id, n := range peer.got {
		sends[id] += n
	}
	peer.mu.Unlock()
	checkBot(t, e.h, store.Expect{Channel: CloudChannel, Drained: true, Sends: sends})
}
