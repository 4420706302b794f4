package selfaudit

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/cert"
	"github.com/portcullis/portcullis/audit/grade"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/report"
	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// wait bounds how long a test waits for the scheduler's goroutine to do
// what it must; it turns a hang into a failure, and is never what a
// test proves something with.
const wait = 10 * time.Second

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// graded is an audit of site with findings, graded.
func graded(site string, fs ...rules.Finding) audit.Report {
	return audit.Report{Target: site + ".localhost", Grade: grade.Of(fs), Findings: fs, Cert: &cert.Info{Subject: "CN=" + site}}
}

// down is an audit that could not reach the site.
func down(site string) audit.Report {
	return audit.Report{Target: site + ".localhost", Errors: []string{"GET https://" + site + ".localhost/: connection refused"}}
}

func finding(id, target string) rules.Finding {
	f := rules.NewFinding(id, id+" found")
	f.Target = target
	return f
}

// harness runs a Scheduler over fake sites and a fake audit, with a
// settable clock and a schedule the test fires.
type harness struct {
	t       *testing.T
	clock   *testutil.Clock
	st      *store.Bolt
	s       *Scheduler
	cancel  context.CancelFunc
	done    chan struct{}
	asked   chan time.Duration // each wait the scheduler starts: it is idle
	fire    chan time.Time
	results chan store.AuditRecord

	mu      sync.Mutex
	sites   []Site
	script  func(site string, n int) audit.Report // the n-th (0-based) audit of site
	calls   map[string]int
	order   []string
	evs     []events.Event
	busy    atomic.Int32
	maxBusy atomic.Int32
	gate    func(site string, n int) <-chan struct{} // when set, an audit waits for it
}

// newHarness makes a harness for the named sites, each audited graded
// with no findings unless the test sets script; start runs it.
func newHarness(t *testing.T, names ...string) *harness {
	h := &harness{t: t, clock: testutil.NewClock(t0), asked: make(chan time.Duration, 100), fire: make(chan time.Time),
		results: make(chan store.AuditRecord, 100), calls: map[string]int{}, done: make(chan struct{})}
	for _, n := range names {
		h.sites = append(h.sites, Site{Name: n, Target: audit.Target{Host: n + ".localhost", HTTPSPort: 443, HTTPPort: 80}})
	}
	h.script = func(site string, _ int) audit.Report { return graded(site) }
	if h.st == nil {
		var err error
		h.st, err = store.OpenFile(filepath.Join(t.TempDir(), "store.db"), store.Options{SweepInterval: -1, Now: h.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.st.Close() })
	}
	return h
}

// start runs a new Scheduler on the harness's store.
func (h *harness) start(o Options) {
	o.Sites = func() []Site {
		h.mu.Lock()
		defer h.mu.Unlock()
		return slices.Clone(h.sites)
	}
	o.Store = h.st
	o.Now = h.clock.Now
	o.After = func(d time.Duration) <-chan time.Time { h.asked <- d; return h.fire }
	o.Emit = func(e events.Event) {
		h.mu.Lock()
		h.evs = append(h.evs, e)
		h.mu.Unlock()
	}
	o.OnResult = func(r store.AuditRecord) { h.results <- r }
	o.Audit = h.audit
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := New(o)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.s, h.cancel, h.done = s, cancel, make(chan struct{})
	go func() { defer close(h.done); s.Run(ctx) }()
	h.t.Cleanup(h.stop)
}

func (h *harness) stop() {
	h.cancel()
	<-h.done
}

func (h *harness) audit(ctx context.Context, s Site) audit.Report {
	if n := h.busy.Add(1); n > h.maxBusy.Load() {
		h.maxBusy.Store(n)
	}
	defer h.busy.Add(-1)
	h.mu.Lock()
	n := h.calls[s.Name]
	h.calls[s.Name]++
	h.order = append(h.order, s.Name)
	gate := h.gate
	h.mu.Unlock()
	if gate != nil {
		if ch := gate(s.Name, n); ch != nil {
			select {
			case <-ch:
			case <-ctx.Done():
				return down(s.Name)
			}
		}
	}
	return h.script(s.Name, n)
}

// idle waits until the scheduler waits for the schedule, and returns how
// long it waits.
func (h *harness) idle() time.Duration { return recv(h.t, h.asked, "the scheduler to go idle") }

// results waits for n results.
func (h *harness) next(n int) []store.AuditRecord {
	var out []store.AuditRecord
	for range n {
		out = append(out, recv(h.t, h.results, "an audit's result"))
	}
	return out
}

func (h *harness) audited() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.order)
}

func (h *harness) events(typ string) []events.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []events.Event
	for _, e := range h.evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func sitesOf(rs []store.AuditRecord) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Site)
	}
	return out
}

// TestSchedule: every site at start, in configuration order; then
// nothing until the earliest site is due, each site again when it is,
// and a triggered audit moves that site's next one back.
func TestSchedule(t *testing.T) {
	h := newHarness(t, "a", "b")
	h.start(Options{Every: 24 * time.Hour})
	if got := sitesOf(h.next(2)); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("start-up audits %v, want a, b", got)
	}
	if d := h.idle(); d != 24*time.Hour {
		t.Errorf("waits %v after the start-up audits, want 24h", d)
	}
	if got := h.audited(); len(got) != 2 {
		t.Fatalf("audits before the schedule fired: %v", got)
	}

	h.clock.Advance(24 * time.Hour)
	h.fire <- h.clock.Now()
	if got := sitesOf(h.next(2)); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("scheduled audits %v, want a, b", got)
	}
	if d := h.idle(); d != 24*time.Hour {
		t.Errorf("waits %v, want 24h", d)
	}

	h.clock.Advance(time.Hour)
	h.s.Trigger("a")
	if r := h.next(1)[0]; r.Site != "a" || !r.Time.Equal(t0.Add(25*time.Hour)) {
		t.Errorf("triggered: %s at %v", r.Site, r.Time)
	}
	if d := h.idle(); d != 23*time.Hour {
		t.Errorf("waits %v after a's triggered audit, want 23h (b is due first)", d)
	}
	h.clock.Advance(23 * time.Hour)
	h.fire <- h.clock.Now()
	if r := h.next(1)[0]; r.Site != "b" {
		t.Errorf("due: %s, want b alone", r.Site)
	}
	if d := h.idle(); d != time.Hour {
		t.Errorf("waits %v, want 1h (a is due next)", d)
	}
	if got := h.audited(); !slices.Equal(got, []string{"a", "b", "a", "b", "a", "b"}) {
		t.Errorf("audits %v", got)
	}
	stored, _ := h.st.Audits(store.AuditQuery{Site: "b"})
	if len(stored) != 3 {
		t.Errorf("%d audits of b stored, want 3", len(stored))
	}
}

// TestNoSchedule: Every 0 audits at start and on triggers only.
func TestNoSchedule(t *testing.T) {
	h := newHarness(t, "a")
	h.start(Options{})
	h.next(1)
	h.s.Trigger()
	h.next(1)
	h.stop() // a scheduler without a schedule never waits on a timer
	select {
	case d := <-h.asked:
		t.Errorf("asked for a timer of %v", d)
	default:
	}
	if got := h.audited(); len(got) != 2 {
		t.Errorf("audits %v, want 2", got)
	}
}

// TestCoalesce: triggers that arrive during an audit merge: the site
// under audit is audited once more, a waiting site once; audits never
// overlap.
func TestCoalesce(t *testing.T) {
	release := make(chan struct{})
	started := make(chan string, 10)
	h := newHarness(t, "a", "b")
	h.gate = func(site string, n int) <-chan struct{} {
		started <- site
		if site == "a" && n == 0 {
			return release
		}
		return nil
	}
	h.start(Options{Every: time.Hour})
	if s := recv(t, started, "the first audit"); s != "a" {
		t.Fatalf("first audit of %s", s)
	}
	for range 3 {
		h.s.Trigger("a")
		h.s.Trigger()
		h.s.Trigger("b", "nope")
	}
	if st := h.s.Status(); st.Running != "a" || !slices.Equal(st.Pending, []string{"a", "b"}) || st.Every != time.Hour {
		t.Errorf("status during the audit: %+v", st)
	}
	close(release)
	h.next(3)
	h.idle()
	if got := h.audited(); !slices.Equal(got, []string{"a", "a", "b"}) {
		t.Errorf("audits %v, want a (start), a (triggered while audited), b (once)", got)
	}
	if n := h.maxBusy.Load(); n != 1 {
		t.Errorf("%d audits at once", n)
	}
	if st := h.s.Status(); st.Running != "" || len(st.Pending) != 0 || !st.Next.Equal(t0.Add(time.Hour)) {
		t.Errorf("status when idle: %+v", st)
	}
}

// TestGradeDropped: a worse letter than the previous graded audit is one
// audit.grade_dropped event naming both grades; a new finding at or
// above AlertOn is an audit.finding_new event of its severity; a failed
// audit is compared with nothing, and the next one with the last graded.
func TestGradeDropped(t *testing.T) {
	corp := finding("header.corp-missing", "https://a.localhost/") // info
	hsts := finding("hsts.missing", "https://a.localhost/")        // medium, caps at B
	frame := finding("header.frame-options-missing", "https://a.localhost/")
	frame.Severity = rules.Low
	script := []audit.Report{
		graded("a", corp),              // 0: baseline
		graded("a", corp, hsts),        // 1: dropped, new medium finding
		graded("a", corp, hsts),        // 2: same
		graded("a", corp, hsts, frame), // 3: new low finding: below alert_on
		down("a"),                      // 4: not audited
		graded("a", hsts),              // 5: corp removed; compared with 3
		graded("a", corp),              // 6: raised
	}
	h := newHarness(t, "a")
	h.script = func(_ string, n int) audit.Report { return script[n] }
	h.start(Options{AlertOn: events.Medium})
	type want struct{ dropped, found int }
	for i, w := range []want{{0, 0}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}} {
		if i > 0 {
			h.s.Trigger("a")
		}
		r := h.next(1)[0]
		dropped, found := h.events(events.AuditGradeDropped), h.events(events.AuditFindingNew)
		if len(dropped) != w.dropped || len(found) != w.found {
			t.Fatalf("after audit %d (%s): %d grade_dropped, %d finding_new; want %d, %d", i, r.Grade, len(dropped), len(found), w.dropped, w.found)
		}
		if n := len(h.events(events.AuditCompleted)); n != i+1 {
			t.Errorf("after audit %d: %d audit.completed", i, n)
		}
	}
	d := h.events(events.AuditGradeDropped)[0]
	if d.Severity != events.High || d.Site != "a" || d.Reason != "A+ → B" || !strings.Contains(d.Message, "from A+ (100/100) to B (90/100)") {
		t.Errorf("grade_dropped: %+v", d)
	}
	f := h.events(events.AuditFindingNew)[0]
	if f.Severity != events.Medium || f.Rule != "hsts.missing" || f.Site != "a" || !strings.Contains(f.Message, "hsts.missing found (https://a.localhost/)") {
		t.Errorf("finding_new: %+v", f)
	}
	c := h.events(events.AuditCompleted)
	if c[1].Reason != "B" || !strings.Contains(c[1].Message, "B (90/100), 1 medium; 1 new since the previous audit") {
		t.Errorf("completed: %+v", c[1])
	}
	if c[4].Reason != "" || !strings.Contains(c[4].Message, "nothing could be audited") || !strings.Contains(c[4].Error, "connection refused") {
		t.Errorf("completed, not audited: %+v", c[4])
	}
}

// TestBaselineAcrossRestarts: a site's first audit raises nothing; after a
// restart, the stored audits are the baseline.
func TestBaselineAcrossRestarts(t *testing.T) {
	h := newHarness(t, "a")
	h.script = func(string, int) audit.Report { return graded("a", finding("hsts.missing", "")) }
	h.start(Options{AlertOn: events.Info})
	h.next(1)
	h.stop()
	if n := len(h.events(events.AuditFindingNew)) + len(h.events(events.AuditGradeDropped)); n != 0 {
		t.Fatalf("a first audit raised %d events", n)
	}
	if last := h.s.Last(); len(last) != 1 || last[0].Grade != "B" {
		t.Errorf("Last() = %+v", last)
	}
	h.script = func(string, int) audit.Report {
		return graded("a", finding("hsts.missing", ""), finding("redirect.missing", ""))
	}
	h.start(Options{AlertOn: events.Info})
	if last := h.s.Last(); len(last) != 1 || last[0].Grade != "B" {
		t.Errorf("Last() of a restarted scheduler before its audit = %+v, want the stored one", last)
	}
	h.next(1)
	if got := h.events(events.AuditFindingNew); len(got) != 1 || got[0].Rule != "redirect.missing" {
		t.Errorf("after the restart: finding_new %+v, want redirect.missing only", got)
	}
	if got := h.events(events.AuditGradeDropped); len(got) != 1 || got[0].Reason != "B → C" {
		t.Errorf("after the restart: grade_dropped %+v", got)
	}
}

// TestRetention: the store's retention applies to audits: after a sweep,
// only the audits within it are left.
func TestRetention(t *testing.T) {
	clock := testutil.NewClock(t0)
	st, err := store.OpenFile(filepath.Join(t.TempDir(), "store.db"), store.Options{SweepInterval: -1, Retention: 48 * time.Hour, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := &harness{t: t, clock: clock, st: st, asked: make(chan time.Duration, 100), fire: make(chan time.Time),
		results: make(chan store.AuditRecord, 100), calls: map[string]int{}}
	h.sites = []Site{{Name: "a", Target: audit.Target{Host: "a.localhost"}}}
	h.script = func(site string, _ int) audit.Report { return graded(site) }
	h.start(Options{Every: 24 * time.Hour})
	h.next(1)
	for range 4 {
		h.idle()
		clock.Advance(24 * time.Hour)
		h.fire <- clock.Now()
		h.next(1)
	}
	h.idle()
	if got, _ := st.Audits(store.AuditQuery{}); len(got) != 5 {
		t.Fatalf("%d audits stored, want 5", len(got))
	}
	if err := st.Sweep(); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Audits(store.AuditQuery{})
	if len(got) != 3 || !got[2].Time.Equal(clock.Now().Add(-48*time.Hour)) {
		t.Errorf("after the sweep: %d audits, oldest %v; want 3, from 48h ago", len(got), got[len(got)-1].Time)
	}
}

// TestSkipped: a site with no name to audit it under is left out, and
// logged once.
func TestSkipped(t *testing.T) {
	var log testutil.Buffer
	h := newHarness(t, "a")
	h.sites = append([]Site{{Name: "catch-all", Skip: `its only host is "*"`}}, h.sites...)
	h.start(Options{Logger: slog.New(slog.NewTextHandler(&log, nil)), Every: time.Hour})
	h.next(1)
	h.idle()
	h.s.Trigger()
	h.next(1)
	h.idle()
	if got := h.audited(); !slices.Equal(got, []string{"a", "a"}) {
		t.Errorf("audits %v", got)
	}
	if n := strings.Count(log.String(), "site=catch-all"); n != 1 {
		t.Errorf("logged %d times:\n%s", n, log.String())
	}
}

// TestStopDiscards: an audit cut short by the scheduler's stop is not
// recorded.
func TestStopDiscards(t *testing.T) {
	started := make(chan struct{})
	h := newHarness(t, "a")
	h.start(Options{})
	h.next(1)
	h.stop()
	h.gate = func(string, int) <-chan struct{} { close(started); return make(chan struct{}) }
	h.start(Options{})
	recv(t, started, "the audit")
	h.stop()
	if got, _ := h.st.Audits(store.AuditQuery{}); len(got) != 1 {
		t.Errorf("%d audits stored, want the first only", len(got))
	}
}

// TestTimeout: an audit past Timeout is recorded with what it saw and
// the timeout as an error.
func TestTimeout(t *testing.T) {
	h := newHarness(t, "a")
	h.gate = func(string, int) <-chan struct{} { return make(chan struct{}) } // until ctx ends
	h.start(Options{Timeout: 50 * time.Millisecond})
	r := h.next(1)[0]
	if r.Audited() || len(r.Errors) != 2 || !strings.Contains(r.Errors[1], "longer than 50ms") {
		t.Errorf("record %+v", r)
	}
}

// TestRecord: the record carries the grade, the findings and the JSON
// report; a report too large for the store loses its evidence first.
func TestRecord(t *testing.T) {
	rep := graded("a", finding("hsts.missing", "https://a.localhost/"))
	rep.Observed = &audit.Observed{Headers: map[string]string{"X": "y"}}
	r := Record("a", rep, t0)
	var tr report.TargetReport
	if err := json.Unmarshal(r.Report, &tr); err != nil {
		t.Fatal(err)
	}
	if r.Grade != "B" || r.Score != 90 || r.Target != "a.localhost" || len(r.Findings) != 1 || r.Findings[0].Severity != rules.Medium ||
		tr.Grade.Letter != "B" || tr.Observed == nil || len(tr.Findings) != 1 || !r.Time.Equal(t0) {
		t.Errorf("record %+v, report %+v", r, tr)
	}
	rep.Observed.Headers["X"] = strings.Repeat("y", store.MaxAuditReport)
	r = Record("a", rep, t0)
	var small report.TargetReport
	if err := json.Unmarshal(r.Report, &small); err != nil || small.Observed != nil || small.Grade.Letter != "B" {
		t.Errorf("large report: %v, %+v", err, small.Observed)
	}
	if d := Diff(Record("a", graded("a"), t0), r); !d.GradeDropped || len(d.Added) != 1 || d.Added[0].Rule != "hsts.missing" {
		t.Errorf("Diff: %+v", d)
	}
}

func TestHost(t *testing.T) {
	for _, tc := range []struct {
		hosts []string
		want  string
	}{
		{[]string{"app.example.com", "www.example.com"}, "app.example.com"},
		{[]string{"*", "App.Example.com."}, "app.example.com"},
		{[]string{".example.com", "www.example.com"}, "www.example.com"},
		{[]string{".example.com", ".example.org"}, "example.com"},
		{[]string{"[::1]"}, "::1"},
		{[]string{"::ffff:127.0.0.1"}, "127.0.0.1"},
		{[]string{"*"}, ""},
		{nil, ""},
	} {
		if got := Host(tc.hosts); got != tc.want {
			t.Errorf("Host(%q) = %q, want %q", tc.hosts, got, tc.want)
		}
	}
}
