package report_test

import (
	"fmt"
	"os"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/grade"
	"github.com/portcullis/portcullis/report"
	"github.com/portcullis/portcullis/rules"
)

// Write renders the reports of `portcullis audit` in the format named on
// the command line (--format).
func ExampleWrite() {
	f := rules.NewFinding("hsts.max-age-short", "max-age=300 is below one year (31536000)")
	f.Evidence = "max-age=300"
	reps := []audit.Report{{
		Target:   "shop.example",
		Grade:    grade.Of([]rules.Finding{f}),
		Findings: []rules.Finding{f},
		Observed: &audit.Observed{
			Pages:   []audit.Page{{Path: "/", Status: 200, ContentType: "text/html"}},
			Headers: map[string]string{"Strict-Transport-Security": "max-age=300", "X-Frame-Options": "DENY"},
		},
		Duration: 850 * time.Millisecond,
	}}
	// This audit looked at HSTS and the security headers only.
	meta := report.Meta{Tool: "portcullis", Version: "1.0.0", Generated: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
		Categories: []rules.Category{rules.HSTS, rules.Headers}}
	if err := report.Write("text", os.Stdout, reps, meta); err != nil {
		fmt.Println(err)
	}
	fmt.Println(report.Write("yaml", os.Stdout, reps, meta))
	// Output:
	// shop.example  grade A (96/100)  in 850ms
	//   checklist: 1 verified, 1 failed, 0 not verified
	//   [low] hsts.max-age-short: max-age=300 is below one year (31536000)
	//       evidence: max-age=300
	//       fix: Raise `max-age` to at least 31536000 (one year) once the site works reliably over HTTPS; two years (63072000) is common.
	// report: unknown format "yaml" (want one of text, json, markdown, html, junit, sarif)
}
