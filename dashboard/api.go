package dashboard

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/expiry"
	"github.com/portcullis/portcullis/store"
)

// APIPrefix is where the JSON API lives. Its field names are stable:
// fields may be added, none renamed or removed within v1.
const APIPrefix = "/api/v1/"

// apiError is the body of every API error.
type apiError struct {
	Error string `json:"error"`
}

// AuditsResponse is GET /api/v1/audits: audits newest first.
type AuditsResponse struct {
	Audits []AuditJSON `json:"audits"`
}

// AuditJSON is one self-audit of a site.
type AuditJSON struct {
	Site   string    `json:"site"`
	Time   time.Time `json:"time"`
	Target string    `json:"target"`
	Grade  string    `json:"grade"` // A+ to F; "" when nothing could be audited
	Score  int       `json:"score"` // 0 to 100
	// Findings are what the audit found open, worst first.
	Findings []store.AuditFinding `json:"findings"`
	// Errors are the probes that could not run.
	Errors []string `json:"errors,omitempty"`
}

// EventsResponse is GET /api/v1/events: events newest first.
type EventsResponse struct {
	Events []events.Event `json:"events"`
}

// ReportsResponse is GET /api/v1/reports: aggregates most recently seen
// first.
type ReportsResponse struct {
	Reports []store.Aggregate `json:"reports"`
}

// CertificatesResponse is GET /api/v1/certificates: certificates soonest
// to expire first.
type CertificatesResponse struct {
	Certificates []CertificateJSON `json:"certificates"`
}

// CertificateJSON is one certificate served now.
type CertificateJSON struct {
	Site      string    `json:"site"`
	Names     []string  `json:"names"`
	Issuer    string    `json:"issuer"`
	Source    string    `json:"source"` // local, files, acme
	KeyType   string    `json:"key_type"`
	Serial    string    `json:"serial"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// DaysLeft is the whole days until NotAfter, negative once expired.
	DaysLeft int `json:"days_left"`
	// RenewAt is when portcullis renews it; absent for certificate files.
	RenewAt time.Time `json:"renew_at,omitzero"`
	// Renewal is "scheduled" (RenewAt ahead), "due" (RenewAt passed
	// within the hour), "overdue" (more than an hour ago) or "manual"
	// (certificate files: portcullis does not renew them).
	Renewal string `json:"renewal"`
}

// json adapts an endpoint: GET (and HEAD) only, the value as JSON, errors
// as {"error": "…"} with their status.
func (d *Dashboard) json(h func(r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSON(w, http.StatusMethodNotAllowed, apiError{Error: r.Method + " is not allowed: the API is read-only (GET)"})
			return
		}
		v, err := h(r)
		if err != nil {
			code := statusOf(err)
			msg := err.Error()
			if code == http.StatusInternalServerError {
				d.o.Logger.Error("dashboard: "+r.URL.Path, "error", err)
				msg = "the store could not be read (the log says why)"
			}
			writeJSON(w, code, apiError{Error: msg})
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func (d *Dashboard) apiAudits(r *http.Request) (any, error) {
	p, err := parseParams(r, d.o.Now(), "site", "since", "until", "limit")
	if err != nil {
		return nil, err
	}
	q, err := p.auditQuery(store.DefaultLimit)
	if err != nil {
		return nil, err
	}
	as, err := d.audits(q)
	if err != nil {
		return nil, err
	}
	out := AuditsResponse{Audits: make([]AuditJSON, 0, len(as))}
	for _, a := range as {
		out.Audits = append(out.Audits, auditJSON(a))
	}
	return out, nil
}

func auditJSON(a store.AuditRecord) AuditJSON {
	return AuditJSON{Site: a.Site, Time: a.Time.UTC(), Target: a.Target, Grade: a.Grade, Score: a.Score,
		Findings: nonNil(a.Findings), Errors: a.Errors}
}

func (d *Dashboard) apiEvents(r *http.Request) (any, error) {
	p, err := parseParams(r, d.o.Now(), "site", "type", "severity", "since", "until", "limit")
	if err != nil {
		return nil, err
	}
	q, err := p.eventQuery(store.DefaultLimit)
	if err != nil {
		return nil, err
	}
	es, err := d.o.Events(q)
	if err != nil {
		return nil, err
	}
	return EventsResponse{Events: nonNil(es)}, nil
}

func (d *Dashboard) apiReports(r *http.Request) (any, error) {
	p, err := parseParams(r, d.o.Now(), "site", "type", "since", "limit")
	if err != nil {
		return nil, err
	}
	q, err := p.reportQuery(store.DefaultLimit)
	if err != nil {
		return nil, err
	}
	as, err := d.o.Reports(q)
	if err != nil {
		return nil, err
	}
	return ReportsResponse{Reports: nonNil(as)}, nil
}

func (d *Dashboard) apiCertificates(r *http.Request) (any, error) {
	p, err := parseParams(r, d.o.Now(), "site")
	if err != nil {
		return nil, err
	}
	site, err := p.site()
	if err != nil {
		return nil, err
	}
	out := CertificatesResponse{Certificates: []CertificateJSON{}}
	for _, c := range d.certs(site) {
		out.Certificates = append(out.Certificates, c.CertificateJSON)
	}
	return out, nil
}

// certs describes the certificates served now (of one site, unless ""),
// soonest to expire first.
func (d *Dashboard) certs(site string) []certView {
	now := d.o.Now()
	var out []certView
	for _, c := range d.o.Certificates() {
		if site == "" || c.Site == site {
			out = append(out, newCertView(c, now))
		}
	}
	slices.SortStableFunc(out, func(a, b certView) int { return a.NotAfter.Compare(b.NotAfter) })
	return out
}

// certView is a certificate with what the page and the API derive from
// it.
type certView struct {
	CertificateJSON
	Lifetime int    // days from NotBefore to NotAfter
	Elapsed  int    // percent of the lifetime gone, 0 to 100
	RenewPos int    // percent of the lifetime where renewal falls; -1 for none
	State    string // ok, warn, crit, expired
}

const day = 24 * time.Hour

func newCertView(c expiry.Cert, now time.Time) certView {
	v := certView{CertificateJSON: CertificateJSON{
		Site: c.Site, Names: nonNil(c.Names), Issuer: c.Issuer, Source: c.Source, KeyType: c.KeyType, Serial: c.Serial,
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), RenewAt: c.RenewAt.UTC(),
		DaysLeft: daysUntil(now, c.NotAfter),
	}, RenewPos: -1}
	switch {
	case c.RenewAt.IsZero():
		v.Renewal = "manual"
	case now.Before(c.RenewAt):
		v.Renewal = "scheduled"
	case now.Sub(c.RenewAt) <= time.Hour:
		v.Renewal = "due"
	default:
		v.Renewal = "overdue"
	}
	life := c.NotAfter.Sub(c.NotBefore)
	v.Lifetime = int(life / day)
	if life > 0 {
		v.Elapsed = percent(now.Sub(c.NotBefore), life)
		if !c.RenewAt.IsZero() {
			v.RenewPos = percent(c.RenewAt.Sub(c.NotBefore), life)
		}
	}
	// The state says whether someone should look: never for a
	// certificate portcullis renews on time, however short-lived; for
	// certificate files, which people renew, a month ahead.
	left := c.NotAfter.Sub(now)
	switch {
	case left <= 0:
		v.State = "expired"
	case v.Renewal == "overdue", v.Renewal == "manual" && left < 7*day:
		v.State = "crit"
	case v.Renewal == "due", v.Renewal == "manual" && left < 30*day:
		v.State = "warn"
	default:
		v.State = "ok"
	}
	return v
}

// daysUntil is the whole days from now to t, rounded towards minus
// infinity (an hour after expiry is day -1).
func daysUntil(now, t time.Time) int {
	d := t.Sub(now)
	n := int(d / day)
	if d < 0 && d%day != 0 {
		n--
	}
	return n
}

// percent is part/whole in percent, clamped to 0..100.
func percent(part, whole time.Duration) int {
	return min(100, max(0, int(float64(part)/float64(whole)*100+0.5)))
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
