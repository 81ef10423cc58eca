//go:build linux

package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/store"
)

// smallDisk mounts a tmpfs of size bytes for the test and returns its
// directory. It needs root (CAP_SYS_ADMIN); CI runs as root. Elsewhere the
// test says why it cannot run.
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, fmt.Sprintf("size=%d,mode=0700", size))
	if err != nil {
		t.Skipf("F11 needs a really full disk: mounting a %d-byte tmpfs needs root (CAP_SYS_ADMIN), and here it failed: %v", size, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// pgTablespaceOn puts the PostgreSQL schema the store file db is
// redirected to (CIS_TEST_PG_ALL) on the small disk: a tablespace there,
// the default of the schema's role, so every table and index the store
// creates lives on it and runs out of space with it (disk_full, 53100). The
// cluster's WAL stays on its own disk, as a separate WAL volume would. The
// directory must belong to the server's system user (the test, as root,
// gives it the owner of the cluster's data directory), so the cluster must
// run on this machine.
func pgTablespaceOn(t *testing.T, disk, db string) {
	t.Helper()
	base := os.Getenv("CIS_TEST_PG")
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var data string
	if err := admin.QueryRow("SHOW data_directory").Scan(&data); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(data)
	if err != nil {
		t.Skipf("F11 on PostgreSQL puts a tablespace on a small disk of this machine; the cluster's data directory is not here: %v", err)
	}
	owner, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		t.Skip("F11 on PostgreSQL: no owner for the cluster's data directory on this system")
	}
	loc := filepath.Join(disk, "pg")
	// The server's user must reach the directory through the test's own
	// temporary directories (0700, the test's user).
	for _, d := range []string{filepath.Dir(disk), disk} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(loc, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(loc, int(owner.Uid), int(owner.Gid)); err != nil {
		t.Fatal(err)
	}
	u, err := neturl.Parse(store.TestDB(db)) // makes the schema and its role, empty
	if err != nil {
		t.Fatal(err)
	}
	role, ts := u.User.Username(), "f11_"+u.User.Username()
	for _, q := range []string{"CREATE TABLESPACE " + ts + " LOCATION '" + loc + "'", "GRANT CREATE ON TABLESPACE " + ts + " TO " + role,
		"ALTER ROLE " + role + " SET default_tablespace = " + ts} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() { // after serve stopped, before the disk is unmounted
		store.DropTestSchema(base, role)
		a, err := sql.Open("pgx", base)
		if err != nil {
			t.Errorf("drop tablespace: %v", err)
			return
		}
		defer a.Close()
		if _, err := a.Exec("DROP TABLESPACE " + ts); err != nil {
			t.Errorf("drop tablespace: %v", err)
		}
	})
}

// fill writes zeros to path until the filesystem is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = io.Copy(f, io.LimitReader(zeros{}, 1<<40))
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("filling the disk ended with %v, not ENOSPC", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestF11ReallyFullDisk is F11 on a full filesystem, not a page limit: the
// store lives on an 8 MiB tmpfs that a file then fills to the last byte.
// Deliveries that cannot be stored are answered 503 (Meta delivers them
// again) and leave nothing behind, /readyz reports the store not ready, the
// failure is logged at error level; once space is freed the same server,
// without a restart, stores the redeliveries once each and is ready again.
// On PostgreSQL (CIS_TEST_PG_ALL) the store's tables and indexes live in a
// tablespace on that tmpfs (pgTablespaceOn): the server's disk_full.
func TestF11ReallyFullDisk(t *testing.T) {
	disk := smallDisk(t, 8<<20)
	db := filepath.Join(disk, "cis.db")
	if store.TestsOnPostgres() {
		pgTablespaceOn(t, disk, db)
	}
	graph := bot.NewFakeGraph()
	gsrv := httptest.NewServer(graph)
	defer gsrv.Close()
	const secret = "full-disk-secret"
	logs := &syncBuffer{}
	base := startServeLogging(t, map[string]string{"CIS_DB": db, "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "warn",
		"CIS_CLOUDAPI_APP_SECRET": secret, "CIS_CLOUDAPI_VERIFY_TOKEN": "v", "CIS_CLOUDAPI_ACCESS_TOKEN": "a",
		"CIS_GRAPH_URL": gsrv.URL}, logs)
	post := func(p, i int) int {
		id := fmt.Sprintf("wamid.full.%d.%d", p, i)
		// Long texts (stored cut to 4,000 runes) so that every commit needs new pages.
		text := fmt.Sprintf("hola %d %s", i, strings.Repeat("mensaje largo ", 280))
		body := fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages",`+
			`"value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"full"},`+
			`"messages":[{"from":"5730055%05d","id":%q,"timestamp":"%d","type":"text","text":{"body":%q}}]}}]}]}`,
			p, id, time.Now().Unix(), text)
		req, _ := http.NewRequest(http.MethodPost, base+"/webhook/whatsapp", bytes.NewReader(body))
		req.Header.Set("X-Hub-Signature-256", bot.Sign(secret, body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 5 { // the store works
		if code := post(0, i); code != 200 {
			t.Fatalf("before the disk is full: %d", code)
		}
	}
	filler := filepath.Join(disk, "filler")
	fill(t, filler)

	var refused []int
	acked := []string{}
	for i := range 400 {
		switch code := post(1, i); code {
		case 200:
			acked = append(acked, fmt.Sprintf("wamid.full.1.%d", i))
		case http.StatusServiceUnavailable:
			refused = append(refused, i)
		default:
			t.Fatalf("delivery %d on a full disk: %d; want 200 or 503", i, code)
		}
		if len(refused) >= 3 {
			break
		}
	}
	if len(refused) == 0 {
		t.Fatal("400 long messages were all stored on a full 8 MiB disk: the fault was never injected")
	}
	if code, body := get(t, base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz on a full disk = %d %s; want 503", code, body)
	}
	if !strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Error("nothing was logged at error level while messages could not be stored")
	}

	// Space comes back (the operator deletes a file); the same process recovers.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	for _, i := range refused { // Meta delivers them again
		if code := post(1, i); code != 200 {
			t.Errorf("redelivery %d after space came back: %d", i, code)
		}
		acked = append(acked, fmt.Sprintf("wamid.full.1.%d", i))
	}
	if code := post(2, 0); code != 200 {
		t.Errorf("a new message after space came back: %d", code)
	}
	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz after recovery = %d %s; want 200 without a restart", code, body)
	}
	st, err := store.Open(context.Background(), db, store.Options{Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	vs, err := st.CheckInvariants(context.Background(), store.Expect{Channel: bot.CloudChannel, Accepted: acked})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Error(v)
	}
	a, err := st.DeliveryAudit(context.Background(), bot.CloudChannel)
	if err != nil {
		t.Fatal(err)
	}
	if want := 5 + len(acked) + 1; a.Inbound != want || a.Unprocessed != 0 {
		t.Errorf("inbound %d (unprocessed %d); want %d, each once, all processed (nothing partial from the refused ones)", a.Inbound, a.Unprocessed, want)
	}
	t.Logf("refused on the full disk: %d; stored before it filled up: %d", len(refused), len(acked)-len(refused))
}
