package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/portcullis/portcullis/events"
)

// This file decodes and validates [alerts] and its [[alerts.rule]]
// tables.

// Alert rule limits and values, as package alert has them (config does
// not import it).
const (
	maxAlertThreshold = 10000
	alertPerClient    = "client"
	alertPerSite      = "site"
	alertPerNone      = "none"
)

// severityNames is what a severity may be written as, for messages.
const severityNames = "info, low, medium, high, critical (warning and error still mean medium and high)"

// alerts decodes [alerts].
func (d *decoder) alerts(a *Alerts, t *table) {
	set(&a.Webhook, t.str("webhook"))
	set(&a.Secret, t.str("secret"))
	set(&a.Format, t.str("format"))
	set(&a.MinSeverity, t.severity("min_severity"))
	set(&a.Dedup, t.duration("dedup"))
	if v, ok := t.get("rule"); ok {
		list, ok := v.([]any)
		switch {
		case !ok:
			t.fail("rule", 0, "must be an array of tables ([[alerts.rule]]), not %s", typeName(v))
		case len(list) == 0:
			t.fail("rule", 0, "is empty: leave it out for the built-in rules, or add [[alerts.rule]] tables")
		}
		for i, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				t.fail("rule", i+1, "must be a table, not %s", typeName(e))
				continue
			}
			path := join(t.keyPath("rule"), strconv.Itoa(i))
			rt := &table{d: d, m: m, path: path, show: ruleKey(i, ""), line: d.lines[path]}
			a.Rules = append(a.Rules, rt.alertRule())
			rt.close()
		}
	}
	t.close()
}

// alertRule decodes one [[alerts.rule]], with its defaults.
func (t *table) alertRule() AlertRule {
	r := AlertRule{Threshold: 1, Per: alertPerNone, MinSeverity: events.Info, Severity: events.Medium}
	set(&r.Name, t.str("name"))
	r.Events = t.strs("events")
	set(&r.MinSeverity, t.severity("min_severity"))
	set(&r.Threshold, t.integer("threshold"))
	set(&r.Window, t.duration("window"))
	set(&r.Per, t.str("per"))
	set(&r.Severity, t.severity("severity"))
	return r
}

// severity reads a severity name (events.ParseSeverity).
func (t *table) severity(k string) *events.Severity {
	s := t.str(k)
	if s == nil {
		return nil
	}
	sev, err := events.ParseSeverity(*s)
	if err != nil {
		t.fail(k, 0, "%q is not one of %s", *s, severityNames)
		return nil
	}
	return &sev
}

// ruleKey is how the key of the i-th rule (0-based) is shown:
// "alerts.rule[2].threshold", or "alerts.rule[2]" for the rule itself.
func ruleKey(i int, key string) string {
	s := "alerts.rule[" + strconv.Itoa(i+1) + "]"
	if key != "" {
		s += "." + key
	}
	return s
}

// validSeverity reports whether s is one of the five severities (a
// Config built in code may hold anything).
func validSeverity(s events.Severity) bool { return s >= events.Info && s <= events.Critical }

// alertRule validates the i-th (0-based) [[alerts.rule]].
func (v *validator) alertRule(i int, r AlertRule, names map[string]int) {
	path := join(dotted("alerts.rule"), strconv.Itoa(i))
	line := func(key string) int {
		if l := v.line(path, key); l > 0 {
			return l
		}
		return v.itemLine("alerts.rule", i+1)
	}
	report := func(key, format string, a ...any) {
		v.add(line(key), ruleKey(i, key), format, a...)
	}
	bad := func(key string) bool { return v.bad(join(path, key)) }
	switch first, dup := names[r.Name]; {
	case r.Name == "" && !bad("name"):
		report("name", "missing: every rule needs a name (alerts say which rule raised them)")
	case dup:
		report("name", "%q is also the name of rule %d", r.Name, first)
	case r.Name != "":
		names[r.Name] = i + 1
	}
	if len(r.Events) == 0 && !bad("events") {
		report("events", "missing: list the event types counted, e.g. [%q] or [\"cert.*\"]", events.HostRejected)
	}
	for j, e := range r.Events {
		if events.MatchTypes(e) != nil {
			continue
		}
		l := line("events")
		if il, ok := v.c.lines[join(join(path, "events"), strconv.Itoa(j))]; ok {
			l = il
		}
		var msg string
		switch s := closest(e, events.Types()); {
		case e == events.AlertFired:
			msg = fmt.Sprintf("%q is what rules raise; they cannot count it", e)
		case strings.HasSuffix(e, "*"):
			msg = fmt.Sprintf("%q matches no event type (a pattern is a prefix and \".*\", as in \"cert.*\")", e)
		case s != "":
			msg = fmt.Sprintf("%q is not an event type (did you mean %q?)", e, s)
		default:
			msg = fmt.Sprintf("%q is not an event type (docs/config.md lists them)", e)
		}
		v.add(l, ruleKey(i, "events"), "item %d: %s", j+1, msg)
	}
	if !validSeverity(r.MinSeverity) {
		report("min_severity", "%v is not one of %s", r.MinSeverity, severityNames)
	}
	if !validSeverity(r.Severity) {
		report("severity", "%v is not one of %s", r.Severity, severityNames)
	}
	switch {
	case bad("threshold"):
	case r.Threshold < 1:
		report("threshold", "must be at least 1, not %d", r.Threshold)
	case r.Threshold > maxAlertThreshold:
		report("threshold", "%d is more than %d", r.Threshold, maxAlertThreshold)
	}
	switch {
	case bad("window"):
	case r.Window < 0:
		report("window", "%v is negative", r.Window)
	case r.Window == 0 && r.Threshold > 1:
		report("window", "must be positive with a threshold of %d: the time the events are counted in, e.g. \"1m\"", r.Threshold)
	}
	switch r.Per {
	case alertPerClient, alertPerSite, alertPerNone:
	default:
		if !bad("per") {
			report("per", "%q is not \"client\", \"site\" or \"none\"", r.Per)
		}
	}
}
