package config

import (
	"strings"
	"time"

	"github.com/portcullis/portcullis/events"
)

// This file decodes and validates [audit].

// Audit configures the server's audits of its own sites (package
// selfaudit): each site is audited through the server's own listeners,
// under its real name, with `portcullis audit`'s engine, at start, after
// every reload and certificate renewal, and every Every.
type Audit struct {
	// Enabled turns the self-audits on. Default true.
	Enabled bool
	// Every is the longest time between two audits of a site; 0 audits
	// only at start, after reloads and after certificate renewals.
	// Default 24 hours; otherwise at least MinAuditEvery.
	Every time.Duration
	// Paths are fetched besides "/" on every site (a login page's cookies
	// matter most).
	Paths []string
	// AlertOn is the lowest severity of a finding that an audit found and
	// the site's previous audit did not which raises an
	// audit.finding_new event. Default Medium.
	AlertOn events.Severity
	// Timeout bounds the audit of one site. Default 2 minutes.
	Timeout time.Duration
}

// Defaults and limits of [audit].
const (
	DefaultAuditEvery   = 24 * time.Hour
	DefaultAuditTimeout = 2 * time.Minute
	// MinAuditEvery is the shortest audit.every accepted (but 0).
	MinAuditEvery = 10 * time.Minute
	// MaxAuditPaths is the most audit.paths accepted.
	MaxAuditPaths = 20
)

func defaultAudit() Audit {
	return Audit{Enabled: true, Every: DefaultAuditEvery, AlertOn: events.Medium, Timeout: DefaultAuditTimeout}
}

// audit decodes [audit].
func (d *decoder) audit(a *Audit, t *table) {
	set(&a.Enabled, t.boolean("enabled"))
	set(&a.Every, t.duration("every"))
	if l := t.strs("paths"); l != nil {
		a.Paths = l
	}
	set(&a.AlertOn, t.severity("alert_on"))
	set(&a.Timeout, t.duration("timeout"))
	t.close()
}

func (v *validator) audit() {
	a := v.c.Audit
	if a.Every != 0 && a.Every < MinAuditEvery && !v.bad(dotted("audit.every")) {
		v.report("audit.every", "%s is shorter than %s (an audit probes every TLS version and cipher suite); 0 audits only at start, after reloads and renewals",
			formatDuration(a.Every), formatDuration(MinAuditEvery))
	}
	if a.Timeout <= 0 && !v.bad(dotted("audit.timeout")) {
		v.report("audit.timeout", "must be positive (how long the audit of one site may take, e.g. \"2m\")")
	}
	if !validSeverity(a.AlertOn) && !v.bad(dotted("audit.alert_on")) {
		v.report("audit.alert_on", "%v is not one of %s", a.AlertOn, severityNames)
	}
	if v.bad(dotted("audit.paths")) {
		return
	}
	if len(a.Paths) > MaxAuditPaths {
		v.report("audit.paths", "%d paths: at most %d (each is fetched on every site at every audit)", len(a.Paths), MaxAuditPaths)
	}
	for i, p := range a.Paths {
		if !strings.HasPrefix(p, "/") || len(p) > 200 || strings.ContainsFunc(p, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '#' }) {
			v.item("audit.paths", i+1, "%q is not an absolute path (\"/login\"): it starts with /, has no spaces, control characters or fragment, and at most 200 bytes", p)
		}
	}
}
