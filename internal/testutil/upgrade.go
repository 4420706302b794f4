package testutil

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"
)

// EchoUpgrade is a handler for a minimal "Upgrade: echo" protocol: it
// hijacks the connection, answers 101, reads one line and writes it back
// prefixed with "echo: ". It stands for WebSockets without a library.
func EchoUpgrade(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Upgrade") != "echo" {
		http.Error(w, "want Upgrade: echo", http.StatusBadRequest)
		return
	}
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "hijack: "+err.Error(), http.StatusInternalServerError)
		return
	}
	defer conn.Close()
	rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
	rw.Flush()
	line, _ := rw.ReadString('\n')
	rw.WriteString("echo: " + line)
	rw.Flush()
}

// CheckEchoUpgrade speaks the client side of EchoUpgrade over conn (an
// HTTP/1.1 connection, TLS or not): it asks for the upgrade of path on
// host, expects 101, and checks that one line comes back echoed.
func CheckEchoUpgrade(t testing.TB, conn net.Conn, host, path string) {
	t.Helper()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n", path, host)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade of %s: %v %v", path, resp, err)
	}
	fmt.Fprint(conn, "ping\n")
	if line, _ := br.ReadString('\n'); line != "echo: ping\n" {
		t.Fatalf("after the upgrade: %q, want the line echoed", line)
	}
}
