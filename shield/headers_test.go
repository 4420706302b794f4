package shield

import (
	"testing"

	"github.com/portcullis/portcullis/csp"
)

// TestEffectiveCSP: EffectiveCSP is exactly the headers a shield of the
// same options sends (the nonce aside), for the default, a policy of the
// user's with reporting, a report-only policy, and CSP off.
func TestEffectiveCSP(t *testing.T) {
	strict := csp.Strict()
	ro, _ := csp.Parse("default-src 'self'")
	tests := []struct {
		name                       string
		o                          Options
		wantEnforced, wantReportOn string
	}{
		{"default", Options{}, "object-src 'none'; base-uri 'self'; frame-ancestors 'none'", ""},
		{"policy, reporting, upgrade", Options{CSP: CSP{Policy: &strict, ReportURI: learnURI, UpgradeInsecureRequests: true}},
			strict.String() + "; upgrade-insecure-requests; report-uri /_portcullis/reports; report-to csp-endpoint", ""},
		{"report-only", Options{CSP: CSP{ReportOnly: &ro}}, "object-src 'none'; base-uri 'self'; frame-ancestors 'none'", "default-src 'self'"},
		{"off", Options{CSP: CSP{Disable: true}}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enforced, reportOnly := EffectiveCSP(tt.o)
			if enforced != tt.wantEnforced || reportOnly != tt.wantReportOn {
				t.Errorf("EffectiveCSP =\n %q\n %q\nwant\n %q\n %q", enforced, reportOnly, tt.wantEnforced, tt.wantReportOn)
			}
			s, _ := mustNew(t, tt.o)
			rec := serve(s, htmlHandler("text/html"), req("GET", "/", "localhost", true))
			if got := rec.Header().Get(hdrCSP); got != enforced {
				t.Errorf("sent %q, EffectiveCSP says %q", got, enforced)
			}
			if got := rec.Header().Get(hdrCSPReportOnly); got != reportOnly {
				t.Errorf("sent report-only %q, EffectiveCSP says %q", got, reportOnly)
			}
		})
	}
}
