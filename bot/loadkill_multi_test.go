package bot

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// standInHelper is one of several servers on one store for
// TestKillRunOneOfThree, run as this test binary (CIS_BOT_HELPER=standin):
// the real Cloud API webhook, bot and store, without the sender (a stand-in
// for `cis serve`, which refuses a second process on a SQLite file and
// runs on PostgreSQL only with issue 16's leases). It prints the start line
// KillRun waits for and serves until it is killed or terminated.
func standInHelper(path, addr string) {
	fail := func(err error) {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		fail(err)
	}
	defer st.Close()
	m, err := flow.New(flow.DefaultConfig(time.UTC), scoring.Rules{})
	if err != nil {
		fail(err)
	}
	b, err := New(Deps{Store: st, Flow: m})
	if err != nil {
		fail(err)
	}
	cloud, err := NewCloudAPI(b, st, CloudConfig{AppSecret: "standin", VerifyToken: "v", AccessToken: "a"}, nil)
	if err != nil {
		fail(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fail(err)
	}
	srv := &http.Server{Handler: cloud, ReadHeaderTimeout: 5 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	fmt.Println("serving on http://" + addr)
	_ = srv.Serve(ln)
}

// TestKillRunOneOfThree: three servers on one store, the load spread over
// the three; a server at a time is killed with SIGKILL (each in turn) and
// restarted while the load goes on at the other two; the store is audited
// after each kill with the others serving (I1, I5). At the end every
// acknowledged message is stored once, each server took deliveries, and
// the deliveries a killed server refused were accepted by another.
func TestKillRunOneOfThree(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three server processes")
	}
	dir := t.TempDir()
	db := dir + "/cis.db"
	st, err := store.Open(context.Background(), db, store.Options{}) // the servers find it migrated
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var k *KillRun
	var urls []string
	for i := range 3 {
		addr, err := FreeLoopbackAddr()
		if err != nil {
			t.Fatal(err)
		}
		env := append(os.Environ(), "CIS_BOT_HELPER=standin", "CIS_BOT_STORE="+db, "CIS_BOT_ADDR="+addr)
		if i == 0 {
			k = NewKillRun([]string{self, "-test.run", "^$"}, env, db, "serving on http://"+addr)
		} else {
			k.AddServer(env, "serving on http://"+addr)
		}
		urls = append(urls, "http://"+addr+"/webhook/whatsapp")
	}
	if err := k.Start(); err != nil {
		t.Fatal(err)
	}
	defer k.Stop()
	load, stopLoad := context.WithTimeout(context.Background(), 60*time.Second)
	defer stopLoad()
	killed := make(chan error, 1)
	go func() {
		err := k.KillEvery(load, 300*time.Millisecond, 3)
		stopLoad()
		killed <- err
	}()
	var mu sync.Mutex
	rep, err := LoadTest(load, LoadConfig{URL: urls[0], Targets: urls[1:], AppSecret: "standin", Account: "acct",
		Prospects: 12, Concurrency: 6, Duration: 60 * time.Second, Duplicates: 0.2, Reorder: -1,
		Accepted: func(id string) { mu.Lock(); k.Accept(id); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-killed; err != nil {
		t.Fatal(err)
	}
	if err := k.Stop(); err != nil {
		t.Fatal(err)
	}
	la := k.Audit(&rep)
	if rep.Kills != 3 {
		t.Fatalf("%d kills; want 3 (one of each server)", rep.Kills)
	}
	for i, tl := range rep.PerTarget {
		if tl.Accepted == 0 {
			t.Errorf("server %d accepted nothing: %+v", i+1, rep.PerTarget)
		}
	}
	st, err = store.Open(context.Background(), db, store.Options{Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	vs, err := st.CheckInvariants(context.Background(), store.Expect{Channel: CloudChannel, Accepted: la.Accepted, Before: la.Before})
	if err != nil || len(vs) > 0 {
		t.Fatalf("after three kills: %v, %v", vs, err)
	}
	au, err := st.DeliveryAudit(context.Background(), CloudChannel)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d messages, %d deliveries (%d duplicated, %d refused), per server %+v, audit %+v",
		rep.Messages, rep.Deliveries, rep.Duplicated, rep.Refused, rep.PerTarget, au)
}
