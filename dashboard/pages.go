package dashboard

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/report"
	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/selfaudit"
	"github.com/portcullis/portcullis/store"
)

// layout is what every page gets around its own data.
type layout struct {
	Title   string
	Section string // the navigation entry to mark: sites, certificates, events, reports
	SignOut bool   // the visitor signed in with a cookie: offer to sign out
	Version string
	Now     time.Time
	Data    any
}

// parsePages parses each page with the layout, into a template set of
// its own (every page defines "content").
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" || base == "partials.html" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return nil, fmt.Errorf("dashboard: %w", err)
		}
		out[strings.TrimSuffix(base, ".html")] = t
	}
	return out, nil
}

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"iso":        func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"ago":        ago,
	"badge":      badgeClass,
	"sev":        func(s rules.Severity) string { return s.String() },
	"pathEscape": url.PathEscape,
	"join":       strings.Join,
	"stamp":      func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
	"abs":        func(n int) int { return max(n, -n) },
	"pct":        func(f float64) string { return strconv.FormatFloat(f*100, 'g', 4, 64) + "%" },
	// dict makes the map a shared template takes: dict "Key" value….
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, fmt.Errorf("dict: %d arguments, want pairs", len(kv))
		}
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
}

// ago says how long before now t was, roughly.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case t.IsZero():
		return "never"
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " h ago"
	}
	return strconv.Itoa(int(d/day)) + " days ago"
}

// badgeClass is the CSS class of a grade letter's badge.
func badgeClass(letter string) string {
	switch letter {
	case "A+":
		return "g-aplus"
	case "A", "B", "C", "D", "F":
		return "g-" + strings.ToLower(letter)
	}
	return "g-none"
}

// render writes a page with status 200.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, name, title, section string, data any) error {
	return d.renderStatus(w, r, http.StatusOK, name, title, section, data)
}

func (d *Dashboard) renderStatus(w http.ResponseWriter, r *http.Request, code int, name, title, section string, data any) error {
	var buf bytes.Buffer
	l := layout{Title: title, Section: section, Version: d.o.Version, Now: d.o.Now(), Data: data,
		SignOut: d.o.Auth != nil && r.Header.Get("Authorization") == "" && hasCookie(r)}
	if err := d.pages[name].ExecuteTemplate(&buf, "layout", l); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, err := buf.WriteTo(w)
	return err
}

func hasCookie(r *http.Request) bool {
	_, err := r.Cookie(SessionCookie)
	return err == nil
}

// fail answers a page's error: 4xx with its message, 500 with a pointer
// to the log.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := statusOf(err)
	msg := err.Error()
	if code == http.StatusInternalServerError {
		d.o.Logger.Error("dashboard: "+r.URL.Path, "error", err)
		msg = "Something went wrong reading the data; the log says what."
	}
	if rerr := d.renderStatus(w, r, code, "error", http.StatusText(code), "", msg); rerr != nil {
		d.o.Logger.Error("dashboard: rendering the error page", "error", rerr)
		http.Error(w, msg, code)
	}
}

// siteRow is a site on the overview.
type siteRow struct {
	Name  string
	Last  *store.AuditRecord // nil before the first audit
	Trend []trendPoint
	Worst string // the worst open finding's severity, "" for none
}

// trendPoint is one audit in a trend chart, oldest first.
type trendPoint struct {
	Time   time.Time
	Letter string
	Score  int
}

// trendLen is how many audits a trend shows.
const trendLen = 12

func (d *Dashboard) siteRows() ([]siteRow, error) {
	var rows []siteRow
	for _, name := range d.sites() {
		as, err := d.audits(store.AuditQuery{Site: name, Limit: trendLen})
		if err != nil {
			return nil, err
		}
		rows = append(rows, newSiteRow(name, as))
	}
	return rows, nil
}

// newSiteRow is a site with its audits, newest first.
func newSiteRow(name string, as []store.AuditRecord) siteRow {
	row := siteRow{Name: name}
	if len(as) == 0 {
		return row
	}
	row.Last = &as[0]
	for i := len(as) - 1; i >= 0; i-- {
		row.Trend = append(row.Trend, trendPoint{Time: as[i].Time, Letter: as[i].Grade, Score: as[i].Score})
	}
	if fs := as[0].Findings; len(fs) > 0 {
		worst := fs[0].Severity
		for _, f := range fs {
			worst = max(worst, f.Severity)
		}
		row.Worst = worst.String()
	}
	return row
}

// sevCount is how many events of a severity there were.
type sevCount struct {
	Name  string
	Count int
}

type overviewData struct {
	Sites     []siteRow
	NoAudits  bool // no audit history at all
	Certs     []certView
	Attention int // certificates in a warn, crit or expired state
	Recent    []events.Event
	Events    int        // events of the last 24 hours
	BySev     []sevCount // the same by severity, worst first, those with some only
	Capped    bool       // the 24 hours hold more events than were counted
	Reports   int        // report aggregates seen in the last 24 hours
}

func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseParams(r, d.o.Now()); err != nil {
		return err
	}
	now := d.o.Now()
	data := overviewData{NoAudits: d.o.Audits == nil}
	var err error
	if data.Sites, err = d.siteRows(); err != nil {
		return err
	}
	data.Certs = d.certs("")
	for _, c := range data.Certs {
		if c.State != "ok" {
			data.Attention++
		}
	}
	day, err := d.o.Events(store.Query{Since: now.Add(-24 * time.Hour), Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	data.Events, data.Capped = len(day), len(day) == store.MaxLimit
	var bySev [events.Critical + 1]int
	for _, e := range day {
		if e.Severity >= events.Info && e.Severity <= events.Critical {
			bySev[e.Severity]++
		}
		if e.Severity >= events.Medium && len(data.Recent) < 5 {
			data.Recent = append(data.Recent, e)
		}
	}
	for s := events.Critical; s >= events.Info; s-- {
		if bySev[s] > 0 {
			data.BySev = append(data.BySev, sevCount{Name: s.String(), Count: bySev[s]})
		}
	}
	aggs, err := d.o.Reports(store.ReportQuery{Since: now.Add(-24 * time.Hour), Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	data.Reports = len(aggs)
	return d.render(w, r, "overview", "Overview", "sites", data)
}

type siteData struct {
	Site     string
	Row      siteRow
	Findings []rules.Finding // the last audit's, with their evidence
	Certs    []certView
	Events   []events.Event
	CanAudit bool
	NoAudits bool
	Asked    bool // an audit was just asked for
	HasCSP   bool // the CSP page is there (Options.CSP)
}

// siteName is the {site} of the path, a configured site.
func (d *Dashboard) siteName(r *http.Request) (string, error) {
	name := r.PathValue("site")
	if !d.knownSite(name) {
		return "", errNotFound(fmt.Sprintf("no site is named %q", clip(name)))
	}
	return name, nil
}

func (d *Dashboard) site(w http.ResponseWriter, r *http.Request) error {
	name, err := d.siteName(r)
	if err != nil {
		return err
	}
	p, err := parseParams(r, d.o.Now(), "audit")
	if err != nil {
		return err
	}
	as, err := d.audits(store.AuditQuery{Site: name, Limit: trendLen})
	if err != nil {
		return err
	}
	data := siteData{Site: name, Row: newSiteRow(name, as), Certs: d.certs(name),
		CanAudit: d.o.AuditNow != nil, NoAudits: d.o.Audits == nil, Asked: p.str("audit") == "asked", HasCSP: d.o.CSP != nil}
	if data.Row.Last != nil {
		data.Findings = worstFirst(reportOf(*data.Row.Last).Findings)
	}
	if data.Events, err = d.o.Events(store.Query{Site: name, Limit: 10}); err != nil {
		return err
	}
	return d.render(w, r, "site", name, "sites", data)
}

// worstFirst returns the findings sorted by severity, worst first, then
// by rule; never nil.
func worstFirst(fs []rules.Finding) []rules.Finding {
	out := append([]rules.Finding{}, fs...)
	slices.SortStableFunc(out, func(a, b rules.Finding) int {
		if a.Severity != b.Severity {
			return int(b.Severity) - int(a.Severity)
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	return out
}

// oneAudit is the audit a review shows: the last one, or the one at the
// time of the "at" parameter.
func (d *Dashboard) oneAudit(r *http.Request) (store.AuditRecord, error) {
	name, err := d.siteName(r)
	if err != nil {
		return store.AuditRecord{}, err
	}
	p, err := parseParams(r, d.o.Now(), "at")
	if err != nil {
		return store.AuditRecord{}, err
	}
	q := store.AuditQuery{Site: name, Limit: 1}
	at, err := p.time("at")
	if err != nil {
		return store.AuditRecord{}, err
	}
	if !at.IsZero() {
		q.Until = at.Add(time.Nanosecond)
	}
	as, err := d.audits(q)
	if err != nil {
		return store.AuditRecord{}, err
	}
	if len(as) == 0 || !at.IsZero() && !as[0].Time.Equal(at) {
		return store.AuditRecord{}, errNotFound(fmt.Sprintf("no audit of %q to review", name))
	}
	return as[0], nil
}

// meta is how a review names the run that produced it.
func (d *Dashboard) meta(a store.AuditRecord) report.Meta {
	return report.Meta{Version: d.o.Version, Generated: a.Time}
}

// review serves the audit's HTML review, a page of the report package's
// own (inline style, no script): its CSP allows that style by its hash
// and nothing else.
func (d *Dashboard) review(w http.ResponseWriter, r *http.Request) error {
	a, err := d.oneAudit(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.HTML(&buf, []audit.Report{reportOf(a)}, d.meta(a)); err != nil {
		return err
	}
	policy := "default-src 'none'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
	if css, ok := between(buf.String(), "<style>", "</style>"); ok {
		sum := sha256.Sum256([]byte(css))
		policy += "; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	w.Header().Set("Content-Security-Policy", policy)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err = buf.WriteTo(w)
	return err
}

// between returns the text of s between the first open and the close
// after it.
func between(s, open, close string) (string, bool) {
	_, rest, ok := strings.Cut(s, open)
	if !ok {
		return "", false
	}
	in, _, ok := strings.Cut(rest, close)
	return in, ok
}

// reviewMarkdown serves the review as SECURITY_REVIEW.md, to download.
func (d *Dashboard) reviewMarkdown(w http.ResponseWriter, r *http.Request) error {
	a, err := d.oneAudit(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.Markdown(&buf, []audit.Report{reportOf(a)}, d.meta(a)); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="SECURITY_REVIEW.md"`)
	_, err = buf.WriteTo(w)
	return err
}

type historyData struct {
	Site     string
	Entries  []historyEntry
	NoAudits bool
}

// historyEntry is an audit and what changed since the one before.
type historyEntry struct {
	Audit   store.AuditRecord
	Changes report.TargetDiff
	First   bool // the oldest audit kept: nothing to compare with
}

// historyLen is how many audits the history page shows.
const historyLen = 50

func (d *Dashboard) history(w http.ResponseWriter, r *http.Request) error {
	name, err := d.siteName(r)
	if err != nil {
		return err
	}
	if _, err := parseParams(r, d.o.Now()); err != nil {
		return err
	}
	// One more than shown, so the oldest shown has its predecessor.
	as, err := d.audits(store.AuditQuery{Site: name, Limit: historyLen + 1})
	if err != nil {
		return err
	}
	data := historyData{Site: name, NoAudits: d.o.Audits == nil}
	for i, a := range as[:min(len(as), historyLen)] {
		e := historyEntry{Audit: a, First: i+1 >= len(as)}
		if !e.First {
			e.Changes = selfaudit.Diff(as[i+1], a)
		}
		data.Entries = append(data.Entries, e)
	}
	return d.render(w, r, "history", name+": history", "sites", data)
}

// auditNow asks for an audit of the site and shows the site page again.
func (d *Dashboard) auditNow(w http.ResponseWriter, r *http.Request) error {
	name, err := d.siteName(r)
	if err != nil {
		return err
	}
	if d.o.AuditNow == nil {
		return errNotFound("this server does not run audits")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	if err := d.o.AuditNow(ctx, name); err != nil {
		return err
	}
	http.Redirect(w, r, "/sites/"+url.PathEscape(name)+"?audit=asked", http.StatusSeeOther)
	return nil
}

type certificatesData struct {
	Certs []certView
}

func (d *Dashboard) certificates(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r, d.o.Now(), "site")
	if err != nil {
		return err
	}
	site, err := p.site()
	if err != nil {
		return err
	}
	return d.render(w, r, "certificates", "Certificates", "certificates", certificatesData{Certs: d.certs(site)})
}

type eventsData struct {
	Filter filter
	Events []events.Event
	Hours  []hourBar
	Max    int  // the highest hourly count
	Total  int  // events in the 24 hours
	Capped bool // more than were counted
}

// filter is the events and reports pages' form: the choices and what is
// chosen.
type filter struct {
	Sites, Types, Severities []string
	Site, Type, Severity     string
	Since                    string
	Limit                    int
	Limits                   []int
}

// hourBar is one hour of the events chart.
type hourBar struct {
	Start  time.Time
	Count  int
	Height int // percent of the highest hour
}

func (d *Dashboard) events(w http.ResponseWriter, r *http.Request) error {
	now := d.o.Now()
	p, err := parseParams(r, now, "site", "type", "severity", "limit")
	if err != nil {
		return err
	}
	q, err := p.eventQuery(100)
	if err != nil {
		return err
	}
	data := eventsData{Filter: filter{
		Sites: d.sites(), Types: eventTypes(), Severities: []string{"info", "low", "medium", "high", "critical"},
		Site: q.Site, Type: p.str("type"), Severity: q.MinSeverity.String(), Limit: q.Limit, Limits: []int{50, 100, 500, 1000},
	}}
	if data.Events, err = d.o.Events(q); err != nil {
		return err
	}
	// Counts per hour over the last 24 hours, for the same filter.
	end := now.Truncate(time.Hour).Add(time.Hour)
	start := end.Add(-24 * time.Hour)
	cq := q
	cq.Since, cq.Limit = start, store.MaxLimit
	day, err := d.o.Events(cq)
	if err != nil {
		return err
	}
	data.Total, data.Capped = len(day), len(day) == store.MaxLimit
	data.Hours = make([]hourBar, 24)
	for i := range data.Hours {
		data.Hours[i].Start = start.Add(time.Duration(i) * time.Hour)
	}
	for _, e := range day {
		if i := int(e.Time.Sub(start) / time.Hour); i >= 0 && i < 24 {
			data.Hours[i].Count++
		}
	}
	for _, h := range data.Hours {
		data.Max = max(data.Max, h.Count)
	}
	for i := range data.Hours {
		if data.Max > 0 {
			data.Hours[i].Height = (data.Hours[i].Count*100 + data.Max - 1) / data.Max
		}
	}
	return d.render(w, r, "events", "Security events", "events", data)
}

// eventTypes are the choices of the events filter: every family of
// several types ("cert.*"), then every type.
func eventTypes() []string {
	var families []string
	for _, t := range events.Types() {
		f, _, _ := strings.Cut(t, ".")
		if f += ".*"; !slices.Contains(families, f) && len(events.MatchTypes(f)) > 1 {
			families = append(families, f)
		}
	}
	return append(families, events.Types()...)
}

type reportsData struct {
	Filter  filter
	Reports []store.Aggregate
}

func (d *Dashboard) reports(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r, d.o.Now(), "site", "type", "since", "limit")
	if err != nil {
		return err
	}
	q, err := p.reportQuery(100)
	if err != nil {
		return err
	}
	data := reportsData{Filter: filter{Sites: d.sites(), Site: q.Site, Type: q.Type, Since: p.str("since"),
		Limit: q.Limit, Limits: []int{50, 100, 500, 1000}}}
	if data.Reports, err = d.o.Reports(q); err != nil {
		return err
	}
	return d.render(w, r, "reports", "Browser reports", "reports", data)
}
