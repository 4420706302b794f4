// Package selfaudit audits the sites a server serves as a visitor gets
// them, with the engine of `portcullis audit`: a Scheduler audits each
// site at start, on triggers (a reload, a certificate renewal, a person
// asking) and on a schedule, one site at a time and never two audits at
// once; it keeps every result in the store and raises events when a site
// got worse — its grade dropped, or a finding appeared that its previous
// audit did not have.
//
// The package knows nothing of listeners: the server describes each site
// (Site: the name to audit it under, and audit.Options that dial its own
// listeners and trust the site's certificate source).
package selfaudit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/report"
	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/store"
)

// Site is a site to audit.
type Site struct {
	// Name is the configured site's name, the key of its history.
	Name string
	// Target is what is audited; a Host of "" means the site has no name
	// to audit it under, and Skip says why.
	Target audit.Target
	Skip   string
	// Options are the audit's: Resolve to the server's own listeners,
	// Roots of the site's certificate source, Paths.
	Options audit.Options
}

// Store is where results are kept: a store.Store has these methods.
type Store interface {
	AddAudit(store.AuditRecord) error
	Audits(store.AuditQuery) ([]store.AuditRecord, error)
}

// Options configure a Scheduler. Sites and Store are required.
type Options struct {
	// Sites returns the sites served now, in configuration order. It is
	// called before each audit, so a reload's sites are the next ones
	// audited.
	Sites func() []Site
	// Store keeps the results.
	Store Store
	// Emit receives the events (audit.completed, audit.grade_dropped,
	// audit.finding_new); nil drops them.
	Emit events.Sink
	// Every is the longest time between two audits of a site; 0: only at
	// start and on triggers.
	Every time.Duration
	// AlertOn is the lowest severity of a new finding that raises an
	// audit.finding_new event. The zero value, Info, raises one for
	// every new finding.
	AlertOn events.Severity
	// Timeout bounds one site's audit. Default DefaultTimeout.
	Timeout time.Duration
	// Audit audits one site; default: audit.Run of its Target with its
	// Options. Tests replace it.
	Audit func(ctx context.Context, s Site) audit.Report
	// Now is the clock of the schedule and of the records; default
	// time.Now.
	Now func() time.Time
	// After waits for the schedule, as time.After (the default) does.
	After func(time.Duration) <-chan time.Time
	// OnResult, when set, receives each result once it is stored (the
	// server sets its metrics).
	OnResult func(store.AuditRecord)
	// Logger receives what goes wrong (a store that cannot write) and
	// the sites not audited. Default slog.Default().
	Logger *slog.Logger
}

// DefaultTimeout bounds one site's audit when Options.Timeout is zero.
const DefaultTimeout = 2 * time.Minute

// MaxFindingEvents is the most audit.finding_new events one audit raises;
// audit.completed counts the rest.
const MaxFindingEvents = 20

// Scheduler audits the sites. Create it with New, run it with Run.
type Scheduler struct {
	o       Options
	kick    chan struct{}
	running atomic.Bool

	mu      sync.Mutex
	all     bool            // every site is pending
	pending map[string]bool // sites to audit
	current string          // the site being audited
	last    map[string]store.AuditRecord
	base    map[string]store.AuditRecord // the latest graded audit: what a new one is compared with
	loaded  map[string]bool              // last and base were read from the store
	skipped map[string]string            // sites not audited, and why (logged once)
}

// New checks o and returns a Scheduler.
func New(o Options) (*Scheduler, error) {
	if o.Sites == nil || o.Store == nil {
		return nil, errors.New("selfaudit: Options.Sites and Options.Store are required")
	}
	if o.Every < 0 || o.Timeout < 0 {
		return nil, errors.New("selfaudit: Options.Every and Options.Timeout must not be negative")
	}
	if o.Emit == nil {
		o.Emit = func(events.Event) {}
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Audit == nil {
		o.Audit = func(ctx context.Context, s Site) audit.Report {
			return audit.Run(ctx, []audit.Target{s.Target}, s.Options)[0]
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Scheduler{
		o: o, kick: make(chan struct{}, 1), pending: map[string]bool{},
		last: map[string]store.AuditRecord{}, base: map[string]store.AuditRecord{},
		loaded: map[string]bool{}, skipped: map[string]string{},
	}, nil
}

// Trigger asks for audits of the named sites, or of every site when none
// is named, as soon as the audit under way (if any) ends. Triggers merge:
// a site already waiting is audited once, and a site being audited is
// audited once more. A name no site has is ignored. Trigger never
// blocks.
func (s *Scheduler) Trigger(sites ...string) {
	s.mu.Lock()
	if len(sites) == 0 {
		s.all = true
	}
	for _, n := range sites {
		s.pending[n] = true
	}
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run audits every site at once, then each triggered site and each site
// due by the schedule, one at a time, until ctx ends. An audit under way
// then is abandoned and not recorded. A second Run while one runs returns
// at once.
func (s *Scheduler) Run(ctx context.Context) {
	if !s.running.CompareAndSwap(false, true) {
		return
	}
	defer s.running.Store(false)
	s.mu.Lock()
	s.all = true // every site, at start
	s.mu.Unlock()
	for ctx.Err() == nil {
		// A kick sent before now is for a trigger next sees: drained,
		// it would only wake the wait below for nothing.
		select {
		case <-s.kick:
		default:
		}
		if site, ok := s.next(); ok {
			s.auditSite(ctx, site)
			continue
		}
		var due <-chan time.Time
		if d, ok := s.untilDue(); ok {
			due = s.o.After(d)
		}
		select {
		case <-ctx.Done():
		case <-s.kick:
		case <-due:
		}
	}
}

// auditable returns the sites that can be audited, logging once each
// site that cannot.
func (s *Scheduler) auditable() []Site {
	var out []Site
	for _, st := range s.o.Sites() {
		if st.Target.Host == "" {
			s.mu.Lock()
			seen, ok := s.skipped[st.Name]
			s.skipped[st.Name] = st.Skip
			s.mu.Unlock()
			if !ok || seen != st.Skip {
				s.o.Logger.Info("self-audit: site not audited", "site", st.Name, "reason", st.Skip)
			}
			continue
		}
		out = append(out, st)
	}
	return out
}

// next takes the next site to audit: the first pending one in
// configuration order, else the first due by the schedule.
func (s *Scheduler) next() (Site, bool) {
	sites := s.auditable()
	for _, st := range sites {
		s.load(st.Name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.all {
		s.all = false
		for _, st := range sites {
			s.pending[st.Name] = true
		}
	}
	for _, st := range sites {
		if s.pending[st.Name] {
			s.take(st.Name)
			return st, true
		}
	}
	clear(s.pending) // sites a reload removed
	if s.o.Every > 0 {
		now := s.o.Now()
		for _, st := range sites {
			if l, ok := s.last[st.Name]; !ok || !now.Before(l.Time.Add(s.o.Every)) {
				s.take(st.Name)
				return st, true
			}
		}
	}
	return Site{}, false
}

// take marks a site as being audited. Callers hold s.mu.
func (s *Scheduler) take(name string) {
	delete(s.pending, name)
	s.current = name
}

// untilDue is the time until the next site is due by the schedule.
func (s *Scheduler) untilDue() (time.Duration, bool) {
	next, ok := s.nextDue(s.auditable())
	if !ok {
		return 0, false
	}
	return max(next.Sub(s.o.Now()), 0), true
}

// nextDue is when the first of sites is due by the schedule.
func (s *Scheduler) nextDue(sites []Site) (time.Time, bool) {
	if s.o.Every <= 0 || len(sites) == 0 {
		return time.Time{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var next time.Time
	for i, st := range sites {
		at := s.last[st.Name].Time.Add(s.o.Every) // never audited: long due
		if i == 0 || at.Before(next) {
			next = at
		}
	}
	return next, true
}

// load reads a site's latest audit and latest graded audit from the
// store, once.
func (s *Scheduler) load(name string) {
	s.mu.Lock()
	done := s.loaded[name]
	s.loaded[name] = true
	s.mu.Unlock()
	if done {
		return
	}
	recs, err := s.o.Store.Audits(store.AuditQuery{Site: name, Limit: 50})
	if err != nil {
		s.o.Logger.Warn("self-audit: reading the previous audits failed", "site", name, "error", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.last[name]; !ok && len(recs) > 0 {
		s.last[name] = recs[0]
	}
	if _, ok := s.base[name]; !ok {
		for _, r := range recs {
			if r.Audited() {
				s.base[name] = r
				break
			}
		}
	}
}

// auditSite audits one site, stores the result, and emits what changed
// since the site's previous graded audit.
func (s *Scheduler) auditSite(ctx context.Context, site Site) {
	defer func() {
		s.mu.Lock()
		s.current = ""
		s.mu.Unlock()
	}()
	actx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	rep := s.o.Audit(actx, site)
	if errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		rep.Errors = append(rep.Errors, fmt.Sprintf("the audit took longer than %s and was cut short", s.o.Timeout))
	}
	cancel()
	if ctx.Err() != nil { // stopping: what the audit saw is the shutdown's doing
		return
	}
	rec := Record(site.Name, rep, s.o.Now())
	if err := s.o.Store.AddAudit(rec); err != nil {
		s.o.Logger.Warn("self-audit: storing the result failed", "site", site.Name, "error", err)
	}
	s.mu.Lock()
	prev, hasPrev := s.base[site.Name]
	s.last[site.Name] = rec
	if rec.Audited() {
		s.base[site.Name] = rec
	}
	s.mu.Unlock()

	var d report.TargetDiff
	if hasPrev && rec.Audited() {
		d = Diff(prev, rec)
	}
	var worth []report.DiffFinding
	for _, f := range d.Added {
		if f.Severity >= s.o.AlertOn {
			worth = append(worth, f)
		}
	}
	s.o.Emit(completed(rec, len(worth)))
	if d.GradeDropped {
		s.o.Emit(events.Event{
			Type: events.AuditGradeDropped, Severity: events.High, Time: rec.Time, Site: rec.Site,
			Reason:  prev.Grade + " → " + rec.Grade,
			Message: fmt.Sprintf("the grade of %s dropped from %s (%d/100) to %s (%d/100) since its audit of %s", rec.Target, prev.Grade, prev.Score, rec.Grade, rec.Score, prev.Time.UTC().Format(time.RFC3339)),
		})
	}
	for _, f := range worth[:min(len(worth), MaxFindingEvents)] {
		msg := "new finding: " + f.Message
		if f.Target != "" {
			msg += " (" + f.Target + ")"
		}
		s.o.Emit(events.Event{
			Type: events.AuditFindingNew, Severity: f.Severity, Time: rec.Time, Site: rec.Site, Rule: f.Rule,
			Message: store.Clip(msg, store.MaxAuditMessage),
		})
	}
	if s.o.OnResult != nil {
		s.o.OnResult(rec)
	}
}

// completed is the audit.completed event of rec; newFindings counts the
// new findings at or above AlertOn.
func completed(rec store.AuditRecord, newFindings int) events.Event {
	e := events.Event{Type: events.AuditCompleted, Severity: events.Info, Time: rec.Time, Site: rec.Site, Reason: rec.Grade}
	if !rec.Audited() {
		e.Message = fmt.Sprintf("self-audit of %s: nothing could be audited", rec.Target)
		e.Error = store.Clip(strings.Join(rec.Errors, "; "), store.MaxAuditMessage)
		return e
	}
	n := Severities(rec.Findings)
	var parts []string
	for sev := events.Critical; sev > events.Info; sev-- {
		if n[sev] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[sev], sev))
		}
	}
	counts := "no findings above info"
	if len(parts) > 0 {
		counts = strings.Join(parts, ", ")
	}
	e.Message = fmt.Sprintf("self-audit of %s: %s (%d/100), %s", rec.Target, rec.Grade, rec.Score, counts)
	if newFindings > 0 {
		e.Message += fmt.Sprintf("; %d new since the previous audit", newFindings)
	}
	if len(rec.Errors) > 0 {
		e.Message += fmt.Sprintf("; %d probes failed (partial)", len(rec.Errors))
		e.Error = store.Clip(strings.Join(rec.Errors, "; "), store.MaxAuditMessage)
	}
	return e
}

// Record turns a site's audit into what the store keeps: the grade, the
// findings, and the target's report as `portcullis audit --format json`
// writes it (without the observed evidence and the TLS probe when they
// would pass store.MaxAuditReport), clipped to the store's limits.
func Record(site string, rep audit.Report, at time.Time) store.AuditRecord {
	rec := store.AuditRecord{Site: site, Time: at, Target: rep.Target, Errors: rep.Errors}
	if report.Audited(rep) {
		rec.Grade, rec.Score = rep.Grade.Letter, rep.Grade.Score
	}
	for _, f := range rep.Findings {
		rec.Findings = append(rec.Findings, store.AuditFinding{Rule: f.Rule, Severity: f.Severity, Message: f.Message, Target: f.Target})
	}
	tr := report.NewDocument([]audit.Report{rep}, report.Meta{Generated: at}).Targets[0]
	js, err := json.Marshal(tr)
	if err == nil && len(js) > store.MaxAuditReport {
		tr.Observed, tr.TLS = nil, nil
		js, err = json.Marshal(tr)
	}
	if err == nil && len(js) <= store.MaxAuditReport {
		rec.Report = js
	}
	return rec.Normalize(at)
}

// Diff is what changed from one audit of a site to another, as
// `portcullis audit --diff` compares two reports (report.DiffTargets):
// the grades, the findings added and removed.
func Diff(old, new store.AuditRecord) report.TargetDiff {
	o, n := targetOf(old), targetOf(new)
	return report.DiffTargets(&o, &n)
}

func targetOf(a store.AuditRecord) report.TargetReport {
	t := report.TargetReport{Target: a.Target, Audited: a.Audited(), Findings: make([]report.Finding, 0, len(a.Findings))}
	if a.Audited() {
		t.Grade = &report.Grade{Letter: a.Grade, Score: a.Score}
	}
	for _, f := range a.Findings {
		t.Findings = append(t.Findings, report.Finding{Rule: f.Rule, Severity: f.Severity, Message: f.Message, Target: f.Target})
	}
	return t
}

// Status is what a Scheduler is doing.
type Status struct {
	// Running is the site being audited, "" when none is.
	Running string `json:"running"`
	// Pending are the sites waiting for an audit, in configuration order.
	Pending []string `json:"pending"`
	// Next is when the next audit is due by the schedule; zero when
	// there is no schedule.
	Next time.Time `json:"next,omitzero"`
	// Every is the schedule's period; 0 when there is none.
	Every time.Duration `json:"every"`
}

// Status returns what the scheduler is doing now.
func (s *Scheduler) Status() Status {
	sites := s.auditable()
	next, _ := s.nextDue(sites)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{Running: s.current, Next: next, Every: s.o.Every, Pending: []string{}}
	for _, site := range sites {
		if s.all || s.pending[site.Name] {
			st.Pending = append(st.Pending, site.Name)
		}
	}
	return st
}

// Last returns the latest audit of each site served now that has one, in
// configuration order (from the store for a site not audited since
// start).
func (s *Scheduler) Last() []store.AuditRecord {
	var out []store.AuditRecord
	for _, st := range s.o.Sites() {
		s.load(st.Name)
		s.mu.Lock()
		rec, ok := s.last[st.Name]
		s.mu.Unlock()
		if ok {
			out = append(out, rec)
		}
	}
	return out
}

// Host returns the name a site with these hosts is audited under: its
// first exact name or IP address, else the domain of its first
// ".example.com" pattern; "" when it has only "*", which names nothing.
func Host(hosts []string) string {
	domain := ""
	for _, h := range hosts {
		h = strings.TrimSuffix(strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]")), ".")
		switch {
		case h == "" || h == "*":
		case strings.HasPrefix(h, "."):
			if domain == "" {
				domain = h[1:]
			}
		default:
			if a, err := netip.ParseAddr(h); err == nil {
				return a.Unmap().String()
			}
			return h
		}
	}
	return domain
}

// Severities counts findings by severity (index: events.Severity).
func Severities(fs []store.AuditFinding) [5]int {
	var n [5]int
	for _, f := range fs {
		if f.Severity >= rules.Info && f.Severity <= rules.Critical {
			n[f.Severity]++
		}
	}
	return n
}
