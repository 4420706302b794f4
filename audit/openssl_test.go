package audit

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/grade"
	"github.com/portcullis/portcullis/audit/tlsprobe"
	"github.com/portcullis/portcullis/internal/atomicfile"
	"github.com/portcullis/portcullis/internal/e2e"
	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/rules"
)

// The legacy TLS configurations Go's TLS stack cannot serve are served
// here by Debian's OpenSSL 3 (`openssl s_server -www`). That OpenSSL is
// built without SSL 3.0 and without RC4, DES, 3DES and export suites
// (even with the legacy provider), so those are left to the Go fixtures
// (TestLegacyTLS: 3DES) and the fake server of package tlsprobe (SSL 3.0,
// RC4, export).

// writeRSALeaf issues an RSA-2048 server certificate for name from ca
// (static RSA suites need an RSA key; testutil's leaves are ECDSA) and
// writes it and its key to dir.
func writeRSALeaf(t *testing.T, ca *testutil.CA, dir, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return testutil.WriteCert(t, dir, name, ca.LeafWithKey(t, []string{name}, time.Now().Add(-time.Hour), time.Now().Add(30*24*time.Hour), key))
}

var acceptLine = regexp.MustCompile(`ACCEPT 127\.0\.0\.1:(\d+)\n`)

// opensslSite starts `openssl s_server -www` with args on an ephemeral
// loopback port, and a plain-HTTP server that redirects to it, and
// returns them as the site host.
func opensslSite(t *testing.T, bin, host, certFile, keyFile string, args []string) fixture {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"s_server", "-accept", "127.0.0.1:0", "-www", "-cert", certFile, "-key", keyFile}, args...)...)
	p := e2e.Start(t, "openssl s_server", cmd, "ACCEPT", 10*time.Second)
	var m []string
	testutil.Eventually(t, 5*time.Second, "s_server's ACCEPT line", func() bool {
		m = acceptLine.FindStringSubmatch(p.Log.String())
		return m != nil
	})
	httpsPort, _ := strconv.Atoi(m[1])
	redirect := httptest.NewServer(http.RedirectHandler("https://"+net.JoinHostPort(host, m[1])+"/", http.StatusMovedPermanently))
	t.Cleanup(redirect.Close)
	httpPort := redirect.Listener.Addr().(*net.TCPAddr).Port
	return fixture{
		target: Target{Host: host, HTTPSPort: httpsPort, HTTPPort: httpPort},
		resolve: map[string]string{
			net.JoinHostPort(host, m[1]):                   "127.0.0.1",
			net.JoinHostPort(host, strconv.Itoa(httpPort)): "127.0.0.1",
		},
	}
}

// opensslCiphers returns the suites `openssl ciphers -V -s` says an
// RSA-certificate server configured with spec (a -cipher list, "" for the
// default) negotiates at version v.
func opensslCiphers(t *testing.T, bin string, v tlsprobe.Version, spec string) []uint16 {
	t.Helper()
	flag := map[tlsprobe.Version]string{tlsprobe.TLS10: "-tls1", tlsprobe.TLS11: "-tls1_1", tlsprobe.TLS12: "-tls1_2", tlsprobe.TLS13: "-tls1_3"}[v]
	if spec == "" {
		spec = "DEFAULT"
	}
	out, err := exec.Command(bin, "ciphers", "-V", "-s", flag, spec).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl ciphers -V -s %s %s: %v\n%s", flag, spec, err, out)
	}
	var ids []uint16
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		// "0xC0,0x2F - ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 Kx=ECDH Au=RSA …";
		// TLS 1.3 suites say "Au=any".
		f := strings.Fields(sc.Text())
		if len(f) < 6 || (f[3] == "TLSv1.3") != (v == tlsprobe.TLS13) ||
			(v != tlsprobe.TLS13 && f[5] != "Au=RSA" && f[5] != "Au=None") {
			continue
		}
		id, err := strconv.ParseUint(strings.NewReplacer("0x", "", ",", "").Replace(f[0]), 16, 16)
		if err != nil {
			t.Fatalf("openssl ciphers: cannot read the suite id of %q", sc.Text())
		}
		ids = append(ids, uint16(id))
	}
	slices.Sort(ids)
	return ids
}

// tlsFinding is a tls.* finding as the tests compare it.
type tlsFinding struct {
	Rule     string
	Severity rules.Severity
}

// TestOpenSSLLegacyTLS audits one OpenSSL server per legacy configuration
// and checks the exact TLS findings, the grade caps they set, the letter
// they alone give, and that the prober saw what the server was configured
// to offer (cross-checked with `openssl ciphers -s`). The site's other
// findings (s_server's page has no security headers) are not the point.
func TestOpenSSLLegacyTLS(t *testing.T) {
	t.Parallel()
	bin := e2e.Need(t, "openssl", "scripts/setup.sh installs it (apt-get install openssl)")
	const host = "legacy.test"
	ca := testutil.NewCA(t, "portcullis audit OpenSSL test CA")
	dir := t.TempDir()
	certFile, keyFile := writeRSALeaf(t, ca, dir, host)
	dhFile := filepath.Join(dir, "dh1024.pem")
	if err := atomicfile.Write(dhFile, []byte(testutil.DH1024PEM), 0o644); err != nil {
		t.Fatal(err)
	}
	const (
		tls10, tls11, tls12, tls13 = tlsprobe.TLS10, tlsprobe.TLS11, tlsprobe.TLS12, tlsprobe.TLS13
		high, medium, low, info    = rules.High, rules.Medium, rules.Low, rules.Info
	)
	tls13Suites := []uint16{0x1301, 0x1302, 0x1303} // OpenSSL's default TLS 1.3 suites
	tests := []struct {
		name     string
		cipher   string   // -cipher; "" is OpenSSL's DEFAULT
		args     []string // other s_server options
		versions []tlsprobe.Version
		suites   map[tlsprobe.Version][]uint16 // sorted; nil: as openssl ciphers lists them
		dhBits   int
		errors   []string // the prober's notes
		findings []tlsFinding
		caps     []string // the grade's caps set by tls.* rules
		letter   string   // the grade of the TLS findings alone
	}{{
		name:     "TLS 1.0 only",
		cipher:   "ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0",
		args:     []string{"-tls1", "-serverpref"},
		versions: []tlsprobe.Version{tls10},
		suites:   map[tlsprobe.Version][]uint16{tls10: {0xC013, 0xC014}},
		findings: []tlsFinding{{"tls.cbc-cipher", low}, {"tls.legacy-protocol", high}, {"tls.no-h2", info}, {"tls.no-tls13", low}},
		caps:     []string{"tls.legacy-protocol: B"},
		letter:   "C", // 100 - 20 - 4 - 4
	}, {
		// Without -serverpref: the client's order decides, and TLS 1.1
		// is the only version where that can be seen.
		name:     "TLS 1.1 only",
		cipher:   "ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0",
		args:     []string{"-tls1_1"},
		versions: []tlsprobe.Version{tls11},
		suites:   map[tlsprobe.Version][]uint16{tls11: {0xC013, 0xC014}},
		findings: []tlsFinding{{"tls.cbc-cipher", low}, {"tls.legacy-protocol", high}, {"tls.no-h2", info}, {"tls.no-server-preference", info}, {"tls.no-tls13", low}},
		caps:     []string{"tls.legacy-protocol: B"},
		letter:   "C",
	}, {
		name:     "TLS 1.2 and 1.0",
		cipher:   "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA:@SECLEVEL=0",
		args:     []string{"-no_tls1_1", "-no_tls1_3", "-serverpref"},
		versions: []tlsprobe.Version{tls10, tls12},
		suites:   map[tlsprobe.Version][]uint16{tls10: {0xC013}, tls12: {0xC013, 0xC02F}},
		findings: []tlsFinding{{"tls.cbc-cipher", low}, {"tls.legacy-protocol", high}, {"tls.no-h2", info}, {"tls.no-tls13", low}},
		caps:     []string{"tls.legacy-protocol: B"},
		letter:   "C",
	}, {
		name:     "NULL suites",
		cipher:   "ECDHE-RSA-AES128-GCM-SHA256:NULL-SHA256:NULL-MD5:@SECLEVEL=0",
		args:     []string{"-no_tls1", "-no_tls1_1"},
		versions: []tlsprobe.Version{tls12, tls13},
		suites:   map[tlsprobe.Version][]uint16{tls12: {0x0001, 0x003B, 0xC02F}, tls13: tls13Suites},
		findings: []tlsFinding{{"tls.no-forward-secrecy", medium}, {"tls.no-h2", info}, {"tls.no-server-preference", info}, {"tls.weak-cipher", high}},
		caps:     []string{"tls.weak-cipher: C"},
		letter:   "C", // 100 - 20 - 10
	}, {
		// OpenSSL sizes anonymous DH for 80-bit security: 1024 bits.
		name:     "anonymous suites",
		cipher:   "ECDHE-RSA-AES128-GCM-SHA256:ADH-AES128-GCM-SHA256:AECDH-AES128-SHA:@SECLEVEL=0",
		args:     []string{"-no_tls1", "-no_tls1_1"},
		versions: []tlsprobe.Version{tls12, tls13},
		suites:   map[tlsprobe.Version][]uint16{tls12: {0x00A6, 0xC018, 0xC02F}, tls13: tls13Suites},
		dhBits:   1024,
		findings: []tlsFinding{{"tls.no-h2", info}, {"tls.no-server-preference", info}, {"tls.weak-cipher", high}, {"tls.weak-dh", medium}},
		caps:     []string{"tls.weak-cipher: C", "tls.weak-dh: B"},
		letter:   "C",
	}, {
		name:     "static RSA key exchange only",
		cipher:   "AES128-GCM-SHA256:AES128-SHA",
		args:     []string{"-tls1_2"},
		versions: []tlsprobe.Version{tls12},
		suites:   map[tlsprobe.Version][]uint16{tls12: {0x002F, 0x009C}},
		findings: []tlsFinding{{"tls.cbc-cipher", low}, {"tls.no-forward-secrecy", medium}, {"tls.no-h2", info}, {"tls.no-server-preference", info}, {"tls.no-tls13", low}},
		letter:   "B", // 100 - 10 - 4 - 4
	}, {
		name:     "DHE with a 1024-bit group",
		cipher:   "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=1",
		args:     []string{"-no_tls1", "-no_tls1_1", "-dhparam", dhFile},
		versions: []tlsprobe.Version{tls12, tls13},
		suites:   map[tlsprobe.Version][]uint16{tls12: {0x009E, 0xC02F}, tls13: tls13Suites},
		dhBits:   1024,
		findings: []tlsFinding{{"tls.no-h2", info}, {"tls.weak-dh", medium}},
		caps:     []string{"tls.weak-dh: B"},
		letter:   "B", // 90, capped
	}, {
		name:     "CBC only, TLS 1.2",
		cipher:   "ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA",
		args:     []string{"-tls1_2", "-serverpref"},
		versions: []tlsprobe.Version{tls12},
		suites:   map[tlsprobe.Version][]uint16{tls12: {0xC013, 0xC027, 0xC028}},
		findings: []tlsFinding{{"tls.cbc-cipher", low}, {"tls.no-h2", info}, {"tls.no-tls13", low}},
		letter:   "A", // 100 - 4 - 4
	}, {
		// OpenSSL 3's defaults keep CBC and static RSA suites, follow
		// the client's order and offer no ALPN; at security level 2
		// they answer TLS 1.0 and 1.1 hellos with internal_error.
		name:     "control: OpenSSL defaults",
		versions: []tlsprobe.Version{tls12, tls13},
		dhBits:   2048,
		errors: []string{"TLS 1.0 hello: tlsprobe: server sent fatal alert internal_error (80)",
			"TLS 1.1 hello: tlsprobe: server sent fatal alert internal_error (80)"},
		findings: []tlsFinding{{"tls.cbc-cipher", low}, {"tls.no-forward-secrecy", medium}, {"tls.no-h2", info}, {"tls.no-server-preference", info}},
		letter:   "B", // 100 - 10 - 4
	}, {
		// Mozilla's intermediate profile. The ALPN list puts http/1.1
		// first so that Go's client, offering both, speaks HTTP/1.1 to
		// s_server, while h2 offered alone is accepted.
		name:     "control: TLS 1.2 and 1.3, ECDHE AEAD suites, h2",
		cipher:   "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305",
		args:     []string{"-no_tls1", "-no_tls1_1", "-alpn", "http/1.1,h2"},
		versions: []tlsprobe.Version{tls12, tls13},
		suites:   map[tlsprobe.Version][]uint16{tls12: {0xC02F, 0xC030, 0xCCA8}, tls13: tls13Suites},
		letter:   "A+",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := slices.Clone(tt.args)
			if tt.cipher != "" {
				args = append(args, "-cipher", tt.cipher)
			}
			f := opensslSite(t, bin, host, certFile, keyFile, args)
			rep := run(t, f, Options{Roots: ca.Pool()})

			// The audit's own HTTPS client reached the server, so the
			// certificate was judged: trusted, no finding.
			if len(rep.Errors) > 0 {
				t.Errorf("Errors = %q", rep.Errors)
			}
			if rep.Cert == nil || !rep.Cert.Trusted || rep.Cert.KeyType != "RSA 2048" {
				t.Errorf("certificate %+v, want a trusted RSA 2048", rep.Cert)
			}
			var got []tlsFinding
			var tlsOnly []rules.Finding
			for _, fd := range rep.Findings {
				switch {
				case strings.HasPrefix(fd.Rule, "cert."):
					t.Errorf("certificate finding %s: %s", fd.Rule, fd.Message)
				case strings.HasPrefix(fd.Rule, "tls."):
					got = append(got, tlsFinding{fd.Rule, fd.Severity})
					tlsOnly = append(tlsOnly, fd)
				}
			}
			slices.SortFunc(got, func(a, b tlsFinding) int { return strings.Compare(a.Rule, b.Rule) })
			if !slices.Equal(got, tt.findings) {
				t.Errorf("TLS findings = %v,\nwant %v", got, tt.findings)
			}
			var caps []string
			for _, c := range rep.Grade.Caps {
				if strings.HasPrefix(c, "tls.") {
					caps = append(caps, c)
				}
			}
			slices.Sort(caps)
			if !slices.Equal(caps, tt.caps) {
				t.Errorf("TLS caps of the grade = %q, want %q (grade %+v)", caps, tt.caps, rep.Grade)
			}
			if g := grade.Of(tlsOnly); g.Letter != tt.letter {
				t.Errorf("the TLS findings alone grade %s (%d, caps %q), want %s", g.Letter, g.Score, g.Caps, tt.letter)
			}

			r := rep.TLS
			if r == nil {
				t.Fatal("no TLS report")
			}
			if !slices.Equal(r.Versions, tt.versions) {
				t.Errorf("versions = %v, want %v", r.Versions, tt.versions)
			}
			if len(r.Suites) != len(tt.versions) {
				t.Errorf("suites for %d versions, want %d", len(r.Suites), len(tt.versions))
			}
			for _, v := range tt.versions {
				got := slices.Sorted(slices.Values(r.Suites[v]))
				fromOpenSSL := opensslCiphers(t, bin, v, tt.cipher)
				if !slices.Equal(got, fromOpenSSL) {
					t.Errorf("%v suites = %04X, openssl ciphers -s lists %04X", v, got, fromOpenSSL)
				}
				if want, ok := tt.suites[v]; ok && !slices.Equal(got, want) {
					t.Errorf("%v suites = %04X, want %04X", v, got, want)
				}
			}
			if r.DHBits != tt.dhBits {
				t.Errorf("DH bits = %d, want %d", r.DHBits, tt.dhBits)
			}
			if !slices.Equal(r.Errors, tt.errors) {
				t.Errorf("prober errors = %q, want %q", r.Errors, tt.errors)
			}
		})
	}
}
