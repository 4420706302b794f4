package shield

import (
	"slices"
	"testing"
	"time"

	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/securitytxt"
)

func mustParseCSP(t *testing.T, s string) *csp.Policy {
	t.Helper()
	p, err := csp.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return &p
}

func TestRules(t *testing.T) {
	hardened := Options{
		Hosts:       []string{"example.com"},
		HSTS:        HSTS{Preload: true},
		Headers:     Headers{CrossOriginResourcePolicy: Header{Value: "same-origin"}},
		CSP:         CSP{Nonce: true},
		SecurityTxt: &SecurityTxt{File: securitytxt.File{Contact: []string{"mailto:s@example.com"}}, ExpiresIn: 90 * 24 * time.Hour},
	}
	weak := Options{
		Hosts:          []string{"*"},
		TrustedProxies: []string{"0.0.0.0/0"},
		Redirect:       Redirect{Code: 307},
		HSTS:           HSTS{MaxAge: time.Hour, ExcludeSubdomains: true},
		Cookies:        Cookies{HTTPOnly: []string{}},
		Headers: Headers{
			FrameOptions:            Header{Value: "SAMEORIGIN"},
			ContentTypeOptions:      Header{Disable: true},
			ReferrerPolicy:          Header{Value: "unsafe-url"},
			CrossOriginOpenerPolicy: Header{Disable: true},
			XSSProtection:           Header{Value: "1; mode=block"},
		},
		PermissionsPolicy: PermissionsPolicy{Disable: true},
		CSP:               CSP{Disable: true},
		CORS:              CORS{Origins: []string{"*"}},
		CrossOrigin:       CrossOrigin{Disable: true},
	}
	tests := []struct {
		name string
		opt  Options
		fail []string
	}{
		{"hardened", hardened, nil},
		// The default CSP restricts no script, as the audit of a site
		// sending it says (csp.Judge, for both).
		{"defaults", Options{}, []string{"hsts.no-preload", "header.corp-missing", "csp.unsafe-inline", "securitytxt.missing"}},
		{"strict without nonce", Options{CSP: CSP{Policy: new(csp.Strict())}}, []string{"hsts.no-preload", "header.corp-missing", "securitytxt.missing"}},
		{"unsafe-inline and eval", Options{CSP: CSP{Policy: mustParseCSP(t, "script-src 'self' 'unsafe-inline' 'unsafe-eval' https:; object-src 'none'")}},
			[]string{"hsts.no-preload", "header.corp-missing", "csp.unsafe-inline", "csp.unsafe-eval", "csp.scheme-source", "csp.base-uri-missing", "csp.frame-ancestors-missing", "securitytxt.missing"}},
		{"weak", weak, []string{
			"host.unrestricted", "proxy.trust-all", "redirect.not-permanent", "hsts.max-age-short", "hsts.no-subdomains",
			"hsts.no-preload", "cookie.httponly-missing", "header.frame-options-weak", "header.nosniff-missing",
			"header.referrer-policy-unsafe", "header.coop-missing", "header.corp-missing", "header.xss-protection-enabled",
			"header.permissions-policy-missing", "csp.missing", "cors.wildcard", "csrf.cross-origin-unprotected", "securitytxt.missing",
		}},
		{"no redirect, no cookies, no hsts", Options{Redirect: Redirect{Disable: true}, Cookies: Cookies{Disable: true}, HSTS: HSTS{Disable: true}},
			[]string{"redirect.missing", "hsts.missing", "cookie.secure-missing", "cookie.samesite-missing", "header.corp-missing", "csp.unsafe-inline", "securitytxt.missing"}},
		{"framing allowed", Options{Headers: Headers{FrameOptions: Header{Disable: true}}, CSP: CSP{Disable: true}},
			[]string{"hsts.no-preload", "header.frame-options-missing", "header.corp-missing", "csp.missing", "securitytxt.missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := mustNew(t, tt.opt)
			var failed []string
			seen := map[string]bool{}
			for _, r := range s.Rules() {
				if _, ok := rules.Get(r.Rule); !ok {
					t.Errorf("result for unknown rule %q", r.Rule)
				}
				if seen[r.Rule] {
					t.Errorf("rule %q reported twice", r.Rule)
				}
				seen[r.Rule] = true
				switch r.Status {
				case rules.Fail:
					if r.Finding == nil || r.Finding.Rule != r.Rule || r.Finding.Message == "" {
						t.Errorf("failed rule %q without a proper finding: %+v", r.Rule, r.Finding)
					}
					failed = append(failed, r.Rule)
				case rules.Pass, rules.Skipped:
					if r.Finding != nil {
						t.Errorf("rule %q has status %v and a finding", r.Rule, r.Status)
					}
				default:
					t.Errorf("rule %q: invalid status %v", r.Rule, r.Status)
				}
			}
			slices.Sort(failed)
			want := slices.Clone(tt.fail)
			slices.Sort(want)
			if !slices.Equal(failed, want) {
				t.Errorf("failed rules\n got %q\nwant %q", failed, want)
			}
			fs := s.Findings()
			for i := 1; i < len(fs); i++ {
				if fs[i].Severity > fs[i-1].Severity {
					t.Errorf("Findings not sorted worst first: %v", fs)
				}
			}
		})
	}
}
