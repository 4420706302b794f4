package alert_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/alert"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/events/eventstest"
	"github.com/portcullis/portcullis/internal/testutil"
)

// at is an event given to the rules at an offset from t0.
type at struct {
	offset time.Duration
	e      events.Event
}

func req(typ, client, site string) events.Event {
	return events.Event{Type: typ, Severity: events.Low, Client: client, Site: site}
}

// brief describes an alert for comparisons: "alert.fired medium
// rule=r client=c site=s: message" or "cert.expired critical".
func brief(e events.Event) string {
	s := e.Type + " " + e.Severity.String()
	for _, kv := range [...][2]string{{"rule", e.Rule}, {"client", e.Client}, {"site", e.Site}} {
		if kv[1] != "" {
			s += " " + kv[0] + "=" + kv[1]
		}
	}
	if e.Type == events.AlertFired {
		s += ": " + e.Message
	}
	return s
}

func TestRules(t *testing.T) {
	t.Parallel()
	const sec = time.Second
	burst := alert.Rule{Name: "burst", Events: []string{events.HostRejected}, Threshold: 3, Window: time.Minute, Per: alert.PerClient, Severity: events.Medium}
	a, b := req(events.HostRejected, "192.0.2.1", "shop"), req(events.HostRejected, "192.0.2.2", "shop")
	fired := func(client string) string {
		return "alert.fired medium rule=burst client=" + client + ": 3 events (host.rejected) from client " + client + " within 1m"
	}
	tests := []struct {
		name  string
		rules []alert.Rule
		in    []at
		want  []string
		stats alert.RulesStats
	}{
		{"a burst raises one alert, then the rule is quiet for the window",
			[]alert.Rule{burst},
			[]at{{0, a}, {10 * sec, a}, {20 * sec, a}, {30 * sec, a}, {80 * sec, a}},
			[]string{fired("192.0.2.1")}, // at 80s only 30s and 80s are within the window
			alert.RulesStats{Counted: 5, Fired: 1, Quiet: 1}},
		{"the burst goes on: one alert per window",
			[]alert.Rule{burst},
			[]at{{0, a}, {1 * sec, a}, {2 * sec, a}, {30 * sec, a}, {61 * sec, a}, {62 * sec, a}},
			[]string{fired("192.0.2.1"), fired("192.0.2.1")},
			alert.RulesStats{Counted: 6, Fired: 2, Quiet: 2}},
		{"a sliding window, not fixed minutes",
			[]alert.Rule{burst},
			[]at{{50 * sec, a}, {55 * sec, a}, {65 * sec, a}},
			[]string{fired("192.0.2.1")},
			alert.RulesStats{Counted: 3, Fired: 1}},
		{"events spread wider than the window never fire",
			[]alert.Rule{burst},
			[]at{{0, a}, {40 * sec, a}, {80 * sec, a}, {120 * sec, a}, {160 * sec, a}},
			nil,
			alert.RulesStats{Counted: 5}},
		{"each client counts apart",
			[]alert.Rule{burst},
			[]at{{0, a}, {0, b}, {sec, a}, {sec, b}, {2 * sec, b}},
			[]string{fired("192.0.2.2")},
			alert.RulesStats{Counted: 5, Fired: 1}},
		{"per site",
			[]alert.Rule{{Name: "up", Events: []string{"upstream.*"}, Threshold: 2, Window: time.Minute, Per: alert.PerSite, Severity: events.High}},
			[]at{{0, req(events.UpstreamFailed, "", "shop")}, {0, req(events.UpstreamFailed, "", "blog")}, {sec, req(events.UpstreamTimeout, "", "shop")}},
			[]string{"alert.fired high rule=up site=shop: 2 events (upstream.*) at site shop within 1m"},
			alert.RulesStats{Counted: 3, Fired: 1}},
		{"per none: everything together",
			[]alert.Rule{{Name: "all", Events: []string{events.HostRejected, events.CORSRejected}, Threshold: 2, Window: time.Hour, Severity: events.Low}},
			[]at{{0, a}, {0, req(events.CORSRejected, "192.0.2.9", "blog")}},
			[]string{"alert.fired low rule=all: 2 events (host.rejected, cors.rejected) within 1h"},
			alert.RulesStats{Counted: 2, Fired: 1}},
		{"min severity and other types are not counted",
			[]alert.Rule{{Name: "burst", Events: []string{events.HostRejected}, MinSeverity: events.Medium, Threshold: 2, Window: time.Minute, Severity: events.Medium}},
			[]at{{0, a}, {0, a}, {0, req(events.MethodRefused, "192.0.2.1", "")}, {0, func() events.Event { e := a; e.Severity = events.Medium; return e }()}},
			nil,
			alert.RulesStats{Counted: 1}},
		{"threshold 1 and no window: every event is the alert, raised to the rule's severity",
			[]alert.Rule{{Name: "ops", Events: []string{events.BackupFailed, "cert.*"}, Threshold: 1, Severity: events.High}},
			[]at{{0, req(events.BackupFailed, "", "")}, {0, req(events.BackupFailed, "", "")},
				{0, events.Event{Type: events.CertExpired, Severity: events.Critical, Site: "shop"}}, {0, a}},
			[]string{"backup.failed high", "backup.failed high", "cert.expired critical site=shop"},
			alert.RulesStats{Counted: 3, Forwarded: 3}},
		{"threshold 1 with a window: the first event of each group, then quiet",
			[]alert.Rule{{Name: "first", Events: []string{events.HostRejected}, Threshold: 1, Window: time.Minute, Per: alert.PerClient, Severity: events.Info}},
			[]at{{0, a}, {0, b}, {59 * sec, a}, {60 * sec, a}},
			[]string{"host.rejected low client=192.0.2.1 site=shop", "host.rejected low client=192.0.2.2 site=shop", "host.rejected low client=192.0.2.1 site=shop"},
			alert.RulesStats{Counted: 4, Forwarded: 3, Quiet: 1}},
		{"an event two rules count",
			[]alert.Rule{burst, {Name: "each", Events: []string{"host.*"}, Threshold: 1, Severity: events.Info}},
			[]at{{0, a}, {0, a}, {0, a}},
			[]string{"host.rejected low client=192.0.2.1 site=shop", "host.rejected low client=192.0.2.1 site=shop", fired("192.0.2.1"), "host.rejected low client=192.0.2.1 site=shop"},
			alert.RulesStats{Counted: 6, Fired: 1, Forwarded: 3}},
		{"an alert without a client names none",
			[]alert.Rule{burst},
			[]at{{0, req(events.HostRejected, "", "")}, {0, req(events.HostRejected, "", "")}, {0, req(events.HostRejected, "", "")}},
			[]string{"alert.fired medium rule=burst: 3 events (host.rejected) within 1m"},
			alert.RulesStats{Counted: 3, Fired: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := testutil.NewClock(t0)
			var s eventstest.Recorder
			r, err := alert.NewRules(tt.rules, clock.Now, s.Sink)
			if err != nil {
				t.Fatal(err)
			}
			var now time.Duration
			for _, in := range tt.in {
				clock.Advance(in.offset - now)
				now = in.offset
				r.Send(in.e)
			}
			var got []string
			for _, e := range s.All() {
				got = append(got, brief(e))
				if e.Type == events.AlertFired && e.Time.IsZero() {
					t.Errorf("alert %s has no time", brief(e))
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("alerts:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
			if st := r.Stats(); st != tt.stats {
				t.Errorf("Stats %+v, want %+v", st, tt.stats)
			}
		})
	}
}

// TestRulesGroupsAreBounded fills a rule with as many live groups as it
// keeps: a new group is then not counted, until the others' window has
// passed.
func TestRulesGroupsAreBounded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		threshold, groups int
	}{
		{2, alert.MaxGroups},
		{alert.MaxThreshold, 104}, // 1<<20 times in all
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.threshold), func(t *testing.T) {
			t.Parallel()
			clock := testutil.NewClock(t0)
			var s eventstest.Recorder
			r, err := alert.NewRules([]alert.Rule{{Name: "r", Events: []string{events.HostRejected}, Threshold: tt.threshold, Window: time.Minute, Per: alert.PerClient}}, clock.Now, s.Sink)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.groups {
				r.Send(req(events.HostRejected, fmt.Sprint(i), ""))
			}
			r.Send(req(events.HostRejected, "new", ""))
			r.Send(req(events.HostRejected, "0", "")) // a known group still counts
			want := alert.RulesStats{Counted: uint64(tt.groups) + 1, Overflow: 1}
			if tt.threshold == 2 {
				want.Fired = 1
			}
			if st := r.Stats(); st != want {
				t.Fatalf("full: Stats %+v, want %+v", st, want)
			}
			clock.Advance(time.Minute)
			r.Send(req(events.HostRejected, "new", ""))
			want.Counted++
			if st := r.Stats(); st != want {
				t.Errorf("after the window: Stats %+v, want %+v", st, want)
			}
		})
	}
}

func TestRulesConcurrent(t *testing.T) {
	t.Parallel()
	clock := testutil.NewClock(t0)
	var s eventstest.Recorder
	r, err := alert.NewRules([]alert.Rule{
		{Name: "burst", Events: []string{events.HostRejected}, Threshold: 20, Window: time.Minute, Per: alert.PerClient, Severity: events.Medium},
		{Name: "each", Events: []string{events.BackupFailed}, Threshold: 1},
	}, clock.Now, s.Sink)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				r.Send(req(events.HostRejected, fmt.Sprintf("192.0.2.%d", i%10), "")) // 10 clients, 40 events each
				if i%10 == 0 {
					r.Send(req(events.BackupFailed, "", ""))
				}
				if g == 0 {
					clock.Advance(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	if st := r.Stats(); st != (alert.RulesStats{Counted: 440, Fired: 10, Forwarded: 40, Quiet: 200}) {
		t.Errorf("Stats %+v", st)
	}
	if n := len(s.All()); n != 50 {
		t.Errorf("%d alerts, want 10 bursts and 40 forwarded", n)
	}
}

func TestNewRulesErrors(t *testing.T) {
	t.Parallel()
	ok := alert.Rule{Name: "ok", Events: []string{"cert.*"}}
	tests := []struct {
		name string
		rule alert.Rule
		want string
	}{
		{"no name", alert.Rule{Events: []string{"cert.*"}}, `rule 2 (""): no name`},
		{"name twice", alert.Rule{Name: "ok", Events: []string{"cert.*"}}, `rule 2 ("ok"): name used twice`},
		{"no events", alert.Rule{Name: "r"}, `rule 2 ("r"): no events`},
		{"unknown event", alert.Rule{Name: "r", Events: []string{"cert.*", "host.rejectd"}}, `events: "host.rejectd" is not an event type`},
		{"alert.fired", alert.Rule{Name: "r", Events: []string{events.AlertFired}}, `events: "alert.fired" is not an event type`},
		{"negative threshold", alert.Rule{Name: "r", Events: []string{"cert.*"}, Threshold: -1}, "threshold -1 is not between 1 and 10000"},
		{"threshold too large", alert.Rule{Name: "r", Events: []string{"cert.*"}, Threshold: 10001, Window: time.Hour}, "threshold 10001 is not between 1 and 10000"},
		{"negative window", alert.Rule{Name: "r", Events: []string{"cert.*"}, Window: -time.Second}, "window -1s is negative"},
		{"threshold without window", alert.Rule{Name: "r", Events: []string{"cert.*"}, Threshold: 2}, "threshold 2 needs a window"},
		{"per", alert.Rule{Name: "r", Events: []string{"cert.*"}, Per: "ip"}, `per "ip" is not "client", "site" or "none"`},
		{"min severity", alert.Rule{Name: "r", Events: []string{"cert.*"}, MinSeverity: 5}, "min severity Severity(5) is not a severity"},
		{"severity", alert.Rule{Name: "r", Events: []string{"cert.*"}, Severity: -1}, "severity Severity(-1) is not a severity"},
	}
	for _, tt := range tests {
		_, err := alert.NewRules([]alert.Rule{ok, tt.rule}, nil, func(events.Event) {})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
	if _, err := alert.NewRules(alert.DefaultRules(), nil, func(events.Event) {}); err != nil {
		t.Errorf("DefaultRules: %v", err)
	}
}
