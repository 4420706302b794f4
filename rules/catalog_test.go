package rules

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	idPattern     = regexp.MustCompile(`^[a-z]+\.[a-z0-9-]+$`)
	djangoPattern = regexp.MustCompile(`^security\.[WE]\d{3}$`)
	// sentenceBreak matches the end of one sentence and the start of the next.
	sentenceBreak = regexp.MustCompile("[.!?] +[A-Z`]")
)

// djangoDeployChecks are the security.* checks Django runs with
// "check --deploy" and still ships (W007 and W017 were removed), from
// https://docs.djangoproject.com/en/stable/ref/checks/#security.
var djangoDeployChecks = map[string]string{
	"security.W001": "SecurityMiddleware not in MIDDLEWARE",
	"security.W002": "XFrameOptionsMiddleware not in MIDDLEWARE",
	"security.W003": "CsrfViewMiddleware not in MIDDLEWARE",
	"security.W004": "SECURE_HSTS_SECONDS not set",
	"security.W005": "SECURE_HSTS_INCLUDE_SUBDOMAINS not True",
	"security.W006": "SECURE_CONTENT_TYPE_NOSNIFF not True",
	"security.W008": "SECURE_SSL_REDIRECT not True",
	"security.W009": "weak SECRET_KEY",
	"security.W010": "SESSION_COOKIE_SECURE not True (sessions app)",
	"security.W011": "SESSION_COOKIE_SECURE not True (session middleware)",
	"security.W012": "SESSION_COOKIE_SECURE not True",
	"security.W013": "SESSION_COOKIE_HTTPONLY not True (sessions app)",
	"security.W014": "SESSION_COOKIE_HTTPONLY not True (session middleware)",
	"security.W015": "SESSION_COOKIE_HTTPONLY not True",
	"security.W016": "CSRF_COOKIE_SECURE not True",
	"security.W018": "DEBUG is True",
	"security.W019": "X_FRAME_OPTIONS not DENY",
	"security.W020": "ALLOWED_HOSTS empty",
	"security.W021": "SECURE_HSTS_PRELOAD not True",
	"security.W022": "SECURE_REFERRER_POLICY not set",
	"security.E023": "SECURE_REFERRER_POLICY invalid",
	"security.E024": "SECURE_CROSS_ORIGIN_OPENER_POLICY invalid",
	"security.W025": "weak SECRET_KEY_FALLBACKS entry",
}

func categoryPrefix(c Category) (string, bool) {
	for _, d := range categoryInfo {
		if d.cat == c {
			return d.prefix, true
		}
	}
	return "", false
}

func TestCatalogWellFormed(t *testing.T) {
	if len(catalog) == 0 {
		t.Fatal("catalog is empty")
	}
	seen := map[string]bool{}
	for _, r := range catalog {
		if seen[r.ID] {
			t.Errorf("duplicate rule ID %q", r.ID)
		}
		seen[r.ID] = true
		if !idPattern.MatchString(r.ID) {
			t.Errorf("%s: ID does not match %s", r.ID, idPattern)
		}
		prefix, ok := categoryPrefix(r.Category)
		if !ok {
			t.Errorf("%s: unknown category %q", r.ID, r.Category)
		} else if got, _, _ := strings.Cut(r.ID, "."); got != prefix {
			t.Errorf("%s: category %q needs prefix %q, ID has %q", r.ID, r.Category, prefix, got)
		}
		if !r.Severity.valid() {
			t.Errorf("%s: invalid severity %d", r.ID, r.Severity)
		}
		checkText(t, r.ID, "title", r.Title)
		checkText(t, r.ID, "description", r.Description)
		checkText(t, r.ID, "fix", r.Fix)
		if len(r.Title) > 80 || strings.HasSuffix(r.Title, ".") {
			t.Errorf("%s: title must be at most 80 bytes with no trailing period: %q", r.ID, r.Title)
		}
		if !strings.HasSuffix(r.Description, ".") || !strings.HasSuffix(r.Fix, ".") {
			t.Errorf("%s: description and fix must be full sentences ending in '.'", r.ID)
		}
		if n := len(sentenceBreak.FindAllString(r.Description, -1)) + 1; n > 3 {
			t.Errorf("%s: description has %d sentences, want 1 to 3", r.ID, n)
		}
		checkReferences(t, r)
		if r.Django != "" {
			if !djangoPattern.MatchString(r.Django) {
				t.Errorf("%s: Django check %q does not match %s", r.ID, r.Django, djangoPattern)
			} else if _, ok := djangoDeployChecks[r.Django]; !ok {
				t.Errorf("%s: %s is not a current Django deployment check", r.ID, r.Django)
			}
		}
	}
}

// checkText requires non-empty single-line text with balanced backquotes
// (code spans) and no surrounding or doubled spaces.
func checkText(t *testing.T, id, field, s string) {
	t.Helper()
	switch {
	case s == "":
		t.Errorf("%s: empty %s", id, field)
	case strings.ContainsAny(s, "\n\r\t"):
		t.Errorf("%s: %s must be one line: %q", id, field, s)
	case strings.TrimSpace(s) != s || strings.Contains(s, "  "):
		t.Errorf("%s: %s has stray spaces: %q", id, field, s)
	case strings.Count(s, "`")%2 != 0:
		t.Errorf("%s: %s has an unpaired backquote: %q", id, field, s)
	}
}

func checkReferences(t *testing.T, r Rule) {
	t.Helper()
	if len(r.References) == 0 {
		t.Errorf("%s: no references", r.ID)
	}
	seen := map[string]bool{}
	for _, ref := range r.References {
		u, err := url.Parse(ref)
		if err != nil || u.Scheme != "https" || u.Host == "" || strings.ContainsAny(ref, " <>`") {
			t.Errorf("%s: reference %q is not a plain https URL", r.ID, ref)
		}
		if seen[ref] {
			t.Errorf("%s: duplicate reference %q", r.ID, ref)
		}
		seen[ref] = true
	}
}

// TestRequiredRules pins the IDs other packages and users rely on.
func TestRequiredRules(t *testing.T) {
	required := []string{
		"host.unrestricted", "host.invalid-pattern",
		"proxy.trust-all", "proxy.forwarded-spoofable", "proxy.underscore-headers", "proxy.unsafe-methods",
		"redirect.missing", "redirect.not-permanent", "redirect.not-same-host-first",
		"redirect.downgrade", "redirect.cross-site", "redirect.chain-long", "redirect.http-form-action", "redirect.http-unreachable",
		"hsts.missing", "hsts.max-age-short", "hsts.no-subdomains", "hsts.no-preload",
		"hsts.preload-ineligible", "hsts.multiple", "hsts.invalid", "hsts.over-http", "hsts.local-host",
		"cookie.secure-missing", "cookie.httponly-missing", "cookie.samesite-missing",
		"cookie.samesite-none-insecure", "cookie.prefix-invalid",
		"header.frame-options-missing", "header.frame-options-weak", "header.nosniff-missing",
		"header.referrer-policy-missing", "header.referrer-policy-unsafe", "header.referrer-policy-invalid",
		"header.coop-missing", "header.coop-invalid", "header.corp-missing",
		"header.xss-protection-enabled", "header.permissions-policy-missing", "header.server-version",
		"header.cache-shared-private",
		"csp.missing", "csp.unsafe-inline", "csp.unsafe-eval", "csp.wildcard-source", "csp.scheme-source",
		"csp.object-src-missing", "csp.base-uri-missing", "csp.frame-ancestors-missing",
		"csp.report-only-only", "csp.invalid", "csp.strict-dynamic-without-nonce",
		"permissions.invalid",
		"cors.wildcard-credentials", "cors.origin-reflected", "cors.null-origin", "cors.wildcard",
		"csrf.cross-origin-unprotected",
		"securitytxt.missing", "securitytxt.invalid", "securitytxt.expired", "securitytxt.expires-too-far",
		"securitytxt.canonical-mismatch", "securitytxt.not-https", "securitytxt.contact-missing",
		"tls.no-https", "tls.legacy-protocol", "tls.no-tls13", "tls.weak-cipher", "tls.cbc-cipher",
		"tls.no-forward-secrecy", "tls.weak-dh", "tls.must-staple-unmet", "tls.no-ocsp-stapling", "tls.no-h2", "tls.no-server-preference", "tls.weak-profile",
		"cert.expired", "cert.expiring", "cert.hostname-mismatch", "cert.untrusted", "cert.self-signed",
		"cert.weak-key", "cert.weak-signature", "cert.pin-mismatch", "cert.key-permissions",
		"cert.caa-missing", "cert.caa-mismatch", "cert.caa-unknown-issuer",
		"content.mixed-active", "content.mixed-passive", "content.sri-missing",
		"cdn.origin-plain-http", "cdn.origin-cert-invalid", "cdn.header-mismatch",
	}
	for _, id := range required {
		if _, ok := Get(id); !ok {
			t.Errorf("required rule %q is missing", id)
		}
	}
	if len(required) != len(catalog) {
		t.Errorf("catalog has %d rules, this list %d: add new IDs here so their removal is caught", len(catalog), len(required))
	}
}

// TestSeverityAnchors keeps severities coherent across the catalog.
func TestSeverityAnchors(t *testing.T) {
	for id, want := range map[string]Severity{
		"cert.expired":                      High,
		"cert.hostname-mismatch":            High,
		"tls.legacy-protocol":               High,
		"tls.weak-cipher":                   High,
		"proxy.trust-all":                   High,
		"redirect.downgrade":                High,
		"cors.origin-reflected":             High,
		"hsts.missing":                      Medium,
		"csp.missing":                       Medium,
		"header.permissions-policy-missing": Low,
		"tls.no-tls13":                      Low,
		"hsts.no-preload":                   Info,
		"hsts.over-http":                    Info,
		"hsts.local-host":                   Info,
		"header.corp-missing":               Info,
		"header.xss-protection-enabled":     Info,
		"tls.no-h2":                         Info,
		"tls.no-ocsp-stapling":              Info,
		"tls.must-staple-unmet":             High,
		"tls.no-server-preference":          Info,
		"securitytxt.missing":               Low,
		"redirect.http-unreachable":         Low,
		"tls.no-https":                      Critical,
	} {
		if got := MustGet(id).Severity; got != want {
			t.Errorf("%s: severity %s, want %s", id, got, want)
		}
	}
}

// TestDjangoMapping pins the Django checks verified against Django's
// documentation, including the ones that are easy to get wrong.
func TestDjangoMapping(t *testing.T) {
	for id, want := range map[string]string{
		"host.unrestricted":              "security.W020",
		"redirect.missing":               "security.W008",
		"hsts.missing":                   "security.W004",
		"hsts.no-subdomains":             "security.W005",
		"hsts.no-preload":                "security.W021",
		"cookie.secure-missing":          "security.W012",
		"cookie.httponly-missing":        "security.W015", // W013/W014 are the app/middleware variants
		"header.frame-options-missing":   "security.W002",
		"header.frame-options-weak":      "security.W019",
		"header.nosniff-missing":         "security.W006",
		"header.referrer-policy-missing": "security.W022",
		"header.referrer-policy-invalid": "security.E023",
		"header.coop-invalid":            "security.E024", // E024 is an invalid value, not a missing header
		"header.coop-missing":            "",
		"header.xss-protection-enabled":  "", // W007 was removed in Django 3.0
		"csrf.cross-origin-unprotected":  "security.W003",
	} {
		if got := MustGet(id).Django; got != want {
			t.Errorf("%s: Django %q, want %q", id, got, want)
		}
	}
}

func TestCategories(t *testing.T) {
	cats := Categories()
	want := []Category{Hosts, Proxy, Redirect, HSTS, Cookies, Headers, CSP, Permissions, CORS, CSRF, SecurityTxt, TLS, Certificate, Content, CDN}
	if !slices.Equal(cats, want) {
		t.Fatalf("Categories() = %v, want %v", cats, want)
	}
	for _, c := range cats {
		if c.Title() == "" || c.Title() == string(c) {
			t.Errorf("category %q has no title", c)
		}
		if len(rulesIn(All(), c)) == 0 {
			t.Errorf("category %q has no rules", c)
		}
	}
	if got := Category("nope").Title(); got != "nope" {
		t.Errorf("unknown category title = %q, want the raw value", got)
	}
}

// remedyServers counts the rules with a remedy for each server; the
// numbers move when remedies are added or removed, on purpose.
var remedyServers = map[Server]int{Portcullis: 95, Nginx: 82, Apache: 81, Caddy: 82, Django: 60}

// TestRemedies: every rule says how portcullis achieves its fix (a key of
// the configuration, its default, or why there is nothing to configure),
// other servers only where they can, in Servers order, each as one
// phrase that Markdown tables and review lists can carry as it is.
func TestRemedies(t *testing.T) {
	count := map[Server]int{}
	for _, r := range catalog {
		if len(r.Remedies) == 0 || r.Remedies[0].Server != Portcullis {
			t.Errorf("%s: the first remedy must be portcullis's", r.ID)
		}
		last := -1
		for _, m := range r.Remedies {
			i := slices.Index(Servers(), m.Server)
			switch {
			case i < 0:
				t.Errorf("%s: unknown server %q", r.ID, m.Server)
			case i <= last:
				t.Errorf("%s: remedy for %s out of Servers() order or repeated", r.ID, m.Server)
			}
			last = i
			count[m.Server]++
			checkText(t, r.ID, "remedy for "+string(m.Server), m.Text)
			if strings.HasSuffix(m.Text, ".") {
				t.Errorf("%s: remedy for %s is a phrase, without a trailing period: %q", r.ID, m.Server, m.Text)
			}
			if strings.Contains(m.Text, "|") {
				t.Errorf("%s: remedy for %s contains '|', which would split a Markdown table cell", r.ID, m.Server)
			}
			if bad := specialOutsideCode(m.Text); bad != 0 {
				t.Errorf("%s: remedy for %s has %q outside a code span: %q", r.ID, m.Server, bad, m.Text)
			}
		}
		if m, ok := r.Remedy(Portcullis); ok && !strings.Contains(m.Text, "`[") &&
			!strings.HasPrefix(m.Text, "Default: ") && !strings.HasPrefix(m.Text, "Nothing to configure") {
			t.Errorf("%s: the portcullis remedy names no configuration key (`[table] key = value`), nor says \"Default: \" or \"Nothing to configure\": %q", r.ID, m.Text)
		}
		// TLS is not configured in Django.
		if _, ok := r.Remedy(Django); ok && (r.Category == TLS || r.Category == Certificate) {
			t.Errorf("%s: a Django remedy for a %s rule", r.ID, r.Category)
		}
	}
	for _, s := range Servers() {
		if count[s] != remedyServers[s] {
			t.Errorf("%d rules have a remedy for %s, remedyServers says %d: update it", count[s], s, remedyServers[s])
		}
	}
	r := MustGet("hsts.no-preload")
	if m, ok := r.Remedy(Nginx); !ok || !strings.Contains(m.Text, "preload") {
		t.Errorf("hsts.no-preload nginx remedy: %+v, %v", m, ok)
	}
	if _, ok := MustGet("tls.legacy-protocol").Remedy(Django); ok {
		t.Error("tls.legacy-protocol has a Django remedy")
	}
	// Get returns a copy: changing it leaves the catalog alone.
	r.Remedies[0].Text = "changed"
	if MustGet("hsts.no-preload").Remedies[0].Text == "changed" {
		t.Error("Get shares the Remedies slice with the catalog")
	}
}

// specialOutsideCode returns the first Markdown-special character outside
// a code span (0 when there is none).
func specialOutsideCode(s string) byte {
	code := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '`':
			code = !code
		case !code && strings.IndexByte(`\*_[]<>#!`, c) >= 0:
			return c
		}
	}
	return 0
}

func TestServers(t *testing.T) {
	if got := Servers(); !slices.Equal(got, []Server{Portcullis, Nginx, Apache, Caddy, Django}) {
		t.Errorf("Servers() = %v", got)
	}
	for s, want := range map[Server]string{Portcullis: "portcullis", Nginx: "nginx", Apache: "Apache httpd", Caddy: "Caddy", Django: "Django", "lighttpd": "lighttpd"} {
		if got := s.Title(); got != want {
			t.Errorf("%q.Title() = %q, want %q", s, got, want)
		}
	}
}
