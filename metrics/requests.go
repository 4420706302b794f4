package metrics

import (
	"bufio"
	"io"
	"maps"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Site counts the requests of one site. Make one per site and
// configuration generation with Metrics.Site; sites of the same name
// share their series.
type Site struct {
	m       *Metrics
	name    string
	methods []string // the method label values; any other is "other"
	seconds prometheus.Observer

	// codes maps method index << 16 | status to the request counter. It
	// is replaced, never changed, so the request path reads it without a
	// lock; a pair seen for the first time takes mu.
	codes atomic.Pointer[map[uint32]prometheus.Counter]
	mu    sync.Mutex
}

// Site returns the request metrics of the site name ("" for requests no
// site serves) whose allowed methods are methods: a request with any other
// method is counted as "other".
func (m *Metrics) Site(name string, methods []string) *Site {
	s := &Site{m: m, name: m.site(name), methods: methods, seconds: m.duration.WithLabelValues(name)}
	s.codes.Store(&map[uint32]prometheus.Counter{})
	return s
}

// Wrap returns next, counted: each request in portcullis_http_requests_total
// when next returns (or panics, as ReverseProxy does to abort a response),
// and its duration in portcullis_http_request_duration_seconds unless the
// connection was upgraded (a WebSocket lives as long as it likes).
//
// The status is what next sent; 499 when the client went away before
// anything was sent, 101 for a hijacked connection, 200 for a handler that
// wrote nothing — the access log's rules. The writer handed to next keeps
// http.Flusher, http.Hijacker, io.ReaderFrom and Unwrap, and is pooled.
func (s *Site) Wrap(next http.Handler) http.Handler { return &counted{s, next} }

type counted struct {
	s    *Site
	next http.Handler
}

var recorders = sync.Pool{New: func() any { return new(recorder) }}

func (c *counted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := recorders.Get().(*recorder)
	*rec = recorder{rw: w}
	returned := false
	defer func() {
		status := rec.status
		switch {
		case status != 0:
		case rec.hijacked:
			status = http.StatusSwitchingProtocols
		case r.Context().Err() != nil:
			status = 499
		default:
			status = http.StatusOK
		}
		c.s.count(r.Method, status)
		if status != http.StatusSwitchingProtocols {
			c.s.seconds.Observe(time.Since(start).Seconds())
		}
		if returned { // after a panic, someone may still hold rec
			*rec = recorder{}
			recorders.Put(rec)
		}
	}()
	c.next.ServeHTTP(rec, r)
	returned = true
}

// count adds one request to its counter.
func (s *Site) count(method string, status int) {
	mi := len(s.methods)
	for i, m := range s.methods {
		if m == method {
			mi = i
			break
		}
	}
	k := uint32(mi)<<16 | uint32(status)&0xffff
	if c, ok := (*s.codes.Load())[k]; ok {
		c.Inc()
		return
	}
	s.first(k, mi, status).Inc()
}

// first resolves the counter of a method and status seen for the first
// time by this Site, and publishes a new map holding it.
func (s *Site) first(k uint32, mi, status int) prometheus.Counter {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := *s.codes.Load()
	if c, ok := cur[k]; ok {
		return c
	}
	method := "other"
	if mi < len(s.methods) {
		method = s.methods[mi]
	}
	c := s.m.requests.WithLabelValues(s.name, strconv.Itoa(status), method)
	next := maps.Clone(cur)
	next[k] = c
	s.codes.Store(&next)
	return c
}

// recorder records the status of a response.
type recorder struct {
	rw       http.ResponseWriter
	status   int // final status sent, 0 until then
	hijacked bool
}

// Header returns the underlying header map.
func (w *recorder) Header() http.Header { return w.rw.Header() }

// WriteHeader records the final status; informational responses other
// than 101 are passed on without being recorded.
func (w *recorder) WriteHeader(code int) {
	if w.status == 0 && (code < 100 || code > 199 || code == http.StatusSwitchingProtocols) {
		w.status = code
	}
	w.rw.WriteHeader(code)
}

// Write writes to the underlying writer.
func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.rw.Write(b)
}

// WriteString is Write without converting s to a byte slice, when the
// underlying writer can do the same.
func (w *recorder) WriteString(s string) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if sw, ok := w.rw.(io.StringWriter); ok {
		return sw.WriteString(s)
	}
	return w.rw.Write([]byte(s))
}

// Flush flushes the underlying writer, if it can.
func (w *recorder) Flush() { _ = w.FlushError() }

// FlushError flushes the underlying writer; http.ResponseController uses it.
func (w *recorder) FlushError() error {
	err := http.NewResponseController(w.rw).Flush()
	if err == nil && w.status == 0 {
		w.status = http.StatusOK
	}
	return err
}

// Hijack hands the connection over (WebSockets).
func (w *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.rw).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return c, brw, err
}

// ReadFrom lets the underlying writer use sendfile where it can.
func (w *recorder) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if rf, ok := w.rw.(io.ReaderFrom); ok {
		return rf.ReadFrom(src)
	}
	return io.Copy(writerOnly{w.rw}, src)
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (w *recorder) Unwrap() http.ResponseWriter { return w.rw }

// writerOnly hides ReadFrom so io.Copy does not recurse.
type writerOnly struct{ io.Writer }
