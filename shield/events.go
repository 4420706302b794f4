package shield

import (
	"context"
	"log/slog"
	"net/http"
)

// Event is a security-relevant thing shield did or saw: a request it
// refused, or a response it could not fully harden. Events never carry
// cookie values, credentials or request bodies.
type Event struct {
	// Kind is a stable name: "host.rejected", "request.malformed",
	// "crossorigin.blocked", "cors.rejected", "cookie.violation",
	// "method.refused", "upgrade.refused".
	Kind string
	// Rule is the catalog rule the event relates to, if any.
	Rule string
	// Detail says what happened, for people.
	Detail string
	// Method, Host, Path and RemoteAddr describe the request, truncated
	// to 200 bytes. They are attacker input: the default logger goes
	// through log/slog, whose handlers escape them, and any other sink
	// must escape them too.
	Method, Host, Path, RemoteAddr string
}

const (
	// EventHostRejected: the Host header named no allowed host.
	EventHostRejected = "host.rejected"
	// EventMalformed: the Host header (or another request part shield
	// parses) was malformed.
	EventMalformed = "request.malformed"
	// EventCrossOriginBlocked: a cross-origin unsafe request was refused.
	EventCrossOriginBlocked = "crossorigin.blocked"
	// EventCORSRejected: a CORS preflight from a disallowed origin,
	// method or header was refused.
	EventCORSRejected = "cors.rejected"
	// EventCookieViolation: the handler set a cookie with a problem: one
	// shield cannot fix by adding attributes (a __Host- cookie with a
	// Domain, SameSite=None over plain HTTP, a line browsers ignore), or
	// one it fixed but the application should not have (an invalid
	// SameSite value, a nameless cookie). The detail names each problem.
	EventCookieViolation = "cookie.violation"
	// EventMethodRefused: the request method is not allowed (TRACE,
	// CONNECT…); the client got 405.
	EventMethodRefused = "method.refused"
	// EventUpgradeRefused: the request asked to upgrade to a protocol
	// that is not allowed; the client got 400.
	EventUpgradeRefused = "upgrade.refused"
)

func (s *Shield) emit(r *http.Request, kind, rule, detail string) {
	e := Event{
		Kind: kind, Rule: rule, Detail: detail,
		Method: clip(r.Method), Host: clip(r.Host), Path: clip(r.URL.Path), RemoteAddr: r.RemoteAddr,
	}
	s.onEvent(e)
}

func clip(s string) string {
	const max = 200
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

func logEvent(l *slog.Logger) func(Event) {
	return func(e Event) {
		l.LogAttrs(context.Background(), slog.LevelWarn, "shield: "+e.Kind,
			slog.String("rule", e.Rule),
			slog.String("detail", e.Detail),
			slog.String("method", e.Method),
			slog.String("host", e.Host),
			slog.String("path", e.Path),
			slog.String("remote", e.RemoteAddr),
		)
	}
}
