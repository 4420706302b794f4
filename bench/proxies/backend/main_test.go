package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(handler())
	defer srv.Close()
	tests := []struct {
		method, path string
		status, size int
		cookie       string
	}{
		{"GET", "/1k", 200, 1024, sessionCookie},
		{"GET", "/64k", 200, 65536, sessionCookie},
		{"HEAD", "/64k", 200, 0, sessionCookie},
		{"GET", "/", 404, -1, ""},
		{"GET", "/1k/", 404, -1, ""},
		{"GET", "/1K", 404, -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if got := resp.Header.Get("Set-Cookie"); got != tt.cookie {
				t.Errorf("Set-Cookie %q, want %q", got, tt.cookie)
			}
			if tt.size >= 0 && len(b) != tt.size {
				t.Errorf("body is %d bytes, want %d", len(b), tt.size)
			}
			if resp.ProtoMajor != 1 || resp.Close {
				t.Errorf("proto %s, close %v: want a kept-alive HTTP/1.1 connection", resp.Proto, resp.Close)
			}
		})
	}
}

func TestBody(t *testing.T) {
	for _, n := range []int{1, 2, 69, 70, 1024, 65536} {
		b := body(n)
		if len(b) != n || b[n-1] != '\n' {
			t.Errorf("body(%d): %d bytes, last %q", n, len(b), b[len(b)-1])
		}
	}
}

func TestLoopbackOnly(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:9000", true},
		{"127.0.0.2:0", true},
		{"[::1]:9000", true},
		{"0.0.0.0:9000", false},
		{":9000", false},
		{"localhost:9000", false},
		{"10.0.0.1:9000", false},
		{"127.0.0.1", false},
		{"", false},
	}
	for _, tt := range tests {
		if err := loopbackOnly(tt.addr); (err == nil) != tt.ok {
			t.Errorf("loopbackOnly(%q) = %v, want ok=%v", tt.addr, err, tt.ok)
		}
	}
}

func TestRunRejects(t *testing.T) {
	for _, tt := range []struct {
		addr  string
		procs int
	}{{"127.0.0.1:0", 0}, {"0.0.0.0:0", 1}, {"127.0.0.1:99999", 1}} {
		if err := run(tt.addr, tt.procs); err == nil {
			t.Errorf("run(%q, %d): no error", tt.addr, tt.procs)
		}
	}
}
