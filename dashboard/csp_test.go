package dashboard

import (
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/cspsuggest"
	"github.com/portcullis/portcullis/store"
)

// cspSite is the configuration's side of the CSP page in these tests: the
// default policy, learning on one response in ten.
var cspSite = SiteCSP{Enforced: "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; report-uri /_portcullis/reports; report-to csp-endpoint",
	Learn: true, LearnSample: 0.1, Input: cspsuggest.Input{Self: []string{"https://app.test"}, FrameOptions: "DENY"}}

// cspReports are CSP reports of app: an image host and a script host it
// needs, a data: script no strict policy allows, an event handler.
func cspReports() []store.Aggregate {
	agg := func(dir, blocked, doc string, n uint64) store.Aggregate {
		return store.Aggregate{Site: "app", Type: "csp-violation", Directive: dir, Blocked: blocked, Document: doc, Count: n,
			First: now.Add(-3 * time.Hour), Last: now.Add(-5 * time.Minute), Disposition: "report"}
	}
	return []store.Aggregate{
		agg("img-src", "https://images.example", "/page", 3),
		agg("script-src-elem", "https://cdn.example/lib.js", "/checkout", 7),
		agg("script-src-elem", "data", "/evil", 2),
		agg("script-src-attr", "inline", "/form", 1),
		{Site: "app", Type: "deprecation", Count: 1, Last: now}, // not CSP: not used
	}
}

// TestCSPPage: the site's CSP page shows the current policy, its
// learning and csp.Judge's verdict, and beside it the suggestion from
// the site's CSP reports: each source with the reports behind it, the
// changes the app needs; never a source a strict policy refuses.
func TestCSPPage(t *testing.T) {
	tests := []struct {
		name    string
		reports []store.Aggregate
		want    []string // in the page, unescaped
		not     []string
	}{
		{"no reports", nil,
			[]string{"Nothing observed yet", cspSite.Enforced, "on 10% of HTML responses", "csp.unsafe-inline"},
			[]string{`id="policy"`, "To enforce it"}},
		{"reports", cspReports(),
			[]string{
				"default-src 'self'; script-src 'self' https://cdn.example; img-src 'self' https://images.example; object-src 'none'",
				"[site.policy.csp]", "From 13 CSP reports",
				"<code>https://images.example</code>", "3 reports, last 5 min ago, on <code>/page</code>",
				"<code>https://cdn.example</code>", "7 reports, last 5 min ago, on <code>/checkout</code>",
				"refused-source", "event-handler", "1 report, last 5 min ago, on <code>/form</code>",
				"csp.unsafe-inline", // the current policy's verdict
			},
			[]string{"Nothing observed yet", "<code>data:</code>", "'unsafe-inline';", "script-src 'self' data:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := seeded()
			f.reports, f.csp = tt.reports, &cspSite
			d := newTest(t, f, nil)
			resp, body := get(t, d, "GET", "/sites/app/csp")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Security-Policy") != Policy {
				t.Fatalf("%d, CSP %q:\n%s", resp.StatusCode, resp.Header.Get("Content-Security-Policy"), body)
			}
			if q, ok := f.last().(store.ReportQuery); !ok || q.Site != "app" || q.Type != "csp-violation" {
				t.Errorf("the reports asked for: %+v", f.last())
			}
			text := html.UnescapeString(body)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("the page lacks %q", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(text, n) {
					t.Errorf("the page has %q", n)
				}
			}
			if strings.Contains(body, "style=") || strings.Contains(body, "<script") {
				t.Error("inline style or script")
			}
			_, site := get(t, d, "GET", "/sites/app")
			if !strings.Contains(site, `href="/sites/app/csp"`) {
				t.Error("the site page does not link to its CSP page")
			}
		})
	}
}

// TestCSPPageAbsent: without Options.CSP there is no CSP page and no
// link to it; an unknown site has none either.
func TestCSPPageAbsent(t *testing.T) {
	d := newTest(t, seeded(), nil)
	for _, p := range []string{"/sites/app/csp", APIPrefix + "sites/app/csp"} {
		if resp, _ := get(t, d, "GET", p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s without Options.CSP: %d", p, resp.StatusCode)
		}
	}
	if _, site := get(t, d, "GET", "/sites/app"); strings.Contains(site, "/csp") {
		t.Error("the site page links to a CSP page that is not there")
	}
	f := seeded()
	f.csp = &cspSite
	d = newTest(t, f, nil)
	for _, p := range []string{"/sites/nope/csp", APIPrefix + "sites/nope/csp", "/sites/app/csp?x=1"} {
		if resp, _ := get(t, d, "GET", p); resp.StatusCode/100 != 4 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
}

// TestCSPAPI: GET /api/v1/sites/{site}/csp is the page as JSON: the
// current policy and its verdict, and the suggestion (null before any
// report) with every source's reasons, counts and times.
func TestCSPAPI(t *testing.T) {
	f := seeded()
	f.reports, f.csp = nil, &cspSite
	d := newTest(t, f, nil)
	resp, body := get(t, d, "GET", APIPrefix+"sites/app/csp")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" ||
		!strings.Contains(body, `"suggestion": null`) || !strings.Contains(body, `"weaknesses": [`) {
		t.Fatalf("no reports: %d\n%s", resp.StatusCode, body)
	}

	f.reports = cspReports()
	resp, body = get(t, d, "GET", APIPrefix+"sites/app/csp")
	var got CSPResponse
	if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %v\n%s", resp.StatusCode, err, body)
	}
	c := got.Current
	if got.Site != "app" || c.Enforced != cspSite.Enforced || !c.Learn || c.LearnSample != 0.1 || len(c.Weaknesses) == 0 {
		t.Errorf("current: %+v", got)
	}
	s := got.Suggestion
	if s == nil || s.Reports != 13 || len(s.Weaknesses) != 0 || strings.Contains(s.Policy, "data:") {
		t.Fatalf("suggestion: %+v", s)
	}
	var cdn *cspsuggest.Source
	for i := range s.Sources {
		if s.Sources[i].Source == "https://cdn.example" {
			cdn = &s.Sources[i]
		}
	}
	if cdn == nil || cdn.Directive != "script-src" || len(cdn.Why) != 1 || cdn.Why[0].Count != 7 ||
		cdn.Why[0].Page != "/checkout" || !cdn.Why[0].Last.Equal(now.Add(-5*time.Minute)) {
		t.Errorf("the script host's reasons: %+v", cdn)
	}
	kinds := map[string]bool{}
	for _, ch := range s.Changes {
		kinds[ch.Kind] = true
	}
	if !kinds[cspsuggest.ChangeRefusedSource] || !kinds[cspsuggest.ChangeEventHandler] {
		t.Errorf("changes: %+v", s.Changes)
	}
}
