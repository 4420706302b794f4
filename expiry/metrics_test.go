package expiry

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/internal/testutil"
)

// The HELP and TYPE lines of every metric.
const (
	expiryHead = `# HELP portcullis_certificate_expiry_timestamp_seconds When the certificate served for this name expires (its NotAfter), as a Unix timestamp in seconds. Alert on e.g. portcullis_certificate_expiry_timestamp_seconds - time() < 14*86400.
# TYPE portcullis_certificate_expiry_timestamp_seconds gauge
`
	notBeforeHead = `# HELP portcullis_certificate_not_before_timestamp_seconds When the certificate served for this name became valid (its NotBefore), as a Unix timestamp in seconds.
# TYPE portcullis_certificate_not_before_timestamp_seconds gauge
`
	renewalHead = `# HELP portcullis_certificate_renewal_timestamp_seconds When portcullis will next try to renew the certificate served for this name, as a Unix timestamp in seconds; absent for certificates portcullis does not renew (certificate files).
# TYPE portcullis_certificate_renewal_timestamp_seconds gauge
`
	countHead = `# HELP portcullis_certificates Number of certificates portcullis currently serves, by source (acme, local, files).
# TYPE portcullis_certificates gauge
`
	eventsHead = `# HELP portcullis_certificate_events_total Certificate events since the process started, by type (cert.obtained, cert.renewed, cert.obtain_failed, cert.renewal_failed, cert.expiring, cert.expired).
# TYPE portcullis_certificate_events_total counter
`
	lastCheckHead = `# HELP portcullis_certificate_expiry_last_check_timestamp_seconds When the expiry monitor last checked the served certificates, as a Unix timestamp in seconds; 0 before the first check.
# TYPE portcullis_certificate_expiry_last_check_timestamp_seconds gauge
`
)

var allMetrics = []string{
	"portcullis_certificate_expiry_timestamp_seconds",
	"portcullis_certificate_not_before_timestamp_seconds",
	"portcullis_certificate_renewal_timestamp_seconds",
	"portcullis_certificates",
	"portcullis_certificate_events_total",
	"portcullis_certificate_expiry_last_check_timestamp_seconds",
}

func reversed(c []Cert) []Cert {
	slices.Reverse(c)
	return c
}

func day0(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// switching is a site in the middle of a certificate switch (blog.example
// is served by both), another site serving a name the first also serves,
// and a certificate without expiry.
func switching() []Cert {
	old := Cert{Site: "blog", Info: certs.Info{
		Names: []string{"blog.example", "www.blog.example"}, Issuer: "Test CA", Source: certs.SourceACME, Serial: "0a",
		NotBefore: day0(2026, 9, 4), NotAfter: day0(2026, 12, 3), RenewAt: day0(2026, 11, 24),
	}}
	renewed := Cert{Site: "blog", Info: certs.Info{
		Names: []string{"blog.example", "api.blog.example"}, Issuer: "Test CA", Source: certs.SourceACME, Serial: "0b",
		NotBefore: day0(2026, 11, 23), NotAfter: day0(2027, 2, 21), RenewAt: day0(2027, 1, 21),
	}}
	docs := Cert{Site: "docs", Info: certs.Info{
		Names: []string{"blog.example"}, Issuer: "Other CA", Source: certs.SourceFiles, Serial: "1c",
		NotBefore: day0(2026, 11, 1), NotAfter: day0(2026, 12, 23),
	}}
	broken := Cert{Site: "broken", Info: certs.Info{Names: []string{"x.example"}, Source: certs.SourceFiles}}
	return []Cert{old, renewed, docs, broken}
}

const switchingWant = expiryHead + `portcullis_certificate_expiry_timestamp_seconds{name="api.blog.example",site="blog",source="acme"} 1803168000
portcullis_certificate_expiry_timestamp_seconds{name="blog.example",site="blog",source="acme"} 1803168000
portcullis_certificate_expiry_timestamp_seconds{name="www.blog.example",site="blog",source="acme"} 1796256000
portcullis_certificate_expiry_timestamp_seconds{name="blog.example",site="docs",source="files"} 1797984000
` + notBeforeHead + `portcullis_certificate_not_before_timestamp_seconds{name="api.blog.example",site="blog",source="acme"} 1795392000
portcullis_certificate_not_before_timestamp_seconds{name="blog.example",site="blog",source="acme"} 1795392000
portcullis_certificate_not_before_timestamp_seconds{name="www.blog.example",site="blog",source="acme"} 1788480000
portcullis_certificate_not_before_timestamp_seconds{name="blog.example",site="docs",source="files"} 1793491200
` + renewalHead + `portcullis_certificate_renewal_timestamp_seconds{name="api.blog.example",site="blog",source="acme"} 1800489600
portcullis_certificate_renewal_timestamp_seconds{name="blog.example",site="blog",source="acme"} 1800489600
portcullis_certificate_renewal_timestamp_seconds{name="www.blog.example",site="blog",source="acme"} 1795478400
` + countHead + `portcullis_certificates{source="acme"} 2
portcullis_certificates{source="files"} 1
` + eventsHead + `portcullis_certificate_events_total{type="cert.expired"} 0
portcullis_certificate_events_total{type="cert.expiring"} 1
portcullis_certificate_events_total{type="cert.obtain_failed"} 0
portcullis_certificate_events_total{type="cert.obtained"} 0
portcullis_certificate_events_total{type="cert.renewal_failed"} 0
portcullis_certificate_events_total{type="cert.renewed"} 1
` + lastCheckHead + `portcullis_certificate_expiry_last_check_timestamp_seconds 1795392000.5
`

func TestCollector(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		served  []Cert
		check   bool
		observe []string // event types given to Observe
		want    string
	}{
		{
			name: "nothing served, never checked",
			want: eventsHead + `portcullis_certificate_events_total{type="cert.expired"} 0
portcullis_certificate_events_total{type="cert.expiring"} 0
portcullis_certificate_events_total{type="cert.obtain_failed"} 0
portcullis_certificate_events_total{type="cert.obtained"} 0
portcullis_certificate_events_total{type="cert.renewal_failed"} 0
portcullis_certificate_events_total{type="cert.renewed"} 0
` + lastCheckHead + `portcullis_certificate_expiry_last_check_timestamp_seconds 0
`,
		},
		{
			name:   "switching certificates: the later expiry wins",
			served: switching(),
			check:  true, // emits cert.expiring for 0a (10 days left); 1c's 30 days left is beyond half its 52-day life: no event
			// The bus carries other events too: only certificates' count.
			observe: []string{events.CertRenewed, events.ConfigReloaded, events.HostRejected, events.AuditCompleted},
			want:    switchingWant,
		},
		{
			name:    "same, listed in the reverse order",
			served:  reversed(switching()),
			check:   true,
			observe: []string{events.CertRenewed, events.ConfigReloaded, events.HostRejected, events.AuditCompleted},
			want:    switchingWant,
		},
		{
			name: "invalid UTF-8 in labels is replaced, not a scrape error",
			served: []Cert{{Site: "s\xff", Info: certs.Info{Names: []string{"a\xfe"}, Source: "local",
				NotAfter: day0(2026, 12, 3)}}},
			want: expiryHead + "portcullis_certificate_expiry_timestamp_seconds{name=\"a\uFFFD\",site=\"s\uFFFD\",source=\"local\"} 1796256000\n" +
				countHead + `portcullis_certificates{source="local"} 1
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := testutil.NewClock(t0.Add(500 * time.Millisecond))
			var s served
			s.set(tt.served...)
			var bus events.Bus
			m, err := New(Options{Certificates: s.get, Now: clk.Now, Emit: bus.Emit})
			if err != nil {
				t.Fatal(err)
			}
			bus.Subscribe(m.Observe)
			if tt.check {
				m.Check()
			}
			for _, typ := range tt.observe {
				m.Observe(events.Event{Type: typ})
			}
			names := allMetrics
			if !strings.Contains(tt.want, eventsHead) {
				names = allMetrics[:4]
			}
			if err := promtest.CollectAndCompare(m.Collector(), strings.NewReader(tt.want), names...); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestCollectorLintsCleanAndRegisters(t *testing.T) {
	t.Parallel()
	var s served
	s.set(switching()...)
	m, err := New(Options{Certificates: s.get, Now: testutil.NewClock(t0).Now, Emit: func(events.Event) {}})
	if err != nil {
		t.Fatal(err)
	}
	m.Check()
	problems, err := promtest.CollectAndLint(m.Collector())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(m.Collector()); err != nil {
		t.Fatalf("Register: %v", err)
	}
	if _, err := reg.Gather(); err != nil {
		t.Fatalf("Gather: %v", err)
	}
	// 4 expiry + 4 not-before + 3 renewal series, 2 sources, 6 event
	// types, 1 last check.
	if n := promtest.CollectAndCount(m.Collector()); n != 20 {
		t.Errorf("%d series, want 20", n)
	}
}
