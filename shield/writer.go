package shield

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// writer wraps the handler's ResponseWriter. When the response is
// committed (WriteHeader, the first Write, Flush or ReadFrom) it adds the
// security headers and hardens Set-Cookie. Writers are pooled: a request
// through shield allocates none.
type writer struct {
	rw     http.ResponseWriter
	s      *Shield
	r      *http.Request
	secure bool   // the client connected over HTTPS
	hsts   bool   // send Strict-Transport-Security
	csp    string // per-request CSP (with nonce), or "" for the static one
	nonce  string // the request's CSP nonce, for the learning policy
	done   bool   // headers committed, or the connection hijacked
}

// Header returns the underlying header map.
func (w *writer) Header() http.Header { return w.rw.Header() }

// WriteHeader commits the headers. Informational (1xx) responses other
// than 101 pass through untouched: the final response is still to come.
func (w *writer) WriteHeader(code int) {
	if !w.done && (code < 100 || code > 199 || code == http.StatusSwitchingProtocols) {
		w.commit()
	}
	w.rw.WriteHeader(code)
}

// Write commits the headers before the first byte of body.
func (w *writer) Write(b []byte) (int, error) {
	if !w.done {
		w.commitBody(b)
	}
	return w.rw.Write(b)
}

// Flush commits the headers and flushes, so streaming (SSE) works.
func (w *writer) Flush() {
	if !w.done {
		w.commit()
	}
	if f, ok := w.rw.(http.Flusher); ok {
		f.Flush()
	}
}

// FlushError is the error-returning flush http.ResponseController uses.
func (w *writer) FlushError() error {
	if !w.done {
		w.commit()
	}
	return http.NewResponseController(w.rw).Flush()
}

// Hijack hands the connection to the handler (websockets). Shield adds
// nothing afterwards.
func (w *writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.done = true
	return http.NewResponseController(w.rw).Hijack()
}

// ReadFrom commits the headers and lets the underlying writer use
// sendfile where it can.
func (w *writer) ReadFrom(src io.Reader) (int64, error) {
	if !w.done {
		w.commit()
	}
	if rf, ok := w.rw.(io.ReaderFrom); ok {
		return rf.ReadFrom(src)
	}
	return io.Copy(writerOnly{w.rw}, src)
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (w *writer) Unwrap() http.ResponseWriter { return w.rw }

// writerOnly hides ReadFrom so io.Copy does not recurse.
type writerOnly struct{ io.Writer }

// commit adds the security headers and hardens cookies, once.
func (w *writer) commit() { w.commitBody(nil) }

// commitBody is commit when the first bytes of the body are known, which
// tells an HTML response without a Content-Type (net/http sniffs it).
func (w *writer) commitBody(body []byte) {
	w.done = true
	h := w.rw.Header()
	if !w.s.opts.Responses.KeepVersionHeaders {
		stripVersions(h)
	}
	w.s.headers.apply(h, w.hsts, w.csp)
	if l := w.s.headers.learn; l != nil && isHTML(h, body) && l.sampled() {
		put(h, hdrCSPReportOnly, l.value(w.nonce), w.s.headers.cspConflict)
	}
	if w.s.cookies != nil {
		if lines := h["Set-Cookie"]; len(lines) > 0 {
			w.s.cookies.harden(w, lines)
		}
	}
}
