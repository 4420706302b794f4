package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/report"
)

// auditProgress shows a multi-target audit as it goes, on standard error:
// on a terminal one status line redrawn in place, elsewhere a line per
// finished target; a summary of the grades at the end.
type auditProgress struct {
	w      io.Writer
	tty    bool
	start  time.Time
	grades map[string]int
	failed int
}

func newAuditProgress(w io.Writer, tty bool) *auditProgress {
	return &auditProgress{w: w, tty: tty, start: time.Now(), grades: map[string]int{}}
}

// isTerminal reports whether w is a character device a person watches.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// update is audit.Options.Progress; Run calls it one call at a time.
func (p *auditProgress) update(pr audit.Progress) {
	if pr.Report != nil {
		if report.Audited(*pr.Report) {
			p.grades[pr.Report.Grade.Letter]++
		} else {
			p.failed++
		}
	}
	running := pr.Started - pr.Done
	if p.tty {
		line := fmt.Sprintf("auditing [%d/%d] %d running", pr.Done, pr.Total, running)
		if pr.Report != nil {
			line += " · " + p.outcome(pr)
		}
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	} else if pr.Report != nil {
		fmt.Fprintf(p.w, "[%d/%d] %s\n", pr.Done, pr.Total, p.outcome(pr))
	}
	if pr.Done == pr.Total && pr.Report != nil {
		if p.tty {
			fmt.Fprint(p.w, "\r\x1b[K")
		}
		fmt.Fprintf(p.w, "audited %d targets in %s: %s\n", pr.Total, time.Since(p.start).Round(time.Millisecond), p.summary())
	}
}

func (p *auditProgress) outcome(pr audit.Progress) string {
	r := pr.Report
	if !report.Audited(*r) {
		msg := "unreachable"
		if len(r.Errors) > 0 {
			msg = r.Errors[0]
		}
		return fmt.Sprintf("%s: %s", r.Target, msg)
	}
	return fmt.Sprintf("%s: %s (%s)", r.Target, r.Grade.Letter, r.Duration.Round(time.Millisecond))
}

func (p *auditProgress) summary() string {
	var parts []string
	for _, l := range []string{"A+", "A", "B", "C", "D", "F"} {
		if n := p.grades[l]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, l))
		}
	}
	if p.failed > 0 {
		parts = append(parts, fmt.Sprintf("%d unreachable", p.failed))
	}
	return strings.Join(parts, ", ")
}
