package setcookie

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

var full = Policy{Secure: true, HTTPOnly: true, SameSite: "Lax", HostPath: true}

const all3 = "; Secure; HttpOnly; SameSite=Lax"

var (
	longName  = strings.Repeat("n", 4000)
	longValue = strings.Repeat("v", 200)
	manyAttrs = "a=b" + strings.Repeat("; X-Attr=some-long-value", 1000)
)

func TestHarden(t *testing.T) {
	tests := []struct {
		name string
		line string
		p    Policy
		want string // "" means: unchanged
		res  Result
	}{
		// Additions and already-hardened lines.
		{"bare cookie", "a=b", full, "a=b" + all3, AddedSecure | AddedHTTPOnly | AddedSameSite},
		{"already hardened", "a=b; Secure; HttpOnly; SameSite=Lax", full, "", 0},
		{"lower case attrs", "a=b; secure; httponly; samesite=lax", full, "", 0},
		{"no spaces", "a=b;Secure;HttpOnly;SameSite=Strict", full, "", 0},
		{"odd spacing and case", "a=b; SECURE ;HTTPONLY ; SameSite = None", full, "", 0},
		{"spaces around =", "a=b; samesite = lax", full, "a=b; samesite = lax; Secure; HttpOnly", AddedSecure | AddedHTTPOnly},
		{"tab separators", "a=b;\tSecure\t;\tPath=/", full, "a=b;\tSecure\t;\tPath=/; HttpOnly; SameSite=Lax", AddedHTTPOnly | AddedSameSite},
		{"leading whitespace", "  a=b", full, "  a=b" + all3, AddedSecure | AddedHTTPOnly | AddedSameSite},
		{"zero policy", "a=b", Policy{}, "", 0},
		{"only secure", "a=b; Path=/", Policy{Secure: true}, "a=b; Path=/; Secure", AddedSecure},
		{"policy samesite lower case", "a=b", Policy{SameSite: "strict"}, "a=b; SameSite=Strict", AddedSameSite},
		{"policy samesite invalid adds nothing", "a=b", Policy{SameSite: "bogus"}, "", 0},
		{"secure with value counts", "a=b; Secure=false; HttpOnly", full, "a=b; Secure=false; HttpOnly; SameSite=Lax", AddedSameSite},

		// Existing attributes are never changed.
		{"samesite none kept", "a=b; SameSite=None", full, "a=b; SameSite=None; Secure; HttpOnly", AddedSecure | AddedHTTPOnly},
		{"samesite strict kept", "a=b; SameSite=Strict; Secure", full, "a=b; SameSite=Strict; Secure; HttpOnly", AddedHTTPOnly},
		{"samesite none without secure", "a=b; SameSite=None", Policy{SameSite: "Lax"}, "", SameSiteNoneWithoutSecure},
		{"policy none without secure", "a=b", Policy{SameSite: "None"}, "a=b; SameSite=None", AddedSameSite | SameSiteNoneWithoutSecure},
		{"samesite invalid overridden", "a=b; SameSite=Bogus", full, "a=b; SameSite=Bogus" + all3, AddedSecure | AddedHTTPOnly | AddedSameSite | SameSiteInvalid},
		{"bare samesite", "a=b; SameSite; Secure; HttpOnly", full, "a=b; SameSite; Secure; HttpOnly; SameSite=Lax", AddedSameSite | SameSiteInvalid},

		// Text that only looks like an attribute.
		{"path and domain values", "a=b; Path=/secure; Domain=httponly.example", full, "a=b; Path=/secure; Domain=httponly.example" + all3, AddedSecure | AddedHTTPOnly | AddedSameSite},
		{"cookie named secure", "secure=httponly; Path=/", full, "secure=httponly; Path=/" + all3, AddedSecure | AddedHTTPOnly | AddedSameSite},
		{"value secure", "a=secure", full, "a=secure" + all3, AddedSecure | AddedHTTPOnly | AddedSameSite},
		{"lookalike attribute names", "a=b; NotSecure; xhttponly; SameSiteX=Lax", full, "a=b; NotSecure; xhttponly; SameSiteX=Lax" + all3, AddedSecure | AddedHTTPOnly | AddedSameSite},
		{"empty attribute name", "a=b; =Secure", full, "a=b; =Secure" + all3, AddedSecure | AddedHTTPOnly | AddedSameSite},

		// Values.
		{"quoted value", `a="x y"; Path=/`, full, `a="x y"; Path=/` + all3, AddedSecure | AddedHTTPOnly | AddedSameSite},
		{"quoted value with =", `a="b=c"`, full, `a="b=c"` + all3, AddedSecure | AddedHTTPOnly | AddedSameSite},
		{"value with =", "a=b=c==", full, "a=b=c==" + all3, AddedSecure | AddedHTTPOnly | AddedSameSite},
		{"empty value", "a=", full, "a=" + all3, AddedSecure | AddedHTTPOnly | AddedSameSite},
		{"expires with comma", "a=b; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0", Policy{Secure: true}, "a=b; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure", AddedSecure},
		{"utf-8 value", "a=é", Policy{Secure: true}, "a=é; Secure", AddedSecure},

		// Trailing separators are reused.
		{"trailing semicolon", "a=b;", full, "a=b; Secure; HttpOnly; SameSite=Lax", AddedSecure | AddedHTTPOnly | AddedSameSite},
		{"trailing semicolon space", "a=b; ", full, "a=b; Secure; HttpOnly; SameSite=Lax", AddedSecure | AddedHTTPOnly | AddedSameSite},
		{"trailing space semicolon tab", "a=b ;\t", Policy{Secure: true}, "a=b ;\tSecure", AddedSecure},
		{"double semicolon", "a=b;;", Policy{Secure: true}, "a=b;; Secure", AddedSecure},
		{"trailing space only", "a=b ", Policy{Secure: true}, "a=b ; Secure", AddedSecure},

		// Lines browsers ignore are returned unchanged, as Malformed.
		{"empty", "", full, "", Malformed},
		{"blank", "   ", full, "", Malformed},
		{"only attributes", "; Secure", full, "", Malformed},
		{"empty name and value", "=; Path=/", full, "", Malformed},
		{"nameless posing as secure prefix", "__Secure-id", full, "", Malformed},
		{"nameless posing as host prefix", "=__host-id; Path=/", full, "", Malformed},
		{"CRLF injection", "a=b\r\nX-Injected: 1", full, "", Malformed},
		{"LF", "a=b\n", full, "", Malformed},
		{"NUL in value", "a=b\x00c", full, "", Malformed},
		{"DEL in attribute", "a=b; Path=/\x7f", full, "", Malformed},
		{"CR in name", "a\r=b", full, "", Malformed},

		// Lines browsers accept are hardened, and their oddity reported.
		{"nameless", "garbage", full, "garbage" + all3, AddedSecure | AddedHTTPOnly | AddedSameSite | Nameless},
		{"no equals before attributes", "a; Secure", full, "a; Secure; HttpOnly; SameSite=Lax", AddedHTTPOnly | AddedSameSite | Nameless},
		{"empty name", "=b", full, "=b" + all3, AddedSecure | AddedHTTPOnly | AddedSameSite | Nameless},
		{"blank name", " =b; Path=/", Policy{Secure: true}, " =b; Path=/; Secure", AddedSecure | Nameless},
		{"space in name", "a b=c", full, "a b=c" + all3, AddedSecure | AddedHTTPOnly | AddedSameSite | NameInvalid},
		{"separator in name", "a(b)=c", Policy{Secure: true}, "a(b)=c; Secure", AddedSecure | NameInvalid},
		{"utf-8 name", "é=b", Policy{Secure: true}, "é=b; Secure", AddedSecure | NameInvalid},
		{"invalid samesite replaced", "a=1; SameSite=Weird", full, "a=1; SameSite=Weird" + all3, AddedSecure | AddedHTTPOnly | AddedSameSite | SameSiteInvalid},
		{"invalid samesite reported", "a=1; SameSite=Weird; Secure", Policy{}, "", SameSiteInvalid},

		// Prefixes.
		{"secure prefix fixed", "__Secure-id=1", full, "__Secure-id=1" + all3, AddedSecure | AddedHTTPOnly | AddedSameSite},
		{"secure prefix violation", "__Secure-id=1", Policy{HTTPOnly: true}, "__Secure-id=1; HttpOnly", AddedHTTPOnly | PrefixSecureViolation},
		{"secure prefix any case", "__SECURE-id=1", Policy{}, "", PrefixSecureViolation},
		{"host prefix gets path", "__Host-id=1", full, "__Host-id=1" + all3 + "; Path=/", AddedSecure | AddedHTTPOnly | AddedSameSite | AddedPath},
		{"host prefix with path", "__Host-id=1; Path=/", full, "__Host-id=1; Path=/" + all3, AddedSecure | AddedHTTPOnly | AddedSameSite},
		{"host prefix with domain", "__Host-id=1; Domain=example.com; Path=/", full, "__Host-id=1; Domain=example.com; Path=/" + all3, AddedSecure | AddedHTTPOnly | AddedSameSite | PrefixHostViolation},
		{"host prefix other path", "__Host-id=1; Path=/app", full, "__Host-id=1; Path=/app" + all3, AddedSecure | AddedHTTPOnly | AddedSameSite | PrefixHostViolation},
		{"host prefix no HostPath", "__Host-id=1", Policy{Secure: true}, "__Host-id=1; Secure", AddedSecure | PrefixHostViolation},
		{"host prefix not secure", "__host-id=1; Path=/", Policy{}, "", PrefixHostViolation},
		{"host prefix valid", "__Host-id=1; Secure; Path=/", Policy{}, "", 0},
		{"host prefix path only", "__Host-id=1; Secure", Policy{HostPath: true}, "__Host-id=1; Secure; Path=/", AddedPath},
		{"HostPath ignores other cookies", "a=b", Policy{HostPath: true}, "", 0},

		// Other problems.
		{"duplicate secure", "a=b; Secure; secure", full, "a=b; Secure; secure; HttpOnly; SameSite=Lax", AddedHTTPOnly | AddedSameSite | DuplicateAttribute},
		{"duplicate path", "a=b; Path=/; Path=/x; Secure", Policy{}, "", DuplicateAttribute},
		{"last samesite wins", "a=b; SameSite=Lax; SameSite=None", Policy{}, "", DuplicateAttribute | SameSiteNoneWithoutSecure},
		{"partitioned without secure", "a=b; Partitioned", Policy{}, "", PartitionedWithoutSecure},
		{"partitioned fixed", "a=b; Partitioned", Policy{Secure: true}, "a=b; Partitioned; Secure", AddedSecure},

		// Long lines.
		{"oversize", longName + "=" + longValue, Policy{Secure: true}, longName + "=" + longValue + "; Secure", AddedSecure | Oversize},
		{"many attributes", manyAttrs, full, manyAttrs + all3, AddedSecure | AddedHTTPOnly | AddedSameSite},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		if seen[tt.name] {
			t.Fatalf("duplicate test name %q", tt.name)
		}
		seen[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == "" {
				want = tt.line
			}
			got, res := Harden(tt.line, tt.p)
			if got != want || res != tt.res {
				t.Errorf("Harden(%q, %+v)\n got %q, %v\nwant %q, %v", tt.line, tt.p, got, res, want, tt.res)
			}
			if again, res2 := Harden(got, tt.p); again != got || res2&Added != 0 {
				t.Errorf("not idempotent: Harden(%q) = %q, %v", got, again, res2)
			}
			if tt.p == (Policy{}) {
				if r := Check(tt.line); r != tt.res {
					t.Errorf("Check(%q) = %v, want %v", tt.line, r, tt.res)
				}
			}
		})
	}
}

func TestName(t *testing.T) {
	tests := []struct{ line, want string }{
		{"a=b", "a"},
		{"  sid = 123 ; Secure", "sid"},
		{"__Host-id=1; Path=/", "__Host-id"},
		{"a=b=c", "a"},
		{"a=b; Path=/\r\n", "a"}, // only the pair is examined
		{"", ""},
		{"a", ""},
		{"a; b=c", ""},
		{"=b", ""},
		{"a b=c", "a b"},
		{"\x00=b", "\x00"},
	}
	for _, tt := range tests {
		if got := Name(tt.line); got != tt.want {
			t.Errorf("Name(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

func TestPolicyValidate(t *testing.T) {
	for _, ok := range []string{"", "Lax", "strict", "NONE"} {
		if err := (Policy{SameSite: ok}).Validate(); err != nil {
			t.Errorf("SameSite %q: unexpected error %v", ok, err)
		}
	}
	err := Policy{SameSite: "Laxx\n"}.Validate()
	var pe *PolicyError
	if !errors.As(err, &pe) || pe.SameSite != "Laxx\n" {
		t.Fatalf("Validate() = %v, want *PolicyError", err)
	}
	if want := `setcookie: policy SameSite "Laxx\x0a" is not "", "Strict", "Lax" or "None"`; err.Error() != want {
		t.Errorf("message = %s\nwant      %s", err, want)
	}
}

func TestResultString(t *testing.T) {
	tests := []struct {
		r    Result
		want string
	}{
		{0, "0"},
		{AddedSecure, "AddedSecure"},
		{AddedSecure | Oversize, "AddedSecure|Oversize"},
		{Malformed | 1<<20, "Malformed|0x100000"},
		{1 << 31, "0x80000000"},
	}
	for _, tt := range tests {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("Result(%#x).String() = %q, want %q", uint32(tt.r), got, tt.want)
		}
	}
	r := AddedSecure | PrefixHostViolation
	if !r.Has(AddedSecure) || r.Has(AddedSecure|AddedPath) || !r.Changed() || !r.Problem() {
		t.Errorf("Has/Changed/Problem wrong for %v", r)
	}
	if Result(0).Changed() || Result(0).Problem() || DuplicateAttribute.Changed() {
		t.Error("Changed/Problem true for a result without such flags")
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		line string
		want Cookie
	}{
		{"a=b", Cookie{Name: "a", Value: "b"}},
		{` sid = "x=y" ; Secure; HTTPONLY; samesite = strict ; Path=/app; Domain=.Example.com`, Cookie{
			Name: "sid", Value: "x=y", Quoted: true, Secure: true, HTTPOnly: true,
			SameSite: "Strict", HasSameSite: true, Path: "/app", HasPath: true, Domain: ".Example.com", HasDomain: true,
			Attrs: []Attr{{"Secure", ""}, {"HTTPONLY", ""}, {"samesite", "strict"}, {"Path", "/app"}, {"Domain", ".Example.com"}},
		}},
		{"a=; Max-Age=-5; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Partitioned", Cookie{
			Name: "a", MaxAge: -5, HasMaxAge: true, Expires: "Thu, 01 Jan 1970 00:00:00 GMT", Partitioned: true,
			Attrs: []Attr{{"Max-Age", "-5"}, {"Expires", "Thu, 01 Jan 1970 00:00:00 GMT"}, {"Partitioned", ""}},
		}},
		{"a=b; Max-Age=+5", Cookie{Name: "a", Value: "b", Attrs: []Attr{{"Max-Age", "+5"}}}},
		{"a=b; Max-Age=", Cookie{Name: "a", Value: "b", Attrs: []Attr{{"Max-Age", ""}}}},
		{"a=b; Max-Age=99999999999999999999999", Cookie{Name: "a", Value: "b", MaxAge: int(^uint(0) >> 1), HasMaxAge: true, Attrs: []Attr{{"Max-Age", "99999999999999999999999"}}}},
		{"a=b; Max-Age=10; Max-Age=x", Cookie{Name: "a", Value: "b", MaxAge: 10, HasMaxAge: true, Attrs: []Attr{{"Max-Age", "10"}, {"Max-Age", "x"}}}},
		{"a=b; SameSite=Lax; SameSite=weird", Cookie{Name: "a", Value: "b", SameSite: "weird", HasSameSite: true, Attrs: []Attr{{"SameSite", "Lax"}, {"SameSite", "weird"}}}},
		{"a=b; SameSite", Cookie{Name: "a", Value: "b", HasSameSite: true, Attrs: []Attr{{"SameSite", ""}}}},
		{"a=b;; ;Path=;Foo=Bar=Baz;", Cookie{Name: "a", Value: "b", HasPath: true, Attrs: []Attr{{"Path", ""}, {"Foo", "Bar=Baz"}}}},
		{`a="`, Cookie{Name: "a", Value: `"`}},
		{`a=""`, Cookie{Name: "a", Value: "", Quoted: true}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.line)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.line, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.line, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		line   string
		offset int
		msg    string
	}{
		{"", 0, "no name and no value"},
		{" =; Secure", 2, "no name and no value"},
		{"__Host-x; Secure", 8, "nameless cookie"},
		{"a=b\r\nSet-Cookie: x=y", 3, "control character 0x0d"},
		{"a=b; Path=/\x00", 11, "control character 0x00"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.line)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) error = %v, want *ParseError", tt.line, err)
			continue
		}
		if pe.Offset != tt.offset || !strings.Contains(pe.Error(), tt.msg) {
			t.Errorf("Parse(%q) = %v (offset %d), want offset %d and %q", tt.line, err, pe.Offset, tt.offset, tt.msg)
		}
		if _, r := Harden(tt.line, full); r != Malformed {
			t.Errorf("Harden(%q) result %v, want Malformed like Parse", tt.line, r)
		}
	}
}

func TestAllocations(t *testing.T) {
	tests := []struct {
		line   string
		p      Policy
		allocs float64
	}{
		{"sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax", full, 0},
		{"garbage", Policy{}, 0},
		{"a=b; SameSite=Bogus; Secure; HttpOnly; Domain=x; Path=/; Path=/", Policy{Secure: true, HTTPOnly: true}, 0},
		{"sid=abc; Path=/", full, 1},
		{"__Host-sid=abc", full, 1},
		{manyAttrs, full, 1},
	}
	for _, tt := range tests {
		got := testing.AllocsPerRun(100, func() { Harden(tt.line, tt.p) })
		if got != tt.allocs {
			t.Errorf("Harden(%.40q) allocates %v times, want %v", tt.line, got, tt.allocs)
		}
	}
	if got := testing.AllocsPerRun(100, func() { Name("  sid = 1; Secure") }); got != 0 {
		t.Errorf("Name allocates %v times, want 0", got)
	}
	if got := testing.AllocsPerRun(100, func() { Check("__Host-a=1; Domain=x") }); got != 0 {
		t.Errorf("Check allocates %v times, want 0", got)
	}
}

var sink string

func BenchmarkHarden(b *testing.B) {
	cases := []struct {
		name string
		line string
	}{
		{"unchanged", "sessionid=8f14e45fceea167a5a36dedd4bea2543; Path=/; Max-Age=1209600; Secure; HttpOnly; SameSite=Lax"},
		{"add-all", "sessionid=8f14e45fceea167a5a36dedd4bea2543; Path=/; Max-Age=1209600"},
		{"add-secure", "csrftoken=Qe2Q4K1iYjJ3; Path=/; SameSite=Strict; HttpOnly"},
		{"host-prefix", "__Host-sid=8f14e45fceea167a5a36dedd4bea2543"},
		{"malformed", "this is not a cookie"},
		{"long-1000-attrs", manyAttrs},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.line)))
			for b.Loop() {
				sink, _ = Harden(c.line, full)
			}
		})
	}
}
