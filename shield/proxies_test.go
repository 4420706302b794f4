package shield

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestTrustedProxies(t *testing.T) {
	type result struct {
		code     int
		scheme   string
		host     string
		client   string
		fwd      bool
		leftover bool // forwarding headers still visible to the handler
	}
	tests := []struct {
		name    string
		peer    string
		https   bool
		headers map[string]string
		want    result
	}{
		{"untrusted peer: XFP ignored, redirected", "203.0.113.9:5000", false,
			map[string]string{"X-Forwarded-Proto": "https"}, result{code: 308}},
		{"untrusted peer: headers stripped", "203.0.113.9:5000", true,
			map[string]string{"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Host": "evil.com", "Forwarded": "for=1.2.3.4", "X-Real-Ip": "1.2.3.4"},
			result{code: 200, scheme: "https", host: "example.com", client: "203.0.113.9"}},
		{"trusted peer: XFP https, no redirect loop", "10.0.0.2:5000", false,
			map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"},
			result{code: 200, scheme: "https", host: "example.com", client: "198.51.100.7", fwd: true, leftover: true}},
		{"trusted peer: XFP http is redirected", "10.0.0.2:5000", false,
			map[string]string{"X-Forwarded-Proto": "http"}, result{code: 308}},
		{"trusted chain: rightmost untrusted is the client", "10.0.0.2:5000", true,
			map[string]string{"X-Forwarded-For": "6.6.6.6, 198.51.100.7, 10.0.0.3"},
			result{code: 200, scheme: "https", host: "example.com", client: "198.51.100.7", fwd: true, leftover: true}},
		{"trusted: XFF with garbage stops the walk", "10.0.0.2:5000", true,
			map[string]string{"X-Forwarded-For": "198.51.100.7, garbage, 10.0.0.3"},
			result{code: 200, scheme: "https", host: "example.com", client: "10.0.0.3", fwd: true, leftover: true}},
		{"trusted: XFH must be an allowed host", "10.0.0.2:5000", true,
			map[string]string{"X-Forwarded-Host": "evil.com"}, result{code: 400}},
		{"trusted: XFH allowed", "10.0.0.2:5000", true,
			map[string]string{"X-Forwarded-Host": "www.example.com"},
			result{code: 200, scheme: "https", host: "www.example.com", client: "10.0.0.2", fwd: true, leftover: true}},
		{"trusted: Forwarded", "10.0.0.2:5000", false,
			map[string]string{"Forwarded": `for="[2001:db8::7]:4711";proto=https;host=example.com`},
			result{code: 200, scheme: "https", host: "example.com", client: "2001:db8::7", fwd: true, leftover: true}},
		{"trusted: Forwarded chain", "10.0.0.2:5000", true,
			map[string]string{"Forwarded": `for=198.51.100.7;proto=https, for=10.0.0.3;proto=http`},
			result{code: 200, scheme: "https", host: "example.com", client: "198.51.100.7", fwd: true, leftover: true}},
		{"trusted: Forwarded beats X-Forwarded-*", "10.0.0.2:5000", true,
			map[string]string{"Forwarded": `for=198.51.100.7;proto=https`, "X-Forwarded-For": "6.6.6.6"},
			result{code: 200, scheme: "https", host: "example.com", client: "198.51.100.7", fwd: true, leftover: true}},
		{"trusted: malformed Forwarded falls back to XFF", "10.0.0.2:5000", true,
			map[string]string{"Forwarded": `for="unterminated`, "X-Forwarded-For": "198.51.100.8"},
			result{code: 200, scheme: "https", host: "example.com", client: "198.51.100.8", fwd: true, leftover: true}},
		{"trusted IPv6 peer", "[fd00::2]:5000", false,
			map[string]string{"X-Forwarded-Proto": "HTTPS"},
			result{code: 200, scheme: "https", host: "example.com", client: "fd00::2", fwd: true, leftover: true}},
		{"trusted peer with no headers", "10.0.0.2:5000", true, nil,
			result{code: 200, scheme: "https", host: "example.com", client: "10.0.0.2"}},
	}
	s, _ := mustNew(t, Options{Hosts: []string{"example.com", "www.example.com"}, TrustedProxies: []string{"10.0.0.0/8", "fd00::/8"}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got result
			app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := RequestInfo(r)
				got.scheme, got.host, got.fwd = i.Scheme, i.Host, i.Forwarded
				if i.ClientIP.IsValid() {
					got.client = i.ClientIP.String()
				}
				for _, h := range forwardingHeaders {
					if r.Header.Get(h) != "" {
						got.leftover = true
					}
				}
			})
			r := req("GET", "/", "example.com", tt.https)
			r.RemoteAddr = tt.peer
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			got.code = serve(s, app, r).Code
			if got != tt.want {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestTrustedProxiesInvalid(t *testing.T) {
	for _, p := range []string{"10.0.0.0/33", "not-an-ip", "10.0.0.1/", ""} {
		if _, err := New(Options{TrustedProxies: []string{p}}); err == nil {
			t.Errorf("New accepted trusted proxy %q", p)
		}
	}
}

func TestRequestInfoWithoutShield(t *testing.T) {
	r := req("GET", "/", "example.com:8443", true)
	r.RemoteAddr = "[::ffff:192.0.2.1]:1234"
	i := RequestInfo(r)
	if i.Scheme != "https" || i.Host != "example.com:8443" || i.ClientIP != netip.MustParseAddr("192.0.2.1") || i.Forwarded {
		t.Fatalf("RequestInfo = %+v", i)
	}
}

func TestParseForwarded(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		want []forwardedElem
	}{
		{`for=192.0.2.60;proto=http;by=203.0.113.43`, true, []forwardedElem{{forNode: "192.0.2.60", proto: "http"}}},
		{`For="[2001:db8:cafe::17]:4711"`, true, []forwardedElem{{forNode: "[2001:db8:cafe::17]:4711"}}},
		{`for=192.0.2.43, for=198.51.100.17`, true, []forwardedElem{{forNode: "192.0.2.43"}, {forNode: "198.51.100.17"}}},
		{`for=_hidden;host=example.com:8443`, true, []forwardedElem{{forNode: "_hidden", host: "example.com:8443"}}},
		{`for="a\"b"`, true, []forwardedElem{{forNode: `a"b`}}},
		{`for=1.2.3.4 ; proto=https`, true, []forwardedElem{{forNode: "1.2.3.4", proto: "https"}}},
		{``, false, nil},
		{`for`, false, nil},
		{`=x`, false, nil},
		{`for="open`, false, nil},
		{`for=a b`, false, nil},
		{`for=1.2.3.4;;`, false, nil},
		{`for="x` + "\r\n" + `"`, false, nil},
		{`f(r=1`, false, nil},
	}
	for _, tt := range tests {
		got, ok := parseForwarded(tt.in)
		if ok != tt.ok || len(got) != len(tt.want) {
			t.Errorf("parseForwarded(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("parseForwarded(%q)[%d] = %+v, want %+v", tt.in, i, got[i], tt.want[i])
			}
		}
	}
}

// Several header lines of one forwarding header: the last value, added by
// the nearest proxy, counts; X-Forwarded-For lines are one list.
func TestTrustedProxiesRepeatedHeaders(t *testing.T) {
	s, _ := mustNew(t, Options{Hosts: []string{"example.com"}, TrustedProxies: []string{"10.0.0.0/8"}})
	var info Info
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { info = RequestInfo(r) })
	r := req("GET", "/", "example.com", false)
	r.RemoteAddr = "10.0.0.2:5000"
	r.Header["X-Forwarded-Proto"] = []string{"http", "https"}
	r.Header["X-Forwarded-For"] = []string{"203.0.113.1, 198.51.100.7", "10.0.0.9"}
	if code := serve(s, app, r).Code; code != 200 || info.Scheme != "https" || info.ClientIP.String() != "198.51.100.7" {
		t.Fatalf("%d %+v", code, info)
	}
}
