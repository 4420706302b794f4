package report

import (
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/caa"
	"github.com/portcullis/portcullis/audit/cert"
	"github.com/portcullis/portcullis/audit/grade"
	"github.com/portcullis/portcullis/audit/redirects"
	"github.com/portcullis/portcullis/audit/tlsprobe"
	"github.com/portcullis/portcullis/rules"
)

// testMeta is the fixed metadata of the golden files.
var testMeta = Meta{Tool: "portcullis", Version: "1.2.3", Generated: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}

// finding builds a finding with the rule's default severity.
func finding(id, msg, evidence, target string) rules.Finding {
	f := rules.NewFinding(id, msg)
	f.Evidence, f.Target = evidence, target
	return f
}

// hostileEvidence is attacker-controlled header text with everything
// that could break a report.
const hostileEvidence = "sessionid=…; Path=/<script>alert(1)</script> | a|b ``` `x` ]]> &amp; \x1b[31mred\r\n# heading\n- item"

// hardened is a site behind shield with production settings: A+, only
// informational findings.
func hardened() audit.Report {
	fs := []rules.Finding{
		finding("header.corp-missing", "Cross-Origin-Resource-Policy is not set", "", "https://hardened.test/"),
		finding("securitytxt.expires-too-far", "Expires is 400 days ahead", "Expires: 2027-12-28T00:00:00Z", "https://hardened.test/.well-known/security.txt"),
	}
	return audit.Report{
		Target:   "hardened.test",
		Grade:    grade.Of(fs),
		Findings: fs,
		Cert: &cert.Info{
			Subject: "CN=hardened.test", Issuer: "CN=Test Root CA", Names: []string{"hardened.test", "www.hardened.test"},
			NotBefore: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2027, 2, 12, 0, 0, 0, 0, time.UTC),
			DaysLeft: 80, KeyType: "ECDSA P-256", Signature: "ECDSA-SHA256", Serial: "1a2b3c",
			SPKI: "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", Trusted: true,
		},
		TLS: &tlsprobe.Report{
			Versions: []tlsprobe.Version{tlsprobe.TLS12, tlsprobe.TLS13},
			Suites: map[tlsprobe.Version][]uint16{
				tlsprobe.TLS12: {0xc02b, 0xc02c, 0xcca9},
				tlsprobe.TLS13: {0x1301, 0x1302, 0x1303},
			},
			ALPN: []string{"h2", "http/1.1"},
		},
		Observed: &audit.Observed{
			Redirects: []redirects.Hop{{URL: "http://hardened.test/", Status: 308, Location: "https://hardened.test/"}},
			Headers: map[string]string{
				"Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
				"Content-Security-Policy":   "default-src 'self'; script-src 'nonce-x' 'strict-dynamic'; object-src 'none'; base-uri 'none'; frame-ancestors 'none' | report-uri `/csp`<script>",
				"X-Frame-Options":           "DENY",
				"X-Content-Type-Options":    "nosniff",
				"Referrer-Policy":           "strict-origin-when-cross-origin",
				"Permissions-Policy":        "camera=(), geolocation=()",
				"Server":                    "portcullis",
			},
			Cookies: []audit.Cookie{
				{Name: "sessionid", Page: "/login", Path: "/", Secure: true, HTTPOnly: true, SameSite: "Lax"},
				{Name: "csrftoken", Page: "/login", Path: "/", Secure: true, SameSite: "Strict"},
			},
			Pages: []audit.Page{
				{Path: "/", Status: 200, ContentType: "text/html; charset=utf-8", HTML: true},
				{Path: "/login", Status: 200, ContentType: "text/html; charset=utf-8", HTML: true},
			},
			PathRedirects: []audit.Chain{{Page: "/login", Hops: []redirects.Hop{{URL: "http://hardened.test/login", Status: 308, Location: "https://hardened.test/login"}}}},
			CORS:          []audit.CORSAnswer{{Origin: "https://portcullis-audit.invalid"}, {Origin: "null"}},
			SecurityTxt: &audit.SecurityTxt{URL: "https://hardened.test/.well-known/security.txt", Status: 200, ContentType: "text/plain; charset=utf-8",
				Contact: []string{"mailto:security@hardened.test"}, Expires: "2027-12-28T00:00:00Z"},
			CAA: &caa.Result{Name: "hardened.test", Domain: "hardened.test", Records: []caa.Record{{Tag: "issue", Value: "letsencrypt.org"}}},
		},
		Duration: 1234 * time.Millisecond,
	}
}

// weak is a badly configured site: findings of every severity (one
// raised to critical), several instances of one rule, a rule the catalog
// lacks, and hostile evidence.
func weak() audit.Report {
	crit := finding("cors.origin-reflected", "an arbitrary Origin is reflected into Access-Control-Allow-Origin with credentials: any site can read the responses",
		"Origin: https://portcullis-audit.invalid → Access-Control-Allow-Origin: https://portcullis-audit.invalid; Allow-Credentials: true", "https://weak.test/")
	crit.Severity = rules.Critical
	unknown := rules.Finding{Rule: "x.experimental", Severity: rules.Low, Message: "a rule from a newer catalog"}
	fs := []rules.Finding{
		crit,
		finding("redirect.missing", "http://weak.test/ answers 200 without redirecting", "HTTP/1.1 200 OK", "http://weak.test/"),
		finding("cert.expired", "the certificate expired 3 days ago", "NotAfter: 2026-11-20T00:00:00Z", ""),
		finding("cookie.secure-missing", "cookie sessionid is set without Secure", hostileEvidence, "https://weak.test/"),
		finding("cookie.secure-missing", "cookie csrftoken is set without Secure", "csrftoken=…; Path=/", "https://weak.test/login"),
		finding("csp.unsafe-inline", "script-src allows 'unsafe-inline' without a nonce or hash", "script-src 'self' 'unsafe-inline'", "https://weak.test/"),
		finding("hsts.max-age-short", "max-age=300 is below one year (31536000)", "max-age=300", "https://weak.test/"),
		finding("header.nosniff-missing", "X-Content-Type-Options: nosniff is not set | <img src=x onerror=alert(1)>", "", "https://weak.test/a|b"),
		unknown,
		finding("hsts.no-preload", "the preload directive is absent", "max-age=300", "https://weak.test/"),
	}
	return audit.Report{
		Target:   "weak.test",
		Grade:    grade.Of(fs),
		Findings: fs,
		Cert: &cert.Info{
			Subject: "CN=weak.test", Issuer: "CN=<b>Evil</b> CA", Names: []string{"weak.test"},
			NotBefore: time.Date(2026, 8, 22, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
			DaysLeft: -3, KeyType: "RSA 2048", Signature: "SHA256-RSA", Serial: "ff", SPKI: "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		},
		TLS: &tlsprobe.Report{
			Versions: []tlsprobe.Version{tlsprobe.TLS12, tlsprobe.TLS13},
			Suites:   map[tlsprobe.Version][]uint16{tlsprobe.TLS12: {0xc02f}, tlsprobe.TLS13: {0x1301}},
			ALPN:     []string{"h2"},
		},
		Observed: &audit.Observed{
			Redirects: []redirects.Hop{{URL: "http://weak.test/", Status: 200}},
			Pages: []audit.Page{
				{Path: "/", Status: 200, ContentType: "text/html", HTML: true},
				{Path: "/login", Status: 200, ContentType: "text/html", HTML: true},
			},
			Headers: map[string]string{
				"Strict-Transport-Security": "max-age=300",
				"Content-Security-Policy":   "script-src 'self' 'unsafe-inline'",
				"Server":                    "nginx/1.18.0 (Ubuntu)",
			},
			Cookies: []audit.Cookie{
				{Name: "sessionid", Page: "/", Path: "/"},
				{Name: "csrftoken", Page: "/login", Path: "/"},
			},
			CORS: []audit.CORSAnswer{
				{Origin: "https://portcullis-audit.invalid", AllowOrigin: "https://portcullis-audit.invalid", AllowCredentials: true},
				{Origin: "null"},
			},
			SecurityTxt: &audit.SecurityTxt{URL: "https://weak.test/.well-known/security.txt", Error: "timeout"},
		},
		Errors:   []string{"GET https://weak.test/.well-known/security.txt: timeout"},
		Duration: 2500 * time.Millisecond,
	}
}

// down is a target nothing answers for: errors only. Its grade is what
// grading no findings gives (A+), which no format may show: the audit
// leaves it empty, and a report of an earlier build carried it.
func down() audit.Report {
	return audit.Report{
		Target: "down.test:8443",
		Grade:  grade.Of(nil),
		Observed: &audit.Observed{
			Pages: []audit.Page{{Path: "/", Error: "dial tcp 127.0.0.1:8443: connect: connection refused"}},
		},
		Errors:   []string{"GET https://down.test:8443/: dial tcp 127.0.0.1:8443: connect: connection refused", "GET http://down.test/: connection refused"},
		Duration: 15 * time.Millisecond,
	}
}

// local is a development server on localhost: HSTS not applicable, no
// cookie set, a JSON page only (nothing to judge), no security.txt
// (informational on a loopback host), plain HTTP closed, the TLS
// enumeration not run, and a certificate without a subjectAltName.
func local() audit.Report {
	fs := []rules.Finding{
		finding("cert.hostname-mismatch", "the certificate has no subjectAltName, so it is valid for no host name, localhost included: browsers have rejected such certificates since 2017 and ignore the Common Name (\"localhost\")", "", "localhost"),
		finding("redirect.http-unreachable", "http://localhost:8080/ does not answer: a browser that tries plain HTTP first for a typed name gets an error instead of a redirect to HTTPS",
			"dial tcp 127.0.0.1:8080: connect: connection refused", "http://localhost:8080/"),
		finding("hsts.local-host", "no HSTS for localhost: right for a localhost name — Chromium ignores it there, but Firefox and Safari would pin every local app on localhost to HTTPS", "", "localhost"),
		finding("securitytxt.missing", "no security.txt (status 404): researchers have no published way to report a vulnerability; informational for a loopback host, which no outside reporter can reach", "", "https://localhost:8443/.well-known/security.txt"),
	}
	fs[3].Severity = rules.Info
	return audit.Report{
		Target:   "localhost:8443",
		Grade:    grade.Of(fs),
		Findings: fs,
		Cert: &cert.Info{
			Subject: "CN=localhost", Issuer: "CN=portcullis local CA",
			NotBefore: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2027, 11, 1, 0, 0, 0, 0, time.UTC),
			DaysLeft: 343, KeyType: "RSA 2048", Signature: "SHA256-RSA", Serial: "2a", SPKI: "sha256/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=",
		},
		Observed: &audit.Observed{
			Pages:             []audit.Page{{Path: "/", Status: 200, ContentType: "application/json"}},
			Headers:           map[string]string{"Content-Security-Policy": "default-src 'none'", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"},
			CORS:              []audit.CORSAnswer{{Origin: "https://portcullis-audit.invalid"}, {Origin: "null"}},
			SecurityTxt:       &audit.SecurityTxt{URL: "https://localhost:8443/.well-known/security.txt", Status: 404, ContentType: "text/plain; charset=utf-8"},
			HSTSNotApplicable: true,
		},
		Duration: 40 * time.Millisecond,
	}
}

// plain is a site served over plain HTTP only: nothing on the HTTPS port.
func plain() audit.Report {
	fs := []rules.Finding{
		finding("tls.no-https", "nothing speaks HTTPS at https://plain.test/ while http://plain.test/ serves the site over plain HTTP: every page and cookie crosses the network in clear text",
			`Get "https://plain.test/": dial tcp 127.0.0.1:443: connect: connection refused`, "https://plain.test/"),
		finding("redirect.missing", "http://plain.test/ answers 200 without redirecting to HTTPS", "200 http://plain.test/", "http://plain.test/"),
	}
	return audit.Report{
		Target:   "plain.test",
		Grade:    grade.Of(fs),
		Findings: fs,
		Observed: &audit.Observed{
			Redirects: []redirects.Hop{{URL: "http://plain.test/", Status: 200}},
			Pages:     []audit.Page{{Path: "/", Error: `Get "https://plain.test/": dial tcp 127.0.0.1:443: connect: connection refused`}},
		},
		Duration: 5 * time.Millisecond,
	}
}

func fixtures() []audit.Report { return []audit.Report{hardened(), weak(), down(), local(), plain()} }
