package cluster

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/internal/redistest"
)

// testKey is the cluster secret of the tests.
const testKey = "test cluster key, 32 bytes or more, not a secret"

// holderEnv, when set, makes the test binary a lock holder (see holder):
// a process for the parent test to SIGKILL while it holds a lock.
const holderEnv = "PORTCULLIS_CLUSTER_TEST_HOLDER"

// holderSpec tells a holder process which storage to lock, and how.
type holderSpec struct {
	File  string        // a certmagic.FileStorage directory, or
	URL   string        // a Redis URL, with
	Key   string        // the cluster key,
	Lease time.Duration // the lock lease and
	Name  string        // the lock name.
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(holderEnv); spec != "" {
		os.Exit(holder(spec))
	}
	// go-redis logs each failed dial; the failure tests cause hundreds.
	redis.SetLogger(quiet{})
	os.Exit(m.Run())
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// holder takes the lock the spec names, says LOCKED on standard output,
// and then holds it (refreshing it) until it is killed.
func holder(spec string) int {
	var s holderSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Println("bad spec:", err)
		return 2
	}
	var st certmagic.Storage = &certmagic.FileStorage{Path: s.File}
	if s.URL != "" {
		c, err := Open(Options{URL: s.URL, Key: s.Key, LockLease: s.Lease})
		if err != nil {
			fmt.Println(err)
			return 2
		}
		st = c.Storage()
	}
	if err := st.Lock(context.Background(), s.Name); err != nil {
		fmt.Println("lock:", err)
		return 1
	}
	fmt.Println("LOCKED")
	select {}
}

// startHolder runs a holder process for spec and returns once it holds
// the lock; kill SIGKILLs it. The process is killed when the test ends
// in any case.
func startHolder(t *testing.T, spec holderSpec) (kill func()) {
	t.Helper()
	js, _ := json.Marshal(spec)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holderEnv+"="+string(js))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	kill = func() {
		if !killed {
			killed = true
			cmd.Process.Kill() // SIGKILL
			cmd.Wait()
		}
	}
	t.Cleanup(kill)
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case line <- sc.Text():
			default:
			}
		}
		close(line)
	}()
	select {
	case l := <-line:
		if strings.TrimSpace(l) != "LOCKED" {
			t.Fatalf("holder process: %q", l)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("holder process did not take the lock within 20 s")
	}
	return kill
}

// open opens a Client on srv with o (URL and Key filled in when empty),
// closed when the test ends.
func open(t testing.TB, srv *redistest.Server, o Options) *Client {
	t.Helper()
	if o.URL == "" && o.Redis == nil {
		o.URL = srv.URL()
	}
	if o.Key == "" {
		o.Key = testKey
	}
	c, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// kill makes c die as a crashed process would: its connections close
// first, so its leases are neither refreshed nor released, and its
// leaderships are not resigned.
func (c *Client) kill() {
	c.rdb.Close()
	c.Close()
}
