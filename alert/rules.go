package alert

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portcullis/portcullis/events"
)

// Per says how a Rule groups the events it counts.
type Per string

// The groupings.
const (
	// PerNone counts all matching events together.
	PerNone Per = "none"
	// PerClient counts each client address (Event.Client) apart; events
	// without one count together.
	PerClient Per = "client"
	// PerSite counts each site (Event.Site) apart; events without one
	// count together.
	PerSite Per = "site"
)

// MaxThreshold is the largest Rule.Threshold: a group remembers up to
// Threshold event times.
const MaxThreshold = 10000

// maxTimes bounds the event times one rule remembers over all its
// groups (8 MiB); with MaxGroups it sets how many groups a rule keeps.
const maxTimes = 1 << 20

// MaxGroups bounds the groups (clients, sites) one rule counts at once.
// Groups whose window has passed are swept; while MaxGroups groups (or
// fewer, for a Threshold above 104) are live, events of a new group are
// not counted (RulesStats.Overflow).
const MaxGroups = 10000

// Rule turns events into alerts: when Threshold matching events of one
// group arrive within Window, it raises an alert.
type Rule struct {
	// Name identifies the rule in its alerts (Event.Rule) and must be
	// unique.
	Name string
	// Events are the event types counted: types of events.Types, or
	// "prefix.*" for every type with that prefix ("cert.*").
	Events []string
	// MinSeverity is the lowest severity counted.
	MinSeverity events.Severity
	// Threshold is how many matching events of one group raise an alert,
	// 1 to MaxThreshold; 0 means 1. With 1, each matching event is itself
	// the alert and is sent on unchanged (its Severity raised to
	// Severity when lower); above 1, the alert is an events.AlertFired
	// event.
	Threshold int
	// Window is the time the events are counted in (a sliding window),
	// and then how long the rule stays quiet for the group once it has
	// raised an alert. It must be positive for a Threshold above 1; with
	// a Threshold of 1, 0 sends every matching event.
	Window time.Duration
	// Per groups the events; "" means PerNone.
	Per Per
	// Severity is the alert's: the AlertFired event's, or the least a
	// forwarded event's.
	Severity events.Severity
}

// DefaultRules are the rules used when the configuration has none:
// certificate and operations events as they come, and bursts of refused
// requests, reports and upstream failures. docs/config.md shows them as
// [[alerts.rule]] tables.
func DefaultRules() []Rule {
	return []Rule{
		{Name: "certificates", Events: []string{"cert.*"}, Threshold: 1, Per: PerNone, Severity: events.Info},
		{Name: "operations", Events: []string{events.ConfigReloadFailed, events.BackupFailed}, Threshold: 1, Per: PerNone, Severity: events.High},
		{Name: "cluster", Events: []string{events.ClusterUnavailable, events.ClusterRecovered}, Threshold: 1, Per: PerNone, Severity: events.Medium},
		{Name: "refused-hosts", Events: []string{events.HostRejected}, Threshold: 20, Window: time.Minute, Per: PerClient, Severity: events.Medium},
		{Name: "cross-origin", Events: []string{events.CrossOriginBlocked}, Threshold: 20, Window: time.Minute, Per: PerClient, Severity: events.Medium},
		{Name: "reports", Events: []string{events.ReportReceived}, Threshold: 50, Window: 5 * time.Minute, Per: PerSite, Severity: events.Medium},
		{Name: "upstream", Events: []string{events.UpstreamFailed, events.UpstreamTimeout}, Threshold: 5, Window: time.Minute, Per: PerSite, Severity: events.High},
	}
}

// RulesStats counts what Rules did with the events it was given.
type RulesStats struct {
	// Counted counts matching events counted by a rule (an event matching
	// two rules counts twice).
	Counted uint64
	// Fired counts AlertFired events raised.
	Fired uint64
	// Forwarded counts events sent on by rules with a Threshold of 1.
	Forwarded uint64
	// Quiet counts thresholds reached while the group's rule was quiet
	// (within Window of its last alert): the alerts not raised again.
	Quiet uint64
	// Overflow counts matching events not counted because their rule
	// already counted MaxGroups live groups.
	Overflow uint64
}

// Rules is an events.Sink that counts events against rules and sends the
// alerts they raise to the next sink (a webhook, through its decorators).
// Create it with NewRules. Its Send method is safe for concurrent use and
// never blocks on anything but its own short critical sections.
type Rules struct {
	byType map[string][]*ruleState // event type → the rules counting it
	next   events.Sink
	now    func() time.Time

	counted, fired, forwarded, quiet, overflow atomic.Uint64
}

// ruleState is one rule and its groups.
type ruleState struct {
	Rule
	what      string // the events, for messages: "host.rejected"
	maxGroups int

	mu      sync.Mutex
	groups  map[string]*group
	sweepAt int
	nextExp int64 // no group expires before this, Unix ns (0: unknown)
}

// group is the recent history of one group of a rule.
type group struct {
	times      []int64 // the last Threshold event times (Unix ns), a ring from head
	head       int
	quietUntil int64 // no alert before this time (Unix ns)
}

// NewRules checks the rules and returns the Sink applying them. now is
// the clock (nil: time.Now); next receives the alerts.
func NewRules(rules []Rule, now func() time.Time, next events.Sink) (*Rules, error) {
	if now == nil {
		now = time.Now
	}
	r := &Rules{byType: make(map[string][]*ruleState), next: next, now: now}
	names := map[string]bool{}
	var errs []error
	for i, rule := range rules {
		if err := checkRule(rule, names); err != nil {
			errs = append(errs, fmt.Errorf("alert: rule %d (%q): %w", i+1, rule.Name, err))
			continue
		}
		if rule.Threshold == 0 {
			rule.Threshold = 1
		}
		if rule.Per == "" {
			rule.Per = PerNone
		}
		s := &ruleState{
			Rule:      rule,
			what:      strings.Join(rule.Events, ", "),
			maxGroups: max(1, min(MaxGroups, maxTimes/rule.Threshold)),
			groups:    make(map[string]*group),
			sweepAt:   64,
		}
		seen := map[string]bool{}
		for _, p := range rule.Events {
			for _, t := range events.MatchTypes(p) {
				if !seen[t] {
					seen[t] = true
					r.byType[t] = append(r.byType[t], s)
				}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// checkRule reports what is wrong with a rule, noting its name.
func checkRule(r Rule, names map[string]bool) error {
	switch {
	case r.Name == "":
		return errors.New("no name")
	case names[r.Name]:
		return errors.New("name used twice")
	case len(r.Events) == 0:
		return errors.New("no events")
	case r.Threshold < 0 || r.Threshold > MaxThreshold:
		return fmt.Errorf("threshold %d is not between 1 and %d", r.Threshold, MaxThreshold)
	case r.Window < 0:
		return fmt.Errorf("window %v is negative", r.Window)
	case r.Threshold > 1 && r.Window == 0:
		return fmt.Errorf("threshold %d needs a window", r.Threshold)
	case r.MinSeverity < events.Info || r.MinSeverity > events.Critical:
		return fmt.Errorf("min severity %v is not a severity", r.MinSeverity)
	case r.Severity < events.Info || r.Severity > events.Critical:
		return fmt.Errorf("severity %v is not a severity", r.Severity)
	}
	switch r.Per {
	case "", PerNone, PerClient, PerSite:
	default:
		return fmt.Errorf("per %q is not %q, %q or %q", r.Per, PerClient, PerSite, PerNone)
	}
	for _, p := range r.Events {
		if events.MatchTypes(p) == nil {
			return fmt.Errorf("events: %q is not an event type or a pattern of them (\"cert.*\")", p)
		}
	}
	names[r.Name] = true
	return nil
}

// Send counts e against the rules matching it and sends on the alerts
// they raise.
func (r *Rules) Send(e events.Event) {
	rules := r.byType[e.Type]
	if len(rules) == 0 {
		return
	}
	var t time.Time
	for _, s := range rules {
		if e.Severity < s.MinSeverity {
			continue
		}
		if s.Threshold == 1 && s.Window == 0 { // stateless: every event
			r.counted.Add(1)
			r.forward(s, e)
			continue
		}
		if t.IsZero() {
			t = r.now()
		}
		key := s.groupOf(e)
		n, fire, ok := s.count(key, t)
		switch {
		case !ok:
			r.overflow.Add(1)
			continue
		case n < s.Threshold:
			r.counted.Add(1)
			continue
		case !fire:
			r.counted.Add(1)
			r.quiet.Add(1)
			continue
		}
		r.counted.Add(1)
		if s.Threshold == 1 {
			r.forward(s, e)
			continue
		}
		r.fired.Add(1)
		a := events.Event{Type: events.AlertFired, Severity: s.Severity, Time: t, Rule: s.Name}
		where := ""
		switch {
		case key == "":
		case s.Per == PerClient:
			a.Client, where = key, " from client "+key
		case s.Per == PerSite:
			a.Site, where = key, " at site "+key
		}
		a.Message = fmt.Sprintf("%d events (%s)%s within %s", n, s.what, where, shortDuration(s.Window))
		r.next(a)
	}
}

// forward sends on an event of a rule with a Threshold of 1.
func (r *Rules) forward(s *ruleState, e events.Event) {
	r.forwarded.Add(1)
	e.Severity = max(e.Severity, s.Severity)
	r.next(e)
}

// Stats returns the counts so far.
func (r *Rules) Stats() RulesStats {
	return RulesStats{
		Counted:   r.counted.Load(),
		Fired:     r.fired.Load(),
		Forwarded: r.forwarded.Load(),
		Quiet:     r.quiet.Load(),
		Overflow:  r.overflow.Load(),
	}
}

// groupOf is the group e counts in.
func (s *ruleState) groupOf(e events.Event) string {
	switch s.Per {
	case PerClient:
		return e.Client
	case PerSite:
		return e.Site
	}
	return ""
}

// count records an event of group key at t. It returns how many of the
// group's events (at most Threshold) fall within the window ending at t,
// and whether the rule may alert now (then it turns quiet for Window). ok
// is false when the group is new and maxGroups groups are live.
func (s *ruleState) count(key string, t time.Time) (n int, fire, ok bool) {
	now := t.UnixNano()
	window := int64(s.Window)
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[key]
	if g == nil {
		if len(s.groups) >= s.sweepAt {
			s.sweep(now)
		}
		if len(s.groups) >= s.maxGroups {
			return 0, false, false
		}
		g = &group{times: make([]int64, 0, min(s.Threshold, 16))}
		s.groups[key] = g
	}
	if len(g.times) < s.Threshold {
		g.times = append(g.times, now)
	} else {
		g.times[g.head] = now
		g.head = (g.head + 1) % s.Threshold
	}
	if exp := g.expiry(window); s.nextExp == 0 || exp < s.nextExp {
		s.nextExp = exp
	}
	// The ring holds the newest events, oldest at head: count those in
	// (now-window, now].
	for i := range len(g.times) {
		if now-g.times[(g.head+i)%len(g.times)] < window {
			n = len(g.times) - i
			break
		}
	}
	if n < s.Threshold || now < g.quietUntil {
		return n, false, true
	}
	g.quietUntil = now + window
	if exp := g.expiry(window); exp < s.nextExp {
		s.nextExp = exp
	}
	return n, true, true
}

// expiry is when the group holds nothing worth keeping: its newest event
// has left the window and the rule is no longer quiet for it.
func (g *group) expiry(window int64) int64 {
	newest := g.times[(g.head+len(g.times)-1)%len(g.times)]
	return max(newest+window, g.quietUntil)
}

// sweep forgets the groups that have expired, unless none can have. s.mu
// is held.
func (s *ruleState) sweep(now int64) {
	if s.nextExp == 0 || now >= s.nextExp {
		var next int64
		for k, g := range s.groups {
			if exp := g.expiry(int64(s.Window)); now >= exp {
				delete(s.groups, k)
			} else if next == 0 || exp < next {
				next = exp
			}
		}
		s.nextExp = next
	}
	s.sweepAt = max(64, min(2*len(s.groups), s.maxGroups))
}

// shortDuration writes d without zero units: "1m", "1h30m", "45s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
