package proxy

import (
	"bufio"
	"crypto/tls"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/portcullis/portcullis/shield"
)

// AccessLogOptions configures AccessLog.
type AccessLogOptions struct {
	// Format is "json" (the default; also used for "" and any other
	// value — validate the format where it is configured) or "common",
	// the Apache Common Log Format.
	//
	// JSON lines carry time (when the request arrived), method, host,
	// path, proto, status, bytes, duration_ms, client, user_agent and,
	// over TLS, tls (the version).
	Format string
	// Out receives one line per request; nil means os.Stderr. Writes are
	// serialized; each line is one Write call. When Out has a Flush
	// method (a LogBuffer), it is called whenever the last request in
	// flight has been logged, so that a buffer holds lines only while
	// requests overlap: under load many lines go out in one write, and
	// a lone request's line is written as it is logged.
	Out io.Writer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// IncludeQuery logs the query string too. It is off by default
	// because queries carry secrets (password reset tokens, API keys,
	// OAuth codes) that do not belong in logs.
	IncludeQuery bool
}

// AccessLog returns next wrapped in an access log: one line per request,
// written when next returns (or panics, as ReverseProxy does to abort a
// response).
//
// The status is what next sent; a request whose client went away before
// anything was sent is logged with 499, a hijacked connection (WebSocket)
// with 101 and 0 bytes. bytes counts the response body as written.
//
// client and host are what shield established (shield.RequestInfo): when a
// Proxy runs inside AccessLog — through writers that implement Unwrap, as
// shield's does — it reports them back, so a request that came through a
// trusted proxy logs the real client. Otherwise (a request shield refused)
// they are the connection's peer and Host.
//
// The writer handed to next keeps http.Flusher, http.Hijacker,
// io.ReaderFrom and Unwrap (for http.ResponseController), so streaming,
// WebSockets and sendfile work through it. Writers are pooled.
func AccessLog(next http.Handler, o AccessLogOptions) http.Handler {
	a := &accessLog{next: next, now: o.Now, out: o.Out, query: o.IncludeQuery}
	if a.now == nil {
		a.now = time.Now
	}
	if a.out == nil {
		a.out = os.Stderr
	}
	a.common = o.Format == "common"
	a.flusher, _ = a.out.(interface{ Flush() error })
	return a
}

type accessLog struct {
	next     http.Handler
	now      func() time.Time
	out      io.Writer
	flusher  interface{ Flush() error } // out, when it buffers
	inflight atomic.Int64               // requests being served
	query    bool
	common   bool       // Common Log Format instead of JSON
	mu       sync.Mutex // serializes line writes
}

var logWriters = sync.Pool{New: func() any { return new(logWriter) }}

func (a *accessLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := a.now()
	a.inflight.Add(1)
	lw := logWriters.Get().(*logWriter)
	*lw = logWriter{rw: w}
	returned := false
	defer func() {
		a.record(r, lw, start)
		if a.inflight.Add(-1) == 0 && a.flusher != nil {
			_ = a.flusher.Flush()
		}
		if returned { // after a panic, someone may still hold lw
			*lw = logWriter{}
			logWriters.Put(lw)
		}
	}()
	a.next.ServeHTTP(lw, r)
	returned = true
}

// record writes the line for r.
func (a *accessLog) record(r *http.Request, lw *logWriter, start time.Time) {
	d := a.now().Sub(start)
	info := lw.info
	if !lw.noted {
		info = shield.RequestInfo(r)
	}
	status := lw.status
	switch {
	case status != 0:
	case lw.hijacked:
		status = http.StatusSwitchingProtocols
	case r.Context().Err() != nil:
		status = 499 // nginx's "client closed request"
	default:
		status = http.StatusOK // what net/http sends for a silent handler
	}
	if a.common {
		a.writeCommon(r, info, status, lw.bytes, start)
	} else {
		a.writeJSON(r, info, status, lw.bytes, start, d)
	}
}

// lineBufs holds the buffers log lines are built in.
var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// writeJSON writes one JSON object per line. It appends into a pooled
// buffer rather than going through log/slog: the access log runs on every
// request, and this is several times cheaper than building a slog.Record.
func (a *accessLog) writeJSON(r *http.Request, info shield.Info, status int, bytes int64, start time.Time, d time.Duration) {
	bp := lineBufs.Get().(*[]byte)
	b := append((*bp)[:0], `{"time":"`...)
	b = start.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","method":`...)
	b = appendJSONString(b, r.Method)
	b = append(b, `,"host":`...)
	b = appendJSONString(b, info.Host)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, r.URL.EscapedPath())
	if a.query && r.URL.RawQuery != "" {
		b = append(b, `,"query":`...)
		b = appendJSONString(b, r.URL.RawQuery)
	}
	b = append(b, `,"proto":`...)
	b = appendJSONString(b, r.Proto)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, bytes, 10)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, math.Round(float64(d)/1e3)/1e3, 'f', -1, 64)
	if info.ClientIP.IsValid() {
		b = append(b, `,"client":"`...)
		b = info.ClientIP.AppendTo(b)
		b = append(b, '"')
	}
	if r.TLS != nil {
		b = append(b, `,"tls":`...)
		b = appendJSONString(b, tls.VersionName(r.TLS.Version))
	}
	b = append(b, `,"user_agent":`...)
	b = appendJSONString(b, r.UserAgent())
	b = append(b, "}\n"...)
	a.mu.Lock()
	_, _ = a.out.Write(b)
	a.mu.Unlock()
	if cap(b) <= 64<<10 {
		*bp = b
		lineBufs.Put(bp)
	}
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD, so that a
// request can neither break the object nor forge a line.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// writeCommon writes a Common Log Format line:
// client - - [10/Oct/2000:13:55:36 -0700] "GET /path HTTP/1.1" 200 2326
func (a *accessLog) writeCommon(r *http.Request, info shield.Info, status int, bytes int64, start time.Time) {
	bp := lineBufs.Get().(*[]byte)
	b := (*bp)[:0]
	if info.ClientIP.IsValid() {
		b = info.ClientIP.AppendTo(b)
	} else {
		b = append(b, '-')
	}
	b = append(b, " - - ["...)
	b = start.AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
	b = append(b, `] "`...)
	b = appendEscaped(b, r.Method)
	b = append(b, ' ')
	b = appendEscaped(b, r.URL.EscapedPath())
	if a.query && r.URL.RawQuery != "" {
		b = append(b, '?')
		b = appendEscaped(b, r.URL.RawQuery)
	}
	b = append(b, ' ')
	b = appendEscaped(b, r.Proto)
	b = append(b, `" `...)
	b = strconv.AppendInt(b, int64(status), 10)
	if bytes > 0 {
		b = append(b, ' ')
		b = strconv.AppendInt(b, bytes, 10)
	} else {
		b = append(b, " -"...)
	}
	b = append(b, '\n')
	a.mu.Lock()
	_, _ = a.out.Write(b)
	a.mu.Unlock()
	if cap(b) <= 64<<10 {
		*bp = b
		lineBufs.Put(bp)
	}
}

const hexDigits = "0123456789abcdef"

// appendEscaped appends s for a quoted log field: '"' and '\' are
// backslash-escaped, control and non-ASCII bytes written as \xHH (as
// Apache does), so a request can neither end the field nor forge a line.
func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20 || c >= 0x7f:
			dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// logWriter records the status and body size of a response.
type logWriter struct {
	rw       http.ResponseWriter
	status   int   // final status sent, 0 until then
	bytes    int64 // body bytes written
	hijacked bool
	info     shield.Info // set by a Proxy inside, when noted
	noted    bool
}

// Header returns the underlying header map.
func (w *logWriter) Header() http.Header { return w.rw.Header() }

// WriteHeader records the final status; informational responses other
// than 101 are passed on without being recorded.
func (w *logWriter) WriteHeader(code int) {
	if w.status == 0 && (code < 100 || code > 199 || code == http.StatusSwitchingProtocols) {
		w.status = code
	}
	w.rw.WriteHeader(code)
}

// Write counts the body bytes written.
func (w *logWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.rw.Write(b)
	w.bytes += int64(n)
	return n, err
}

// WriteString is Write without converting s to a byte slice, when the
// underlying writer can do the same.
func (w *logWriter) WriteString(s string) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	var n int
	var err error
	if sw, ok := w.rw.(io.StringWriter); ok {
		n, err = sw.WriteString(s)
	} else {
		n, err = w.rw.Write([]byte(s))
	}
	w.bytes += int64(n)
	return n, err
}

// Flush flushes the underlying writer, if it can.
func (w *logWriter) Flush() { _ = w.FlushError() }

// FlushError flushes the underlying writer; http.ResponseController uses it.
func (w *logWriter) FlushError() error {
	err := http.NewResponseController(w.rw).Flush()
	if err == nil && w.status == 0 {
		w.status = http.StatusOK
	}
	return err
}

// Hijack hands the connection over (WebSockets).
func (w *logWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.rw).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return c, brw, err
}

// ReadFrom counts what it copies and lets the underlying writer use
// sendfile where it can.
func (w *logWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	var n int64
	var err error
	if rf, ok := w.rw.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(writerOnly{w.rw}, src)
	}
	w.bytes += n
	return n, err
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (w *logWriter) Unwrap() http.ResponseWriter { return w.rw }

// writerOnly hides ReadFrom so io.Copy does not recurse.
type writerOnly struct{ io.Writer }

// noteForAccessLog finds the access log's writer under w, if any, and
// tells it what shield established about r.
func noteForAccessLog(w http.ResponseWriter, r *http.Request) {
	for range 8 { // bounded: a writer could unwrap to itself
		switch x := w.(type) {
		case *logWriter:
			x.info, x.noted = shield.RequestInfo(r), true
			return
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return
		}
	}
}
