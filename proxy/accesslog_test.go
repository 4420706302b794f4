package proxy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/testutil"
)

// stepClock returns t0, t0+1.5ms, t0+3ms…: the request starts at t0 and
// takes 1.5ms.
func stepClock() func() time.Time {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	var n atomic.Int64
	return func() time.Time { return t0.Add(time.Duration(n.Add(1)-1) * 1500 * time.Microsecond) }
}

func TestAccessLogFormats(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "hello")
	})
	tests := []struct {
		name string
		o    AccessLogOptions
		tls  bool
		want string
	}{
		{"json", AccessLogOptions{Format: "json"}, false,
			`{"time":"2025-01-02T03:04:05Z","method":"GET","host":"app.example","path":"/a%20b/c","proto":"HTTP/1.1","status":201,"bytes":5,"duration_ms":1.5,"client":"127.0.0.1","user_agent":"test-agent/1.0 \"quoted\""}`},
		{"json is the default", AccessLogOptions{}, false,
			`{"time":"2025-01-02T03:04:05Z","method":"GET","host":"app.example","path":"/a%20b/c","proto":"HTTP/1.1","status":201,"bytes":5,"duration_ms":1.5,"client":"127.0.0.1","user_agent":"test-agent/1.0 \"quoted\""}`},
		{"json with query", AccessLogOptions{Format: "json", IncludeQuery: true}, false,
			`{"time":"2025-01-02T03:04:05Z","method":"GET","host":"app.example","path":"/a%20b/c","query":"token=secret","proto":"HTTP/1.1","status":201,"bytes":5,"duration_ms":1.5,"client":"127.0.0.1","user_agent":"test-agent/1.0 \"quoted\""}`},
		{"json over TLS", AccessLogOptions{Format: "json"}, true,
			`{"time":"2025-01-02T03:04:05Z","method":"GET","host":"app.example","path":"/a%20b/c","proto":"HTTP/1.1","status":201,"bytes":5,"duration_ms":1.5,"client":"127.0.0.1","tls":"TLS 1.3","user_agent":"test-agent/1.0 \"quoted\""}`},
		{"common", AccessLogOptions{Format: "common"}, false,
			`127.0.0.1 - - [02/Jan/2025:03:04:05 +0000] "GET /a%20b/c HTTP/1.1" 201 5`},
		{"common with query", AccessLogOptions{Format: "common", IncludeQuery: true}, false,
			`127.0.0.1 - - [02/Jan/2025:03:04:05 +0000] "GET /a%20b/c?token=secret HTTP/1.1" 201 5`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &testutil.Buffer{}
			tt.o.Out, tt.o.Now = out, stepClock()
			srv := httptest.NewUnstartedServer(AccessLog(app, tt.o))
			srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			if tt.tls {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			defer srv.Close()
			req, _ := http.NewRequest("GET", srv.URL+"/a%20b/c?token=secret", nil)
			req.Host = "app.example"
			req.Header.Set("User-Agent", `test-agent/1.0 "quoted"`)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if body := readBody(t, resp); body != "hello" {
				t.Fatalf("body %q", body)
			}
			testutil.Eventually(t, 5*time.Second, "the log line", func() bool { return out.String() != "" })
			if got := lines(out.String()); len(got) != 1 || got[0] != tt.want {
				t.Errorf("log:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestAccessLogWriter checks that the wrapper records status and bytes and
// keeps every optional interface of the ResponseWriter it wraps.
func TestAccessLogWriter(t *testing.T) {
	tests := []struct {
		name    string
		handler func(t *testing.T, w http.ResponseWriter, r *http.Request, clientRead <-chan struct{})
		client  func(t *testing.T, resp *http.Response, clientRead chan<- struct{})
		want    string // status and bytes as logged
	}{
		{
			name: "Flush reaches the client before the handler returns",
			handler: func(t *testing.T, w http.ResponseWriter, r *http.Request, clientRead <-chan struct{}) {
				io.WriteString(w, "a\n")
				if err := http.NewResponseController(w).Flush(); err != nil {
					t.Errorf("Flush: %v", err)
				}
				select {
				case <-clientRead:
				case <-time.After(5 * time.Second):
					t.Error("the client never saw the flushed line")
				}
				io.WriteString(w, "b\n")
			},
			client: func(t *testing.T, resp *http.Response, clientRead chan<- struct{}) {
				br := bufio.NewReader(resp.Body)
				if l, _ := br.ReadString('\n'); l != "a\n" {
					t.Errorf("first line %q", l)
				}
				close(clientRead)
				rest, _ := io.ReadAll(br)
				if string(rest) != "b\n" {
					t.Errorf("rest %q", rest)
				}
			},
			want: "200 4",
		},
		{
			name: "http.Flusher",
			handler: func(t *testing.T, w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
				f, ok := w.(http.Flusher)
				if !ok {
					t.Fatal("not an http.Flusher")
				}
				f.Flush()
			},
			want: "200 -",
		},
		{
			name: "Hijack",
			handler: func(t *testing.T, w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
				if _, ok := w.(http.Hijacker); !ok {
					t.Error("not an http.Hijacker")
				}
				c, brw, err := http.NewResponseController(w).Hijack()
				if err != nil {
					t.Fatalf("Hijack: %v", err)
				}
				defer c.Close()
				brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
				brw.Flush()
			},
			client: func(t *testing.T, resp *http.Response, _ chan<- struct{}) {
				if b, _ := io.ReadAll(resp.Body); string(b) != "hijacked" {
					t.Errorf("body %q", b)
				}
			},
			want: "101 -",
		},
		{
			name: "ReadFrom",
			handler: func(t *testing.T, w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
				rf, ok := w.(io.ReaderFrom)
				if !ok {
					t.Fatal("not an io.ReaderFrom")
				}
				if n, err := rf.ReadFrom(strings.NewReader(strings.Repeat("r", 3000))); n != 3000 || err != nil {
					t.Errorf("ReadFrom = %d, %v", n, err)
				}
			},
			client: func(t *testing.T, resp *http.Response, _ chan<- struct{}) {
				if b, _ := io.ReadAll(resp.Body); len(b) != 3000 {
					t.Errorf("%d bytes", len(b))
				}
			},
			want: "200 3000",
		},
		{
			name: "Unwrap reaches deadlines and full duplex",
			handler: func(t *testing.T, w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
				rc := http.NewResponseController(w)
				if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
					t.Errorf("SetWriteDeadline: %v", err)
				}
				if err := rc.SetReadDeadline(time.Now().Add(time.Minute)); err != nil {
					t.Errorf("SetReadDeadline: %v", err)
				}
				if err := rc.EnableFullDuplex(); err != nil {
					t.Errorf("EnableFullDuplex: %v", err)
				}
				w.WriteHeader(http.StatusNoContent)
			},
			want: "204 -",
		},
		{
			name: "informational responses are not the status",
			handler: func(t *testing.T, w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
				w.Header().Set("Link", "</a.css>; rel=preload")
				w.WriteHeader(http.StatusEarlyHints)
				w.WriteHeader(http.StatusAccepted)
				io.WriteString(w, "ok")
			},
			want: "202 2",
		},
		{
			name:    "a silent handler is 200",
			handler: func(t *testing.T, w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {},
			want:    "200 -",
		},
		{
			name: "an aborted response is still logged",
			handler: func(t *testing.T, w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
				io.WriteString(w, "partial")
				w.(http.Flusher).Flush()
				panic(http.ErrAbortHandler)
			},
			client: func(t *testing.T, resp *http.Response, _ chan<- struct{}) {
				if _, err := io.ReadAll(resp.Body); err == nil {
					t.Error("an aborted response read cleanly")
				}
			},
			want: "200 7",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &testutil.Buffer{}
			clientRead := make(chan struct{})
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tt.handler(t, w, r, clientRead) })
			srv := httptest.NewServer(AccessLog(h, AccessLogOptions{Format: "common", Out: out}))
			defer srv.Close()
			resp, err := srv.Client().Get(srv.URL + "/w")
			if err != nil {
				t.Fatal(err)
			}
			if tt.client != nil {
				tt.client(t, resp, clientRead)
			}
			resp.Body.Close()
			testutil.Eventually(t, 5*time.Second, "the log line", func() bool { return out.String() != "" })
			if got := out.String(); !strings.HasSuffix(got, `"GET /w HTTP/1.1" `+tt.want+"\n") {
				t.Errorf("log %q, want status and bytes %q", got, tt.want)
			}
		})
	}
}

// TestAccessLogShieldInfo checks that the log shows what shield
// established when a Proxy runs inside it, and the peer otherwise.
func TestAccessLogShieldInfo(t *testing.T) {
	up := newUpstream(t, nil)
	out := &testutil.Buffer{}
	front, _, _ := newFront(t, Options{Upstream: up.URL}, func(h http.Handler) http.Handler {
		return AccessLog(trustingShield(t)(h), AccessLogOptions{Format: "json", Out: out})
	})
	tests := []struct {
		name       string
		host       string
		header     map[string]string
		wantStatus float64
		wantClient string
		wantHost   string
	}{
		{"through a trusted proxy", "127.0.0.1", map[string]string{"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Host": "app.example"}, 200, "198.51.100.7", "app.example"},
		{"direct", "app.example", nil, 200, "127.0.0.1", "app.example"},
		{"refused by shield", "evil.example", map[string]string{"X-Forwarded-For": "198.51.100.7"}, 400, "127.0.0.1", "evil.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(lines(out.String()))
			req, _ := http.NewRequest("GET", front.URL+"/p", nil)
			req.Host = tt.host
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := front.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			readBody(t, resp)
			testutil.Eventually(t, 5*time.Second, "the log line", func() bool { return len(lines(out.String())) > before })
			var rec map[string]any
			if err := json.Unmarshal([]byte(lines(out.String())[before]), &rec); err != nil {
				t.Fatal(err)
			}
			if rec["status"] != tt.wantStatus || rec["client"] != tt.wantClient || rec["host"] != tt.wantHost {
				t.Errorf("logged status %v client %v host %v; want %v %v %v", rec["status"], rec["client"], rec["host"], tt.wantStatus, tt.wantClient, tt.wantHost)
			}
		})
	}
}

func TestAppendEscaped(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"/plain/path", "/plain/path"},
		{`a"b`, `a\"b`},
		{`a\b`, `a\\b`},
		{"line\nbreak\r", `line\x0abreak\x0d`},
		{"tab\there", `tab\x09here`},
		{"del\x7f", `del\x7f`},
		{"ü", `\xc3\xbc`},
		{"\x00", `\x00`},
	}
	for _, tt := range tests {
		if got := string(appendEscaped(nil, tt.in)); got != tt.want {
			t.Errorf("appendEscaped(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestAccessLogCommonEscapes sends a request line net/http accepts but
// that would break the log line unescaped.
func TestAccessLogCommonEscapes(t *testing.T) {
	out := &testutil.Buffer{}
	srv := httptest.NewServer(AccessLog(http.NotFoundHandler(), AccessLogOptions{Format: "common", Out: out, IncludeQuery: true}))
	defer srv.Close()
	resp, _ := rawRoundTrip(t, srv.Listener.Addr().String(), "GET /a\"b?x=\"\\ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != 404 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	testutil.Eventually(t, 5*time.Second, "the log line", func() bool { return out.String() != "" })
	if got, want := out.String(), `"GET /a%22b?x=\"\\ HTTP/1.1" 404 19`+"\n"; !strings.HasSuffix(got, want) {
		t.Errorf("log %q, want suffix %q", got, want)
	}
}

// TestAppendJSONString: whatever a client sends, the log field is one valid
// JSON string that decodes to the input (invalid UTF-8 as U+FFFD).
func TestAppendJSONString(t *testing.T) {
	for _, in := range []string{"", "plain", `q"uote\back`, "line\nbreak\r\n", "nul\x00del\x7f", "tab\t", "é ü 日本", "\u2028", "bad\xff\xfeutf8", "\xe2\x82"} {
		out := appendJSONString(nil, in)
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%q → %s: not JSON: %v", in, out, err)
		}
		if want := string([]rune(in)); got != want { // each invalid byte becomes U+FFFD
			t.Errorf("%q → %s decodes to %q", in, out, got)
		}
		if bytes.ContainsAny(out, "\n\r\x00") {
			t.Errorf("%q → %q contains a raw control character", in, out)
		}
	}
}
