// Package redistest runs a real redis-server for tests: one per Start, on
// a unix socket in a directory of its own, without persistence, ended by
// PID when the test ends. A missing redis-server skips the test (fails it
// with CI=true), saying which Debian package installs it.
package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/internal/e2e"
	"github.com/portcullis/portcullis/internal/testutil"
)

// Server is a redis-server process. Its methods are safe for concurrent
// use.
type Server struct {
	t    testing.TB
	bin  string
	args []string
	// Dir holds the socket (and nothing else: no persistence).
	Dir string
	// Socket is the path of the unix socket Redis listens on.
	Socket string

	mu  sync.Mutex
	cmd *exec.Cmd
	out *testutil.Buffer
}

// Start starts a redis-server and waits until it answers PING. Extra
// arguments follow the defaults and override them (--port N --bind
// 127.0.0.1 to listen on TCP too; --tls-port…).
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	bin := e2e.Need(t, "redis-server", "install the Debian package redis-server (apt-get install -y redis-server)")
	// Not t.TempDir: a unix socket path must stay under 108 bytes, and test
	// names make TempDir's long.
	dir, err := os.MkdirTemp("", "redis-")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, bin: bin, args: args, Dir: dir, Socket: filepath.Join(dir, "redis.sock")}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("redis-server's output:\n%s", s.out.String())
		}
		os.RemoveAll(dir)
	})
	s.Restart()
	return s
}

// URL returns the server's address as a go-redis URL (unix://…).
func (s *Server) URL() string { return "unix://" + s.Socket }

// Restart starts the server again, empty, on the same socket, after Kill
// or Stop, and waits until it answers PING; a running server is left as
// it is.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return
	}
	os.Remove(s.Socket)
	s.out = &testutil.Buffer{}
	args := append([]string{"--port", "0", "--unixsocket", s.Socket, "--unixsocketperm", "700",
		"--save", "", "--appendonly", "no", "--dir", s.Dir}, s.args...)
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("redis-server: %v", err)
	}
	s.cmd = cmd
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: s.Socket, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := c.Ping(context.Background()).Err()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server does not answer PING after 10 s: %v\n%s", err, s.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// signal sends sig to the server, and with wait, reaps it.
func (s *Server) signal(sig syscall.Signal, wait bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(sig)
	if wait {
		s.cmd.Wait()
		s.cmd = nil
	}
}

// Kill ends the server with SIGKILL: a crash. Its data is gone.
func (s *Server) Kill() { s.signal(syscall.SIGKILL, true) }

// Stop ends the server with SIGTERM.
func (s *Server) Stop() {
	s.signal(syscall.SIGCONT, false) // a paused server would not see SIGTERM
	s.signal(syscall.SIGTERM, true)
}

// Pause stops the server with SIGSTOP: it accepts connections (the
// kernel does) but answers nothing, as a hung server.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP, false) }

// Resume continues a paused server.
func (s *Server) Resume() { s.signal(syscall.SIGCONT, false) }

// Client returns a plain go-redis client of the server (no prefix, no
// sealing), closed when the test ends: to see what Redis really holds.
func (s *Server) Client(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: s.Socket})
	t.Cleanup(func() { c.Close() })
	return c
}

// Dump returns every key's content, whatever its type, as one string per
// key ("key type: content").
func Dump(ctx context.Context, c *redis.Client) (map[string]string, error) {
	out := map[string]string{}
	iter := c.Scan(ctx, 0, "*", 100).Iterator()
	for k := range iter.Vals(ctx) {
		typ, err := c.Type(ctx, k).Result()
		if err != nil {
			return nil, err
		}
		var v any
		switch typ {
		case "string":
			v, err = c.Get(ctx, k).Result()
		case "hash":
			v, err = c.HGetAll(ctx, k).Result()
		case "zset":
			v, err = c.ZRangeWithScores(ctx, k, 0, -1).Result()
		case "set":
			v, err = c.SMembers(ctx, k).Result()
		case "list":
			v, err = c.LRange(ctx, k, 0, -1).Result()
		default:
			v, err = c.Dump(ctx, k).Result()
		}
		if err != nil {
			return nil, err
		}
		out[k] = fmt.Sprintf("%s: %v", typ, v)
	}
	return out, iter.Err()
}
