package setcookie

import (
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/grammar"
)

// policyFromBits builds the Policy a fuzz input selects.
func policyFromBits(bits uint8) Policy {
	sameSites := [...]string{"", "Lax", "Strict", "None", "lax", "bogus"}
	return Policy{
		Secure:   bits&1 != 0,
		HTTPOnly: bits&2 != 0,
		HostPath: bits&4 != 0,
		SameSite: sameSites[int(bits>>3)%len(sameSites)],
	}
}

// segmentRef is the obvious byte-at-a-time version of segment.
func segmentRef(s string, start int) (end, eq int, ctl bool) {
	eq = -1
	for i := start; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ';':
			return i, eq, ctl
		case c == '=' && eq < 0:
			eq = i
		case c < 0x20 && c != '\t' || c == 0x7f:
			ctl = true
		}
	}
	return len(s), eq, ctl
}

// wantProblems recomputes the problem flags of a hardened line from Parse,
// independently of the scanner Harden uses.
func wantProblems(c Cookie) Result {
	var r Result
	count := map[attrKind]int{}
	hasDomain := false
	for _, a := range c.Attrs {
		k := classify(a.Name)
		count[k]++
		if k != 0 && count[k] > 1 {
			r |= DuplicateAttribute
		}
		hasDomain = hasDomain || k == attrDomain
	}
	if c.HasSameSite && canonicalSameSite(c.SameSite) == "" {
		r |= SameSiteInvalid
	}
	if c.SameSite == "None" && !c.Secure {
		r |= SameSiteNoneWithoutSecure
	}
	if strings.HasPrefix(strings.ToLower(c.Name), "__secure-") && !c.Secure {
		r |= PrefixSecureViolation
	}
	if strings.HasPrefix(strings.ToLower(c.Name), "__host-") && (!c.Secure || hasDomain || c.Path != "/") {
		r |= PrefixHostViolation
	}
	if c.Partitioned && !c.Secure {
		r |= PartitionedWithoutSecure
	}
	switch {
	case c.Name == "":
		r |= Nameless
	case !grammar.IsToken(c.Name):
		r |= NameInvalid
	}
	value := c.Value
	if c.Quoted {
		value = `""` + value
	}
	if len(c.Name)+len(value) > MaxNameValueSize {
		r |= Oversize
	}
	return r
}

func FuzzHarden(f *testing.F) {
	seeds := []string{
		"a=b",
		"sessionid=abc; Path=/; Max-Age=1209600; Secure; HttpOnly; SameSite=Lax",
		"a=b; secure; httponly; samesite=lax",
		"a=b;Secure;HttpOnly;SameSite=Strict",
		"a=b; SECURE ;HTTPONLY ; SameSite = None",
		"a=b; SameSite=None",
		"a=b; SameSite=Bogus",
		"a=b; SameSite",
		"a=b; Path=/secure; Domain=httponly.example",
		"secure=httponly",
		`a="x y"; Path=/`,
		"a=b=c==",
		"a=b;",
		"a=b; ",
		"a=b ;\t",
		"a=b;;",
		"",
		"   ",
		"garbage",
		"a; Secure",
		"=b",
		"a b=c",
		"é=b",
		"a=b\r\nX-Injected: 1",
		"a=b\x00",
		"a=b; Path=/\x7f",
		"__Secure-id=1",
		"__Host-id=1",
		"__Host-id=1; Domain=example.com; Path=/",
		"__Host-id=1; Path=/app",
		"__host-ID=1; secure; path=/",
		"a=b; Secure; secure",
		"a=b; SameSite=Lax; SameSite=None",
		"a=b; Partitioned",
		"a=b; Max-Age=-1; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
		"a=b; Max-Age=99999999999999999999999",
		"a=b; =Secure; Secure=no",
		"a=\tb\t;\tSecure\t",
		"x=" + strings.Repeat("y", 4100),
	}
	for i, s := range seeds {
		f.Add(s, uint8(i*7))
	}
	f.Fuzz(func(t *testing.T, line string, bits uint8) {
		p := policyFromBits(bits)
		out, res := Harden(line, p)

		if !strings.HasPrefix(out, line) {
			t.Fatalf("output %q does not start with input %q", out, line)
		}
		if res.Changed() != (out != line) {
			t.Fatalf("result %v disagrees with change %q -> %q", res, line, out)
		}
		again, res2 := Harden(out, p)
		if again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", line, out, again)
		}
		want2 := res &^ Added
		if res.Has(AddedSameSite | SameSiteInvalid) {
			// The hardened line's SameSite is valid, and repeated.
			want2 = want2&^SameSiteInvalid | DuplicateAttribute
		}
		if res2 != want2 {
			t.Fatalf("second pass result %v, want %v", res2, want2)
		}

		name := Name(line)
		if name != "" {
			i := strings.Index(line, name)
			if i < 0 || strings.Trim(line[:i], " \t") != "" {
				t.Fatalf("Name(%q) = %q is not the leading substring", line, name)
			}
		}

		for i := 0; i <= len(line); {
			e1, q1, c1 := segment(line, i)
			e2, q2, c2 := segmentRef(line, i)
			if e1 != e2 || q1 != q2 || c1 != c2 {
				t.Fatalf("segment(%q, %d) = %d,%d,%v; reference %d,%d,%v", line, i, e1, q1, c1, e2, q2, c2)
			}
			i = e1 + 1
		}

		c, err := Parse(out)
		if (err != nil) != (res == Malformed) {
			t.Fatalf("Parse(%q) error %v, but Harden result %v", out, err, res)
		}
		if err != nil {
			if out != line {
				t.Fatalf("malformed line changed: %q -> %q", line, out)
			}
			return
		}
		if c.Name != name {
			t.Fatalf("Parse name %q, Name() %q", c.Name, name)
		}
		if p.Secure && !c.Secure || p.HTTPOnly && !c.HTTPOnly {
			t.Fatalf("policy %+v not applied: %q", p, out)
		}
		if canonicalSameSite(p.SameSite) != "" && !c.HasSameSite {
			t.Fatalf("SameSite %q not applied: %q", p.SameSite, out)
		}
		if p.HostPath && strings.HasPrefix(strings.ToLower(c.Name), "__host-") && !c.HasPath {
			t.Fatalf("Path not added to __Host- cookie: %q", out)
		}
		want := wantProblems(c)
		if res.Has(AddedSameSite | SameSiteInvalid) {
			// The policy's SameSite went after an invalid one: the
			// repetition is Harden's own, the invalid value the line's.
			in, _ := Parse(line)
			want = want&^(DuplicateAttribute|SameSiteNoneWithoutSecure) | wantProblems(in)&DuplicateAttribute | SameSiteInvalid
			if p.SameSite != "" && canonicalSameSite(p.SameSite) == "None" && !c.Secure {
				want |= SameSiteNoneWithoutSecure
			}
		}
		if res&Problems != want {
			t.Fatalf("Harden(%q) problems %v, recomputed from Parse %v", line, res&Problems, want)
		}
	})
}
