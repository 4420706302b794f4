// Package events defines the certificate and operational events portcullis
// emits (a certificate obtained, renewed, failing to renew, expiring,
// expired) and the sinks that receive them: the log, a webhook (package
// alert), metrics.
//
// An Event carries no secret: no private key, no credential, no request
// body. Its fields are plain data so that sinks can serialize it as JSON.
package events

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Event types.
const (
	// CertObtained: a certificate was issued for names that had none.
	CertObtained = "cert.obtained"
	// CertRenewed: a certificate was replaced before it expired.
	CertRenewed = "cert.renewed"
	// CertObtainFailed: a first issuance failed (it is retried).
	CertObtainFailed = "cert.obtain_failed"
	// CertRenewalFailed: a renewal attempt failed; the current
	// certificate stays in service and the renewal is retried.
	CertRenewalFailed = "cert.renewal_failed"
	// CertExpiring: a certificate crossed one of the configured
	// thresholds before expiry (Threshold says which).
	CertExpiring = "cert.expiring"
	// CertExpired: a certificate being served has expired.
	CertExpired = "cert.expired"
)

// Severity levels, lowest first.
const (
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityError    = "error"
	SeverityCritical = "critical"
)

// Event is one thing that happened to a certificate (or, later, to the
// server). Fields that do not apply are zero and omitted from JSON.
type Event struct {
	// Type is one of the constants above, e.g. "cert.expiring".
	Type string `json:"type"`
	// Severity is SeverityInfo, SeverityWarning, SeverityError or
	// SeverityCritical.
	Severity string `json:"severity"`
	// Time is when the event happened.
	Time time.Time `json:"time"`
	// Site is the configured site the certificate belongs to.
	Site string `json:"site,omitempty"`
	// Names are the certificate's names (DNS names, then IPs).
	Names []string `json:"names,omitempty"`
	// Source is where the certificate comes from: "acme", "local",
	// "files".
	Source string `json:"source,omitempty"`
	// Issuer names the CA (its common name, or the ACME directory).
	Issuer string `json:"issuer,omitempty"`
	// NotAfter is the certificate's expiry, when known.
	NotAfter time.Time `json:"not_after,omitzero"`
	// Threshold is the expiry threshold crossed (cert.expiring).
	Threshold time.Duration `json:"threshold,omitempty"`
	// Message says what happened, for people.
	Message string `json:"message"`
	// Error is the cause of a failure, when there is one.
	Error string `json:"error,omitempty"`
}

// Key identifies an event for de-duplication: its type, site, names and
// threshold. Two events with the same Key report the same condition.
func (e Event) Key() string {
	k := e.Type + "\x00" + e.Site + "\x00" + e.Threshold.String()
	for _, n := range e.Names {
		k += "\x00" + n
	}
	return k
}

// Level maps the event's severity to a log level.
func (e Event) Level() slog.Level {
	switch e.Severity {
	case SeverityCritical, SeverityError:
		return slog.LevelError
	case SeverityWarning:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// Sink receives events. It must return quickly and be safe for concurrent
// use; slow work (a webhook) belongs on its own goroutine.
type Sink func(Event)

// Log returns a Sink writing each event to l at the event's level.
func Log(l *slog.Logger) Sink {
	return func(e Event) {
		attrs := []slog.Attr{slog.String("event", e.Type)}
		if e.Site != "" {
			attrs = append(attrs, slog.String("site", e.Site))
		}
		if len(e.Names) > 0 {
			attrs = append(attrs, slog.Any("names", e.Names))
		}
		if e.Source != "" {
			attrs = append(attrs, slog.String("source", e.Source))
		}
		if !e.NotAfter.IsZero() {
			attrs = append(attrs, slog.Time("not_after", e.NotAfter))
		}
		if e.Threshold > 0 {
			attrs = append(attrs, slog.Duration("threshold", e.Threshold))
		}
		if e.Error != "" {
			attrs = append(attrs, slog.String("error", e.Error))
		}
		l.LogAttrs(context.Background(), e.Level(), e.Message, attrs...)
	}
}

// Bus fans events out to sinks. The zero value is ready; sinks can be
// added while events flow.
type Bus struct {
	mu    sync.RWMutex
	sinks []Sink
}

// Subscribe adds a sink.
func (b *Bus) Subscribe(s Sink) {
	b.mu.Lock()
	b.sinks = append(b.sinks, s)
	b.mu.Unlock()
}

// Emit delivers e to every sink, in the order they subscribed. A zero
// Time is set to the current time.
func (b *Bus) Emit(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	b.mu.RLock()
	sinks := b.sinks
	b.mu.RUnlock()
	for _, s := range sinks {
		s(e)
	}
}
