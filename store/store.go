// Package store keeps portcullis's security events, browser reports (CSP
// and other Reporting API violations, aggregated) and the results of its
// self-audits on disk, in the data directory, for as long as the retention
// allows and within a size bound.
//
// Store is the small interface the rest of portcullis uses, so that
// cluster mode can back it with a shared database later; Bolt implements
// it on one embedded bbolt file (datadir.Dir.Store). Queue sits in front
// of a Store on the request path: it never blocks, writes from one
// goroutine in batches (one fsync for many events) and counts what it had
// to drop.
package store

import (
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/portcullis/portcullis/events"
)

// Writer is the write half of a Store. Queue implements it too, without
// blocking.
type Writer interface {
	// AddEvents stores events, all or none. A zero Time is set to the
	// current time.
	AddEvents(es ...events.Event) error
	// AddReports counts reports into their aggregates, all or none.
	AddReports(rs ...Report) error
}

// Store keeps events, aggregated reports and self-audits. Implementations
// are safe for concurrent use.
type Store interface {
	Writer
	// Events returns the stored events that match q, newest first.
	Events(q Query) ([]events.Event, error)
	// Reports returns the aggregates that match q, most recently seen
	// first.
	Reports(q ReportQuery) ([]Aggregate, error)
	// AddAudit stores the result of a site's audit, clipped to the
	// limits below (Normalize). A zero Time is set to the current time.
	AddAudit(a AuditRecord) error
	// Audits returns the stored audits that match q, newest first.
	Audits(q AuditQuery) ([]AuditRecord, error)
	// Close releases the store; later calls fail with ErrClosed.
	Close() error
}

// ErrClosed is returned by a Store or Queue used after Close.
var ErrClosed = errors.New("store: closed")

// ErrUnavailable is what a Store's errors match (errors.Is) when its
// backend cannot be reached for now — a shared database down, not a
// record refused — so that the write is worth retrying: Queue keeps
// what such a write held and tries again later. cluster's
// *UnavailableError matches it.
var ErrUnavailable = errors.New("store: backend unavailable")

// Query selects events. The zero Query selects the newest DefaultLimit
// events.
type Query struct {
	// Site keeps the events of one site; "" keeps all.
	Site string
	// Type keeps one event type ("cert.expiring"), or a family when it
	// ends in a dot ("cert."); "" keeps all.
	Type string
	// MinSeverity keeps events at least this severe; the zero value,
	// events.Info, keeps all.
	MinSeverity events.Severity
	// Since and Until keep events with Since <= Time < Until; a zero bound
	// is open.
	Since, Until time.Time
	// Limit is the most events returned: 0 means DefaultLimit, and it is
	// capped at MaxLimit.
	Limit int
}

// Query limits.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

// EffectiveLimit is the number of records a query with Limit n returns
// at most: DefaultLimit for 0 or less, MaxLimit at most.
func EffectiveLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

// Match reports whether e passes every filter of q (site, type,
// severity, time range): what Events returns, before the limit.
func (q Query) Match(e events.Event) bool {
	return e.Severity >= q.MinSeverity && (q.Site == "" || e.Site == q.Site) && q.matchType(e.Type) &&
		within(e.Time, q.Since, q.Until)
}

// within reports whether since <= t < until, a zero bound being open.
func within(t, since, until time.Time) bool {
	return (since.IsZero() || !t.Before(since)) && (until.IsZero() || t.Before(until))
}

// matchType reports whether an event of type t passes the Query's Type.
func (q Query) matchType(t string) bool {
	if q.Type == "" || q.Type == t {
		return true
	}
	n := len(q.Type)
	return q.Type[n-1] == '.' && len(t) > n && t[:n] == q.Type
}

// Report is one browser report, reduced to what is aggregated: no query
// string, fragment or credentials of any URL, samples clipped. Package
// reports builds them from the bodies browsers send.
type Report struct {
	// Time is when the report was received; zero means now.
	Time time.Time
	// Site is the configured site that received it.
	Site string
	// Type is the Reporting API type: "csp-violation",
	// "permissions-policy-violation", "deprecation", "coep"…
	Type string
	// Directive is what was violated: the CSP effective directive
	// ("script-src-elem"), the Permissions-Policy feature, the
	// deprecation's id.
	Directive string
	// Blocked is the blocked resource's origin ("https://cdn.example"),
	// or a keyword for what has none: "inline", "eval", "wasm-eval",
	// "data", "blob"…; "" when the report names none.
	Blocked string
	// Document is the path of the page the report is about, without
	// query or fragment.
	Document string

	// Disposition is "enforce" (the resource was blocked) or "report"
	// (report-only policy); "" when the type has none.
	Disposition string
	// Sample is the first characters of the blocked script or style, or
	// the browser's message, clipped.
	Sample string
	// Source is where it happened: the script's URL without query, with
	// ":line:column" when known.
	Source string
}

// Aggregate counts the reports that share a site, type, directive,
// blocked origin and document path.
type Aggregate struct {
	// Site, Type, Directive, Blocked and Document identify the
	// aggregate, as in Report.
	Site      string `json:"site"`
	Type      string `json:"type"`
	Directive string `json:"directive,omitempty"`
	Blocked   string `json:"blocked,omitempty"`
	Document  string `json:"document,omitempty"`

	// Count is how many reports were received.
	Count uint64 `json:"count"`
	// First and Last are when the first and latest were received.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`

	// Disposition, Sample and Source are the latest report's.
	Disposition string `json:"disposition,omitempty"`
	Sample      string `json:"sample,omitempty"`
	Source      string `json:"source,omitempty"`
}

// ReportQuery selects aggregates. The zero ReportQuery selects the
// DefaultLimit most recently seen.
type ReportQuery struct {
	// Site keeps one site's aggregates; "" keeps all.
	Site string
	// Type keeps one report type; "" keeps all.
	Type string
	// Since keeps aggregates seen at or after it (their Last); zero keeps
	// all.
	Since time.Time
	// Limit is the most aggregates returned: 0 means DefaultLimit, and it
	// is capped at MaxLimit.
	Limit int
}

// Match reports whether a passes q's site, type and since filters.
func (q ReportQuery) Match(a Aggregate) bool {
	return (q.Site == "" || a.Site == q.Site) && (q.Type == "" || a.Type == q.Type) &&
		(q.Since.IsZero() || !a.Last.Before(q.Since))
}

// AggregateKey identifies the aggregate r counts into: its site, type,
// directive, blocked origin and document, each length-prefixed. r should
// be normalized (Normalize) first.
func (r Report) AggregateKey() string { return string(aggKey(r)) }

// Field limits, in bytes: longer values are clipped (at a UTF-8 boundary)
// before they are stored, so that no report can make a key or a value
// large.
const (
	MaxSite      = 200
	MaxType      = 64
	MaxDirective = 64
	MaxBlocked   = 300
	MaxDocument  = 512
	MaxSample    = 256
	MaxSource    = 512
)

// Normalize clips every field of r to the limits below and gives it a
// time (now, when it has none): what AddReports counts.
func (r Report) Normalize(now time.Time) Report {
	if r.Time.IsZero() {
		r.Time = now
	}
	r.Site = Clip(r.Site, MaxSite)
	r.Type = Clip(r.Type, MaxType)
	r.Directive = Clip(r.Directive, MaxDirective)
	r.Blocked = Clip(r.Blocked, MaxBlocked)
	r.Document = Clip(r.Document, MaxDocument)
	r.Disposition = Clip(r.Disposition, 16)
	r.Sample = Clip(r.Sample, MaxSample)
	r.Source = Clip(r.Source, MaxSource)
	return r
}

// Clip returns s cut to at most n bytes, at a UTF-8 boundary; invalid
// UTF-8 is replaced first, so the result is always valid.
func Clip(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// AuditRecord is the result of one audit of a site by the server itself
// (package selfaudit): the grade, the findings and the report.
type AuditRecord struct {
	// Site is the configured site audited.
	Site string `json:"site"`
	// Time is when the audit ended.
	Time time.Time `json:"time"`
	// Target is what was audited, "host[:port]" (the site's first
	// concrete name, at the HTTPS listener's port).
	Target string `json:"target,omitempty"`
	// Grade is the letter, "A+" to "F"; "" when nothing could be audited.
	Grade string `json:"grade"`
	// Score is the grade's score, 0 to 100 (0 when not audited).
	Score int `json:"score"`
	// Findings are the audit's findings, worst first.
	Findings []AuditFinding `json:"findings"`
	// Errors are the probes that could not run; a report with errors and
	// a grade is partial.
	Errors []string `json:"errors,omitempty"`
	// Report is the target's report in the JSON of `portcullis audit
	// --format json` (a report.TargetReport, schema
	// "portcullis.audit/v1"): the checklist and the observed evidence.
	// Nil when it was larger than MaxAuditReport.
	Report json.RawMessage `json:"report,omitempty"`
}

// AuditFinding is one finding of an audit, as AuditRecord keeps it.
type AuditFinding struct {
	Rule     string          `json:"rule"`
	Severity events.Severity `json:"severity"`
	Message  string          `json:"message"`
	// Target is where: a URL, "" for the whole target.
	Target string `json:"target,omitempty"`
}

// Audited reports whether anything could be audited: the record has a
// grade.
func (a AuditRecord) Audited() bool { return a.Grade != "" }

// Limits of an AuditRecord, in bytes or items: Normalize clips what is
// longer, drops findings and errors beyond the counts and a Report
// beyond MaxAuditReport, so that no audit of a hostile upstream makes a
// record large.
const (
	MaxAuditFindings = 500
	MaxAuditErrors   = 50
	MaxAuditMessage  = 1024
	MaxAuditReport   = 512 << 10
)

// Normalize returns a clipped to the limits, with a time: what AddAudit
// stores.
func (a AuditRecord) Normalize(now time.Time) AuditRecord {
	if a.Time.IsZero() {
		a.Time = now
	}
	a.Site = Clip(a.Site, MaxSite)
	a.Target = Clip(a.Target, MaxSite)
	a.Grade = Clip(a.Grade, 4)
	a.Score = min(max(a.Score, 0), 100)
	fs := make([]AuditFinding, 0, min(len(a.Findings), MaxAuditFindings))
	for _, f := range a.Findings[:min(len(a.Findings), MaxAuditFindings)] {
		fs = append(fs, AuditFinding{Rule: Clip(f.Rule, MaxType), Severity: f.Severity,
			Message: Clip(f.Message, MaxAuditMessage), Target: Clip(f.Target, MaxDocument)})
	}
	a.Findings = fs
	var errs []string
	for _, e := range a.Errors[:min(len(a.Errors), MaxAuditErrors)] {
		errs = append(errs, Clip(e, MaxAuditMessage))
	}
	a.Errors = errs
	if len(a.Report) > MaxAuditReport || (a.Report != nil && !json.Valid(a.Report)) {
		a.Report = nil
	}
	return a
}

// AuditQuery selects audits. The zero AuditQuery selects the newest
// DefaultLimit audits of every site.
type AuditQuery struct {
	// Site keeps one site's audits; "" keeps all.
	Site string
	// Since and Until keep audits with Since <= Time < Until; a zero
	// bound is open.
	Since, Until time.Time
	// Limit is the most audits returned: 0 means DefaultLimit, and it is
	// capped at MaxLimit.
	Limit int
}

// Match reports whether a passes q's site and time range.
func (q AuditQuery) Match(a AuditRecord) bool {
	return (q.Site == "" || a.Site == q.Site) && within(a.Time, q.Since, q.Until)
}
