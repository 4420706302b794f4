package tlsprobe

import (
	"bufio"
	"context"
	"crypto/tls"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/e2e"
	"github.com/portcullis/portcullis/internal/testutil"
)

// These fixtures are served by Debian's OpenSSL 3 (`openssl s_server`),
// for what crypto/tls cannot serve: TLS 1.0/1.1 with CAMELLIA, SEED,
// ARIA, CCM, NULL and anonymous suites, DHE with a chosen group, TLS 1.3
// CCM suites and groups, ALPN chosen by a server that is not Go. Debian's
// OpenSSL 3.0 is built without SSL 3.0 and without the "weak" suites
// (RC4, DES, 3DES, export), even with the legacy provider; the fake
// server of probe_test.go and the Go servers cover those.

// opensslGroups are the groups OpenSSL 3.0 accepts by default, in the
// prober's report order (the finite-field ones only in TLS 1.3).
var opensslGroups = []uint16{GroupX25519, GroupSecp256r1, GroupSecp384r1, GroupSecp521r1, GroupX448,
	GroupFFDHE2048, GroupFFDHE3072, GroupFFDHE4096, GroupFFDHE6144, GroupFFDHE8192}

// opensslGroups12 are OpenSSL 3.0's default ECDHE curves up to TLS 1.2.
var opensslGroups12 = opensslGroups[:5]

// opensslServer is the configuration of one `openssl s_server`.
type opensslServer struct {
	certs    string   // "rsa" (default), "ecdsa", "rsa+ecdsa" or "none"
	cipher   string   // -cipher, for TLS 1.2 and below; "" is OpenSSL's DEFAULT
	suites13 string   // -ciphersuites, for TLS 1.3; "" is OpenSSL's default
	legacy   bool     // load the legacy provider (SEED) besides the default one
	dh1024   bool     // -dhparam with testutil.DH1024PEM
	args     []string // other options: versions, -serverpref, -alpn, -groups
}

// spec returns the options that choose suites, shared by s_server and
// `openssl ciphers`.
func (s opensslServer) spec() []string {
	var out []string
	if s.legacy {
		out = append(out, "-provider", "legacy", "-provider", "default")
	}
	if s.suites13 != "" {
		out = append(out, "-ciphersuites", s.suites13)
	}
	return out
}

// auths are the authentication types of the suites the certificates allow
// ("None": anonymous suites, which need none).
func (s opensslServer) auths() []string {
	switch s.certs {
	case "ecdsa":
		return []string{"ECDSA", "None"}
	case "rsa+ecdsa":
		return []string{"RSA", "ECDSA", "None"}
	case "none":
		return []string{"None"}
	}
	return []string{"RSA", "None"}
}

var acceptLine = regexp.MustCompile(`ACCEPT 127\.0\.0\.1:(\d+)\n`)

// start runs the server on an ephemeral loopback port, with the package's
// test certificates, until the test ends, and returns its address.
func (s opensslServer) start(t *testing.T, bin string) string {
	t.Helper()
	dir := t.TempDir()
	rc, ec := testCerts(t)
	args := []string{"s_server", "-accept", "127.0.0.1:0", "-www"}
	switch s.certs {
	case "", "rsa":
		args = append(args, writeCert(t, dir, "rsa", rc, "-cert", "-key")...)
	case "ecdsa":
		args = append(args, writeCert(t, dir, "ecdsa", ec, "-cert", "-key")...)
	case "rsa+ecdsa":
		args = append(args, writeCert(t, dir, "rsa", rc, "-cert", "-key")...)
		args = append(args, writeCert(t, dir, "ecdsa", ec, "-dcert", "-dkey")...)
	case "none":
		args = append(args, "-nocert")
	default:
		t.Fatalf("certs %q: want rsa, ecdsa, rsa+ecdsa or none", s.certs)
	}
	if s.cipher != "" {
		args = append(args, "-cipher", s.cipher)
	}
	if s.dh1024 {
		p := filepath.Join(dir, "dh1024.pem")
		if err := os.WriteFile(p, []byte(testutil.DH1024PEM), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-dhparam", p)
	}
	args = append(append(args, s.spec()...), s.args...)
	p := e2e.Start(t, "openssl s_server", exec.Command(bin, args...), "ACCEPT", 10*time.Second)
	var m []string
	testutil.Eventually(t, 5*time.Second, "s_server's ACCEPT line", func() bool {
		m = acceptLine.FindStringSubmatch(p.Log.String())
		return m != nil
	})
	return "127.0.0.1:" + m[1]
}

// writeCert writes c and its key as PEM files in dir and returns the
// s_server options naming them.
func writeCert(t *testing.T, dir, name string, c tls.Certificate, certOpt, keyOpt string) []string {
	t.Helper()
	cf, kf := testutil.WriteCert(t, dir, name, c)
	return []string{certOpt, cf, keyOpt, kf}
}

// versionFlags are the options of `openssl ciphers -s` per version.
var versionFlags = map[Version]string{TLS10: "-tls1", TLS11: "-tls1_1", TLS12: "-tls1_2", TLS13: "-tls1_3"}

// opensslSuites returns what `openssl ciphers -V -s` lists for the
// server's configuration at version v, keeping the suites its
// certificates allow: the suites the server can negotiate at v.
func opensslSuites(t *testing.T, bin string, s opensslServer, v Version) []uint16 {
	t.Helper()
	cipher := s.cipher
	if cipher == "" {
		cipher = "DEFAULT"
	}
	args := append(append([]string{"ciphers", "-V", "-s", versionFlags[v]}, s.spec()...), cipher)
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	var ids []uint16
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		// "0xC0,0x2F - ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 Kx=ECDH Au=RSA Enc=AESGCM(128) Mac=AEAD"
		// TLS 1.3 suites say "Au=any".
		f := strings.Fields(sc.Text())
		if len(f) < 6 || (f[3] == "TLSv1.3") != (v == TLS13) ||
			(v != TLS13 && !slices.Contains(s.auths(), strings.TrimPrefix(f[5], "Au="))) {
			continue
		}
		hi, lo, ok := strings.Cut(f[0], ",")
		a, err1 := strconv.ParseUint(strings.TrimPrefix(hi, "0x"), 16, 8)
		b, err2 := strconv.ParseUint(strings.TrimPrefix(lo, "0x"), 16, 8)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("openssl ciphers: cannot read the suite id of %q", sc.Text())
		}
		ids = append(ids, uint16(a<<8|b))
	}
	return ids
}

// inTableOrder returns ids in the prober's offer order for v, the order
// Probe lists the suites of a server that follows the client.
func inTableOrder(v Version, ids []uint16) []uint16 {
	var out []uint16
	for _, s := range SuitesFor(v) {
		if slices.Contains(ids, s.ID) {
			out = append(out, s.ID)
		}
	}
	return out
}

// TestProbeOpenSSL probes OpenSSL servers and checks the report against
// the configuration, and the suites of every accepted version against what
// `openssl ciphers -s` says the server can negotiate.
func TestProbeOpenSSL(t *testing.T) {
	t.Parallel()
	bin := e2e.Need(t, "openssl", "scripts/setup.sh installs it (apt-get install openssl)")
	tests := []struct {
		name     string
		server   opensslServer
		versions []Version
		// suites, when set, are the expected suites per version; the
		// order is the server's when serverPref, else the prober's.
		suites     map[Version][]uint16
		serverPref bool
		groups     []uint16
		dhBits     int
		alpn       []string
		errors     []string // exact
	}{{
		// At security level 2 OpenSSL 3 leaves TLS 1.0 and 1.1 enabled
		// but finds no signature algorithm for them: it answers
		// internal_error, which the prober notes as unusual.
		name:     "OpenSSL defaults",
		versions: []Version{TLS12, TLS13},
		groups:   opensslGroups,
		dhBits:   2048,
		errors: []string{"TLS 1.0 hello: tlsprobe: server sent fatal alert internal_error (80)",
			"TLS 1.1 hello: tlsprobe: server sent fatal alert internal_error (80)"},
	}, {
		// Anonymous DH gets OpenSSL's 80-bit automatic group: 1024 bits.
		name:     "every suite OpenSSL 3 serves with RSA, TLS 1.0 to 1.3",
		server:   opensslServer{cipher: "ALL:COMPLEMENTOFALL:@SECLEVEL=0", legacy: true},
		versions: []Version{TLS10, TLS11, TLS12, TLS13},
		groups:   opensslGroups,
		dhBits:   1024,
	}, {
		name:     "RSA and ECDSA certificates",
		server:   opensslServer{certs: "rsa+ecdsa", cipher: "ALL:@SECLEVEL=0", args: []string{"-tls1_2"}},
		versions: []Version{TLS12},
		groups:   opensslGroups12,
		dhBits:   1024,
	}, {
		name: "ECDSA certificate: RSA suites configured but unusable",
		server: opensslServer{certs: "ecdsa", cipher: "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA",
			args: []string{"-tls1_2"}},
		versions: []Version{TLS12},
		suites:   map[Version][]uint16{TLS12: {0xC02B}},
		// Up to TLS 1.2 the client's curves also bind the certificate's
		// (RFC 8422 5.1): OpenSSL refuses a P-256 certificate to a hello
		// that names another curve alone.
		groups: []uint16{GroupSecp256r1},
	}, {
		name: "server order",
		server: opensslServer{cipher: "AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-SHA256:ECDHE-RSA-CHACHA20-POLY1305",
			args: []string{"-tls1_2", "-serverpref"}},
		versions:   []Version{TLS12},
		suites:     map[Version][]uint16{TLS12: {0x002F, 0xC030, 0x0067, 0xCCA8}},
		serverPref: true,
		groups:     opensslGroups12,
		dhBits:     2048,
	}, {
		name: "client order",
		server: opensslServer{cipher: "AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-SHA256:ECDHE-RSA-CHACHA20-POLY1305",
			args: []string{"-tls1_2"}},
		versions: []Version{TLS12},
		suites:   map[Version][]uint16{TLS12: {0x002F, 0xC030, 0x0067, 0xCCA8}},
		groups:   opensslGroups12,
		dhBits:   2048,
	}, {
		name:     "DHE with a 1024-bit group",
		server:   opensslServer{cipher: "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-SHA:@SECLEVEL=1", dh1024: true, args: []string{"-tls1_2"}},
		versions: []Version{TLS12},
		suites:   map[Version][]uint16{TLS12: {0x009E, 0x0039}},
		dhBits:   1024,
	}, {
		name:     "DHE with OpenSSL's automatic group",
		server:   opensslServer{cipher: "DHE-RSA-AES128-GCM-SHA256", args: []string{"-tls1_2"}},
		versions: []Version{TLS12},
		suites:   map[Version][]uint16{TLS12: {0x009E}},
		dhBits:   2048,
	}, {
		name: "TLS 1.3 only: CCM suites, P-384 and ffdhe2048",
		server: opensslServer{suites13: "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256:TLS_AES_256_GCM_SHA384",
			args: []string{"-tls1_3", "-groups", "P-384:ffdhe2048"}},
		versions: []Version{TLS13},
		suites:   map[Version][]uint16{TLS13: {0x1302, 0x1304, 0x1305}},
		groups:   []uint16{GroupSecp384r1, GroupFFDHE2048},
	}, {
		// ALPN is read from the EncryptedExtensions: the hello must
		// carry a P-384 key share.
		name:     "TLS 1.3 only on P-384 with h2",
		server:   opensslServer{args: []string{"-tls1_3", "-groups", "P-384", "-alpn", "h2"}},
		versions: []Version{TLS13},
		suites:   map[Version][]uint16{TLS13: {0x1301, 0x1302, 0x1303}},
		groups:   []uint16{GroupSecp384r1},
		alpn:     []string{"h2"},
	}, {
		// Disabled outright, TLS 1.0 and 1.1 get protocol_version.
		name:     "ALPN http/1.1 before h2, TLS 1.0 and 1.1 disabled",
		server:   opensslServer{args: []string{"-no_tls1", "-no_tls1_1", "-alpn", "http/1.1,h2"}},
		versions: []Version{TLS12, TLS13},
		groups:   opensslGroups,
		dhBits:   2048,
		alpn:     []string{"h2", "http/1.1"},
	}, {
		name:     "no certificate: anonymous suites",
		server:   opensslServer{certs: "none", cipher: "aNULL:@SECLEVEL=0", args: []string{"-tls1_2"}},
		versions: []Version{TLS12},
		groups:   opensslGroups12,
		dhBits:   1024,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Probe(context.Background(), tt.server.start(t, bin), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.Versions, tt.versions) {
				t.Errorf("Versions = %v, want %v", r.Versions, tt.versions)
			}
			if len(r.Suites) != len(tt.versions) {
				t.Errorf("Suites has %d versions, want %d", len(r.Suites), len(tt.versions))
			}
			for _, v := range tt.versions {
				got, fromOpenSSL := r.Suites[v], opensslSuites(t, bin, tt.server, v)
				if len(fromOpenSSL) == 0 {
					t.Fatalf("%v: openssl ciphers lists no suite; the fixture is wrong", v)
				}
				if !slices.Equal(sorted(got), sorted(fromOpenSSL)) {
					t.Errorf("%v suites = %s,\nopenssl ciphers -s lists %s", v, names(sorted(got)), names(sorted(fromOpenSSL)))
				}
				want := tt.suites[v]
				if want == nil {
					want = fromOpenSSL
				}
				if !tt.serverPref {
					want = inTableOrder(v, want) // the prober's own order
				}
				if !slices.Equal(got, want) {
					t.Errorf("%v suites = %s, want %s", v, names(got), names(want))
				}
				pref, known := r.ServerPreference[v]
				if known != (len(got) > 1) || pref != tt.serverPref {
					t.Errorf("%v ServerPreference = %v (known %v), want %v (known with two suites or more)", v, pref, known, tt.serverPref)
				}
			}
			if !slices.Equal(r.Groups, tt.groups) {
				t.Errorf("Groups = %v, want %v", r.Groups, tt.groups)
			}
			if r.DHBits != tt.dhBits {
				t.Errorf("DHBits = %d, want %d", r.DHBits, tt.dhBits)
			}
			if !slices.Equal(r.ALPN, tt.alpn) {
				t.Errorf("ALPN = %q, want %q", r.ALPN, tt.alpn)
			}
			if !slices.Equal(r.Errors, tt.errors) {
				t.Errorf("Errors = %q, want %q", r.Errors, tt.errors)
			}
			// OpenSSL acknowledges all three up to TLS 1.2.
			legacy := tt.versions[0] < TLS13
			if r.SecureRenegotiation != legacy || r.ExtendedMasterSecret != legacy || r.SessionTickets != legacy {
				t.Errorf("renegotiation_info %v, extended_master_secret %v, session_ticket %v; want %v",
					r.SecureRenegotiation, r.ExtendedMasterSecret, r.SessionTickets, legacy)
			}
		})
	}
}
