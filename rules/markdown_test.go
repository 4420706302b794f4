package rules

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsUpToDate fails when docs/rules.md no longer matches Markdown().
func TestDocsUpToDate(t *testing.T) {
	path := filepath.Join("..", filepath.FromSlash(DocsPath))
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v; generate it with: %s", DocsPath, err, RegenerateCommand)
	}
	if !bytes.Equal(got, Markdown()) {
		t.Fatalf("%s is out of date with the rule catalog; regenerate it with: %s", DocsPath, RegenerateCommand)
	}
}

func TestMarkdownContents(t *testing.T) {
	md := string(Markdown())
	if md != string(Markdown()) {
		t.Fatal("Markdown() is not deterministic")
	}
	if !strings.HasPrefix(md, "<!-- Code generated") || !strings.Contains(md, "DO NOT EDIT") {
		t.Error("missing generated-code header")
	}
	if !strings.HasSuffix(md, "\n") || strings.HasSuffix(md, "\n\n") {
		t.Error("output must end with exactly one newline")
	}
	lastAnchor := -1
	for _, r := range All() {
		anchor := `<a id="` + r.ID + `"></a>`
		if strings.Count(md, anchor) != 1 {
			t.Errorf("%s: want exactly one anchor %s", r.ID, anchor)
		}
		if !strings.Contains(md, "](#"+r.ID+")") {
			t.Errorf("%s: not linked from the table of contents", r.ID)
		}
		i := strings.Index(md, anchor)
		if i < lastAnchor {
			t.Errorf("%s: section out of All() order", r.ID)
		}
		lastAnchor = i
		section := md[i:]
		if j := strings.Index(section[len(anchor):], `<a id="`); j >= 0 {
			section = section[:len(anchor)+j]
		}
		for _, want := range []string{
			"### `" + r.ID + "`: " + escapeMarkdown(r.Title) + "\n",
			"- **Severity:** " + r.Severity.String() + "\n",
			escapeMarkdown(r.Description),
			"**Fix:** " + escapeMarkdown(r.Fix),
		} {
			if !strings.Contains(section, want) {
				t.Errorf("%s: section lacks %q", r.ID, want)
			}
		}
		if len(r.Remedies) > 0 && !strings.Contains(section, "\n| Server | How |\n|---|---|\n") {
			t.Errorf("%s: section lacks the remedies table", r.ID)
		}
		for _, m := range r.Remedies {
			if row := "| " + m.Server.Title() + " | " + escapeMarkdown(m.Text) + " |\n"; !strings.Contains(section, row) {
				t.Errorf("%s: section lacks the row %q", r.ID, row)
			}
		}
		for _, ref := range r.References {
			if !strings.Contains(section, "- <"+ref+">\n") {
				t.Errorf("%s: section lacks reference %s", r.ID, ref)
			}
		}
		if r.Django != "" && !strings.Contains(section, "[`"+r.Django+"`]") {
			t.Errorf("%s: section lacks Django check %s", r.ID, r.Django)
		}
		if r.Django == "" && !strings.Contains(section, "**Django check:** none") {
			t.Errorf("%s: section should say there is no Django check", r.ID)
		}
	}
	for _, c := range Categories() {
		if !strings.Contains(md, "\n## "+escapeMarkdown(c.Title())+"\n") || !strings.Contains(md, "](#"+categoryAnchor(c)+")") {
			t.Errorf("category %s: heading or contents link missing", c)
		}
	}
}

func TestEscapeMarkdown(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain text.", "plain text."},
		{"a `code_span <b>` here", "a `code_span <b>` here"},
		{"__Host- prefix", `\_\_Host- prefix`},
		{"DH < 2048 bits", `DH \< 2048 bits`},
		{"a*b [c](d) e|f #g !h", `a\*b \[c\](d) e\|f \#g \!h`},
		{`back\slash`, `back\\slash`},
		{"unpaired ` quote", "unpaired \\` quote"},
		{"two `a` and `b_c`", "two `a` and `b_c`"},
		{"odd `a` then ` x_y", "odd `a` then \\` x\\_y"},
		{"empty `` span", "empty \\`\\` span"},
		{"line\nbreak\r\nand\rcr", "line break and cr"},
		{"ünïcödé_", `ünïcödé\_`},
	}
	for _, tt := range tests {
		if got := escapeMarkdown(tt.in); got != tt.want {
			t.Errorf("escapeMarkdown(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// unescapeMarkdown inverts escapeMarkdown for text without line breaks.
func unescapeMarkdown(s string) string {
	var b strings.Builder
	inCode := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '`':
			inCode = !inCode
			b.WriteByte(c)
		case c == '\\' && !inCode && i+1 < len(s) && strings.IndexByte(markdownSpecial, s[i+1]) >= 0:
			if s[i+1] == '`' { // an escaped backquote never opens a span
				b.WriteByte('`')
				i++
				continue
			}
			b.WriteByte(s[i+1])
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// FuzzEscapeMarkdown checks that escaping is lossless (undoing the escapes
// restores the input, line breaks aside) and leaves no Markdown-special
// character unescaped outside code spans.
func FuzzEscapeMarkdown(f *testing.F) {
	for _, r := range catalog {
		f.Add(r.Title)
		f.Add(r.Fix)
	}
	for _, s := range []string{"", "`", "``", "```", "`a", "a`", "\\`", "\\", "`\\`", "__Host-", "<script>", "a\nb", "\r", "*_[]<>|#!", "\xff`\xfe`"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := escapeMarkdown(in)
		if strings.ContainsAny(out, "\r\n") {
			t.Fatalf("escapeMarkdown(%q) = %q contains a line break", in, out)
		}
		flat := strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(in)
		if back := unescapeMarkdown(out); back != flat {
			t.Fatalf("unescape(escapeMarkdown(%q)) = %q, want %q (escaped %q)", in, back, flat, out)
		}
		inCode := false
		for i := 0; i < len(out); i++ {
			c := out[i]
			if c == '\\' && !inCode && i+1 < len(out) {
				i++
				continue
			}
			if c == '`' {
				inCode = !inCode
				continue
			}
			if !inCode && strings.IndexByte(markdownSpecial, c) >= 0 {
				t.Fatalf("escapeMarkdown(%q) = %q: unescaped %q at %d", in, out, c, i)
			}
		}
		if inCode {
			t.Fatalf("escapeMarkdown(%q) = %q leaves a code span open", in, out)
		}
	})
}

// FuzzParseSeverity checks that parsing accepts exactly the five names in
// any letter case and that accepted values round-trip through text.
func FuzzParseSeverity(f *testing.F) {
	for _, s := range []string{"info", "low", "medium", "high", "critical", "HIGH", "Critical", "", " low", "lo", "mediumm", "\x00", "ınfo", "K"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseSeverity(in)
		known := false
		for _, n := range severityNames {
			known = known || strings.EqualFold(in, n)
		}
		if known != (err == nil) {
			t.Fatalf("ParseSeverity(%q) error = %v, want accepted=%v", in, err, known)
		}
		if err != nil {
			if s != 0 {
				t.Fatalf("ParseSeverity(%q) returned %v with an error", in, s)
			}
			return
		}
		text, err := s.MarshalText()
		if err != nil || !strings.EqualFold(string(text), in) {
			t.Fatalf("MarshalText(%v) = %q, %v; want a case-insensitive match for %q", s, text, err, in)
		}
		var back Severity
		if err := back.UnmarshalText(text); err != nil || back != s {
			t.Fatalf("round trip of %q = %v, %v", text, back, err)
		}
	})
}
