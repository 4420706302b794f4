package certs

import (
	"bytes"
	"crypto/tls"
	"encoding/pem"
	"maps"
	"strconv"
	"strings"
	"testing"
)

func TestParsePEM(t *testing.T) {
	a := pemBytes("CERTIFICATE", []byte("one"))
	b := pemBytes("PRIVATE KEY", []byte("two"))
	tests := []struct {
		name      string
		data      string
		wantTypes string
		wantLines string
		wantErr   string
	}{
		{"empty", "", "", "", ""},
		{"text only", "just a comment\n", "", "", ""},
		{"two blocks", string(a) + string(b), "CERTIFICATE,PRIVATE KEY", "1,4", ""},
		{"comments around", "# c\n\n" + string(a) + "# d\n" + string(b) + "trailer", "CERTIFICATE,PRIVATE KEY", "3,7", ""},
		{"truncated first", string(a[:20]), "", "", "line 1: truncated"},
		{"truncated second", string(a) + string(b[:len(b)-5]), "", "", "line 4: truncated"},
		{"damaged block then good one", "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n" + string(b), "", "", "line 1: truncated or malformed"},
		{"marker inside a line", "x-----BEGIN CERTIFICATE-----\n", "", "", "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blocks, err := parsePEM([]byte(tt.data))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var types, lines []string
			for _, b := range blocks {
				types = append(types, b.Type)
				lines = append(lines, strconv.Itoa(b.line))
			}
			if got := strings.Join(types, ","); got != tt.wantTypes {
				t.Errorf("types %s, want %s", got, tt.wantTypes)
			}
			if got := strings.Join(lines, ","); got != tt.wantLines {
				t.Errorf("lines %s, want %s", got, tt.wantLines)
			}
		})
	}
}

// FuzzParsePEM: parsePEM never panics; what it accepts re-encodes to
// blocks it parses identically; it never returns fewer blocks than
// pem.Decode would find (no silent skipping).
func FuzzParsePEM(f *testing.F) {
	f.Add([]byte(""))
	f.Add(pemBytes("CERTIFICATE", []byte{1, 2, 3}))
	f.Add(append([]byte("# comment\n"), pemBytes("EC PRIVATE KEY", []byte("k"))...))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte("x")}))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA"))
	f.Add([]byte("-----BEGIN X-----\n-----END Y-----\n-----BEGIN X-----\n-----END X-----\n"))
	f.Add([]byte("x-----BEGIN A-----\n-----END A-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		blocks, err := parsePEM(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		var decoded int
		for rest := data; ; decoded++ {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
		}
		if decoded != len(blocks) {
			t.Fatalf("parsePEM found %d blocks, pem.Decode %d", len(blocks), decoded)
		}
		var enc bytes.Buffer
		for _, b := range blocks {
			if err := pem.Encode(&enc, b.Block); err != nil {
				return // headers pem cannot encode (e.g. with ':')
			}
			if b.line < 1 || b.line > bytes.Count(data, []byte("\n"))+1 {
				t.Fatalf("line %d out of range", b.line)
			}
		}
		again, err := parsePEM(enc.Bytes())
		if err != nil || len(again) != len(blocks) {
			t.Fatalf("re-encoded blocks: %d, %v (want %d)", len(again), err, len(blocks))
		}
		for i := range blocks {
			x, y := blocks[i], again[i]
			if x.Type != y.Type || !bytes.Equal(x.Bytes, y.Bytes) || !maps.Equal(x.Headers, y.Headers) {
				t.Fatalf("block %d changed: %+v → %+v", i, x.Block, y.Block)
			}
		}
	})
}

// FuzzParseName: an accepted name's canonical form parses to itself, and
// the selector finds it whatever its case and trailing dot.
func FuzzParseName(f *testing.F) {
	for _, s := range []string{"localhost", "Example.COM.", "*.example.com", "127.0.0.1", "::1", "[::1]",
		"::ffff:10.0.0.1", "fe80::1%eth0", "a..b", "*", "-a.com", "1.2.3.4.5", "bücher.de", "\u212Aelvin.com", "a_b.test", ""} {
		f.Add(s)
	}
	src := newFake("x")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseName(s)
		if err != nil {
			return
		}
		again, err := parseName(n.String())
		if err != nil || again != n {
			t.Fatalf("%q → %q → %+v, %v", s, n, again, err)
		}
		sel, err := NewSelector([]Entry{{Names: []string{s}, Source: src}}, nil)
		if err != nil {
			t.Fatalf("NewSelector(%q): %v", s, err)
		}
		if n.dns == "" || strings.HasPrefix(n.dns, "*.") {
			return
		}
		for _, sni := range []string{n.dns, strings.ToUpper(n.dns), n.dns + "."} {
			if c, err := sel.GetCertificate(&tls.ClientHelloInfo{ServerName: sni}); err != nil || c != src.cert {
				t.Fatalf("name %q: SNI %q not matched: %v", s, sni, err)
			}
		}
	})
}
