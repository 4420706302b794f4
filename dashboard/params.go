package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/store"
)

// statusError is an error with the HTTP status it answers.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

func errBad(format string, a ...any) error {
	return &statusError{http.StatusBadRequest, fmt.Sprintf(format, a...)}
}

func errNotFound(msg string) error { return &statusError{http.StatusNotFound, msg} }

// statusOf is the HTTP status an error answers: 500 unless it says.
func statusOf(err error) int {
	if se, ok := errors.AsType[*statusError](err); ok {
		return se.code
	}
	return http.StatusInternalServerError
}

// params are a request's query parameters, the same for a page and its
// API endpoint. An empty value is the same as none (a form's "all"
// choice).
type params struct {
	v   url.Values
	now time.Time
}

// parseParams reads r's query, which may only use the names allowed,
// each at most once.
func parseParams(r *http.Request, now time.Time, allowed ...string) (params, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return params{}, errBad("the query string does not parse: %v", err)
	}
	for name, vs := range v {
		if !slices.Contains(allowed, name) {
			return params{}, errBad("unknown parameter %q (this accepts %s)", clip(name), strings.Join(allowed, ", "))
		}
		if len(vs) > 1 {
			return params{}, errBad("parameter %q is given %d times", name, len(vs))
		}
	}
	return params{v: v, now: now}, nil
}

// str returns a parameter's value, "" when absent.
func (p params) str(name string) string { return strings.TrimSpace(p.v.Get(name)) }

// site is the site parameter: a site name, "" for all.
func (p params) site() (string, error) {
	s := p.str("site")
	if len(s) > store.MaxSite {
		return "", errBad("site: longer than %d bytes", store.MaxSite)
	}
	return s, nil
}

// limit is the limit parameter: 1 to store.MaxLimit, def when absent.
func (p params) limit(def int) (int, error) {
	s := p.str("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > store.MaxLimit {
		return 0, errBad("limit %q: a count from 1 to %d", clip(s), store.MaxLimit)
	}
	return n, nil
}

// time is a time parameter: an RFC 3339 time, or a duration back from
// now ("24h", "90m"); zero when absent.
func (p params) time(name string) (time.Time, error) {
	s := p.str(name)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return p.now.Add(-d), nil
	}
	return time.Time{}, errBad("%s %q: an RFC 3339 time (2025-01-02T15:04:05Z) or a duration back from now (24h)", name, clip(s))
}

// severity is the severity parameter, the least severe kept: info (all)
// when absent.
func (p params) severity() (events.Severity, error) {
	s := p.str("severity")
	if s == "" {
		return events.Info, nil
	}
	sev, err := events.ParseSeverity(s)
	if err != nil {
		return 0, errBad("severity %q: one of info, low, medium, high, critical", clip(s))
	}
	return sev, nil
}

// eventType is the type parameter of events: a type ("host.rejected")
// or a family ("cert." or "cert.*"), as store.Query takes it.
func (p params) eventType() (string, error) {
	s := p.str("type")
	switch {
	case s == "":
		return "", nil
	case slices.Contains(events.Types(), s):
		return s, nil
	}
	family := strings.TrimSuffix(s, "*")
	if strings.HasSuffix(family, ".") && len(events.MatchTypes(family+"*")) > 0 {
		return family, nil
	}
	return "", errBad("type %q: an event type (host.rejected, cert.expiring…) or a family (cert.*)", clip(s))
}

// reportType is the type parameter of reports: a Reporting API type.
func (p params) reportType() (string, error) {
	s := p.str("type")
	if len(s) > store.MaxType {
		return "", errBad("type: longer than %d bytes", store.MaxType)
	}
	return s, nil
}

// eventQuery is the store.Query of the events page and endpoint.
func (p params) eventQuery(def int) (q store.Query, err error) {
	if q.Site, err = p.site(); err != nil {
		return q, err
	}
	if q.Type, err = p.eventType(); err != nil {
		return q, err
	}
	if q.MinSeverity, err = p.severity(); err != nil {
		return q, err
	}
	if q.Since, err = p.time("since"); err != nil {
		return q, err
	}
	if q.Until, err = p.time("until"); err != nil {
		return q, err
	}
	q.Limit, err = p.limit(def)
	return q, err
}

// reportQuery is the store.ReportQuery of the reports page and endpoint.
func (p params) reportQuery(def int) (q store.ReportQuery, err error) {
	if q.Site, err = p.site(); err != nil {
		return q, err
	}
	if q.Type, err = p.reportType(); err != nil {
		return q, err
	}
	if q.Since, err = p.time("since"); err != nil {
		return q, err
	}
	q.Limit, err = p.limit(def)
	return q, err
}

// auditQuery is the AuditQuery of the audits endpoint.
func (p params) auditQuery(def int) (q store.AuditQuery, err error) {
	if q.Site, err = p.site(); err != nil {
		return q, err
	}
	if q.Since, err = p.time("since"); err != nil {
		return q, err
	}
	if q.Until, err = p.time("until"); err != nil {
		return q, err
	}
	q.Limit, err = p.limit(def)
	return q, err
}

// clip shortens what a client sent for an error message.
func clip(s string) string { return store.Clip(s, 100) }
