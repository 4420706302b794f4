package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/rules"
)

// JUnit XML elements, in the form Jenkins, GitLab and GitHub test
// reporters read.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Time       string          `xml:"time,attr"`
		Timestamp  string          `xml:"timestamp,attr"`
		Properties []junitProperty `xml:"properties>property"`
		Cases      []junitCase     `xml:"testcase"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Skipped   *junitSkipped `xml:"skipped"`
		Failure   *junitProblem `xml:"failure"`
		Error     *junitProblem `xml:"error"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	junitSkipped struct {
		Message string `xml:"message,attr"`
	}
	junitProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

// JUnit writes JUnit XML: a testsuite per target, a testcase per
// evaluated rule (classname the rule's category, name its ID) that fails
// when the rule has a finding at Low or above (message: the first
// finding's message; type: the worst severity; text: every finding with
// its evidence and the fix), and is skipped, with the reason, when the
// audit could not observe the area the rule is judged on (the checklist
// item is not verified: not fetched, nothing to judge, not applicable,
// or the whole target not audited). Informational findings are kept in
// the testcase's system-out. Text from the site has its control
// characters written as Go escapes (\n, \x1b). Each probe error is a
// testcase with an <error>. The suite's properties give the status
// ("complete", "partial", "not-audited"), the grade and score (absent
// when not audited) and the checklist counts.
func JUnit(w io.Writer, reps []audit.Report, m Meta) error {
	if err := validate(reps); err != nil {
		return err
	}
	m = m.withDefaults()
	doc := junitSuites{Name: m.Tool + " audit"}
	var total time.Duration
	for _, r := range reps {
		s := junitTarget(r, m)
		doc.Suites = append(doc.Suites, s)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
		total += r.Duration
	}
	doc.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitTarget is one target's testsuite.
func junitTarget(r audit.Report, m Meta) junitSuite {
	s := junitSuite{
		Name:       xmlSafe(visible(r.Target)),
		Time:       seconds(r.Duration),
		Timestamp:  m.Generated.Format("2006-01-02T15:04:05"),
		Properties: []junitProperty{{"status", string(StatusOf(r))}},
	}
	if Audited(r) {
		s.Properties = append(s.Properties, junitProperty{"grade", xmlSafe(visible(r.Grade.Letter))}, junitProperty{"score", fmt.Sprint(r.Grade.Score)})
	}
	items := checklist(r, m.Categories)
	s.Properties = append(s.Properties, junitProperty{"checklist", countStates(items).String()})
	found := byRule(r.Findings)
	for _, rule := range evaluated(r, m.Categories) {
		c := junitCase{Name: xmlSafe(visible(rule.ID)), Classname: "portcullis." + cmpOr(string(rule.Category), "unknown")}
		var fails, notes []rules.Finding
		for _, f := range found[rule.ID] {
			if f.Severity >= rules.Low {
				fails = append(fails, f)
			} else {
				notes = append(notes, f)
			}
		}
		if len(fails) > 0 {
			c.Failure = &junitProblem{Message: xmlSafe(visible(fails[0].Message)), Type: worst(fails).String(), Text: xmlSafe(failureText(fails, rule))}
			s.Failures++
		} else if ok, why := ruleObserved(r, rule); !ok && len(notes) == 0 {
			c.Skipped = &junitSkipped{Message: xmlSafe(visible("not verified: " + why))}
			s.Skipped++
		}
		if len(notes) > 0 {
			c.SystemOut = xmlSafe(failureText(notes, rules.Rule{}))
		}
		s.Cases = append(s.Cases, c)
	}
	for _, e := range r.Errors {
		s.Cases = append(s.Cases, junitCase{Name: "probe", Classname: "portcullis.audit",
			Error: &junitProblem{Message: xmlSafe(visible(e)), Type: "error", Text: xmlSafe(visible(e))}})
		s.Errors++
	}
	s.Tests = len(s.Cases)
	return s
}

// failureText lists findings with their evidence and target (control
// characters made visible, one line each), then the rule's fix.
func failureText(fs []rules.Finding, rule rules.Rule) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "[%s] %s", f.Severity, visible(f.Message))
		if f.Target != "" {
			fmt.Fprintf(&b, " (at %s)", visible(f.Target))
		}
		b.WriteString("\n")
		if f.Evidence != "" {
			fmt.Fprintf(&b, "evidence: %s\n", visible(f.Evidence))
		}
	}
	if rule.Fix != "" {
		fmt.Fprintf(&b, "fix: %s\n", rule.Fix)
	}
	return b.String()
}

// xmlSafe replaces what XML 1.0 cannot carry (invalid UTF-8, control
// characters other than tab, newline and carriage return, U+FFFE, U+FFFF,
// surrogates) with U+FFFD.
func xmlSafe(s string) string {
	ok := true
	for _, r := range s {
		if !xmlChar(r) {
			ok = false
			break
		}
	}
	if ok && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !xmlChar(r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
		i += size
	}
	return b.String()
}

// xmlChar reports whether r is a Char of XML 1.0 (§2.2).
func xmlChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// seconds formats d as JUnit's decimal seconds.
func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
