package dashboard

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/cert"
	"github.com/portcullis/portcullis/audit/grade"
	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/expiry"
	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/selfaudit"
	"github.com/portcullis/portcullis/store"
)

// now is the fake's clock.
var now = time.Date(2026, 3, 14, 15, 30, 0, 0, time.UTC)

// fake is what a dashboard shows in these tests, and what it was asked.
type fake struct {
	mu      sync.Mutex
	events  []events.Event
	reports []store.Aggregate
	certs   []expiry.Cert
	audits  []store.AuditRecord // newest first
	reps    []audit.Report      // the reports of audits
	queries []any               // every query received, in order
	err     error               // returned by every read when set
	csp     *SiteCSP            // Options.CSP's answer for every site; nil: no CSP page
}

func (f *fake) record(q any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	return f.err
}

func (f *fake) last() any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queries[len(f.queries)-1]
}

func (f *fake) Events(q store.Query) ([]events.Event, error) {
	if err := f.record(q); err != nil {
		return nil, err
	}
	var out []events.Event
	for _, e := range f.events {
		if (q.Site == "" || e.Site == q.Site) && e.Severity >= q.MinSeverity && (q.Since.IsZero() || !e.Time.Before(q.Since)) &&
			(q.Type == "" || e.Type == q.Type || strings.HasSuffix(q.Type, ".") && strings.HasPrefix(e.Type, q.Type)) && len(out) < q.Limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fake) Reports(q store.ReportQuery) ([]store.Aggregate, error) {
	if err := f.record(q); err != nil {
		return nil, err
	}
	var out []store.Aggregate
	for _, a := range f.reports {
		if (q.Site == "" || a.Site == q.Site) && (q.Type == "" || a.Type == q.Type) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (f *fake) Audits(q store.AuditQuery) ([]store.AuditRecord, error) {
	if err := f.record(q); err != nil {
		return nil, err
	}
	var out []store.AuditRecord
	for _, a := range f.audits {
		if (q.Site == "" || a.Site == q.Site) && (q.Until.IsZero() || a.Time.Before(q.Until)) &&
			(q.Since.IsZero() || !a.Time.Before(q.Since)) && len(out) < q.Limit {
			out = append(out, a)
		}
	}
	return out, nil
}

// seeded returns a fake with two sites' worth of data: two audits of
// "app" (B, then A+ with one finding resolved and one added), a
// certificate per site, events and a report.
func seeded() *fake {
	hsts := rules.NewFinding("hsts.missing", "no Strict-Transport-Security header")
	hsts.Target = "https://app.test/"
	csp := rules.NewFinding("csp.unsafe-inline", "script-src allows 'unsafe-inline' <script>alert(1)</script>")
	csp.Target = "https://app.test/"
	info := rules.NewFinding("hsts.no-preload", "no preload token")
	info.Severity = rules.Info
	older := audit.Report{Target: "app.test:8443", Findings: []rules.Finding{hsts, csp}, Duration: 1500 * time.Millisecond,
		Cert: &cert.Info{Subject: "CN=app.test", Issuer: "CN=test CA", Names: []string{"app.test"}, NotBefore: now.Add(-24 * time.Hour),
			NotAfter: now.Add(60 * 24 * time.Hour), DaysLeft: 60, KeyType: "ECDSA P-256", Signature: "ECDSA-SHA256", Serial: "1f", Trusted: true}}
	older.Grade = grade.Of(older.Findings)
	newer := older
	newer.Findings = []rules.Finding{info}
	newer.Grade = grade.Of(newer.Findings)
	leaf := func(site string, names []string, source string, before, after, renew time.Duration) expiry.Cert {
		info := certs.Info{Names: names, Issuer: "test CA", Source: source, NotBefore: now.Add(-before), NotAfter: now.Add(after),
			KeyType: "ECDSA P-256", Serial: "2a"}
		if renew != 0 {
			info.RenewAt = now.Add(renew)
		}
		return expiry.Cert{Site: site, Info: info}
	}
	return &fake{
		reps: []audit.Report{newer, older},
		audits: []store.AuditRecord{
			selfaudit.Record("app", newer, now.Add(-time.Hour)),
			selfaudit.Record("app", older, now.Add(-25*time.Hour)),
		},
		certs: []expiry.Cert{
			leaf("app", []string{"app.test", "www.app.test"}, certs.SourceLocal, 2*24*time.Hour, 5*24*time.Hour, -2*time.Hour),
			leaf("shop", []string{"shop.test"}, certs.SourceFiles, 30*24*time.Hour, 60*24*time.Hour, 0),
			leaf("shop", []string{"old.shop.test"}, certs.SourceFiles, 300*24*time.Hour, 20*24*time.Hour, 0),
		},
		events: []events.Event{
			{Type: events.CrossOriginBlocked, Severity: events.Medium, Time: now.Add(-10 * time.Minute), Site: "app",
				Method: "POST", Host: "app.test", Path: "/login", Client: "203.0.113.9", Message: "cross-origin request blocked"},
			{Type: events.HostRejected, Severity: events.Low, Time: now.Add(-2 * time.Hour), Host: "evil.test", Path: "/<b>x</b>",
				Client: "198.51.100.7", Message: "no site serves this Host"},
			{Type: events.CertExpiring, Severity: events.High, Time: now.Add(-30 * time.Hour), Site: "shop", Names: []string{"shop.test"},
				Message: "certificate expires in 7 days"},
		},
		reports: []store.Aggregate{{Site: "app", Type: "csp-violation", Directive: "img-src", Blocked: "https://images.example",
			Document: "/page", Count: 3, First: now.Add(-3 * time.Hour), Last: now.Add(-5 * time.Minute), Disposition: "enforce"}},
	}
}

// newTest builds a dashboard over f; auth may be nil.
func newTest(t *testing.T, f *fake, auth *Auth) *Dashboard {
	t.Helper()
	o := Options{
		Sites:        func() []string { return []string{"app", "shop"} },
		Events:       f.Events,
		Reports:      f.Reports,
		Certificates: func() []expiry.Cert { return slices.Clone(f.certs) },
		Auth:         auth,
		Now:          func() time.Time { return now },
		Logger:       slog.New(slog.DiscardHandler),
		Version:      "v9.9.9-test",
	}
	if f.audits != nil {
		o.Audits = f.Audits
	}
	if f.csp != nil {
		o.CSP = func(site string) (SiteCSP, error) {
			sc := *f.csp
			sc.Input.Site = site
			return sc, nil
		}
	}
	d, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// get asks d for target and returns the response and its body.
func get(t *testing.T, h http.Handler, method, target string, header ...string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	resp := w.Result()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}
