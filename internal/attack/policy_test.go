package attack

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/e2e"
	"github.com/portcullis/portcullis/internal/testutil"
)

// The new request and response rules of issue 11: upgrades, underscore
// headers, path confusion against exempt and bypass patterns, methods,
// version headers, cookies the upstream got wrong, malformed chunks.

var (
	h2cUpgrade = []string{"Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA"}
	wsUpgrade  = []string{"Connection: Upgrade", "Upgrade: websocket",
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"}
)

// get is a GET of path on app.test with the extra header lines.
func get(path string, extra ...string) string {
	return req(append([]string{"GET " + path + " HTTP/1.1", host}, extra...)...)
}

// upgradeRows: h2c is stripped and the request proceeds as an ordinary
// one; websocket passes; any other upgrade is refused.
func upgradeRows(e *env) []h1Row {
	stripped := one(line("GET /up HTTP/1.1"), none("Upgrade", "HTTP2-Settings"), hdr("Connection"))
	return []h1Row{
		{name: "h2c is stripped",
			send: get("/up", h2cUpgrade...), want: []int{200}, after: open, upstream: stripped},
		{name: "H2C in capitals is stripped",
			send: get("/up", "Connection: Upgrade, HTTP2-Settings", "Upgrade: H2C", "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA"),
			want: []int{200}, after: open, upstream: stripped},
		{name: "h2c without Connection is stripped",
			send: get("/up", "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA"),
			want: []int{200}, after: open, upstream: stripped},
		{name: "websocket passes",
			send: get("/up", wsUpgrade...), want: []int{101}, after: open,
			upstream: one(line("GET /up HTTP/1.1"), hdr("Upgrade", "websocket"), hdr("Connection", "Upgrade"),
				hdr("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), hdr("Sec-WebSocket-Version", "13")),
			client: header("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")},
		{name: "other upgrade is refused",
			send: get("/up", "Connection: Upgrade", "Upgrade: foo/1"),
			want: []int{400}, after: either, upstream: nothing()},
	}
}

// plainUpgradeRows: h2c is stripped on a path served over plain HTTP too.
func plainUpgradeRows() []h1Row {
	return []h1Row{
		{name: "h2c is stripped",
			send: get("/public/up", h2cUpgrade...), want: []int{200}, after: open,
			upstream: one(line("GET /public/up HTTP/1.1"), none("Upgrade", "HTTP2-Settings"), hdr("Connection"))},
	}
}

// optOutUpgradeRows: upgrades = ["websocket", "foo"] lets foo through;
// h2c is still stripped.
func optOutUpgradeRows(e *env) []h1Row {
	rows := upgradeRows(e)[:4]
	return append(rows, h1Row{name: "listed upgrade passes",
		send: get("/up", "Connection: Upgrade", "Upgrade: foo/1"), want: []int{101}, after: open,
		upstream: one(line("GET /up HTTP/1.1"), hdr("Upgrade", "foo/1"), hdr("Connection", "Upgrade"))})
}

// header checks that the first response has exactly one field name,
// with value v.
func header(name, v string) func(testing.TB, *outcome) error {
	return func(_ testing.TB, o *outcome) error {
		if got := o.Responses[0].Header.Values(name); !slices.Equal(got, []string{v}) {
			return fmt.Errorf("%s %q, want %q", name, got, v)
		}
		return nil
	}
}

// underscoreHeaders alias the forwarding headers for servers that map
// '-' and '_' to the same CGI variable.
var underscoreHeaders = []string{"X_Forwarded_For: 6.6.6.6", "X_Forwarded_Proto: http",
	"X_Forwarded_Host: evil.example", "X_Real_IP: 6.6.6.6"}

// underscoreRows: header names with '_' never reach the upstream.
func underscoreRows(e *env) []h1Row {
	fwd := forwardedBy(e.Client, "https")
	return []h1Row{
		{name: "forwarding headers with underscores",
			send: get("/u", underscoreHeaders...), want: []int{200}, after: open,
			upstream: one(append(fwd, noUnderscore)...)},
		{name: "Transfer_Encoding",
			send: req("POST /u HTTP/1.1", host, "Transfer_Encoding: chunked", "Content-Length: 5") + "hello",
			want: []int{200}, after: open, upstream: one(noUnderscore, body("hello"))},
		{name: "any underscore header",
			send: get("/u", "X_Custom: 1", "X-Custom: 2"), want: []int{200}, after: open,
			upstream: one(noUnderscore, hdr("X-Custom", "2"))},
	}
}

// optOutUnderscoreRows: allow_underscore_headers = true passes them on;
// the forwarding headers portcullis sets are still exact.
func optOutUnderscoreRows(e *env) []h1Row {
	checks := append(forwardedBy(e.Client, "https"), hdr("X_Forwarded_For", "6.6.6.6"), hdr("X_Real_IP", "6.6.6.6"))
	return []h1Row{
		{name: "forwarding headers with underscores",
			send: get("/u", underscoreHeaders...), want: []int{200}, after: open, upstream: one(checks...)},
	}
}

// noUnderscore: no field name has '_'.
func noUnderscore(r *seenRequest) error {
	for _, n := range r.names() {
		if strings.Contains(n, "_") {
			return fmt.Errorf("has %s", n)
		}
	}
	return nil
}

// exemptRows: with redirect.exempt = ["/public/*"], only paths that are
// really under /public/ are served over plain HTTP; a path that climbs
// out of it, however spelled, is redirected like any other.
func exemptRows(e *env) []h1Row {
	onSite := locationOn("https://app.test:" + port(e.HTTPS) + "/")
	var rows []h1Row
	for _, p := range []string{"/public/../admin", "/public/%2e%2e/admin", "/public/%2E%2E/admin",
		"/public/..%2fadmin", "/public/..;/admin", `/public/..\admin`, "/public/..%5cadmin",
		"/public/./../admin", "/public%2f../admin", "/public/.%2e/admin"} {
		rows = append(rows, h1Row{name: p, send: get(p), want: []int{308}, after: open, upstream: nothing(), client: onSite})
	}
	return append(rows, h1Row{name: "/public/ok", send: get("/public/ok"), want: []int{200}, after: open,
		upstream: one(append(forwardedBy(e.Client, "http"), line("GET /public/ok HTTP/1.1"))...)})
}

// bypassRows: with cross_origin.bypass = ["POST /webhooks/"], a
// cross-site POST is let through only to paths really under /webhooks/.
func bypassRows() []h1Row {
	crossSite := func(path string) string {
		return req("POST "+path+" HTTP/1.1", host, "Sec-Fetch-Site: cross-site", "Origin: https://evil.example",
			"Content-Type: application/x-www-form-urlencoded", "Content-Length: 3") + "a=1"
	}
	var rows []h1Row
	for _, p := range []string{"/admin", "/webhooks/../admin", "/webhooks/%2e%2e/admin", "/webhooks/%2E%2E/admin",
		"/webhooks/..;/admin", "/webhooks/..%2fadmin", `/webhooks/..\admin`, "/webhooks/..%5cadmin", "/webhooks/.%2e/admin"} {
		rows = append(rows, h1Row{name: p, send: crossSite(p), want: []int{403}, after: either, upstream: nothing()})
	}
	return append(rows, h1Row{name: "/webhooks/ok", send: crossSite("/webhooks/ok"), want: []int{200}, after: open,
		upstream: one(line("POST /webhooks/ok HTTP/1.1"), body("a=1"))})
}

// defaultMethods are the methods a site allows by default.
var defaultMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// methodRows: the allowed methods pass; any other gets 405 with an Allow
// header, before the upstream.
func methodRows(allowed []string) []h1Row {
	var rows []h1Row
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "TRACK", "PROPFIND", "CONNECT"} {
		target := "/m"
		if m == "CONNECT" {
			target = "app.test:443"
		}
		send := req(m+" "+target+" HTTP/1.1", host, "Content-Length: 0")
		if slices.Contains(allowed, m) {
			rows = append(rows, h1Row{name: m, send: send, want: []int{200}, after: open,
				upstream: one(line(m + " " + target + " HTTP/1.1"))})
			continue
		}
		rows = append(rows, h1Row{name: m, send: send, want: []int{405}, after: either, upstream: nothing(),
			client: allows(allowed, m)})
	}
	return rows
}

// allows checks that the Allow header lists every allowed method and
// not m.
func allows(allowed []string, m string) func(testing.TB, *outcome) error {
	return func(_ testing.TB, o *outcome) error {
		v := o.Responses[0].Header.Get("Allow")
		var got []string
		for _, f := range strings.Split(v, ",") {
			got = append(got, strings.TrimSpace(f))
		}
		for _, a := range allowed {
			if !slices.Contains(got, a) {
				return fmt.Errorf("Allow %q lacks %s", v, a)
			}
		}
		if slices.Contains(got, m) {
			return fmt.Errorf("Allow %q lists %s", v, m)
		}
		return nil
	}
}

// versionHeaders are the upstream's /respond/versions headers.
var versionHeaders = map[string]string{
	"Server":              "SimpleHTTP/0.6 Python/3.11.7",
	"X-Powered-By":        "PHP/5.6.40",
	"X-Aspnet-Version":    "4.0.30319",
	"X-Aspnetmvc-Version": "5.2",
	"X-Runtime":           "0.012",
}

// versionRows: headers that tell an attacker which software version to
// target are removed, unless keep (keep_version_headers) is set.
func versionRows(keep bool) []h1Row {
	return []h1Row{{name: "upstream version headers", send: get("/respond/versions"), want: []int{200}, after: open,
		upstream: one(line("GET /respond/versions HTTP/1.1")),
		client: func(_ testing.TB, o *outcome) error {
			h := o.Responses[0].Header
			for k, v := range versionHeaders {
				got := h.Values(k)
				switch {
				case keep && !slices.Equal(got, []string{v}):
					return fmt.Errorf("%s %q, want %q kept", k, got, v)
				case !keep && len(got) > 0 && (k != "Server" || strings.ContainsAny(got[0], "/0123456789")):
					return fmt.Errorf("%s %q reached the client", k, got)
				}
			}
			return nil
		}}}
}

// cookieRows: cookies the upstream set wrongly still reach the client
// with Secure and a valid effective SameSite, and the log names what was
// wrong with each.
func cookieRows(e *env) []h1Row {
	var rows []h1Row
	for _, c := range []struct{ name, problem string }{
		{"noval", `(?i)name|value|=`},
		{"space", `(?i)name|space|token`},
		{"samesite", `(?i)same-?site`},
	} {
		path := "/respond/cookie/" + c.name
		problem := regexp.MustCompile(c.problem)
		rows = append(rows, h1Row{name: c.name, send: get(path), want: []int{200}, after: open,
			upstream: one(line("GET " + path + " HTTP/1.1")),
			client: func(t testing.TB, o *outcome) error {
				lines := o.Responses[0].Header.Values("Set-Cookie")
				if len(lines) != 1 {
					return fmt.Errorf("Set-Cookie %q, want one", lines)
				}
				if err := hardenedCookie(lines[0]); err != nil {
					return err
				}
				return e.cookieLogged(t, path, problem)
			}})
	}
	return rows
}

// hardenedCookie checks that a Set-Cookie line has Secure and that its
// last SameSite attribute, the one browsers use, is a valid one.
func hardenedCookie(line string) error {
	secure, sameSite := false, ""
	for _, a := range strings.Split(line, ";")[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(a), "=")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "secure":
			secure = true
		case "samesite":
			sameSite = strings.TrimSpace(v)
		}
	}
	if !secure {
		return fmt.Errorf("Set-Cookie %q has no Secure", line)
	}
	if !slices.Contains([]string{"Lax", "Strict", "None"}, sameSite) {
		return fmt.Errorf("Set-Cookie %q: effective SameSite %q", line, sameSite)
	}
	return nil
}

// cookieLogged waits for the cookie event of a request to path and checks
// that it names the problem (matching problem) rather than a prefix rule.
func (e *env) cookieLogged(t testing.TB, path string, problem *regexp.Regexp) error {
	var lines []map[string]any
	testutil.Eventually(t, 5*time.Second, "the cookie event for "+path, func() bool {
		lines = e.logLines(func(m map[string]any) bool {
			return str(m, "event") == "cookie.violation" && str(m, "path") == path
		})
		return len(lines) > 0
	})
	for _, l := range lines {
		what := str(l, "rule") + " " + str(l, "msg")
		if strings.Contains(str(l, "rule"), "prefix") || !problem.MatchString(what) {
			return fmt.Errorf("the event says %q, not what is wrong with the cookie (want %v)", what, problem)
		}
	}
	return nil
}

// chunkErrorRows: a malformed chunked body is the client's error, 400,
// not a failed upstream (502, logged as an error).
func chunkErrorRows(e *env) []h1Row {
	row := func(name, path, chunks string) h1Row {
		return h1Row{name: name, send: req("POST "+path+" HTTP/1.1", host, "Transfer-Encoding: chunked") + chunks,
			want: []int{400}, after: either, upstream: noComplete(),
			client: func(t testing.TB, _ *outcome) error { return e.noUpstreamError(t, path) }}
	}
	return []h1Row{
		row("bare LF after the chunk size", "/chunk/lf", "5\nhello\r\n0\r\n\r\n"),
		row("overflowing chunk size", "/chunk/overflow", "ffffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
		row("chunk size not hex", "/chunk/nothex", "5g\r\nhello\r\n0\r\n\r\n"),
	}
}

// noUpstreamError waits for the access log entry of path, then checks
// that no upstream failure was logged for it before.
func (e *env) noUpstreamError(t testing.TB, path string) error {
	testutil.Eventually(t, 5*time.Second, "the access log entry for "+path, func() bool {
		return slices.ContainsFunc(e.Serve.AccessLog(), func(a e2e.AccessEntry) bool { return a.Path == path })
	})
	if errs := e.logLines(func(m map[string]any) bool {
		return (str(m, "event") == "upstream.failed" || str(m, "level") == "ERROR") && str(m, "path") == path
	}); len(errs) > 0 {
		b, _ := json.Marshal(errs[0])
		return fmt.Errorf("logged as an upstream failure: %s", b)
	}
	return nil
}

// adminRows: the admin listener answers only to its own address, so a
// web page cannot reach it by DNS rebinding.
func adminRows(e *env) []h1Row {
	return []h1Row{
		{name: "foreign Host", send: req("GET /metrics HTTP/1.1", "Host: evil.com"),
			oneOf: []int{421, 403}, after: either, upstream: nothing()},
		{name: "own address", send: req("GET /metrics HTTP/1.1", "Host: "+e.Admin),
			want: []int{200}, after: open, upstream: nothing()},
	}
}
