// Package proxy is the reverse proxy behind `portcullis serve`: it
// forwards requests that the shield middleware has let through to one
// upstream application (Django, Node, Go…) over HTTP, HTTPS or a Unix
// socket, and provides the access log middleware in front of it.
//
// What the upstream sees:
//
//   - Host is the Host the client sent, so Django's ALLOWED_HOSTS and
//     virtual hosting work unchanged.
//   - X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host, Forwarded
//     (RFC 7239) and X-Real-Ip are set from shield.RequestInfo, replacing
//     whatever the request carried. X-Forwarded-For is the single client
//     address shield established (the chain of trusted proxies in front is
//     dropped), so an upstream configured to trust exactly one proxy hop —
//     portcullis — reads the real client whichever end of the list it
//     takes. Other spoofable headers frameworks read (X-Forwarded-Port,
//     X-Forwarded-Ssl, X-Forwarded-Prefix, True-Client-Ip, …) are removed.
//   - Hop-by-hop headers, including those named by Connection, are removed
//     in both directions; WebSocket and other Upgrade requests are proxied.
//
// Errors never reach the client in detail: an unreachable upstream gets a
// fixed "502 Bad Gateway" page, a timeout "504 Gateway Timeout", a body over
// the limit "413 Request Entity Too Large", a body the client framed wrong
// (bad chunked encoding) "400 Bad Request", logged at Info; the detail (method, host, path,
// upstream, error) goes to Options.Logger, or for 502 and 504 to
// Options.OnUpstreamError when set. A client that goes away before
// the upstream answers gets nothing, and is logged at Debug level only.
//
// Responses are streamed: Server-Sent Events and responses without a
// Content-Length are flushed to the client as each piece arrives. Upstream
// connections are kept alive and reused (256 idle per upstream); an https
// upstream is spoken to over HTTP/2 when it offers it.
package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"sync"
	"time"

	"github.com/portcullis/portcullis/shield"
)

// Defaults applied by New to zero Options fields.
const (
	// DefaultMaxBodyBytes is the request body limit: 10 MiB.
	DefaultMaxBodyBytes = 10 << 20
	// DefaultDialTimeout bounds connecting to the upstream.
	DefaultDialTimeout = 5 * time.Second
	// DefaultResponseHeaderTimeout bounds the wait for response headers.
	DefaultResponseHeaderTimeout = 60 * time.Second
	// DefaultMaxIdleConnsPerHost is how many idle upstream connections
	// are kept.
	DefaultMaxIdleConnsPerHost = 256
)

// Options configures a Proxy. Only Upstream is required.
type Options struct {
	// Upstream is where requests go: "http://127.0.0.1:8000",
	// "https://host:port" or "unix:/path/to.sock". An http(s) address may
	// carry a base path ("http://127.0.0.1:8000/app" sends /x to /app/x);
	// it may not carry credentials, a query or a fragment.
	Upstream string
	// MaxBodyBytes limits request bodies; 0 means DefaultMaxBodyBytes
	// (10 MiB). A request announcing more in Content-Length gets 413
	// without the upstream being contacted; a chunked body crossing the
	// limit is cut off there and gets 413.
	MaxBodyBytes int64
	// DialTimeout bounds connecting to the upstream; 0 means 5s.
	DialTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for the upstream's response
	// headers once the request is sent; 0 means 60s. Exceeding it gives
	// 504. It does not limit streaming a response body.
	ResponseHeaderTimeout time.Duration
	// MaxIdleConnsPerHost is how many idle upstream connections are kept
	// for reuse; 0 means 256 (not net/http's default of 2, which under
	// load opens and closes a connection per request).
	MaxIdleConnsPerHost int
	// Logger receives upstream errors with their detail; nil means
	// slog.Default(). Clients never see the detail.
	Logger *slog.Logger
	// TLSClientConfig configures TLS to an https upstream (roots, client
	// certificate, ServerName); nil means the system roots. It is cloned.
	TLSClientConfig *tls.Config
	// OnUpstreamError, when set, is told of each request the upstream did
	// not answer (the client got 502 or 504) instead of Logger: the
	// caller reports it (portcullis serve emits it as an event). r is the
	// client's request, shield.RequestInfo included; its body is not read.
	// It runs on the request's goroutine and must return quickly.
	OnUpstreamError func(r *http.Request, err *UpstreamError)
}

// UpstreamError is a request the upstream did not answer.
type UpstreamError struct {
	// Upstream is the upstream's address, as Proxy.Upstream spells it.
	Upstream string
	// Status is what the client got: 502 Bad Gateway (unreachable,
	// refused, broke off) or 504 Gateway Timeout.
	Status int
	// Timeout reports that the upstream did not answer in time
	// (connecting, or its response headers).
	Timeout bool
	// Err is the transport's error.
	Err error
}

func (e *UpstreamError) Error() string {
	return fmt.Sprintf("upstream %s: %d %s: %v", e.Upstream, e.Status, http.StatusText(e.Status), e.Err)
}

// Unwrap returns the transport's error.
func (e *UpstreamError) Unwrap() error { return e.Err }

// Proxy forwards requests to one upstream. It is safe for concurrent use.
type Proxy struct {
	rp        httputil.ReverseProxy
	transport *http.Transport
	up        upstream
	maxBody   int64
	log       *slog.Logger
	onError   func(*http.Request, *UpstreamError)
}

// New validates o and builds a Proxy. Errors say what is wrong with which
// option: an upstream that is not an http, https or unix: address (or has
// no host, a bad port, credentials, a query…), or a negative limit.
func New(o Options) (*Proxy, error) {
	up, err := parseUpstream(o.Upstream)
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	switch {
	case o.MaxBodyBytes < 0:
		return nil, fmt.Errorf("proxy: MaxBodyBytes is negative (%d); use 0 for the default of %d", o.MaxBodyBytes, DefaultMaxBodyBytes)
	case o.DialTimeout < 0:
		return nil, fmt.Errorf("proxy: DialTimeout is negative (%v); use 0 for the default of %v", o.DialTimeout, DefaultDialTimeout)
	case o.ResponseHeaderTimeout < 0:
		return nil, fmt.Errorf("proxy: ResponseHeaderTimeout is negative (%v); use 0 for the default of %v", o.ResponseHeaderTimeout, DefaultResponseHeaderTimeout)
	case o.MaxIdleConnsPerHost < 0:
		return nil, fmt.Errorf("proxy: MaxIdleConnsPerHost is negative (%d); use 0 for the default of %d", o.MaxIdleConnsPerHost, DefaultMaxIdleConnsPerHost)
	}
	if o.TLSClientConfig != nil && up.target.Scheme != "https" {
		return nil, fmt.Errorf("proxy: TLSClientConfig is set but upstream %q is not https", up.name)
	}
	p := &Proxy{up: up, maxBody: o.MaxBodyBytes, log: o.Logger, onError: o.OnUpstreamError}
	if p.maxBody == 0 {
		p.maxBody = DefaultMaxBodyBytes
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	p.transport = newTransport(up, o)
	p.rp = httputil.ReverseProxy{
		Rewrite:      p.rewrite,
		Transport:    p.transport,
		ErrorHandler: p.handleError,
		ErrorLog:     slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
		BufferPool:   bufferPool{},
		// 0: a response with a Content-Length is written through
		// net/http's buffer and flushed at the end. Streams (SSE, no
		// Content-Length) are flushed on every write regardless; see
		// BenchmarkFlushInterval for why -1 is not the general setting.
		FlushInterval: 0,
	}
	return p, nil
}

func newTransport(up upstream, o Options) *http.Transport {
	dialTimeout := o.DialTimeout
	if dialTimeout == 0 {
		dialTimeout = DefaultDialTimeout
	}
	headerTimeout := o.ResponseHeaderTimeout
	if headerTimeout == 0 {
		headerTimeout = DefaultResponseHeaderTimeout
	}
	perHost := o.MaxIdleConnsPerHost
	if perHost == 0 {
		perHost = DefaultMaxIdleConnsPerHost
	}
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy:                 nil, // never an HTTP_PROXY from the environment
		DialContext:           d.DialContext,
		MaxIdleConns:          max(1024, perHost),
		MaxIdleConnsPerHost:   perHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: headerTimeout,
		DisableCompression:    true, // bodies pass through as the upstream sent them
		ForceAttemptHTTP2:     up.target.Scheme == "https",
	}
	if up.socket != "" {
		path := up.socket
		t.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		}
	}
	if o.TLSClientConfig != nil {
		t.TLSClientConfig = o.TLSClientConfig.Clone()
	}
	return t
}

// ServeHTTP forwards r to the upstream and copies the response back.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	noteForAccessLog(w, r)
	if r.ContentLength > p.maxBody {
		p.fail(w, r, http.StatusRequestEntityTooLarge, slog.LevelInfo,
			fmt.Errorf("Content-Length %d exceeds the limit of %d bytes", r.ContentLength, p.maxBody))
		return
	}
	// A body of known length cannot exceed it (net/http enforces the
	// length), so only a chunked one needs counting. Reading a body can
	// fail by the client's doing (malformed chunks, a short body): the
	// reader remembers, so that the client is blamed, not the upstream.
	hasBody := r.Body != nil && r.Body != http.NoBody
	if hasBody || len(r.Header["Upgrade"]) > 0 {
		ex := &exchange{ResponseWriter: w}
		if hasBody {
			ex.body.ReadCloser = r.Body
			if r.ContentLength < 0 {
				ex.body.ReadCloser = http.MaxBytesReader(w, r.Body, p.maxBody)
			}
			r.Body = &ex.body
		}
		w = ex
	}
	p.rp.ServeHTTP(w, r)
}

// Close closes idle upstream connections. The Proxy stays usable.
func (p *Proxy) Close() { p.transport.CloseIdleConnections() }

// Upstream returns the upstream address in canonical form, as it appears
// in logs.
func (p *Proxy) Upstream() string { return p.up.name }

func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(p.up.target)
	pr.Out.Host = pr.In.Host
	setForwarding(pr.Out.Header, shield.RequestInfo(pr.In))
}

// handleError answers a request the upstream did not answer.
func (p *Proxy) handleError(w http.ResponseWriter, r *http.Request, err error) {
	ex, _ := w.(*exchange)
	if ex != nil && ex.hijacked {
		// The connection was already handed over after a 101: nothing
		// more can be said on it.
		p.logError(r, slog.LevelWarn, 0, err)
		return
	}
	var tooLarge *http.MaxBytesError
	var ne net.Error
	var bodyErr error
	if ex != nil {
		bodyErr = ex.body.err
	}
	switch {
	case errors.As(err, &tooLarge) || errors.As(bodyErr, &tooLarge):
		p.fail(w, r, http.StatusRequestEntityTooLarge, slog.LevelInfo,
			fmt.Errorf("body of unannounced length exceeds the limit of %d bytes", tooLarge.Limit))
	case bodyErr != nil && r.Context().Err() == nil:
		// The client sent a body net/http could not read: malformed
		// chunked encoding, a chunk size that overflows, a body shorter
		// than its Content-Length. Its fault, not the upstream's.
		p.fail(w, r, http.StatusBadRequest, slog.LevelInfo, fmt.Errorf("reading the request body: %w", bodyErr))
	case errors.Is(r.Context().Err(), context.Canceled):
		// The client went away: nobody to answer.
		p.logError(r, slog.LevelDebug, 0, err)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		p.upstreamFailed(w, r, &UpstreamError{Upstream: p.up.name, Status: http.StatusGatewayTimeout, Timeout: true, Err: err})
	default:
		p.upstreamFailed(w, r, &UpstreamError{Upstream: p.up.name, Status: http.StatusBadGateway, Err: err})
	}
}

// upstreamFailed reports a request the upstream did not answer, to
// OnUpstreamError or else the log, and answers it.
func (p *Proxy) upstreamFailed(w http.ResponseWriter, r *http.Request, e *UpstreamError) {
	if p.onError == nil {
		p.fail(w, r, e.Status, slog.LevelError, e.Err)
		return
	}
	p.onError(r, e)
	p.respond(w, r, e.Status)
}

// fail logs err and sends a fixed page for code, echoing nothing.
func (p *Proxy) fail(w http.ResponseWriter, r *http.Request, code int, level slog.Level, err error) {
	p.logError(r, level, code, err)
	p.respond(w, r, code)
}

// respond sends the fixed page for code.
func (p *Proxy) respond(w http.ResponseWriter, r *http.Request, code int) {
	body := errorPages[code]
	h := w.Header()
	h["Content-Type"] = []string{"text/plain; charset=utf-8"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	h["Cache-Control"] = []string{"no-store"}
	h["X-Content-Type-Options"] = []string{"nosniff"}
	if code == http.StatusRequestEntityTooLarge || code == http.StatusBadRequest {
		// The rest of the body is not read: do not reuse the connection.
		h["Connection"] = []string{"close"}
	}
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		w.Write([]byte(body))
	}
}

var errorPages = map[int]string{
	http.StatusBadRequest:            "400 Bad Request\n",
	http.StatusBadGateway:            "502 Bad Gateway\n",
	http.StatusGatewayTimeout:        "504 Gateway Timeout\n",
	http.StatusRequestEntityTooLarge: "413 Request Entity Too Large\n",
}

func (p *Proxy) logError(r *http.Request, level slog.Level, code int, err error) {
	msg := "upstream request failed"
	switch {
	case code == http.StatusRequestEntityTooLarge:
		msg = "request body too large"
	case code == http.StatusBadRequest:
		msg = "client sent a malformed request body"
	case level == slog.LevelDebug:
		msg = "client went away before the upstream answered"
	case code == 0:
		msg = "upgraded connection failed"
	}
	p.log.LogAttrs(r.Context(), level, msg,
		slog.String("method", r.Method),
		slog.String("host", r.Host),
		slog.String("path", r.URL.Path),
		slog.String("upstream", p.up.name),
		slog.Int("status", code),
		slog.String("error", err.Error()),
	)
}

// clientBody remembers the error, other than io.EOF, that reading the
// client's request body met.
type clientBody struct {
	io.ReadCloser
	err error
}

func (b *clientBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

// exchange wraps the writer of a request with a body or an Upgrade, so
// that the error handler (which ReverseProxy gives a clone of the request,
// its body wrapped) knows whether reading the client's body failed and
// whether the connection was hijacked after a 101, in which case nothing
// more can be said on it. One allocation holds both.
type exchange struct {
	http.ResponseWriter
	body     clientBody
	hijacked bool
}

// Hijack hands over the connection and remembers that it did.
func (u *exchange) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(u.ResponseWriter).Hijack()
	if err == nil {
		u.hijacked = true
	}
	return c, brw, err
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (u *exchange) Unwrap() http.ResponseWriter { return u.ResponseWriter }

// bufferPool recycles ReverseProxy's 32 KiB copy buffers, which it would
// otherwise allocate per request. Arrays are pooled by pointer so that Put
// does not allocate.
type bufferPool struct{}

const bufSize = 32 << 10

var buffers = sync.Pool{New: func() any { return new([bufSize]byte) }}

func (bufferPool) Get() []byte { return buffers.Get().(*[bufSize]byte)[:] }

func (bufferPool) Put(b []byte) {
	if cap(b) == bufSize {
		buffers.Put((*[bufSize]byte)(b[:bufSize]))
	}
}
