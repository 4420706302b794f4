package reports

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/store"
)

const chromeUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"

// Bodies as browsers send them, written from the specifications: CSP3
// section 5.3 ("obtain the deprecated serialization of violation": the
// keys document-uri … column-number, numbers for status-code,
// line-number and column-number) and the Reporting API's
// application/reports+json (an array of {age, body, type, url,
// user_agent}; CSPViolationReportBody's camel-case fields, some of them
// null).
var cspReports = []struct {
	name string
	body string
	want store.Report
}{
	{
		"external script (Chromium)",
		`{"csp-report":{"document-uri":"https://example.com/login?next=%2Fadmin#top","referrer":"https://example.com/",` +
			`"violated-directive":"script-src-elem","effective-directive":"script-src-elem",` +
			`"original-policy":"script-src 'self'; object-src 'none'; report-uri /_portcullis/reports","disposition":"enforce",` +
			`"blocked-uri":"https://evil.example:8443/x.js?token=secret","status-code":200,"script-sample":""}}`,
		store.Report{Type: "csp-violation", Directive: "script-src-elem", Blocked: "https://evil.example:8443", Document: "/login", Disposition: "enforce"},
	},
	{
		"inline script with sample and position",
		`{"csp-report":{"document-uri":"https://example.com/search?q=%3Cscript%3E","referrer":"","violated-directive":"script-src-elem",` +
			`"effective-directive":"script-src-elem","original-policy":"script-src 'self' 'report-sample'","disposition":"report",` +
			`"blocked-uri":"inline","line-number":12,"column-number":5,"source-file":"https://example.com/search?q=x","status-code":200,` +
			`"script-sample":"alert(document.cookie)"}}`,
		store.Report{Type: "csp-violation", Directive: "script-src-elem", Blocked: "inline", Document: "/search", Disposition: "report",
			Sample: "alert(document.cookie)", Source: "https://example.com/search:12:5"},
	},
	{
		"eval",
		`{"csp-report":{"document-uri":"https://example.com/app","referrer":"","violated-directive":"script-src","effective-directive":"script-src",` +
			`"original-policy":"script-src 'self'","disposition":"enforce","blocked-uri":"eval","status-code":200,"script-sample":""}}`,
		store.Report{Type: "csp-violation", Directive: "script-src", Blocked: "eval", Document: "/app", Disposition: "enforce"},
	},
	{
		"data: image, default port, credentials (Firefox adds fields)",
		`{"csp-report":{"blocked-uri":"data","column-number":1,"disposition":"enforce","document-uri":"https://user:pw@Example.com:443/",` +
			`"effective-directive":"img-src","line-number":1,"original-policy":"img-src 'self'","referrer":"",` +
			`"source-file":"https://example.com/","status-code":0,"violated-directive":"img-src"}}`,
		store.Report{Type: "csp-violation", Directive: "img-src", Blocked: "data", Document: "/", Disposition: "enforce", Source: "https://example.com/:1:1"},
	},
	{
		"CSP2 browser: violated-directive with its value, no effective-directive",
		`{"csp-report":{"document-uri":"http://example.com/page","referrer":"","violated-directive":"style-src 'self' https://cdn.example",` +
			`"original-policy":"style-src 'self' https://cdn.example","blocked-uri":"https://fonts.example/css?family=x"}}`,
		store.Report{Type: "csp-violation", Directive: "style-src", Blocked: "https://fonts.example", Document: "/page"},
	},
	{
		"frame-ancestors, about:srcdoc document, unknown fields",
		`{"csp-report":{"document-uri":"about:srcdoc","effective-directive":"frame-src","blocked-uri":"https://[2001:DB8::1]:8080/f",` +
			`"disposition":"enforce","future-field":{"x":[1,2]}}}`,
		store.Report{Type: "csp-violation", Directive: "frame-src", Blocked: "https://[2001:db8::1]:8080", Document: "about:", Disposition: "enforce"},
	},
}

var apiReports = []struct {
	name string
	body string
	want []store.Report
}{
	{
		"csp-violation (Chromium, nulls)",
		`[{"age":420,"body":{"blockedURL":"https://evil.example/x.js","columnNumber":17,"disposition":"enforce",` +
			`"documentURL":"https://example.com/login?next=1","effectiveDirective":"script-src-elem","lineNumber":3,` +
			`"originalPolicy":"script-src 'self'; report-to csp-endpoint","referrer":"","sample":"","sourceFile":"https://example.com/app.js?v=3",` +
			`"statusCode":200},"type":"csp-violation","url":"https://example.com/login?next=1","user_agent":"` + chromeUA + `"},` +
			`{"age":10,"body":{"blockedURL":"inline","columnNumber":null,"disposition":"report","documentURL":"https://example.com/",` +
			`"effectiveDirective":"style-src-attr","lineNumber":null,"originalPolicy":"style-src 'self'","referrer":null,"sample":"color: red",` +
			`"sourceFile":null,"statusCode":200},"type":"csp-violation","url":"https://example.com/","user_agent":"` + chromeUA + `"}]`,
		[]store.Report{
			{Type: "csp-violation", Directive: "script-src-elem", Blocked: "https://evil.example", Document: "/login", Disposition: "enforce",
				Source: "https://example.com/app.js:3:17"},
			{Type: "csp-violation", Directive: "style-src-attr", Blocked: "inline", Document: "/", Disposition: "report", Sample: "color: red"},
		},
	},
	{
		"permissions-policy-violation",
		`[{"age":0,"body":{"columnNumber":1,"disposition":"enforce","featureId":"geolocation","lineNumber":8,` +
			`"message":"Permissions policy violation: geolocation is not allowed in this document.","sourceFile":"https://example.com/map.js"},` +
			`"type":"permissions-policy-violation","url":"https://example.com/map#here","user_agent":"` + chromeUA + `"}]`,
		[]store.Report{{Type: "permissions-policy-violation", Directive: "geolocation", Document: "/map", Disposition: "enforce",
			Sample: "Permissions policy violation: geolocation is not allowed in this document.", Source: "https://example.com/map.js:8:1"}},
	},
	{
		"deprecation and intervention",
		`[{"age":27,"body":{"anticipatedRemoval":null,"columnNumber":13,"id":"UnloadHandler","lineNumber":40,` +
			`"message":"Unload event listeners are deprecated and will be removed.","sourceFile":"https://example.com/legacy.js"},` +
			`"type":"deprecation","url":"https://example.com/old","user_agent":"` + chromeUA + `"},` +
			`{"age":3,"body":{"id":"HeavyAdIntervention","message":"Ad was removed","sourceFile":null,"lineNumber":null,"columnNumber":null},` +
			`"type":"intervention","url":"https://example.com/news","user_agent":"` + chromeUA + `"}]`,
		[]store.Report{
			{Type: "deprecation", Directive: "UnloadHandler", Document: "/old", Sample: "Unload event listeners are deprecated and will be removed.",
				Source: "https://example.com/legacy.js:40:13"},
			{Type: "intervention", Directive: "HeavyAdIntervention", Document: "/news", Sample: "Ad was removed"},
		},
	},
	{
		"coep",
		`[{"age":5,"body":{"blockedURL":"https://cdn.example/img.png?sig=abc","destination":"image","disposition":"reporting","type":"corp"},` +
			`"type":"coep","url":"https://example.com/gallery","user_agent":"` + chromeUA + `"}]`,
		[]store.Report{{Type: "coep", Directive: "corp", Blocked: "https://cdn.example", Document: "/gallery"}},
	},
	{
		"types portcullis does not know, kept by type",
		`[{"age":1,"body":{"reason":"oom","stack":[1,2]},"type":"crash","url":"https://example.com/heavy","user_agent":"` + chromeUA + `"},` +
			`{"age":1,"body":{"type":"tcp.timed_out","elapsed_time":9000,"phase":"connection"},"type":"network-error","url":"https://example.com/"},` +
			`{"type":"future-thing","url":"https://example.com/x?y","body":null}]`,
		[]store.Report{
			{Type: "crash", Directive: "oom", Document: "/heavy"},
			{Type: "network-error", Directive: "tcp.timed_out", Document: "/"},
			{Type: "future-thing", Document: "/x"},
		},
	},
}

func TestParseCSPReport(t *testing.T) {
	for _, tc := range cspReports {
		got, err := ParseCSPReport([]byte(tc.body))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
		// The same body by its media type.
		if rs, err := Parse(ContentTypeCSP, []byte(tc.body)); err != nil || len(rs) != 1 || rs[0] != tc.want {
			t.Errorf("%s: Parse(%s) = %+v, %v", tc.name, ContentTypeCSP, rs, err)
		}
		if rs, err := Parse("application/json; charset=utf-8", []byte(tc.body)); err != nil || len(rs) != 1 || rs[0] != tc.want {
			t.Errorf("%s: Parse(application/json) = %+v, %v", tc.name, rs, err)
		}
	}
}

func TestParseReports(t *testing.T) {
	for _, tc := range apiReports {
		got, err := Parse(ContentTypeReports, []byte(tc.body))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d reports, want %d: %+v", tc.name, len(got), len(tc.want), got)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s, report %d:\n got %+v\nwant %+v", tc.name, i+1, got[i], tc.want[i])
			}
		}
	}
}

// TestParseMalformed: junk, wrong shapes and wrong types are ErrMalformed,
// with a message that says what is wrong and does not echo the body.
func TestParseMalformed(t *testing.T) {
	doc := `"document-uri":"https://example.com/"`
	for _, tc := range []struct {
		ct, body, want string
	}{
		{ContentTypeCSP, `not json`, "invalid JSON"},
		{ContentTypeCSP, ``, "invalid JSON"},
		{ContentTypeCSP, `null`, `the one key "csp-report"`},
		{ContentTypeCSP, `[]`, "array, not an object"},
		{ContentTypeCSP, `{"csp-report":"x"}`, "not an object"},
		{ContentTypeCSP, `{"report":{` + doc + `}}`, `the one key "csp-report"`},
		{ContentTypeCSP, `{"csp-report":{` + doc + `,"effective-directive":"img-src"},"x":1}`, `the one key`},
		{ContentTypeCSP, `{"csp-report":{` + doc + `,"effective-directive":"img-src"}} trailing`, "invalid JSON"},
		{ContentTypeCSP, `{"csp-report":{"document-uri":5,"effective-directive":"img-src"}}`, "document-uri is number, not a string"},
		{ContentTypeCSP, `{"csp-report":{` + doc + `,"effective-directive":"img-src","line-number":"12"}}`, "line-number is string, not a number"},
		{ContentTypeCSP, `{"csp-report":{` + doc + `,"effective-directive":"script src"}}`, "not a directive name"},
		{ContentTypeCSP, `{"csp-report":{` + doc + `}}`, "not a directive name"},
		{ContentTypeCSP, `{"csp-report":{"effective-directive":"img-src"}}`, "not an absolute URL"},
		{ContentTypeCSP, `{"csp-report":{"document-uri":"/relative","effective-directive":"img-src"}}`, "not an absolute URL"},
		{ContentTypeReports, `{"type":"csp-violation"}`, "object, not an array"},
		{ContentTypeReports, `null`, "want an array"},
		{ContentTypeReports, `[]`, "no report"},
		{ContentTypeReports, `[1]`, "report 1: malformed report: not an object"},
		{ContentTypeReports, `[{"type":"CSP Violation","url":"https://a/"}]`, "not a report type"},
		{ContentTypeReports, `[{"url":"https://a/"}]`, "not a report type"},
		{ContentTypeReports, `[{"type":"deprecation","url":"https://a/","body":"x"}]`, "body is not an object"},
		{ContentTypeReports, `[{"type":"deprecation","url":"https://a/","age":"old"}]`, "age is string"},
		{ContentTypeReports, `[{"type":"csp-violation","url":"https://a/","body":{"effectiveDirective":7}}]`, "effectiveDirective is number"},
		{ContentTypeReports, `[{"type":"deprecation","url":"https://a/","body":{"lineNumber":"3"}}]`, "lineNumber is string"},
		{ContentTypeReports, `[{"type":"deprecation","body":{}}]`, "not an absolute URL"},
		{ContentTypeReports, `[{"type":"crash","url":"https://a/","body":[1]}]`, "body is not an object"},
		{ContentTypeReports, `[{"type":"csp-violation","url":"https://a/","body":{}}]`, "not a directive name"},
		{ContentTypeReports, "[" + strings.Repeat(`{"type":"crash","url":"https://a/"},`, MaxReports) + `{"type":"crash","url":"https://a/"}]`, "more than 100"},
		{"application/json", `"x"`, `string, not an object`},
	} {
		_, err := Parse(tc.ct, []byte(tc.body))
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%s, %.60s) = %v, want ErrMalformed saying %q", tc.ct, tc.body, err, tc.want)
		}
	}
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "", "application/csp-report; x"} {
		if _, err := Parse(ct, []byte(`{}`)); !errors.Is(err, ErrMediaType) {
			t.Errorf("Parse(%q) = %v, want ErrMediaType", ct, err)
		}
	}
}

// TestBlocked: what is kept of a blocked URL: never a path, query,
// fragment or credentials.
func TestBlocked(t *testing.T) {
	for in, want := range map[string]string{
		"":                                    "",
		"inline":                              "inline",
		"eval":                                "eval",
		"wasm-eval":                           "wasm-eval",
		"trusted-types-sink":                  "trusted-types-sink",
		"self":                                "self",
		"data":                                "data",
		"data:image/png;base64,iVBORw0KGgo=":  "data",
		"blob:https://example.com/9f3c":       "blob",
		"chrome-extension://abcdef/inject.js": "chrome-extension",
		"https://user:pw@evil.example/p?q#f":  "https://evil.example",
		"HTTPS://EVIL.EXAMPLE:443/":           "https://evil.example",
		"http://evil.example:80/":             "http://evil.example",
		"http://evil.example:443/":            "http://evil.example:443",
		"wss://push.example/socket":           "wss://push.example",
		"http://[2001:db8::1]:8080/x":         "http://[2001:db8::1]:8080",
		"https:":                              "https",
		"<script>alert(1)</script>":           "other",
		"/relative/path":                      "other",
		"1nvalid:scheme":                      "other",
		"INLINE":                              "inline",
	} {
		if got := blockedOf(in); got != want {
			t.Errorf("blockedOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestClipped: a long sample, path or source is clipped, never refused.
func TestClipped(t *testing.T) {
	long := strings.Repeat("a", 5000)
	body := fmt.Sprintf(`{"csp-report":{"document-uri":"https://example.com/%s","effective-directive":"script-src-elem",`+
		`"blocked-uri":"inline","script-sample":"%s","source-file":"https://example.com/%s","line-number":1e300}}`, long, long, long)
	r, err := ParseCSPReport([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Sample) != store.MaxSample || len(r.Document) != store.MaxDocument || len(r.Source) > store.MaxSource {
		t.Errorf("sample %d, document %d, source %d bytes: want clipped", len(r.Sample), len(r.Document), len(r.Source))
	}
}
