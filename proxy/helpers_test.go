package proxy

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/testutil"
)

// seen is what the echo upstream reports about a request it received.
type seen struct {
	Host   string
	Path   string
	Query  string
	Proto  string
	Header http.Header
	Body   string
}

// echoUpstream answers every request with a JSON description of it.
func echoUpstream(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(seen{Host: r.Host, Path: r.URL.Path, Query: r.URL.RawQuery, Proto: r.Proto, Header: r.Header, Body: string(body)})
}

// newUpstream starts an echo upstream on 127.0.0.1.
func newUpstream(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	if h == nil {
		h = echoUpstream
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// newFront builds a Proxy from o, logging to the returned buffer, and
// serves it (wrapped by wrap, if not nil) on 127.0.0.1.
func newFront(t *testing.T, o Options, wrap func(http.Handler) http.Handler) (*httptest.Server, *Proxy, *testutil.Buffer) {
	t.Helper()
	logs := &testutil.Buffer{}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	p, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(p.Close)
	var h http.Handler = p
	if wrap != nil {
		h = wrap(h)
	}
	front := httptest.NewServer(h)
	t.Cleanup(front.Close)
	return front, p, logs
}

// decodeSeen reads an echo upstream's answer.
func decodeSeen(t *testing.T, resp *http.Response) seen {
	t.Helper()
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d, body %q", resp.StatusCode, b)
	}
	var s seen
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatalf("decoding the upstream's echo: %v", err)
	}
	return s
}

// readBody reads and closes a response body.
func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return string(b)
}

// lines splits log output into non-empty lines.
func lines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
