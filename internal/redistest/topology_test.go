package redistest

import (
	"errors"
	"fmt"
	"net"
	"testing"
	"time"
)

// TestStartPortTaken: a redis-server whose port is taken exits, and start
// reports it at once as errExited, on which startTCP tries another port,
// rather than after the 10 s of PINGs a slow start is given.
func TestStartPortTaken(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	s := &Server{t: t, bin: need(t), Dir: t.TempDir(), Addr: ln.Addr().String(),
		args: []string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1"}}
	start := time.Now()
	err = s.start()
	if !errors.Is(err, errExited) {
		t.Fatalf("start on a port taken = %v; want errExited", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("exit noticed after %v", took)
	}
	s.Stop() // of an exited server: returns at once
}
