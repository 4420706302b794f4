// Package metrics counts what portcullis serves, for Prometheus: requests
// by site, status and method, their latency, upstream errors, TLS
// handshakes, security events, CSP reports, reloads, backups, and the
// server's audits of its own sites.
//
// Every label value comes from the configuration or from a fixed list,
// never from what a client sends: a site label is a configured site name
// ("" for requests no site serves), a method is one the site allows or
// "other", a status is the three digits the server sent, a CSP directive
// is a name CSP defines or "other". So the number of series is bounded by
// the configuration, whatever the traffic (docs/monitoring.md).
//
// The request path pays little: a Site resolves its label children once,
// and counting a request is a map lookup, an atomic add and a histogram
// observation, with no allocation.
package metrics

import (
	"crypto/tls"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/events"
)

// Handshake results, the result label of portcullis_tls_handshakes_total.
// The refusals are also the Reason of events.TLSRefused.
const (
	// HandshakeOK: the handshake completed.
	HandshakeOK = "ok"
	// HandshakeProtocol: the client offered no TLS version the profile
	// accepts.
	HandshakeProtocol = "protocol"
	// HandshakeCipher: a TLS 1.2 client offered no cipher suite of the
	// profile.
	HandshakeCipher = "cipher"
	// HandshakeUnknownSNI: no site has a certificate for the server name.
	HandshakeUnknownSNI = "unknown-sni"
	// HandshakeNoALPN: the client offered only application protocols the
	// server does not speak (e.g. "acme-tls/1" with no ACME site).
	HandshakeNoALPN = "no-alpn"
	// HandshakeOther: the handshake failed for another reason (a
	// malformed or aborted hello, no common curve or signature algorithm,
	// a certificate key type no offered suite can use).
	HandshakeOther = "other"
)

// versionSSL30 is SSL 3.0, which clients still offer to scanners' delight
// (crypto/tls deprecates its constant).
const versionSSL30 = 0x0300

var (
	handshakeResults  = []string{HandshakeOK, HandshakeProtocol, HandshakeCipher, HandshakeUnknownSNI, HandshakeNoALPN, HandshakeOther}
	handshakeVersions = []uint16{versionSSL30, tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13}
)

// durationBuckets suit a reverse proxy: from the millisecond an answer
// from shield alone takes to the upstream timeouts (default 60 s).
var durationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// securityKinds are the event types portcullis_security_events_total
// counts: what shield refused or could not fully harden.
var securityKinds = map[string]bool{
	events.HostRejected: true, events.RequestMalformed: true, events.CrossOriginBlocked: true,
	events.CORSRejected: true, events.CookieViolation: true, events.MethodRefused: true,
	events.UpgradeRefused: true,
}

// Metrics holds portcullis's request and event metrics. Register it with a
// prometheus.Registerer; it is a prometheus.Collector. It is safe for
// concurrent use.
type Metrics struct {
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	upstream   *prometheus.CounterVec
	handshakes *prometheus.CounterVec
	security   *prometheus.CounterVec
	csp        *prometheus.CounterVec
	reloads    *prometheus.CounterVec
	backups    *prometheus.CounterVec
	dropped    *prometheus.Desc

	auditGrade    *prometheus.GaugeVec // score, by site
	auditLetter   *prometheus.GaugeVec // the letter as a number, by site
	auditFindings *prometheus.GaugeVec // by site and severity
	auditLast     *prometheus.GaugeVec // by site

	// hs holds the handshake counters, by version (index into
	// handshakeVersions, then one for any other) and result.
	hs [6][6]prometheus.Counter

	clusterUp    *prometheus.Desc
	clusterState atomic.Int32 // 0 outside cluster mode, then 1 down, 2 up

	mu     sync.Mutex
	sites  map[string]bool // every site label used, for Retain
	stages []stage         // where events may be dropped
}

// stage is a place where events may be dropped, and its count.
type stage struct {
	name    string
	dropped func() uint64
}

// New returns the metrics, every counter at zero. The series whose
// absence would leave a dashboard panel or an alert's ratio empty exist
// from the start: the handshake results by version, reloads and backups
// by result, and (through Site) each site's upstream error kinds.
func New() *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portcullis_http_requests_total",
			Help: `HTTP requests answered, by site ("" when no site serves the Host), status code and method (the site's allowed methods, else "other").`,
		}, []string{"site", "code", "method"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "portcullis_http_request_duration_seconds",
			Help:    "Time from a request's arrival to the end of its response (streams included; upgraded connections are not observed), by site.",
			Buckets: durationBuckets,
		}, []string{"site"}),
		upstream: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portcullis_upstream_errors_total",
			Help: `Requests the upstream did not answer, by site and kind ("failed": unreachable or broke off, 502; "timeout": no response headers in time, 504).`,
		}, []string{"site", "kind"}),
		handshakes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portcullis_tls_handshakes_total",
			Help: `TLS handshakes on the HTTPS listener, by version (negotiated, or the client's highest for a refusal) and result (ok, protocol, cipher, unknown-sni, no-alpn, other).`,
		}, []string{"version", "result"}),
		security: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portcullis_security_events_total",
			Help: "Requests shield refused or responses it could not fully harden, by site, kind (the event type, e.g. host.rejected) and severity.",
		}, []string{"site", "kind", "severity"}),
		csp: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portcullis_csp_reports_total",
			Help: `CSP violation reports received, by site and violated directive (a CSP directive name, else "other").`,
		}, []string{"site", "directive"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portcullis_reloads_total",
			Help: `Configuration reloads, by result (ok, failed: the running configuration stayed in service).`,
		}, []string{"result"}),
		backups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portcullis_backups_total",
			Help: "Scheduled backups of the certificate state, by result (ok, failed).",
		}, []string{"result"}),
		auditGrade: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "portcullis_audit_grade",
			Help: "The score (0 to 100) of the latest audit of each site by the server itself, through its own listeners; absent until a site is audited, -1 when nothing could be audited.",
		}, []string{"site"}),
		auditLetter: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "portcullis_audit_grade_letter",
			Help: "The letter of the latest self-audit of each site as a number: 6 A+, 5 A, 4 B, 3 C, 2 D, 1 F, 0 not audited.",
		}, []string{"site"}),
		auditFindings: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "portcullis_audit_findings",
			Help: "The findings of the latest self-audit of each site, by severity (info, low, medium, high, critical; every severity present).",
		}, []string{"site", "severity"}),
		auditLast: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "portcullis_audit_last_timestamp_seconds",
			Help: "When the latest self-audit of each site ended, Unix seconds.",
		}, []string{"site"}),
		dropped: prometheus.NewDesc("portcullis_events_dropped_total",
			"Events a sink did not deliver, by stage (the sink and why: a rate limit, a full or closed queue).",
			[]string{"stage"}, nil),
		clusterUp: prometheus.NewDesc("portcullis_cluster_up",
			"1 while this instance reaches the cluster's Redis ([cluster]), 0 while it serves on its own state; absent outside cluster mode.",
			nil, nil),
		sites: map[string]bool{},
	}
	for i := range m.hs {
		version := "other"
		if i < len(handshakeVersions) {
			version = tls.VersionName(handshakeVersions[i])
		}
		for j, result := range handshakeResults {
			m.hs[i][j] = m.handshakes.WithLabelValues(version, result)
		}
	}
	for _, result := range []string{"ok", "failed"} {
		m.reloads.WithLabelValues(result)
		m.backups.WithLabelValues(result)
	}
	return m
}

func (m *Metrics) vecs() []prometheus.Collector {
	return []prometheus.Collector{m.requests, m.duration, m.upstream, m.handshakes, m.security, m.csp, m.reloads, m.backups,
		m.auditGrade, m.auditLetter, m.auditFindings, m.auditLast}
}

// Describe sends the descriptors of every metric.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.vecs() {
		c.Describe(ch)
	}
	ch <- m.dropped
	ch <- m.clusterUp
}

// Collect sends the current values.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.vecs() {
		c.Collect(ch)
	}
	if st := m.clusterState.Load(); st > 0 {
		ch <- prometheus.MustNewConstMetric(m.clusterUp, prometheus.GaugeValue, float64(st-1))
	}
	m.mu.Lock()
	stages := m.stages
	m.mu.Unlock()
	for _, st := range stages {
		ch <- prometheus.MustNewConstMetric(m.dropped, prometheus.CounterValue, float64(st.dropped()), st.name)
	}
}

// Observe counts an event: security events, upstream errors, CSP reports,
// reloads and backups. Other events (certificates: see package expiry;
// TLS refusals: see Handshake) are ignored. It is an events.Sink and
// never blocks.
func (m *Metrics) Observe(e events.Event) {
	switch {
	case securityKinds[e.Type]:
		m.security.WithLabelValues(m.site(e.Site), e.Type, e.Severity.String()).Inc()
	case e.Type == events.UpstreamFailed:
		m.upstream.WithLabelValues(m.site(e.Site), "failed").Inc()
	case e.Type == events.UpstreamTimeout:
		m.upstream.WithLabelValues(m.site(e.Site), "timeout").Inc()
	case e.Type == events.ReportReceived && (e.Reason == "" || e.Reason == "csp-violation"):
		m.csp.WithLabelValues(m.site(e.Site), Directive(e.Rule)).Inc()
	case e.Type == events.ConfigReloaded:
		m.reloads.WithLabelValues("ok").Inc()
	case e.Type == events.ConfigReloadFailed:
		m.reloads.WithLabelValues("failed").Inc()
	case e.Type == events.BackupDone:
		m.backups.WithLabelValues("ok").Inc()
	case e.Type == events.BackupFailed:
		m.backups.WithLabelValues("failed").Inc()
	}
}

// ClusterUp sets portcullis_cluster_up: 1 while the cluster's Redis
// answers, 0 while it does not. The series exists only in cluster mode,
// from the first call on.
func (m *Metrics) ClusterUp(up bool) {
	if up {
		m.clusterState.Store(2)
	} else {
		m.clusterState.Store(1)
	}
}

// Handshake counts a TLS handshake: result is one of the Handshake*
// constants (anything else counts as HandshakeOther), version the
// negotiated version (for a refusal, the client's highest).
func (m *Metrics) Handshake(version uint16, result string) {
	i := len(handshakeVersions)
	for k, v := range handshakeVersions {
		if v == version {
			i = k
			break
		}
	}
	j := len(handshakeResults) - 1 // other
	for k, r := range handshakeResults {
		if r == result {
			j = k
			break
		}
	}
	m.hs[i][j].Inc()
}

// CountDropped exports, as portcullis_events_dropped_total{stage}, the
// number of events a sink has not delivered so far: dropped is read at
// each scrape (an events.Counter's Stats().Dropped, a webhook's); name,
// the stage label, says which sink and why (a fixed name, e.g.
// "log.ratelimit").
func (m *Metrics) CountDropped(name string, dropped func() uint64) {
	m.mu.Lock()
	m.stages = append(slices.Clip(m.stages), stage{name, dropped})
	m.mu.Unlock()
}

// site records a site label value as used and returns it.
func (m *Metrics) site(name string) string {
	m.mu.Lock()
	if !m.sites[name] {
		m.sites[name] = true
		m.upstream.WithLabelValues(name, "failed")
		m.upstream.WithLabelValues(name, "timeout")
	}
	m.mu.Unlock()
	return name
}

// Retain deletes the series of every site not in names (the configured
// sites, after a reload), so that a removed or renamed site does not stay
// in the exposition until restart. Requests no site serves (site "") are
// always kept.
func (m *Metrics) Retain(names []string) {
	keep := map[string]bool{"": true}
	for _, n := range names {
		keep[n] = true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for name := range m.sites {
		if keep[name] {
			continue
		}
		delete(m.sites, name)
		l := prometheus.Labels{"site": name}
		for _, v := range []interface{ DeletePartialMatch(prometheus.Labels) int }{m.requests, m.duration, m.upstream, m.security, m.csp,
			m.auditGrade, m.auditLetter, m.auditFindings, m.auditLast} {
			v.DeletePartialMatch(l)
		}
	}
}

// Audit is the outcome of a site's audit, for Audited.
type Audit struct {
	// Site is the configured site audited.
	Site string
	// Letter is the grade, "A+" to "F"; "" when nothing could be audited.
	Letter string
	// Score is the grade's score, 0 to 100.
	Score int
	// Findings counts the findings by severity (index: events.Severity).
	Findings [5]int
	// Time is when the audit ended.
	Time time.Time
}

// auditLetters are the letters, worst first: the value of
// portcullis_audit_grade_letter is the index + 1, 0 for none.
var auditLetters = []string{"F", "D", "C", "B", "A", "A+"}

// Audited sets the audit gauges of a site to its latest audit:
// portcullis_audit_grade (the score, -1 when not audited),
// portcullis_audit_grade_letter, portcullis_audit_findings by severity
// and portcullis_audit_last_timestamp_seconds.
func (m *Metrics) Audited(a Audit) {
	site := m.site(a.Site)
	score := float64(a.Score)
	if a.Letter == "" {
		score = -1
	}
	m.auditGrade.WithLabelValues(site).Set(score)
	m.auditLetter.WithLabelValues(site).Set(float64(slices.Index(auditLetters, a.Letter) + 1))
	for sev, n := range a.Findings {
		m.auditFindings.WithLabelValues(site, events.Severity(sev).String()).Set(float64(n))
	}
	m.auditLast.WithLabelValues(site).Set(float64(a.Time.UnixNano()) / 1e9)
}

// Directive normalizes the violated directive of a CSP report to a label
// value: the lower-case name of a directive CSP defines (the first word
// of CSP2's "violated-directive", which carries the policy's sources
// too), else "other". Nothing a browser (or a forger) sends can add a
// series.
func Directive(d string) string {
	d = strings.TrimSpace(d)
	if i := strings.IndexAny(d, " \t"); i >= 0 {
		d = d[:i]
	}
	if d == "" || !csp.KnownDirective(d) {
		return "other"
	}
	return strings.ToLower(d)
}
