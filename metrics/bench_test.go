package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/proxy"
)

// BenchmarkRequest is the cost the request metrics add per request: a
// handler writing a small body, bare, counted (Site.Wrap), behind the
// JSON access log, and behind both as portcullis serve runs them. The
// writer is reused and discards, so only middleware work is measured.
func BenchmarkRequest(b *testing.B) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	site := New().Site("app", []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
	accessLog := func(h http.Handler) http.Handler {
		return proxy.AccessLog(h, proxy.AccessLogOptions{Format: "json", Out: io.Discard})
	}
	for _, c := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", app},
		{"metrics", site.Wrap(app)},
		{"accesslog", accessLog(app)},
		{"accesslog+metrics", accessLog(site.Wrap(app))},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "https://app.example/path", nil)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				c.h.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkRequestParallel is BenchmarkRequest's "metrics" case on every
// core, where the counters' cache lines are shared.
func BenchmarkRequestParallel(b *testing.B) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	h := New().Site("app", []string{"GET", "HEAD", "POST"}).Wrap(app)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest("GET", "https://app.example/path", nil)
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			h.ServeHTTP(w, req)
		}
	})
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header               { return w.h }
func (w *discardWriter) Write(p []byte) (int, error)       { return len(p), nil }
func (w *discardWriter) WriteHeader(int)                   {}
func (w *discardWriter) WriteString(s string) (int, error) { return len(s), nil }

// TestRequestAllocs guards what BenchmarkRequest measures in time: the
// request metrics, alone and behind the access log as portcullis serve
// runs them, allocate nothing per request (exact, unlike time).
func TestRequestAllocs(t *testing.T) {
	if testutil.Race {
		t.Skip("the race detector's sync.Pool drops objects at random: allocations are not exact")
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	site := New().Site("app", []string{"GET", "HEAD", "POST"})
	site.Wrap(app).ServeHTTP(&discardWriter{h: http.Header{}}, httptest.NewRequest("GET", "/", nil)) // the counter's first use
	buf := proxy.NewLogBuffer(io.Discard, 0, 0)
	defer buf.Close()
	for _, c := range []struct {
		name string
		h    http.Handler
	}{
		{"metrics", site.Wrap(app)},
		{"accesslog+metrics", proxy.AccessLog(site.Wrap(app), proxy.AccessLogOptions{Format: "json", Out: buf})},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "https://app.example/path", nil)
			w := &discardWriter{h: http.Header{}}
			if n := testing.AllocsPerRun(200, func() { c.h.ServeHTTP(w, req) }); n != 0 {
				t.Errorf("%v allocations per request, want 0", n)
			}
		})
	}
}
