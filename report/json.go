package report

import (
	"encoding/json"
	"io"
	"slices"
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
	Audited     bool         `json:"audited"`     // false: nothing could be audited
	Server      rules.Server `json:"server"`      // recognised from the Server header or the certificate; "" when none is
	Status      Status       `json:"status"`      // "complete", "partial" or "not-audited"
	Grade       *Grade       `json:"grade"`       // the verdict; null when not audited
	Certificate *Certificate `json:"certificate"` // null when none was read
	Findings    []Finding    `json:"findings"`    // worst first, as the audit sorted them
	// Checklist is the testing checklist, an item per area, and
	// ChecklistCounts the items in each state.
	Checklist       []ChecklistItem `json:"checklist"`
	ChecklistCounts Counts          `json:"checklist_counts"`
	Errors          []string        `json:"errors"`      // probes that could not run
	DurationMS      int64           `json:"duration_ms"` // how long the audit took
	// Observed and TLS are what the audit saw; absent when it saw nothing.
	Observed *audit.Observed  `json:"observed,omitempty"`
	TLS      *tlsprobe.Report `json:"tls,omitempty"`
}

// Status says how much of a target could be audited.
type Status string

// The statuses of a target's audit.
const (
	// Complete: every probe ran.
	Complete Status = "complete"
	// Partial: some probes failed (see errors); the grade leaves out
	// what they would have checked.
	Partial Status = "partial"
	// NotAudited: nothing could be audited (the target did not answer);
	// there is no grade.
	NotAudited Status = "not-audited"
)

// StatusOf is r's status.
func StatusOf(r audit.Report) Status {
	switch {
	case !Audited(r):
		return NotAudited
	case len(r.Errors) > 0:
		return Partial
	}
	return Complete
}

// ChecklistItem is one item of the testing checklist: an area (a rule
// category) and what the audit established about it.
type ChecklistItem struct {
	Category rules.Category `json:"category"` // the area, e.g. "hsts"
	Item     string         `json:"item"`     // what holds when it is verified
	State    State          `json:"state"`    // "verified", "failed" or "not-verified"
	// Evidence is what the audit observed of the area, a line each, raw
	// from the server: what verified it, or what was seen of a failed one.
	Evidence []string `json:"evidence"`
	Reason   Reason   `json:"reason"` // not-verified: "not-fetched", "nothing-to-judge" or "not-applicable"; else ""
	Detail   string   `json:"detail"` // not-verified: the specifics of the reason; else ""
	Rules    []string `json:"rules"`  // failed: the rules with findings above info, worst first
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
	Fix        string         `json:"fix"`        // what to achieve, from the rule
	References []string       `json:"references"` // the rule's references (URLs)
	// Remedies are the rule's remedies by server: portcullis's, then
	// nginx's, Apache httpd's, Caddy's and Django's where they exist.
	Remedies []rules.Remedy `json:"remedies"`
}

// NewDocument builds the JSON document of reps.
func NewDocument(reps []audit.Report, m Meta) Document {
	m = m.withDefaults()
	d := Document{Schema: Schema, Tool: m.Tool, Version: m.Version, Generated: m.Generated, Targets: []TargetReport{}}
	for _, r := range reps {
		t := TargetReport{
			Target:     r.Target,
			Audited:    Audited(r),
			Server:     serverOf(r).Server,
			Status:     StatusOf(r),
			Findings:   []Finding{},
			Checklist:  []ChecklistItem{},
			Errors:     nonNil(r.Errors),
			DurationMS: durationMS(r.Duration),
			Observed:   r.Observed,
			TLS:        r.TLS,
		}
		if t.Audited {
			t.Grade = &Grade{Letter: r.Grade.Letter, Score: r.Grade.Score, Caps: nonNil(r.Grade.Caps), Deductions: []Deduction{}}
			for _, dd := range r.Grade.Deductions {
				t.Grade.Deductions = append(t.Grade.Deductions, Deduction{Rule: dd.Rule, Severity: dd.Severity, Points: dd.Points, Count: dd.Count})
			}
		}
		items := checklist(r, m.Categories)
		t.ChecklistCounts = countStates(items)
		for _, it := range items {
			ci := ChecklistItem{Category: it.Category, Item: it.Text, State: it.State, Evidence: nonNil(it.Evidence),
				Reason: it.Reason, Detail: it.Detail, Rules: []string{}}
			for _, f := range it.Failures {
				if !slices.Contains(ci.Rules, f.Rule) {
					ci.Rules = append(ci.Rules, f.Rule)
				}
			}
			t.Checklist = append(t.Checklist, ci)
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
				Remedies: remediesOf(rule),
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

// remediesOf are rule's remedies, [] when it has none.
func remediesOf(rule rules.Rule) []rules.Remedy {
	if rule.Remedies == nil {
		return []rules.Remedy{}
	}
	return rule.Remedies
}

// nonNil returns s, or an empty slice for nil, so JSON has [] not null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
