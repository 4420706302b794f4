package grade

import (
	"fmt"
	"testing"

	"github.com/portcullis/portcullis/rules"
)

func fs(ids ...string) []rules.Finding {
	var out []rules.Finding
	for _, id := range ids {
		out = append(out, rules.NewFinding(id, "x"))
	}
	return out
}

func TestOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		f      []rules.Finding
		letter string
		score  int
	}{
		{"clean", nil, "A+", 100},
		{"informational only", fs("hsts.no-preload", "header.corp-missing"), "A+", 100},
		{"one low", fs("hsts.no-subdomains"), "A", 96},
		{"a low on many cookies counts once", fs("cookie.samesite-missing", "cookie.samesite-missing", "cookie.samesite-missing"), "A", 96},
		{"medium", fs("header.frame-options-missing"), "A", 90},
		{"csp missing caps at A", fs("csp.missing"), "A", 90},
		{"hsts missing caps at B", fs("hsts.missing"), "B", 90},
		{"no redirect caps at C", fs("redirect.missing"), "C", 80},
		{"expired certificate is F", fs("cert.expired"), "F", 80},
		{"HTTP only is F", fs("tls.no-https", "redirect.missing"), "F", 40},
		{"no security.txt is low", fs("securitytxt.missing"), "A", 96},
		{"plain HTTP unreachable is low", fs("redirect.http-unreachable"), "A", 96},
		{"many mediums", fs("csp.missing", "header.frame-options-missing", "csp.unsafe-inline", "hsts.missing"), "D", 60},
		{"floor at 0", fs("cert.expired", "cert.untrusted", "redirect.missing", "redirect.downgrade", "content.mixed-active",
			"cert.hostname-mismatch"), "F", 0},
	} {
		g := Of(tc.f)
		if g.Letter != tc.letter || g.Score != tc.score {
			t.Errorf("%s: %s %d, want %s %d (%+v)", tc.name, g.Letter, g.Score, tc.letter, tc.score, g)
		}
	}
	// A critical finding caps at F, whatever its rule.
	crit := rules.NewFinding("hsts.no-subdomains", "x")
	crit.Severity = rules.Critical
	if g := Of([]rules.Finding{crit}); g.Letter != "F" {
		t.Errorf("critical: %s", g.Letter)
	}
}

func TestCapsAreCatalogRules(t *testing.T) {
	t.Parallel()
	for id, l := range Caps {
		if _, ok := rules.Get(id); !ok || !Valid(l) {
			t.Errorf("cap %s: %s", id, l)
		}
	}
}

func TestAtLeast(t *testing.T) {
	t.Parallel()
	if !AtLeast("A+", "A") || !AtLeast("B", "B") || AtLeast("C", "B") || AtLeast("X", "F") {
		t.Error("AtLeast")
	}
}

func ExampleOf() {
	g := Of([]rules.Finding{
		rules.NewFinding("hsts.max-age-short", "max-age=300 is below one year"),
		rules.NewFinding("redirect.missing", "http://example.com/ answers 200"),
	})
	fmt.Println(g.Letter, g.Score, g.Caps)
	// Output: C 76 [redirect.missing: C]
}
