package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/portcullis/portcullis/audit"
)

var fuzzSeeds = []string{
	"", "plain", hostileEvidence, "<script>alert(1)</script>", "a|b", "``", "`", " ` ", "]]>", "\r\n\r\n# x",
	"1. x", "- [x] done", "&lt;", "\\", "\\|", "\x00\x1b\x7f", "\xff\xfe", "\uFFFE\uFFFF", "\u202e", " ", "   x   ",
	"![i](https://evil.test/p.png)", "[click](javascript:alert(1))", "<!--", "</code>", "$x$", "~~s~~", "9)",
}

// FuzzMarkdownEscape: mdText output, read back with CommonMark's
// backslash escapes, is the visible form of the input, stays on one line
// and leaves no special character unescaped; mdCode output is one code
// span whose content reads back as the visible input.
func FuzzMarkdownEscape(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := strings.Trim(visible(s), " ")
		got := mdText(s)
		if strings.ContainsAny(got, "\r\n") {
			t.Fatalf("mdText(%q) = %q spans lines", s, got)
		}
		var plain strings.Builder
		for i := 0; i < len(got); i++ {
			c := got[i]
			if c == '\\' {
				if i+1 == len(got) || !isASCIIPunct(got[i+1]) {
					t.Fatalf("mdText(%q) = %q: a lone backslash at %d", s, got, i)
				}
				plain.WriteByte(got[i+1])
				i++
				continue
			}
			if strings.IndexByte(mdSpecial, c) >= 0 {
				t.Fatalf("mdText(%q) = %q: unescaped %q at %d", s, got, c, i)
			}
			if plain.Len() == 0 && strings.IndexByte("-+=", c) >= 0 {
				t.Fatalf("mdText(%q) = %q: leading block marker", s, got)
			}
			plain.WriteByte(c)
		}
		if plain.String() != want {
			t.Fatalf("mdText(%q) = %q reads back as %q, want %q", s, got, plain.String(), want)
		}

		code := mdCode(s)
		if s == "" {
			if code != "" {
				t.Fatalf("mdCode(\"\") = %q", code)
			}
			return
		}
		if strings.ContainsAny(code, "\r\n") {
			t.Fatalf("mdCode(%q) = %q spans lines", s, code)
		}
		n := len(code) - len(strings.TrimLeft(code, "`"))
		fence := strings.Repeat("`", n)
		if len(code) < 2*n || !strings.HasSuffix(code, fence) || code[len(code)-n-1] == '`' {
			t.Fatalf("mdCode(%q) = %q: fences differ", s, code)
		}
		inner := code[n : len(code)-n]
		if strings.Contains(inner, fence) {
			t.Fatalf("mdCode(%q) = %q: the fence occurs inside", s, code)
		}
		if len(inner) >= 2 && inner[0] == ' ' && inner[len(inner)-1] == ' ' && strings.Trim(inner, " ") != "" {
			inner = inner[1 : len(inner)-1] // CommonMark strips one space each side
		}
		if inner != visible(s) {
			t.Fatalf("mdCode(%q) = %q reads back as %q, want %q", s, code, inner, visible(s))
		}
	})
}

func isASCIIPunct(c byte) bool {
	return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~')
}

// fuzzReports puts s in every field the audited site controls, keeping
// the catalog rules of the weak fixture.
func fuzzReports(s string) []audit.Report {
	r := weak()
	r.Target = s
	r.Errors = []string{s}
	r.Cert.Names = []string{s}
	r.Cert.Issuer = s
	r.Observed.Headers["Server"] = "nginx/" + s // recognised whatever follows
	for i := range r.Findings {
		r.Findings[i].Message = s
		r.Findings[i].Evidence = s
		r.Findings[i].Target = s
	}
	return []audit.Report{r, hardened()}
}

// placeholder has the emptiness of s: renderers branch on nothing else.
func placeholder(s string) string {
	if s == "" {
		return ""
	}
	return "x"
}

// FuzzRenderers feeds arbitrary site text to every renderer: none fails
// or panics; the HTML has exactly the tags it has for harmless text (no
// "<" from the input survives); the Markdown has the same lines and table
// cells; the text output the same lines; the JUnit parses and carries the
// failure message; the JSON and SARIF parse and carry the text.
func FuzzRenderers(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := map[string]string{}
		ref := map[string]string{}
		for _, format := range Formats() {
			var a, b bytes.Buffer
			if err := Write(format, &a, fuzzReports(s), testMeta); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			if err := Write(format, &b, fuzzReports(placeholder(s)), testMeta); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			out[format], ref[format] = a.String(), b.String()
		}

		if got, want := strings.Count(out["html"], "<"), strings.Count(ref["html"], "<"); got != want {
			t.Fatalf("HTML has %d '<', want %d: the input %q made markup", got, want, s)
		}
		compareMarkdown(t, s, out["markdown"], ref["markdown"])
		if got, want := strings.Count(out["text"], "\n"), strings.Count(ref["text"], "\n"); got != want {
			t.Fatalf("text has %d lines, want %d", got, want)
		}

		d := junitDoc(t, out["junit"])
		var msgs []string
		for _, c := range d.Suites[0].Cases {
			if c.Failure != nil {
				msgs = append(msgs, c.Failure.Message)
			}
		}
		if len(msgs) != 8 || d.Suites[0].Failures != 8 || d.Suites[0].Name != xmlSafe(visible(s)) {
			t.Fatalf("JUnit: %d failures %v, suite %q", d.Suites[0].Failures, msgs, d.Suites[0].Name)
		}
		for _, m := range msgs {
			if m != xmlSafe(visible(s)) {
				t.Fatalf("JUnit message %q, want %q", m, xmlSafe(visible(s)))
			}
		}

		var doc Document
		if err := json.Unmarshal([]byte(out["json"]), &doc); err != nil {
			t.Fatalf("JSON: %v", err)
		}
		jsonText := jsonString(s)
		if tr := doc.Targets[0]; tr.Target != jsonText || tr.Findings[0].Evidence != jsonText || tr.Findings[0].Message != jsonText {
			t.Fatalf("JSON text %q, want %q", tr.Findings[0].Evidence, jsonText)
		}

		var log sarifLog
		if err := json.Unmarshal([]byte(out["sarif"]), &log); err != nil {
			t.Fatalf("SARIF: %v", err)
		}
		res := log.Runs[0].Results
		if len(res) != 12 || (s != "" && res[0].Message.Text != jsonText) || res[0].Message.Text == "" {
			t.Fatalf("SARIF results: %d: %+v", len(res), res)
		}
		for _, r := range res {
			if s != "" && (len(r.Locations) != 1 || r.Locations[0].PhysicalLocation.ArtifactLocation.URI == "") {
				t.Fatalf("SARIF result without a location: %+v", r)
			}
		}
	})
}

// jsonString is s as encoding/json delivers it: each invalid byte
// replaced by U+FFFD.
func jsonString(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r) // RuneError for an invalid byte
		i += size
	}
	return b.String()
}
