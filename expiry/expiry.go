// Package expiry watches every certificate portcullis serves, reports the
// ones approaching expiry as events, and exports their validity as
// Prometheus metrics.
//
// # Events: once per threshold
//
// A [Monitor] checks the served certificates (see [Monitor.Check] and
// [Monitor.Run]). A certificate's identity is its site, serial number,
// NotAfter and names; a renewed certificate is a new identity. For each
// identity and each configured threshold T (by default 30, 14, 7 and 1
// days before expiry) the monitor emits one [events.CertExpiring] event
// with Threshold T when NotAfter - now <= T, and never again for that
// identity and threshold, however many checks run. When one check finds
// several thresholds crossed at once (a first check with 10 days left and
// thresholds 30/14/7/1 days), only the tightest one (14 days) is emitted
// and the wider ones are marked done, so they never fire later. A
// threshold at or beyond half the certificate's lifetime never fires for
// it: a 7-day certificate, renewed a third of its life before expiry, is
// announced only at the 1-day threshold, when its renewal is overdue. Once the
// certificate has expired (now >= NotAfter) the monitor emits one
// [events.CertExpired] event and nothing more for that identity.
//
// Severities: cert.expiring is medium, high for the smallest threshold or
// when less than a day is left; cert.expired is critical.
//
// State is kept only for the identities served at the last check: a
// certificate that is no longer served is forgotten, so memory does not
// grow with renewals. Certificates with a zero NotAfter are ignored, by
// the events and by the metrics.
//
// # Metrics
//
// [Monitor.Collector] computes these at scrape time from what is served:
//
//	portcullis_certificate_expiry_timestamp_seconds{site,name,source}        NotAfter, Unix seconds
//	portcullis_certificate_not_before_timestamp_seconds{site,name,source}    NotBefore, Unix seconds
//	portcullis_certificate_renewal_timestamp_seconds{site,name,source}       next renewal attempt (absent when not renewed by portcullis)
//	portcullis_certificates{source}                                          number of certificates served, by source
//	portcullis_certificate_events_total{type}                                events seen by Observe, by type
//	portcullis_certificate_expiry_last_check_timestamp_seconds               time of the last check (0 before the first)
//
// There is one series per certificate name. While a site switches
// certificates, two of them may serve the same name: the series then shows
// the one that expires later.
//
// Example Prometheus alerting rules:
//
//	groups:
//	  - name: portcullis-certificates
//	    rules:
//	      - alert: CertificateExpiresSoon
//	        expr: portcullis_certificate_expiry_timestamp_seconds - time() < 14*86400
//	      - alert: CertificateRenewalOverdue
//	        expr: time() - portcullis_certificate_renewal_timestamp_seconds > 86400
//	      - alert: CertificateExpiryMonitorStalled
//	        expr: time() - portcullis_certificate_expiry_last_check_timestamp_seconds > 3*3600
//
// # Wiring
//
//	var bus events.Bus
//	mon, err := expiry.New(expiry.Options{Certificates: served, Emit: bus.Emit})
//	...
//	bus.Subscribe(mon.Observe)           // count every event for the metrics
//	registry.MustRegister(mon.Collector())
//	go mon.Run(ctx)
package expiry

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/events"
)

// Cert is one served certificate and the site it belongs to.
type Cert struct {
	Site string
	certs.Info
}

// Options configure a Monitor.
type Options struct {
	// Certificates returns what is served right now. Required. It is
	// called on every Check and on every scrape, possibly concurrently,
	// so it must be cheap and safe for concurrent use.
	Certificates func() []Cert
	// Thresholds are the durations before expiry at which a
	// cert.expiring event fires. Each must be positive; duplicates are
	// removed. Default: 30, 14, 7 and 1 days.
	Thresholds []time.Duration
	// Interval is Run's period between checks. Default 1h; must not be
	// negative.
	Interval time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Emit receives the events. Required. It is called outside the
	// monitor's locks, so it may call Observe (e.g. through an
	// events.Bus the monitor is subscribed to).
	Emit events.Sink
}

// defaultThresholds are used when Options.Thresholds is empty.
var defaultThresholds = []time.Duration{30 * day, 14 * day, 7 * day, 1 * day}

// DefaultInterval is Run's period when Options.Interval is zero.
const DefaultInterval = time.Hour

const day = 24 * time.Hour

// Monitor watches served certificates; see the package documentation.
// Its methods are safe for concurrent use.
type Monitor struct {
	certificates func() []Cert
	thresholds   []time.Duration // positive, distinct, widest first
	interval     time.Duration
	now          func() time.Time
	emit         events.Sink

	checkMu sync.Mutex          // serializes Check
	state   map[string]progress // by identity; guarded by checkMu

	mu        sync.Mutex        // guards the fields below
	lastCheck time.Time         // zero before the first Check
	counts    map[string]uint64 // events observed, by type
}

// progress records which events an identity has had.
type progress struct {
	done    int  // thresholds[:done] have fired or been skipped
	expired bool // cert.expired has fired
}

// New validates o and returns a Monitor. Call Run (or Check) to start
// watching.
func New(o Options) (*Monitor, error) {
	if o.Certificates == nil {
		return nil, errors.New("expiry: Options.Certificates is required")
	}
	if o.Emit == nil {
		return nil, errors.New("expiry: Options.Emit is required")
	}
	if o.Interval < 0 {
		return nil, fmt.Errorf("expiry: Options.Interval is %v; it must be positive (or zero for the default %v)", o.Interval, DefaultInterval)
	}
	thresholds := slices.Clone(o.Thresholds)
	if len(thresholds) == 0 {
		thresholds = slices.Clone(defaultThresholds)
	}
	for i, t := range thresholds {
		if t <= 0 {
			return nil, fmt.Errorf("expiry: Options.Thresholds[%d] is %v; thresholds must be positive durations before expiry", i, t)
		}
	}
	slices.SortFunc(thresholds, func(a, b time.Duration) int { return cmp.Compare(b, a) })
	thresholds = slices.Compact(thresholds)

	m := &Monitor{
		certificates: o.Certificates,
		thresholds:   thresholds,
		interval:     cmp.Or(o.Interval, DefaultInterval),
		now:          o.Now,
		emit:         o.Emit,
		state:        make(map[string]progress),
		counts:       make(map[string]uint64),
	}
	if m.now == nil {
		m.now = time.Now
	}
	for _, t := range []string{events.CertObtained, events.CertRenewed, events.CertObtainFailed,
		events.CertRenewalFailed, events.CertExpiring, events.CertExpired} {
		m.counts[t] = 0 // export every known type from the start, so rate() and increase() work
	}
	return m, nil
}

// Thresholds returns the effective thresholds, widest first.
func (m *Monitor) Thresholds() []time.Duration { return slices.Clone(m.thresholds) }

// Run calls Check at once, then every Interval, until ctx ends.
func (m *Monitor) Run(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	m.Check()
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.Check()
		}
	}
}

// Check makes one pass over the served certificates and emits the events
// that are due. Checks are serialized; the events are emitted after the
// monitor's state is updated, in the order of Certificates().
func (m *Monitor) Check() {
	m.checkMu.Lock()
	now := m.now()
	served := m.certificates()
	var due []events.Event
	seen := make(map[string]bool, len(served))
	for _, c := range served {
		if c.NotAfter.IsZero() {
			continue
		}
		id := identity(c)
		if seen[id] {
			continue
		}
		seen[id] = true
		p := m.state[id]
		if e, ok := m.advance(&p, c, now); ok {
			due = append(due, e)
		}
		m.state[id] = p
	}
	for id := range m.state {
		if !seen[id] {
			delete(m.state, id)
		}
	}
	m.mu.Lock()
	m.lastCheck = now
	m.mu.Unlock()
	m.checkMu.Unlock()

	for _, e := range due {
		m.emit(e)
	}
}

// advance updates p for c at now and returns the event due, if any.
func (m *Monitor) advance(p *progress, c Cert, now time.Time) (events.Event, bool) {
	if p.expired {
		return events.Event{}, false
	}
	left := c.NotAfter.Sub(now)
	e := events.Event{
		Time:     now,
		Site:     c.Site,
		Names:    slices.Clone(c.Names),
		Source:   c.Source,
		Issuer:   c.Issuer,
		NotAfter: c.NotAfter,
	}
	when := c.NotAfter.UTC().Format(time.RFC3339)
	if left <= 0 {
		p.expired, p.done = true, len(m.thresholds)
		e.Type, e.Severity = events.CertExpired, events.Critical
		e.Message = fmt.Sprintf("%s expired %s ago (%s)", subject(c), human(now.Sub(c.NotAfter)), when)
		return e, true
	}
	// Thresholds at or beyond half the certificate's lifetime are not
	// announced: for short-lived certificates (the local CA's 7-day
	// leaves, ACME's 6-day profile) that is where routine renewal
	// happens, and a warning would only cry wolf at every start.
	if life := c.NotAfter.Sub(c.NotBefore); !c.NotBefore.IsZero() && life > 0 {
		for p.done < len(m.thresholds) && m.thresholds[p.done] >= life/2 {
			p.done++
		}
	}
	crossed := 0 // thresholds are widest first: count those >= left
	for crossed < len(m.thresholds) && left <= m.thresholds[crossed] {
		crossed++
	}
	if crossed <= p.done {
		return events.Event{}, false
	}
	p.done = crossed
	e.Type, e.Threshold, e.Severity = events.CertExpiring, m.thresholds[crossed-1], events.Medium
	if crossed == len(m.thresholds) || left < day {
		e.Severity = events.High
	}
	e.Message = fmt.Sprintf("%s expires in %s (%s)", subject(c), human(left), when)
	return e, true
}

// identity is the key of a certificate's state: site, serial, NotAfter
// and names.
func identity(c Cert) string {
	var b strings.Builder
	b.WriteString(c.Site)
	b.WriteByte(0)
	b.WriteString(c.Serial)
	b.WriteByte(0)
	b.WriteString(c.NotAfter.UTC().Format(time.RFC3339Nano))
	for _, n := range c.Names {
		b.WriteByte(0)
		b.WriteString(n)
	}
	return b.String()
}

// subject names a certificate in messages: "certificate for example.com".
func subject(c Cert) string {
	switch {
	case len(c.Names) == 1:
		return "certificate for " + c.Names[0]
	case len(c.Names) == 2:
		return fmt.Sprintf("certificate for %s and 1 other name", c.Names[0])
	case len(c.Names) > 2:
		return fmt.Sprintf("certificate for %s and %d other names", c.Names[0], len(c.Names)-1)
	case c.Site != "":
		return fmt.Sprintf("certificate of site %q (serial %s)", c.Site, c.Serial)
	}
	return fmt.Sprintf("certificate with serial %q", c.Serial)
}

// human renders a non-negative duration for people, to the minute:
// "13d 23h", "5h 2m", "42m", "less than a minute".
func human(d time.Duration) string {
	switch {
	case d >= day:
		return fmt.Sprintf("%dd %dh", d/day, d%day/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dm", d/time.Hour, d%time.Hour/time.Minute)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return "less than a minute"
}
