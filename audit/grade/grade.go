// Package grade turns an audit's findings into a letter, A+ to F, the
// way SSL Labs and the MDN HTTP Observatory do: points lost per weakness,
// and caps for the failures that make everything else moot. Every point
// lost and every cap is explained by a finding, so the grade can be
// argued with.
//
// # Scoring
//
// A site starts at 100. Each rule that failed (once, however many pages,
// cookies or hosts it failed on) costs points by the severity of its
// worst finding: critical 40, high 20, medium 10, low 4, informational 0.
// The letter is A+ at 100, A from 90, B from 80, C from 70, D from 60,
// and F below.
//
// # Caps
//
// Some findings cap the letter whatever the score (table Caps): a
// certificate browsers reject (expired, wrong name, untrusted,
// self-signed) or an SSL 3.0/TLS 1.0/1.1 handshake caps at F, B or lower;
// a site served over plain HTTP only (no HTTPS at all) at F, as the MDN
// HTTP Observatory grades it; weak ciphers at C; HTTP served without a
// redirect to HTTPS at C; missing HSTS at B. Any critical finding caps at
// F.
//
// A target that could not be audited has no grade: Of is not called for
// it, and its [Grade] is the zero value (no letter).
package grade

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/portcullis/portcullis/rules"
)

// Letters, best first.
var Letters = []string{"A+", "A", "B", "C", "D", "F"}

// Points are what a failed rule costs, by severity.
var Points = map[rules.Severity]int{rules.Critical: 40, rules.High: 20, rules.Medium: 10, rules.Low: 4, rules.Info: 0}

// Caps are the rules that cap the letter at most at the given one.
var Caps = map[string]string{
	"cert.expired":           "F",
	"cert.hostname-mismatch": "F",
	"cert.untrusted":         "F",
	"cert.self-signed":       "F",
	"cert.pin-mismatch":      "F",
	"tls.no-https":           "F",
	"tls.legacy-protocol":    "B",
	"tls.weak-cipher":        "C",
	"tls.weak-dh":            "B",
	"cert.weak-key":          "C",
	"cert.weak-signature":    "C",
	"redirect.missing":       "C",
	"redirect.downgrade":     "C",
	"content.mixed-active":   "C",
	"hsts.missing":           "B",
	"csp.missing":            "A",
}

// Deduction is one failed rule's cost.
type Deduction struct {
	Rule     string         `json:"rule"`
	Severity rules.Severity `json:"severity"`
	Points   int            `json:"points"`
	Count    int            `json:"count"` // findings of the rule
}

// Grade is the verdict on a set of findings.
type Grade struct {
	Letter     string      `json:"letter"`
	Score      int         `json:"score"` // 0..100
	Deductions []Deduction `json:"deductions"`
	// Caps are the findings that capped the letter, "rule: cap".
	Caps []string `json:"caps,omitempty"`
}

// Of grades findings.
func Of(findings []rules.Finding) Grade {
	worst := map[string]*Deduction{}
	for _, f := range findings {
		d := worst[f.Rule]
		if d == nil {
			d = &Deduction{Rule: f.Rule, Severity: f.Severity}
			worst[f.Rule] = d
		}
		d.Count++
		d.Severity = max(d.Severity, f.Severity)
	}
	g := Grade{Score: 100}
	for _, d := range worst {
		d.Points = Points[d.Severity]
		g.Score -= d.Points
		g.Deductions = append(g.Deductions, *d)
	}
	g.Score = max(g.Score, 0)
	slices.SortFunc(g.Deductions, func(a, b Deduction) int {
		return cmp.Or(cmp.Compare(b.Points, a.Points), cmp.Compare(a.Rule, b.Rule))
	})
	g.Letter = letter(g.Score)
	for _, d := range g.Deductions {
		lim, ok := Caps[d.Rule]
		if d.Severity == rules.Critical {
			lim, ok = "F", true
		}
		if ok && d.Points > 0 {
			g.Caps = append(g.Caps, fmt.Sprintf("%s: %s", d.Rule, lim))
			if rank(lim) > rank(g.Letter) {
				g.Letter = lim
			}
		}
	}
	return g
}

func letter(score int) string {
	switch {
	case score >= 100:
		return "A+"
	case score >= 90:
		return "A"
	case score >= 80:
		return "B"
	case score >= 70:
		return "C"
	case score >= 60:
		return "D"
	}
	return "F"
}

// rank is a letter's position, 0 for A+; unknown letters rank last.
func rank(l string) int {
	if i := slices.Index(Letters, l); i >= 0 {
		return i
	}
	return len(Letters)
}

// AtLeast reports whether letter is as good as min or better (for
// --fail-under).
func AtLeast(letter, min string) bool { return rank(letter) <= rank(min) }

// Valid reports whether l is a letter.
func Valid(l string) bool { return slices.Contains(Letters, l) }
