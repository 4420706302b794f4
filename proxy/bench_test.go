package proxy

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchSetup starts an upstream answering size bytes with a
// Content-Length, a front server running the proxy (wrapped by wrap, if
// not nil), and a keep-alive client for it.
func benchSetup(b *testing.B, size int, wrap func(http.Handler) http.Handler) (*Proxy, *http.Client, string) {
	b.Helper()
	payload := strings.Repeat("x", size)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, payload)
	}))
	b.Cleanup(up.Close)
	p, err := New(Options{Upstream: up.URL})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	var h http.Handler = p
	if wrap != nil {
		h = wrap(h)
	}
	front := httptest.NewServer(h)
	b.Cleanup(front.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
	b.Cleanup(client.CloseIdleConnections)
	return p, client, front.URL + "/bench"
}

func benchGet(b *testing.B, client *http.Client, url string, size int) {
	resp, err := client.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n != int64(size) || resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d, %d bytes, %v", resp.StatusCode, n, err)
	}
}

// BenchmarkProxy measures a whole round trip client → proxy → upstream
// over loopback keep-alive connections, for a 1 KiB response. ns/op and
// allocs/op include the client and both servers; BenchmarkDirect is the
// same without the proxy, so the difference is the proxy's cost.
func BenchmarkProxy(b *testing.B) {
	const size = 1 << 10
	_, client, url := benchSetup(b, size, nil)
	b.ReportAllocs()
	for b.Loop() {
		benchGet(b, client, url, size)
	}
}

// BenchmarkProxyParallel is BenchmarkProxy with concurrent clients.
func BenchmarkProxyParallel(b *testing.B) {
	const size = 1 << 10
	_, client, url := benchSetup(b, size, nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			benchGet(b, client, url, size)
		}
	})
}

// BenchmarkDirect is the baseline: the client talks to the upstream.
func BenchmarkDirect(b *testing.B) {
	const size = 1 << 10
	payload := strings.Repeat("x", size)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, payload)
	}))
	defer up.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
	defer client.CloseIdleConnections()
	b.ReportAllocs()
	for b.Loop() {
		benchGet(b, client, up.URL, size)
	}
}

// BenchmarkProxyAccessLog is BenchmarkProxy behind AccessLog.
func BenchmarkProxyAccessLog(b *testing.B) {
	for _, format := range []string{"json", "common"} {
		b.Run(format, func(b *testing.B) {
			const size = 1 << 10
			_, client, url := benchSetup(b, size, func(h http.Handler) http.Handler {
				return AccessLog(h, AccessLogOptions{Format: format, Out: io.Discard})
			})
			b.ReportAllocs()
			for b.Loop() {
				benchGet(b, client, url, size)
			}
		})
	}
}

// BenchmarkFlushInterval compares ReverseProxy's FlushInterval 0 (the
// setting: buffered by net/http, flushed at the end) with -1 (flush after
// every write) for responses with a Content-Length. Streams are flushed
// immediately either way.
func BenchmarkFlushInterval(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 20} {
		for _, fi := range []time.Duration{0, -1} {
			b.Run(fmt.Sprintf("size=%d/flush=%d", size, fi), func(b *testing.B) {
				p, client, url := benchSetup(b, size, nil)
				p.rp.FlushInterval = fi
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					benchGet(b, client, url, size)
				}
			})
		}
	}
}

// BenchmarkAccessLogHandler is the access log alone around a handler that
// writes a small body, without network.
func BenchmarkAccessLogHandler(b *testing.B) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	for _, format := range []string{"json", "common", "json+buffer"} {
		b.Run(format, func(b *testing.B) {
			var out io.Writer = io.Discard
			if f, ok := strings.CutSuffix(format, "+buffer"); ok {
				// as portcullis serve writes it
				buf := NewLogBuffer(io.Discard, 0, 0)
				defer buf.Close()
				format, out = f, buf
			}
			h := AccessLog(app, AccessLogOptions{Format: format, Out: out})
			req := httptest.NewRequest("GET", "http://app.example/path", nil)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, req)
			}
		})
	}
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

func (w *discardWriter) WriteString(s string) (int, error) { return len(s), nil }
