package attack

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is the upstream the tests put behind portcullis: a TCP
// listener on loopback that keeps every byte each connection sends and
// parses the requests itself, leniently, so that whatever portcullis
// forwards is seen as sent — duplicate headers, both framings, bare LFs,
// folded lines — rather than normalised by a server library. It answers
// each complete request with respond's bytes.
type recorder struct {
	ln      net.Listener
	respond func(*seenRequest) string

	mu    sync.Mutex
	conns [][]byte       // every byte received, per connection
	reqs  []*seenRequest // every request whose head arrived, in that order
	open  map[net.Conn]bool
	wg    sync.WaitGroup
}

// seenRequest is one request as the upstream received it.
type seenRequest struct {
	// Conn is the upstream connection it came on (an index).
	Conn int
	// Raw is the request's bytes as received: head, then body as framed.
	Raw string
	// Line is the request line; Method and Target its parts.
	Line, Method, Target string
	// Fields are the header fields in order, names as received, values
	// without surrounding whitespace; a folded line is joined with a
	// space to the field it continues.
	Fields [][2]string
	// Body is the body, de-chunked.
	Body string
	// Complete is set once the whole body has arrived.
	Complete bool
	// Problems say what makes the request not well-framed HTTP/1.1: a
	// bare LF, a folded line, two framings, an unparsable chunk…
	Problems []string
}

// maxRecorded bounds what one upstream connection buffers.
const maxRecorded = 4 << 20

// newRecorder starts a recorder on 127.0.0.1; it stops when the test
// ends.
func newRecorder(t testing.TB, respond func(*seenRequest) string) *recorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{ln: ln, respond: respond, open: map[net.Conn]bool{}}
	rec.wg.Add(1)
	go rec.accept()
	t.Cleanup(rec.close)
	return rec
}

// Addr is the recorder's address, "127.0.0.1:PORT".
func (rec *recorder) Addr() string { return rec.ln.Addr().String() }

func (rec *recorder) close() {
	rec.ln.Close()
	rec.mu.Lock()
	for c := range rec.open {
		c.Close()
	}
	rec.mu.Unlock()
	rec.wg.Wait()
}

func (rec *recorder) accept() {
	defer rec.wg.Done()
	for {
		c, err := rec.ln.Accept()
		if err != nil {
			return
		}
		rec.mu.Lock()
		id := len(rec.conns)
		rec.conns = append(rec.conns, nil)
		rec.open[c] = true
		rec.mu.Unlock()
		rec.wg.Add(1)
		go func() {
			defer rec.wg.Done()
			rec.serve(c, id)
			rec.mu.Lock()
			delete(rec.open, c)
			rec.mu.Unlock()
			c.Close()
		}()
	}
}

// serve reads one connection: requests one after the other, each
// recorded as soon as its head is complete and updated as its body
// arrives, answered once complete. After a 101 answer the rest of the
// connection is only recorded.
func (rec *recorder) serve(c net.Conn, id int) {
	var (
		pending []byte       // bytes not yet consumed by a complete request
		cur     *seenRequest // the request being received, once its head is in
		tunnel  bool         // a 101 was sent: bytes are no longer HTTP
		buf     = make([]byte, 32<<10)
	)
	for {
		c.SetReadDeadline(time.Now().Add(time.Minute))
		n, err := c.Read(buf)
		rec.mu.Lock()
		if len(rec.conns[id])+n <= maxRecorded {
			rec.conns[id] = append(rec.conns[id], buf[:n]...)
		}
		rec.mu.Unlock()
		if err != nil {
			return
		}
		if tunnel {
			continue
		}
		pending = append(pending, buf[:n]...)
		if len(pending) > maxRecorded {
			return
		}
		for len(pending) > 0 {
			r, used := parseRequest(pending)
			if r == nil {
				break // the head is not complete yet
			}
			r.Conn = id
			rec.mu.Lock()
			if cur == nil {
				cur = r
				rec.reqs = append(rec.reqs, cur)
			} else {
				*cur = *r
			}
			rec.mu.Unlock()
			if !r.Complete {
				break
			}
			resp := rec.respond(r)
			cur, pending = nil, pending[used:]
			if _, err := c.Write([]byte(resp)); err != nil {
				return
			}
			if strings.HasPrefix(resp, "HTTP/1.1 101 ") {
				tunnel = true
				break
			}
			if len(r.Problems) > 0 && used == 0 {
				return // nothing more can be parsed on this connection
			}
		}
	}
}

// mark returns a position in the list of requests, for since.
func (rec *recorder) mark() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.reqs)
}

// since returns copies of the requests whose head arrived after mark m,
// except the tests' own probes (paths starting with "/__").
func (rec *recorder) since(m int) []seenRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []seenRequest
	for _, r := range rec.reqs[m:] {
		if strings.HasPrefix(r.Target, "/__") {
			continue
		}
		c := *r
		c.Fields = append([][2]string(nil), r.Fields...)
		c.Problems = append([]string(nil), r.Problems...)
		out = append(out, c)
	}
	return out
}

// count returns how many requests after mark m have a target starting
// with prefix.
func (rec *recorder) count(m int, prefix string) int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	n := 0
	for _, r := range rec.reqs[m:] {
		if strings.HasPrefix(r.Target, prefix) {
			n++
		}
	}
	return n
}

// parseRequest parses the request at the start of b, leniently. It
// returns nil while the head is incomplete; then the request, Complete
// once its body is, and the number of bytes it used. A request whose
// framing cannot be followed is returned Complete with Problems and
// used 0.
func parseRequest(b []byte) (*seenRequest, int) {
	r := &seenRequest{}
	var lines []string
	pos := 0
	for {
		i := bytes.IndexByte(b[pos:], '\n')
		if i < 0 {
			return nil, 0
		}
		line := b[pos : pos+i]
		if l := len(line); l > 0 && line[l-1] == '\r' {
			line = line[:l-1]
		} else {
			r.problem("bare LF in the head")
		}
		if bytes.IndexByte(line, '\r') >= 0 {
			r.problem("CR inside a line of the head")
		}
		if bytes.IndexByte(line, 0) >= 0 {
			r.problem("NUL in the head")
		}
		pos += i + 1
		if len(line) == 0 {
			if len(lines) == 0 {
				r.problem("empty line before the request line")
				continue
			}
			break
		}
		lines = append(lines, string(line))
	}
	r.Raw = string(b[:pos])
	r.Line = lines[0]
	parts := strings.Split(r.Line, " ")
	if len(parts) != 3 || !strings.HasPrefix(parts[2], "HTTP/1.") {
		r.problem("request line is not METHOD SP TARGET SP HTTP/1.x")
	}
	r.Method = parts[0]
	if len(parts) > 1 {
		r.Target = parts[1]
	}
	for _, l := range lines[1:] {
		if l[0] == ' ' || l[0] == '\t' {
			r.problem("obsolete line folding")
			if n := len(r.Fields); n > 0 {
				r.Fields[n-1][1] += " " + strings.Trim(l, " \t")
			}
			continue
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			r.problem(fmt.Sprintf("malformed header line %q", l))
		}
		r.Fields = append(r.Fields, [2]string{name, strings.Trim(value, " \t")})
	}

	te, cl := r.values("Transfer-Encoding"), r.values("Content-Length")
	switch {
	case len(te) > 0 && len(cl) > 0:
		r.problem("both Transfer-Encoding and Content-Length")
	case len(te) > 1:
		r.problem("several Transfer-Encoding fields")
	case len(cl) > 1:
		r.problem("several Content-Length fields")
	}
	body := b[pos:]
	switch {
	case len(te) > 0:
		if len(te) != 1 || te[0] != "chunked" {
			r.problem(fmt.Sprintf("Transfer-Encoding %q", te))
		}
		data, used, ok, err := dechunk(body)
		if err != nil {
			r.problem(err.Error())
			r.Body, r.Raw, r.Complete = string(data), string(b), true
			return r, 0
		}
		r.Body, r.Raw, r.Complete = string(data), string(b[:pos+used]), ok
		return r, pos + used
	case len(cl) > 0:
		n, err := strconv.ParseUint(cl[0], 10, 63)
		if err != nil {
			r.problem(fmt.Sprintf("Content-Length %q", cl[0]))
			r.Raw, r.Complete = string(b), true
			return r, 0
		}
		if uint64(len(body)) < n {
			r.Body = string(body)
			return r, 0
		}
		r.Body, r.Raw, r.Complete = string(body[:n]), string(b[:pos+int(n)]), true
		return r, pos + int(n)
	}
	r.Complete = true
	return r, pos
}

// dechunk decodes a chunked body at the start of b: the data so far, the
// bytes used, whether the last chunk and the trailers are in, or an error
// for a chunk it cannot follow.
func dechunk(b []byte) (data []byte, used int, complete bool, err error) {
	pos := 0
	for {
		i := bytes.IndexByte(b[pos:], '\n')
		if i < 0 {
			return data, pos, false, nil
		}
		line := string(b[pos : pos+i])
		if !strings.HasSuffix(line, "\r") {
			return data, pos, false, fmt.Errorf("bare LF after chunk size %q", line)
		}
		sizeText, _, _ := strings.Cut(strings.TrimSuffix(line, "\r"), ";")
		size, perr := strconv.ParseUint(strings.TrimSpace(sizeText), 16, 31)
		if perr != nil {
			return data, pos, false, fmt.Errorf("chunk size %q", sizeText)
		}
		start := pos + i + 1
		if size == 0 {
			// Trailers up to an empty line.
			p := start
			for {
				j := bytes.IndexByte(b[p:], '\n')
				if j < 0 {
					return data, pos, false, nil
				}
				empty := j == 0 || (j == 1 && b[p] == '\r')
				p += j + 1
				if empty {
					return data, p, true, nil
				}
			}
		}
		end := start + int(size)
		if len(b) < end+2 {
			return append(data, b[start:min(end, len(b))]...), pos, false, nil
		}
		if string(b[end:end+2]) != "\r\n" {
			return data, pos, false, fmt.Errorf("chunk of %d bytes not followed by CRLF", size)
		}
		data = append(data, b[start:end]...)
		pos = end + 2
	}
}

func (r *seenRequest) problem(p string) { r.Problems = append(r.Problems, p) }

// values returns the values of the fields named name (any case).
func (r *seenRequest) values(name string) []string {
	var vs []string
	for _, f := range r.Fields {
		if strings.EqualFold(f[0], name) {
			vs = append(vs, f[1])
		}
	}
	return vs
}

// get returns the first value of the fields named name, or "".
func (r *seenRequest) get(name string) string {
	if vs := r.values(name); len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// names returns the field names in order, as received.
func (r *seenRequest) names() []string {
	ns := make([]string, len(r.Fields))
	for i, f := range r.Fields {
		ns[i] = f[0]
	}
	return ns
}

func (r seenRequest) String() string {
	s := fmt.Sprintf("conn %d: %q", r.Conn, r.Raw)
	if !r.Complete {
		s += " (incomplete)"
	}
	if len(r.Problems) > 0 {
		s += fmt.Sprintf(" problems %q", r.Problems)
	}
	return s
}

// answer is how the recorder answers: a 101 to any upgrade (as a server
// that would switch protocols, h2c included, does), fixed responses for
// the paths of the response tests, and otherwise 200 "ok".
func answer(r *seenRequest) string {
	if up := r.get("Upgrade"); up != "" {
		h := "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + up + "\r\n"
		if key := r.get("Sec-WebSocket-Key"); key != "" {
			sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
			h += "Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n"
		}
		return h + "\r\n"
	}
	body := "ok\n"
	if r.Method == "HEAD" {
		body = ""
	}
	extra := ""
	switch r.Target {
	case "/respond/versions":
		extra = "Server: SimpleHTTP/0.6 Python/3.11.7\r\n" +
			"X-Powered-By: PHP/5.6.40\r\n" +
			"X-AspNet-Version: 4.0.30319\r\n" +
			"X-AspNetMvc-Version: 5.2\r\n" +
			"X-Runtime: 0.012\r\n"
	case "/respond/cookie/noval":
		extra = "Set-Cookie: noval\r\n"
	case "/respond/cookie/space":
		extra = "Set-Cookie: sp ace=1\r\n"
	case "/respond/cookie/samesite":
		extra = "Set-Cookie: a=1; SameSite=Weird\r\n"
	}
	return "HTTP/1.1 200 OK\r\n" + extra +
		"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n\r\n" + body
}
