package report

import (
	"time"

	"github.com/portcullis/portcullis/audit"
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
		Errors:   []string{"GET https://weak.test/.well-known/security.txt: timeout"},
		Duration: 2500 * time.Millisecond,
	}
}

// down is a target nothing answers for: errors only.
func down() audit.Report {
	return audit.Report{
		Target:   "down.test:8443",
		Grade:    grade.Of(nil),
		Errors:   []string{"GET https://down.test:8443/: dial tcp 127.0.0.1:8443: connect: connection refused", "GET http://down.test/: connection refused"},
		Duration: 15 * time.Millisecond,
	}
}

func fixtures() []audit.Report { return []audit.Report{hardened(), weak(), down()} }
