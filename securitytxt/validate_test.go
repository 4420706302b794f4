package securitytxt

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// validateNow is the clock for validateCases.
var validateNow = time.Date(2029, 6, 1, 0, 0, 0, 0, time.UTC)

const (
	okContact = "Contact: mailto:security@example.com\n"
	okExpires = "Expires: 2030-01-01T00:00:00Z\n"
	okFile    = okContact + okExpires
	fetchURL  = "https://example.com/.well-known/security.txt"
)

func signed(body string) string {
	return "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + body + sigBlock
}

// validateCases lists inputs (text through Check, or a built File through
// Validate) and the exact problems reported. "unsigned" is ignored unless
// wanted.
var validateCases = []struct {
	name string
	in   string
	file *File
	url  string
	want []at
}{
	{name: "valid", in: okFile},
	{name: "valid with all fields", in: okFile +
		"Contact: tel:+1-201-555-0123\nContact: https://example.com/report\n" +
		"Encryption: https://example.com/pgp-key.txt\n" +
		"Encryption: dns:5d2d37ab76d47d36._openpgpkey.example.com?type=OPENPGPKEY\n" +
		"Encryption: openpgp4fpr:5f2de5521c63a801ab59ccb603d49de44b29100f\n" +
		"Policy: https://[2001:db8::1]:8443/policy?x=1#top\n" +
		"Hiring: https://example.com/jobs%20page\n" +
		"Canonical: https://example.com/.well-known/security.txt\n" +
		"Canonical: https://www.example.com/.well-known/security.txt\n" +
		"Preferred-Languages: en, es, zh-Hant-TW\n",
		url: fetchURL},
	{name: "contact missing", in: okExpires, want: []at{{0, CodeContactMissing}}},
	{name: "expires missing", in: okContact, want: []at{{0, CodeExpiresMissing}}},
	{name: "expires invalid is not also missing", in: okContact + "Expires: soon\n", want: []at{{2, CodeExpiresInvalid}}},
	{name: "expired", in: okContact + "Expires: 2029-05-31T23:59:59Z\n", want: []at{{2, CodeExpired}}},
	{name: "expires exactly now", in: okContact + "Expires: 2029-06-01T00:00:00Z\n", want: []at{{2, CodeExpired}}},
	{name: "expires one year ahead ok", in: okContact + "Expires: 2030-06-01T00:00:00Z\n"},
	{name: "expires too far", in: okContact + "Expires: 2030-06-01T00:00:01Z\n", want: []at{{2, CodeExpiresTooFar}}},
	{name: "email without mailto", in: "Contact: security@example.com\n" + okExpires, want: []at{{1, CodeURIInvalid}}},
	{name: "phone without tel", in: "Contact: +1 201 555 0123\n" + okExpires, want: []at{{1, CodeURIInvalid}}},
	{name: "bare host", in: okFile + "Policy: example.com/policy\n", want: []at{{3, CodeURIInvalid}}},
	{name: "space in uri", in: okFile + "Policy: https://example.com/a b\n", want: []at{{3, CodeURIInvalid}}},
	{name: "empty mailto", in: "Contact: mailto:\n" + okExpires, want: []at{{1, CodeURIInvalid}}},
	{name: "https without host", in: okFile + "Policy: https:/policy\n", want: []at{{3, CodeURIInvalid}}},
	{name: "bad percent", in: okFile + "Policy: https://example.com/%zz\n", want: []at{{3, CodeURIInvalid}}},
	{name: "non-ascii uri", in: okFile + "Policy: https://example.com/ünï\n", want: []at{{3, CodeURIInvalid}}},
	{name: "bracket in path", in: okFile + "Policy: https://example.com/[x]\n", want: []at{{3, CodeURIInvalid}}},
	{name: "bad scheme", in: okFile + "Policy: 1https://example.com/\n", want: []at{{3, CodeURIInvalid}}},
	{name: "two fragments", in: okFile + "Policy: https://example.com/#a#b\n", want: []at{{3, CodeURIInvalid}}},
	{name: "bad ipv6 host", in: okFile + "Policy: https://[::1/\n", want: []at{{3, CodeURIInvalid}}},
	{name: "http contact", in: "Contact: http://example.com/report\n" + okExpires, want: []at{{1, CodeURINotHTTPS}}},
	{name: "http fields", in: okFile + "Encryption: http://e.com/k\nPolicy: HTTP://e.com/p\nAcknowledgments: http://e.com/a\nHiring: http://e.com/h\nCanonical: http://e.com/c\n",
		want: []at{{3, CodeURINotHTTPS}, {4, CodeURINotHTTPS}, {5, CodeURINotHTTPS}, {6, CodeURINotHTTPS}, {7, CodeURINotHTTPS}}},
	{name: "unusual schemes", in: okFile + "Contact: xmpp:sec@example.com\nPolicy: ftp://example.com/p\nEncryption: mailto:keys@example.com\n",
		want: []at{{3, CodeURIScheme}, {4, CodeURIScheme}, {5, CodeURIScheme}}},
	{name: "bad language", in: okFile + "Preferred-Languages: en, english_us\n", want: []at{{3, CodeLangInvalid}}},
	{name: "empty language", in: okFile + "Preferred-Languages: en,,fr\n", want: []at{{3, CodeLangInvalid}}},
	{name: "misspelled acknowledgments", in: okFile + "Acknowledgements: https://example.com/thanks\n", want: []at{{3, CodeFieldMisspelled}}},
	{name: "canonical matches loosely", in: okFile + "Canonical: HTTPS://Example.COM:443/.well-known/security.txt#x\n", url: fetchURL},
	{name: "canonical mismatch", in: okFile + "Canonical: https://other.example/.well-known/security.txt\nCanonical: https://example.com/security.txt\n",
		url: fetchURL, want: []at{{3, CodeCanonicalMismatch}}},
	{name: "no canonical no mismatch", in: okFile, url: fetchURL},
	{name: "fetched over http", in: okFile, url: "http://example.com/.well-known/security.txt", want: []at{{0, CodeNotHTTPS}}},
	{name: "legacy path", in: okFile, url: "https://example.com/security.txt", want: []at{{0, CodeLegacyPath}}},
	{name: "bad url option", in: okFile, url: "example.com/.well-known/security.txt", want: []at{{0, CodeURLInvalid}}},
	{name: "unsigned", in: okFile, want: []at{{0, CodeUnsigned}}},
	{name: "signed without canonical", in: signed(okFile), want: []at{{0, CodeCanonicalMissing}}},
	{name: "signed with canonical", in: signed("Canonical: " + fetchURL + "\n" + okFile), url: fetchURL},
	{name: "built value with newline", file: &File{Contact: []string{"mailto:a@example.com\nContact: mailto:evil@example.com"}, Expires: validateNow.Add(time.Hour)},
		want: []at{{0, CodeValueInvalid}}},
	{name: "built bad comment and extension", file: &File{Contact: []string{"mailto:a@example.com"}, Expires: validateNow.Add(time.Hour),
		Comments: []string{"ok", "nul\x00"}, Extensions: []Field{{Name: "X-A", Value: "caf\xe9"}}},
		want: []at{{0, CodeValueInvalid}, {0, CodeValueInvalid}}},
	{name: "built empty value", file: &File{Contact: []string{" "}, Expires: validateNow.Add(time.Hour)}, want: []at{{0, CodeValueEmpty}}},
	{name: "built extension names", file: &File{Contact: []string{"mailto:a@example.com"}, Expires: validateNow.Add(time.Hour),
		Extensions: []Field{{Name: "contact", Value: "mailto:b@example.com"}, {Name: "Bad Name", Value: "x"}, {Name: "", Value: "x"}}},
		want: []at{{0, CodeExtensionInvalid}, {0, CodeExtensionInvalid}, {0, CodeExtensionInvalid}}},
	{name: "built year 10000", file: &File{Contact: []string{"mailto:a@example.com"}, Expires: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		want: []at{{0, CodeExpiresInvalid}}},
	{name: "nil file", want: []at{{0, CodeContactMissing}, {0, CodeExpiresMissing}}},
}

func TestValidate(t *testing.T) {
	for _, tt := range validateCases {
		t.Run(tt.name, func(t *testing.T) {
			o := ValidateOptions{URL: tt.url, Now: validateNow}
			var ps []Problem
			if tt.in != "" {
				_, ps = Check([]byte(tt.in), o)
			} else {
				ps = Validate(tt.file, o)
			}
			var drop []string
			if !slices.Contains(tt.want, at{0, CodeUnsigned}) {
				drop = append(drop, CodeUnsigned)
			}
			expect(t, ps, tt.want, drop...)
			for _, p := range ps {
				if p.Severity < Info || p.Severity > Error || p.Message == "" {
					t.Errorf("malformed problem %#v", p)
				}
			}
		})
	}
}

func TestValidateSeverities(t *testing.T) {
	want := map[string]Severity{
		CodeExpiresTooFar: Warning, CodeURIScheme: Warning, CodeCanonicalMissing: Warning,
		CodeFieldMisspelled: Info, CodeLegacyPath: Info, CodeUnsigned: Info,
		CodeContactMissing: Error, CodeExpired: Error, CodeURINotHTTPS: Error, CodeCanonicalMismatch: Error,
	}
	seen := map[string]bool{}
	for _, tt := range validateCases {
		var ps []Problem
		o := ValidateOptions{URL: tt.url, Now: validateNow}
		if tt.in != "" {
			_, ps = Check([]byte(tt.in), o)
		} else {
			ps = Validate(tt.file, o)
		}
		for _, p := range ps {
			if s, ok := want[p.Code]; ok {
				seen[p.Code] = true
				if p.Severity != s {
					t.Errorf("%s: severity %v, want %v", p.Code, p.Severity, s)
				}
			}
		}
	}
	for c := range want {
		if !seen[c] {
			t.Errorf("no case produced %s", c)
		}
	}
}

func TestValidateDefaultsNow(t *testing.T) {
	f := &File{Contact: []string{"mailto:a@example.com"}, Expires: time.Now().Add(-time.Minute)}
	if ps := Validate(f, ValidateOptions{}); !slices.ContainsFunc(ps, func(p Problem) bool { return p.Code == CodeExpired }) {
		t.Errorf("zero Now did not default to time.Now: %v", ps)
	}
}

func TestValidLangTag(t *testing.T) {
	good := []string{"en", "EN", "de-CH", "zh-Hant-TW", "sr-Latn-RS", "es-419", "de-CH-1996", "sl-rozaj-biske",
		"en-US-x-twain", "x-private", "i-klingon", "EN-gb-OED", "zh-min-nan", "art-lojban", "en-a-bbb-x-a-ccc",
		"ja-JP-u-ca-japanese", "zh-yue-HK", "abcde", "qaa-Qaaa-QM-x-southern"}
	bad := []string{"", "e", "en-", "-en", "en--us", "english_us", "en-US-abcd", "de-x", "en-a", "en-a-b",
		"123", "toolongtag", "en-abcdefghi", "x", "en US", "en,fr", "\u212aa", "en-ü", "zh-Hant-Hans"}
	for _, tag := range good {
		if !validLangTag(tag) {
			t.Errorf("validLangTag(%q) = false, want true", tag)
		}
	}
	for _, tag := range bad {
		if validLangTag(tag) {
			t.Errorf("validLangTag(%q) = true, want false", tag)
		}
	}
}

func TestCheckURIMessages(t *testing.T) {
	tests := []struct{ in, want string }{
		{"security@example.com", `"mailto:security@example.com"`},
		{"+1 (201) 555-0123", "tel:"},
		{"example.com", "no scheme"},
		{"https://exa mple.com", "' ' at byte 11"},
		{"https://example.com/é", "non-ASCII character at byte 20"},
	}
	for _, tt := range tests {
		_, err := checkURI(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("checkURI(%q) error = %v, want it to mention %s", tt.in, err, tt.want)
		}
	}
}

// allCodes must list every Code* constant.
var allCodes = []string{
	CodeTooLarge, CodeBOM, CodeNotUTF8, CodeControlChar, CodeLineInvalid, CodeWhitespace,
	CodeSpaceMissing, CodeValueEmpty, CodeExpiresInvalid, CodeExpiresDuplicate, CodeLangDuplicate,
	CodeSignatureMalformed, CodeContactMissing, CodeExpiresMissing, CodeExpired, CodeExpiresTooFar,
	CodeURIInvalid, CodeURINotHTTPS, CodeURIScheme, CodeLangInvalid, CodeValueInvalid,
	CodeExtensionInvalid, CodeFieldMisspelled, CodeCanonicalMismatch, CodeCanonicalMissing,
	CodeNotHTTPS, CodeLegacyPath, CodeUnsigned, CodeURLInvalid,
}

func TestEveryCodeIsTested(t *testing.T) {
	tested := map[string]bool{}
	for _, c := range parseCases {
		for _, w := range c.want {
			tested[w.Code] = true
		}
	}
	for _, c := range validateCases {
		for _, w := range c.want {
			tested[w.Code] = true
		}
	}
	for _, c := range allCodes {
		if !tested[c] {
			t.Errorf("code %q has no table case", c)
		}
		if !strings.Contains(packageDoc(t), "//\t"+c+" ") {
			t.Errorf("code %q is not listed in the package documentation", c)
		}
	}
}

func TestSeverityString(t *testing.T) {
	for s, want := range map[Severity]string{Info: "info", Warning: "warning", Error: "error", 0: "Severity(0)"} {
		if got := s.String(); got != want {
			t.Errorf("Severity(%d).String() = %q, want %q", int(s), got, want)
		}
		if b, _ := s.MarshalText(); string(b) != want {
			t.Errorf("Severity(%d).MarshalText() = %q, want %q", int(s), b, want)
		}
	}
	p := Problem{Line: 3, Field: "Contact", Code: CodeURIInvalid, Severity: Error, Message: "bad"}
	if got, want := p.String(), "line 3: error uri-invalid (Contact): bad"; got != want {
		t.Errorf("Problem.String() = %q, want %q", got, want)
	}
	if got, want := (Problem{Code: CodeUnsigned, Severity: Info, Message: "m"}).String(), "info unsigned: m"; got != want {
		t.Errorf("Problem.String() = %q, want %q", got, want)
	}
}

// packageDoc returns the text of doc.go.
func packageDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
