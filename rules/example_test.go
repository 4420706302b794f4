package rules_test

import (
	"fmt"

	"github.com/portcullis/portcullis/rules"
)

func ExampleGet() {
	r, ok := rules.Get("hsts.missing")
	fmt.Println(ok, r.Severity, r.Django)
	fmt.Println(r.Title)

	_, ok = rules.Get("hsts.nonexistent")
	fmt.Println(ok)
	// Output:
	// true medium security.W004
	// No Strict-Transport-Security header
	// false
}

func ExampleNewFinding() {
	f := rules.NewFinding("hsts.max-age-short", "max-age=300 is below one year (31536000)")
	f.Evidence = "Strict-Transport-Security: max-age=300"
	f.Target = "https://example.com/"
	fmt.Println(f)

	// An evaluator may adjust the severity for a particular observation.
	f.Severity = rules.Medium
	fmt.Println(f.Severity >= rules.Medium)
	// Output:
	// [low] hsts.max-age-short: max-age=300 is below one year (31536000) (https://example.com/)
	// true
}

func ExampleParseSeverity() {
	min, err := rules.ParseSeverity("HIGH") // e.g. from a --fail-on flag
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range []string{"cert.expired", "tls.no-h2"} {
		fmt.Println(id, rules.MustGet(id).Severity >= min)
	}
	_, err = rules.ParseSeverity("severe")
	fmt.Println(err)
	// Output:
	// cert.expired true
	// tls.no-h2 false
	// rules: unknown severity "severe" (want one of info, low, medium, high, critical)
}

func ExampleAll() {
	count := map[rules.Category]int{}
	for _, r := range rules.All() {
		count[r.Category]++
	}
	for _, c := range rules.Categories()[:3] {
		fmt.Printf("%s: %d rules\n", c.Title(), count[c])
	}
	// Output:
	// Hosts: 2 rules
	// Trusted proxies and forwarding: 4 rules
	// Redirects: 8 rules
}

func ExampleRule_Remedy() {
	r := rules.MustGet("hsts.no-subdomains")
	for _, s := range []rules.Server{rules.Portcullis, rules.Nginx, rules.Django} {
		if m, ok := r.Remedy(s); ok {
			fmt.Printf("%s: %s\n", s.Title(), m.Text)
		}
	}
	_, ok := rules.MustGet("tls.no-tls13").Remedy(rules.Django)
	fmt.Println("Django configures TLS:", ok)
	// Output:
	// portcullis: Default: `[defaults.hsts] include_subdomains = true`
	// nginx: `add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;`
	// Django: `SECURE_HSTS_INCLUDE_SUBDOMAINS = True`
	// Django configures TLS: false
}
