package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

func rep(site, typ, dir, blocked, doc string, at time.Time) Report {
	return Report{Time: at, Site: site, Type: typ, Directive: dir, Blocked: blocked, Document: doc, Disposition: "enforce"}
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

// TestClip: clipping cuts at a rune boundary and replaces invalid UTF-8.
// (What each Store clips is in the conformance suite, store/storetest.)
func TestClip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"a\xffb", 10, "a\uFFFDb"},
		{"éé", 3, "é"},
		{"abc", 3, "abc"},
		{"abc", 0, ""},
	} {
		if got := Clip(tc.in, tc.n); got != tc.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
