package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/internal/testutil"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// open opens a store in a temporary directory, without background sweep
// unless o asks for one, closed at the end of the test.
func open(t testing.TB, o Options) *Bolt {
	t.Helper()
	if o.SweepInterval == 0 {
		o.SweepInterval = -1
	}
	b, err := Open(datadir.Dir(filepath.Join(t.TempDir(), "data")), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Error(err)
		}
	})
	return b
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

// TestEvents: events come back whole, newest first, filtered by site,
// type (or family), severity and time, within the limit.
func TestEvents(t *testing.T) {
	b := open(t, Options{})
	in := []events.Event{
		ev(events.CertExpiring, "app", events.Medium, t0, "e1"),
		ev(events.HostRejected, "app", events.Low, t0.Add(time.Minute), "e2"),
		ev(events.CertExpired, "blog", events.High, t0.Add(2*time.Minute), "e3"),
		ev(events.ReportReceived, "blog", events.Info, t0.Add(3*time.Minute), "e4"),
		ev(events.ConfigReloaded, "", events.Info, t0.Add(4*time.Minute), "e5"),
	}
	in[1].Client, in[1].Path, in[1].Names = "203.0.113.9", "/login", nil
	in[2].Names, in[2].NotAfter = []string{"blog.example"}, t0
	if err := b.AddEvents(in[:3]...); err != nil {
		t.Fatal(err)
	}
	if err := b.AddEvents(in[3:]...); err != nil {
		t.Fatal(err)
	}
	all, err := b.Events(Query{})
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
		q    Query
		want []string
	}{
		{"site", Query{Site: "blog"}, []string{"e4", "e3"}},
		{"type", Query{Type: events.CertExpired}, []string{"e3"}},
		{"family", Query{Type: "cert."}, []string{"e3", "e1"}},
		{"family needs the dot", Query{Type: "cert"}, nil},
		{"severity", Query{MinSeverity: events.Medium}, []string{"e3", "e1"}},
		{"since", Query{Since: t0.Add(3 * time.Minute)}, []string{"e5", "e4"}},
		{"until", Query{Until: t0.Add(time.Minute)}, []string{"e1"}},
		{"until after all", Query{Until: t0.Add(time.Hour)}, []string{"e5", "e4", "e3", "e2", "e1"}},
		{"until before all", Query{Until: t0.Add(-time.Hour)}, nil},
		{"range", Query{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}, []string{"e3", "e2"}},
		{"limit", Query{Limit: 2}, []string{"e5", "e4"}},
		{"all filters", Query{Site: "app", Type: "cert.", MinSeverity: events.Low, Since: t0}, []string{"e1"}},
	} {
		got, err := b.Events(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(messages(got), tc.want) {
			t.Errorf("%s: %+v → %v, want %v", tc.name, tc.q, messages(got), tc.want)
		}
	}
}

// TestEventsZeroTime: an event without a time gets the store's clock.
func TestEventsZeroTime(t *testing.T) {
	b := open(t, Options{Now: func() time.Time { return t0 }})
	if err := b.AddEvents(events.Event{Type: events.BackupDone, Message: "x"}); err != nil {
		t.Fatal(err)
	}
	got, _ := b.Events(Query{})
	if len(got) != 1 || !got[0].Time.Equal(t0) {
		t.Errorf("got %+v, want Time %v", got, t0)
	}
}

// TestEventsInvalid: an event that cannot be stored fails the whole call.
func TestEventsInvalid(t *testing.T) {
	b := open(t, Options{})
	err := b.AddEvents(ev("a", "", events.Info, t0, "ok"), ev("b", "", events.Severity(9), t0, "bad"))
	if err == nil || !strings.Contains(err.Error(), "event 2") {
		t.Fatalf("AddEvents = %v, want an error naming event 2", err)
	}
	if got, _ := b.Events(Query{}); len(got) != 0 {
		t.Errorf("stored %v: want all or nothing", messages(got))
	}
}

func rep(site, typ, dir, blocked, doc string, at time.Time) Report {
	return Report{Time: at, Site: site, Type: typ, Directive: dir, Blocked: blocked, Document: doc, Disposition: "enforce"}
}

// TestReports: reports count into one aggregate per site, type,
// directive, blocked origin and document; the latest report's details
// are kept; aggregates come most recently seen first.
func TestReports(t *testing.T) {
	b := open(t, Options{})
	r1 := rep("app", "csp-violation", "script-src-elem", "https://evil.example", "/login", t0)
	r1.Sample = "first"
	r2 := r1
	r2.Time, r2.Sample, r2.Disposition = t0.Add(time.Minute), "latest", "report"
	r3 := rep("app", "csp-violation", "script-src-elem", "inline", "/login", t0.Add(30*time.Second))
	r4 := rep("blog", "deprecation", "UnloadHandler", "", "/", t0.Add(2*time.Minute))
	old := r1
	old.Time, old.Sample = t0.Add(-time.Hour), "older, out of order"
	if err := b.AddReports(r1, r2, r3); err != nil {
		t.Fatal(err)
	}
	if err := b.AddReports(r4, old); err != nil {
		t.Fatal(err)
	}
	got, err := b.Reports(ReportQuery{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Aggregate{
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
		if got[i] != want[i] {
			t.Errorf("aggregate %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	for _, tc := range []struct {
		q    ReportQuery
		want int
	}{
		{ReportQuery{Site: "app"}, 2}, {ReportQuery{Type: "deprecation"}, 1}, {ReportQuery{Since: t0.Add(45 * time.Second)}, 2},
		{ReportQuery{Limit: 1}, 1}, {ReportQuery{Site: "app", Type: "deprecation"}, 0},
	} {
		if got, err := b.Reports(tc.q); err != nil || len(got) != tc.want {
			t.Errorf("Reports(%+v) = %d aggregates, %v; want %d", tc.q, len(got), err, tc.want)
		}
	}
}

// TestReportsClipped: no field of a report makes a key or value large.
func TestReportsClipped(t *testing.T) {
	b := open(t, Options{})
	long := strings.Repeat("é", 1000) // 2 bytes each: clipping must not split one
	if err := b.AddReports(Report{Time: t0, Site: long, Type: long, Directive: long, Blocked: long, Document: long, Sample: long, Source: long, Disposition: long}); err != nil {
		t.Fatal(err)
	}
	got, _ := b.Reports(ReportQuery{})
	a := got[0]
	for _, f := range []struct {
		name string
		v    string
		max  int
	}{
		{"Site", a.Site, MaxSite}, {"Type", a.Type, MaxType}, {"Directive", a.Directive, MaxDirective}, {"Blocked", a.Blocked, MaxBlocked},
		{"Document", a.Document, MaxDocument}, {"Sample", a.Sample, MaxSample}, {"Source", a.Source, MaxSource}, {"Disposition", a.Disposition, 16},
	} {
		if len(f.v) > f.max || len(f.v) < f.max-1 || strings.ContainsRune(f.v, '\uFFFD') {
			t.Errorf("%s: %d bytes, want clipped to %d at a rune boundary", f.name, len(f.v), f.max)
		}
	}
	if Clip("a\xffb", 10) != "a\uFFFDb" {
		t.Errorf("Clip(invalid UTF-8) = %q", Clip("a\xffb", 10))
	}
}

// TestRetention: a sweep deletes events and aggregates older than the
// retention, by the store's clock; an aggregate seen again lives on.
func TestRetention(t *testing.T) {
	clock := testutil.NewClock(t0)
	b := open(t, Options{Retention: 24 * time.Hour, Now: clock.Now})
	b.AddEvents(ev("a", "", events.Info, t0, "old"), ev("b", "", events.Info, t0.Add(12*time.Hour), "middle"))
	b.AddReports(rep("s", "csp-violation", "img-src", "", "/old", t0), rep("s", "csp-violation", "img-src", "", "/again", t0))
	clock.Advance(30 * time.Hour)
	b.AddEvents(ev("c", "", events.Info, clock.Now(), "new"))
	b.AddReports(rep("s", "csp-violation", "img-src", "", "/again", clock.Now()))
	if err := b.Sweep(); err != nil {
		t.Fatal(err)
	}
	got, _ := b.Events(Query{})
	if !slices.Equal(messages(got), []string{"new", "middle"}) {
		t.Errorf("after the sweep: %v, want new, middle", messages(got))
	}
	aggs, _ := b.Reports(ReportQuery{})
	if len(aggs) != 1 || aggs[0].Document != "/again" || aggs[0].Count != 2 {
		t.Errorf("aggregates after the sweep: %+v, want /again only", aggs)
	}
	clock.Advance(25 * time.Hour)
	b.Sweep()
	if got, _ := b.Events(Query{}); len(got) != 0 {
		t.Errorf("after the retention: %v", messages(got))
	}
	if aggs, _ := b.Reports(ReportQuery{}); len(aggs) != 0 {
		t.Errorf("aggregates after the retention: %+v", aggs)
	}
	if err := b.Check(); err != nil {
		t.Error(err)
	}
}

// TestSizeBound: writing far more than MaxBytes, with sweeps between
// writes, keeps the file within MaxBytes and the newest events, and
// deletes the oldest events and aggregates first.
func TestSizeBound(t *testing.T) {
	const max = 1 << 20
	b := open(t, Options{MaxBytes: max, Retention: -1})
	msg := strings.Repeat("x", 200)
	at := t0
	for i := range 100 {
		batch := make([]events.Event, 100)
		for j := range batch {
			at = at.Add(time.Second)
			batch[j] = ev("e", "site", events.Low, at, fmt.Sprintf("%d-%s", i*100+j, msg))
		}
		if err := b.AddEvents(batch...); err != nil {
			t.Fatal(err)
		}
		if err := b.AddReports(rep("site", "csp-violation", "script-src", "inline", fmt.Sprintf("/page/%d", i), at)); err != nil {
			t.Fatal(err)
		}
		if err := b.Sweep(); err != nil {
			t.Fatal(err)
		}
	}
	used, file, err := b.Usage()
	if err != nil {
		t.Fatal(err)
	}
	if file > max || used > max*9/10 {
		t.Errorf("file %d bytes, %d in use: want at most %d and %d", file, used, max, max*9/10)
	}
	got, _ := b.Events(Query{Limit: MaxLimit})
	if len(got) < 1000 || len(got) > 4000 {
		t.Errorf("%d events kept of 10000 (~330 bytes each in %d bytes)", len(got), max)
	}
	if !strings.HasPrefix(got[0].Message, "9999-") {
		t.Errorf("newest event kept is %.10s, want 9999", got[0].Message)
	}
	aggs, _ := b.Reports(ReportQuery{Limit: MaxLimit})
	if len(aggs) == 0 || len(aggs) == 100 || aggs[0].Document != "/page/99" {
		t.Errorf("%d aggregates kept, newest %+v: want the oldest deleted with the events of their time", len(aggs), aggs[0])
	}
	if err := b.Check(); err != nil {
		t.Error(err)
	}
}

// TestBackgroundSweep: writes that fill the file start a sweep without
// waiting for the interval.
func TestBackgroundSweep(t *testing.T) {
	const max = 1 << 20
	b := open(t, Options{MaxBytes: max, SweepInterval: time.Hour})
	msg := strings.Repeat("y", 500)
	for i := range 40 {
		batch := make([]events.Event, 100)
		for j := range batch {
			batch[j] = ev("e", "", events.Info, t0.Add(time.Duration(i*100+j)*time.Millisecond), msg)
		}
		if err := b.AddEvents(batch...); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 10*time.Second, "the sweep bringing the store under MaxBytes", func() bool {
		used, file, err := b.Usage()
		return err == nil && used <= max*9/10 && file <= max
	})
}

// TestCompact: compaction keeps every record, shrinks the file, and a
// leftover of an interrupted one is removed on open.
func TestCompact(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "store.db")
	b, err := OpenFile(path, Options{SweepInterval: -1, Retention: -1, MaxBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		batch := make([]events.Event, 100)
		for j := range batch {
			batch[j] = ev("e", "", events.Info, t0.Add(time.Duration(i*100+j)*time.Second), strings.Repeat("z", 300))
		}
		b.AddEvents(batch...)
	}
	b.AddReports(rep("s", "t", "d", "", "/", t0))
	clock := func() time.Time { return t0.Add(5000 * time.Second) }
	b.o.Retention, b.o.Now = 2500*time.Second, clock // keep the newest half
	if err := b.Sweep(); err != nil {
		t.Fatal(err)
	}
	_, before, _ := b.Usage()
	if err := b.Compact(); err != nil {
		t.Fatal(err)
	}
	_, after, _ := b.Usage()
	if after >= before {
		t.Errorf("file %d bytes after compaction, %d before", after, before)
	}
	got, _ := b.Events(Query{Limit: MaxLimit})
	if len(got) != 2500 {
		t.Errorf("%d events after compaction, want 2500", len(got))
	}
	if err := b.Check(); err != nil {
		t.Error(err)
	}
	if err := b.AddEvents(ev("after", "", events.Info, clock(), "after")); err != nil {
		t.Errorf("write after compaction: %v", err)
	}
	b.Close()

	os.WriteFile(path+compactSuffix, []byte("half a compaction"), 0o600)
	b, err = OpenFile(path, Options{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := os.Stat(path + compactSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("leftover compaction file: %v", err)
	}
	if got, _ := b.Events(Query{Type: "after"}); len(got) != 1 {
		t.Errorf("event written after compaction lost: %v", got)
	}
}

// TestConcurrent: writers and readers at once (run with -race); every
// event written is there.
func TestConcurrent(t *testing.T) {
	b := open(t, Options{MaxBytes: -1})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				if err := b.AddEvents(ev("e", fmt.Sprint(w), events.Info, t0.Add(time.Duration(i)*time.Second), fmt.Sprint(i))); err != nil {
					t.Error(err)
				}
				if err := b.AddReports(rep(fmt.Sprint(w), "t", "d", "", "/", t0)); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			for range 50 {
				if _, err := b.Events(Query{Site: fmt.Sprint(w)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Go(func() {
		for range 3 {
			if err := b.Compact(); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	for w := range 4 {
		got, _ := b.Events(Query{Site: fmt.Sprint(w)})
		aggs, _ := b.Reports(ReportQuery{Site: fmt.Sprint(w)})
		if len(got) != 50 || len(aggs) != 1 || aggs[0].Count != 50 {
			t.Errorf("writer %d: %d events, aggregates %+v; want 50 of each", w, len(got), aggs)
		}
	}
}

// TestClosed: a closed store says so.
func TestClosed(t *testing.T) {
	b := open(t, Options{})
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"AddEvents": b.AddEvents(events.Event{}), "AddReports": b.AddReports(Report{}), "Close": b.Close(), "Compact": b.Compact(),
		"Check": b.Check(), "Sweep": b.Sweep(),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	if _, err := b.Events(Query{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Events after Close: %v", err)
	}
	if _, err := b.Reports(ReportQuery{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Reports after Close: %v", err)
	}
}

// TestNewerFormat: a file written by a newer layout is refused, not
// misread.
func TestNewerFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	b, err := OpenFile(path, Options{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	b.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyVersion, []byte{formatVersion + 1}) })
	b.Close()
	if _, err := OpenFile(path, Options{SweepInterval: -1}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("OpenFile of a newer format: %v", err)
	}
}

// TestSizeBoundLowered: a file larger than a lowered MaxBytes is cut down
// and compacted by the first sweep.
func TestSizeBoundLowered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	b, err := OpenFile(path, Options{SweepInterval: -1, MaxBytes: -1, Retention: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		batch := make([]events.Event, 100)
		for j := range batch {
			batch[j] = ev("e", "", events.Info, t0.Add(time.Duration(i*100+j)*time.Second), strings.Repeat("w", 1000))
		}
		b.AddEvents(batch...)
	}
	_, before, _ := b.Usage()
	b.Close()
	const max = 1 << 20
	b, err = OpenFile(path, Options{SweepInterval: -1, MaxBytes: max, Retention: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Sweep(); err != nil {
		t.Fatal(err)
	}
	used, file, _ := b.Usage()
	if before < 4*max || file > max || used > max*3/4 || used < max/2 {
		t.Errorf("file %d bytes before, %d after (%d in use): want at most %d, and about three quarters in use", before, file, used, max)
	}
	if got, _ := b.Events(Query{Limit: 1}); len(got) != 1 || !got[0].Time.Equal(t0.Add(3999*time.Second)) {
		t.Errorf("newest event lost: %v", got)
	}
	if err := b.Check(); err != nil {
		t.Error(err)
	}
}

func audit(site string, at time.Time, grade string, score int, rules ...string) AuditRecord {
	a := AuditRecord{Site: site, Time: at, Target: site + ".localhost", Grade: grade, Score: score,
		Report: json.RawMessage(`{"target":"` + site + `.localhost"}`)}
	for _, r := range rules {
		a.Findings = append(a.Findings, AuditFinding{Rule: r, Severity: events.Medium, Message: r + " failed", Target: "https://" + site + ".localhost/"})
	}
	return a
}

func grades(as []AuditRecord) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Site+":"+a.Grade)
	}
	return out
}

// TestAudits: audits come back whole, newest first, by site, within a
// time range and the limit.
func TestAudits(t *testing.T) {
	b := open(t, Options{Now: func() time.Time { return t0.Add(time.Hour) }})
	in := []AuditRecord{
		audit("app", t0, "A+", 100),
		audit("blog", t0.Add(time.Minute), "B", 80, "hsts.missing"),
		audit("app", t0.Add(2*time.Minute), "A", 90, "csp.missing"),
		audit("blog", time.Time{}, "", 0), // not audited; the store's time
	}
	in[3].Errors = []string{"GET https://blog.localhost/: timeout"}
	for _, a := range in {
		if err := b.AddAudit(a); err != nil {
			t.Fatal(err)
		}
	}
	all, err := b.Audits(AuditQuery{})
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
		q    AuditQuery
		want []string
	}{
		{"site", AuditQuery{Site: "app"}, []string{"app:A", "app:A+"}},
		{"last of a site", AuditQuery{Site: "blog", Limit: 1}, []string{"blog:"}},
		{"unknown site", AuditQuery{Site: "nope"}, nil},
		{"since", AuditQuery{Since: t0.Add(time.Minute)}, []string{"blog:", "app:A", "blog:B"}},
		{"until", AuditQuery{Until: t0.Add(2 * time.Minute)}, []string{"blog:B", "app:A+"}},
		{"range and site", AuditQuery{Site: "app", Since: t0.Add(time.Second), Until: t0.Add(time.Hour)}, []string{"app:A"}},
		{"limit", AuditQuery{Limit: 2}, []string{"blog:", "app:A"}},
	} {
		got, err := b.Audits(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(grades(got), tc.want) {
			t.Errorf("%s: %+v → %v, want %v", tc.name, tc.q, grades(got), tc.want)
		}
	}
}

// TestAuditsBounded: an audit record is clipped to the limits, whatever
// the audited site sent; an invalid one is refused whole.
func TestAuditsBounded(t *testing.T) {
	b := open(t, Options{})
	a := audit("app", t0, "F", 0)
	for i := range MaxAuditFindings + 10 {
		a.Findings = append(a.Findings, AuditFinding{Rule: "header.x", Severity: events.Low, Message: strings.Repeat("m", 5000), Target: fmt.Sprint(i)})
	}
	for range MaxAuditErrors + 1 {
		a.Errors = append(a.Errors, strings.Repeat("e", 5000))
	}
	a.Site = strings.Repeat("s", 300)
	a.Report = json.RawMessage(`{"x":"` + strings.Repeat("r", MaxAuditReport) + `"}`)
	if err := b.AddAudit(a); err != nil {
		t.Fatal(err)
	}
	got, _ := b.Audits(AuditQuery{})
	if len(got) != 1 {
		t.Fatalf("%d audits", len(got))
	}
	g := got[0]
	if len(g.Findings) != MaxAuditFindings || len(g.Findings[0].Message) != MaxAuditMessage || len(g.Errors) != MaxAuditErrors ||
		len(g.Errors[0]) != MaxAuditMessage || len(g.Site) != MaxSite || g.Report != nil {
		t.Errorf("not clipped: %d findings, message %d bytes, %d errors, site %d bytes, report %d bytes",
			len(g.Findings), len(g.Findings[0].Message), len(g.Errors), len(g.Site), len(g.Report))
	}
	bad := audit("app", t0, "A", 90)
	bad.Findings = []AuditFinding{{Rule: "x", Severity: events.Severity(9)}}
	if err := b.AddAudit(bad); err == nil {
		t.Error("an invalid severity was stored")
	}
	bad = audit("app", t0, "A", 90)
	bad.Report = json.RawMessage(`{not json`)
	if err := b.AddAudit(bad); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Audits(AuditQuery{Limit: 1}); got[0].Report != nil {
		t.Errorf("invalid report JSON kept: %s", got[0].Report)
	}
}

// TestAuditsRetention: audits age out with the events, and the size
// bound deletes the oldest records whichever kind they are.
func TestAuditsRetention(t *testing.T) {
	clock := testutil.NewClock(t0)
	b := open(t, Options{Retention: 24 * time.Hour, Now: clock.Now})
	b.AddAudit(audit("app", t0, "A+", 100))
	b.AddEvents(ev("a", "", events.Info, t0.Add(20*time.Hour), "event"))
	clock.Advance(20 * time.Hour)
	b.AddAudit(audit("app", clock.Now(), "A", 90))
	clock.Advance(10 * time.Hour)
	if err := b.Sweep(); err != nil {
		t.Fatal(err)
	}
	got, _ := b.Audits(AuditQuery{})
	if !slices.Equal(grades(got), []string{"app:A"}) {
		t.Errorf("after the sweep: %v, want the audit within retention only", grades(got))
	}
	if evs, _ := b.Events(Query{}); len(evs) != 1 {
		t.Errorf("events: %v", messages(evs))
	}

	const max = 1 << 20
	s := open(t, Options{MaxBytes: max, Retention: -1})
	at := t0
	report := json.RawMessage(`{"pad":"` + strings.Repeat("p", 20<<10) + `"}`)
	for i := range 200 {
		at = at.Add(time.Minute)
		a := audit("app", at, "A", 90)
		a.Score, a.Report = i%100, report
		if err := s.AddAudit(a); err != nil {
			t.Fatal(err)
		}
		if err := s.AddEvents(ev("e", "app", events.Low, at.Add(time.Second), fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
		if err := s.Sweep(); err != nil {
			t.Fatal(err)
		}
	}
	used, file, err := s.Usage()
	if err != nil {
		t.Fatal(err)
	}
	if file > max || used > max*9/10 {
		t.Errorf("file %d bytes, %d in use: want at most %d and %d", file, used, max, max*9/10)
	}
	kept, _ := s.Audits(AuditQuery{Limit: MaxLimit})
	evs, _ := s.Events(Query{Limit: MaxLimit})
	if len(kept) == 0 || len(kept) == 200 || !kept[0].Time.Equal(at) || len(evs) == 200 || evs[0].Message != "199" {
		t.Errorf("%d audits kept (newest %v), %d events: want the oldest of both deleted, the newest kept", len(kept), kept[0].Time, len(evs))
	}
	// The oldest audit kept is not much older than the oldest event kept:
	// deletion merges them by time.
	if d := evs[len(evs)-1].Time.Sub(kept[len(kept)-1].Time); d > 2*time.Minute || d < -2*time.Minute {
		t.Errorf("oldest audit kept %v, oldest event %v: not deleted by time", kept[len(kept)-1].Time, evs[len(evs)-1].Time)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}
