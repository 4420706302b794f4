package attack

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Conn is a raw HTTP/2 client connection: frames are written and read
// one by one, so that it can send what no HTTP/2 library would.
type h2Conn struct {
	c   net.Conn
	w   *bufio.Writer
	fr  *http2.Framer
	enc *hpack.Encoder
	buf bytes.Buffer
}

// dialH2 connects to the HTTPS listener with ALPN h2 and sends the
// client preface and an empty SETTINGS frame.
func (e *env) dialH2(t testing.TB) *h2Conn {
	t.Helper()
	c := e.dial(t, e.HTTPS, []string{"h2"})
	if p := c.(*tls.Conn).ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("ALPN negotiated %q, want h2", p)
	}
	h := &h2Conn{c: c, w: bufio.NewWriterSize(c, 64<<10)}
	h.fr = http2.NewFramer(h.w, c)
	h.fr.ReadMetaHeaders = hpack.NewDecoder(64<<10, nil)
	h.fr.MaxHeaderListSize = 1 << 20
	h.enc = hpack.NewEncoder(&h.buf)
	h.w.WriteString(http2.ClientPreface)
	if err := h.fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	if err := h.flush(); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *h2Conn) flush() error {
	h.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return h.w.Flush()
}

// block encodes fields as a header block.
func (h *h2Conn) block(fields [][2]string) []byte {
	h.buf.Reset()
	for _, f := range fields {
		h.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	return bytes.Clone(h.buf.Bytes())
}

// h2Result is what came back on one stream.
type h2Result struct {
	Status int
	Header http.Header
	Body   string
	// Reset is set when the stream was reset, with the code.
	Reset   bool
	ResetAs http2.ErrCode
	// GoAway is the connection's GOAWAY, if one came.
	GoAway *http2.GoAwayFrame
	// Closed: the connection ended.
	Closed bool
	Err    error
}

// malformed reports whether the request was treated as malformed: its
// stream or the connection reset, or a 400 (RFC 9113 §8.1.1: "a server
// MAY send an HTTP response prior to closing or resetting the stream").
func (r h2Result) malformed() bool {
	return r.Status == http.StatusBadRequest || (r.Status == 0 && (r.Reset || r.GoAway != nil || r.Closed))
}

func (r h2Result) String() string {
	switch {
	case r.Status != 0:
		return fmt.Sprintf("%d %q", r.Status, clip(r.Body))
	case r.Reset:
		return "RST_STREAM " + r.ResetAs.String()
	case r.GoAway != nil:
		return fmt.Sprintf("GOAWAY %v %q", r.GoAway.ErrCode, r.GoAway.DebugData())
	case r.Closed:
		return fmt.Sprintf("connection closed (%v)", r.Err)
	}
	return fmt.Sprintf("nothing (%v)", r.Err)
}

// await reads frames until stream id ends (response, reset) or the
// connection does, answering SETTINGS and PING as a client must.
func (h *h2Conn) await(id uint32, within time.Duration) h2Result {
	var r h2Result
	h.c.SetReadDeadline(time.Now().Add(within))
	defer h.c.SetReadDeadline(time.Time{})
	for {
		f, err := h.fr.ReadFrame()
		if err != nil {
			r.Err, r.Closed = err, isClosed(err)
			return r
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				h.fr.WriteSettingsAck()
				h.flush()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				h.fr.WritePing(true, f.Data)
				h.flush()
			}
		case *http2.MetaHeadersFrame:
			if f.StreamID != id {
				continue
			}
			r.Status, _ = strconv.Atoi(f.PseudoValue("status"))
			r.Header = http.Header{}
			for _, hf := range f.RegularFields() {
				r.Header.Add(hf.Name, hf.Value)
			}
			if f.StreamEnded() {
				return r
			}
		case *http2.DataFrame:
			if f.StreamID == id {
				r.Body += string(f.Data())
				if f.StreamEnded() {
					return r
				}
			}
		case *http2.RSTStreamFrame:
			if f.StreamID == id {
				r.Reset, r.ResetAs = true, f.ErrCode
				return r
			}
		case *http2.GoAwayFrame:
			r.GoAway = f
			return r
		}
	}
}

// h2req is the header block of a request for path on app.test, then
// the extra fields, each "name: value".
func h2req(method, path string, extra ...string) [][2]string {
	fs := [][2]string{{":method", method}, {":scheme", "https"}, {":authority", "app.test"}, {":path", path}}
	for _, x := range extra {
		k, v, _ := strings.Cut(x, ": ")
		fs = append(fs, [2]string{k, v})
	}
	return fs
}

// malformed is h2Row.want for a request that must be treated as
// malformed: reset, or answered 400.
const malformed = 0

// h2Row is one attack over HTTP/2, on a new connection.
type h2Row struct {
	name   string
	fields [][2]string
	// body is sent in one DATA frame that ends the stream; none when
	// empty, the HEADERS frame ending it.
	body string
	// want is the response status, or malformed.
	want     int
	upstream saw
}

func (e *env) runH2(t *testing.T, rows []h2Row) {
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			m := e.Rec.mark()
			h := e.dialH2(t)
			err := h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: h.block(row.fields),
				EndStream: row.body == "", EndHeaders: true})
			if err == nil && row.body != "" {
				err = h.fr.WriteData(1, true, []byte(row.body))
			}
			if err == nil {
				err = h.flush()
			}
			if err != nil {
				t.Fatal(err)
			}
			r := h.await(1, 5*time.Second)
			h.c.Close()
			e.settle(t)
			seen := e.Rec.since(m)
			if ok := (row.want == malformed && r.malformed()) || (row.want != malformed && r.Status == row.want); !ok {
				want := strconv.Itoa(row.want)
				if row.want == malformed {
					want = "a reset stream or connection, or 400"
				}
				t.Errorf("client got %v, want %s", r, want)
			}
			if err := row.upstream.check(seen); err != nil {
				t.Errorf("upstream saw %s, want %s:\n%s", err, row.upstream.desc, dump(seen))
			}
		})
	}
}

// h2Rows are malformed or hostile HTTP/2 requests.
func h2Rows(e *env) []h2Row {
	return []h2Row{
		{name: "connection", fields: h2req("GET", "/h2", "connection: keep-alive"), want: malformed, upstream: nothing()},
		{name: "transfer-encoding", fields: h2req("POST", "/h2", "transfer-encoding: chunked"), body: "5\r\nhello\r\n0\r\n\r\n",
			want: malformed, upstream: nothing()},
		{name: "upgrade", fields: h2req("GET", "/h2", "upgrade: h2c"), want: malformed, upstream: nothing()},
		{name: "keep-alive", fields: h2req("GET", "/h2", "keep-alive: timeout=5"), want: malformed, upstream: nothing()},
		{name: "proxy-connection", fields: h2req("GET", "/h2", "proxy-connection: keep-alive"), want: malformed, upstream: nothing()},
		{name: "te other than trailers", fields: h2req("GET", "/h2", "te: gzip"), want: malformed, upstream: nothing()},
		{name: "te trailers", fields: h2req("GET", "/h2", "te: trailers"), want: 200, upstream: one(line("GET /h2 HTTP/1.1"))},
		{name: "upper-case name", fields: h2req("GET", "/h2", "X-Upper: 1"), want: malformed, upstream: nothing()},
		{name: "CRLF in a value", fields: h2req("GET", "/h2", "x-a: a\r\nx-injected: 1"), want: malformed, upstream: nothing()},
		{name: "NUL in a value", fields: h2req("GET", "/h2", "x-a: a\x00b"), want: malformed, upstream: nothing()},
		{name: "space in a name", fields: h2req("GET", "/h2", "x a: 1"), want: malformed, upstream: nothing()},
		{name: "pseudo-header after a field",
			fields: [][2]string{{":method", "GET"}, {":scheme", "https"}, {":path", "/h2"}, {"x-a", "1"}, {":authority", "app.test"}},
			want:   malformed, upstream: nothing()},
		{name: "two :path", fields: append(h2req("GET", "/h2"), [2]string{":path", "/other"}), want: malformed, upstream: nothing()},
		{name: "content-length shorter than the body", fields: h2req("POST", "/h2", "content-length: 3"), body: "hello",
			want: malformed, upstream: noComplete()},
		{name: "unknown :authority", fields: [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", "evil.example"}, {":path", "/h2"}},
			want: 400, upstream: nothing()},
		{name: "host differs from :authority", fields: h2req("GET", "/h2", "host: evil.example"),
			want: 200, upstream: one(hdr("Host", "app.test"), hdr("X-Forwarded-Host", "app.test"))},
		{name: "spoofed forwarding headers",
			fields: h2req("GET", "/h2", "x-forwarded-for: 6.6.6.6", "x-real-ip: 6.6.6.6", "x-forwarded-proto: http",
				"x-forwarded-host: evil.example", "forwarded: for=6.6.6.6", "true-client-ip: 6.6.6.6", "x-forwarded-port: 80"),
			want: 200, upstream: one(append(forwardedBy(e.Client, "https"), none("True-Client-Ip", "X-Forwarded-Port"))...)},
		// New rules (issue 11) over HTTP/2.
		{name: "underscore header", fields: h2req("GET", "/h2", "x_forwarded_for: 6.6.6.6"),
			want: 200, upstream: one(append(forwardedBy(e.Client, "https"), noUnderscore)...)},
		{name: "TRACE", fields: h2req("TRACE", "/h2"), want: 405, upstream: nothing()},
		{name: "CONNECT", fields: [][2]string{{":method", "CONNECT"}, {":authority", "app.test:443"}}, want: 405, upstream: nothing()},
	}
}

// testRapidReset opens many streams, each reset at once (CVE-2023-44487):
// the server stays healthy, and what reaches the upstream is bounded.
func testRapidReset(t *testing.T, e *env) {
	const streams = 2000
	m := e.Rec.mark()
	h := e.dialH2(t)
	type tally struct {
		headers, resets int
		goAway          *http2.GoAwayFrame
		err             error
	}
	done := make(chan tally, 1)
	go func() {
		var n tally
		defer func() { done <- n }()
		h.c.SetReadDeadline(time.Now().Add(30 * time.Second))
		for {
			f, err := h.fr.ReadFrame()
			if err != nil {
				n.err = err
				return
			}
			switch f := f.(type) {
			case *http2.MetaHeadersFrame:
				n.headers++
			case *http2.RSTStreamFrame:
				n.resets++
			case *http2.GoAwayFrame:
				n.goAway = f
			case *http2.PingFrame:
				if f.IsAck() && string(f.Data[:]) == "rapidend" {
					return
				}
			}
		}
	}()
	start := time.Now()
	sent := 0
	var werr error
	for i := range streams {
		id := uint32(2*i + 1)
		werr = h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndStream: true, EndHeaders: true,
			BlockFragment: h.block(h2req("GET", fmt.Sprintf("/rapid/%d", i)))})
		if werr == nil {
			werr = h.fr.WriteRSTStream(id, http2.ErrCodeCancel)
		}
		if werr == nil && i%50 == 49 {
			werr = h.flush()
		}
		if werr != nil {
			break
		}
		sent++
	}
	if werr == nil {
		h.fr.WritePing(false, [8]byte([]byte("rapidend")))
		werr = h.flush()
	}
	n := <-done
	h.c.Close()
	took := time.Since(start)

	// Healthy: a new connection gets an answer at once.
	h2 := e.dialH2(t)
	h2.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndStream: true, EndHeaders: true, BlockFragment: h2.block(h2req("GET", "/__after-rapid-reset"))})
	h2.flush()
	if r := h2.await(1, 5*time.Second); r.Status != 200 {
		t.Errorf("after the attack, a new connection got %v", r)
	}
	e.settle(t)
	up := e.Rec.count(m, "/rapid/")
	t.Logf("rapid reset: %d of %d streams sent in %v (write error: %v); client got %d HEADERS, %d RST_STREAM, GOAWAY %v (read: %v); upstream saw %d",
		sent, streams, took, werr, n.headers, n.resets, n.goAway, n.err, up)
	// A reset stream's request is abandoned: only those whose handler
	// won the race with the RST_STREAM reach the upstream (about one in
	// five on loopback), never all of them. Without a GOAWAY, at most
	// half may.
	bound := sent / 2
	if n.goAway == nil && up > bound {
		t.Errorf("the connection was not closed and the upstream saw %d of %d reset requests (bound %d)", up, sent, bound)
	}
}

// testContinuationFlood sends a HEADERS frame without END_HEADERS, then
// CONTINUATION frames without end (CVE-2023-45288): the server closes
// the connection after about max_header_bytes, its memory stays flat, and
// the upstream sees nothing.
func testContinuationFlood(t *testing.T, e *env) {
	const maxSent = 64 << 20
	m := e.Rec.mark()
	pid := e.Serve.Cmd.Process.Pid
	before := rss(t, pid)
	h := e.dialH2(t)
	ended := make(chan string, 1)
	go func() {
		h.c.SetReadDeadline(time.Now().Add(20 * time.Second))
		for {
			f, err := h.fr.ReadFrame()
			if err != nil {
				ended <- fmt.Sprintf("connection closed (%v)", err)
				return
			}
			if g, ok := f.(*http2.GoAwayFrame); ok {
				ended <- fmt.Sprintf("GOAWAY %v", g.ErrCode)
				return
			}
		}
	}()
	start := time.Now()
	werr := h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndStream: true, EndHeaders: false,
		BlockFragment: h.block(h2req("GET", "/flood"))})
	sent, peak := 0, before
	var how string
flood:
	for i := 0; werr == nil && sent < maxSent && time.Since(start) < 15*time.Second; i++ {
		frag := h.block([][2]string{{fmt.Sprintf("x-flood-%d", i), strings.Repeat("a", 1000)}})
		if werr = h.fr.WriteContinuation(1, false, frag); werr != nil {
			break
		}
		sent += len(frag) + 9
		if i%16 == 15 {
			werr = h.flush()
			peak = max(peak, rss(t, pid))
		}
		select {
		case how = <-ended:
			break flood
		default:
		}
	}
	if how == "" {
		select {
		case how = <-ended:
		case <-time.After(5 * time.Second):
		}
	}
	took := time.Since(start)
	h.c.Close()
	t.Logf("CONTINUATION flood: %d bytes sent in %v, then %q (write: %v); server RSS %d KiB before, %d KiB at most during",
		sent, took, how, werr, before>>10, peak>>10)
	if how == "" {
		t.Errorf("the connection was still open after %d bytes of CONTINUATION in %v", sent, took)
	}
	// The kernel's socket buffers take a few MiB before the server
	// reads a byte; beyond that, the server read what it should not.
	if sent > 16<<20 {
		t.Errorf("the server took %d bytes of CONTINUATION before closing the connection", sent)
	}
	if peak-before > 64<<20 {
		t.Errorf("the server's memory grew by %d KiB during the flood", (peak-before)>>10)
	}
	e.settle(t)
	if seen := e.Rec.since(m); len(seen) > 0 {
		t.Errorf("upstream saw:\n%s", dump(seen))
	}
}

// rss returns the resident memory of process pid, in bytes.
func rss(t testing.TB, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for l := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}
