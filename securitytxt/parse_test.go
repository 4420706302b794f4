package securitytxt

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// at is a problem reduced to what tables compare: line and code.
type at struct {
	Line int
	Code string
}

func (a at) String() string { return fmt.Sprintf("%d:%s", a.Line, a.Code) }

func codes(ps []Problem, drop ...string) []at {
	out := []at{}
	for _, p := range ps {
		if !slices.Contains(drop, p.Code) {
			out = append(out, at{p.Line, p.Code})
		}
	}
	return out
}

func expect(t *testing.T, got []Problem, want []at, drop ...string) {
	t.Helper()
	if g := codes(got, drop...); !slices.Equal(g, want) {
		t.Errorf("problems = %v, want %v", g, want)
		for _, p := range got {
			t.Logf("  %s", p)
		}
	}
}

const sigBlock = "-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCAAdFiEE\n=abcd\n-----END PGP SIGNATURE-----\n"

// parseCases lists inputs and the exact problems Parse reports for them.
var parseCases = []struct {
	name string
	in   string
	want []at
}{
	{"valid", "Contact: mailto:a@example.com\nExpires: 2030-01-01T00:00:00Z\n", nil},
	{"blank and comments", "\n# hi\n\n#\nContact: x\n", nil},
	{"crlf", "Contact: x\r\nExpires: 2030-01-01T00:00:00Z\r\n", nil},
	{"no final newline", "Contact: x", nil},
	{"trailing whitespace ok", "Contact: x \t\n", nil},
	{"unknown field kept", "Foo-Bar: baz\nCSAF: https://example.com/p.json\n", nil},
	{"empty extension ok", "X-Empty:\n", nil},
	{"too large", "Contact: x\n" + strings.Repeat("#"+strings.Repeat("a", 99)+"\n", 700), []at{{0, CodeTooLarge}}},
	{"bom", "\xEF\xBB\xBFContact: x\n", []at{{1, CodeBOM}}},
	{"not utf8", "Contact: x\nPolicy: https://e.com/\xff\n", []at{{2, CodeNotUTF8}}},
	{"latin1 comment", "# caf\xe9\n", []at{{1, CodeNotUTF8}}},
	{"nul byte", "Contact: mailto:a\x00b\n", []at{{1, CodeControlChar}}},
	{"bare cr", "Contact: a\rExpires: 2030-01-01T00:00:00Z\n", []at{{1, CodeControlChar}}},
	{"escape char", "# \x1b[31m\n", []at{{1, CodeControlChar}}},
	{"no colon", "Contact mailto:a@example.com\n", []at{{1, CodeLineInvalid}}},
	{"space in name", "Con tact: x\n", []at{{1, CodeLineInvalid}}},
	{"empty name", ": x\n", []at{{1, CodeLineInvalid}}},
	{"non-ascii name", "Cöntact: x\n", []at{{1, CodeLineInvalid}}},
	{"leading whitespace", "  Contact: x\n", []at{{1, CodeWhitespace}}},
	{"indented comment", "\t# c\n", []at{{1, CodeWhitespace}}},
	{"space before colon", "Contact : x\n", []at{{1, CodeWhitespace}}},
	{"space missing", "Contact:mailto:a@example.com\n", []at{{1, CodeSpaceMissing}}},
	{"tab instead of space", "Contact:\tx\n", []at{{1, CodeSpaceMissing}}},
	{"value empty", "Contact:\nPolicy:   \n", []at{{1, CodeValueEmpty}, {2, CodeValueEmpty}}},
	{"expires empty", "Expires:\n", []at{{1, CodeValueEmpty}}},
	{"expires date only", "Expires: 2030-01-01\n", []at{{1, CodeExpiresInvalid}}},
	{"expires rfc1123", "Expires: Tue, 01 Jan 2030 00:00:00 GMT\n", []at{{1, CodeExpiresInvalid}}},
	{"expires space separator", "Expires: 2030-01-01 00:00:00Z\n", []at{{1, CodeExpiresInvalid}}},
	{"expires bad month", "Expires: 2030-13-01T00:00:00Z\n", []at{{1, CodeExpiresInvalid}}},
	{"expires no zone", "Expires: 2030-01-01T00:00:00\n", []at{{1, CodeExpiresInvalid}}},
	{"expires comma fraction", "Expires: 2030-01-01T00:00:00,5Z\n", []at{{1, CodeExpiresInvalid}}},
	{"expires before year 0 in UTC", "Expires: 0000-01-01T00:00:00+01:00\n", []at{{1, CodeExpiresInvalid}}},
	{"expires after year 9999 in UTC", "Expires: 9999-12-31T23:00:00-02:00\n", []at{{1, CodeExpiresInvalid}}},
	{"expires zero time", "Expires: 0001-01-01T00:00:00Z\n", []at{{1, CodeExpiresInvalid}}},
	{"expires lowercase ok", "Expires: 2021-12-31t18:37:07z\n", nil},
	{"expires offset ok", "Expires: 2030-01-01T02:00:00.25+02:00\n", nil},
	{"expires duplicate", "Expires: 2030-01-01T00:00:00Z\nexpires: 2031-01-01T00:00:00Z\n", []at{{2, CodeExpiresDuplicate}}},
	{"lang duplicate", "Preferred-Languages: en\nPreferred-Languages: fr\n", []at{{2, CodeLangDuplicate}}},
	{"signed ok", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nContact: x\n" + sigBlock, nil},
	{"signed no blank after headers", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n", []at{{1, CodeSignatureMalformed}}},
	{"signed bad header", "-----BEGIN PGP SIGNED MESSAGE-----\nnot a header\n\nContact: x\n" + sigBlock, []at{{2, CodeSignatureMalformed}}},
	{"signed no signature", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nContact: x\n", []at{{1, CodeSignatureMalformed}}},
	{"signed no end", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nContact: x\n-----BEGIN PGP SIGNATURE-----\nabc\n", []at{{5, CodeSignatureMalformed}}},
	{"signed unescaped dash", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n-Contact: x\n" + sigBlock, []at{{4, CodeSignatureMalformed}}},
	{"text before signed", "Contact: mailto:evil@example.com\n-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nContact: x\n" + sigBlock, []at{{1, CodeSignatureMalformed}}},
	{"text after signed", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nContact: x\n" + sigBlock + "\nContact: mailto:evil@example.com\n", []at{{11, CodeSignatureMalformed}}},
	{"stray signature block", "Contact: x\n" + sigBlock, []at{{2, CodeSignatureMalformed}}},
	{"stray end line", "Contact: x\n-----END PGP SIGNATURE-----\n", []at{{2, CodeSignatureMalformed}}},
	{"several problems in order", "bad\n\xff\nContact:x\n", []at{{1, CodeLineInvalid}, {2, CodeNotUTF8}, {3, CodeSpaceMissing}}},
}

func TestParseProblems(t *testing.T) {
	for _, tt := range parseCases {
		t.Run(tt.name, func(t *testing.T) {
			f, ps := Parse([]byte(tt.in))
			if f == nil {
				t.Fatal("Parse returned nil File")
			}
			expect(t, ps, tt.want)
		})
	}
}

func TestParseContent(t *testing.T) {
	in := "# Our security address\r\n" +
		"CONTACT: mailto:security@example.com\r\n" +
		"contact: tel:+1-201-555-0123\r\n" +
		"\r\n" +
		"Encryption: https://example.com/pgp-key.txt\r\n" +
		"Acknowledgments: https://example.com/hall-of-fame.html\r\n" +
		"Policy: https://example.com/policy.html\r\n" +
		"Hiring: https://example.com/jobs.html\r\n" +
		"Canonical: https://example.com/.well-known/security.txt\r\n" +
		"Preferred-Languages: en,  es ,de-CH\r\n" +
		"X-Thing: some value: with colon\r\n" +
		"#  indented comment text\r\n" +
		"Expires: 2021-12-31T18:37:07.5+01:00\r\n"
	f, ps := Parse([]byte(in))
	expect(t, ps, nil)
	want := &File{
		Contact:            []string{"mailto:security@example.com", "tel:+1-201-555-0123"},
		Encryption:         []string{"https://example.com/pgp-key.txt"},
		Acknowledgments:    []string{"https://example.com/hall-of-fame.html"},
		Policy:             []string{"https://example.com/policy.html"},
		Hiring:             []string{"https://example.com/jobs.html"},
		Canonical:          []string{"https://example.com/.well-known/security.txt"},
		PreferredLanguages: []string{"en", "es", "de-CH"},
		Expires:            time.Date(2021, 12, 31, 17, 37, 7, 5e8, time.UTC),
		Extensions:         []Field{{Name: "X-Thing", Value: "some value: with colon", Line: 11}},
		Comments:           []string{"Our security address", " indented comment text"},
	}
	if d := diffFiles(f, want, true); d != "" {
		t.Errorf("Parse mismatch: %s", d)
	}
	if f.Signed {
		t.Error("unsigned file reported as Signed")
	}
}

func TestParseSigned(t *testing.T) {
	in := "-----BEGIN PGP SIGNED MESSAGE-----\n" +
		"Hash: SHA256\n" +
		"\n" +
		"# Canonical URI\n" +
		"Canonical: https://example.com/.well-known/security.txt\n" +
		"Contact: mailto:security@example.com\n" +
		"- -----not a marker\n" +
		"Expires: 2030-01-01T00:00:00Z\n" +
		"-----BEGIN PGP SIGNATURE-----\n" +
		"Version: GnuPG v2.2\n" +
		"\n" +
		"iQIzBAEBCAAdFiEEDxLw\n" +
		"Contact: mailto:inside-signature@example.com\n" +
		"=i+ad\n" +
		"-----END PGP SIGNATURE-----\n"
	f, ps := Parse([]byte(in))
	expect(t, ps, []at{{7, CodeLineInvalid}}) // the unescaped "-----not a marker" line
	if !f.Signed {
		t.Error("Signed = false, want true")
	}
	want := &File{
		Canonical: []string{"https://example.com/.well-known/security.txt"},
		Contact:   []string{"mailto:security@example.com"},
		Expires:   time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		Comments:  []string{"Canonical URI"},
	}
	if d := diffFiles(f, want, true); d != "" {
		t.Errorf("Parse mismatch: %s", d)
	}
	if got := f.line(FieldContact, 0); got != 6 {
		t.Errorf("Contact line = %d, want 6", got)
	}
}

func TestParseKeepsFirstDuplicate(t *testing.T) {
	f, _ := Parse([]byte("Expires: 2030-01-01T00:00:00Z\nExpires: 2031-01-01T00:00:00Z\nPreferred-Languages: en\nPreferred-Languages: fr\n"))
	if f.Expires.Year() != 2030 || !slices.Equal(f.PreferredLanguages, []string{"en"}) {
		t.Errorf("got Expires %v, languages %v; want the first occurrences", f.Expires, f.PreferredLanguages)
	}
}

func TestParseTooLargeKeepsPrefix(t *testing.T) {
	in := "Contact: mailto:a@example.com\n" + strings.Repeat("# padding\n", MaxSize/10) + "Contact: mailto:late@example.com\n"
	f, ps := Parse([]byte(in))
	expect(t, ps, []at{{0, CodeTooLarge}})
	if !slices.Equal(f.Contact, []string{"mailto:a@example.com"}) {
		t.Errorf("Contact = %v, want only the field before the cap", f.Contact)
	}
}

// diffFiles describes how a and b differ in content, or returns "". It
// ignores Signed, and Extension line numbers unless withLines is set.
func diffFiles(a, b *File, withLines bool) string {
	var d []string
	cmp := func(name string, x, y []string) {
		if !slices.Equal(x, y) {
			d = append(d, fmt.Sprintf("%s: %q != %q", name, x, y))
		}
	}
	cmp("Contact", a.Contact, b.Contact)
	cmp("Encryption", a.Encryption, b.Encryption)
	cmp("Acknowledgments", a.Acknowledgments, b.Acknowledgments)
	cmp("Policy", a.Policy, b.Policy)
	cmp("Hiring", a.Hiring, b.Hiring)
	cmp("Canonical", a.Canonical, b.Canonical)
	cmp("PreferredLanguages", a.PreferredLanguages, b.PreferredLanguages)
	cmp("Comments", a.Comments, b.Comments)
	if !a.Expires.Equal(b.Expires) {
		d = append(d, fmt.Sprintf("Expires: %v != %v", a.Expires, b.Expires))
	}
	if !slices.EqualFunc(a.Extensions, b.Extensions, func(x, y Field) bool {
		return x.Name == y.Name && x.Value == y.Value && (!withLines || x.Line == y.Line)
	}) {
		d = append(d, fmt.Sprintf("Extensions: %+v != %+v", a.Extensions, b.Extensions))
	}
	return strings.Join(d, "; ")
}
