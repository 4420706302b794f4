package report

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/rules"
)

// Text writes the reports for a terminal: per target the grade, the
// certificate, the server recognised, the checklist counts and each item
// not verified with its reason, the caps, the errors and every finding
// with its evidence, fix and the recognised server's remedy; then, when
// there are several targets, one summary line each.
// Text from the audited site is shown with control characters escaped.
// Meta is not printed.
func Text(w io.Writer, reps []audit.Report, m Meta) error {
	m = m.withDefaults()
	bw := bufio.NewWriter(w)
	for i, r := range reps {
		if i > 0 {
			fmt.Fprintln(bw)
		}
		textTarget(bw, r, checklist(r, m.Categories), serverOf(r))
	}
	if len(reps) > 1 {
		fmt.Fprintln(bw)
		fmt.Fprintln(bw, "summary:")
		for _, r := range reps {
			if !Audited(r) {
				fmt.Fprintf(bw, "  %-2s  not audited  %s  (%d errors); checklist %s\n", "-", visible(r.Target), len(r.Errors), countStates(checklist(r, m.Categories)))
				continue
			}
			fmt.Fprintf(bw, "  %-2s  %3d/100  %s  %s; checklist %s\n", letterOf(r.Grade), r.Grade.Score, visible(r.Target), countsText(sevCounts(r.Findings)),
				countStates(checklist(r, m.Categories)))
		}
	}
	return bw.Flush()
}

// textTarget writes one target's report; a finding's fix is followed by
// the remedy of the server recognised, when there is one.
func textTarget(w io.Writer, r audit.Report, items []checkItem, srv serverHint) {
	if Audited(r) {
		fmt.Fprintf(w, "%s  grade %s (%d/100)  in %s\n", visible(r.Target), r.Grade.Letter, r.Grade.Score, r.Duration.Round(time.Millisecond))
	} else {
		fmt.Fprintf(w, "%s  not audited  in %s\n", visible(r.Target), r.Duration.Round(time.Millisecond))
	}
	if c := r.Cert; c != nil {
		fmt.Fprintf(w, "  certificate: %s\n", certLine(c))
	}
	if srv.Server != "" {
		fmt.Fprintf(w, "  server: %s (%s)\n", srv.Server.Title(), visible(srv.From))
	}
	for _, l := range deploymentText(r) { // CDN, origin, CAA, pins (deployment.go)
		fmt.Fprintf(w, "  %s\n", l)
	}
	fmt.Fprintf(w, "  checklist: %s\n", countStates(items))
	for _, it := range items {
		if it.State == NotVerified && Audited(r) {
			fmt.Fprintf(w, "    not verified: %s: %s\n", it.Text, visible(it.Why()))
		}
	}
	for _, cap := range r.Grade.Caps {
		fmt.Fprintf(w, "  capped by %s\n", visible(cap))
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "  error: %s\n", visible(e))
	}
	if len(r.Findings) == 0 {
		fmt.Fprintln(w, "  no findings")
	}
	for _, f := range r.Findings {
		fmt.Fprintf(w, "  [%s] %s: %s\n", f.Severity, visible(f.Rule), visible(f.Message))
		if f.Evidence != "" {
			fmt.Fprintf(w, "      evidence: %s\n", visible(f.Evidence))
		}
		if rule, ok := rules.Get(f.Rule); ok && f.Severity > rules.Info {
			fmt.Fprintf(w, "      fix: %s\n", rule.Fix)
			if m, ok := rule.Remedy(srv.Server); ok {
				fmt.Fprintf(w, "      %s: %s\n", m.Server.Title(), m.Text)
			}
		}
	}
}
