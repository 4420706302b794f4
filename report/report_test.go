package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/rules"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

var goldenExt = map[string]string{"text": "txt", "json": "json", "markdown": "md", "html": "html", "junit": "xml", "sarif": "sarif"}

func render(t *testing.T, format string, reps []audit.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(format, &b, reps, testMeta); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			got := render(t, format, fixtures())
			path := filepath.Join("testdata", format+"."+goldenExt[format]+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./report/ -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s (run go test ./report/ -update and review the diff)", format, path)
			}
			// Deterministic: the same input renders the same bytes.
			if again := render(t, format, fixtures()); again != got {
				t.Errorf("%s: two renderings differ", format)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	t.Parallel()
	if got := Formats(); !slices.Equal(got, []string{"text", "json", "markdown", "html", "junit", "sarif"}) {
		t.Errorf("Formats() = %v", got)
	}
	for _, tc := range []struct {
		format, want string
	}{
		{"xml", `unknown format "xml"`},
		{"", `unknown format ""`},
		{"JSON", `unknown format "JSON"`},
	} {
		var b bytes.Buffer
		err := Write(tc.format, &b, fixtures(), testMeta)
		if err == nil || !strings.Contains(err.Error(), tc.want) || b.Len() != 0 {
			t.Errorf("Write(%q): %v, wrote %d bytes", tc.format, err, b.Len())
		}
	}
	// Every format renders nothing at all without failing.
	for _, format := range Formats() {
		var b bytes.Buffer
		if err := Write(format, &b, nil, testMeta); err != nil || b.Len() == 0 && format != "text" {
			t.Errorf("%s of no reports: %v, %q", format, err, b.String())
		}
	}
}

func TestInvalidSeverity(t *testing.T) {
	t.Parallel()
	r := weak()
	r.Findings[2].Severity = 7
	for _, format := range []string{"json", "markdown", "html", "junit", "sarif"} {
		err := Write(format, &bytes.Buffer{}, []audit.Report{hardened(), r}, testMeta)
		if err == nil || !strings.Contains(err.Error(), `target 2 ("weak.test"), finding 3 (cert.expired): invalid severity 7`) {
			t.Errorf("%s: %v", format, err)
		}
	}
	// Text prints what it is given.
	var b bytes.Buffer
	if err := Text(&b, []audit.Report{r}, testMeta); err != nil || !strings.Contains(b.String(), "[Severity(7)] cert.expired") {
		t.Errorf("text: %v\n%s", err, b.String())
	}
}

func TestMetaDefaults(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := JSON(&b, nil, Meta{}); err != nil {
		t.Fatal(err)
	}
	var d Document
	if err := json.Unmarshal(b.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if d.Tool != "portcullis" || d.Version != "dev" || d.Generated.IsZero() || d.Generated.Location().String() != "UTC" || d.Targets == nil {
		t.Errorf("defaults: %+v", d)
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	out := render(t, "text", fixtures())
	for _, want := range []string{
		"hardened.test  grade A+ (100/100)  in 1.234s\n",
		"down.test:8443  not audited  in 15ms\n",
		"  certificate: hardened.test,www.hardened.test, ECDSA P-256, CN=Test Root CA, 80 days left, trusted\n",
		"  capped by cert.expired: F\n",
		"  error: GET https://weak.test/.well-known/security.txt: timeout\n",
		`      evidence: sessionid=…; Path=/<script>alert(1)</script> | a|b ` + "``` `x` ]]> &amp; \\x1b[31mred\\r\\n# heading\\n- item\n",
		"      fix: Redirect every plain-HTTP request",
		// The recognised server's remedy follows the fix.
		"      fix: Add `Secure` to every cookie of an HTTPS site, in the application or by rewriting `Set-Cookie` at the proxy.\n      nginx: `proxy_cookie_flags ~ secure;` (nginx 1.19.3+)\n",
		"summary:\n",
		"  A+  100/100  hardened.test  no findings above info; checklist 10 verified, 0 failed, 0 not verified\n",
		"  F     0/100  weak.test  1 critical, 2 high, 3 medium, 3 low; checklist 2 verified, 7 failed, 1 not verified\n",
		"  -   not audited  down.test:8443  (2 errors); checklist 0 verified, 0 failed, 10 not verified\n",
		"  F    40/100  plain.test  1 critical, 1 high; checklist 0 verified, 2 failed, 8 not verified\n",
		// Each target: the checklist counts, and what was not verified, why.
		"weak.test  grade F (0/100)  in 2.5s\n  certificate: weak.test, RSA 2048, CN=<b>Evil</b> CA, -3 days left, NOT trusted\n" +
			"  server: nginx (the Server header: nginx/1.18.0 (Ubuntu))\n  checklist: 2 verified, 7 failed, 1 not verified\n" +
			"    not verified: A valid, current security.txt is published: not fetched: GET https://weak.test/.well-known/security.txt failed: timeout\n",
		"    not verified: HTTPS is enforced with a valid HSTS header (a year's max-age, subdomains included): not applicable: no HSTS for localhost",
		"    not verified: Cookies have the Secure flag, HttpOnly where they hold a session, and SameSite: nothing to judge: no fetched page set a cookie (/)\n",
		"  certificate: no subjectAltName (valid for no host name; browsers ignore the subject CN=localhost), RSA 2048,",
		"    not verified: The certificate is trusted, matches the host name, uses a strong key and is not about to expire: not fetched: the site is not served over HTTPS (tls.no-https)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsRune(out, 0x1b) {
		t.Error("text carries a raw escape character from the evidence")
	}
	// One target: no summary; an informational finding shows no fix.
	one := render(t, "text", []audit.Report{hardened()})
	if strings.Contains(one, "summary:") || strings.Contains(one, "fix:") {
		t.Errorf("one target:\n%s", one)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	out := render(t, "json", fixtures())
	var d Document
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatal(err)
	}
	if want := NewDocument(fixtures(), testMeta); !reflect.DeepEqual(d, want) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", d, want)
	}
	if d.Schema != "portcullis.audit/v1" || d.Version != "1.2.3" || len(d.Targets) != len(fixtures()) {
		t.Fatalf("document: %+v", d)
	}
	w := d.Targets[1]
	if w.Grade == nil || w.Grade.Letter != "F" || len(w.Findings) != 10 || w.Findings[3].Evidence != hostileEvidence || w.DurationMS != 2500 ||
		w.Certificate == nil || w.Certificate.DaysLeft != -3 || !w.Audited || w.Status != Partial {
		t.Errorf("weak target: %+v", w)
	}
	if f := w.Findings[1]; f.Title == "" || f.Category != rules.Redirect || f.Fix == "" || len(f.References) == 0 || f.Severity != rules.High {
		t.Errorf("catalog text missing: %+v", f)
	}
	if f := w.Findings[8]; f.Rule != "x.experimental" || f.Title != "" || f.References == nil {
		t.Errorf("unknown rule: %+v", f)
	}
	// The target nothing answered: not audited, and no grade at all
	// (its report carries the A+ that grading no findings gives).
	if dn := d.Targets[2]; dn.Audited || dn.Status != NotAudited || dn.Grade != nil || dn.Certificate != nil || len(dn.Errors) != 2 || dn.Findings == nil ||
		dn.ChecklistCounts != (Counts{NotVerified: 10}) {
		t.Errorf("down target: %+v", dn)
	}
	// Each checklist item: its state, with evidence, rules or a reason.
	item := func(tr TargetReport, c rules.Category) ChecklistItem {
		for _, it := range tr.Checklist {
			if it.Category == c {
				return it
			}
		}
		t.Fatalf("%s: no %s item", tr.Target, c)
		return ChecklistItem{}
	}
	for _, tc := range []struct {
		target int
		cat    rules.Category
		want   ChecklistItem
	}{
		{0, rules.SecurityTxt, ChecklistItem{State: Verified, Evidence: []string{"https://hardened.test/.well-known/security.txt → 200, text/plain; charset=utf-8",
			"Contact: mailto:security@hardened.test", "Expires: 2027-12-28T00:00:00Z"}, Rules: []string{}}},
		{1, rules.SecurityTxt, ChecklistItem{State: NotVerified, Reason: NotFetched, Detail: "GET https://weak.test/.well-known/security.txt failed: timeout", Evidence: []string{}, Rules: []string{}}},
		{1, rules.Cookies, ChecklistItem{State: Failed, Evidence: []string{"sessionid (set on /): Path=/", "csrftoken (set on /login): Path=/"}, Rules: []string{"cookie.secure-missing"}}},
		{3, rules.HSTS, ChecklistItem{State: NotVerified, Reason: NotApplicable, Evidence: []string{}, Rules: []string{},
			Detail: "no HSTS for localhost: right for a localhost name — Chromium ignores it there, but Firefox and Safari would pin every local app on localhost to HTTPS"}},
		{3, rules.Cookies, ChecklistItem{State: NotVerified, Reason: NothingToJudge, Detail: "no fetched page set a cookie (/)", Evidence: []string{}, Rules: []string{}}},
		{3, rules.Content, ChecklistItem{State: NotVerified, Reason: NothingToJudge, Detail: "no fetched page is HTML (/: application/json)", Evidence: []string{}, Rules: []string{}}},
		{4, rules.TLS, ChecklistItem{State: Failed, Evidence: []string{}, Rules: []string{"tls.no-https"}}},
		{4, rules.Certificate, ChecklistItem{State: NotVerified, Reason: NotFetched, Detail: "the site is not served over HTTPS (tls.no-https)", Evidence: []string{}, Rules: []string{}}},
	} {
		got := item(d.Targets[tc.target], tc.cat)
		tc.want.Category, tc.want.Item = tc.cat, checkText(tc.cat)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s, %s:\n got %+v\nwant %+v", d.Targets[tc.target].Target, tc.cat, got, tc.want)
		}
	}
	if p := d.Targets[4]; p.Grade == nil || p.Grade.Letter != "F" || !p.Audited || p.Status != Complete || p.ChecklistCounts != (Counts{Failed: 2, NotVerified: 8}) {
		t.Errorf("HTTP-only target: %+v", p)
	}
	// Arrays are never null; only certificate and grade may be.
	var raw struct {
		Targets []map[string]json.RawMessage `json:"targets"`
	}
	json.Unmarshal([]byte(out), &raw)
	for i, tgt := range raw.Targets {
		for k, v := range tgt {
			if string(v) == "null" && k != "certificate" && k != "grade" {
				t.Errorf("target %d: %s is null", i, k)
			}
		}
	}
	if string(raw.Targets[2]["grade"]) != "null" || string(raw.Targets[2]["status"]) != `"not-audited"` {
		t.Errorf("down target: grade %s, status %s", raw.Targets[2]["grade"], raw.Targets[2]["status"])
	}
	if strings.Contains(out, "<script>") {
		t.Error("JSON carries a raw <script> (the encoder should escape < for HTML safety)")
	}
}

func TestHTMLEscapes(t *testing.T) {
	t.Parallel()
	out := render(t, "html", fixtures())
	for _, bad := range []string{"<script", "<img", "<b>", "<link", "<iframe", "<object", "<embed", "<base", "@import"} {
		if strings.Contains(strings.ToLower(out), bad) {
			t.Errorf("HTML contains %q", bad)
		}
	}
	for _, want := range []string{
		`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		`\x1b[31mred\r\n# heading\n- item`,
		`<span class="badge g-aplus">A&#43;</span>`,
		`<span class="badge g-f">F</span>`,
		`<span class="badge g-none">not audited</span>`,
		`<li class="ok">HTTP requests are redirected to HTTPS — verified</li>`,
		`<li class="fail">HTTP requests are redirected to HTTPS — <strong>failed</strong>`,
		`<li class="unverified">A valid, current security.txt is published — <strong>not verified</strong>, not fetched: GET https://weak.test/.well-known/security.txt failed: timeout</li>`,
		`<li><strong>Checklist:</strong> 2 verified, 7 failed, 1 not verified</li>`,
		`<td>0 verified, 0 failed, 10 not verified</td>`,
		"<code>max-age</code>",
		`<a href="https://`,
		"Generated by portcullis 1.2.3 on 2026-11-23T10:00:00Z.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// Links go only to the catalog's https references.
	for _, part := range strings.Split(out, `href="`)[1:] {
		u, err := url.Parse(part[:strings.IndexByte(part, '"')])
		if err != nil || u.Scheme != "https" {
			t.Errorf("link %q", part[:strings.IndexByte(part, '"')])
		}
	}
	// The down target is not shown with the A+ its empty grade computes.
	down := render(t, "html", []audit.Report{down()})
	if strings.Contains(down, ">A+<") || !strings.Contains(down, "None verified") {
		t.Errorf("down target:\n%s", down)
	}
}

// unescapedPipes counts the "|" not escaped by a backslash.
func unescapedPipes(line string) int {
	n, bs := 0, 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			bs++
			continue
		case '|':
			if bs%2 == 0 {
				n++
			}
		}
		bs = 0
	}
	return n
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	out := render(t, "markdown", fixtures())
	for _, want := range []string{
		"# Security review: 5 targets\n",
		"| hardened.test | A+ | 100 | 10 verified, 0 failed, 0 not verified | 0 | 0 | 0 | 0 | 2 |\n",
		"| weak.test | F | 0 | 2 verified, 7 failed, 1 not verified | 1 | 2 | 3 | 3 | 1 |\n",
		"| down.test:8443 | not audited | - | 0 verified, 0 failed, 10 not verified | 0 | 0 | 0 | 0 | 0 |\n",
		"| plain.test | F | 40 | 0 verified, 2 failed, 8 not verified | 1 | 1 | 0 | 0 | 0 |\n",
		"- **Checklist:** 2 verified, 7 failed, 1 not verified\n",
		"- [x] HTTP requests are redirected to HTTPS — verified\n",
		"- [ ] HTTP requests are redirected to HTTPS — **failed**\n  - **high** `redirect.missing`: http://weak.test/ answers 200 without redirecting\n",
		"- [x] A valid, current security.txt is published — verified\n",
		"- [ ] A valid, current security.txt is published — **not verified**, not fetched: GET https://weak.test/.well-known/security.txt failed: timeout\n",
		"- [ ] Cookies have the Secure flag, HttpOnly where they hold a session, and SameSite — **not verified**, nothing to judge: no fetched page set a cookie (/)\n",
		"- [ ] HTTPS is enforced with a valid HSTS header (a year's max-age, subdomains included) — **not verified**, not applicable: no HSTS for localhost",
		"- `Origin: https://portcullis-audit.invalid → no Access-Control-Allow-Origin`\n",
		"- `https://hardened.test/.well-known/security.txt → 200, text/plain; charset=utf-8`\n",
		"#### Redirects\n\n**HTTP requests are redirected to HTTPS.** Visitors",
		"- `redirect.missing`: Plain HTTP is served without redirecting to HTTPS\n",
		"Noted (informational):\n\n- `header.corp-missing`: Cross-Origin-Resource-Policy is not set\n",
		"#### Critical\n\n##### `cors.origin-reflected` — ",
		"  - evidence: ````sessionid=…; Path=/<script>alert(1)</script> | a|b ``` `x` ]]> &amp; \\x1b[31mred\\r\\n# heading\\n- item````\n",
		"- X-Content-Type-Options: nosniff is not set \\| \\<img src=x onerror=alert(1)\\> (at https://weak.test/a\\|b)\n",
		"##### `x.experimental`\n\n- a rule from a newer catalog\n",
		"**References:** <https://",
		"1. **Critical:** ",
		"- GET https://down.test:8443/: dial tcp 127.0.0.1:8443: connect: connection refused\n",
		"_Not verified: the target could not be audited (see Errors)._\n",
		"_Generated by portcullis 1.2.3 on 2026-11-23T10:00:00Z._\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	// The hardened target implements all ten evaluated areas.
	h := newReview(hardened(), testMeta.withDefaults())
	if len(h.Measures) != 10 || len(h.Checklist) != 10 || len(h.Recs) != 0 {
		t.Errorf("hardened: %d measures, %d checklist items, %d recommendations", len(h.Measures), len(h.Checklist), len(h.Recs))
	}
	for _, m := range h.Measures {
		for _, r := range m.Passed {
			if notLive[r.ID] || r.Severity == rules.Info {
				t.Errorf("passed rule %s is not a live check", r.ID)
			}
		}
	}
	// The weak one: redirect, HSTS, cookies, headers, CSP, CORS and the
	// certificate failed; TLS and content hold; security.txt timed out,
	// so it is neither a measure nor a pass.
	wv := newReview(weak(), testMeta.withDefaults())
	if len(wv.Measures) != 2 || wv.Measures[0].Category != rules.TLS || wv.Measures[1].Category != rules.Content ||
		wv.Checked != (Counts{Verified: 2, Failed: 7, NotVerified: 1}) {
		t.Errorf("weak measures: %+v, checklist %v", wv.Measures, wv.Checked)
	}
	// Nothing verified: not the HTTP-only site's, not the unreachable one's.
	for _, r := range []audit.Report{plain(), down()} {
		if v := newReview(r, testMeta.withDefaults()); len(v.Measures) != 0 {
			t.Errorf("%s: measures %+v", r.Target, v.Measures)
		}
	}
	// Recommendations: distinct fixes, worst first.
	var sevs []rules.Severity
	for _, r := range wv.Recs {
		sevs = append(sevs, r.Severity)
	}
	if len(wv.Recs) != 5 || !slices.IsSortedFunc(sevs, func(a, b rules.Severity) int { return int(b) - int(a) }) {
		t.Errorf("recommendations: %+v", wv.Recs)
	}
}

// TestMarkdownStructure: hostile text in the target, messages, evidence
// and errors changes neither the lines nor the table cells.
func TestMarkdownStructure(t *testing.T) {
	t.Parallel()
	for _, hostile := range []string{
		"evil|host", "a\nb\n\n# Grade A+", "| x | y |\n|---|", "<script>alert(1)</script>", "`` ` ``", "1. list", "- item", "\\|", "]]>",
	} {
		bad, good := weak(), weak()
		bad.Target, good.Target = hostile, "x"
		bad.Errors, good.Errors = []string{hostile}, []string{"x"}
		bad.Observed.Headers["Server"], good.Observed.Headers["Server"] = "nginx/"+hostile, "nginx/x"
		bad.Cert.Issuer, good.Cert.Issuer = hostile, "x"
		for i := range bad.Findings {
			bad.Findings[i].Message, good.Findings[i].Message = hostile, "x"
			bad.Findings[i].Evidence, good.Findings[i].Evidence = hostile, "x"
		}
		compareMarkdown(t, hostile, render(t, "markdown", []audit.Report{bad}), render(t, "markdown", []audit.Report{good}))
	}
}

// compareMarkdown checks that a and b have the same lines and the same
// table cells.
func compareMarkdown(t *testing.T, input, a, b string) {
	t.Helper()
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(la) != len(lb) {
		t.Fatalf("%q: %d lines, want %d\n%s", input, len(la), len(lb), a)
	}
	for i := range la {
		if strings.HasPrefix(lb[i], "|") && unescapedPipes(la[i]) != unescapedPipes(lb[i]) {
			t.Errorf("%q: table row %q has %d cells separators, want %d", input, la[i], unescapedPipes(la[i]), unescapedPipes(lb[i]))
		}
		// Block structure: each line starts the same way.
		if prefix(la[i]) != prefix(lb[i]) {
			t.Errorf("%q: line %q starts differently from %q", input, la[i], lb[i])
		}
	}
}

// prefix is the Markdown block marker a line starts with.
func prefix(line string) string {
	for _, p := range []string{"#####", "####", "###", "##", "#", "  - ", "- [x]", "- [ ]", "- ", "|", "---", "_", "**", "1. "} {
		if strings.HasPrefix(line, p) {
			return p
		}
	}
	return ""
}

func TestMdText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"a|b", `a\|b`},
		{"<script>", `\<script\>`},
		{"*em* _u_ `c` [l](u) ![i](u)", "\\*em\\* \\_u\\_ \\`c\\` \\[l\\](u) \\!\\[i\\](u)"},
		{"# h", `\# h`},
		{"- item", `\- item`},
		{"+ item", `\+ item`},
		{"= x", `\= x`},
		{"12. ordered", `12\. ordered`},
		{"3) ordered", `3\) ordered`},
		{"1.5 ms", `1.5 ms`},
		{"max-age=300", "max-age=300"},
		{"a\nb", `a\\nb`},
		{"\x1b[31m", `\\x1b\[31m`},
		{"  padded  ", "padded"},
		{"&amp; ~~s~~ $x$", `\&amp; \~\~s\~\~ \$x\$`},
		{`back\slash`, `back\\slash`},
		{"\xff", "\uFFFD"},
		{"\u202eevil", `\\u202eevil`},
		{"", ""},
	} {
		if got := mdText(tc.in); got != tc.want {
			t.Errorf("mdText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMdCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"max-age=300", "`max-age=300`"},
		{"a`b", "``a`b``"},
		{"``x```", "```` ``x``` ````"},
		{"`start", "`` `start ``"},
		{" both ", "`  both  `"},
		{" left", "` left`"},
		{"   ", "`   `"},
		{"a\nb|c<d>", "`a\\nb|c<d>`"},
		{"", ""},
	} {
		if got := mdCode(tc.in); got != tc.want {
			t.Errorf("mdCode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestVisible(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"tab\there", `tab\there`},
		{"cr\rlf\n", `cr\rlf\n`},
		{"\x00\x7f", `\x00\x7f`},
		{"\u0085", `\u0085`},
		{"\u2028\u2066", `\u2028\u2066`},
		{"é ü 漢字", "é ü 漢字"},
		{"bad\xc3", "bad\uFFFD"},
	} {
		if got := visible(tc.in); got != tc.want {
			t.Errorf("visible(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// junitDoc decodes JUnit output.
func junitDoc(t testing.TB, out string) junitSuites {
	t.Helper()
	var d junitSuites
	if err := xml.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("JUnit is not well-formed XML: %v\n%s", err, out)
	}
	return d
}

func TestJUnit(t *testing.T) {
	t.Parallel()
	d := junitDoc(t, render(t, "junit", fixtures()))
	// The evaluated rules: the catalog's rules of the default categories
	// but the key-file check.
	live := 0
	for _, r := range rules.All() {
		if slices.Contains(DefaultCategories(), r.Category) && !notLive[r.ID] {
			live++
		}
	}
	secTxt := 0
	for _, r := range rules.All() {
		if r.Category == rules.SecurityTxt {
			secTxt++
		}
	}
	want := []struct {
		name                              string
		tests, failures, errors_, skipped int // skipped -1: not counted here
	}{
		{"hardened.test", live, 0, 0, 0},
		// weak: + x.experimental; failures: cors, redirect, cert, cookie,
		// csp, hsts max-age, nosniff, x.experimental (hsts.no-preload is
		// info); + one probe error; security.txt timed out and CAA was
		// not looked up: their rules are skipped.
		{"weak.test", live + 1 + 1, 8, 1, secTxt + len(ruleEvidence)},
		// down: every rule skipped, and the two probe errors.
		{"down.test:8443", live + 2, 0, 2, live},
		{"localhost:8443", live, 2, 0, -1},
		{"plain.test", live, 2, 0, -1},
	}
	if len(d.Suites) != len(want) {
		t.Fatalf("%d suites", len(d.Suites))
	}
	tests, failures, errs, skipped := 0, 0, 0, 0
	for i, w := range want {
		s := d.Suites[i]
		nf, ne, ns := 0, 0, 0
		for _, c := range s.Cases {
			if c.Failure != nil {
				nf++
			}
			if c.Error != nil {
				ne++
			}
			if c.Skipped != nil {
				ns++
				if c.Failure != nil || c.Error != nil || !strings.HasPrefix(c.Skipped.Message, "not verified: ") {
					t.Errorf("%s: skipped case %+v", s.Name, c)
				}
			}
		}
		if s.Name != w.name || s.Tests != w.tests || s.Failures != w.failures || s.Errors != w.errors_ || (w.skipped >= 0 && s.Skipped != w.skipped) ||
			len(s.Cases) != s.Tests || nf != s.Failures || ne != s.Errors || ns != s.Skipped {
			t.Errorf("suite %d: %s tests=%d failures=%d errors=%d skipped=%d (cases %d, failures %d, errors %d, skipped %d), want %+v",
				i, s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), nf, ne, ns, w)
		}
		tests, failures, errs, skipped = tests+s.Tests, failures+s.Failures, errs+s.Errors, skipped+s.Skipped
	}
	if d.Tests != tests || d.Failures != failures || d.Errors != errs || d.Skipped != skipped {
		t.Errorf("totals %d/%d/%d/%d, want %d/%d/%d/%d", d.Tests, d.Failures, d.Errors, d.Skipped, tests, failures, errs, skipped)
	}
	// Properties: the status, the grade only when audited, the checklist.
	props := func(s junitSuite) map[string]string {
		m := map[string]string{}
		for _, p := range s.Properties {
			m[p.Name] = p.Value
		}
		return m
	}
	if p := props(d.Suites[1]); p["status"] != "partial" || p["grade"] != "F" || p["checklist"] != "2 verified, 7 failed, 1 not verified" {
		t.Errorf("weak properties %v", p)
	}
	if p := props(d.Suites[2]); p["status"] != "not-audited" || p["grade"] != "" || p["score"] != "" || p["checklist"] != "0 verified, 0 failed, 10 not verified" {
		t.Errorf("down properties %v", p)
	}
	// Why a rule was skipped.
	skip := func(suite int, rule string) string {
		for _, c := range d.Suites[suite].Cases {
			if c.Name == rule {
				if c.Skipped == nil {
					return ""
				}
				return c.Skipped.Message
			}
		}
		return "no such case"
	}
	for _, tc := range []struct {
		suite      int
		rule, want string
	}{
		{1, "securitytxt.expired", "not verified: not fetched: GET https://weak.test/.well-known/security.txt failed: timeout"},
		{1, "cert.caa-missing", "not verified: not fetched: the CAA records were not looked up"},
		{1, "cert.expiring", ""}, // the certificate was read: passed
		{3, "hsts.max-age-short", "not verified: not applicable: no HSTS for localhost: right for a localhost name"},
		{3, "hsts.local-host", ""}, // its informational finding is the evidence
		{3, "cookie.secure-missing", "not verified: nothing to judge: no fetched page set a cookie (/)"},
		{3, "redirect.http-form-action", "not verified: nothing to judge: no fetched page is HTML (/: application/json)"},
		{3, "tls.no-tls13", "not verified: not fetched: the TLS enumeration did not run"},
		{3, "securitytxt.missing", ""},
		{4, "cert.expired", "not verified: not fetched: the site is not served over HTTPS (tls.no-https)"},
		{4, "redirect.not-permanent", ""}, // the plain-HTTP answer was observed
		{2, "redirect.missing", "not verified: not fetched: the target could not be audited (see errors)"},
	} {
		if got := skip(tc.suite, tc.rule); (tc.want == "" && got != "") || !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s %s: skipped %q, want %q", d.Suites[tc.suite].Name, tc.rule, got, tc.want)
		}
	}
	// The failure of the cookie rule: first message, worst severity, both
	// findings and the hostile evidence intact in the text.
	for _, c := range d.Suites[1].Cases {
		switch c.Name {
		case "cookie.secure-missing":
			if c.Failure == nil || c.Failure.Type != "medium" || c.Failure.Message != "cookie sessionid is set without Secure" ||
				!strings.Contains(c.Failure.Text, "cookie csrftoken") || !strings.Contains(c.Failure.Text, "</script> | a|b ``` `x` ]]> &amp; \\x1b[31mred\\r\\n# heading\\n- item\n") {
				t.Errorf("cookie case: %+v", c.Failure)
			}
		case "cors.origin-reflected":
			if c.Failure == nil || c.Failure.Type != "critical" || c.Classname != "portcullis.cors" {
				t.Errorf("cors case: %+v", c)
			}
		case "hsts.no-preload":
			if c.Failure != nil || !strings.Contains(c.SystemOut, "the preload directive is absent") {
				t.Errorf("informational case: %+v", c)
			}
		}
	}
}

func TestXMLSafe(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"ok\t\n\r", "ok\t\n\r"},
		{"\x00\x1b\x7f", "\uFFFD\uFFFD\x7f"},
		{"\uFFFE\xff", "\uFFFD\uFFFD"},
		{"𝄞", "𝄞"},
	} {
		if got := xmlSafe(tc.in); got != tc.want {
			t.Errorf("xmlSafe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSARIF(t *testing.T) {
	t.Parallel()
	out := render(t, "sarif", fixtures())
	var log sarifLog
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || log.Schema != sarifSchema || len(log.Runs) != 1 {
		t.Fatalf("log: %+v", log)
	}
	run := log.Runs[0]
	d := run.Tool.Driver
	if d.Name != "portcullis" || d.Version != "1.2.3" || d.InformationURI != InformationURI {
		t.Errorf("driver: %+v", d)
	}
	total := 0
	ids := map[string]bool{}
	for _, r := range fixtures() {
		total += len(r.Findings)
		for _, f := range r.Findings {
			ids[f.Rule] = true
		}
	}
	if len(run.Results) != total || len(d.Rules) != len(ids) {
		t.Errorf("%d results, %d rules; want %d, %d", len(run.Results), len(d.Rules), total, len(ids))
	}
	seen := map[string]bool{}
	for _, r := range d.Rules {
		if seen[r.ID] || !ids[r.ID] || r.ShortDescription.Text == "" {
			t.Errorf("rule %+v", r)
		}
		seen[r.ID] = true
		if cat, ok := rules.Get(r.ID); ok {
			if u, err := url.Parse(r.HelpURI); err != nil || u.Scheme != "https" || r.Help == nil || r.Help.Text != cat.Fix ||
				r.FullDescription == nil || r.Name == "" || r.DefaultConfiguration.Level != sarifLevel(cat.Severity) {
				t.Errorf("catalog rule %+v", r)
			}
		}
	}
	levels := map[rules.Severity]string{rules.Critical: "error", rules.High: "error", rules.Medium: "warning", rules.Low: "note", rules.Info: "note"}
	i := 0
	for _, rep := range fixtures() {
		for _, f := range rep.Findings {
			res := run.Results[i]
			i++
			if res.RuleID != f.Rule || d.Rules[res.RuleIndex].ID != f.Rule || res.Level != levels[f.Severity] ||
				res.Message.Text != f.Message || len(res.Locations) != 1 {
				t.Errorf("result %d: %+v for %+v", i, res, f)
				continue
			}
			uri := res.Locations[0].PhysicalLocation.ArtifactLocation.URI
			if u, err := url.Parse(uri); err != nil || u.Scheme == "" {
				t.Errorf("result %d: uri %q", i, uri)
			}
		}
	}
	// Notifications: each probe error; each item not verified of an
	// audited target, with its reason; each target not audited.
	wantNotes := 0
	for _, r := range fixtures() {
		wantNotes += len(r.Errors)
		if !Audited(r) {
			wantNotes++
			continue
		}
		wantNotes += countStates(checklist(r, DefaultCategories())).NotVerified
	}
	inv := run.Invocations[0]
	if inv.ExecutionSuccessful || len(inv.Notifications) != wantNotes {
		t.Errorf("invocation: %d notifications, want %d: %+v", len(inv.Notifications), wantNotes, inv)
	}
	if n := inv.Notifications[1]; n.Level != "note" || n.Properties == nil || n.Properties.Reason != NotFetched || n.Properties.Category != rules.SecurityTxt ||
		n.Message.Text != "weak.test: not verified: A valid, current security.txt is published: not fetched: GET https://weak.test/.well-known/security.txt failed: timeout" {
		t.Errorf("not-verified notification: %+v", n)
	}
	// The run's properties: status, grade (none when not audited), counts.
	if ts := run.Properties.Targets; len(ts) != len(fixtures()) || ts[2].Status != NotAudited || ts[2].Grade != "" || ts[2].Score != nil ||
		ts[1].Status != Partial || ts[1].Grade != "F" || ts[1].ChecklistCounts != (Counts{Verified: 2, Failed: 7, NotVerified: 1}) {
		t.Errorf("run properties: %+v", run.Properties)
	}
	if got := run.Results[4].Locations[0].PhysicalLocation.ArtifactLocation.URI; got != "https://weak.test" {
		t.Errorf("finding without a target: uri %q", got)
	}
}

func TestArtifactURI(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ finding, target, want string }{
		{"https://a.test/login", "a.test", "https://a.test/login"},
		{"", "a.test:8443", "https://a.test:8443"},
		{"http://a.test/", "a.test", "http://a.test/"},
		{"/a b", "", "%2Fa%20b"},
		{"a test", "", "a%20test"},
		{"", "", ""},
	} {
		if got := artifactURI(tc.finding, tc.target); got != tc.want {
			t.Errorf("artifactURI(%q, %q) = %q, want %q", tc.finding, tc.target, got, tc.want)
		}
	}
}

func TestPascal(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"hsts.max-age-short": "HstsMaxAgeShort", "x": "X", "": "", "a..b": "AB"} {
		if got := pascal(in); got != want {
			t.Errorf("pascal(%q) = %q", in, got)
		}
	}
}

func TestEvaluatedCategories(t *testing.T) {
	t.Parallel()
	// A caller evaluating TLS too gets its rules as testcases and a TLS
	// measure.
	m := testMeta
	m.Categories = append(DefaultCategories(), rules.TLS)
	d := junitDoc(t, func() string {
		var b bytes.Buffer
		if err := JUnit(&b, []audit.Report{hardened()}, m); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}())
	if !slices.ContainsFunc(d.Suites[0].Cases, func(c junitCase) bool { return c.Name == "tls.weak-cipher" }) {
		t.Error("TLS rules not evaluated")
	}
	// Without it, a TLS failure still shows in the checklist, unticked.
	r := hardened()
	r.Findings = append(r.Findings, finding("tls.legacy-protocol", "TLS 1.0 is offered", "", ""))
	v := newReview(r, testMeta.withDefaults())
	if i := slices.IndexFunc(v.Checklist, func(c checkItem) bool { return strings.Contains(c.Text, "TLS") }); i < 0 || v.Checklist[i].State != Failed {
		t.Errorf("TLS failure in checklist: %+v", v.Checklist)
	}
}
