package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/cdn"
	"github.com/portcullis/portcullis/audit/cert"
	"github.com/portcullis/portcullis/audit/grade"
	"github.com/portcullis/portcullis/check"
	"github.com/portcullis/portcullis/rules"
)

func TestServerNamed(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]rules.Server{
		"nginx": rules.Nginx, "nginx/1.24.0": rules.Nginx, "openresty/1.21.4.1": rules.Nginx,
		"Apache/2.4.57 (Debian)": rules.Apache, "Apache": rules.Apache, "Caddy": rules.Caddy, "portcullis": rules.Portcullis,
		"Apache-Coyote/1.1": "", "cloudflare": "", "gunicorn": "", "WSGIServer/0.2 CPython/3.11": "", "": "", "nginxx": "",
	} {
		if got, ok := serverNamed(in); got != want || ok != (want != "") {
			t.Errorf("serverNamed(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	// The origin's Server header wins over the edge's (a CDN's).
	r := hardened()
	r.Observed.Headers["Server"] = "cloudflare"
	if h := serverOf(r); h.Server != "" {
		t.Errorf("behind Cloudflare: %+v", h)
	}
	r.Observed.Origin = &audit.Origin{Address: "203.0.113.10:443", Headers: map[string]string{"Server": "Apache/2.4.57"}}
	if h := serverOf(r); h.Server != rules.Apache || h.From != "the origin's Server header: Apache/2.4.57" {
		t.Errorf("with the origin: %+v", h)
	}
}

func TestRemediesFor(t *testing.T) {
	t.Parallel()
	hsts := rules.MustGet("hsts.missing")
	if got := remediesFor(hsts, ""); !reflect.DeepEqual(got, hsts.Remedies) {
		t.Errorf("unknown server: %v", got)
	}
	got := remediesFor(hsts, rules.Caddy)
	if len(got) != 2 || got[0].Server != rules.Caddy || got[1].Server != rules.Portcullis {
		t.Errorf("Caddy: %v", got)
	}
	if got := remediesFor(hsts, rules.Portcullis); len(got) != 1 || got[0].Server != rules.Portcullis {
		t.Errorf("portcullis: %v", got)
	}
	// A server without a remedy for the rule says so, before portcullis's.
	got = remediesFor(rules.MustGet("csrf.cross-origin-unprotected"), rules.Nginx)
	if len(got) != 2 || got[0] != (rules.Remedy{Server: rules.Nginx}) || remedyText(got[0]) != "no setting of its own: see the fix" {
		t.Errorf("nginx without a remedy: %v", got)
	}
	if got := remediesFor(rules.Rule{ID: "x.experimental"}, rules.Nginx); len(got) != 0 {
		t.Errorf("a rule the catalog lacks: %v", got)
	}
}

// TestReviewRemedies: under each finding the review shows the remedies
// of the server recognised first, then portcullis's; all of them when no
// server is recognised.
func TestReviewRemedies(t *testing.T) {
	t.Parallel()
	md := render(t, "markdown", []audit.Report{weak()})
	for _, want := range []string{
		"- **Server:** nginx, recognised from the Server header: nginx/1.18.0 (Ubuntu); remedies give its settings first\n",
		"**How, by server:**\n\n- nginx: `proxy_cookie_flags ~ secure;` (nginx 1.19.3+)\n- portcullis: Default: `[defaults.cookies] disable = false`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if strings.Contains(md, "- Apache httpd:") {
		t.Error("Markdown shows Apache's remedies for an nginx site")
	}
	md = render(t, "markdown", []audit.Report{plain()}) // no Server header
	for _, s := range []string{"portcullis", "nginx", "Apache httpd", "Caddy"} {
		if !strings.Contains(md, "\n- "+s+": ") {
			t.Errorf("unknown server: no %s remedy\n%s", s, md)
		}
	}
	if strings.Contains(md, "**Server:**") {
		t.Error("a server is claimed for a target that named none")
	}
	html := render(t, "html", []audit.Report{weak()})
	if !strings.Contains(html, "<li>nginx: <code>proxy_cookie_flags ~ secure;</code> (nginx 1.19.3&#43;)</li>") {
		t.Error("HTML lacks the nginx remedy")
	}
	// JSON: every finding carries its rule's remedies, all of them.
	var d Document
	if err := json.Unmarshal([]byte(render(t, "json", fixtures())), &d); err != nil {
		t.Fatal(err)
	}
	for _, tr := range d.Targets {
		for _, f := range tr.Findings {
			want := ruleOf(f.Rule).Remedies
			if want == nil {
				want = []rules.Remedy{}
			}
			if !reflect.DeepEqual(f.Remedies, want) {
				t.Errorf("%s %s: remedies %v", tr.Target, f.Rule, f.Remedies)
			}
		}
	}
	if d.Targets[0].Server != rules.Portcullis || d.Targets[1].Server != rules.Nginx || d.Targets[4].Server != "" {
		t.Errorf("servers: %q, %q, %q", d.Targets[0].Server, d.Targets[1].Server, d.Targets[4].Server)
	}
}

// TestImprovements: findings below medium are potential improvements
// with their remedies; no section says there is nothing to fix while a
// finding is open.
func TestImprovements(t *testing.T) {
	t.Parallel()
	h := newReview(hardened(), testMeta.withDefaults())
	if len(h.Recs) != 0 || len(h.Improvements) != 2 || h.Improvements[0].Rule.ID != "header.corp-missing" || len(h.Improvements[0].Remedies) == 0 {
		t.Errorf("hardened: recommendations %+v, improvements %+v", h.Recs, h.Improvements)
	}
	w := newReview(weak(), testMeta.withDefaults())
	var ids []string
	for _, im := range w.Improvements {
		ids = append(ids, im.Rule.ID)
	}
	if want := []string{"header.nosniff-missing", "hsts.max-age-short", "x.experimental", "hsts.no-preload"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("weak improvements %v, want %v", ids, want)
	}
	for _, r := range w.Recs {
		if r.Severity < rules.Medium {
			t.Errorf("recommendation below medium: %+v", r)
		}
	}
	for _, r := range fixtures() {
		md, html := render(t, "markdown", []audit.Report{r}), render(t, "html", []audit.Report{r})
		if len(r.Findings) > 0 && (strings.Contains(md, "Nothing to fix") || strings.Contains(html, "Nothing to fix")) {
			t.Errorf("%s: %d findings open, and the review says nothing to fix", r.Target, len(r.Findings))
		}
		if !strings.Contains(md, "\n### Potential improvements\n") || !strings.Contains(html, "<h3>Potential improvements</h3>") {
			t.Errorf("%s: no Potential improvements section", r.Target)
		}
	}
	md := render(t, "markdown", []audit.Report{hardened()})
	for _, want := range []string{
		"### Recommendations\n\n_Nothing at medium severity or above; the open findings are potential improvements (below)._\n",
		"1. **Informational** `header.corp-missing` — No Cross-Origin-Resource-Policy header (1 finding): Send `Cross-Origin-Resource-Policy: same-origin`",
		"   - portcullis: `[defaults.headers] corp = \"same-origin\"`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("hardened Markdown lacks %q", want)
		}
	}
	clean := hardened()
	clean.Findings = nil
	md = render(t, "markdown", []audit.Report{clean})
	if !strings.Contains(md, "_Nothing to fix: no finding is open._") || !strings.Contains(md, "### Potential improvements\n\n_None: no finding is open._") {
		t.Errorf("no findings:\n%s", md)
	}
}

// checked is a configuration check as `portcullis audit --config` gives
// it: ACME from Let's Encrypt, no alerts, no backups, the admin listener
// on the network, and a site in Let's Encrypt's staging environment.
func checked() *check.Report {
	f := func(id, msg string) check.Finding {
		return check.Finding{Finding: rules.Finding{Rule: id, Severity: rules.Medium, Message: msg}}
	}
	return &check.Report{
		Config: "/etc/portcullis/portcullis.toml",
		Findings: []check.Finding{
			f("admin.exposed", `listen.admin ":9180" is reachable beyond this machine`),
			f("acme.staging", "acme.ca is Let's Encrypt's staging environment: its certificates are not trusted by browsers"),
			f("alerts.missing", "no [alerts] webhook"),
			f("backup.missing", "no [backup] dir"),
			f("hsts.no-preload", "preload is not requested"), // a site's finding: not an operations one
		},
		Setup: check.Setup{CertSources: []string{"acme", "files"}, ACMECA: "Let's Encrypt", ACMEFallback: "ZeroSSL",
			Thresholds: []string{"30d", "14d", "7d", "1d"}, Admin: ":9180"},
	}
}

// TestProduction: the considerations for production state what the audit
// observed, what the configuration check shows when given, and mark the
// rest not verified.
func TestProduction(t *testing.T) {
	t.Parallel()
	// A short-lived Let's Encrypt certificate, behind a CDN whose origin
	// serves plain HTTP, a page with mixed content, a cookie a shared
	// cache may keep.
	r := hardened()
	r.Cert = &cert.Info{Subject: "CN=shop.example", Issuer: "CN=E8,O=Let's Encrypt,C=US", Names: []string{"shop.example"},
		NotBefore: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2026, 11, 26, 16, 0, 0, 0, time.UTC), DaysLeft: 3, Trusted: true}
	r.Observed.CDN = &cdn.Edge{Name: "Fastly", Signs: []cdn.Sign{{CDN: "Fastly", Header: "X-Served-By", Value: "cache-ams21"}}}
	r.Observed.Origin = &audit.Origin{Address: "203.0.113.10:443", TLS: true, Status: 200}
	r.Observed.Headers["Content-Security-Policy"] += "; upgrade-insecure-requests"
	r.Findings = append(r.Findings,
		finding("content.mixed-active", "script http://cdn.example/app.js is loaded over HTTP", "", "https://hardened.test/"),
		finding("content.mixed-active", "frame http://ads.example/ is loaded over HTTP", "", "https://hardened.test/login"),
		finding("cdn.origin-plain-http", "http://hardened.test/ at the origin answers 200", "", ""),
		finding("header.cache-shared-private", "the response sets sessionid and allows shared caches to store it (Cache-Control: public)", "", "https://hardened.test/login"),
	)
	r.Grade = grade.Of(r.Findings)
	notes := func(c consideration) string {
		var b strings.Builder
		for _, n := range c.Notes {
			b.WriteString(n.Label() + ": " + n.Text + "\n")
		}
		return b.String()
	}

	bare := production(r, nil)
	if len(bare) != 4 || bare[0].Topic != "Certificate renewal" || bare[1].Topic != "Mixed content" || bare[2].Topic != "CDN and origin" || bare[3].Topic != "Monitoring and backups" {
		t.Fatalf("topics: %+v", bare)
	}
	for i, want := range [][]string{
		{"Observed: issued by CN=E8,O=Let's Encrypt,C=US: an ACME CA (Let's Encrypt); 3 days left of a 6-day lifetime: short-lived, so renewal runs every few days",
			"Not verified: what renews the certificate and what watches its expiry"},
		{"Observed: script http://cdn.example/app.js is loaded over HTTP at https://hardened.test/, and 1 more (content.mixed-active)\n",
			"Observed: the CSP upgrades insecure requests (upgrade-insecure-requests)\n",
			"Not verified: pages the audit did not fetch"},
		{"Observed: served through Fastly (X-Served-By: cache-ams21)\n",
			"Observed: the origin 203.0.113.10:443: cdn.origin-plain-http (see the findings)\n",
			"Observed: the response sets sessionid and allows shared caches to store it (Cache-Control: public) (header.cache-shared-private)\n"},
		{"Not verified: alerts, metrics and backups are set up on the server"},
	} {
		got := notes(bare[i])
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s without a configuration: lacks %q in\n%s", bare[i].Topic, w, got)
			}
		}
		if bare[i].Advice == "" {
			t.Errorf("%s: no advice", bare[i].Topic)
		}
	}
	// Observed notes come before the unverified ones.
	for _, c := range bare {
		for i := 1; i < len(c.Notes); i++ {
			if c.Notes[i].Kind < c.Notes[i-1].Kind {
				t.Errorf("%s: notes out of order: %+v", c.Topic, c.Notes)
			}
		}
	}

	// With the configuration's check, renewal and operations are stated.
	with := production(r, checked())
	for i, want := range map[int][]string{
		0: {"Configured: certificates from ACME (Let's Encrypt, then ZeroSSL), renewed by portcullis in the last third of their life\n",
			"Configured: certificate files, renewed by another program; portcullis reloads them when they change\n",
			"Configured: portcullis's expiry monitor warns at 30d, 14d, 7d, 1d before expiry, but the events only reach the log and /metrics (alerts.missing)\n"},
		3: {"Configured: /etc/portcullis/portcullis.toml sends certificate events only to the log and /metrics (alerts.missing)\n",
			"Configured: /metrics on :9180, reachable from the network (admin.exposed)\n",
			"Configured: no scheduled backup of the ACME account and keys (backup.missing)\n",
			"Configured: acme.ca is Let's Encrypt's staging environment: its certificates are not trusted by browsers (acme.staging)\n"},
	} {
		got := notes(with[i])
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s with a configuration: lacks %q in\n%s", with[i].Topic, w, got)
			}
		}
		if strings.Contains(got, "Not verified: what renews") || strings.Contains(got, "Not verified: alerts") || strings.Contains(got, "hsts.no-preload") {
			t.Errorf("%s with a configuration:\n%s", with[i].Topic, got)
		}
	}
	ok := checked()
	ok.Findings = nil
	ok.Setup.Alerts, ok.Setup.Backups, ok.Setup.Admin = true, true, "127.0.0.1:9180"
	got := notes(operations(ok))
	for _, w := range []string{"sends certificate events to an [alerts] webhook", "/metrics on 127.0.0.1:9180, for a local Prometheus", "scheduled encrypted backups"} {
		if !strings.Contains(got, w) {
			t.Errorf("a watched configuration: lacks %q in\n%s", w, got)
		}
	}

	// Through Meta.Check, in Markdown and HTML.
	m := testMeta
	m.Check = checked()
	var md, html bytes.Buffer
	if err := Markdown(&md, []audit.Report{r}, m); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&html, []audit.Report{r}, m); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"### Considerations for production\n",
		"#### Certificate renewal\n\n- **Observed:** issued by CN=E8,O=Let's Encrypt,C=US: an ACME CA (Let's Encrypt)",
		"- **Configured:** /etc/portcullis/portcullis.toml sends certificate events only to the log and /metrics (alerts.missing)\n",
		"\n**Recommendation:** Send certificate events to someone who acts on them (`[alerts] webhook`)",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	for _, want := range []string{
		"<h3>Considerations for production</h3>",
		"<li><strong>Configured:</strong> /metrics on :9180, reachable from the network (admin.exposed)</li>",
	} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// Without a certificate, or a target not audited: not verified.
	if got := notes(renewal(down(), nil)); !strings.Contains(got, "Not verified: no certificate was read") {
		t.Errorf("down: %s", got)
	}
	if got := notes(cdnConsideration(down())); got != "Not verified: the target could not be audited\n" {
		t.Errorf("down CDN: %s", got)
	}
}
