// Package redistest runs a real redis-server for tests: one per Start, on
// a unix socket in a directory of its own, without persistence, ended by
// PID when the test ends. StartSentinel and StartCluster run several, on
// loopback TCP ports (topology.go): a primary, its replica and a sentinel;
// a Redis Cluster. A missing redis-server skips the test (fails it with
// CI=true), saying which Debian package installs it.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
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
	pre  []string // before the defaults: a configuration file, --sentinel
	args []string
	// Dir holds the socket (and nothing else: no persistence), or for a
	// server on TCP, what Redis Cluster and Sentinel write there.
	Dir string
	// Socket is the path of the unix socket Redis listens on; empty for a
	// server on TCP.
	Socket string
	// Addr is the loopback "127.0.0.1:port" of a server on TCP
	// (StartSentinel, StartCluster); empty for one on a unix socket.
	Addr string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has exited and been reaped
	out    *testutil.Buffer
}

// Start starts a redis-server and waits until it answers PING. Extra
// arguments follow the defaults and override them (--port N --bind
// 127.0.0.1 to listen on TCP too; --tls-port…).
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	bin := need(t)
	// Not t.TempDir: a unix socket path must stay under 108 bytes, and test
	// names make TempDir's long.
	dir, err := os.MkdirTemp("", "redis-")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, bin: bin, args: args, Dir: dir, Socket: filepath.Join(dir, "redis.sock")}
	t.Cleanup(func() { os.RemoveAll(dir) }) // after Stop: cleanups run last first
	s.cleanup()
	s.Restart()
	return s
}

// need returns redis-server's path, or skips t (fails it with CI=true).
func need(t testing.TB) string {
	t.Helper()
	return e2e.Need(t, "redis-server", "install the Debian package redis-server (apt-get install -y redis-server)")
}

// cleanup stops the server when the test ends, showing its output if the
// test failed.
func (s *Server) cleanup() {
	s.t.Cleanup(func() {
		s.Stop()
		if s.t.Failed() {
			s.t.Logf("output of redis-server %s:\n%s", s.name(), s.out.String())
		}
	})
}

// name says which server this is in messages: its socket or address.
func (s *Server) name() string {
	if s.Addr != "" {
		return s.Addr
	}
	return s.Socket
}

// errExited is start's error when the process ends before it answers:
// a port taken, a bad argument.
var errExited = errors.New("redis-server exited")

// freePort returns a TCP port that is free on 127.0.0.1 when asked.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// URL returns the server's address as a go-redis URL: unix://… or, for a
// server on TCP, redis://127.0.0.1:port.
func (s *Server) URL() string {
	if s.Addr != "" {
		return "redis://" + s.Addr
	}
	return "unix://" + s.Socket
}

// Restart starts the server again, empty, on the same socket or port,
// after Kill or Stop, and waits until it answers PING; a running server is
// left as it is.
func (s *Server) Restart() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatal(err)
	}
}

// start starts the process unless it runs, and waits until it answers
// PING; errExited if it ends first.
func (s *Server) start() error {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	s.out = &testutil.Buffer{}
	var args []string
	args = append(args, s.pre...)
	if s.Socket != "" {
		os.Remove(s.Socket)
		args = append(args, "--port", "0", "--unixsocket", s.Socket, "--unixsocketperm", "700")
	}
	args = append(args, "--save", "", "--appendonly", "no", "--dir", s.Dir)
	args = append(args, s.args...)
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited
	c := redis.NewClient(s.options(redis.Options{MaxRetries: -1, DialTimeout: 200 * time.Millisecond, ReadTimeout: 500 * time.Millisecond}))
	defer c.Close()
	gone := false
	testutil.Eventually(s.t, 10*time.Second, "redis-server "+s.name()+" to answer PING", func() bool {
		select {
		case <-exited:
			gone = true
			return true
		default:
		}
		return c.Ping(context.Background()).Err() == nil
	})
	if gone {
		s.cmd = nil
		return fmt.Errorf("%w before it answered PING (%v):\n%s", errExited, cmd.ProcessState, s.out.String())
	}
	return nil
}

// options returns o with the server's network and address.
func (s *Server) options(o redis.Options) *redis.Options {
	o.Network, o.Addr = "unix", s.Socket
	if s.Addr != "" {
		o.Network, o.Addr = "tcp", s.Addr
	}
	return &o
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
		<-s.exited
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
	c := redis.NewClient(s.options(redis.Options{}))
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
