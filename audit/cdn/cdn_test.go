package cdn

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/rules"
)

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestDetect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		h       http.Header
		cdn     string   // "" for a generic cache
		headers []string // the signs' headers
	}{
		{"Cloudflare", hdr("Server", "cloudflare", "CF-Ray", "8a1b2c3d4e5f-FRA", "CF-Cache-Status", "HIT"), "Cloudflare", []string{"Cf-Ray", "Cf-Cache-Status", "Server"}},
		{"CloudFront", hdr("Via", "1.1 abc.cloudfront.net (CloudFront)", "X-Amz-Cf-Id", "xyz==", "X-Cache", "Hit from cloudfront"), "Amazon CloudFront", []string{"X-Amz-Cf-Id", "Via", "X-Cache"}},
		{"Fastly", hdr("X-Served-By", "cache-fra-eddf8230070-FRA", "X-Cache", "HIT", "Via", "1.1 varnish"), "Fastly", []string{"X-Served-By", "Via", "X-Cache"}},
		{"Akamai", hdr("X-Akamai-Transformed", "9 - 0 pmb=mRUM,1"), "Akamai", []string{"X-Akamai-Transformed"}},
		{"Akamai server", hdr("Server", "AkamaiGHost"), "Akamai", []string{"Server"}},
		{"Azure", hdr("X-Azure-Ref", "20240101T000000Z-abc"), "Azure Front Door", []string{"X-Azure-Ref"}},
		{"generic Via", hdr("Via", "1.1 edge-proxy"), "", []string{"Via"}},
		{"Age only", hdr("Age", "42"), "", []string{"Age"}},
	} {
		e := Detect(tc.h)
		if e == nil {
			t.Errorf("%s: nothing detected", tc.name)
			continue
		}
		var got []string
		for _, s := range e.Signs {
			got = append(got, s.Header)
		}
		if e.Name != tc.cdn || !slices.Equal(got, tc.headers) {
			t.Errorf("%s: %s %v, want %q %v", tc.name, e.Name, got, tc.cdn, tc.headers)
		}
		if !strings.Contains(e.String(), tc.headers[0]+": ") {
			t.Errorf("%s: String() = %q", tc.name, e.String())
		}
	}
	if e := Detect(hdr("Server", "nginx", "Content-Type", "text/html")); e != nil {
		t.Errorf("a plain server: %+v", e)
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	origin := hdr("Strict-Transport-Security", "max-age=63072000", "X-Frame-Options", "DENY",
		"Content-Security-Policy", "script-src 'nonce-abc' 'strict-dynamic'", "Referrer-Policy", "same-origin", "Server", "gunicorn")
	edge := hdr("X-Frame-Options", "SAMEORIGIN", "Content-Security-Policy", "script-src 'nonce-xyz' 'strict-dynamic'",
		"Referrer-Policy", "same-origin", "X-Content-Type-Options", "nosniff", "Server", "cloudflare")
	diffs, fs := Compare("https://shop.de/", edge, origin)
	want := map[string]struct {
		change string
		sev    rules.Severity
	}{
		"Strict-Transport-Security": {"dropped", rules.Low},
		"X-Frame-Options":           {"changed", rules.Low},
		"X-Content-Type-Options":    {"added", rules.Info},
	}
	if len(diffs) != len(want) || len(fs) != len(want) {
		t.Fatalf("diffs %+v\nfindings %v", diffs, fs)
	}
	for i, d := range diffs {
		w, ok := want[d.Header]
		f := fs[i]
		if !ok || d.Change() != w.change || f.Rule != "cdn.header-mismatch" || f.Severity != w.sev || f.Target != "https://shop.de/" ||
			!strings.Contains(f.Message, d.Header) {
			t.Errorf("%+v (%s): finding %+v", d, d.Change(), f)
		}
	}
	if d, _ := Compare("x", origin, origin); len(d) != 0 {
		t.Errorf("identical headers differ: %+v", d)
	}
}

func TestCache(t *testing.T) {
	t.Parallel()
	ck := "Set-Cookie"
	for _, tc := range []struct {
		name      string
		h         http.Header
		sensitive bool
		behind    bool
		sev       rules.Severity // -1: no finding
	}{
		{"cookie, public", hdr(ck, "sid=1", "Cache-Control", "public, max-age=60"), false, false, rules.High},
		{"cookie, s-maxage", hdr(ck, "sid=1", "Cache-Control", "s-maxage=300"), false, false, rules.High},
		{"cookie, max-age", hdr(ck, "sid=1", "Cache-Control", "max-age=300"), false, false, rules.High},
		{"cookie, private", hdr(ck, "sid=1", "Cache-Control", "private, max-age=300"), false, true, -1},
		{"cookie, no-store", hdr(ck, "sid=1", "Cache-Control", "no-store"), false, true, -1},
		{"cookie, private=Set-Cookie", hdr(ck, "sid=1", "Cache-Control", `public, private="Set-Cookie"`), false, true, -1},
		{"cookie, no-cache=Set-Cookie", hdr(ck, "sid=1", "Cache-Control", `max-age=60, no-cache="set-cookie"`), false, true, -1},
		{"cookie, no directive, behind a cache", hdr(ck, "sid=1"), false, true, rules.Low},
		{"cookie, no-cache, behind a cache", hdr(ck, "sid=1", "Cache-Control", "no-cache"), false, true, rules.Low},
		{"cookie, no directive, no cache seen", hdr(ck, "sid=1"), false, false, -1},
		{"cookie, max-age=0", hdr(ck, "sid=1", "Cache-Control", "max-age=0"), false, false, -1},
		{"sensitive page public", hdr("Cache-Control", "public, max-age=600"), true, false, rules.Medium},
		{"sensitive page s-maxage", hdr("Cache-Control", "S-MAXAGE=600"), true, true, rules.Medium},
		{"sensitive page private", hdr("Cache-Control", "private"), true, true, -1},
		{"sensitive page max-age only", hdr("Cache-Control", "max-age=600"), true, true, -1},
		{"public home page", hdr("Cache-Control", "public, max-age=600"), false, true, -1},
		{"sensitive page with cookie, public", hdr(ck, "sid=1", "Cache-Control", "public"), true, true, rules.High},
	} {
		fs := Cache(Page{URL: "https://shop.de/login", Header: tc.h, Sensitive: tc.sensitive}, tc.behind)
		switch {
		case tc.sev < 0 && len(fs) > 0:
			t.Errorf("%s: %v", tc.name, fs)
		case tc.sev >= 0 && (len(fs) != 1 || fs[0].Rule != "header.cache-shared-private" || fs[0].Severity != tc.sev || fs[0].Target != "https://shop.de/login"):
			t.Errorf("%s: %v, want one at %s", tc.name, fs, tc.sev)
		case len(fs) == 1 && strings.Contains(fs[0].Message+fs[0].Evidence, "=1"):
			t.Errorf("%s: a cookie value leaked: %+v", tc.name, fs[0])
		}
	}
}
