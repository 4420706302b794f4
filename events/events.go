// Package events is portcullis's one stream of security and operations
// events: what shield refused (hosts, cross-origin requests, CORS,
// methods, upgrades, cookie problems), what the proxy could not do
// (upstream failures and timeouts), refused TLS handshakes, certificates
// (obtained, renewed, failing, expiring, expired), operations (reloads,
// backups), the server's audits of its own sites, and reports browsers
// sent (CSP and other Reporting API violations). Every source emits an Event into a Bus; sinks (the log,
// metrics, the webhook of package alert, the store) subscribe to it, each
// behind the decorators it needs (MinSeverity, Filter, Dedup, RateLimit).
//
// An Event carries no secret: no private key, no credential, no cookie
// value, no request body. Its fields are plain data so that sinks can
// serialize it as JSON.
package events

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/portcullis/portcullis/rules"
)

// Severity is the rule catalog's ordered scale, shared by findings and
// events: Info < Low < Medium < High < Critical. It marshals as its name.
type Severity = rules.Severity

// The severities, lowest first.
const (
	Info     = rules.Info
	Low      = rules.Low
	Medium   = rules.Medium
	High     = rules.High
	Critical = rules.Critical
)

// ParseSeverity parses a severity name ("info", "low", "medium", "high",
// "critical", in any case), also accepting the names of portcullis 0.x's
// four-level scale: "warning" (medium) and "error" (high).
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(s) {
	case "warning":
		return Medium, nil
	case "error":
		return High, nil
	}
	return rules.ParseSeverity(s)
}

// Event types: certificates.
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

// Event types: requests shield refused or could not fully harden. They
// carry the request's Method, Host, Path and Client.
const (
	// HostRejected: the Host header named no served host.
	HostRejected = "host.rejected"
	// RequestMalformed: the Host (or another part shield parses) was
	// malformed.
	RequestMalformed = "request.malformed"
	// CrossOriginBlocked: a cross-origin unsafe request was refused.
	CrossOriginBlocked = "crossorigin.blocked"
	// CORSRejected: a CORS preflight was refused.
	CORSRejected = "cors.rejected"
	// CookieViolation: a response set a cookie with a problem.
	CookieViolation = "cookie.violation"
	// MethodRefused: the request method is not allowed.
	MethodRefused = "method.refused"
	// UpgradeRefused: the request asked for a protocol not allowed.
	UpgradeRefused = "upgrade.refused"
)

// Event types: the proxy and TLS.
const (
	// UpstreamFailed: the upstream could not be reached or broke off.
	UpstreamFailed = "upstream.failed"
	// UpstreamTimeout: the upstream did not answer in time.
	UpstreamTimeout = "upstream.timeout"
	// TLSRefused: a TLS handshake was refused; Reason says why
	// ("protocol", "cipher", "unknown-sni", …).
	TLSRefused = "tls.refused"
)

// Event types: operations.
const (
	// ConfigReloaded: a new configuration is in service.
	ConfigReloaded = "config.reloaded"
	// ConfigReloadFailed: a reload was refused; the old configuration
	// stays in service.
	ConfigReloadFailed = "config.reload_failed"
	// BackupDone: a scheduled backup was written.
	BackupDone = "backup.done"
	// BackupFailed: a scheduled backup failed.
	BackupFailed = "backup.failed"
)

// Event types: cluster mode ([cluster], package cluster), where several
// instances share state through Redis.
const (
	// ClusterUnavailable: this instance cannot reach the cluster's Redis
	// (Error says why); it keeps serving with what it holds (certificates
	// in memory and in the data directory, session ticket keys), orders
	// no certificate, and retries with backoff.
	ClusterUnavailable = "cluster.unavailable"
	// ClusterRecovered: Redis answers again (Message says for how long
	// it did not, and what was published back to it).
	ClusterRecovered = "cluster.recovered"
)

// Event types: reports browsers sent.
const (
	// ReportReceived: a CSP violation or another Reporting API report
	// arrived (Reason is its type, e.g. "csp-violation"; Rule the
	// violated directive).
	ReportReceived = "report.received"
	// ReportRefused: a report body was refused (oversize, malformed,
	// rate-limited); nothing was stored.
	ReportRefused = "report.refused"
)

// Event types: the server's audits of its own sites (package selfaudit),
// through its own listeners, as a visitor gets them.
const (
	// AuditCompleted: a site was audited (Reason is the grade's letter,
	// "" when nothing could be audited; Error the probes that failed).
	AuditCompleted = "audit.completed"
	// AuditGradeDropped: a site's grade is worse than at its previous
	// audit (Reason "A+ → B"; the message gives both grades and scores).
	AuditGradeDropped = "audit.grade_dropped"
	// AuditFindingNew: an audit found what the site's previous audit did
	// not, at or above [audit] alert_on: the finding's rule (Rule) and
	// severity.
	AuditFindingNew = "audit.finding_new"
)

// AlertFired is the event an alert rule raises when its threshold is
// crossed (package alert): Rule names the rule, Message gives the count,
// Client or Site the group counted. Rules send it to their own sink,
// never onto a Bus, so it is not among Types.
const AlertFired = "alert.fired"

// types are the event types sources emit onto a Bus, sorted.
var types = []string{
	AuditCompleted, AuditFindingNew, AuditGradeDropped,
	BackupDone, BackupFailed,
	CertExpired, CertExpiring, CertObtainFailed, CertObtained, CertRenewalFailed, CertRenewed,
	ClusterRecovered, ClusterUnavailable,
	ConfigReloadFailed, ConfigReloaded,
	CookieViolation, CORSRejected, CrossOriginBlocked,
	HostRejected, MethodRefused,
	ReportReceived, ReportRefused,
	RequestMalformed, TLSRefused, UpgradeRefused,
	UpstreamFailed, UpstreamTimeout,
}

// Types returns every event type sources emit, sorted: what alert rules
// may count.
func Types() []string { return slices.Clone(types) }

// MatchTypes returns the types of Types a pattern names: the type itself,
// or for "prefix.*" every type beginning with "prefix." ("cert.*": every
// certificate event). It returns nil when the pattern names none.
func MatchTypes(pattern string) []string {
	var out []string
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok && strings.HasSuffix(prefix, ".") && len(prefix) > 1 {
		for _, t := range types {
			if strings.HasPrefix(t, prefix) {
				out = append(out, t)
			}
		}
		return out
	}
	if slices.Contains(types, pattern) {
		out = append(out, pattern)
	}
	return out
}

// Event is one thing that happened. Fields that do not apply are zero and
// omitted from JSON.
type Event struct {
	// Type is one of the constants above, e.g. "cert.expiring".
	Type string `json:"type"`
	// Severity orders events for filtering and alerting.
	Severity Severity `json:"severity"`
	// Time is when the event happened.
	Time time.Time `json:"time"`
	// Site is the configured site the event belongs to.
	Site string `json:"site,omitempty"`
	// Rule is the catalog rule the event relates to, if any (a CSP
	// report's violated directive is in Directive instead).
	Rule string `json:"rule,omitempty"`
	// Reason qualifies Type: why a handshake or a report was refused,
	// the report type received.
	Reason string `json:"reason,omitempty"`

	// Method, Host, Path and Client describe the request of a request
	// event, clipped to 200 bytes. They are attacker input: sinks must
	// escape them (log/slog and encoding/json do). Client is the
	// client's IP address, without port.
	Method string `json:"method,omitempty"`
	Host   string `json:"host,omitempty"`
	Path   string `json:"path,omitempty"`
	Client string `json:"client,omitempty"`

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

// Key identifies an event for de-duplication: its type, site, rule,
// reason, client, names and threshold. Two events with the same Key
// report the same condition.
func (e Event) Key() string {
	k := e.Type + "\x00" + e.Site + "\x00" + e.Rule + "\x00" + e.Reason + "\x00" + e.Client + "\x00" + e.Threshold.String()
	for _, n := range e.Names {
		k += "\x00" + n
	}
	return k
}

// Level maps the event's severity to a log level: High and Critical are
// errors, Medium and Low warnings.
func (e Event) Level() slog.Level {
	switch {
	case e.Severity >= High:
		return slog.LevelError
	case e.Severity >= Low:
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
		attrs := []slog.Attr{slog.String("event", e.Type), slog.String("severity", e.Severity.String())}
		for _, kv := range [...][2]string{{"site", e.Site}, {"rule", e.Rule}, {"reason", e.Reason},
			{"method", e.Method}, {"host", e.Host}, {"path", e.Path}, {"client", e.Client}} {
			if kv[1] != "" {
				attrs = append(attrs, slog.String(kv[0], kv[1]))
			}
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
