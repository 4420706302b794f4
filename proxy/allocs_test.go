package proxy

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/testutil"
)

// cannedTransport answers every round trip with the same 1 KiB
// response, without a network or an allocation of its own, so that what
// remains is the proxy's work.
type cannedTransport struct {
	resp http.Response
	body cannedBody
}

// cannedBody is a response body that can be rewound.
type cannedBody struct{ strings.Reader }

func (*cannedBody) Close() error { return nil }

func newCannedTransport() *cannedTransport {
	return &cannedTransport{resp: http.Response{
		StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{
			"Content-Type": {"text/plain"}, "Content-Length": {"1024"},
			"Set-Cookie": {"sessionid=x; Path=/"}, "Date": {"Mon, 07 Dec 2026 12:00:00 GMT"},
		},
		ContentLength: 1 << 10,
	}}
}

var cannedData = strings.Repeat("x", 1<<10)

func (t *cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.body.Reset(cannedData)
	t.resp.Body = &t.body
	t.resp.Request = r
	return &t.resp, nil
}

// maxProxyAllocs is how many allocations Proxy.ServeHTTP may make for a
// plain GET answered with 1 KiB, the upstream's own work left out. All
// but three are httputil.ReverseProxy's (the outgoing request, its URL
// and header map, contexts, each response header copied, the media type
// parsed to spot Server-Sent Events); the proxy adds the forwarding
// headers (two: their values and the text of Forwarded) and the growth of
// the outgoing header map they are added to (one). Raise it only with a
// reason in docs/benchmarks.md.
const maxProxyAllocs = 18

// TestProxyAllocs guards the proxy's allocations per request, which are
// exact (unlike time): a change that adds one shows here.
func TestProxyAllocs(t *testing.T) {
	if testutil.Race {
		t.Skip("the race detector's sync.Pool drops objects at random: allocations are not exact")
	}
	p, err := New(Options{Upstream: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	p.rp.Transport = newCannedTransport()
	req := httptest.NewRequest("GET", "https://app.example/page", nil)
	req.RemoteAddr = "192.0.2.1:1234"
	w := &discardWriter{h: http.Header{}}
	n := testing.AllocsPerRun(200, func() {
		clear(w.h)
		p.ServeHTTP(w, req)
	})
	t.Logf("%v allocations per request", n)
	if n > maxProxyAllocs {
		t.Errorf("%v allocations per request, want at most %d", n, maxProxyAllocs)
	}
}

// BenchmarkProxyServeHTTP is Proxy.ServeHTTP alone: a plain GET answered
// by a canned 1 KiB response, no network (TestProxyAllocs guards its
// allocations).
func BenchmarkProxyServeHTTP(b *testing.B) {
	p, err := New(Options{Upstream: "http://127.0.0.1:1"})
	if err != nil {
		b.Fatal(err)
	}
	p.rp.Transport = newCannedTransport()
	req := httptest.NewRequest("GET", "https://app.example/page", nil)
	req.RemoteAddr = "192.0.2.1:1234"
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		p.ServeHTTP(w, req)
	}
}
