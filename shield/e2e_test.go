package shield

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/testutil"
)

// testSite runs one shielded handler on a real loopback HTTPS listener
// and a plain-HTTP one, the HTTP one redirecting to the HTTPS port.
// httptest's certificate is valid for example.com, which the client
// resolves to 127.0.0.1.
type testSite struct {
	https, http *httptest.Server
	client      *http.Client
}

func newTestSite(t *testing.T, o Options, app http.Handler, h2 bool) *testSite {
	t.Helper()
	ts := &testSite{}
	ts.https = httptest.NewUnstartedServer(nil)
	ts.https.EnableHTTP2 = h2
	ts.https.StartTLS()
	t.Cleanup(ts.https.Close)
	_, port, _ := net.SplitHostPort(ts.https.Listener.Addr().String())
	fmt.Sscan(port, &o.Redirect.Port)
	s, _ := mustNew(t, o)
	ts.https.Config.Handler = s.Wrap(app)
	ts.http = httptest.NewServer(s.Wrap(app))
	t.Cleanup(ts.http.Close)

	ts.client = ts.https.Client()
	tr := ts.client.Transport.(*http.Transport)
	tr.ForceAttemptHTTP2 = h2
	tr.TLSClientConfig.ServerName = "example.com"
	dialer := &net.Dialer{}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, p, _ := net.SplitHostPort(addr)
		return dialer.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", p))
	}
	return ts
}

func (ts *testSite) url(tlsSide bool, path string) string {
	srv := ts.http
	scheme := "http"
	if tlsSide {
		srv, scheme = ts.https, "https"
	}
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return scheme + "://example.com:" + port + path
}

func TestEndToEndRedirectPOSTAndHeaders(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "s3cr3t", Path: "/"})
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.Path, body)
	})
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("h2=%v", h2), func(t *testing.T) {
			ts := newTestSite(t, Options{Hosts: []string{"example.com"}}, app, h2)
			var hops []string
			ts.client.CheckRedirect = func(r *http.Request, via []*http.Request) error {
				hops = append(hops, via[len(via)-1].URL.Scheme+"→"+r.URL.Scheme)
				return nil
			}
			resp, err := ts.client.Post(ts.url(false, "/submit?x=1"), "text/plain", strings.NewReader("payload"))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if string(body) != "POST /submit payload" || len(hops) != 1 || hops[0] != "http→https" {
				t.Fatalf("after redirect: %q (hops %v); want the POST body preserved across one http→https hop", body, hops)
			}
			if h2 && resp.ProtoMajor != 2 {
				t.Fatalf("protocol %s, want HTTP/2", resp.Proto)
			}
			if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000; includeSubDomains" {
				t.Errorf("HSTS = %q", got)
			}
			if got := resp.Header.Get("Set-Cookie"); got != "sessionid=s3cr3t; Path=/; Secure; HttpOnly; SameSite=Lax" {
				t.Errorf("Set-Cookie = %q", got)
			}
			if resp.Header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("X-Frame-Options missing")
			}
		})
	}
}

func TestEndToEndStreaming(t *testing.T) {
	release := make(chan struct{})
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: first\n\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush through ResponseController: %v", err)
		}
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		fmt.Fprint(w, "data: second\n\n")
	})
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("h2=%v", h2), func(t *testing.T) {
			ts := newTestSite(t, Options{Hosts: []string{"example.com"}}, app, h2)
			resp, err := ts.client.Get(ts.url(true, "/events"))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("streamed response lacks headers")
			}
			br := bufio.NewReader(resp.Body)
			line, err := br.ReadString('\n')
			if err != nil || line != "data: first\n" {
				t.Fatalf("first event not flushed before the handler finished: %q, %v", line, err)
			}
			release <- struct{}{}
			rest, _ := io.ReadAll(br)
			if !strings.Contains(string(rest), "data: second") {
				t.Fatalf("rest = %q", rest)
			}
		})
	}
}

func TestEndToEndHijack(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(http.Hijacker); !ok {
			t.Error("writer does not implement http.Hijacker")
		}
		testutil.EchoUpgrade(w, r)
	})
	// The echo protocol is not among the default upgrades (websocket).
	ts := newTestSite(t, Options{Hosts: []string{"example.com"}, Requests: Requests{Upgrades: []string{"echo"}}}, app, false)
	conn, err := tls.Dial("tcp", ts.https.Listener.Addr().String(), &tls.Config{ServerName: "example.com", RootCAs: ts.client.Transport.(*http.Transport).TLSClientConfig.RootCAs})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	testutil.CheckEchoUpgrade(t, conn, "example.com", "/ws")
}

func TestEndToEndTrailersAndReadFrom(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(io.ReaderFrom); !ok {
			t.Error("writer does not implement io.ReaderFrom")
		}
		w.Header().Set("Trailer", "X-Checksum")
		io.Copy(w, strings.NewReader(strings.Repeat("x", 100000)))
		w.Header().Set("X-Checksum", "42")
	})
	ts := newTestSite(t, Options{Hosts: []string{"example.com"}}, app, false)
	resp, err := ts.client.Get(ts.url(true, "/file"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(body) != 100000 || resp.Trailer.Get("X-Checksum") != "42" || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("body %d bytes, trailer %q, XFO %q", len(body), resp.Trailer.Get("X-Checksum"), resp.Header.Get("X-Frame-Options"))
	}
}

func TestEndToEndHostHeaderAttack(t *testing.T) {
	ts := newTestSite(t, Options{Hosts: []string{"example.com"}}, okHandler, false)
	r, _ := http.NewRequest("GET", ts.http.URL+"/reset-password", nil)
	r.Host = "attacker.example"
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
		t.Fatalf("poisoned Host: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}
