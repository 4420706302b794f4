package hsts

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/rules"
)

func TestParse(t *testing.T) {
	t.Parallel()
	year := OneYear
	for _, tc := range []struct {
		in    string
		want  Policy
		fatal bool
		probs int
	}{
		{"max-age=31536000; includeSubDomains; preload", Policy{year, true, true}, false, 0},
		{"MAX-AGE=31536000;INCLUDESUBDOMAINS", Policy{year, true, false}, false, 0},
		{`max-age="31536000"`, Policy{MaxAge: year}, false, 0},
		{"max-age=0", Policy{}, false, 0},
		{"  max-age = 300 ; ; preload ;", Policy{300 * time.Second, false, true}, false, 0},
		{"max-age=300; foo=bar; ext", Policy{MaxAge: 300 * time.Second}, false, 0},
		{`max-age=300; foo="a;b"`, Policy{MaxAge: 300 * time.Second}, false, 0},
		{"includeSubDomains", Policy{IncludeSubDomains: true}, true, 1},
		{"", Policy{}, true, 1},
		{"max-age=300; max-age=400", Policy{MaxAge: 300 * time.Second}, true, 1},
		{"max-age=-1", Policy{}, true, 1},
		{"max-age=1e6", Policy{}, true, 1},
		{"max-age", Policy{}, true, 1},
		{"max-age=300; preload=yes", Policy{300 * time.Second, false, true}, false, 1},
		{`max-age="30`, Policy{}, true, 1},
		{"max-age=300, includeSubDomains", Policy{}, true, 1},
		{"max-age=99999999999999999999999", Policy{MaxAge: time.Duration(maxAgeLimit) * time.Second}, false, 0},
	} {
		got, probs := Parse(tc.in)
		fatal := false
		for _, p := range probs {
			fatal = fatal || p.Fatal
		}
		if got != tc.want || fatal != tc.fatal || len(probs) != tc.probs {
			t.Errorf("Parse(%q) = %+v, %v; want %+v, fatal %v, %d problems", tc.in, got, probs, tc.want, tc.fatal, tc.probs)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	good := Observation{Host: "example.com", Values: []string{"max-age=63072000; includeSubDomains; preload"},
		RedirectsToHTTPSFirst: true, HTTPListening: true, CertificateValid: true}
	with := func(f func(*Observation)) Observation { o := good; f(&o); return o }
	for _, tc := range []struct {
		name string
		o    Observation
		want []string // rule IDs, in order
	}{
		{"hardened", good, nil},
		{"missing", with(func(o *Observation) { o.Values = nil }), []string{"hsts.missing"}},
		{"localhost without HSTS", with(func(o *Observation) { o.Host, o.Values = "localhost", nil }), []string{"hsts.local-host"}},
		{"IP without HSTS", with(func(o *Observation) { o.Host, o.Values = "127.0.0.1", nil }), []string{"hsts.local-host"}},
		{"localhost with HSTS", with(func(o *Observation) { o.Host = "app.localhost" }), []string{"hsts.local-host"}},
		{"IP with HSTS (ignored by browsers)", with(func(o *Observation) { o.Host = "[::1]" }), nil},
		{"short", with(func(o *Observation) { o.Values = []string{"max-age=300; includeSubDomains"} }),
			[]string{"hsts.max-age-short", "hsts.no-preload"}},
		{"preload too short", with(func(o *Observation) { o.Values = []string{"max-age=300; includeSubDomains; preload"} }),
			[]string{"hsts.max-age-short", "hsts.preload-ineligible"}},
		{"preload without subdomains", with(func(o *Observation) { o.Values = []string{"max-age=31536000; preload"} }),
			[]string{"hsts.no-subdomains", "hsts.preload-ineligible"}},
		{"preload, no redirect first", with(func(o *Observation) { o.RedirectsToHTTPSFirst = false }), []string{"hsts.preload-ineligible"}},
		{"preload, no port 80", with(func(o *Observation) { o.RedirectsToHTTPSFirst, o.HTTPListening = false, false }), nil},
		{"preload, bad certificate", with(func(o *Observation) { o.CertificateValid = false }), []string{"hsts.preload-ineligible"}},
		{"preload, redirect without header", with(func(o *Observation) { o.RedirectWithoutHSTS = true }), []string{"hsts.preload-ineligible"}},
		{"two fields", with(func(o *Observation) { o.Values = append(o.Values, "max-age=0") }), []string{"hsts.multiple"}},
		{"invalid", with(func(o *Observation) { o.Values = []string{"max-age=1; max-age=2"} }), []string{"hsts.invalid"}},
		{"value on preload", with(func(o *Observation) { o.Values = []string{"max-age=31536000; includeSubDomains; preload=1"} }),
			[]string{"hsts.invalid"}},
		{"disabled", with(func(o *Observation) { o.Values = []string{"max-age=0"} }),
			[]string{"hsts.max-age-short", "hsts.no-subdomains", "hsts.no-preload"}},
		{"sent over http", with(func(o *Observation) { o.OverHTTP = true }), []string{"hsts.over-http"}},
	} {
		var got []string
		for _, f := range Check(tc.o) {
			got = append(got, f.Rule)
			if f.Target != tc.o.Host {
				t.Errorf("%s: finding target %q", tc.name, f.Target)
			}
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: findings %v, want %v", tc.name, got, tc.want)
		}
	}
	// The two local cases say what browsers really do.
	for host, want := range map[string]string{"127.0.0.1": "never apply it", "localhost": "Firefox and Safari would pin"} {
		fs := Check(with(func(o *Observation) { o.Host, o.Values = host, nil }))
		if len(fs) != 1 || !strings.Contains(fs[0].Message, want) {
			t.Errorf("%s: %v, want a message saying %q", host, fs, want)
		}
	}
	// A non-fatal problem is informational; a fatal one keeps its weight.
	for _, f := range Check(with(func(o *Observation) { o.Values = []string{"max-age=31536000; includeSubDomains; preload=1"} })) {
		if f.Severity != rules.Info {
			t.Errorf("non-fatal problem at %v", f.Severity)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"max-age=31536000; includeSubDomains; preload", `max-age="1"`, "max-age=0", ";;;", `a="\"";max-age=1`,
		"max-age=1;max-age=1", "max-age=99999999999999999999", `max-age="`, "preload=\"x\\", "\x00\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, probs := Parse(s)
		valid := true
		for _, pr := range probs {
			valid = valid && !pr.Fatal
		}
		if p.MaxAge < 0 {
			t.Fatalf("negative max-age from %q", s)
		}
		if !valid {
			return
		}
		// A valid policy, written back canonically, parses to itself
		// without problems.
		canon := fmt.Sprintf("max-age=%d", int64(p.MaxAge/time.Second))
		if p.IncludeSubDomains {
			canon += "; includeSubDomains"
		}
		if p.Preload {
			canon += "; preload"
		}
		q, probs2 := Parse(canon)
		if q != p || len(probs2) != 0 {
			t.Fatalf("%q → %+v → %q → %+v %v", s, p, canon, q, probs2)
		}
	})
}

func ExampleCheck() {
	for _, f := range Check(Observation{
		Host:   "example.com",
		Values: []string{"max-age=300; preload"},
		// what the auditor saw of the rest of the site
		HTTPListening: true, RedirectsToHTTPSFirst: true, CertificateValid: true,
	}) {
		fmt.Println(f)
	}
	// Output:
	// [low] hsts.max-age-short: max-age=300 is below one year (31536000) (example.com)
	// [low] hsts.no-subdomains: no includeSubDomains: subdomains can still be reached over plain HTTP (example.com)
	// [low] hsts.preload-ineligible: preload is requested, but hstspreload.org requires: max-age of at least 31536000; includeSubDomains (example.com)
}
