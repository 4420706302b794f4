package report

import (
	"encoding/json"
	"io"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/tlsprobe"
	"github.com/portcullis/portcullis/rules"
)

// Schema names the JSON document's format; it changes when a change would
// break a consumer.
const Schema = "portcullis.audit/v1"

// Document is the JSON report (schema "portcullis.audit/v1", described
// field by field in the package documentation).
type Document struct {
	Schema    string         `json:"schema"`    // always Schema
	Tool      string         `json:"tool"`      // Meta.Tool
	Version   string         `json:"version"`   // Meta.Version
	Generated time.Time      `json:"generated"` // Meta.Generated, UTC
	Targets   []TargetReport `json:"targets"`   // in the order audited
}

// TargetReport is one target's audit in a Document.
type TargetReport struct {
	Target      string       `json:"target"`      // host[:port]
	Audited     bool         `json:"audited"`     // false: errors and no certificate
	Grade       Grade        `json:"grade"`       // the verdict
	Certificate *Certificate `json:"certificate"` // null when none was read
	Findings    []Finding    `json:"findings"`    // worst first, as the audit sorted them
	Errors      []string     `json:"errors"`      // probes that could not run
	DurationMS  int64        `json:"duration_ms"` // how long the audit took
	// Observed and TLS are what the audit saw; absent when it saw nothing.
	Observed *audit.Observed  `json:"observed,omitempty"`
	TLS      *tlsprobe.Report `json:"tls,omitempty"`
}

// Grade is the letter, the score and how it was reached.
type Grade struct {
	Letter     string      `json:"letter"`     // "A+" … "F", "" when the audit did not run
	Score      int         `json:"score"`      // 0..100
	Caps       []string    `json:"caps"`       // "rule: letter" for each cap applied
	Deductions []Deduction `json:"deductions"` // the points each failed rule cost
}

// Deduction is one failed rule's cost.
type Deduction struct {
	Rule     string         `json:"rule"`     // rule ID
	Severity rules.Severity `json:"severity"` // worst finding of the rule
	Points   int            `json:"points"`   // points lost
	Count    int            `json:"count"`    // findings of the rule
}

// Certificate describes the certificate the target served.
type Certificate struct {
	Subject   string    `json:"subject"`     // subject DN
	Issuer    string    `json:"issuer"`      // issuer DN
	Names     []string  `json:"names"`       // DNS names and IP addresses
	NotBefore time.Time `json:"not_before"`  // start of validity
	NotAfter  time.Time `json:"not_after"`   // end of validity
	DaysLeft  int       `json:"days_left"`   // whole days until NotAfter at audit time
	KeyType   string    `json:"key_type"`    // "ECDSA P-256", "RSA 2048"
	Signature string    `json:"signature"`   // signature algorithm
	Serial    string    `json:"serial"`      // serial number
	SPKI      string    `json:"spki_sha256"` // "sha256/BASE64" pin of the key
	Trusted   bool      `json:"trusted"`     // chains to a trusted root and matches the host
}

// Finding is one violation of a catalog rule, with the rule's text.
type Finding struct {
	Rule       string         `json:"rule"`       // rule ID, e.g. "hsts.missing"
	Severity   rules.Severity `json:"severity"`   // "info" … "critical"
	Title      string         `json:"title"`      // the rule's title ("" if not in the catalog)
	Category   rules.Category `json:"category"`   // the rule's category ("" if not in the catalog)
	Message    string         `json:"message"`    // what was observed
	Evidence   string         `json:"evidence"`   // raw observed value, "" when none
	Target     string         `json:"target"`     // where: a URL, "" when the whole target
	Fix        string         `json:"fix"`        // the rule's remedy
	References []string       `json:"references"` // the rule's references (URLs)
}

// NewDocument builds the JSON document of reps.
func NewDocument(reps []audit.Report, m Meta) Document {
	m = m.withDefaults()
	d := Document{Schema: Schema, Tool: m.Tool, Version: m.Version, Generated: m.Generated, Targets: []TargetReport{}}
	for _, r := range reps {
		t := TargetReport{
			Target:     r.Target,
			Audited:    Audited(r),
			Grade:      Grade{Letter: r.Grade.Letter, Score: r.Grade.Score, Caps: nonNil(r.Grade.Caps), Deductions: []Deduction{}},
			Findings:   []Finding{},
			Errors:     nonNil(r.Errors),
			DurationMS: durationMS(r.Duration),
			Observed:   r.Observed,
			TLS:        r.TLS,
		}
		for _, dd := range r.Grade.Deductions {
			t.Grade.Deductions = append(t.Grade.Deductions, Deduction{Rule: dd.Rule, Severity: dd.Severity, Points: dd.Points, Count: dd.Count})
		}
		if c := r.Cert; c != nil {
			t.Certificate = &Certificate{
				Subject: c.Subject, Issuer: c.Issuer, Names: nonNil(c.Names), NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
				DaysLeft: c.DaysLeft, KeyType: c.KeyType, Signature: c.Signature, Serial: c.Serial, SPKI: c.SPKI, Trusted: c.Trusted,
			}
		}
		for _, f := range r.Findings {
			rule := ruleOf(f.Rule)
			t.Findings = append(t.Findings, Finding{
				Rule: f.Rule, Severity: f.Severity, Title: rule.Title, Category: rule.Category,
				Message: f.Message, Evidence: f.Evidence, Target: f.Target, Fix: rule.Fix, References: nonNil(rule.References),
			})
		}
		d.Targets = append(d.Targets, t)
	}
	return d
}

// JSON writes the reports as one indented Document (schema
// "portcullis.audit/v1") followed by a newline.
func JSON(w io.Writer, reps []audit.Report, m Meta) error {
	if err := validate(reps); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(NewDocument(reps, m))
}

// nonNil returns s, or an empty slice for nil, so JSON has [] not null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
