package proxy_test

import (
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/portcullis/portcullis/proxy"
	"github.com/portcullis/portcullis/shield"
)

// A proxy in front of an application: the application sees the Host the
// client asked for and forwarding headers set by the proxy, never the
// ones the client sent.
func ExampleNew() {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "Host: %s\n", r.Host)
		for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded"} {
			fmt.Fprintf(w, "%s: %s\n", h, r.Header.Get(h))
		}
	}))
	defer app.Close()

	p, err := proxy.New(proxy.Options{
		Upstream: app.URL, // or "unix:/run/app.sock"
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	front := httptest.NewServer(p)
	defer front.Close()

	req, _ := http.NewRequest("GET", front.URL+"/", nil)
	req.Host = "app.example"
	req.Header.Set("X-Forwarded-For", "6.6.6.6") // spoofed: replaced
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(os.Stdout, resp.Body)
	// Output:
	// Host: app.example
	// X-Forwarded-For: 127.0.0.1
	// X-Forwarded-Proto: http
	// X-Forwarded-Host: app.example
	// Forwarded: for=127.0.0.1;proto=http;host=app.example
}

// The handler chain of `portcullis serve`: access log, then shield, then
// the proxy. When the upstream is down the client gets a fixed page; the
// reason goes to the proxy's Logger.
func ExampleAccessLog() {
	p, err := proxy.New(proxy.Options{Upstream: "http://127.0.0.1:1", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	s, err := shield.New(shield.Options{Hosts: []string{"app.example"}, Redirect: shield.Redirect{Disable: true}})
	if err != nil {
		log.Fatal(err)
	}
	clock := func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }
	h := proxy.AccessLog(s.Wrap(p), proxy.AccessLogOptions{Format: "common", Out: os.Stdout, Now: clock})
	front := httptest.NewServer(h)
	defer front.Close()

	req, _ := http.NewRequest("GET", front.URL+"/login?token=secret", nil)
	req.Host = "app.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(os.Stdout, resp.Body)
	// Output:
	// 127.0.0.1 - - [02/Jan/2025:03:04:05 +0000] "GET /login HTTP/1.1" 502 16
	// 502 Bad Gateway
}
