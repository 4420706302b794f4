package permissions

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// equal compares policies, treating nil and empty allowlists alike.
func equal(a, b Policy) bool {
	if len(a.Features) != len(b.Features) {
		return false
	}
	for i := range a.Features {
		fa, fb := a.Features[i], b.Features[i]
		if fa.Name != fb.Name || fa.ReportTo != fb.ReportTo || !slices.Equal(fa.Allow, fb.Allow) {
			return false
		}
	}
	return true
}

func pol(fs ...Feature) Policy { return Policy{Features: fs} }

func feat(name string, allow ...string) Feature { return Feature{Name: name, Allow: allow} }

func TestString(t *testing.T) {
	tests := []struct {
		name string
		p    Policy
		want string
	}{
		{"empty policy", Policy{}, ""},
		{"empty allowlist", pol(feat("camera")), "camera=()"},
		{"star alone is bare", pol(feat("fullscreen", "*")), "fullscreen=*"},
		{"single self is a list", pol(feat("fullscreen", "self")), "fullscreen=(self)"},
		{"self and origin", pol(feat("geolocation", "self", "https://maps.example")), `geolocation=(self "https://maps.example")`},
		{"src token", pol(feat("camera", "src")), "camera=(src)"},
		{"star mixed stays a list", pol(feat("camera", "*", "self")), "camera=(* self)"},
		{"several members", pol(feat("camera"), feat("microphone"), feat("fullscreen", "*")), "camera=(), microphone=(), fullscreen=*"},
		{"escaping", pol(feat("x", `a"b\c`)), `x=("a\"b\\c")`},
		{"report-to token", pol(Feature{Name: "geolocation", Allow: []string{}, ReportTo: "geo-endpoint"}), "geolocation=();report-to=geo-endpoint"},
		{"report-to string", pol(Feature{Name: "camera", Allow: []string{"*"}, ReportTo: "a b"}), `camera=*;report-to="a b"`},
		{"report-to unrepresentable dropped", pol(Feature{Name: "camera", ReportTo: "é"}), "camera=()"},
		{"invalid name skipped", pol(feat("Camera"), feat(""), feat("usb")), "usb=()"},
		{"unrepresentable origin skipped", pol(feat("camera", "https://é.example", "self")), "camera=(self)"},
		{"control char origin skipped", pol(feat("camera", "https://a.example\n")), "camera=()"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.p.String()
			if got != tt.want {
				t.Fatalf("String() = %q, want %q", got, tt.want)
			}
			back, warns, err := ParseDetailed(got)
			if err != nil || len(warns) != 0 {
				t.Fatalf("output %q does not re-parse cleanly: %v %v", got, err, warns)
			}
			if back.String() != got {
				t.Fatalf("re-serialization %q != %q", back.String(), got)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in    string
		want  Policy
		warns []string // substrings, in order
	}{
		{"", Policy{}, nil},
		{"   ", Policy{}, nil},
		{"camera=()", pol(feat("camera")), nil},
		{`camera=(), geolocation=(self "https://maps.example"), fullscreen=*`,
			pol(feat("camera"), feat("geolocation", "self", "https://maps.example"), feat("fullscreen", "*")), nil},
		{"fullscreen=self", pol(feat("fullscreen", "self")), nil},
		{`geolocation="https://a.example"`, pol(feat("geolocation", "https://a.example")), nil},
		{"camera=(*)", pol(feat("camera", "*")), nil},
		{"  camera=(  self   src  ) ,\tusb=()\t", pol(feat("camera", "self", "src"), feat("usb")), nil},
		{`x=("a\"b\\c")`, pol(feat("x", `a"b\c`)), nil},
		{"geolocation=();report-to=geo", pol(Feature{Name: "geolocation", Allow: []string{}, ReportTo: "geo"}), nil},
		{`camera=self;report-to="ep"`, pol(Feature{Name: "camera", Allow: []string{"self"}, ReportTo: "ep"}), nil},
		// Duplicates: first position, last value.
		{"camera=*, usb=(), camera=()", pol(feat("camera"), feat("usb")), []string{"given again"}},
		// A later invalid value removes the member entirely.
		{"camera=(), camera", Policy{}, []string{"given again", "no allowlist"}},
		// Dropped members.
		{"camera", Policy{}, []string{"no allowlist"}},
		{"camera=?1, usb=()", pol(feat("usb")), []string{"?1 (a boolean)"}},
		{"camera=none", Policy{}, []string{"none (a token)"}},
		{"camera=src", Policy{}, []string{"src (a token)"}},
		{"camera=5", Policy{}, []string{"5 (a integer)"}},
		{`camera="self"`, pol(feat("camera")), []string{`string "self" is not the keyword`}},
		// Dropped entries.
		{`camera=(self "self" none 1 :AQ==: ?0 "https://a.example";q=1)`,
			pol(feat("camera", "self", "https://a.example")),
			[]string{`string "self"`, "token none", "integer 1", "byte sequence :AQ==:", "boolean ?0", `parameter "q" on an allowlist entry`}},
		{"camera=(https://a.example)", pol(feat("camera")), []string{"token https://a.example is not an allowlist keyword"}},
		// Parameters.
		{"camera=();foo=1;report-to=a", pol(Feature{Name: "camera", Allow: []string{}, ReportTo: "a"}), []string{`unknown parameter "foo"`}},
		{"camera=();report-to=1", pol(feat("camera")), []string{"report-to must be a token or string, not a integer"}},
		{"camera=(); report-to=a;report-to=b", pol(Feature{Name: "camera", Allow: []string{}, ReportTo: "b"}), nil},
		// Numbers and other values are valid syntax even where ignored.
		{"a=-1.5, b=(1 2.25 -0), c=:YWJj:, d=?0, e=*tok/en:x", pol(feat("b")), []string{"-1.5", "integer 1", "decimal 2.25", "integer -0", ":YWJj:", "?0", "*tok/en:x"}},
		{"*key=()", pol(feat("*key")), nil},
	}
	for _, tt := range tests {
		got, warns, err := ParseDetailed(tt.in)
		if err != nil {
			t.Errorf("ParseDetailed(%q): %v", tt.in, err)
			continue
		}
		if !equal(got, tt.want) {
			t.Errorf("ParseDetailed(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
		}
		if len(warns) != len(tt.warns) {
			t.Errorf("ParseDetailed(%q) warnings %v, want %d matching %q", tt.in, warns, len(tt.warns), tt.warns)
			continue
		}
		for i, w := range warns {
			if !strings.Contains(w.String(), tt.warns[i]) {
				t.Errorf("ParseDetailed(%q) warning %d = %q, want it to contain %q", tt.in, i, w, tt.warns[i])
			}
		}
		if p2, err := Parse(tt.in); err != nil || !equal(p2, got) {
			t.Errorf("Parse(%q) disagrees with ParseDetailed: %+v, %v", tt.in, p2, err)
		}
	}
}

func TestParseSyntaxErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		msg    string
	}{
		{"Camera=()", 0, "expected a feature name"},
		{"\tcamera=()", 0, "found a tab"},
		{"camera=(),", 10, "trailing ','"},
		{"camera=() usb=()", 10, "expected ',' after member \"camera\""},
		{"camera=();", 10, "expected a parameter name"},
		{"camera=(self", 12, "not closed with ')'"},
		{"camera=(self,src)", 12, "expected a space or ')'"},
		{"camera=('self')", 8, "no single-quoted values"},
		{"camera=(self 'none')", 13, "no single-quoted values"},
		{`camera=("https://a.example)`, 8, "string is not closed"},
		{`camera=("a\nb")`, 10, `invalid escape \n`},
		{"camera=(\"a\tb\")", 10, "a tab is not allowed in a string"},
		{"camera=(\"é\")", 9, "non-ASCII byte 0xc3"},
		{"camera=", 7, "expected a value, found end of input"},
		{"camera=-", 8, "expected a digit"},
		{"camera=1234567890123456", 7, "more than 15 digits"},
		{"camera=1234567890123.5", 7, "more than 12 integer digits"},
		{"camera=1.", 8, "ends with '.'"},
		{"camera=1.2345", 8, "more than 3 fractional digits"},
		{"camera=:abc", 7, "byte sequence is not closed"},
		{"camera=:a*b:", 9, "not allowed in a byte sequence"},
		{"camera=?2", 8, "expected '0' or '1'"},
		{"camera=@1659578233", 7, "RFC 9651"},
		{"camera=%\"x\"", 7, "RFC 9651"},
		{"camera=(self);report-to=", 24, "expected a value"},
		{"camera=()x", 9, "expected ',' after member"},
		{"camera=(), ,usb=()", 11, "expected a feature name"},
		{"camera=();", 10, "found end of input"},
		{"camera=();REPORT=x", 10, "expected a parameter name"},
		{"camera=) ", 7, "expected a value"},
		{"a=b, ", 5, "trailing ','"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want *SyntaxError", tt.in, err)
			continue
		}
		if se.Offset != tt.offset || !strings.Contains(se.Error(), tt.msg) {
			t.Errorf("Parse(%q) = %v (offset %d); want offset %d and %q", tt.in, err, se.Offset, tt.offset, tt.msg)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		p    Policy
		errs []string // substrings, one per expected *FeatureError, in order
	}{
		{"empty", Policy{}, nil},
		{"typical", pol(feat("camera"), feat("geolocation", "self", "https://maps.example", "https://*.cdn.example:8443"), feat("fullscreen", "*")), nil},
		{"ip origins", pol(feat("camera", "http://127.0.0.1:8080", "https://[::1]", "https://[2001:db8::1]:444")), nil},
		{"report-to", pol(Feature{Name: "camera", ReportTo: "default"}), nil},
		{"bad names", pol(feat(""), feat("Camera"), feat("my feature"), feat("-x")), []string{
			`"" (#0): invalid name: empty`,
			`"Camera" must start with a lowercase letter`,
			`"my feature" contains a space at offset 2`,
			`"-x" must start with a lowercase letter or '*', not '-'`,
		}},
		{"duplicate", pol(feat("camera"), feat("usb"), feat("camera", "self")), []string{`"camera" (#2): listed again (first at #0)`}},
		{"star mixed", pol(feat("camera", "self", "*")), []string{`"*" must be the only allowlist entry`}},
		{"src", pol(feat("camera", "src")), []string{`"src" only applies in an iframe allow attribute`}},
		{"quoted keyword", pol(feat("camera", "'self'")), []string{"without quotes"}},
		{"none", pol(feat("camera", "none")), []string{"empty allowlist ()"}},
		{"origin with path", pol(feat("camera", "https://a.example/")), []string{`has "/" after the host`}},
		{"bad report-to", pol(Feature{Name: "camera", ReportTo: "Geo"}), []string{"invalid report-to endpoint name"}},
		{"several errors", pol(feat("Usb", "ftp://a.example", "self", "self")), []string{"invalid name", "scheme must be http or https"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if len(tt.errs) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				if h, err := tt.p.Header(); err != nil || h != tt.p.String() {
					t.Fatalf("Header() = %q, %v; want %q", h, err, tt.p.String())
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %d errors", len(tt.errs))
			}
			joined, ok := err.(interface{ Unwrap() []error })
			if !ok {
				t.Fatalf("Validate() error %T does not wrap a list", err)
			}
			list := joined.Unwrap()
			if len(list) != len(tt.errs) {
				t.Fatalf("Validate() = %d errors:\n%v\nwant %d", len(list), err, len(tt.errs))
			}
			for i, e := range list {
				var fe *FeatureError
				if !errors.As(e, &fe) {
					t.Errorf("error %d is %T, want *FeatureError", i, e)
				}
				if !strings.Contains(e.Error(), tt.errs[i]) {
					t.Errorf("error %d = %q, want it to contain %q", i, e, tt.errs[i])
				}
			}
			if h, herr := tt.p.Header(); herr == nil || h != "" {
				t.Errorf("Header() = %q, %v; want an error", h, herr)
			}
		})
	}
}

func TestValidateOrigin(t *testing.T) {
	good := []string{
		"https://a.example",
		"http://a.example:8080",
		"https://*.example.com",
		"https://localhost",
		"https://xn--bcher-kva.example",
		"https://my_host.example",
		"http://192.0.2.1",
		"https://[::1]:8443",
		"https://[::ffff:192.0.2.1]",
	}
	bad := map[string]string{
		"":                         `missing "scheme://"`,
		"a.example":                `missing "scheme://"`,
		"HTTPS://a.example":        "scheme must be lowercase",
		"wss://a.example":          "scheme must be http or https",
		"https://":                 "empty host",
		"https://A.example":        "host must be lowercase",
		"https://a.example/":       `has "/" after the host`,
		"https://a.example/path":   `has "/path" after the host`,
		"https://a.example?x":      `has "?x"`,
		"https://a.example#f":      `has "#f"`,
		"https://user@a.example":   "userinfo",
		"https://a..example":       "empty label",
		"https://a.example.":       "empty label",
		"https://a.*.example":      "wildcard is only allowed",
		"https://*":                "wildcard is only allowed",
		"https://é.example":        "punycode",
		"https://a b.example":      "contains a space",
		"https://a.example:":       "empty port",
		"https://a.example:x":      `port "x" is not a number`,
		"https://a.example:0":      "without leading zeros",
		"https://a.example:08080":  "without leading zeros",
		"https://a.example:65536":  "out of range",
		"https://a.example:443":    "default port 443",
		"http://a.example:80":      "default port 80",
		"https://256.1.1.1":        "neither a domain name nor an IPv4",
		"https://1.2.3":            "neither a domain name nor an IPv4",
		"https://*.1.2.3.4":        "neither a domain name nor an IPv4",
		"https://[::1":             "unterminated IPv6",
		"https://[::1]x":           `unexpected "x" after IPv6`,
		"https://[1.2.3.4]":        "not a valid IPv6",
		"https://[fe80::1%25eth0]": "zones are not allowed",
		"https://[FE80::1]":        "must be lowercase",
		"https://" + strings.Repeat("a", 64) + ".example":  "longer than 63",
		"https://" + strings.Repeat("a.", 127) + "example": "longer than 253",
		"'self'": "without quotes",
		"none":   "empty allowlist",
	}
	for _, o := range good {
		if err := ValidateOrigin(o); err != nil {
			t.Errorf("ValidateOrigin(%q) = %v, want nil", o, err)
		}
	}
	for o, want := range bad {
		err := ValidateOrigin(o)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateOrigin(%q) = %v, want error containing %q", o, err, want)
		}
	}
}

func TestSetGetRemove(t *testing.T) {
	var p Policy
	p.Set("camera")
	p.Set("geolocation", "self")
	allow := []string{"self", "https://a.example"}
	p.Set("camera", allow...)
	allow[0] = "mutated"
	if got := p.String(); got != `camera=(self "https://a.example"), geolocation=(self)` {
		t.Fatalf("after Set: %q", got)
	}
	got, ok := p.Get("camera")
	if !ok || !slices.Equal(got, []string{"self", "https://a.example"}) {
		t.Fatalf("Get(camera) = %v, %v", got, ok)
	}
	got[0] = "mutated"
	if again, _ := p.Get("camera"); again[0] != "self" {
		t.Fatal("Get returned an alias of the policy's allowlist")
	}
	if got, ok := p.Get("usb"); ok || got != nil {
		t.Fatalf("Get(usb) = %v, %v; want nil, false", got, ok)
	}
	p.Features[0].ReportTo = "ep"
	p.Set("camera")
	if got := p.String(); got != "camera=();report-to=ep, geolocation=(self)" {
		t.Fatalf("Set must keep position and ReportTo: %q", got)
	}
	p.Features = append(p.Features, feat("camera", "*"))
	if !p.Remove("camera") || p.String() != "geolocation=(self)" {
		t.Fatalf("Remove(camera) left %q", p.String())
	}
	if p.Remove("camera") {
		t.Fatal("Remove of an absent feature reported true")
	}
}

func TestDefault(t *testing.T) {
	p := Default()
	if err := p.Validate(); err != nil {
		t.Fatalf("Default() is invalid: %v", err)
	}
	const want = "accelerometer=(), browsing-topics=(), camera=(), display-capture=(), " +
		"fullscreen=(self), geolocation=(), gyroscope=(), hid=(), idle-detection=(), local-fonts=(), " +
		"magnetometer=(), microphone=(), midi=(), payment=(), serial=(), usb=(), xr-spatial-tracking=()"
	if got := p.String(); got != want {
		t.Fatalf("Default().String() =\n%s\nwant\n%s", got, want)
	}
	for _, f := range p.Features {
		if !Known(f.Name) {
			t.Errorf("Default() uses unknown feature %q", f.Name)
		}
		if len(f.Allow) != 0 && f.Name != "fullscreen" {
			t.Errorf("Default() allows %q: %v", f.Name, f.Allow)
		}
	}
	p.Set("camera", Self)
	if s := Default().String(); s != want {
		t.Fatal("Default() shares state between calls")
	}
}

func TestKnownFeatures(t *testing.T) {
	if !slices.IsSorted(KnownFeatures) {
		t.Fatal("KnownFeatures is not sorted; Known relies on binary search")
	}
	for i, name := range KnownFeatures {
		if !isKey(name) {
			t.Errorf("KnownFeatures[%d] = %q is not an sf-key", i, name)
		}
		if i > 0 && KnownFeatures[i-1] == name {
			t.Errorf("KnownFeatures lists %q twice", name)
		}
	}
	for _, name := range []string{"camera", "xr-spatial-tracking", "accelerometer"} {
		if !Known(name) {
			t.Errorf("Known(%q) = false", name)
		}
	}
	for name := range ObsoleteFeatures {
		if Known(name) {
			t.Errorf("%q is both known and obsolete", name)
		}
	}
	if Known("interest-cohort") || Known("Camera") || Known("") {
		t.Error("Known accepts a name it should not")
	}
}
