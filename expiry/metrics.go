package expiry

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portcullis/portcullis/events"
)

var (
	nameLabels = []string{"site", "name", "source"}

	expiryDesc = prometheus.NewDesc("portcullis_certificate_expiry_timestamp_seconds",
		"When the certificate served for this name expires (its NotAfter), as a Unix timestamp in seconds. "+
			"Alert on e.g. portcullis_certificate_expiry_timestamp_seconds - time() < 14*86400.",
		nameLabels, nil)
	notBeforeDesc = prometheus.NewDesc("portcullis_certificate_not_before_timestamp_seconds",
		"When the certificate served for this name became valid (its NotBefore), as a Unix timestamp in seconds.",
		nameLabels, nil)
	renewalDesc = prometheus.NewDesc("portcullis_certificate_renewal_timestamp_seconds",
		"When portcullis will next try to renew the certificate served for this name, as a Unix timestamp in seconds; "+
			"absent for certificates portcullis does not renew (certificate files).",
		nameLabels, nil)
	countDesc = prometheus.NewDesc("portcullis_certificates",
		"Number of certificates portcullis currently serves, by source (acme, local, files).",
		[]string{"source"}, nil)
	eventsDesc = prometheus.NewDesc("portcullis_certificate_events_total",
		"Certificate events since the process started, by type (cert.obtained, cert.renewed, cert.obtain_failed, "+
			"cert.renewal_failed, cert.expiring, cert.expired).",
		[]string{"type"}, nil)
	lastCheckDesc = prometheus.NewDesc("portcullis_certificate_expiry_last_check_timestamp_seconds",
		"When the expiry monitor last checked the served certificates, as a Unix timestamp in seconds; 0 before the first check.",
		nil, nil)
)

// Observe counts e by type for portcullis_certificate_events_total. It is
// an events.Sink: subscribe it to the bus that carries every certificate
// event.
func (m *Monitor) Observe(e events.Event) {
	if !strings.HasPrefix(e.Type, "cert.") {
		return // the bus carries every kind of event; this counts certificates'
	}
	m.mu.Lock()
	m.counts[e.Type]++
	m.mu.Unlock()
}

// Collector returns the Prometheus collector of the monitor's metrics
// (see the package documentation). It computes them at scrape time.
func (m *Monitor) Collector() prometheus.Collector { return collector{m} }

type collector struct{ m *Monitor }

// Describe sends the descriptors of every metric the collector produces.
func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{expiryDesc, notBeforeDesc, renewalDesc, countDesc, eventsDesc, lastCheckDesc} {
		ch <- d
	}
}

// nameKey identifies a per-name series.
type nameKey struct{ site, name string }

// Collect sends the current metrics.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	best := make(map[nameKey]Cert) // the certificate exported for each name
	perSource := make(map[string]float64)
	seen := make(map[string]bool)
	for _, cert := range m.certificates() {
		if cert.NotAfter.IsZero() {
			continue
		}
		id := identity(cert)
		if seen[id] {
			continue
		}
		seen[id] = true
		perSource[label(cert.Source)]++
		for _, n := range cert.Names {
			k := nameKey{label(cert.Site), label(n)}
			if cur, ok := best[k]; !ok || preferred(cert, cur) {
				best[k] = cert
			}
		}
	}
	for k, cert := range best {
		lv := []string{k.site, k.name, label(cert.Source)}
		send(ch, expiryDesc, prometheus.GaugeValue, seconds(cert.NotAfter), lv...)
		if !cert.NotBefore.IsZero() {
			send(ch, notBeforeDesc, prometheus.GaugeValue, seconds(cert.NotBefore), lv...)
		}
		if !cert.RenewAt.IsZero() {
			send(ch, renewalDesc, prometheus.GaugeValue, seconds(cert.RenewAt), lv...)
		}
	}
	for source, n := range perSource {
		send(ch, countDesc, prometheus.GaugeValue, n, source)
	}

	m.mu.Lock()
	last := m.lastCheck
	counts := make(map[string]float64, len(m.counts))
	for t, n := range m.counts {
		counts[label(t)] += float64(n)
	}
	m.mu.Unlock()
	for t, n := range counts {
		send(ch, eventsDesc, prometheus.CounterValue, n, t)
	}
	send(ch, lastCheckDesc, prometheus.GaugeValue, seconds(last))
}

// preferred reports whether a should be exported instead of b for a name
// both serve: the later NotAfter wins; the remaining comparisons only make
// the choice independent of the order of Certificates().
func preferred(a, b Cert) bool {
	switch {
	case !a.NotAfter.Equal(b.NotAfter):
		return a.NotAfter.After(b.NotAfter)
	case !a.NotBefore.Equal(b.NotBefore):
		return a.NotBefore.After(b.NotBefore)
	case a.Serial != b.Serial:
		return a.Serial > b.Serial
	}
	return a.Source > b.Source
}

// send emits one const metric; values that cannot make one (impossible
// after label) become an invalid metric rather than a panic.
func send(ch chan<- prometheus.Metric, d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
	metric, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		metric = prometheus.NewInvalidMetric(d, err)
	}
	ch <- metric
}

// label makes s a valid label value (UTF-8).
func label(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// seconds is t as Unix seconds; 0 for the zero time.
func seconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}
