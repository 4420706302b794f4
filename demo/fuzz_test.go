package demo

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParseIP: parseIP never panics; what it returns is a canonical
// address (parses back to itself) with no zone and no IPv4-mapped form, and
// parsing it again is the identity.
func FuzzParseIP(f *testing.F) {
	for _, s := range []string{
		"192.0.2.1", "192.0.2.1:80", "2001:db8::1", "[2001:db8::1]", "[2001:db8::1]:443",
		"::ffff:10.0.0.1", "fe80::1%eth0", "[fe80::1%25eth0]:1", "", "[]", "[", "]", ":",
		"1.2.3.4.5", "01.2.3.4", "unknown", "_obf", "[192.0.2.1]", "2001:db8::1:80",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseIP(s)
		if !ok {
			if got != "" {
				t.Fatalf("parseIP(%q) failed but returned %q", s, got)
			}
			return
		}
		a, err := netip.ParseAddr(got)
		if err != nil {
			t.Fatalf("parseIP(%q) = %q, which does not parse: %v", s, got, err)
		}
		if a.String() != got || a.Zone() != "" || a.Is4In6() {
			t.Fatalf("parseIP(%q) = %q is not canonical", s, got)
		}
		if again, ok := parseIP(got); !ok || again != got {
			t.Fatalf("parseIP(%q) = %q, %v: not idempotent", got, again, ok)
		}
		if strings.ContainsAny(got, ",[]% ") {
			t.Fatalf("parseIP(%q) = %q carries separators", s, got)
		}
	})
}

// signIn logs in against h in-process and returns the Cookie header of the
// signed-in browser.
func signIn(tb testing.TB, h http.Handler) string {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	var csrf string
	for _, c := range rec.Result().Cookies() {
		if c.Name == CSRFCookie {
			csrf = c.Value
		}
	}
	req := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"csrf_token": {csrf}, "username": {DefaultUsername}, "password": {DefaultPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", CSRFCookie+"="+csrf)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		tb.Fatalf("sign-in: %d", rec.Code)
	}
	cookie := ""
	for _, c := range rec.Result().Cookies() {
		cookie += c.Name + "=" + c.Value + "; "
	}
	return strings.TrimSuffix(cookie, "; ")
}

// markup counts the characters that make or break markup. Input that is
// escaped properly never changes these counts.
func markup(body string) [4]int {
	return [4]int{strings.Count(body, "<"), strings.Count(body, ">"), strings.Count(body, `"`), strings.Count(body, "'")}
}

// FuzzPages feeds hostile forwarding headers and a hostile username to the
// account page and the refused login page. Property: the pages render
// (200 / 401) and have exactly the markup of a render with benign values,
// so no input ever became a tag, an attribute or a broken quote.
func FuzzPages(f *testing.F) {
	f.Add("localhost:8443", "app.example", "https", "203.0.113.7", "for=203.0.113.7;proto=https", "demo")
	f.Add(`"><script>alert(1)</script>`, `<img src=x onerror=alert(1)>`, "javascript:", "1.2.3.4, <b>", `for="[2001:db8::1]"`, `"' onfocus=x '`)
	f.Add("", "", "", "", "", "")
	f.Add("\x00\xff", "</textarea>", "HTTPS", "::ffff:10.0.0.1", "\r\n", "{{.CSRF}}")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h := Handler(Options{Now: func() time.Time { return now }})
	cookie := signIn(f, h)
	// The login app's clock moves a minute per call, so the rate limit
	// (10 failures a minute) never turns the 401 into a 429.
	var minutes atomic.Int64
	hl := Handler(Options{Now: func() time.Time { return now.Add(time.Duration(minutes.Add(1)) * time.Minute) }})

	account := func(host, xfh, xfp, xff, fwd string) (int, string) {
		req := httptest.NewRequest("GET", "/account", nil)
		req.Host = host
		req.Header.Set("Cookie", cookie)
		for k, v := range map[string]string{"X-Forwarded-Host": xfh, "X-Forwarded-Proto": xfp, "X-Forwarded-For": xff, "Forwarded": fwd} {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	failedLogin := func(user string) (int, string) {
		csrf := strings.Repeat("A", 26)
		req := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"csrf_token": {csrf}, "username": {user}, "password": {"wrong"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", CSRFCookie+"="+csrf)
		req.Header.Set("X-Forwarded-For", "192.0.2.1")
		rec := httptest.NewRecorder()
		hl.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	_, base := account("a", "a", "a", "a", "a")
	_, baseLogin := failedLogin("a")

	f.Fuzz(func(t *testing.T, host, xfh, xfp, xff, fwd, user string) {
		code, body := account("a"+host, "a"+xfh, "a"+xfp, "a"+xff, "a"+fwd)
		if code != http.StatusOK {
			t.Fatalf("account page: %d", code)
		}
		if got, want := markup(body), markup(base); got != want {
			t.Fatalf("account page markup %v, benign %v: input escaped badly\n%s", got, want, body)
		}
		code, body = failedLogin("a" + user)
		if code != http.StatusUnauthorized {
			t.Fatalf("failed login: %d", code)
		}
		if got, want := markup(body), markup(baseLogin); got != want {
			t.Fatalf("login page markup %v, benign %v: username escaped badly\n%s", got, want, body)
		}
	})
}

// FuzzEcho: the echo endpoint answers valid JSON for any Cookie header and
// any other header value; it never reveals a cookie value (a known secret
// value in the Cookie header never appears unless the fuzzer typed it
// elsewhere), lists exactly the cookie names net/http parses, and echoes
// other headers verbatim (valid UTF-8 round-trips through JSON).
func FuzzEcho(f *testing.F) {
	f.Add("csrftoken=abc; theme=dark", "plain")
	f.Add("", "")
	f.Add(`a="quoted"; b=; =c; d`, `<script>"x"</script>`)
	f.Add(";;;  ; x=y=z; \x00=1", "\xff\xfe")
	f.Add("portcullis_session=Q; portcullis_session=R", "é ü \u2028")
	h := Handler(Options{})
	const secret = "S3cr3tV4lu3"
	f.Fuzz(func(t *testing.T, cookie, custom string) {
		req := httptest.NewRequest("GET", "/__demo/echo", nil)
		req.Header.Set("Cookie", "s="+secret+"; "+cookie)
		req.Header.Set("X-Custom", custom)
		req.Header.Set("Authorization", "Basic "+secret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("echo: %d", rec.Code)
		}
		body := rec.Body.String()
		if !strings.Contains(cookie, secret) && !strings.Contains(custom, secret) && strings.Contains(body, secret) {
			t.Fatalf("echo reveals a cookie or credential value:\n%s", body)
		}
		var e echoView
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
			t.Fatalf("echo is not JSON: %v\n%s", err, body)
		}
		want := cookieNames(req)
		if strings.Join(e.Cookies, "\x00") != strings.Join(want, "\x00") || strings.Join(e.Headers["Cookie"], "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("cookie names %q / %q, want %q", e.Cookies, e.Headers["Cookie"], want)
		}
		if len(e.Headers["Authorization"]) != 1 || e.Headers["Authorization"][0] != hidden {
			t.Fatalf("Authorization echoed as %q", e.Headers["Authorization"])
		}
		if utf8.ValidString(custom) {
			if got := e.Headers["X-Custom"]; len(got) != 1 || got[0] != custom {
				t.Fatalf("X-Custom %q echoed as %q", custom, got)
			}
		}
	})
}
