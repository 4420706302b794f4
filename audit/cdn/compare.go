package cdn

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/portcullis/portcullis/rules"
)

// Compared are the headers Compare looks at: the security headers. The
// Server header is left out: a CDN always replaces it.
var Compared = []string{
	"Strict-Transport-Security", "Content-Security-Policy", "Content-Security-Policy-Report-Only",
	"X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Permissions-Policy",
	"Cross-Origin-Opener-Policy", "Cross-Origin-Resource-Policy", "Cross-Origin-Embedder-Policy",
	"X-Xss-Protection",
}

// Diff is how one security header differs between the origin and the
// edge.
type Diff struct {
	Header string `json:"header"`
	Origin string `json:"origin,omitempty"` // "" when the origin does not send it
	Edge   string `json:"edge,omitempty"`   // "" when the edge does not send it
}

// Change says what the edge did: "dropped", "added" or "changed".
func (d Diff) Change() string {
	switch {
	case d.Edge == "":
		return "dropped"
	case d.Origin == "":
		return "added"
	}
	return "changed"
}

// nonce matches a CSP nonce source, which differs on every response.
var nonce = regexp.MustCompile(`'nonce-[^']*'`)

// value is a header's fields as one string, with CSP nonces blanked.
func value(h http.Header, name string) string {
	sep := ", "
	if strings.HasPrefix(name, "Content-Security-Policy") {
		sep = " | "
	}
	return nonce.ReplaceAllString(strings.Join(h.Values(name), sep), "'nonce-…'")
}

// Compare lists the security headers that differ between the origin's
// response and the edge's for the same page, and judges them
// (cdn.header-mismatch): a header the edge drops or rewrites is low (the
// origin's policy does not reach browsers as written; the header checks
// judge what does), one only the edge adds is informational (the origin
// reached directly lacks it). Findings' Target is target.
func Compare(target string, edge, origin http.Header) ([]Diff, []rules.Finding) {
	var diffs []Diff
	var out []rules.Finding
	for _, name := range Compared {
		e, o := value(edge, name), value(origin, name)
		if e == o {
			continue
		}
		d := Diff{Header: name, Origin: o, Edge: e}
		diffs = append(diffs, d)
		var msg string
		sev := rules.Low
		switch d.Change() {
		case "dropped":
			msg = fmt.Sprintf("the origin sends %s but the edge drops it", name)
		case "added":
			msg, sev = fmt.Sprintf("only the edge sends %s: the origin, reached directly, does not", name), rules.Info
		default:
			msg = fmt.Sprintf("the edge rewrites the origin's %s", name)
		}
		f := rules.NewFinding("cdn.header-mismatch", msg)
		f.Severity, f.Target = sev, target
		f.Evidence = rules.ClipEvidence(fmt.Sprintf("origin: %q; edge: %q", o, e))
		out = append(out, f)
	}
	return diffs, out
}
