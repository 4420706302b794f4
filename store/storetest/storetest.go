// Package storetest is a conformance suite for store.Store
// implementations: the queries, aggregation, clipping, retention and
// size bound package store documents, checked the same way against any
// store — store.Bolt (one file in the data directory) as the reference,
// and the Redis store of cluster mode (package cluster).
//
// Run takes a Harness that opens empty stores; each check opens its own.
package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/store"
)

// Store is what the suite checks: a store.Store whose retention and size
// bound can be applied on demand.
type Store interface {
	store.Store
	// Sweep applies retention and the size bound now.
	Sweep() error
}

// Harness opens the store under test.
type Harness struct {
	// Open returns a new, empty store with o, whose SweepInterval is
	// negative (the checks call Sweep). The harness closes it when the
	// test ends, if the check has not (Close then fails with
	// store.ErrClosed, which the harness ignores).
	Open func(t *testing.T, o store.Options) Store
	// Another, when not nil, opens another instance on the data of s,
	// as another process of a cluster would: the Shared check then runs.
	Another func(t *testing.T, s Store, o store.Options) Store
}

// A Check is one property of a store.
type Check struct {
	// Name is the subtest's name.
	Name string
	// What says what the check asserts, for reports.
	What string
	// Run checks it.
	Run func(t *testing.T, h Harness)
}

// Checks lists the suite, in order.
var Checks = []Check{
	{"Events", "events come back whole, newest first, filtered by site, type or family, severity and time range, within the limit", checkEvents},
	{"EventsZeroTime", "an event without a time gets the store's clock", checkZeroTime},
	{"EventsInvalid", "an event that cannot be stored fails the whole call, naming it; nothing is stored", checkInvalid},
	{"Reports", "reports count into one aggregate per site, type, directive, blocked origin and document; first and last seen, the latest's details; most recently seen first; filters", checkReports},
	{"ReportsClipped", "every field of a report is clipped to its limit at a UTF-8 boundary", checkReportsClipped},
	{"Audits", "audits come back whole, newest first, by site, time range and limit; a zero time is the store's clock", checkAudits},
	{"AuditsBounded", "an audit is clipped to the limits; an invalid severity is refused; invalid report JSON is dropped", checkAuditsBounded},
	{"Retention", "a sweep deletes events, audits and aggregates (by last seen) older than the retention, by the store's clock", checkRetention},
	{"SizeBound", "writing far more than MaxBytes keeps a part, the newest: the oldest events, audits and aggregates are deleted first", checkSizeBound},
	{"Concurrent", "writers and readers at once: every event written is there, every report counted", checkConcurrent},
	{"Shared", "two instances on the same data: each sees the other's events and audits, reports merge into one aggregate", checkShared},
	{"Closed", "a closed store says so: store.ErrClosed", checkClosed},
}

// Run runs every check as a subtest of t, in parallel.
func Run(t *testing.T, h Harness) {
	for _, c := range Checks {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			c.Run(t, h)
		})
	}
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func open(t *testing.T, h Harness, o store.Options) Store {
	t.Helper()
	o.SweepInterval = -1
	return h.Open(t, o)
}

func ev(typ, site string, sev events.Severity, at time.Time, msg string) events.Event {
	return events.Event{Type: typ, Site: site, Severity: sev, Time: at, Message: msg}
}

func messages(es []events.Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Message)
	}
	return out
}

func checkEvents(t *testing.T, h Harness) {
	s := open(t, h, store.Options{})
	in := []events.Event{
		ev(events.CertExpiring, "app", events.Medium, t0, "e1"),
		ev(events.HostRejected, "app", events.Low, t0.Add(time.Minute), "e2"),
		ev(events.CertExpired, "blog", events.High, t0.Add(2*time.Minute), "e3"),
		ev(events.ReportReceived, "blog", events.Info, t0.Add(3*time.Minute), "e4"),
		ev(events.ConfigReloaded, "", events.Info, t0.Add(4*time.Minute+time.Nanosecond), "e5"),
	}
	in[1].Client, in[1].Path = "203.0.113.9", "/login"
	in[2].Names, in[2].NotAfter = []string{"blog.example"}, t0
	if err := s.AddEvents(in[:3]...); err != nil {
		t.Fatal(err)
	}
	if err := s.AddEvents(in[3:]...); err != nil {
		t.Fatal(err)
	}
	all, err := s.Events(store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if got := messages(all); !slices.Equal(got, []string{"e5", "e4", "e3", "e2", "e1"}) {
		t.Fatalf("Events() = %v, want newest first", got)
	}
	if all[3].Client != "203.0.113.9" || all[3].Path != "/login" || !all[2].NotAfter.Equal(t0) || all[2].Names[0] != "blog.example" ||
		all[2].Severity != events.High || !all[0].Time.Equal(in[4].Time) {
		t.Errorf("fields lost: %+v", all)
	}
	for _, tc := range []struct {
		name string
		q    store.Query
		want []string
	}{
		{"site", store.Query{Site: "blog"}, []string{"e4", "e3"}},
		{"type", store.Query{Type: events.CertExpired}, []string{"e3"}},
		{"family", store.Query{Type: "cert."}, []string{"e3", "e1"}},
		{"family needs the dot", store.Query{Type: "cert"}, nil},
		{"severity", store.Query{MinSeverity: events.Medium}, []string{"e3", "e1"}},
		{"since", store.Query{Since: t0.Add(3 * time.Minute)}, []string{"e5", "e4"}},
		{"since, to the nanosecond", store.Query{Since: t0.Add(4*time.Minute + time.Nanosecond)}, []string{"e5"}},
		{"until excludes its instant", store.Query{Until: t0.Add(4*time.Minute + time.Nanosecond)}, []string{"e4", "e3", "e2", "e1"}},
		{"until", store.Query{Until: t0.Add(time.Minute)}, []string{"e1"}},
		{"until after all", store.Query{Until: t0.Add(time.Hour)}, []string{"e5", "e4", "e3", "e2", "e1"}},
		{"until before all", store.Query{Until: t0.Add(-time.Hour)}, nil},
		{"range", store.Query{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}, []string{"e3", "e2"}},
		{"limit", store.Query{Limit: 2}, []string{"e5", "e4"}},
		{"limit after a filter", store.Query{Site: "app", Limit: 1}, []string{"e2"}},
		{"all filters", store.Query{Site: "app", Type: "cert.", MinSeverity: events.Low, Since: t0}, []string{"e1"}},
	} {
		got, err := s.Events(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(messages(got), tc.want) {
			t.Errorf("%s: %+v → %v, want %v", tc.name, tc.q, messages(got), tc.want)
		}
	}
	// Beyond a page of whatever the store reads at once: the limit and
	// the order hold, and a filter reaches old events.
	var many []events.Event
	for i := range 1500 {
		many = append(many, ev(events.HostRejected, "busy", events.Low, t0.Add(time.Hour+time.Duration(i)*time.Millisecond), fmt.Sprint(i)))
	}
	if err := s.AddEvents(many...); err != nil {
		t.Fatal(err)
	}
	got, err := s.Events(store.Query{Limit: 1200})
	if err != nil || len(got) != 1200 || got[0].Message != "1499" || got[1199].Message != "300" {
		t.Errorf("Events(Limit 1200) = %d events (%v), first %v", len(got), err, messages(got[:min(len(got), 1)]))
	}
	if got, _ := s.Events(store.Query{Site: "app"}); !slices.Equal(messages(got), []string{"e2", "e1"}) {
		t.Errorf("the oldest events behind 1500 newer: %v", messages(got))
	}
}

func checkZeroTime(t *testing.T, h Harness) {
	s := open(t, h, store.Options{Now: func() time.Time { return t0 }})
	if err := s.AddEvents(events.Event{Type: events.BackupDone, Message: "x"}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Events(store.Query{})
	if len(got) != 1 || !got[0].Time.Equal(t0) {
		t.Errorf("got %+v, want Time %v", got, t0)
	}
}

func checkInvalid(t *testing.T, h Harness) {
	s := open(t, h, store.Options{})
	err := s.AddEvents(ev("a", "", events.Info, t0, "ok"), ev("b", "", events.Severity(9), t0, "bad"))
	if err == nil || !strings.Contains(err.Error(), "event 2") {
		t.Fatalf("AddEvents = %v, want an error naming event 2", err)
	}
	if got, _ := s.Events(store.Query{}); len(got) != 0 {
		t.Errorf("stored %v: want all or nothing", messages(got))
	}
}

func rep(site, typ, dir, blocked, doc string, at time.Time) store.Report {
	return store.Report{Time: at, Site: site, Type: typ, Directive: dir, Blocked: blocked, Document: doc, Disposition: "enforce"}
}

func checkReports(t *testing.T, h Harness) {
	s := open(t, h, store.Options{})
	r1 := rep("app", "csp-violation", "script-src-elem", "https://evil.example", "/login", t0)
	r1.Sample = "first"
	r2 := r1
	r2.Time, r2.Sample, r2.Disposition = t0.Add(time.Minute), "latest", "report"
	r3 := rep("app", "csp-violation", "script-src-elem", "inline", "/login", t0.Add(30*time.Second))
	r4 := rep("blog", "deprecation", "UnloadHandler", "", "/", t0.Add(2*time.Minute))
	old := r1
	old.Time, old.Sample = t0.Add(-time.Hour), "older, out of order"
	if err := s.AddReports(r1, r2, r3); err != nil {
		t.Fatal(err)
	}
	if err := s.AddReports(r4, old); err != nil {
		t.Fatal(err)
	}
	got, err := s.Reports(store.ReportQuery{})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Aggregate{
		{Site: "blog", Type: "deprecation", Directive: "UnloadHandler", Document: "/", Count: 1, First: r4.Time, Last: r4.Time, Disposition: "enforce"},
		{Site: "app", Type: "csp-violation", Directive: "script-src-elem", Blocked: "https://evil.example", Document: "/login",
			Count: 3, First: old.Time, Last: r2.Time, Disposition: "report", Sample: "latest"},
		{Site: "app", Type: "csp-violation", Directive: "script-src-elem", Blocked: "inline", Document: "/login", Count: 1,
			First: r3.Time, Last: r3.Time, Disposition: "enforce"},
	}
	if len(got) != len(want) {
		t.Fatalf("Reports() = %+v, want %+v", got, want)
	}
	for i := range want {
		if !sameAggregate(got[i], want[i]) {
			t.Errorf("aggregate %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	for _, tc := range []struct {
		q    store.ReportQuery
		want int
	}{
		{store.ReportQuery{Site: "app"}, 2}, {store.ReportQuery{Type: "deprecation"}, 1}, {store.ReportQuery{Since: t0.Add(45 * time.Second)}, 2},
		{store.ReportQuery{Since: r2.Time}, 2}, {store.ReportQuery{Since: r2.Time.Add(time.Nanosecond)}, 1},
		{store.ReportQuery{Limit: 1}, 1}, {store.ReportQuery{Site: "app", Type: "deprecation"}, 0},
	} {
		if got, err := s.Reports(tc.q); err != nil || len(got) != tc.want {
			t.Errorf("Reports(%+v) = %d aggregates, %v; want %d", tc.q, len(got), err, tc.want)
		}
	}
}

func sameAggregate(a, b store.Aggregate) bool {
	ta, tb := a, b
	ta.First, ta.Last, tb.First, tb.Last = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return ta == tb && a.First.Equal(b.First) && a.Last.Equal(b.Last)
}

func checkReportsClipped(t *testing.T, h Harness) {
	s := open(t, h, store.Options{})
	long := strings.Repeat("é", 1000) // 2 bytes each: clipping must not split one
	if err := s.AddReports(store.Report{Time: t0, Site: long, Type: long, Directive: long, Blocked: long, Document: long, Sample: long, Source: long, Disposition: long}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Reports(store.ReportQuery{})
	if err != nil || len(got) != 1 {
		t.Fatalf("Reports() = %+v, %v", got, err)
	}
	a := got[0]
	for _, f := range []struct {
		name string
		v    string
		max  int
	}{
		{"Site", a.Site, store.MaxSite}, {"Type", a.Type, store.MaxType}, {"Directive", a.Directive, store.MaxDirective}, {"Blocked", a.Blocked, store.MaxBlocked},
		{"Document", a.Document, store.MaxDocument}, {"Sample", a.Sample, store.MaxSample}, {"Source", a.Source, store.MaxSource}, {"Disposition", a.Disposition, 16},
	} {
		if len(f.v) > f.max || len(f.v) < f.max-1 || strings.ContainsRune(f.v, '\uFFFD') {
			t.Errorf("%s: %d bytes, want clipped to %d at a rune boundary", f.name, len(f.v), f.max)
		}
	}
	// The same report again counts into the same (clipped) aggregate.
	if err := s.AddReports(store.Report{Time: t0, Site: long, Type: long, Directive: long, Blocked: long, Document: long}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Reports(store.ReportQuery{}); len(got) != 1 || got[0].Count != 2 {
		t.Errorf("a clipped report again: %+v, want one aggregate of 2", got)
	}
}

func audit(site string, at time.Time, grade string, score int, rules ...string) store.AuditRecord {
	a := store.AuditRecord{Site: site, Time: at, Target: site + ".localhost", Grade: grade, Score: score,
		Report: json.RawMessage(`{"target":"` + site + `.localhost"}`)}
	for _, r := range rules {
		a.Findings = append(a.Findings, store.AuditFinding{Rule: r, Severity: events.Medium, Message: r + " failed", Target: "https://" + site + ".localhost/"})
	}
	return a
}

func grades(as []store.AuditRecord) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Site+":"+a.Grade)
	}
	return out
}

func checkAudits(t *testing.T, h Harness) {
	s := open(t, h, store.Options{Now: func() time.Time { return t0.Add(time.Hour) }})
	in := []store.AuditRecord{
		audit("app", t0, "A+", 100),
		audit("blog", t0.Add(time.Minute), "B", 80, "hsts.missing"),
		audit("app", t0.Add(2*time.Minute), "A", 90, "csp.missing"),
		audit("blog", time.Time{}, "", 0), // not audited; the store's time
	}
	in[3].Errors = []string{"GET https://blog.localhost/: timeout"}
	for _, a := range in {
		if err := s.AddAudit(a); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.Audits(store.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if got := grades(all); !slices.Equal(got, []string{"blog:", "app:A", "blog:B", "app:A+"}) {
		t.Fatalf("Audits() = %v, want newest first", got)
	}
	if a := all[1]; a.Score != 90 || a.Target != "app.localhost" || len(a.Findings) != 1 || a.Findings[0] != in[2].Findings[0] ||
		string(a.Report) != `{"target":"app.localhost"}` || !a.Time.Equal(in[2].Time) || !a.Audited() {
		t.Errorf("fields lost: %+v", a)
	}
	if a := all[0]; !a.Time.Equal(t0.Add(time.Hour)) || a.Audited() || len(a.Errors) != 1 {
		t.Errorf("not audited: %+v, want the store's time, no grade, the error", a)
	}
	for _, tc := range []struct {
		name string
		q    store.AuditQuery
		want []string
	}{
		{"site", store.AuditQuery{Site: "app"}, []string{"app:A", "app:A+"}},
		{"last of a site", store.AuditQuery{Site: "blog", Limit: 1}, []string{"blog:"}},
		{"unknown site", store.AuditQuery{Site: "nope"}, nil},
		{"since", store.AuditQuery{Since: t0.Add(time.Minute)}, []string{"blog:", "app:A", "blog:B"}},
		{"until", store.AuditQuery{Until: t0.Add(2 * time.Minute)}, []string{"blog:B", "app:A+"}},
		{"range and site", store.AuditQuery{Site: "app", Since: t0.Add(time.Second), Until: t0.Add(time.Hour)}, []string{"app:A"}},
		{"limit", store.AuditQuery{Limit: 2}, []string{"blog:", "app:A"}},
	} {
		got, err := s.Audits(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(grades(got), tc.want) {
			t.Errorf("%s: %+v → %v, want %v", tc.name, tc.q, grades(got), tc.want)
		}
	}
}

func checkAuditsBounded(t *testing.T, h Harness) {
	s := open(t, h, store.Options{})
	a := audit("app", t0, "F", 0)
	for i := range store.MaxAuditFindings + 10 {
		a.Findings = append(a.Findings, store.AuditFinding{Rule: "header.x", Severity: events.Low, Message: strings.Repeat("m", 5000), Target: fmt.Sprint(i)})
	}
	for range store.MaxAuditErrors + 1 {
		a.Errors = append(a.Errors, strings.Repeat("e", 5000))
	}
	a.Site = strings.Repeat("s", 300)
	a.Report = json.RawMessage(`{"x":"` + strings.Repeat("r", store.MaxAuditReport) + `"}`)
	if err := s.AddAudit(a); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Audits(store.AuditQuery{})
	if len(got) != 1 {
		t.Fatalf("%d audits", len(got))
	}
	g := got[0]
	if len(g.Findings) != store.MaxAuditFindings || len(g.Findings[0].Message) != store.MaxAuditMessage || len(g.Errors) != store.MaxAuditErrors ||
		len(g.Errors[0]) != store.MaxAuditMessage || len(g.Site) != store.MaxSite || g.Report != nil {
		t.Errorf("not clipped: %d findings, message %d bytes, %d errors, site %d bytes, report %d bytes",
			len(g.Findings), len(g.Findings[0].Message), len(g.Errors), len(g.Site), len(g.Report))
	}
	bad := audit("app", t0, "A", 90)
	bad.Findings = []store.AuditFinding{{Rule: "x", Severity: events.Severity(9)}}
	if err := s.AddAudit(bad); err == nil {
		t.Error("an invalid severity was stored")
	}
	bad = audit("app", t0, "A", 90)
	bad.Report = json.RawMessage(`{not json`)
	if err := s.AddAudit(bad); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Audits(store.AuditQuery{Limit: 1}); len(got) != 1 || got[0].Report != nil {
		t.Errorf("invalid report JSON kept: %+v", got)
	}
}

func checkRetention(t *testing.T, h Harness) {
	clock := testutil.NewClock(t0)
	s := open(t, h, store.Options{Retention: 24 * time.Hour, Now: clock.Now})
	must(t, s.AddEvents(ev("a", "", events.Info, t0, "old"), ev("b", "", events.Info, t0.Add(12*time.Hour), "middle")))
	must(t, s.AddReports(rep("s", "csp-violation", "img-src", "", "/old", t0), rep("s", "csp-violation", "img-src", "", "/again", t0)))
	must(t, s.AddAudit(audit("app", t0, "A+", 100)))
	must(t, s.AddAudit(audit("app", t0.Add(20*time.Hour), "A", 90)))
	clock.Advance(30 * time.Hour)
	must(t, s.AddEvents(ev("c", "", events.Info, clock.Now(), "new")))
	must(t, s.AddReports(rep("s", "csp-violation", "img-src", "", "/again", clock.Now())))
	must(t, s.Sweep())
	got, _ := s.Events(store.Query{})
	if !slices.Equal(messages(got), []string{"new", "middle"}) {
		t.Errorf("after the sweep: %v, want new, middle", messages(got))
	}
	aggs, _ := s.Reports(store.ReportQuery{})
	if len(aggs) != 1 || aggs[0].Document != "/again" || aggs[0].Count != 2 {
		t.Errorf("aggregates after the sweep: %+v, want /again only", aggs)
	}
	if as, _ := s.Audits(store.AuditQuery{}); !slices.Equal(grades(as), []string{"app:A"}) {
		t.Errorf("audits after the sweep: %v, want the one within retention", grades(as))
	}
	clock.Advance(25 * time.Hour)
	must(t, s.Sweep())
	if got, _ := s.Events(store.Query{}); len(got) != 0 {
		t.Errorf("after the retention: %v", messages(got))
	}
	if aggs, _ := s.Reports(store.ReportQuery{}); len(aggs) != 0 {
		t.Errorf("aggregates after the retention: %+v", aggs)
	}
	if as, _ := s.Audits(store.AuditQuery{}); len(as) != 0 {
		t.Errorf("audits after the retention: %v", grades(as))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func checkSizeBound(t *testing.T, h Harness) {
	const max = 1 << 20
	s := open(t, h, store.Options{MaxBytes: max, Retention: -1})
	msg := strings.Repeat("x", 200)
	at := t0
	for i := range 100 {
		batch := make([]events.Event, 100)
		for j := range batch {
			at = at.Add(time.Second)
			batch[j] = ev("e", "site", events.Low, at, fmt.Sprintf("%d-%s", i*100+j, msg))
		}
		must(t, s.AddEvents(batch...))
		must(t, s.AddReports(rep("site", "csp-violation", "script-src", "inline", fmt.Sprintf("/page/%d", i), at)))
		if i%10 == 0 {
			a := audit("site", at, "A", 90)
			a.Report = json.RawMessage(`{"pad":"` + strings.Repeat("p", 10<<10) + `"}`)
			must(t, s.AddAudit(a))
		}
		must(t, s.Sweep())
	}
	got, _ := s.Events(store.Query{Limit: store.MaxLimit})
	if len(got) < 1000 || len(got) > 4000 {
		t.Errorf("%d events kept of 10000 (~330 bytes each in %d bytes)", len(got), max)
	}
	if len(got) > 0 && !strings.HasPrefix(got[0].Message, "9999-") {
		t.Errorf("newest event kept is %.10s, want 9999", got[0].Message)
	}
	aggs, _ := s.Reports(store.ReportQuery{Limit: store.MaxLimit})
	if len(aggs) == 0 || len(aggs) == 100 || aggs[0].Document != "/page/99" {
		t.Errorf("%d aggregates kept: want the oldest deleted with the events of their time, the newest kept", len(aggs))
	}
	as, _ := s.Audits(store.AuditQuery{Limit: store.MaxLimit})
	if len(as) == 0 || len(as) == 10 || len(got) == 0 {
		t.Fatalf("%d audits kept of 10, %d events: want the oldest deleted, the newest kept", len(as), len(got))
	}
	// Deletion merges the kinds by time: the oldest audit kept is not
	// much older than the oldest event kept.
	if d := got[len(got)-1].Time.Sub(as[len(as)-1].Time); d > 20*time.Minute {
		t.Errorf("oldest audit kept %v, oldest event %v: not deleted by time", as[len(as)-1].Time, got[len(got)-1].Time)
	}
}

func checkConcurrent(t *testing.T, h Harness) {
	s := open(t, h, store.Options{MaxBytes: -1})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				if err := s.AddEvents(ev("e", fmt.Sprint(w), events.Info, t0.Add(time.Duration(i)*time.Second), fmt.Sprint(i))); err != nil {
					t.Error(err)
				}
				if err := s.AddReports(rep(fmt.Sprint(w), "t", "d", "", "/", t0)); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			for range 50 {
				if _, err := s.Events(store.Query{Site: fmt.Sprint(w)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for w := range 4 {
		got, _ := s.Events(store.Query{Site: fmt.Sprint(w)})
		aggs, _ := s.Reports(store.ReportQuery{Site: fmt.Sprint(w)})
		if len(got) != 50 || len(aggs) != 1 || aggs[0].Count != 50 {
			t.Errorf("writer %d: %d events, aggregates %+v; want 50 of each", w, len(got), aggs)
		}
	}
}

func checkShared(t *testing.T, h Harness) {
	if h.Another == nil {
		t.Skip("the store is one process's: no Another")
	}
	o := store.Options{SweepInterval: -1}
	a := open(t, h, o)
	b := h.Another(t, a, o)
	must(t, a.AddEvents(ev(events.CertExpiring, "app", events.Medium, t0, "from a")))
	must(t, b.AddEvents(ev(events.CertExpiring, "app", events.Medium, t0.Add(time.Second), "from b")))
	must(t, a.AddAudit(audit("app", t0, "A", 90)))
	var wg sync.WaitGroup
	for _, s := range []Store{a, b} {
		wg.Go(func() {
			for i := range 25 {
				if err := s.AddReports(rep("app", "csp-violation", "img-src", "", "/", t0.Add(time.Duration(i)*time.Second))); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for name, s := range map[string]Store{"a": a, "b": b} {
		got, _ := s.Events(store.Query{})
		if !slices.Equal(messages(got), []string{"from b", "from a"}) {
			t.Errorf("%s sees %v", name, messages(got))
		}
		if as, _ := s.Audits(store.AuditQuery{}); len(as) != 1 {
			t.Errorf("%s sees %d audits", name, len(as))
		}
		aggs, _ := s.Reports(store.ReportQuery{})
		if len(aggs) != 1 || aggs[0].Count != 50 || !aggs[0].First.Equal(t0) || !aggs[0].Last.Equal(t0.Add(24*time.Second)) {
			t.Errorf("%s sees %+v, want one aggregate of 50 reports", name, aggs)
		}
	}
}

func checkClosed(t *testing.T, h Harness) {
	s := open(t, h, store.Options{})
	must(t, s.Close())
	for name, err := range map[string]error{
		"AddEvents": s.AddEvents(events.Event{}), "AddReports": s.AddReports(store.Report{}), "AddAudit": s.AddAudit(store.AuditRecord{}),
		"Close": s.Close(), "Sweep": s.Sweep(),
	} {
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	if _, err := s.Events(store.Query{}); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Events after Close: %v", err)
	}
	if _, err := s.Reports(store.ReportQuery{}); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Reports after Close: %v", err)
	}
	if _, err := s.Audits(store.AuditQuery{}); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Audits after Close: %v", err)
	}
}
