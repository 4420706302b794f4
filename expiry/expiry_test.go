package expiry

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/events/eventstest"
	"github.com/portcullis/portcullis/internal/testutil"
)

// t0 is "today" in the tests: 2026-11-23T00:00:00Z.
var t0 = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// served is a settable Options.Certificates.
type served struct {
	mu    sync.Mutex
	certs []Cert
}

func (s *served) set(c ...Cert) {
	s.mu.Lock()
	s.certs = c
	s.mu.Unlock()
}

func (s *served) get() []Cert {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.certs)
}

// cert returns an ACME certificate of site, valid for 90 days up to
// notAfter.
func cert(site, serial string, notAfter time.Time, names ...string) Cert {
	return Cert{Site: site, Info: certs.Info{
		Names:     names,
		Issuer:    "Test CA",
		Source:    certs.SourceACME,
		NotBefore: notAfter.Add(-90 * day),
		NotAfter:  notAfter,
		KeyType:   "ECDSA P-256",
		Serial:    serial,
	}}
}

// describe summarizes an event for comparisons: "0a cert.expiring 336h0m0s medium".
func describe(e events.Event) string {
	s := e.Type
	if e.Threshold != 0 {
		s += " " + e.Threshold.String()
	}
	return s + " " + e.Severity.String()
}

// newMonitor builds a monitor on clk and s recording into r.
func newMonitor(t *testing.T, clk *testutil.Clock, s *served, r *eventstest.Recorder, thresholds ...time.Duration) *Monitor {
	t.Helper()
	m, err := New(Options{Certificates: s.get, Thresholds: thresholds, Now: clk.Now, Emit: r.Sink})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

func TestThresholdsFireOnceEachOverFortyDays(t *testing.T) {
	t.Parallel()
	type fired struct {
		day     int
		what    string // describe(e)
		message string // checked when not empty
	}
	tests := []struct {
		name       string
		thresholds []time.Duration
		left       time.Duration // before expiry at day 0
		want       []fired
	}{
		{
			name: "default thresholds",
			left: 40 * day,
			want: []fired{
				{10, "cert.expiring 720h0m0s medium", "certificate for example.com and 1 other name expires in 30d 0h (2027-01-02T00:00:00Z)"},
				{26, "cert.expiring 336h0m0s medium", ""},
				{33, "cert.expiring 168h0m0s medium", ""},
				{39, "cert.expiring 24h0m0s high", "certificate for example.com and 1 other name expires in 1d 0h (2027-01-02T00:00:00Z)"},
				{40, "cert.expired critical", "certificate for example.com and 1 other name expired less than a minute ago (2027-01-02T00:00:00Z)"},
			},
		},
		{
			name: "expiry between checks",
			left: 40*day - time.Hour,
			want: []fired{
				{10, "cert.expiring 720h0m0s medium", "certificate for example.com and 1 other name expires in 29d 23h (2027-01-01T23:00:00Z)"},
				{26, "cert.expiring 336h0m0s medium", "certificate for example.com and 1 other name expires in 13d 23h (2027-01-01T23:00:00Z)"},
				{33, "cert.expiring 168h0m0s medium", ""},
				{39, "cert.expiring 24h0m0s high", "certificate for example.com and 1 other name expires in 23h 0m (2027-01-01T23:00:00Z)"},
				{40, "cert.expired critical", "certificate for example.com and 1 other name expired 1h 0m ago (2027-01-01T23:00:00Z)"},
			},
		},
		{
			name:       "custom thresholds, unsorted with a duplicate",
			thresholds: []time.Duration{2 * day, 10 * day, 10 * day},
			left:       40 * day,
			want: []fired{
				{30, "cert.expiring 240h0m0s medium", ""},
				{38, "cert.expiring 48h0m0s high", ""}, // the smallest threshold is an error
				{40, "cert.expired critical", ""},
			},
		},
		{
			name:       "threshold smaller than the check period is skipped by expiry",
			thresholds: []time.Duration{12 * time.Hour},
			left:       40 * day,
			want:       []fired{{40, "cert.expired critical", ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := testutil.NewClock(t0)
			c := cert("shop", "0a", t0.Add(tt.left), "example.com", "www.example.com")
			var s served
			s.set(c)
			var r eventstest.Recorder
			m := newMonitor(t, clk, &s, &r, tt.thresholds...)
			var got []fired
			for d := 0; d <= 45; d++ {
				for range 3 { // however many checks run, each event fires once
					m.Check()
				}
				for _, e := range r.Take() {
					got = append(got, fired{d, describe(e), e.Message})
					if e.Site != "shop" || !slices.Equal(e.Names, c.Names) || e.Source != "acme" ||
						e.Issuer != "Test CA" || !e.NotAfter.Equal(c.NotAfter) || !e.Time.Equal(clk.Now()) {
						t.Errorf("day %d: event %+v does not describe the certificate at %v", d, e, clk.Now())
					}
				}
				clk.Advance(day)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d events %v, want %d %v", len(got), got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				g := got[i]
				if g.day != w.day || g.what != w.what || (w.message != "" && g.message != w.message) {
					t.Errorf("event %d: got day %d %q %q, want day %d %q %q", i, g.day, g.what, g.message, w.day, w.what, w.message)
				}
			}
		})
	}
}

func TestCheckScenarios(t *testing.T) {
	t.Parallel()
	a := cert("shop", "0a", t0.Add(10*day), "shop.example")
	b := cert("shop", "0b", t0.Add(90*day), "shop.example") // a renewed
	type step struct {
		advance   time.Duration
		serve     []Cert
		want      []string // serial + " " + describe(e), in order
		wantState int      // identities remembered after the step
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"several crossed at once: only the tightest, wider ones never fire", []step{
			{0, []Cert{a}, []string{"0a cert.expiring 336h0m0s medium"}, 1},
			{day, []Cert{a}, nil, 1},
			{2 * day, []Cert{a}, []string{"0a cert.expiring 168h0m0s medium"}, 1},
		}},
		{"less than a day left at the first check", []step{
			{0, []Cert{cert("shop", "0c", t0.Add(12*time.Hour), "shop.example")}, []string{"0c cert.expiring 24h0m0s high"}, 1},
			{12 * time.Hour, []Cert{cert("shop", "0c", t0.Add(12*time.Hour), "shop.example")}, []string{"0c cert.expired critical"}, 1},
			{day, []Cert{cert("shop", "0c", t0.Add(12*time.Hour), "shop.example")}, nil, 1},
		}},
		{"already expired at the first check: only expired", []step{
			{0, []Cert{cert("shop", "0d", t0.Add(-time.Hour), "shop.example")}, []string{"0d cert.expired critical"}, 1},
			{40 * day, []Cert{cert("shop", "0d", t0.Add(-time.Hour), "shop.example")}, nil, 1},
		}},
		{"exactly at a threshold crosses it", []step{
			{0, []Cert{cert("shop", "0e", t0.Add(14*day), "shop.example")}, []string{"0e cert.expiring 336h0m0s medium"}, 1},
		}},
		{"just above a threshold does not", []step{
			{0, []Cert{cert("shop", "0f", t0.Add(14*day+time.Nanosecond), "shop.example")}, []string{"0f cert.expiring 720h0m0s medium"}, 1},
		}},
		{"renewal starts fresh and forgets the old certificate", []step{
			{0, []Cert{a}, []string{"0a cert.expiring 336h0m0s medium"}, 1},
			{time.Hour, []Cert{a, b}, nil, 2}, // both served during the switch
			{time.Hour, []Cert{b}, nil, 1},
			{60*day - 2*time.Hour, []Cert{b}, []string{"0b cert.expiring 720h0m0s medium"}, 1},
		}},
		{"a certificate no longer served is forgotten", []step{
			{0, []Cert{a}, []string{"0a cert.expiring 336h0m0s medium"}, 1},
			{0, nil, nil, 0},
			{0, []Cert{a}, []string{"0a cert.expiring 336h0m0s medium"}, 1},
		}},
		{"same serial and expiry on two sites are two identities", []step{
			{0, []Cert{a, cert("blog", "0a", t0.Add(10*day), "shop.example")}, []string{
				"0a cert.expiring 336h0m0s medium", "0a cert.expiring 336h0m0s medium",
			}, 2},
		}},
		{"the same certificate listed twice fires once", []step{
			{0, []Cert{a, a}, []string{"0a cert.expiring 336h0m0s medium"}, 1},
		}},
		{"zero NotAfter is ignored", []step{
			{0, []Cert{{Site: "shop", Info: certs.Info{Names: []string{"shop.example"}, Serial: "10"}}}, nil, 0},
		}},
		{"certificate without names", []step{
			{0, []Cert{cert("shop", "11", t0.Add(time.Hour))}, []string{"11 cert.expiring 24h0m0s high"}, 1},
		}},
		{"clock going backwards does not re-fire", []step{
			{0, []Cert{a}, []string{"0a cert.expiring 336h0m0s medium"}, 1},
			{-30 * day, []Cert{a}, nil, 1},
			{41 * day, []Cert{a}, []string{"0a cert.expired critical"}, 1},
			{-9 * day, []Cert{a}, nil, 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := testutil.NewClock(t0)
			var s served
			var r eventstest.Recorder
			m := newMonitor(t, clk, &s, &r)
			for i, st := range tt.steps {
				clk.Advance(st.advance)
				s.set(st.serve...)
				m.Check()
				var got []string
				for _, e := range r.Take() {
					serial := ""
					for _, c := range st.serve {
						if c.Site == e.Site && c.NotAfter.Equal(e.NotAfter) {
							serial = c.Serial
						}
					}
					got = append(got, serial+" "+describe(e))
				}
				if !slices.Equal(got, st.want) {
					t.Errorf("step %d: got %q, want %q", i, got, st.want)
				}
				m.checkMu.Lock()
				n := len(m.state)
				m.checkMu.Unlock()
				if n != st.wantState {
					t.Errorf("step %d: %d identities remembered, want %d", i, n, st.wantState)
				}
			}
		})
	}
}

func TestStateDoesNotGrowWithRenewals(t *testing.T) {
	t.Parallel()
	clk := testutil.NewClock(t0)
	var s served
	var r eventstest.Recorder
	m := newMonitor(t, clk, &s, &r)
	for i := range 1000 {
		s.set(cert("shop", fmt.Sprintf("%x", i), clk.Now().Add(20*day), "shop.example"),
			cert("blog", "ff", t0.Add(365*day), "blog.example"))
		m.Check()
		clk.Advance(time.Hour)
	}
	if n := len(m.state); n != 2 {
		t.Errorf("%d identities remembered after 1000 renewals, want 2", n)
	}
	if n := r.Len(); n != 1000 {
		t.Errorf("%d events, want 1000 (one 30d warning per renewed certificate)", n)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	none := func() []Cert { return nil }
	sink := func(events.Event) {}
	tests := []struct {
		name           string
		opts           Options
		wantErr        string // substring; "" for success
		wantThresholds []time.Duration
		wantInterval   time.Duration
	}{
		{"defaults", Options{Certificates: none, Emit: sink}, "",
			[]time.Duration{30 * day, 14 * day, 7 * day, day}, time.Hour},
		{"sorted and deduplicated", Options{Certificates: none, Emit: sink, Interval: time.Minute,
			Thresholds: []time.Duration{day, 30 * day, day, 7 * day}}, "",
			[]time.Duration{30 * day, 7 * day, day}, time.Minute},
		{"empty thresholds mean the default", Options{Certificates: none, Emit: sink, Thresholds: []time.Duration{}}, "",
			[]time.Duration{30 * day, 14 * day, 7 * day, day}, time.Hour},
		{"no Certificates", Options{Emit: sink}, "Options.Certificates is required", nil, 0},
		{"no Emit", Options{Certificates: none}, "Options.Emit is required", nil, 0},
		{"zero threshold", Options{Certificates: none, Emit: sink, Thresholds: []time.Duration{day, 0}},
			"Options.Thresholds[1] is 0s; thresholds must be positive", nil, 0},
		{"negative threshold", Options{Certificates: none, Emit: sink, Thresholds: []time.Duration{-day}},
			"Options.Thresholds[0] is -24h0m0s", nil, 0},
		{"negative interval", Options{Certificates: none, Emit: sink, Interval: -time.Second},
			"Options.Interval is -1s; it must be positive", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := slices.Clone(tt.opts.Thresholds)
			m, err := New(tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "expiry: ") {
					t.Fatalf("New: err %v, want one containing %q", err, tt.wantErr)
				}
				if m != nil {
					t.Errorf("New returned a monitor with error %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if got := m.Thresholds(); !slices.Equal(got, tt.wantThresholds) {
				t.Errorf("thresholds %v, want %v", got, tt.wantThresholds)
			}
			if m.interval != tt.wantInterval {
				t.Errorf("interval %v, want %v", m.interval, tt.wantInterval)
			}
			if !slices.Equal(tt.opts.Thresholds, in) {
				t.Errorf("New changed the caller's thresholds to %v", tt.opts.Thresholds)
			}
		})
	}
}

func TestRunChecksPeriodicallyUntilCancelled(t *testing.T) {
	t.Parallel()
	clk := testutil.NewClock(t0)
	c := cert("shop", "0a", t0.Add(40*day), "shop.example")
	var calls atomic.Int64
	var r eventstest.Recorder
	m, err := New(Options{
		// Every check sees one more day pass, so only repeated checks
		// produce the whole sequence.
		Certificates: func() []Cert { calls.Add(1); clk.Advance(day); return []Cert{c} },
		Interval:     time.Millisecond,
		Now:          clk.Now,
		Emit:         r.Sink,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	testutil.Eventually(t, 10*time.Second, "the expired event", func() bool { return r.Len() == 5 })
	cancel()
	testutil.Eventually(t, 10*time.Second, "Run to return", func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	})
	var got []string
	for _, e := range r.Take() {
		got = append(got, describe(e))
	}
	want := []string{"cert.expiring 720h0m0s medium", "cert.expiring 336h0m0s medium",
		"cert.expiring 168h0m0s medium", "cert.expiring 24h0m0s high", "cert.expired critical"}
	if !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	after := calls.Load()
	// A Check in progress would hold checkMu: taking it waits for one.
	m.checkMu.Lock()
	n := calls.Load()
	m.checkMu.Unlock()
	if n != after {
		t.Errorf("Certificates called %d more times after Run returned", n-after)
	}

	// A context already cancelled: no check at all.
	before := calls.Load()
	m.Run(ctx)
	if n := calls.Load(); n != before {
		t.Errorf("Run with a cancelled context checked %d times", n-before)
	}
}

// TestConcurrentChecks runs Check, Collect and Observe at once (meant for
// -race) and checks that each event still fires exactly once.
func TestConcurrentChecks(t *testing.T) {
	t.Parallel()
	clk := testutil.NewClock(t0)
	var s served
	s.set(cert("shop", "0a", t0.Add(10*day), "shop.example"), cert("blog", "0b", t0.Add(-day), "blog.example"))
	var r eventstest.Recorder
	var bus events.Bus
	m, err := New(Options{Certificates: s.get, Now: clk.Now, Emit: bus.Emit})
	if err != nil {
		t.Fatal(err)
	}
	bus.Subscribe(r.Sink)
	bus.Subscribe(m.Observe)
	col := m.Collector()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				m.Check()
				m.Observe(events.Event{Type: events.CertRenewed})
				ch := make(chan prometheus.Metric, 64)
				go func() { col.Collect(ch); close(ch) }()
				for range ch {
				}
			}
		})
	}
	wg.Wait()
	if n := r.Len(); n != 2 {
		t.Errorf("%d events from 400 concurrent checks, want 2", n)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts[events.CertRenewed] != 400 || m.counts[events.CertExpiring] != 1 || m.counts[events.CertExpired] != 1 {
		t.Errorf("counts %v, want 400 renewed, 1 expiring, 1 expired", m.counts)
	}
}

func TestHumanAndSubject(t *testing.T) {
	t.Parallel()
	durations := []struct {
		d    time.Duration
		want string
	}{
		{0, "less than a minute"},
		{59 * time.Second, "less than a minute"},
		{time.Minute, "1m"},
		{59*time.Minute + 59*time.Second, "59m"},
		{time.Hour, "1h 0m"},
		{23*time.Hour + 59*time.Minute, "23h 59m"},
		{day, "1d 0h"},
		{13*day + 23*time.Hour + 59*time.Minute, "13d 23h"},
		{400 * day, "400d 0h"},
		{1<<63 - 1, "106751d 23h"},
	}
	for _, tt := range durations {
		if got := human(tt.d); got != tt.want {
			t.Errorf("human(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
	subjects := []struct {
		c    Cert
		want string
	}{
		{cert("s", "0a", t0, "a.example"), "certificate for a.example"},
		{cert("s", "0a", t0, "a.example", "b.example"), "certificate for a.example and 1 other name"},
		{cert("s", "0a", t0, "a.example", "b.example", "127.0.0.1"), "certificate for a.example and 2 other names"},
		{cert("s", "0a", t0), `certificate of site "s" (serial 0a)`},
		{cert("", "0a", t0), `certificate with serial "0a"`},
	}
	for _, tt := range subjects {
		if got := subject(tt.c); got != tt.want {
			t.Errorf("subject(%v) = %q, want %q", tt.c.Names, got, tt.want)
		}
	}
}

// announced are the thresholds of ts the monitor announces for c: those
// under half its lifetime.
func announced(ts []time.Duration, c Cert) []time.Duration {
	return slices.DeleteFunc(slices.Clone(ts), func(th time.Duration) bool { return th >= c.NotAfter.Sub(c.NotBefore)/2 })
}

// FuzzCheck drives one certificate (renewed once) through arbitrary
// thresholds and clock steps, and checks the once-per-threshold rule.
func FuzzCheck(f *testing.F) {
	f.Add(uint16(720), uint16(336), uint16(24), []byte{24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24}, uint8(200))
	f.Add(uint16(1), uint16(1), uint16(1), []byte{}, uint8(0))
	f.Add(uint16(0), uint16(48), uint16(65535), []byte{255, 0, 200, 128, 3, 250, 1}, uint8(3))
	f.Add(uint16(12), uint16(960), uint16(2), []byte{130, 130, 250, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5}, uint8(7))
	f.Fuzz(func(t *testing.T, h1, h2, h3 uint16, steps []byte, renewAt uint8) {
		var thresholds []time.Duration
		for _, h := range []uint16{h1, h2, h3} {
			if h > 0 {
				thresholds = append(thresholds, time.Duration(h)*time.Hour)
			}
		}
		clk := testutil.NewClock(t0)
		var s served
		var r eventstest.Recorder
		m := newMonitor(t, clk, &s, &r, thresholds...)
		ts := m.Thresholds()
		old := cert("shop", "01", t0.Add(40*day), "shop.example")
		renewed := cert("shop", "02", t0.Add(100*day), "shop.example")
		minLeft := map[string]time.Duration{}
		var emitted []events.Event
		for i := 0; i <= len(steps); i++ {
			if i > 0 {
				// 0-199: forward 0-199 hours; 200-255: back 1-56 hours.
				if b := steps[i-1]; b < 200 {
					clk.Advance(time.Duration(b) * time.Hour)
				} else {
					clk.Advance(-time.Duration(b-199) * time.Hour)
				}
			}
			c := old
			if i >= int(renewAt) {
				c = renewed
			}
			s.set(c)
			m.Check()
			left := c.NotAfter.Sub(clk.Now())
			if v, ok := minLeft[c.Serial]; !ok || left < v {
				minLeft[c.Serial] = left
			}
			for _, e := range r.Take() {
				if !e.NotAfter.Equal(c.NotAfter) {
					t.Fatalf("step %d: event for %v, serving %v", i, e.NotAfter, c.NotAfter)
				}
				switch e.Type {
				case events.CertExpired:
					if left > 0 {
						t.Fatalf("step %d: expired with %v left", i, left)
					}
				case events.CertExpiring:
					// Threshold is the tightest crossed one (of those under
					// half the certificate's lifetime).
					tightest := time.Duration(0)
					for _, th := range announced(ts, c) {
						if left <= th {
							tightest = th
						}
					}
					if left <= 0 || e.Threshold != tightest {
						t.Fatalf("step %d: %v left, threshold %v, want %v", i, left, e.Threshold, tightest)
					}
				default:
					t.Fatalf("step %d: unexpected event type %q", i, e.Type)
				}
				emitted = append(emitted, e)
			}
		}
		for _, c := range []Cert{old, renewed} {
			var mine []events.Event
			for _, e := range emitted {
				if e.NotAfter.Equal(c.NotAfter) {
					mine = append(mine, e)
				}
			}
			for i, e := range mine {
				if i > 0 && (mine[i-1].Type == events.CertExpired || e.Threshold >= mine[i-1].Threshold && e.Type == events.CertExpiring) {
					t.Fatalf("certificate %s: %s after %s", c.Serial, describe(e), describe(mine[i-1]))
				}
			}
			left, served := minLeft[c.Serial]
			if !served {
				continue
			}
			// Completeness: the tightest condition ever reached was reported last.
			want := ""
			for _, th := range announced(ts, c) {
				if left <= th {
					want = "cert.expiring " + th.String()
				}
			}
			if left <= 0 {
				want = "cert.expired"
			}
			got := ""
			if len(mine) > 0 {
				last := mine[len(mine)-1]
				got = last.Type
				if last.Type == events.CertExpiring {
					got += " " + last.Threshold.String()
				}
			}
			if got != want {
				t.Fatalf("certificate %s: least time left %v, last event %q, want %q", c.Serial, left, got, want)
			}
		}
	})
}

// TestShortLivedCertificates: thresholds at or beyond half a
// certificate's lifetime never fire for it, so a 7-day local leaf is not
// announced at every start; the 1-day threshold still fires when its
// renewal is overdue, and expiry always does.
func TestShortLivedCertificates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		life time.Duration
		want []string
	}{
		{"7-day local leaf", 7 * day, []string{"cert.expiring 24h0m0s high", "cert.expired critical"}},
		{"6-day ACME profile", 6 * day, []string{"cert.expiring 24h0m0s high", "cert.expired critical"}},
		{"20-day", 20 * day, []string{"cert.expiring 168h0m0s medium", "cert.expiring 24h0m0s high", "cert.expired critical"}},
		{"30-day", 30 * day, []string{"cert.expiring 336h0m0s medium", "cert.expiring 168h0m0s medium", "cert.expiring 24h0m0s high", "cert.expired critical"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := testutil.NewClock(t0)
			c := cert("local", "0c", t0.Add(tc.life), "app.localhost")
			c.NotBefore = t0
			var s served
			s.set(c)
			var r eventstest.Recorder
			m := newMonitor(t, clk, &s, &r)
			var got []string
			for range int(tc.life/time.Hour) + 2 {
				m.Check()
				for _, e := range r.Take() {
					got = append(got, describe(e))
				}
				clk.Advance(time.Hour)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("events %v, want %v", got, tc.want)
			}
		})
	}
}
