package bot

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// standInServer is a webhook that records which messages (by sender) it
// accepted: a stand-in for one of several servers on one store.
type standInServer struct {
	mu    sync.Mutex
	froms map[string]int // sender → deliveries accepted
	ids   map[string]int
}

func (s *standInServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var p struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Messages []struct{ From, ID string }
				}
			}
		}
	}
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &p); err != nil || len(p.Entry) == 0 {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	for _, m := range p.Entry[0].Changes[0].Value.Messages {
		s.froms[m.From]++
		s.ids[m.ID]++
	}
	s.mu.Unlock()
}

// TestLoadTestSpreadsOverTargets: with several targets every delivery goes
// to the next in turn, so one person's messages (and a message and its
// duplicate) reach different servers; a target that is down refuses its
// turns and they are delivered to the others; the per-target figures add
// up to the deliveries.
func TestLoadTestSpreadsOverTargets(t *testing.T) {
	var ups []*standInServer
	var urls []string
	for range 2 {
		s := &standInServer{froms: map[string]int{}, ids: map[string]int{}}
		srv := httptest.NewServer(s)
		t.Cleanup(srv.Close)
		ups, urls = append(ups, s), append(urls, srv.URL+"/webhook/whatsapp")
	}
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // a killed server: connections refused
	urls = append(urls, down.URL+"/webhook/whatsapp")

	var mu sync.Mutex
	accepted := map[string]int{}
	rep, err := LoadTest(context.Background(), LoadConfig{URL: urls[0], Targets: urls[1:], AppSecret: "x", Account: "acct",
		Prospects: 6, Duration: 5 * time.Second, MaxMessages: 120, Duplicates: 0.3, Reorder: -1, Seed: 3,
		Accepted: func(id string) { mu.Lock(); accepted[id]++; mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Messages < 120 || len(accepted) != rep.Messages {
		t.Fatalf("%d messages, %d accepted ids; want at least 120, each once", rep.Messages, len(accepted))
	}
	if len(rep.PerTarget) != 3 {
		t.Fatalf("per target = %+v; want 3 targets", rep.PerTarget)
	}
	sum := 0
	for i, tl := range rep.PerTarget {
		if tl.URL != urls[i] {
			t.Errorf("target %d is %s; want %s", i, tl.URL, urls[i])
		}
		sum += tl.Accepted
	}
	if sum != rep.Deliveries {
		t.Errorf("targets accepted %d deliveries; the report says %d", sum, rep.Deliveries)
	}
	if d := rep.PerTarget[2]; d.Accepted != 0 || d.Refused == 0 || rep.Refused < d.Refused {
		t.Errorf("the target that is down: %+v (report refused %d); want its turns refused and moved on", d, rep.Refused)
	}
	seen := map[string]int{} // message id → deliveries over both servers
	for i, s := range ups {
		if rep.PerTarget[i].Accepted == 0 || len(s.ids) == 0 {
			t.Errorf("server %d got nothing: %+v", i, rep.PerTarget[i])
		}
		for id, n := range s.ids {
			seen[id] += n
		}
	}
	people, spread := 0, 0 // people with 4 deliveries or more; of them, ones who reached both servers
	everyone := map[string]int{}
	for _, s := range ups {
		for from := range s.froms {
			everyone[from]++
		}
	}
	for from := range everyone {
		if a, b := ups[0].froms[from], ups[1].froms[from]; a+b >= 4 {
			people++
			if a > 0 && b > 0 {
				spread++
			}
		}
	}
	if people == 0 || spread*3 < people*2 { // both in turn: one person's 4 on one server is rare, not impossible
		t.Errorf("%d of %d people reached both servers; want most: deliveries spread per message, not per person", spread, people)
	}
	twoServers := 0
	for id := range accepted {
		if ups[0].ids[id] > 0 && ups[1].ids[id] > 0 {
			twoServers++
		}
		if seen[id] == 0 {
			t.Errorf("message %s accepted but no server has it", id)
		}
	}
	if rep.Duplicated > 0 && twoServers == 0 {
		t.Errorf("%d duplicates, none reached both servers; want redeliveries to land on another server", rep.Duplicated)
	}
}
