package permissions

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"camera=()",
		`camera=(), geolocation=(self "https://maps.example"), fullscreen=*`,
		"fullscreen=self",
		`geolocation="https://a.example"`,
		"  camera=(  self   src  ) ,\tusb=()\t",
		`x=("a\"b\\c")`,
		"geolocation=();report-to=geo, camera=*;report-to=\"ep\"",
		"camera=*, usb=(), camera=()",
		"camera, usb=?1, midi=none, hid=5",
		`camera=(self "self" none 1 :AQ==: ?0 "https://a.example";q=1)`,
		"a=-1.5, b=(1 2.25 -0), c=:YWJj:, d=?0, e=*tok/en:x",
		"*key=()",
		"Camera=()",
		"camera=(),",
		"camera=(self",
		"camera=('self')",
		`camera=("a\nb")`,
		"camera=1234567890123.5",
		"camera=@1659578233",
		"camera=(\"é\")",
		Default().String(),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, warns, err := ParseDetailed(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("ParseDetailed(%q) error %v is not a *SyntaxError with an offset in range", s, err)
			}
			if len(p.Features) != 0 || warns != nil {
				t.Fatalf("ParseDetailed(%q) failed but returned a policy or warnings", s)
			}
		}
		for _, w := range warns {
			if w.Offset < 0 || w.Offset > len(s) {
				t.Fatalf("warning %v has offset out of range", w)
			}
		}
		// Surrounding SP does not change the result (RFC 8941 discards
		// leading SP; a dictionary discards trailing OWS).
		p2, _, err2 := ParseDetailed(" " + s + " ")
		if (err == nil) != (err2 == nil) || !equal(p, p2) {
			t.Fatalf("surrounding whitespace changes the result of %q: %v vs %v", s, err, err2)
		}
		if err != nil {
			return
		}

		// Render -> parse is the identity, with no warnings, and stable.
		out := p.String()
		back, warns, err := ParseDetailed(out)
		if err != nil {
			t.Fatalf("String() of %q = %q does not parse: %v", s, out, err)
		}
		if len(warns) != 0 {
			t.Fatalf("String() of %q = %q has warnings: %v", s, out, warns)
		}
		if !equal(back, p) {
			t.Fatalf("round trip changed the policy:\n in  %q\n out %q\n %+v\n %+v", s, out, p, back)
		}
		if again := back.String(); again != out {
			t.Fatalf("serialization not stable: %q then %q", out, again)
		}
		if h, err := p.Header(); err == nil && h != out {
			t.Fatalf("Header() = %q, String() = %q", h, out)
		}
		for _, f := range p.Features {
			if !isKey(f.Name) {
				t.Fatalf("parsed feature name %q is not a key", f.Name)
			}
		}
	})
}

// FuzzValidateOrigin checks that every origin ValidateOrigin accepts is read
// by net/url as exactly scheme://host[:port] with nothing else.
func FuzzValidateOrigin(f *testing.F) {
	for _, s := range []string{
		"https://a.example", "http://a.example:8080", "https://*.example.com",
		"http://192.0.2.1", "https://[::1]:8443", "https://[::ffff:192.0.2.1]",
		"https://a.example/", "HTTPS://A.example", "https://user@a.example",
		"https://a.example:443", "https://[fe80::1%25eth0]", "https://256.1.1.1",
		"https://é.example", "none", "'self'", "https://a.example:99999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateOrigin(s) != nil {
			return
		}
		u, err := url.Parse(strings.Replace(s, "://*.", "://wildcard.", 1))
		if err != nil {
			t.Fatalf("accepted %q, but net/url rejects it: %v", s, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Opaque != "" || u.User != nil ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || u.Host == "" {
			t.Fatalf("accepted %q, which net/url reads as %#v", s, u)
		}
		if p := u.Port(); p != "" && (p == "0" || p[0] == '0' || len(p) > 5) {
			t.Fatalf("accepted %q with port %q", s, p)
		}
		if strings.ToLower(s) != s {
			t.Fatalf("accepted non-lowercase origin %q", s)
		}
		if !isStringable(s) {
			t.Fatalf("accepted origin %q that cannot be serialized", s)
		}
	})
}
