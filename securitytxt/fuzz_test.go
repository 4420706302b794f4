package securitytxt

import (
	"bytes"
	"slices"
	"testing"
	"time"
)

// FuzzParse checks that Parse, Validate and Render never panic, that every
// problem is well-formed, and that for any input Render(Parse(x)) re-parses
// without problems to an equal File and renders identically again. (This is
// stronger than required for inputs without errors: Parse keeps only clean
// content, so even a broken input must yield a cleanly rendering File.)
func FuzzParse(f *testing.F) {
	for _, c := range parseCases {
		f.Add([]byte(c.in))
	}
	for _, c := range validateCases {
		f.Add([]byte(c.in))
	}
	f.Add(fullFile().Render())
	f.Add([]byte(signed(string(fullFile().Render()))))
	f.Add([]byte("-----BEGIN PGP SIGNED MESSAGE-----\n\n- - -----BEGIN PGP SIGNATURE-----\n-----BEGIN PGP SIGNATURE-----\n-----END PGP SIGNATURE-----\n"))
	f.Add([]byte("Preferred-Languages: ,\nX:\n#\n# #x\n\t#  y \r\n"))

	now := time.Date(2029, 6, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, ps := Parse(data)
		lines := bytes.Count(data, []byte{'\n'}) + 1
		for _, p := range ps {
			if p.Line < 0 || p.Line > lines || !slices.Contains(allCodes, p.Code) ||
				p.Severity < Info || p.Severity > Error || p.Message == "" {
				t.Fatalf("malformed problem %#v for %d lines", p, lines)
			}
		}
		for _, p := range Validate(file, ValidateOptions{URL: fetchURL, Now: now}) {
			if !slices.Contains(allCodes, p.Code) || p.Message == "" {
				t.Fatalf("malformed validation problem %#v", p)
			}
		}

		out := file.Render()
		if len(out) > MaxSize { // rendering can grow ("a,b" -> "a, b") past the cap
			return
		}
		again, ps2 := Parse(out)
		if len(ps2) != 0 {
			t.Fatalf("rendered file has problems %v:\n%s", ps2, out)
		}
		if d := diffFiles(file, again, false); d != "" {
			t.Fatalf("round trip changed the file: %s\ninput: %q\nrendered: %q", d, data, out)
		}
		if out2 := again.Render(); !bytes.Equal(out, out2) {
			t.Fatalf("Render not idempotent:\n%q\n%q", out, out2)
		}
	})
}
