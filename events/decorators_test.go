package events_test

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/events/eventstest"
	"github.com/portcullis/portcullis/internal/testutil"
)

var t0 = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// step is one event given to a decorator after advancing the clock.
type step struct {
	advance time.Duration
	e       events.Event
	pass    bool
}

// run feeds steps to the sink deco builds and checks each outcome and the
// final counts.
func run(t *testing.T, steps []step, deco func(now func() time.Time, c *events.Counter, next events.Sink) events.Sink) {
	t.Helper()
	clock := testutil.NewClock(t0)
	var r eventstest.Recorder
	var c events.Counter
	sink := deco(clock.Now, &c, r.Sink)
	var want events.Stats
	for i, s := range steps {
		clock.Advance(s.advance)
		before := r.Len()
		sink(s.e)
		if got := r.Len() > before; got != s.pass {
			t.Errorf("step %d (%+v after %v): passed %v, want %v", i+1, s.e, s.advance, got, s.pass)
		}
		if s.pass {
			want.Passed++
		} else {
			want.Dropped++
		}
	}
	if got := c.Stats(); got != want {
		t.Errorf("Stats %+v, want %+v", got, want)
	}
}

func ev(typ string, sev events.Severity, client string) events.Event {
	return events.Event{Type: typ, Severity: sev, Client: client, Site: "shop"}
}

func TestMinSeverity(t *testing.T) {
	t.Parallel()
	all := []events.Severity{events.Info, events.Low, events.Medium, events.High, events.Critical}
	for _, min := range all {
		t.Run(min.String(), func(t *testing.T) {
			t.Parallel()
			var steps []step
			for _, sev := range all {
				steps = append(steps, step{0, ev(events.HostRejected, sev, ""), sev >= min})
			}
			run(t, steps, func(_ func() time.Time, c *events.Counter, next events.Sink) events.Sink {
				return events.MinSeverity(min, c, next)
			})
		})
	}
}

func TestFilter(t *testing.T) {
	t.Parallel()
	run(t, []step{
		{0, ev(events.HostRejected, events.Low, "192.0.2.1"), true},
		{0, ev(events.HostRejected, events.Low, "10.0.0.1"), false},
		{0, ev(events.CertExpired, events.Critical, ""), true},
	}, func(_ func() time.Time, c *events.Counter, next events.Sink) events.Sink {
		return events.Filter(func(e events.Event) bool { return e.Client != "10.0.0.1" }, c, next)
	})
}

func TestDedup(t *testing.T) {
	t.Parallel()
	a, b := ev(events.HostRejected, events.Low, "192.0.2.1"), ev(events.HostRejected, events.Low, "192.0.2.2")
	aLater := a
	aLater.Message, aLater.Path, aLater.Time = "other words", "/elsewhere", t0.Add(time.Hour)
	byType := func(e events.Event) string { return e.Type }
	tests := []struct {
		name   string
		window time.Duration
		key    func(events.Event) string
		steps  []step
	}{
		{"same key within the window", time.Hour, nil, []step{{0, a, true}, {59 * time.Minute, a, false}, {time.Minute, a, true}}},
		{"the window restarts at the next event passed, not at a drop", time.Hour, nil, []step{
			{0, a, true}, {30 * time.Minute, a, false}, {30 * time.Minute, a, true}, {59 * time.Minute, a, false}, {time.Minute, a, true}}},
		{"message, path and time are not in Event.Key", time.Hour, nil, []step{{0, a, true}, {0, aLater, false}}},
		{"another client is another key", time.Hour, nil, []step{{0, a, true}, {0, b, true}, {0, a, false}, {0, b, false}}},
		{"a key function", time.Hour, byType, []step{{0, a, true}, {0, b, false}, {0, ev(events.CertExpired, events.Critical, ""), true}}},
		{"zero window passes everything", 0, nil, []step{{0, a, true}, {0, a, true}}},
		{"negative window passes everything", -time.Hour, nil, []step{{0, a, true}, {0, a, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run(t, tt.steps, func(now func() time.Time, c *events.Counter, next events.Sink) events.Sink {
				return events.Dedup(tt.window, tt.key, now, c, next)
			})
		})
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	a, b := ev(events.HostRejected, events.Low, "192.0.2.1"), ev(events.HostRejected, events.Low, "192.0.2.2")
	perClient := func(e events.Event) string { return e.Client }
	tests := []struct {
		name  string
		n     int
		per   time.Duration
		key   func(events.Event) string
		steps []step
	}{
		{"a burst of n, then one per per/n", 3, time.Minute, nil, []step{
			{0, a, true}, {0, a, true}, {0, a, true}, {0, a, false}, {0, b, false}, // one limit for all
			{19 * time.Second, a, false}, {time.Second, a, true}, {0, a, false},
			{20 * time.Second, a, true},
		}},
		{"refill stops at n", 2, time.Minute, nil, []step{
			{0, a, true}, {0, a, true}, {time.Hour, a, true}, {0, a, true}, {0, a, false},
		}},
		{"one per period", 1, time.Hour, nil, []step{{0, a, true}, {59 * time.Minute, a, false}, {time.Minute, a, true}}},
		{"per key", 1, time.Hour, perClient, []step{{0, a, true}, {0, b, true}, {0, a, false}, {0, b, false}, {time.Hour, b, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run(t, tt.steps, func(now func() time.Time, c *events.Counter, next events.Sink) events.Sink {
				return events.RateLimit(tt.n, tt.per, tt.key, now, c, next)
			})
		})
	}
}

func TestRateLimitPanics(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		n   int
		per time.Duration
	}{{0, time.Second}, {-1, time.Second}, {1, 0}, {1, -time.Second}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RateLimit(%d, %v) did not panic", tt.n, tt.per)
				}
			}()
			events.RateLimit(tt.n, tt.per, nil, nil, nil, func(events.Event) {})
		}()
	}
}

// TestMaxKeys fills each keyed decorator with MaxKeys live keys: a new key
// is then dropped as overflow while known keys still work, until the
// window passes and the old keys are swept.
func TestMaxKeys(t *testing.T) {
	t.Parallel()
	client := func(e events.Event) string { return e.Client }
	tests := []struct {
		name string
		deco func(now func() time.Time, c *events.Counter, next events.Sink) events.Sink
	}{
		{"Dedup", func(now func() time.Time, c *events.Counter, next events.Sink) events.Sink {
			return events.Dedup(time.Minute, client, now, c, next)
		}},
		{"RateLimit", func(now func() time.Time, c *events.Counter, next events.Sink) events.Sink {
			return events.RateLimit(1, time.Minute, client, now, c, next)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := testutil.NewClock(t0)
			var r eventstest.Recorder
			var c events.Counter
			sink := tt.deco(clock.Now, &c, r.Sink)
			for i := range events.MaxKeys {
				sink(ev(events.HostRejected, events.Low, strconv.Itoa(i)))
				if i%1000 == 0 {
					clock.Advance(time.Second) // keys expire at different times
				}
			}
			sink(ev(events.HostRejected, events.Low, "new"))
			sink(ev(events.HostRejected, events.Low, "0")) // known: a plain drop
			want := events.Stats{Passed: events.MaxKeys, Dropped: 2, Overflow: 1}
			if s := c.Stats(); s != want {
				t.Fatalf("with %d live keys: Stats %+v, want %+v", events.MaxKeys, s, want)
			}
			clock.Advance(time.Minute)
			sink(ev(events.HostRejected, events.Low, "new")) // the old keys have expired
			sink(ev(events.HostRejected, events.Low, "new"))
			want = events.Stats{Passed: events.MaxKeys + 1, Dropped: 3, Overflow: 1}
			if s := c.Stats(); s != want {
				t.Errorf("after the window: Stats %+v, want %+v", s, want)
			}
		})
	}
}

// TestConcurrent runs every decorator from many goroutines (under -race)
// and checks that nothing is lost or counted twice.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	var r eventstest.Recorder
	var sev, filter, dedup, rate events.Counter
	clock := testutil.NewClock(t0)
	sink := events.MinSeverity(events.Low, &sev,
		events.Filter(func(e events.Event) bool { return e.Client != "" }, &filter,
			events.Dedup(time.Hour, nil, clock.Now, &dedup,
				events.RateLimit(1000, time.Hour, nil, clock.Now, &rate, r.Sink))))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				client := fmt.Sprintf("192.0.2.%d", i)
				sink(ev(events.HostRejected, events.Medium, client)) // 100 distinct, each 8 times
				sink(ev(events.HostRejected, events.Info, client))   // below Low
				sink(ev(events.HostRejected, events.Medium, ""))     // no client
				if g == 0 {
					clock.Advance(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	for name, tt := range map[string]struct{ got, want events.Stats }{
		"MinSeverity": {sev.Stats(), events.Stats{Passed: 1600, Dropped: 800}},
		"Filter":      {filter.Stats(), events.Stats{Passed: 800, Dropped: 800}},
		"Dedup":       {dedup.Stats(), events.Stats{Passed: 100, Dropped: 700}},
		"RateLimit":   {rate.Stats(), events.Stats{Passed: 100}},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: Stats %+v, want %+v", name, tt.got, tt.want)
		}
	}
	if n := r.Len(); n != 100 {
		t.Errorf("%d events reached the end, want 100", n)
	}
}

func TestNilCounter(t *testing.T) {
	t.Parallel()
	var r eventstest.Recorder
	var c *events.Counter
	sink := events.MinSeverity(events.High, nil, events.Dedup(time.Hour, nil, nil, nil, r.Sink))
	sink(ev(events.CertExpired, events.Critical, ""))
	sink(ev(events.CertExpired, events.Critical, ""))
	sink(ev(events.CertExpiring, events.Medium, ""))
	if r.Len() != 1 || c.Stats() != (events.Stats{}) {
		t.Errorf("got %d events, nil Counter stats %+v", r.Len(), c.Stats())
	}
}

func TestTypes(t *testing.T) {
	t.Parallel()
	types := events.Types()
	if !slices.IsSorted(types) || len(slices.Compact(slices.Clone(types))) != len(types) {
		t.Errorf("Types() is not sorted and unique: %v", types)
	}
	if slices.Contains(types, events.AlertFired) {
		t.Error("Types() lists alert.fired, which no source emits")
	}
	types[0] = "changed"
	if events.Types()[0] == "changed" {
		t.Error("Types() returns its own slice")
	}
	tests := []struct {
		pattern string
		want    []string
	}{
		{"host.rejected", []string{"host.rejected"}},
		{"cert.*", []string{"cert.expired", "cert.expiring", "cert.obtain_failed", "cert.obtained", "cert.renewal_failed", "cert.renewed"}},
		{"upstream.*", []string{"upstream.failed", "upstream.timeout"}},
		{"config.*", []string{"config.reload_failed", "config.reloaded"}},
		{"host.rejectd", nil},
		{"alert.fired", nil},
		{"cert*", nil},
		{"cert.", nil},
		{"*", nil},
		{".*", nil},
		{"nope.*", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if got := events.MatchTypes(tt.pattern); !slices.Equal(got, tt.want) {
			t.Errorf("MatchTypes(%q) = %v, want %v", tt.pattern, got, tt.want)
		}
	}
}

func TestParseSeverity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want events.Severity
		ok   bool
	}{
		{"info", events.Info, true},
		{"low", events.Low, true},
		{"medium", events.Medium, true},
		{"High", events.High, true},
		{"critical", events.Critical, true},
		{"warning", events.Medium, true},
		{"WARNING", events.Medium, true},
		{"error", events.High, true},
		{"warn", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, err := events.ParseSeverity(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSeverity(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
