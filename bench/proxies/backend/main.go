// Command backend is the upstream of the proxy benchmark (bench/proxies):
// a plain HTTP/1.1 keep-alive server on loopback answering
//
//	GET /1k   1,024 bytes of text
//	GET /64k  65,536 bytes of text
//
// with one cookie (sessionid=x; Path=/) and no security headers, so that
// whatever the proxies add is their own work. Anything else is 404.
//
//	backend -addr 127.0.0.1:9000 -procs 1
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// sessionCookie is the Set-Cookie line every body response carries.
const sessionCookie = "sessionid=x; Path=/"

// handler serves the fixed bodies. Bodies are built once; a request only
// writes headers and copies bytes.
func handler() http.Handler {
	bodies := map[string][]byte{
		"/1k":  body(1 << 10),
		"/64k": body(64 << 10),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := bodies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h["Content-Type"] = []string{"text/plain; charset=utf-8"}
		h["Content-Length"] = []string{strconv.Itoa(len(b))}
		h["Set-Cookie"] = []string{sessionCookie}
		if r.Method == http.MethodHead {
			return
		}
		w.Write(b) //nolint:errcheck // a client gone mid-body is not the backend's concern
	})
}

// body returns n bytes of printable text ending in a newline.
func body(n int) []byte {
	line := []byte("portcullis proxy benchmark body 0123456789abcdefghijklmnopqrstuvwxyz\n")
	b := bytes.Repeat(line, n/len(line)+1)[:n]
	b[n-1] = '\n'
	return b
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address (loopback only)")
	procs := flag.Int("procs", 1, "GOMAXPROCS: pinned so the backend's share of the load machine is fixed")
	flag.Parse()
	if err := run(*addr, *procs); err != nil {
		fmt.Fprintln(os.Stderr, "backend:", err)
		os.Exit(1)
	}
}

func run(addr string, procs int) error {
	if procs < 1 {
		return fmt.Errorf("-procs %d: must be at least 1", procs)
	}
	runtime.GOMAXPROCS(procs)
	if err := loopbackOnly(addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          log.New(os.Stderr, "backend: ", 0),
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-stop
		srv.Close()
	}()
	fmt.Printf("backend listening on http://%s (GOMAXPROCS %d)\n", ln.Addr(), procs)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loopbackOnly refuses any listen address that is not a loopback IP:
// benchmark traffic never leaves the machine.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("listen address %q: the host must be a loopback IP such as 127.0.0.1", addr)
	}
	return nil
}
