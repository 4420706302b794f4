package dashboard

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/testutil"
)

const token = "0123456789abcdef-test-token"

// withCookie is a request carrying the session cookie value v.
func withCookie(v string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: v})
	return r
}

// TestAuthCheck: the bearer token or a valid session cookie passes; a
// wrong, tampered, expired, signed-out or foreign cookie does not.
func TestAuthCheck(t *testing.T) {
	clock := testutil.NewClock(now)
	a := NewAuth(token, clock.Now)
	bearer := func(h string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", h)
		return r
	}
	v, exp := a.newSession()
	if want := now.Add(SessionLifetime); !exp.Equal(want) {
		t.Errorf("expiry %v, want %v", exp, want)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(v)
	tampered := append([]byte{}, raw...)
	tampered[0] ^= 1 // a later expiry
	other, _ := NewAuth(token+"-rotated", clock.Now).newSession()
	if strings.Contains(v, token) {
		t.Fatal("the cookie holds the token")
	}
	for _, tc := range []struct {
		name string
		r    *http.Request
		why  string
	}{
		{"bearer", bearer("Bearer " + token), ""},
		{"bearer, any case", bearer("bearer " + token), ""},
		{"wrong bearer", bearer("Bearer nope"), "wrong bearer token"},
		{"basic", bearer("Basic " + token), "no bearer token"},
		{"nothing", httptest.NewRequest("GET", "/", nil), "no bearer token"},
		{"cookie", withCookie(v), ""},
		{"wrong bearer beats a good cookie", func() *http.Request { r := withCookie(v); r.Header.Set("Authorization", "Bearer x"); return r }(), "wrong bearer token"},
		{"tampered cookie", withCookie(base64.RawURLEncoding.EncodeToString(tampered)), "invalid session cookie"},
		{"truncated cookie", withCookie(v[:40]), "invalid session cookie"},
		{"not base64", withCookie("!!!"), "invalid session cookie"},
		{"the token as cookie", withCookie(token), "invalid session cookie"},
		{"another token's cookie", withCookie(other), "invalid session cookie"},
	} {
		if got := a.Check(tc.r); got != tc.why {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.why)
		}
	}
	clock.Advance(SessionLifetime - time.Second)
	if why := a.Check(withCookie(v)); why != "" {
		t.Errorf("a second before expiry: %q", why)
	}
	clock.Advance(time.Second)
	if why := a.Check(withCookie(v)); why != "expired session" {
		t.Errorf("at expiry: %q", why)
	}

	// Sign-out refuses the session from then on, and only that one.
	v1, _ := a.newSession()
	v2, _ := a.newSession()
	a.revoke(v1)
	if why := a.Check(withCookie(v1)); why != "signed-out session" {
		t.Errorf("signed out: %q", why)
	}
	if why := a.Check(withCookie(v2)); why != "" {
		t.Errorf("the other session: %q", why)
	}
	// Revoked IDs are forgotten once expired.
	clock.Advance(SessionLifetime)
	v3, _ := a.newSession()
	a.revoke(v3)
	if n := len(a.revoked); n != 1 {
		t.Errorf("%d revoked IDs kept, want 1", n)
	}
}

// TestSignIn: the sign-in page takes the token once, sets a Secure,
// HttpOnly, SameSite=Strict, __Host- session cookie and goes back where
// the browser was; a wrong token is 401, the sixth in a minute 429; a
// cross-origin POST is refused by the shield; sign-out revokes the
// session.
func TestSignIn(t *testing.T) {
	clock := testutil.NewClock(now)
	a := NewAuth(token, clock.Now)
	f := seeded()
	o := newTest(t, f, a).o
	o.Now = clock.Now
	d, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	post := func(form url.Values, header ...string) *http.Response {
		r := httptest.NewRequest("POST", SignInPath, strings.NewReader(form.Encode()))
		r.RemoteAddr = "192.0.2.1:5555"
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		d.ServeHTTP(w, r)
		return w.Result()
	}
	resp, body := get(t, d, "GET", SignInPath+"?next=/events%3Fsite%3Dapp")
	if resp.StatusCode != 200 || !strings.Contains(body, `name="next" value="/events?site=app"`) || !strings.Contains(body, `type="password"`) {
		t.Fatalf("sign-in page: %d\n%s", resp.StatusCode, body)
	}
	checkHeaders(t, "sign-in page", resp.Header)
	checkInert(t, "sign-in page", body)

	resp = post(url.Values{"token": {token}, "next": {"/events?site=app"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/events?site=app" {
		t.Fatalf("sign-in: %d %v", resp.StatusCode, resp.Header)
	}
	cs := resp.Cookies()
	if len(cs) != 1 {
		t.Fatalf("cookies %v", cs)
	}
	c := cs[0]
	if c.Name != "__Host-portcullis-admin" || c.Path != "/" || c.Domain != "" || !c.Secure || !c.HttpOnly ||
		c.SameSite != http.SameSiteStrictMode || c.MaxAge != int(SessionLifetime/time.Second) {
		t.Errorf("cookie %+v (%s)", c, resp.Header.Get("Set-Cookie"))
	}
	if why := a.Check(withCookie(c.Value)); why != "" {
		t.Errorf("the new cookie: %q", why)
	}
	// Signed in, the sign-in page sends the browser on.
	r := withCookie(c.Value)
	r.URL.Path, r.RequestURI = SignInPath, SignInPath
	w := httptest.NewRecorder()
	d.ServeHTTP(w, r)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
		t.Errorf("sign-in page, signed in: %d %v", w.Code, w.Header())
	}

	// Where to go after: only this listener's paths.
	for next, want := range map[string]string{
		"":                         "/",
		"/certificates":            "/certificates",
		"//evil.example/":          "/",
		"/\\evil.example":          "/",
		"https://evil.example/":    "/",
		"javascript:alert(1)":      "/",
		"/ok\r\nSet-Cookie: x=1":   "/",
		"events":                   "/",
		"/sites/app?audited=1#top": "/sites/app?audited=1#top",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}

	// A cross-origin POST never reaches the form (CSRF, login CSRF).
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
	} {
		resp := post(url.Values{"token": {token}}, h...)
		if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) > 0 {
			t.Errorf("cross-origin sign-in %v: %d %v", h, resp.StatusCode, resp.Cookies())
		}
	}

	// Wrong tokens: 401, then 429 for the rest of the minute, even with
	// the right one; another address may still try.
	for i := range maxFailures {
		if resp := post(url.Values{"token": {"wrong"}}); resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) > 0 {
			t.Errorf("wrong token %d: %d", i+1, resp.StatusCode)
		}
	}
	if resp := post(url.Values{"token": {token}}); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "60" || len(resp.Cookies()) > 0 {
		t.Errorf("after %d wrong tokens: %d %v", maxFailures, resp.StatusCode, resp.Header)
	}
	rr := httptest.NewRequest("POST", SignInPath, strings.NewReader("token="+token))
	rr.RemoteAddr = "[2001:db8::1]:443"
	rr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w = httptest.NewRecorder()
	d.ServeHTTP(w, rr)
	if w.Code != http.StatusSeeOther {
		t.Errorf("another client: %d", w.Code)
	}
	clock.Advance(failureWindow)
	if resp := post(url.Values{"token": {token}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a minute later: %d", resp.StatusCode)
	}

	// Sign-out deletes the cookie and revokes the session.
	so := withCookie(c.Value)
	so.Method = "POST"
	so.URL.Path = SignOutPath
	so.Header.Set("Sec-Fetch-Site", "same-origin")
	w = httptest.NewRecorder()
	d.ServeHTTP(w, so)
	out := w.Result().Cookies()
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != SignInPath || len(out) != 1 || out[0].MaxAge != -1 {
		t.Errorf("sign-out: %d %v", w.Code, w.Header())
	}
	if why := a.Check(withCookie(c.Value)); why != "signed-out session" {
		t.Errorf("after sign-out: %q", why)
	}
}

// TestSignInRedirect: only a browser's GET of a page is sent to sign in.
func TestSignInRedirect(t *testing.T) {
	for _, tc := range []struct {
		method, target, accept string
		want                   string // Location, "" for none
	}{
		{"GET", "/events?site=app", "text/html,application/xhtml+xml", "/signin?next=%2Fevents%3Fsite%3Dapp"},
		{"GET", "/", "text/html", "/signin?next=%2F"},
		{"GET", "/api/v1/events", "text/html", ""},
		{"GET", "/metrics", "*/*", ""},
		{"GET", "/metrics", "", ""},
		{"POST", "/signout", "text/html", ""},
	} {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		r.Header.Set("Accept", tc.accept)
		w := httptest.NewRecorder()
		done := SignInRedirect(w, r)
		if got := w.Header().Get("Location"); done != (tc.want != "") || got != tc.want || done && w.Code != http.StatusSeeOther {
			t.Errorf("%s %s (%s): %v %d %q, want %q", tc.method, tc.target, tc.accept, done, w.Code, got, tc.want)
		}
	}
}

// TestReportOf: the review of a stored audit is rendered from the report
// it was made of, to the millisecond; a record whose report was too
// large to keep still has its grade and findings.
func TestReportOf(t *testing.T) {
	f := seeded()
	for i, rec := range f.audits {
		if back := reportOf(rec); !reflect.DeepEqual(back, f.reps[i]) {
			t.Errorf("round trip:\n got %+v\nwant %+v", back, f.reps[i])
		}
		rec.Report = nil
		back := reportOf(rec)
		if back.Grade.Letter != rec.Grade || back.Grade.Score != rec.Score || len(back.Findings) != len(rec.Findings) || back.Target != rec.Target {
			t.Errorf("without the report: %+v from %+v", back, rec)
		}
	}
}
