package cspsuggest

import (
	"fmt"
	"io"
	"strings"
)

// maxChangesShown bounds the changes of one kind WriteText lists; the
// JSON has them all.
const maxChangesShown = 20

// maxEvidenceShown bounds the reasons WriteText gives for one source.
const maxEvidenceShown = 5

// WriteText writes the suggestion for people: the policy, the snippet
// that enforces it, why each source is there, what the application must
// change, and the notes.
func (s *Suggestion) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Site %s: %s crawled, %s used\n\n", s.Site, pluralInt(len(s.Pages), "page"), plural(s.Reports, "CSP report"))
	fmt.Fprintf(&b, "Suggested Content-Security-Policy:\n  %s\n\n", s.Policy)
	fmt.Fprintf(&b, "To enforce it, in portcullis.toml, in the [[site]] named %q (then portcullis reload):\n", s.Site)
	for line := range strings.Lines(s.Config) {
		b.WriteString("  " + line)
	}
	b.WriteString("\nWhy each source:\n")
	for _, src := range s.Sources {
		fmt.Fprintf(&b, "  %s %s\n", src.Directive, src.Source)
		for i, e := range src.Why {
			if i == maxEvidenceShown {
				fmt.Fprintf(&b, "      … and %d more\n", len(src.Why)-i)
				break
			}
			fmt.Fprintf(&b, "      %s\n", e)
		}
	}
	if len(s.Changes) > 0 {
		b.WriteString("\nChanges the app needs (the policy blocks these; it does not allow them):\n")
		shown := map[string]int{}
		var kinds, fixes []string
		fixOf := map[string]bool{}
		for _, c := range s.Changes {
			if shown[c.Kind] == 0 {
				kinds = append(kinds, c.Kind)
			}
			if shown[c.Kind]++; shown[c.Kind] > maxChangesShown {
				continue
			}
			fmt.Fprintf(&b, "  %-16s %s\n", c.Kind, c.Where)
			if !fixOf[c.Kind+c.Fix] {
				fixOf[c.Kind+c.Fix] = true
				fixes = append(fixes, fmt.Sprintf("  %-16s %s\n", c.Kind, c.Fix))
			}
		}
		for _, kind := range kinds {
			if n := shown[kind]; n > maxChangesShown {
				fmt.Fprintf(&b, "  %-16s … and %d more (--format json lists them all)\n", kind, n-maxChangesShown)
			}
		}
		b.WriteString("\nHow to fix them:\n")
		for _, f := range fixes {
			b.WriteString(f)
		}
	}
	if len(s.Notes) > 0 {
		b.WriteString("\nNotes:\n")
		for _, n := range s.Notes {
			fmt.Fprintf(&b, "  - %s\n", n)
		}
	}
	if len(s.Weaknesses) == 0 {
		b.WriteString("\nThe audit's CSP rules find no weakness in this policy.\n")
	} else {
		b.WriteString("\nThe audit's CSP rules will report:\n")
		for _, wk := range s.Weaknesses {
			fmt.Fprintf(&b, "  %s: %s\n", wk.Rule, wk.Message)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func pluralInt(n int, noun string) string { return plural(uint64(max(n, 0)), noun) }
