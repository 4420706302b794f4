package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/headers"
	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/store"
)

// pages are every page of the dashboard with the seeded data.
var pages = []string{
	"/",
	"/sites/app",
	"/sites/shop",
	"/sites/app/history",
	"/certificates",
	"/events",
	"/events?site=app&type=crossorigin.blocked&severity=medium&limit=50",
	"/events?type=cert.*",
	"/reports",
	"/reports?site=app&type=csp-violation&since=24h",
}

// TestPages: every page renders, with what it is about, and carries the
// headers that grade A+: audit/headers.Check finds nothing above info and
// csp.Judge no weakness; no page has a script, an inline style or an
// external resource.
func TestPages(t *testing.T) {
	d := newTest(t, seeded(), nil)
	want := map[string][]string{
		"/":                  {`href="/sites/app"`, "A&#43;", "2 to look at", "cross-origin request blocked", "/assets/style.css"},
		"/sites/app":         {`id="grade">A&#43;`, `href="/sites/app/review"`, `href="/sites/app/review.md"`, "hsts.no-preload", "app.test, www.app.test"},
		"/sites/shop":        {`id="noaudits"`, "shop.test", "renewal: <span class=\"renewal\">manual</span>"},
		"/sites/app/history": {"Grade <span class=\"badge g-b\">B</span> → <span class=\"badge g-aplus\">A&#43;</span>", "hsts.missing", "hsts.no-preload", "The oldest audit kept"},
		"/certificates":      {"5 days left", "renewal: <span class=\"renewal\">overdue</span>", "state-crit", "60 days left", "state-ok", "20 days left", "state-warn"},
		"/events":            {"cross-origin request blocked", "POST app.test/login", "&lt;b&gt;x&lt;/b&gt;", "(no site)", "class=\"bar h100\""},
		"/reports":           {"img-src", "https://images.example", ">3<"},
	}
	for _, p := range pages {
		resp, body := get(t, d, "GET", p)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d\n%s", p, resp.StatusCode, body)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", p, ct)
		}
		for _, w := range want[p] {
			if !strings.Contains(body, w) {
				t.Errorf("%s: no %q in\n%s", p, w, body)
			}
		}
		checkHeaders(t, p, resp.Header)
		checkInert(t, p, body)
	}
}

// checkHeaders fails unless h grades A+: no header finding above info
// (HSTS aside: it is judged on HTTPS responses, and the admin listener
// sends it there) and no CSP weakness.
func checkHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	for _, f := range headers.Check("https://127.0.0.1:9180/", h) {
		if f.Severity > rules.Info {
			t.Errorf("%s: %s (%s): %s", what, f.Rule, f.Severity, f.Message)
		}
	}
	ps, err := csp.ParseList(h.Get("Content-Security-Policy"))
	if err != nil {
		t.Fatalf("%s: CSP: %v", what, err)
	}
	if ws := csp.Judge(ps, nil); len(ws) > 0 {
		t.Errorf("%s: CSP weaknesses %v", what, ws)
	}
	for name, want := range map[string]string{
		"X-Frame-Options":              "DENY",
		"X-Content-Type-Options":       "nosniff",
		"Referrer-Policy":              "no-referrer",
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %s %q, want %q", what, name, got, want)
		}
	}
	if p := h.Get("Content-Security-Policy"); !strings.Contains(p, "frame-ancestors 'none'") || !strings.Contains(p, "default-src 'none'") {
		t.Errorf("%s: CSP %q", what, p)
	}
}

var (
	inlineStyle = regexp.MustCompile(`(?i)\sstyle\s*=|<style`)
	script      = regexp.MustCompile(`(?i)<script|\son[a-z]+\s*=|javascript:`)
	external    = regexp.MustCompile(`(?i)(src|href|action)\s*=\s*"(https?:)?//`)
)

// checkInert fails for a script, an inline style or a resource from
// elsewhere in a dashboard page.
func checkInert(t *testing.T, what, body string) {
	t.Helper()
	for name, re := range map[string]*regexp.Regexp{"an inline style": inlineStyle, "a script": script, "an external resource": external} {
		if m := re.FindString(body); m != "" {
			t.Errorf("%s has %s: %q", what, name, m)
		}
	}
}

// TestReview: the site's review is the report package's HTML page, whose
// CSP allows its one style block by hash and nothing else; the Markdown
// downloads as SECURITY_REVIEW.md; an older audit's review is reachable
// by its time; a site without audits has none.
func TestReview(t *testing.T) {
	d := newTest(t, seeded(), nil)
	resp, body := get(t, d, "GET", "/sites/app/review")
	if resp.StatusCode != 200 || !strings.Contains(body, "Security review: app.test:8443") || !strings.Contains(body, "hsts.no-preload") {
		t.Fatalf("review: %d\n%.500s", resp.StatusCode, body)
	}
	policy := resp.Header.Get("Content-Security-Policy")
	if !regexp.MustCompile(`^default-src 'none'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'; style-src 'sha256-[A-Za-z0-9+/]{43}='$`).MatchString(policy) {
		t.Errorf("review CSP %q", policy)
	}
	checkHeaders(t, "review", resp.Header)
	if strings.Contains(body, "<script") {
		t.Error("the review has a script")
	}

	resp, body = get(t, d, "GET", "/sites/app/review.md")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Disposition") != `attachment; filename="SECURITY_REVIEW.md"` ||
		resp.Header.Get("Content-Type") != "text/markdown; charset=utf-8" || !strings.HasPrefix(body, "# Security review") {
		t.Errorf("review.md: %d %v\n%.300s", resp.StatusCode, resp.Header, body)
	}

	at := now.Add(-25 * time.Hour).Format(time.RFC3339Nano)
	_, body = get(t, d, "GET", "/sites/app/review.md?at="+at)
	if !strings.Contains(body, "hsts.missing") {
		t.Errorf("the older audit's review has no hsts.missing:\n%.2000s", body)
	}
	for target, code := range map[string]int{
		"/sites/app/review?at=" + now.Format(time.RFC3339Nano): 404, // no audit at that time
		"/sites/shop/review":        404,
		"/sites/nope/review":        404,
		"/sites/app/review?at=soon": 400,
		"/sites/app/review?x=1":     400,
	} {
		if resp, body := get(t, d, "GET", target); resp.StatusCode != code {
			t.Errorf("%s: %d, want %d\n%.300s", target, resp.StatusCode, code, body)
		}
	}
}

// TestNoAudits: without an audit history the pages say so, and the API
// lists none.
func TestNoAudits(t *testing.T) {
	f := seeded()
	f.audits = nil
	d := newTest(t, f, nil)
	for p, want := range map[string]string{
		"/":                  "No audits yet: this server keeps no audit history",
		"/sites/app":         "No audits yet: this server keeps no audit history",
		"/sites/app/history": "No audits yet: this server keeps no audit history",
	} {
		if resp, body := get(t, d, "GET", p); resp.StatusCode != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d, no %q\n%s", p, resp.StatusCode, want, body)
		}
	}
	if _, body := get(t, d, "GET", "/api/v1/audits"); strings.TrimSpace(body) != `{
  "audits": []
}` {
		t.Errorf("audits: %s", body)
	}
}

// TestAPI: every endpoint answers JSON with stable field names, passes its
// filters to the store, and refuses bad parameters with 400 and a JSON
// error.
func TestAPI(t *testing.T) {
	f := seeded()
	d := newTest(t, f, nil)
	type query = any
	for _, tc := range []struct {
		target string
		query  query    // what the store was asked, nil: not checked
		fields []string // JSON the body contains
	}{
		{"/api/v1/events", store.Query{Limit: 100}, []string{`"type": "crossorigin.blocked"`, `"severity": "medium"`, `"client": "203.0.113.9"`, `"names": [`}},
		{"/api/v1/events?site=app&type=cert.*&severity=high&since=2026-03-01T00:00:00Z&until=24h&limit=7",
			store.Query{Site: "app", Type: "cert.", MinSeverity: events.High, Since: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Until: now.Add(-24 * time.Hour), Limit: 7},
			[]string{`"events": []`}},
		{"/api/v1/events?severity=warning", store.Query{MinSeverity: events.Medium, Limit: 100}, nil},
		{"/api/v1/reports?site=app&type=csp-violation&since=1h&limit=10000",
			store.ReportQuery{Site: "app", Type: "csp-violation", Since: now.Add(-time.Hour), Limit: 10000},
			[]string{`"directive": "img-src"`, `"blocked": "https://images.example"`, `"count": 3`, `"first": "2026-03-14T12:30:00Z"`, `"last": "2026-03-14T15:25:00Z"`}},
		{"/api/v1/audits", store.AuditQuery{Limit: 100}, []string{`"site": "app"`, `"grade": "A+"`, `"grade": "B"`, `"score": 100`, `"rule": "hsts.no-preload"`, `"target": "app.test:8443"`}},
		{"/api/v1/audits?site=shop&limit=2", store.AuditQuery{Site: "shop", Limit: 2}, []string{`"audits": []`}},
		{"/api/v1/certificates", nil, []string{`"names": [`, `"not_after": "2026-03-19T15:30:00Z"`, `"days_left": 5`, `"renewal": "overdue"`,
			`"renewal": "manual"`, `"renew_at": "2026-03-14T13:30:00Z"`, `"source": "files"`, `"key_type": "ECDSA P-256"`}},
		{"/api/v1/certificates?site=shop", nil, []string{`"site": "shop"`}},
	} {
		resp, body := get(t, d, "GET", tc.target)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s\n%s", tc.target, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			continue
		}
		if !json.Valid([]byte(body)) {
			t.Errorf("%s: not JSON: %s", tc.target, body)
		}
		for _, w := range tc.fields {
			if !strings.Contains(body, w) {
				t.Errorf("%s: no %s in\n%s", tc.target, w, body)
			}
		}
		if tc.query != nil && !reflect.DeepEqual(f.last(), tc.query) {
			t.Errorf("%s: store asked %+v, want %+v", tc.target, f.last(), tc.query)
		}
		checkHeaders(t, tc.target, resp.Header)
	}
	// The audits of "app" are newest first; certificates soonest to
	// expire first.
	var audits AuditsResponse
	_, body := get(t, d, "GET", "/api/v1/audits")
	if err := json.Unmarshal([]byte(body), &audits); err != nil || len(audits.Audits) != 2 ||
		!audits.Audits[0].Time.After(audits.Audits[1].Time) || len(audits.Audits[1].Findings) != 2 || audits.Audits[1].Findings[0].Rule != "hsts.missing" {
		t.Errorf("audits %+v %v", audits, err)
	}
	var cs CertificatesResponse
	_, body = get(t, d, "GET", "/api/v1/certificates")
	if err := json.Unmarshal([]byte(body), &cs); err != nil || len(cs.Certificates) != 3 || cs.Certificates[0].Site != "app" ||
		cs.Certificates[1].Names[0] != "old.shop.test" {
		t.Errorf("certificates %+v %v", cs, err)
	}

	for _, tc := range []struct {
		method, target string
		code           int
		msg            string
	}{
		{"GET", "/api/v1/events?limit=0", 400, `limit \"0\": a count from 1 to 10000`},
		{"GET", "/api/v1/events?limit=10001", 400, "a count from 1 to 10000"},
		{"GET", "/api/v1/events?limit=ten", 400, "limit"},
		{"GET", "/api/v1/events?severity=urgent", 400, "severity \\\"urgent\\\""},
		{"GET", "/api/v1/events?type=nope", 400, "type \\\"nope\\\""},
		{"GET", "/api/v1/events?type=nope.*", 400, "type"},
		{"GET", "/api/v1/events?since=yesterday", 400, "since \\\"yesterday\\\": an RFC 3339 time"},
		{"GET", "/api/v1/events?until=-1h", 400, "until"},
		{"GET", "/api/v1/events?sites=app", 400, "unknown parameter \\\"sites\\\""},
		{"GET", "/api/v1/events?site=a&site=b", 400, "given 2 times"},
		{"GET", "/api/v1/events?%zz", 400, "does not parse"},
		{"GET", "/api/v1/reports?severity=high", 400, "unknown parameter"},
		{"GET", "/api/v1/reports?type=" + strings.Repeat("x", 65), 400, "longer than 64 bytes"},
		{"GET", "/api/v1/audits?since=1d", 400, "since"},
		{"GET", "/api/v1/certificates?limit=3", 400, "unknown parameter"},
		{"GET", "/api/v1/certificates?site=" + strings.Repeat("s", 201), 400, "longer than 200 bytes"},
		{"GET", "/api/v1/nope", 404, "no such endpoint"},
		{"GET", "/api/v1/", 404, "no such endpoint"},
		{"POST", "/api/v1/events", 405, "read-only"},
		{"DELETE", "/api/v1/events", 405, ""}, // refused by the shield: not an allowed method
	} {
		resp, body := get(t, d, tc.method, tc.target)
		if resp.StatusCode != tc.code || !strings.Contains(body, tc.msg) {
			t.Errorf("%s %s: %d %s, want %d %q", tc.method, tc.target, resp.StatusCode, body, tc.code, tc.msg)
			continue
		}
		if tc.msg != "" {
			var e struct{ Error string }
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("%s %s: not a JSON error: %s", tc.method, tc.target, body)
			}
		}
	}

	// A store that fails: 500, with the cause in the log, not the answer.
	f.err = errors.New("bbolt: disk on fire")
	resp, body := get(t, d, "GET", "/api/v1/events")
	if resp.StatusCode != 500 || strings.Contains(body, "fire") || !strings.Contains(body, "could not be read") {
		t.Errorf("failing store: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, d, "GET", "/events")
	if resp.StatusCode != 500 || strings.Contains(body, "fire") {
		t.Errorf("failing store, page: %d %s", resp.StatusCode, body)
	}
}

// TestPageErrors: bad parameters and unknown pages are answered with a
// page saying why, under the same headers.
func TestPageErrors(t *testing.T) {
	d := newTest(t, seeded(), nil)
	for target, code := range map[string]int{
		"/events?severity=urgent": 400,
		"/events?limit=0":         400,
		"/events?colour=red":      400,
		"/reports?since=soon":     400,
		"/?x=1":                   400,
		"/sites/nope":             404,
		"/sites/nope/history":     404,
		"/nope":                   404,
		"/sites/app/audit":        404, // POST only
		"/assets/":                404, // no listing
	} {
		resp, body := get(t, d, "GET", target)
		if resp.StatusCode != code {
			t.Errorf("%s: %d, want %d\n%s", target, resp.StatusCode, code, body)
			continue
		}
		checkHeaders(t, target, resp.Header)
		if !strings.Contains(body, `id="error"`) {
			t.Errorf("%s: no error message\n%s", target, body)
		}
	}
	if resp, _ := get(t, d, "POST", "/sites/app/audit"); resp.StatusCode != 404 {
		t.Errorf("POST audit without AuditNow: %d", resp.StatusCode)
	}
}

// TestAssets: the stylesheet and the icon are served with a content type
// and may be cached; every width, height and offset class a template uses
// exists in the stylesheet.
func TestAssets(t *testing.T) {
	d := newTest(t, seeded(), nil)
	resp, css := get(t, d, "GET", "/assets/style.css")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || resp.Header.Get("Cache-Control") != "max-age=300" {
		t.Fatalf("style.css: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ := get(t, d, "GET", "/assets/icon.svg"); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("icon.svg: %d %v", resp.StatusCode, resp.Header)
	}
	for _, p := range []string{"w", "h", "l"} {
		for i := 0; i <= 100; i++ {
			if !strings.Contains(css, "."+p+strconv.Itoa(i)+"{") {
				t.Errorf("style.css has no .%s%d", p, i)
			}
		}
	}
	// Every class the templates name exists.
	tmpl, _ := fs.ReadFile(files, "templates/partials.html")
	for _, name := range []string{"trend", "tbar", "timeline", "elapsed", "renew", "chart", "bar", "col", "cert", "certs"} {
		if !strings.Contains(string(tmpl)+readAll(t, "events.html"), name) || !strings.Contains(css, "."+name) {
			t.Errorf("class %q: not in the templates or not in style.css", name)
		}
	}
}

func readAll(t *testing.T, name string) string {
	b, err := fs.ReadFile(files, "templates/"+name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAuditNow: the site page's button asks for an audit of that site
// and comes back saying so; a cross-origin POST never reaches it.
func TestAuditNow(t *testing.T) {
	var asked []string
	o := newTest(t, seeded(), nil).o
	o.AuditNow = func(_ context.Context, site string) error { asked = append(asked, site); return nil }
	d, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	_, body := get(t, d, "GET", "/sites/app")
	if !strings.Contains(body, `<form method="post" action="/sites/app/audit"><button type="submit" id="auditnow">`) {
		t.Errorf("no Audit now button:\n%s", body)
	}
	resp, _ := get(t, d, "POST", "/sites/app/audit", "Sec-Fetch-Site", "same-origin")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/sites/app?audit=asked" || len(asked) != 1 || asked[0] != "app" {
		t.Errorf("Audit now: %d %v, asked %v", resp.StatusCode, resp.Header, asked)
	}
	if _, body := get(t, d, "GET", "/sites/app?audit=asked"); !strings.Contains(body, `id="asked"`) {
		t.Error("no note that the audit was asked for")
	}
	for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
		if resp, _ := get(t, d, "POST", "/sites/app/audit", h...); resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-origin %v: %d", h, resp.StatusCode)
		}
	}
	if resp, _ := get(t, d, "POST", "/sites/nope/audit", "Sec-Fetch-Site", "same-origin"); resp.StatusCode != 404 {
		t.Errorf("unknown site: %d", resp.StatusCode)
	}
	if len(asked) != 1 {
		t.Errorf("audits asked for: %v", asked)
	}
}
