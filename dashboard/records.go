package dashboard

import (
	"encoding/json"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/cert"
	"github.com/portcullis/portcullis/audit/grade"
	"github.com/portcullis/portcullis/report"
	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/store"
)

// reportOf is the audit.Report an audit record was made from, for the
// review: from the JSON report it keeps, or, when that was too large to
// keep, from its grade and findings alone.
func reportOf(a store.AuditRecord) audit.Report {
	if a.Report != nil {
		var t report.TargetReport
		if err := json.Unmarshal(a.Report, &t); err == nil {
			return auditReport(t)
		}
	}
	r := audit.Report{Target: a.Target, Errors: a.Errors, Grade: grade.Grade{Letter: a.Grade, Score: a.Score}}
	for _, f := range a.Findings {
		r.Findings = append(r.Findings, rules.Finding{Rule: f.Rule, Severity: f.Severity, Message: f.Message, Target: f.Target})
	}
	return r
}

// auditReport turns a target of a JSON report (schema
// "portcullis.audit/v1", as the self-audits store it) back into the
// audit.Report it was made from, so that the review can be rendered
// again: it holds the grade, the findings, the certificate, the TLS
// probe and the observed evidence (the duration to the millisecond).
func auditReport(t report.TargetReport) audit.Report {
	r := audit.Report{
		Target:   t.Target,
		Findings: make([]rules.Finding, 0, len(t.Findings)),
		TLS:      t.TLS,
		Observed: t.Observed,
		Errors:   nilIfEmpty(t.Errors),
		Duration: time.Duration(t.DurationMS) * time.Millisecond,
	}
	if g := t.Grade; g != nil {
		r.Grade = grade.Grade{Letter: g.Letter, Score: g.Score, Caps: nilIfEmpty(g.Caps)}
		for _, d := range g.Deductions {
			r.Grade.Deductions = append(r.Grade.Deductions, grade.Deduction{Rule: d.Rule, Severity: d.Severity, Points: d.Points, Count: d.Count})
		}
	}
	if c := t.Certificate; c != nil {
		r.Cert = &cert.Info{Subject: c.Subject, Issuer: c.Issuer, Names: c.Names, NotBefore: c.NotBefore, NotAfter: c.NotAfter,
			DaysLeft: c.DaysLeft, KeyType: c.KeyType, Signature: c.Signature, Serial: c.Serial, SPKI: c.SPKI, Trusted: c.Trusted}
	}
	for _, f := range t.Findings {
		r.Findings = append(r.Findings, rules.Finding{Rule: f.Rule, Severity: f.Severity, Message: f.Message, Evidence: f.Evidence, Target: f.Target})
	}
	return r
}

// nilIfEmpty is s, nil when empty: the JSON report writes [] for none.
func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
