package shield

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/csp"
)

// TestNewReportsEveryProblem checks that New checks every option group
// and reports every problem, each as an *OptionError naming its field, in
// the order of Options; several problems of one option are each reported.
func TestNewReportsEveryProblem(t *testing.T) {
	var empty csp.Policy
	_, err := New(Options{
		Hosts:          []string{"example.com", "bad host", "also bad"},
		TrustedProxies: []string{"10.0.0.0/8", "10.0.0.0/33"},
		Redirect:       Redirect{Code: 302, Exempt: []string{"healthz", "/a*"}},
		HSTS:           HSTS{Preload: true, MaxAge: time.Hour},
		Cookies:        Cookies{HTTPOnly: []string{"a=b"}},
		Headers: Headers{
			FrameOptions:   Header{Value: "ALLOWALL", OnConflict: Combine},
			ReferrerPolicy: Header{Value: "never, same-origin, ever"},
		},
		CSP:         CSP{Policy: &empty, ReportURI: "https://r.example/ x"},
		CORS:        CORS{Origins: []string{"*", "null"}, Credentials: true, Methods: []string{"GE T"}},
		CrossOrigin: CrossOrigin{Bypass: []string{"POST /hooks/", "POST /hooks/"}},
		Requests:    Requests{Upgrades: []string{"h2c"}},
		SecurityTxt: &SecurityTxt{ExpiresIn: -time.Hour},
	})
	want := []string{
		"Hosts", "Hosts",
		"TrustedProxies",
		"Redirect.Code", "Redirect.Exempt", "Redirect.Exempt",
		"HSTS.Preload",
		"Headers.FrameOptions", "Headers.FrameOptions.OnConflict", "Headers.ReferrerPolicy", "Headers.ReferrerPolicy",
		"CSP.Policy", "CSP.ReportURI",
		"Cookies.HTTPOnly",
		"CORS.Credentials", "CORS.Origins", "CORS.Methods",
		"CrossOrigin.Bypass",
		"Requests.Upgrades",
		"SecurityTxt.ExpiresIn",
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("New = %v, not an errors.Join", err)
	}
	var got []string
	for _, e := range j.Unwrap() {
		oe, ok := e.(*OptionError)
		if !ok {
			t.Fatalf("%T %q is not an *OptionError", e, e)
		}
		if oe.Error() != "shield: "+oe.Field+": "+oe.Err.Error() {
			t.Errorf("Error() = %q", oe.Error())
		}
		got = append(got, oe.Field)
	}
	if !slices.Equal(got, want) {
		t.Errorf("fields\n%q\nwant\n%q\n%v", got, want, err)
	}
	if lines := strings.Split(err.Error(), "\n"); len(lines) != len(want) {
		t.Errorf("%d lines, want one per problem:\n%v", len(lines), err)
	}
	var oe *OptionError
	if !errors.As(err, &oe) || oe.Field != "Hosts" || oe.Error() != `shield: Hosts: host pattern "bad host": not a host name, IP address, .domain pattern or "*"` {
		t.Errorf("errors.As gives %v", oe)
	}
	var ce *csp.Error
	if !errors.As(err, &ce) {
		t.Errorf("errors.As does not reach the *csp.Error behind CSP.Policy")
	}
}

// TestNewProblemsOfOnePolicy checks that a policy with several problems is
// reported one problem per *OptionError.
func TestNewProblemsOfOnePolicy(t *testing.T) {
	p := csp.Policy{Directives: []csp.Directive{
		{Name: "img-src", Sources: []string{"https://a.example:port"}},
		{Name: "img-src", Sources: []string{"'self'"}},
	}}
	_, err := New(Options{CSP: CSP{ReportOnly: &p}})
	var n int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		if oe := e.(*OptionError); oe.Field != "CSP.ReportOnly" || strings.Contains(oe.Error(), "more problem") {
			t.Errorf("%q", oe)
		}
		n++
	}
	if n != 2 {
		t.Errorf("%d problems, want 2:\n%v", n, err)
	}
}
