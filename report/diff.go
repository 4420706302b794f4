package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/portcullis/portcullis/audit/grade"
	"github.com/portcullis/portcullis/rules"
)

// This file compares two audits of the same targets (`portcullis audit
// --diff OLD.json NEW.json`, and the server's audits of its own sites,
// package selfaudit): per target, the grade's change and the findings
// added and removed.
//
// A finding is identified by its rule, its target (the URL it was found
// at) and its severity: a message that only restates a changing value
// ("expires in 12 days") is the same finding, and a finding whose severity
// rose is a new one (and the old one removed). Something got worse when a
// target's grade dropped (a worse letter, or no grade where there was
// one) or a finding was added; a target only in one of the reports is
// listed, and is neither.

// DiffSchema names the JSON of a Diff; it changes when a change would
// break a consumer.
const DiffSchema = "portcullis.audit-diff/v1"

// Diff is what changed between two reports, target by target.
type Diff struct {
	Schema string `json:"schema"` // always DiffSchema
	// Worse: a target's grade dropped or a finding was added.
	Worse bool `json:"worse"`
	// Targets are NEW's targets in its order, then those only in OLD.
	Targets []TargetDiff `json:"targets"`
}

// TargetDiff is what changed on one target.
type TargetDiff struct {
	Target string `json:"target"`
	// Old and New are the grades in each report: null when the target is
	// not in that report; letter "" when it was not audited there.
	Old *DiffGrade `json:"old"`
	New *DiffGrade `json:"new"`
	// GradeDropped: in both reports, and NEW's letter is worse than
	// OLD's (or NEW has no grade where OLD had one). GradeRaised: the
	// reverse.
	GradeDropped bool `json:"grade_dropped"`
	GradeRaised  bool `json:"grade_raised"`
	// Added are NEW's findings OLD did not have; Removed, OLD's that NEW
	// does not have; worst first. Both are empty for a target in one
	// report only.
	Added   []DiffFinding `json:"added"`
	Removed []DiffFinding `json:"removed"`
	// Worse: the grade dropped or a finding was added.
	Worse bool `json:"worse"`
}

// DiffGrade is a target's grade in one report.
type DiffGrade struct {
	Letter string `json:"letter"` // "A+" … "F"; "" when not audited
	Score  int    `json:"score"`  // 0..100
}

func (g *DiffGrade) String() string {
	if g.Letter == "" {
		return "not audited"
	}
	return fmt.Sprintf("%s (%d/100)", g.Letter, g.Score)
}

// DiffFinding is a finding added or removed.
type DiffFinding struct {
	Rule     string         `json:"rule"`
	Severity rules.Severity `json:"severity"`
	Message  string         `json:"message"`
	Target   string         `json:"target"` // where: a URL, "" for the whole target
}

// Changed reports whether anything differs on the target: its grade or
// its findings, or it is in one report only.
func (t TargetDiff) Changed() bool {
	return t.Old == nil || t.New == nil || *t.Old != *t.New || len(t.Added) > 0 || len(t.Removed) > 0
}

// DiffDocuments compares two JSON reports (schema "portcullis.audit/v1"),
// matching targets by name.
func DiffDocuments(old, new Document) Diff {
	d := Diff{Schema: DiffSchema, Targets: []TargetDiff{}}
	olds := map[string]*TargetReport{}
	for i := range old.Targets {
		if _, dup := olds[old.Targets[i].Target]; !dup {
			olds[old.Targets[i].Target] = &old.Targets[i]
		}
	}
	seen := map[string]bool{}
	for i := range new.Targets {
		n := &new.Targets[i]
		if seen[n.Target] {
			continue
		}
		seen[n.Target] = true
		d.Targets = append(d.Targets, DiffTargets(olds[n.Target], n))
	}
	for i := range old.Targets {
		if o := &old.Targets[i]; !seen[o.Target] {
			seen[o.Target] = true
			d.Targets = append(d.Targets, DiffTargets(o, nil))
		}
	}
	for _, t := range d.Targets {
		d.Worse = d.Worse || t.Worse
	}
	return d
}

// DiffTargets compares two reports of one target; nil stands for a report
// without it. The dashboard compares two stored audits of a site with it.
func DiffTargets(old, new *TargetReport) TargetDiff {
	t := TargetDiff{Added: []DiffFinding{}, Removed: []DiffFinding{}}
	if new != nil {
		t.Target, t.New = new.Target, gradeOf(new)
	}
	if old != nil {
		t.Target, t.Old = old.Target, gradeOf(old)
	}
	if old == nil || new == nil {
		return t
	}
	t.Target = new.Target
	switch o, n := t.Old.Letter, t.New.Letter; {
	case o == "":
		t.GradeRaised = n != ""
	case n == "":
		t.GradeDropped = true
	default:
		t.GradeDropped = !grade.AtLeast(n, o)
		t.GradeRaised = !grade.AtLeast(o, n)
	}
	t.Added = onlyIn(new.Findings, old.Findings)
	t.Removed = onlyIn(old.Findings, new.Findings)
	t.Worse = t.GradeDropped || len(t.Added) > 0
	return t
}

func gradeOf(t *TargetReport) *DiffGrade {
	if t.Grade == nil || !t.Audited {
		return &DiffGrade{}
	}
	return &DiffGrade{Letter: t.Grade.Letter, Score: t.Grade.Score}
}

// findingKey identifies a finding across reports.
func findingKey(f Finding) string {
	return f.Rule + "\x00" + f.Target + "\x00" + f.Severity.String()
}

// onlyIn returns the findings of a whose key no finding of b has, in a's
// order.
func onlyIn(a, b []Finding) []DiffFinding {
	keys := map[string]bool{}
	for _, f := range b {
		keys[findingKey(f)] = true
	}
	out := []DiffFinding{}
	for _, f := range a {
		if !keys[findingKey(f)] {
			out = append(out, DiffFinding{Rule: f.Rule, Severity: f.Severity, Message: f.Message, Target: f.Target})
		}
	}
	return out
}

// ReadDocument reads a JSON report (`portcullis audit --format json`),
// refusing another schema.
func ReadDocument(r io.Reader) (Document, error) {
	var d Document
	dec := json.NewDecoder(io.LimitReader(r, 256<<20))
	if err := dec.Decode(&d); err != nil {
		return Document{}, fmt.Errorf("not a JSON audit report: %w", err)
	}
	if d.Schema != Schema {
		return Document{}, fmt.Errorf("schema %q is not %q: not a report of portcullis audit --format json", d.Schema, Schema)
	}
	return d, nil
}

// DiffFormats are the formats WriteDiff accepts.
func DiffFormats() []string { return []string{"text", "json"} }

// WriteDiff renders d as "text" or "json" (an indented Diff, schema
// "portcullis.audit-diff/v1", and a newline).
func WriteDiff(format string, w io.Writer, d Diff) error {
	switch format {
	case "text":
		return DiffText(w, d)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	}
	return fmt.Errorf("report: unknown diff format %q (want text or json)", format)
}

// DiffText writes d for a terminal: per target its grade change and the
// findings added (+) and removed (-), then a verdict line. Text from the
// audited sites is shown with control characters escaped.
func DiffText(w io.Writer, d Diff) error {
	bw := bufio.NewWriter(w)
	dropped, added, removed := 0, 0, 0
	for _, t := range d.Targets {
		name := visible(t.Target)
		switch {
		case t.Old == nil:
			fmt.Fprintf(bw, "%s: only in NEW, %s\n", name, t.New)
		case t.New == nil:
			fmt.Fprintf(bw, "%s: only in OLD, %s\n", name, t.Old)
		case *t.Old == *t.New:
			fmt.Fprintf(bw, "%s: grade %s, unchanged\n", name, t.New)
		default:
			verdict := ""
			switch {
			case t.GradeDropped:
				verdict = ": dropped"
			case t.GradeRaised:
				verdict = ": raised"
			}
			fmt.Fprintf(bw, "%s: grade %s → %s%s\n", name, t.Old, t.New, verdict)
		}
		for _, f := range t.Added {
			fmt.Fprintf(bw, "  + %s\n", diffLine(f))
		}
		for _, f := range t.Removed {
			fmt.Fprintf(bw, "  - %s\n", diffLine(f))
		}
		if t.Old != nil && t.New != nil && len(t.Added)+len(t.Removed) == 0 {
			fmt.Fprintln(bw, "  no finding added or removed")
		}
		if t.GradeDropped {
			dropped++
		}
		added += len(t.Added)
		removed += len(t.Removed)
	}
	counts := []string{}
	if dropped > 0 {
		counts = append(counts, plural(dropped, "grade")+" dropped")
	}
	if added > 0 {
		counts = append(counts, plural(added, "finding")+" added")
	}
	if removed > 0 {
		counts = append(counts, plural(removed, "finding")+" removed")
	}
	if len(d.Targets) > 0 {
		fmt.Fprintln(bw)
	}
	switch {
	case d.Worse:
		fmt.Fprintf(bw, "worse: %s\n", strings.Join(counts, ", "))
	case len(counts) > 0:
		fmt.Fprintf(bw, "nothing got worse: %s\n", strings.Join(counts, ", "))
	default:
		fmt.Fprintln(bw, "nothing got worse")
	}
	return bw.Flush()
}

func diffLine(f DiffFinding) string {
	s := fmt.Sprintf("[%s] %s: %s", f.Severity, visible(f.Rule), visible(f.Message))
	if f.Target != "" {
		s += " (" + visible(f.Target) + ")"
	}
	return s
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
