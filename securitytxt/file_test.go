package securitytxt

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func fullFile() *File {
	return &File{
		Contact:            []string{"mailto:security@example.com", "https://example.com/report"},
		Encryption:         []string{"https://example.com/pgp-key.txt"},
		Acknowledgments:    []string{"https://example.com/hall-of-fame.html"},
		Policy:             []string{"https://example.com/policy.html"},
		Hiring:             []string{"https://example.com/jobs.html"},
		Canonical:          []string{"https://example.com/.well-known/security.txt"},
		PreferredLanguages: []string{"en", "es"},
		Expires:            time.Date(2030, 1, 2, 4, 5, 6, 0, time.FixedZone("CET", 3600)),
		Extensions:         []Field{{Name: "CSAF", Value: "https://example.com/provider-metadata.json"}, {Name: "X-Empty"}},
		Comments:           []string{"Security contacts for example.com", "", "  indented"},
	}
}

func TestRender(t *testing.T) {
	want := "# Security contacts for example.com\n" +
		"#\n" +
		"#   indented\n" +
		"Canonical: https://example.com/.well-known/security.txt\n" +
		"Contact: mailto:security@example.com\n" +
		"Contact: https://example.com/report\n" +
		"Encryption: https://example.com/pgp-key.txt\n" +
		"Policy: https://example.com/policy.html\n" +
		"Acknowledgments: https://example.com/hall-of-fame.html\n" +
		"Hiring: https://example.com/jobs.html\n" +
		"Preferred-Languages: en, es\n" +
		"CSAF: https://example.com/provider-metadata.json\n" +
		"X-Empty:\n" +
		"Expires: 2030-01-02T03:05:06Z\n"
	if got := string(fullFile().Render()); got != want {
		t.Errorf("Render() =\n%s\nwant\n%s", got, want)
	}
}

func TestRenderEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		f    *File
		want string
	}{
		{"nil", nil, ""},
		{"empty", &File{}, ""},
		{"fractional seconds kept", &File{Expires: time.Date(2030, 1, 1, 0, 0, 0, 5e6, time.UTC)}, "Expires: 2030-01-01T00:00:00.005Z\n"},
		{"line break cannot inject a field", &File{Contact: []string{"mailto:a@example.com\nContact: mailto:evil@example.com"}},
			"Contact: mailto:a@example.com\uFFFDContact: mailto:evil@example.com\n"},
		{"comment newline and bad utf8", &File{Comments: []string{"a\r\nb", "caf\xe9"}}, "# a\uFFFD\uFFFDb\n# caf\uFFFD\n"},
		{"values trimmed and empty skipped", &File{Contact: []string{" mailto:a@example.com\t", "", "  "}}, "Contact: mailto:a@example.com\n"},
		{"empty language list skipped", &File{PreferredLanguages: []string{" "}}, ""},
		{"bad extensions skipped", &File{Extensions: []Field{{Name: "Contact", Value: "mailto:evil@example.com"},
			{Name: "A: b", Value: "c"}, {Name: "", Value: "d"}, {Name: "Ok", Value: "e"}}}, "Ok: e\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(tt.f.Render()); got != tt.want {
				t.Errorf("Render() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRenderParseRoundTrip(t *testing.T) {
	f := fullFile()
	out := f.Render()
	g, ps := Parse(out)
	expect(t, ps, nil)
	if d := diffFiles(f, g, false); d != "" {
		t.Errorf("round trip changed the file: %s", d)
	}
	if again := g.Render(); !bytes.Equal(again, out) {
		t.Errorf("Render is not stable:\n%s\nvs\n%s", again, out)
	}
	now := time.Date(2029, 6, 1, 0, 0, 0, 0, time.UTC)
	expect(t, Validate(g, ValidateOptions{URL: fetchURL, Now: now}), []at{{0, CodeUnsigned}})
}

func TestRenderCRLFInputRoundTrip(t *testing.T) {
	in := strings.ReplaceAll(string(fullFile().Render()), "\n", "\r\n")
	f, ps := Parse([]byte(in))
	expect(t, ps, nil)
	if d := diffFiles(f, fullFile(), false); d != "" {
		t.Errorf("CRLF parse differs: %s", d)
	}
}
