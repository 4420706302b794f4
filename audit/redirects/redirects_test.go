package redirects

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	const start = "http://example.com/"
	for _, tc := range []struct {
		name string
		hops []Hop
		want string
	}{
		{"ideal", []Hop{{start, 308, "https://example.com/"}, {"https://example.com/", 200, ""}}, ""},
		{"no redirect", []Hop{{start, 200, ""}}, "redirect.missing"},
		{"temporary", []Hop{{start, 302, "https://example.com/"}, {"https://example.com/", 200, ""}}, "redirect.not-permanent"},
		{"to www first", []Hop{{start, 301, "https://www.example.com/"}, {"https://www.example.com/", 200, ""}}, "redirect.not-same-host-first"},
		{"http www then https", []Hop{{start, 301, "http://www.example.com/"}, {"http://www.example.com/", 301, "https://www.example.com/"},
			{"https://www.example.com/", 200, ""}}, "redirect.not-same-host-first"},
		{"downgrade", []Hop{{start, 301, "https://example.com/"}, {"https://example.com/", 302, "http://example.com/login"},
			{"http://example.com/login", 200, ""}}, "redirect.downgrade,redirect.missing"},
		{"cross-site", []Hop{{start, 301, "https://example.com/"}, {"https://example.com/", 302, "https://login.other.org/"},
			{"https://login.other.org/", 200, ""}}, "redirect.cross-site"},
		{"same site, other subdomain", []Hop{{start, 301, "https://example.com/"}, {"https://example.com/", 302, "https://app.example.com/"},
			{"https://app.example.com/", 200, ""}}, ""},
		{"long", []Hop{{start, 301, "https://example.com/"}, {"https://example.com/", 301, "https://example.com/a"},
			{"https://example.com/a", 301, "https://example.com/b"}, {"https://example.com/b", 200, ""}}, "redirect.chain-long"},
		{"http to http only", []Hop{{start, 301, "http://example.com/home"}, {"http://example.com/home", 200, ""}},
			"redirect.not-same-host-first,redirect.missing"},
	} {
		var got []string
		for _, f := range Check(start, tc.hops) {
			got = append(got, f.Rule)
		}
		if g := strings.Join(got, ","); g != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, g, tc.want)
		}
	}
}

// TestPublicSuffix: two hosts under a public suffix (github.io) are two
// sites, though they share a parent domain.
func TestPublicSuffix(t *testing.T) {
	t.Parallel()
	fs := Check("http://a.github.io/", []Hop{{"http://a.github.io/", 301, "https://a.github.io/"},
		{"https://a.github.io/", 302, "https://b.github.io/"}, {"https://b.github.io/", 200, ""}})
	if len(fs) != 1 || fs[0].Rule != "redirect.cross-site" {
		t.Errorf("findings %v, want one redirect.cross-site", fs)
	}
}
