package sectxt

import (
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	const u = "https://example.com/.well-known/security.txt"
	good := "Contact: mailto:security@example.com\nExpires: 2027-06-01T00:00:00Z\nCanonical: " + u + "\n"
	for _, tc := range []struct {
		name string
		f    Fetched
		want string
	}{
		{"good", Fetched{URL: u, Status: 200, Body: []byte(good)}, ""},
		{"missing", Fetched{URL: u, Status: 404}, "securitytxt.missing"},
		{"an HTML page instead", Fetched{URL: u, Status: 200, ContentType: "text/html; charset=utf-8", Body: []byte("<p>home</p>")}, "securitytxt.missing"},
		{"text/plain with charset", Fetched{URL: u, Status: 200, ContentType: "text/plain; charset=utf-8", Body: []byte(good)}, ""},
		{"expired", Fetched{URL: u, Status: 200, Body: []byte(strings.Replace(good, "2027-06-01", "2026-01-01", 1))}, "securitytxt.expired"},
		{"too far", Fetched{URL: u, Status: 200, Body: []byte(strings.Replace(good, "2027-06-01", "2029-01-01", 1))}, "securitytxt.expires-too-far"},
		{"no contact", Fetched{URL: u, Status: 200, Body: []byte("Expires: 2027-06-01T00:00:00Z\nCanonical: " + u + "\n")}, "securitytxt.contact-missing"},
		{"canonical elsewhere", Fetched{URL: u, Status: 200, Body: []byte(strings.Replace(good, "example.com/.well", "other.example/.well", 1))},
			"securitytxt.canonical-mismatch"},
		{"over http", Fetched{URL: "http://example.com/.well-known/security.txt", Status: 200,
			Body: []byte(strings.Replace(good, u, "http://example.com/.well-known/security.txt", 1))}, "securitytxt.not-https,securitytxt.invalid"},
		{"garbage", Fetched{URL: u, Status: 200, Body: []byte("<html>not found</html>\n")}, "securitytxt.contact-missing,securitytxt.invalid"},
	} {
		var got []string
		for _, f := range Check(tc.f, now) {
			got = append(got, f.Rule)
		}
		if g := strings.Join(uniq(got), ","); g != tc.want {
			t.Errorf("%s: %s, want %s (%v)", tc.name, g, tc.want, Check(tc.f, now))
		}
	}
}

// uniq drops repeated rule IDs (a garbage file has several problems).
func uniq(s []string) []string {
	var out []string
	for _, x := range s {
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}
