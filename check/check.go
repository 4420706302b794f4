// Package check evaluates a portcullis configuration before deploy, the way
// Django's `manage.py check --deploy` does for a Django project, but for
// any application behind portcullis: every site's shield policy against
// the rule catalog (package rules), plus what only the whole configuration
// shows: a public name served with a certificate from the local CA, and
// the rules about running portcullis itself (see Rules): an admin
// listener reachable from the network, an ACME CA that cannot validate a
// site's names or issues untrusted certificates, no alerts, no backups.
//
// Run is `portcullis check --deploy`; Lint, the subset that applies to
// any configuration, deployed or not, is `portcullis check`.
package check

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/shield"
)

// Level groups severities the way a linter reports them.
type Level string

// Levels of a finding, from its severity: High and Critical are errors,
// Low and Medium warnings, Info informational.
const (
	LevelError   Level = "error"
	LevelWarning Level = "warning"
	LevelInfo    Level = "info"
)

// LevelOf maps a severity to its level.
func LevelOf(s rules.Severity) Level {
	switch {
	case s >= rules.High:
		return LevelError
	case s >= rules.Low:
		return LevelWarning
	}
	return LevelInfo
}

// Finding is a rule finding located in the configuration. A finding about
// the whole configuration (an operations rule such as alerts.missing) has
// no Site and no Line.
type Finding struct {
	rules.Finding
	Level  Level  `json:"level"`
	Site   string `json:"site"`
	Line   int    `json:"line,omitempty"`
	Title  string `json:"title"`
	Fix    string `json:"fix"`
	Django string `json:"django,omitempty"`
}

// Report is the outcome of checking one configuration.
type Report struct {
	Config   string    `json:"config"`
	Findings []Finding `json:"findings"`
	Errors   int       `json:"errors"`
	Warnings int       `json:"warnings"`
	Infos    int       `json:"infos"`
	// Setup is what the configuration sets up around the sites, for a
	// review to state as observed (`portcullis audit --config`).
	Setup Setup `json:"setup"`
}

// Setup is how a configuration runs the certificates' life around the
// sites: where certificates come from, what watches their expiry, who
// hears of a problem, what is backed up. The operations rules judge it;
// a security review states it (package report's production
// considerations).
type Setup struct {
	// CertSources are the sites' certificate sources, each once, in file
	// order: "acme", "files", "local".
	CertSources []string `json:"cert_sources"`
	// ACMECA names the CA of the ACME sites ("Let's Encrypt", or its
	// directory URL), and ACMEFallback the fallback CA; "" for none.
	ACMECA       string `json:"acme_ca,omitempty"`
	ACMEFallback string `json:"acme_fallback,omitempty"`
	// Thresholds are the times before expiry at which the expiry monitor
	// fires, longest first ("30d"); it checks every served certificate.
	Thresholds []string `json:"monitor_thresholds"`
	// Alerts says whether `[alerts] webhook` is set (never the URL, which
	// often holds a token).
	Alerts bool `json:"alerts"`
	// Backups says whether scheduled backups are on (`[backup] dir`).
	Backups bool `json:"backups"`
	// Admin is the admin listener's address (`/metrics`), "" when off.
	Admin string `json:"admin"`
}

// setupOf describes cfg's setup.
func setupOf(cfg *config.Config) Setup {
	s := Setup{CertSources: []string{}, Thresholds: []string{}, Alerts: cfg.Alerts.Webhook != "", Backups: cfg.Backup.Dir != "", Admin: cfg.Listen.Admin}
	for _, site := range cfg.Sites {
		if src := cmp.Or(site.Cert.Source, config.AutoSource(site.Hosts)); !slices.Contains(s.CertSources, src) {
			s.CertSources = append(s.CertSources, src)
		}
	}
	if slices.Contains(s.CertSources, config.CertACME) {
		s.ACMECA = caName(cfg.ACME.CA)
		if fb := cfg.ACME.Fallback; fb != nil {
			s.ACMEFallback = caName(fb.CA)
		}
	}
	for _, d := range cfg.Monitor.Thresholds {
		s.Thresholds = append(s.Thresholds, days(d))
	}
	return s
}

// caName is a CA's name when it is a well-known one, else its URL.
func caName(url string) string {
	if name, ok := publicCA(url); ok {
		return name
	}
	return url
}

// days writes d in whole days when it is some ("30d"), else as Go does.
func days(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// Lint evaluates the rules that apply to cfg whether or not it is
// deployed: mistakes that fail or leak from the start (an admin listener
// reachable from the network, ACME for names no public CA can validate).
// cfg must have been validated (config.Load does). Run includes them.
func Lint(cfg *config.Config) *Report {
	r := &Report{Config: cfg.Path, Findings: []Finding{}, Setup: setupOf(cfg)}
	r.operations(cfg)
	r.certFiles(cfg, false, time.Now())
	r.sort()
	return r
}

// Run evaluates cfg for deployment: every rule, Lint's included. cfg must
// have been validated (config.Load does).
func Run(cfg *config.Config) (*Report, error) {
	r := &Report{Config: cfg.Path, Findings: []Finding{}, Setup: setupOf(cfg)}
	for i := range cfg.Sites {
		site := &cfg.Sites[i]
		opts, err := cfg.ShieldOptions(site)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: site %q: %w", cfg.Path, site.Line, site.Name, err)
		}
		opts.OnEvent = func(shield.Event) {}
		s, err := shield.New(opts)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: site %q: %w", cfg.Path, site.Line, site.Name, err)
		}
		for _, f := range s.Findings() {
			r.add(site, f)
		}
		if (site.Cert.Source == "" || site.Cert.Source == config.CertLocal) && hasPublicName(site.Hosts) {
			f := rules.NewFinding("cert.untrusted", "the certificate comes from portcullis's local CA, which browsers on other machines do not trust; use ACME or certificate files for public names")
			r.add(site, f)
		}
	}
	r.operations(cfg)
	r.certFiles(cfg, true, time.Now())
	r.deployment(cfg)
	r.sort()
	return r, nil
}

// sort orders the findings: most severe first, then by line and rule.
func (r *Report) sort() {
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(b.Severity, a.Severity), cmp.Compare(a.Line, b.Line), strings.Compare(a.Rule, b.Rule))
	})
}

// add records a finding about site, or about the whole configuration
// when site is nil (no site, no line).
func (r *Report) add(site *config.Site, f rules.Finding) {
	rule, _ := ruleByID(f.Rule)
	lf := Finding{Finding: f, Level: LevelOf(f.Severity), Title: rule.Title, Fix: rule.Fix, Django: rule.Django}
	if site != nil {
		lf.Target, lf.Site, lf.Line = site.Name, site.Name, site.Line
	}
	switch lf.Level {
	case LevelError:
		r.Errors++
	case LevelWarning:
		r.Warnings++
	default:
		r.Infos++
	}
	r.Findings = append(r.Findings, lf)
}

// hasPublicName reports whether a host list names anything besides
// localhost names and loopback or private addresses.
func hasPublicName(hosts []string) bool {
	for _, h := range hosts {
		h = strings.ToLower(strings.Trim(strings.TrimPrefix(strings.TrimSpace(h), "."), "[]"))
		if h == "localhost" || strings.HasSuffix(h, ".localhost") || h == "*" {
			continue
		}
		if a, err := netip.ParseAddr(h); err == nil && (a.IsLoopback() || a.IsPrivate()) {
			continue
		}
		return true
	}
	return false
}
