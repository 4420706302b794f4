package server

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/proxy"
	"github.com/portcullis/portcullis/shield"
)

// This file turns what the server's parts see into events on the one bus:
// shield's refusals, upstream failures, requests for hosts no site
// serves, reloads and backups (TLS refusals: handshakes.go).

// shieldSeverity ranks shield's events. Low: what scanners and stray
// clients cause all day, refused at the edge before the application saw
// anything, or an application bug shield has mostly repaired. Medium:
// a browser was made to send a cross-origin request the site refuses — a
// CSRF or CORS probe, or a front-end on an origin the policy forgot —
// which someone should look at.
var shieldSeverity = map[string]events.Severity{
	shield.EventHostRejected:       events.Low,
	shield.EventMalformed:          events.Low,
	shield.EventCrossOriginBlocked: events.Medium,
	shield.EventCORSRejected:       events.Medium,
	shield.EventCookieViolation:    events.Low,
	shield.EventMethodRefused:      events.Low,
	shield.EventUpgradeRefused:     events.Low,
}

// requestPath reports whether events of type t come from the request path,
// at the rate clients send requests (and reports).
func requestPath(t string) bool {
	_, shieldKind := shieldSeverity[t]
	switch t {
	case events.UpstreamFailed, events.UpstreamTimeout, events.TLSRefused, events.ReportReceived, events.ReportRefused:
		return true
	}
	return shieldKind
}

// Request-path events reach the log at most logBurst at once and then
// one every logPer/logBurst, per type and site; the metrics count them
// all, and the drops are portcullis_events_dropped_total{stage="log.ratelimit"}.
const (
	logBurst = 6
	logPer   = time.Minute
)

// logSink is the bus's log: every event at its severity's level, except
// that request-path events are rate-limited and TLS refusals are left
// out (net/http logs failed handshakes at Debug, as it always did: a
// scanner's probes are not worth a line each).
func logSink(l *slog.Logger, dropped *events.Counter) events.Sink {
	log := events.Log(l)
	limited := events.RateLimit(logBurst, logPer, func(e events.Event) string { return e.Type + "\x00" + e.Site }, nil, dropped, log)
	return func(e events.Event) {
		switch {
		case e.Type == events.TLSRefused:
		case requestPath(e.Type):
			limited(e)
		default:
			log(e)
		}
	}
}

// shieldEvents returns the OnEvent of site's shield: its events, on the
// bus.
func (s *Server) shieldEvents(site string) func(shield.Event) {
	return func(e shield.Event) {
		sev, ok := shieldSeverity[e.Kind]
		if !ok {
			sev = events.Low
		}
		s.bus.Emit(events.Event{
			Type: e.Kind, Severity: sev, Site: site, Rule: e.Rule, Message: e.Detail,
			Method: e.Method, Host: e.Host, Path: e.Path, Client: hostOf(e.RemoteAddr),
		})
	}
}

// upstreamEvents returns the OnUpstreamError of site's proxy: what the
// proxy logged before, as an event. The request's body is never part of
// it.
func (s *Server) upstreamEvents(site string) func(*http.Request, *proxy.UpstreamError) {
	return func(r *http.Request, err *proxy.UpstreamError) {
		e := events.Event{
			Type: events.UpstreamFailed, Severity: events.Medium, Site: site,
			Method: clipField(r.Method), Host: clipField(r.Host), Path: clipField(r.URL.Path),
			Message: fmt.Sprintf("upstream request failed: %s did not answer, the client got %d", err.Upstream, err.Status),
			Error:   err.Err.Error(),
		}
		if ip := shield.RequestInfo(r).ClientIP; ip.IsValid() {
			e.Client = ip.String()
		}
		if err.Timeout {
			e.Type = events.UpstreamTimeout
			e.Message = fmt.Sprintf("upstream request timed out: %s did not answer in time, the client got %d", err.Upstream, err.Status)
		}
		s.bus.Emit(e)
	}
}

// refuseHost answers a request for a Host no site serves: 400 with a
// fixed page, and a host.rejected event of no site.
func (s *Server) refuseHost(w http.ResponseWriter, r *http.Request) {
	s.bus.Emit(events.Event{
		Type: events.HostRejected, Severity: shieldSeverity[events.HostRejected],
		Message: "no site serves this Host", Rule: "host.unrestricted",
		Method: clipField(r.Method), Host: clipField(r.Host), Path: clipField(r.URL.Path), Client: hostOf(r.RemoteAddr),
	})
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadRequest)
	io.WriteString(w, "400 Bad Request: host not served here\n")
}

// reloaded emits the outcome of a reload.
func (s *Server) reloaded(sites int, err error) {
	if err != nil {
		s.bus.Emit(events.Event{Type: events.ConfigReloadFailed, Severity: events.High,
			Message: "reload failed; the running configuration stays in service", Error: err.Error()})
		return
	}
	s.bus.Emit(events.Event{Type: events.ConfigReloaded, Severity: events.Info,
		Message: fmt.Sprintf("configuration reloaded: %d site(s)", sites)})
}

// backedUp emits the outcome of a scheduled backup.
func (s *Server) backedUp(path string, err error) {
	switch {
	case err != nil && path == "":
		s.bus.Emit(events.Event{Type: events.BackupFailed, Severity: events.High,
			Message: "scheduled backup failed", Error: err.Error()})
	case err != nil:
		s.bus.Emit(events.Event{Type: events.BackupFailed, Severity: events.Medium,
			Message: "backup written to " + path + ", but removing old backups failed", Error: err.Error()})
	default:
		s.bus.Emit(events.Event{Type: events.BackupDone, Severity: events.Info, Message: "backup written to " + path})
	}
}

// hostOf is an address without its port.
func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return clipField(addr)
}

// clipField shortens what a client sent to the 200 bytes events carry.
func clipField(s string) string {
	const limit = 200
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}
