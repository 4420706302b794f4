package grammar

import "testing"

func TestIsToken(t *testing.T) {
	for s, want := range map[string]bool{
		"GET": true, "X-Requested-With": true, "!#$%&'*+-.^_`|~09azAZ": true,
		"": false, "a b": false, "a:b": false, "a/b": false, "a\"": false, "é": false, "a\x00": false, "(a)": false,
	} {
		if got := IsToken(s); got != want {
			t.Errorf("IsToken(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestIsScheme(t *testing.T) {
	for s, want := range map[string]bool{
		"https": true, "web+foo": true, "a.b-c": true, "A1": true,
		"": false, "1a": false, "+a": false, "ht tp": false, "http:": false,
	} {
		if got := IsScheme(s); got != want {
			t.Errorf("IsScheme(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestDescribeByte(t *testing.T) {
	for c, want := range map[byte]string{' ': "a space", '\t': "a tab", '\n': "byte 0x0a", 0x7f: "byte 0x7f", 0xc3: "byte 0xc3", ';': "';'"} {
		if got := DescribeByte(c); got != want {
			t.Errorf("DescribeByte(%#x) = %q, want %q", c, got, want)
		}
	}
}
