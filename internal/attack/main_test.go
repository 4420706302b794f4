package attack

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/e2e"
)

func TestMain(m *testing.M) {
	code := m.Run()
	e2e.Cleanup()
	os.Exit(code)
}

// The limits of the suite's configuration, small so that the attacks on
// them are cheap.
const (
	readHeaderTimeout = 2 * time.Second
	maxHeaderBytes    = 8 << 10
	maxBodyBytes      = 1 << 10
)

// env is one `portcullis serve` in front of a recorder, and the
// addresses a test reaches it on.
type env struct {
	// IP is the loopback address of the HTTPS and plain-HTTP listeners;
	// Client the address the tests' connections come from, so that the
	// client IP the upstream is told is known exactly.
	IP, Client netip.Addr
	// HTTPS, HTTP and Admin are the listeners, "host:port".
	HTTPS, HTTP, Admin string
	Site               *e2e.Site
	Serve              *e2e.Serve
	Rec                *recorder

	probes atomic.Int64
}

// startEnv starts a recorder and `portcullis serve` with the sites
// (TOML, after the listeners and limits; "{upstream}" is replaced by the
// recorder's URL and the site certificate's section follows each
// [[site]] table) for the names in hosts, on a fresh loopback address.
func startEnv(t *testing.T, hosts []string, sites string) *env {
	t.Helper()
	e := &env{IP: e2e.RandomLoopback()}
	e.Client = e2e.RandomLoopback(e.IP)
	e.HTTPS, e.HTTP = e2e.FreeAddr(t, e.IP), e2e.FreeAddr(t, e.IP)
	e.Admin = e2e.FreeAddr(t, netip.MustParseAddr("127.0.0.1"))
	e.Site = e2e.NewSite(t, hosts...)
	e.Rec = newRecorder(t, answer)
	sites = strings.ReplaceAll(sites, "{upstream}", "http://"+e.Rec.Addr())
	sites = strings.ReplaceAll(sites, "{cert}", e.Site.CertTOML())
	e.Serve = e2e.StartServe(t, fmt.Sprintf(`
[listen]
https = %q
http = %q
admin = %q

[limits]
read_header_timeout = "%s"
max_header_bytes = %d
max_body_bytes = %d

[audit]            # the self-audits' requests would reach the recorder too
enabled = false
%s`, e.HTTPS, e.HTTP, e.Admin, readHeaderTimeout, maxHeaderBytes, maxBodyBytes, sites))
	return e
}

// port returns the port of addr "host:port".
func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// dial connects from e.Client to addr, over TLS for app.test with the
// ALPN protocols alpn when alpn is not nil.
func (e *env) dial(t testing.TB, addr string, alpn []string) net.Conn {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: e.Client.AsSlice()}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if alpn == nil {
		return c
	}
	tc := tls.Client(c, &tls.Config{ServerName: "app.test", RootCAs: e.Site.CA.Pool(), NextProtos: alpn})
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tc.Handshake(); err != nil {
		t.Fatalf("TLS handshake with %s: %v", addr, err)
	}
	tc.SetDeadline(time.Time{})
	return tc
}

// response is one response a client read, its body included.
type response struct {
	*http.Response
	Body string
}

// outcome is what a client got for bytes it sent: the responses it
// could read, and whether the connection was closed after them.
type outcome struct {
	Responses []response
	Closed    bool
	// Err is why reading stopped before the expected responses.
	Err error
}

func (o outcome) statuses() []int {
	var s []int
	for _, r := range o.Responses {
		s = append(s, r.StatusCode)
	}
	return s
}

func (o outcome) String() string {
	var b strings.Builder
	for _, r := range o.Responses {
		fmt.Fprintf(&b, "%s %q; ", r.Status, clip(r.Body))
	}
	if o.Closed {
		b.WriteString("connection closed")
	} else {
		b.WriteString("connection open")
	}
	if o.Err != nil {
		fmt.Fprintf(&b, " (read: %v)", o.Err)
	}
	return b.String()
}

// exchange writes raw on c and reads up to n responses (to HEAD when
// head is set), each with a 5-second deadline. Then it finds whether the
// connection is still usable by sending a probe request on it: a
// response means open, an error closed — a positive answer either way,
// with no waiting to see that nothing happens.
func (e *env) exchange(t testing.TB, c net.Conn, raw string, n int, head bool) outcome {
	t.Helper()
	var o outcome
	if _, err := io.WriteString(c, raw); err != nil {
		o.Err, o.Closed = err, true
		return o
	}
	br := bufio.NewReader(c)
	method := http.MethodGet
	if head {
		method = http.MethodHead
	}
	for len(o.Responses) < n {
		r, err := readResponse(c, br, method)
		if err != nil {
			o.Err = err
			o.Closed = isClosed(err)
			return o
		}
		o.Responses = append(o.Responses, r)
	}
	if len(o.Responses) > 0 && o.Responses[len(o.Responses)-1].StatusCode == http.StatusSwitchingProtocols {
		return o // the connection is a tunnel now
	}
	probe := fmt.Sprintf("GET /__probe/%d HTTP/1.1\r\nHost: app.test\r\n\r\n", e.probes.Add(1))
	if _, err := io.WriteString(c, probe); err != nil {
		o.Closed = true
		return o
	}
	if _, err := readResponse(c, br, http.MethodGet); err != nil {
		o.Closed = isClosed(err)
		if !o.Closed {
			o.Err = fmt.Errorf("probe after the responses: %w", err)
		}
	}
	return o
}

func readResponse(c net.Conn, br *bufio.Reader, method string) (response, error) {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return response{}, err
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return response{Response: resp}, nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return response{Response: resp, Body: string(body)}, err
}

// isClosed reports whether err says the peer closed the connection (a
// timeout is not that).
func isClosed(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return true
}

// settle makes sure the upstream has seen everything portcullis forwarded
// so far: it sends a request through portcullis and waits for its answer,
// which the recorder gives only after recording it. A request forwarded
// before it, on any connection, was written before it too.
func (e *env) settle(t testing.TB) {
	t.Helper()
	c := e.dial(t, e.HTTPS, []string{"http/1.1"})
	defer c.Close()
	raw := fmt.Sprintf("GET /__settle/%d HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n", e.probes.Add(1))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatalf("settle: %v", err)
	}
	r, err := readResponse(c, bufio.NewReader(c), http.MethodGet)
	if err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("settle: portcullis did not forward a plain GET: %v %v", r.Response, err)
	}
}

// logLines returns the JSON lines of the server's log (not the access
// log) for which keep returns true.
func (e *env) logLines(keep func(map[string]any) bool) []map[string]any {
	var out []map[string]any
	for line := range strings.Lines(e.Serve.Log.String()) {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] != nil && keep(m) {
			out = append(out, m)
		}
	}
	return out
}

// clip shortens a body for a message.
func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}

// str returns m[k] as a string.
func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// req joins the lines of a request head with CRLF and ends the head.
func req(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n\r\n" }

// saw is what the upstream must have seen for one attack.
type saw struct {
	desc  string
	check func([]seenRequest) error
}

// nothing: the upstream saw no request at all.
func nothing() saw {
	return saw{"nothing", func(rs []seenRequest) error {
		if len(rs) > 0 {
			return fmt.Errorf("%d request(s)", len(rs))
		}
		return nil
	}}
}

// noComplete: the upstream saw no complete request. portcullis streams
// bodies, so a head whose body then fails may have gone out; the
// upstream never got a request it could act on.
func noComplete() saw {
	return saw{"no complete request", func(rs []seenRequest) error {
		for _, r := range rs {
			if r.Complete {
				return errors.New("a complete request")
			}
		}
		return nil
	}}
}

// one: exactly one request, well-framed, passing every check.
func one(checks ...reqCheck) saw {
	return saw{"one well-framed request", func(rs []seenRequest) error {
		if len(rs) != 1 {
			return fmt.Errorf("%d requests", len(rs))
		}
		r := rs[0]
		if !r.Complete || len(r.Problems) > 0 {
			return errors.New("a request that is not well-framed")
		}
		for _, c := range checks {
			if err := c(&r); err != nil {
				return err
			}
		}
		return nil
	}}
}

// reqCheck checks one request the upstream saw.
type reqCheck func(*seenRequest) error

// line: the request line is exactly l.
func line(l string) reqCheck {
	return func(r *seenRequest) error {
		if r.Line != l {
			return fmt.Errorf("request line %q, want %q", r.Line, l)
		}
		return nil
	}
}

// body: the body is exactly b.
func body(b string) reqCheck {
	return func(r *seenRequest) error {
		if r.Body != b {
			return fmt.Errorf("body %q, want %q", r.Body, b)
		}
		return nil
	}
}

// hdr: the fields named name (any case) have exactly the values vs.
func hdr(name string, vs ...string) reqCheck {
	return func(r *seenRequest) error {
		if got := r.values(name); !slices.Equal(got, vs) {
			return fmt.Errorf("%s: %q, want %q", name, got, vs)
		}
		return nil
	}
}

// none: no field has any of the names (compared case-insensitively, and
// with '-' and '_' the same, as CGI-style servers compare them).
func none(names ...string) reqCheck {
	return func(r *seenRequest) error {
		for _, f := range r.Fields {
			for _, n := range names {
				if cgiName(f[0]) == cgiName(n) {
					return fmt.Errorf("has %s: %q", f[0], f[1])
				}
			}
		}
		return nil
	}
}

// onlyHeaders: the field names are exactly these, in any order and case.
func onlyHeaders(names ...string) reqCheck {
	return func(r *seenRequest) error {
		got := r.names()
		for i := range got {
			got[i] = http.CanonicalHeaderKey(got[i])
		}
		want := slices.Clone(names)
		for i := range want {
			want[i] = http.CanonicalHeaderKey(want[i])
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			return fmt.Errorf("header fields %q, want %q", got, want)
		}
		return nil
	}
}

// cgiName is a field name as WSGI/CGI servers key it.
func cgiName(n string) string { return strings.ReplaceAll(strings.ToUpper(n), "-", "_") }

// forwardedBy returns the checks that the forwarding headers are the ones
// portcullis sets for a client at ip over scheme to host app.test.
func forwardedBy(ip netip.Addr, scheme string) []reqCheck {
	return []reqCheck{
		hdr("X-Forwarded-For", ip.String()),
		hdr("X-Real-Ip", ip.String()),
		hdr("X-Forwarded-Proto", scheme),
		hdr("X-Forwarded-Host", "app.test"),
		hdr("Forwarded", "for="+ip.String()+";proto="+scheme+";host=app.test"),
	}
}

// h1Row is one attack over HTTP/1.1.
type h1Row struct {
	name string
	// send is the bytes written on a new connection.
	send string
	// want are the statuses of the responses, in order; none for a
	// connection closed without an answer.
	want []int
	// oneOf, when set, replaces want: one response, with any of these
	// statuses.
	oneOf []int
	// after is the state the connection must be in after them.
	after connState
	// upstream is what the upstream must have seen.
	upstream saw
	// client checks the responses further (Location, headers, the
	// server's log), if set.
	client func(testing.TB, *outcome) error
}

// connState is what a row wants of the connection after the responses.
type connState int

const (
	open   connState = iota // still usable: a further request is answered
	closed                  // closed by portcullis
	either                  // either is fine
)

func (s connState) is(isClosed bool) bool {
	return s == either || (s == closed) == isClosed
}

func (s connState) String() string { return [...]string{"open", "closed", "open or closed"}[s] }

// runH1 runs each row as a subtest on a new connection to addr (over TLS
// when tlsOn), then checks both sides.
func (e *env) runH1(t *testing.T, addr string, tlsOn bool, rows []h1Row) {
	t.Helper()
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			var alpn []string
			if tlsOn {
				alpn = []string{"http/1.1"}
			}
			m := e.Rec.mark()
			c := e.dial(t, addr, alpn)
			o := e.exchange(t, c, row.send, max(len(row.want), 1), strings.HasPrefix(row.send, "HEAD "))
			c.Close()
			e.settle(t)
			seen := e.Rec.since(m)

			got := o.statuses()
			ok, want := slices.Equal(got, row.want), fmt.Sprint(row.want)
			if row.oneOf != nil {
				ok, want = len(got) == 1 && slices.Contains(row.oneOf, got[0]), fmt.Sprintf("one of %v", row.oneOf)
			}
			if !ok || !row.after.is(o.Closed) {
				t.Errorf("client got %v, want statuses %s, connection %v", o, want, row.after)
			} else if row.client != nil {
				if err := row.client(t, &o); err != nil {
					t.Errorf("client: %v (got %v)", err, o)
				}
			}
			if err := row.upstream.check(seen); err != nil {
				t.Errorf("upstream saw %s, want %s:\n%s", err, row.upstream.desc, dump(seen))
			}
		})
	}
}

func dump(rs []seenRequest) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "\t%v\n", r)
	}
	return b.String()
}
