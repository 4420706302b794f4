package tlsprobe

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Go 1.26's default key exchange preferences, as a crypto/tls server accepts them.
var (
	goGroups13 = []uint16{GroupX25519MLKEM768, GroupSecP256r1MLKEM768, GroupSecP384r1MLKEM1024, GroupX25519, GroupSecp256r1, GroupSecp384r1, GroupSecp521r1}
	goGroups12 = []uint16{GroupX25519, GroupSecp256r1, GroupSecp384r1, GroupSecp521r1}
)

// legacyGoConfig is fixture (b): TLS 1.0–1.2 with every suite Go can still
// serve, CBC, 3DES, RC4 and RSA key exchange included.
func legacyGoConfig(t testing.TB) *tls.Config {
	rc, _ := testCerts(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{rc}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS12}
	for _, c := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		cfg.CipherSuites = append(cfg.CipherSuites, c.ID)
	}
	return cfg
}

func sorted(ids []uint16) []uint16 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func TestProbeGoServers(t *testing.T) {
	t.Parallel()
	rc, ec := testCerts(t)
	legacy10 := []uint16{ // what TLS 1.0 and 1.1 can negotiate of fixture (b)
		0xC013, 0xC014, 0x002F, 0x0035, // (ECDHE_)RSA AES CBC SHA
		0xC012, 0x000A, // 3DES
		0xC011, 0x0005, // RC4
	}
	legacy12 := append(slices.Clone(legacy10),
		0xC02F, 0xC030, 0xCCA8, // ECDHE_RSA AEAD
		0x009C, 0x009D, // RSA AES GCM
		0xC027, 0x003C, // CBC_SHA256
	)
	tests := []struct {
		name     string
		cfg      *tls.Config
		versions []Version
		suites   map[Version][]uint16 // compared as sets
		groups   []uint16
		alpn     []string
	}{{
		name: "a: TLS 1.2+1.3 AEAD only",
		cfg: &tls.Config{Certificates: []tls.Certificate{rc}, MinVersion: tls.VersionTLS12,
			CipherSuites: []uint16{0xC02F, 0xC030, 0xCCA8}},
		versions: []Version{TLS12, TLS13},
		suites:   map[Version][]uint16{TLS12: {0xC02F, 0xC030, 0xCCA8}, TLS13: {0x1301, 0x1302, 0x1303}},
		groups:   goGroups13,
	}, {
		name:     "b: TLS 1.0-1.2 with CBC, 3DES, RC4",
		cfg:      legacyGoConfig(t),
		versions: []Version{TLS10, TLS11, TLS12},
		suites:   map[Version][]uint16{TLS10: legacy10, TLS11: legacy10, TLS12: legacy12},
		groups:   goGroups12,
	}, {
		name:     "c: TLS 1.3 only",
		cfg:      &tls.Config{Certificates: []tls.Certificate{rc}, MinVersion: tls.VersionTLS13},
		versions: []Version{TLS13},
		suites:   map[Version][]uint16{TLS13: {0x1301, 0x1302, 0x1303}},
		groups:   goGroups13,
	}, {
		name: "e: h2 and http/1.1",
		cfg: &tls.Config{Certificates: []tls.Certificate{rc}, MinVersion: tls.VersionTLS13,
			NextProtos: []string{"h2", "http/1.1"}},
		versions: []Version{TLS13},
		suites:   map[Version][]uint16{TLS13: {0x1301, 0x1302, 0x1303}},
		groups:   goGroups13,
		alpn:     []string{"h2", "http/1.1"},
	}, {
		name: "e: h2 only over TLS 1.2",
		cfg: &tls.Config{Certificates: []tls.Certificate{rc}, MaxVersion: tls.VersionTLS12,
			NextProtos: []string{"h2"}},
		versions: []Version{TLS12},
		suites:   map[Version][]uint16{TLS12: {0xC02F, 0xC030, 0xCCA8, 0xC013, 0xC014}},
		groups:   goGroups12,
		alpn:     []string{"h2"},
	}, {
		name:     "f: ECDSA certificate",
		cfg:      &tls.Config{Certificates: []tls.Certificate{ec}, MaxVersion: tls.VersionTLS12},
		versions: []Version{TLS12},
		suites:   map[Version][]uint16{TLS12: {0xC02B, 0xC02C, 0xCCA9, 0xC009, 0xC00A}},
		groups:   goGroups12,
	}, {
		name: "f: ECDSA certificate, insecure suites allowed",
		cfg: &tls.Config{Certificates: []tls.Certificate{ec}, MaxVersion: tls.VersionTLS12,
			CipherSuites: legacyGoConfig(t).CipherSuites},
		versions: []Version{TLS12},
		suites: map[Version][]uint16{TLS12: { // no RSA key exchange, no ECDHE_RSA
			0xC02B, 0xC02C, 0xCCA9, 0xC009, 0xC00A, 0xC023, 0xC007}},
		groups: goGroups12,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Probe(context.Background(), goServer(t, tt.cfg), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Errors) > 0 {
				t.Errorf("Errors = %q", r.Errors)
			}
			if !slices.Equal(r.Versions, tt.versions) {
				t.Errorf("Versions = %v, want %v", r.Versions, tt.versions)
			}
			if len(r.Suites) != len(tt.suites) {
				t.Errorf("Suites has %d versions, want %d", len(r.Suites), len(tt.suites))
			}
			for v, want := range tt.suites {
				if got := sorted(r.Suites[v]); !slices.Equal(got, sorted(want)) {
					t.Errorf("%v suites = %s, want %s", v, names(got), names(sorted(want)))
				}
			}
			if !slices.Equal(r.Groups, tt.groups) {
				t.Errorf("Groups = %v, want %v", r.Groups, tt.groups)
			}
			if !slices.Equal(r.ALPN, tt.alpn) {
				t.Errorf("ALPN = %q, want %q", r.ALPN, tt.alpn)
			}
			if r.DHBits != 0 {
				t.Errorf("DHBits = %d from a server without DHE", r.DHBits)
			}
			if v12 := slices.Contains(tt.versions, TLS12); r.SecureRenegotiation != v12 || r.ExtendedMasterSecret != v12 {
				t.Errorf("renegotiation_info %v, extended_master_secret %v; want %v (Go sends both)", r.SecureRenegotiation, r.ExtendedMasterSecret, v12)
			}
		})
	}
}

func names(ids []uint16) string {
	var s []string
	for _, id := range ids {
		s = append(s, SuiteName(id))
	}
	return "[" + strings.Join(s, " ") + "]"
}

// TestServerPreference: (d). Go servers always pick by their own order (the
// PreferServerCipherSuites field is ignored since Go 1.18); the fake server
// shows both behaviours, and the enumeration order is the server's when it
// prefers its own.
func TestServerPreference(t *testing.T) {
	t.Parallel()
	rc, _ := testCerts(t)
	goCfg := &tls.Config{Certificates: []tls.Certificate{rc}, MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{0x009C, 0xC013, 0xC030, 0xC02F}} // Go orders them itself
	serverOrder := []uint16{0x000A, 0x0005, 0x002F, 0xC02F}
	tests := []struct {
		name   string
		addr   func(t *testing.T) string
		suites []uint16 // exact order
		pref   bool
	}{
		{"Go server", func(t *testing.T) string { return goServer(t, goCfg) }, []uint16{0xC02F, 0xC030, 0xC013, 0x009C}, true},
		{"fake, server order", func(t *testing.T) string {
			return (&fakeServer{versions: []Version{TLS12}, suites: serverOrder, serverPref: true, curve: GroupX25519}).start(t)
		}, serverOrder, true},
		{"fake, client order", func(t *testing.T) string {
			return (&fakeServer{versions: []Version{TLS12}, suites: serverOrder, curve: GroupX25519}).start(t)
		}, []uint16{0xC02F, 0x002F, 0x000A, 0x0005}, false}, // the prober's table order
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Probe(context.Background(), tt.addr(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Suites[TLS12]; !slices.Equal(got, tt.suites) {
				t.Errorf("suites = %s, want %s", names(got), names(tt.suites))
			}
			if pref, ok := r.ServerPreference[TLS12]; !ok || pref != tt.pref {
				t.Errorf("ServerPreference = %v (known %v), want %v", pref, ok, tt.pref)
			}
		})
	}
}

// TestProbeLegacy uses the raw fake server for what crypto/tls cannot
// serve.
func TestProbeLegacy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fake     *fakeServer
		versions []Version
		suites   map[Version][]uint16 // exact, in the prober's order (the fake follows the client)
		groups   []uint16
		dhBits   int
		alpn     []string
		errors   []string // substrings, one per expected entry
	}{{
		name:     "SSL 3.0 with RC4 and NULL",
		fake:     &fakeServer{versions: []Version{SSL30}, suites: []uint16{0x0001, 0x0005}},
		versions: []Version{SSL30},
		suites:   map[Version][]uint16{SSL30: {0x0005, 0x0001}},
	}, {
		name:     "SSL 3.0 to TLS 1.0 with export DHE",
		fake:     &fakeServer{versions: []Version{SSL30, TLS10}, suites: []uint16{0x0014, 0x0003, 0x0033}, dhBits: 512},
		versions: []Version{SSL30, TLS10},
		suites:   map[Version][]uint16{SSL30: {0x0033, 0x0014, 0x0003}, TLS10: {0x0033, 0x0014, 0x0003}},
		dhBits:   512,
	}, {
		name:     "TLS 1.2 anonymous suites, DHE 1024 and ECDHE on secp384r1",
		fake:     &fakeServer{versions: []Version{TLS12}, suites: []uint16{0x00A6, 0xC018, 0x009E}, dhBits: 1024, curve: GroupSecp384r1},
		versions: []Version{TLS12},
		suites:   map[Version][]uint16{TLS12: {0x009E, 0xC018, 0x00A6}},
		groups:   []uint16{GroupSecp384r1},
		dhBits:   1024,
	}, {
		name:     "TLS 1.3 by HelloRetryRequest for ffdhe2048",
		fake:     &fakeServer{suites: []uint16{0x1302, 0x1304}, hrrGroup: GroupFFDHE2048},
		versions: []Version{TLS13},
		suites:   map[Version][]uint16{TLS13: {0x1302, 0x1304}},
		groups:   []uint16{GroupFFDHE2048},
	}, {
		name:     "ALPN in a TLS 1.1 ServerHello",
		fake:     &fakeServer{versions: []Version{TLS11}, suites: []uint16{0x002F}, alpn: "http/1.1"},
		versions: []Version{TLS11},
		suites:   map[Version][]uint16{TLS11: {0x002F}},
		alpn:     []string{"http/1.1"},
	}, {
		name:   "handshake_failure to everything",
		fake:   &fakeServer{alert: 40},
		suites: map[Version][]uint16{},
	}, {
		name:   "closes without answering",
		fake:   &fakeServer{closeOnly: true},
		suites: map[Version][]uint16{},
	}, {
		name:   "internal_error to everything",
		fake:   &fakeServer{alert: 80},
		suites: map[Version][]uint16{},
		errors: []string{"SSL 3.0 hello: tlsprobe: server sent fatal alert internal_error (80)",
			"TLS 1.0 hello", "TLS 1.1 hello", "TLS 1.2 hello", "TLS 1.3 hello"},
	}, {
		name:     "TLS 1.1 hangs: a timeout is not a refusal",
		fake:     &fakeServer{versions: []Version{TLS10, TLS11, TLS12}, suites: []uint16{0x002F}, hangOn: TLS11},
		versions: []Version{TLS10, TLS12},
		suites:   map[Version][]uint16{TLS10: {0x002F}, TLS12: {0x002F}},
		errors:   []string{"TLS 1.1 hello: context deadline exceeded"},
	}, {
		name:   "a suite that was not offered",
		fake:   &fakeServer{versions: []Version{TLS12}, forceSuite: 0x1301},
		suites: map[Version][]uint16{},
		errors: []string{"TLS 1.2 hello: server chose cipher suite TLS_AES_128_GCM_SHA256, which was not offered"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Probe(context.Background(), tt.fake.start(t), Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.Versions, tt.versions) {
				t.Errorf("Versions = %v, want %v", r.Versions, tt.versions)
			}
			if len(r.Suites) != len(tt.suites) {
				t.Errorf("Suites = %v, want %v", r.Suites, tt.suites)
			}
			for v, want := range tt.suites {
				if got := r.Suites[v]; !slices.Equal(got, want) {
					t.Errorf("%v suites = %s, want %s", v, names(got), names(want))
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
			if len(r.Errors) != len(tt.errors) {
				t.Errorf("Errors = %q, want %d entries like %q", r.Errors, len(tt.errors), tt.errors)
			}
			for _, want := range tt.errors {
				if !slices.ContainsFunc(r.Errors, func(e string) bool { return strings.Contains(e, want) }) {
					t.Errorf("Errors = %q, want one containing %q", r.Errors, want)
				}
			}
		})
	}
}

func TestProbeFails(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	if _, err := Probe(context.Background(), closed, Options{}); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Probe(closed port) error = %v, want connection refused", err)
	}

	hang := (&fakeServer{hangOn: TLS12}).start(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err = Probe(ctx, hang, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Probe(cancelled) error = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Probe took %v to notice the cancellation", d)
	}
}

// TestHandshakeTLS13 decrypts the EncryptedExtensions after each key
// exchange the prober can generate, which proves the key schedule and every
// shared secret computation against crypto/tls.
func TestHandshakeTLS13(t *testing.T) {
	t.Parallel()
	rc, _ := testCerts(t)
	addr := goServer(t, &tls.Config{Certificates: []tls.Certificate{rc}, NextProtos: []string{"h2", "http/1.1"},
		CurvePreferences: []tls.CurveID{tls.X25519MLKEM768, tls.SecP256r1MLKEM768, tls.SecP384r1MLKEM1024, tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521}})
	for _, g := range []uint16{GroupX25519MLKEM768, GroupSecP256r1MLKEM768, GroupSecP384r1MLKEM1024, GroupX25519, GroupSecp256r1, GroupSecp384r1, GroupSecp521r1} {
		for _, suite := range []uint16{0x1301, 0x1302} {
			t.Run(GroupName(g)+"/"+SuiteName(suite), func(t *testing.T) {
				t.Parallel()
				sh, err := Handshake(context.Background(), addr, Hello{Version: TLS13, Suites: []uint16{suite}, Groups: []uint16{g}, KeyShares: []uint16{g}, ALPN: []string{"http/1.1", "h2"}}, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if sh.Version != TLS13 || sh.Suite != suite || sh.Group != g || sh.HelloRetryRequest {
					t.Errorf("got %v %s group %s HRR %v", sh.Version, SuiteName(sh.Suite), GroupName(sh.Group), sh.HelloRetryRequest)
				}
				if sh.FlightError != nil || !sh.EncryptedExtensions || sh.ALPN != "h2" {
					t.Errorf("EncryptedExtensions %v, ALPN %q, FlightError %v; want h2 decrypted", sh.EncryptedExtensions, sh.ALPN, sh.FlightError)
				}
			})
		}
	}
	t.Run("HelloRetryRequest", func(t *testing.T) {
		t.Parallel()
		sh, err := Handshake(context.Background(), addr, Hello{Version: TLS13, Suites: []uint16{0x1301}, Groups: []uint16{GroupSecp384r1}, KeyShares: []uint16{}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !sh.HelloRetryRequest || sh.Group != GroupSecp384r1 || sh.Suite != 0x1301 || sh.EncryptedExtensions {
			t.Errorf("got HRR %v group %s suite %s EE %v", sh.HelloRetryRequest, GroupName(sh.Group), SuiteName(sh.Suite), sh.EncryptedExtensions)
		}
	})
	t.Run("ChaCha20 is not decrypted", func(t *testing.T) {
		t.Parallel()
		sh, err := Handshake(context.Background(), addr, Hello{Version: TLS13, Suites: []uint16{0x1303}, ALPN: []string{"h2"}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if sh.Suite != 0x1303 || sh.EncryptedExtensions || sh.ALPN != "" || sh.FlightError != nil {
			t.Errorf("got suite %s EE %v ALPN %q FlightError %v", SuiteName(sh.Suite), sh.EncryptedExtensions, sh.ALPN, sh.FlightError)
		}
	})
	t.Run("alerts", func(t *testing.T) {
		t.Parallel()
		_, err := Handshake(context.Background(), addr, Hello{Version: TLS13, Suites: []uint16{0x1304}}, Options{})
		var a *AlertError
		if !errors.As(err, &a) || a.Description != 40 || !a.Refusal() || !Refused(err) {
			t.Errorf("CCM-only hello: error %v, want a handshake_failure refusal", err)
		}
		_, err = Handshake(context.Background(), addr, Hello{Version: TLS12, Suites: []uint16{0xC02F}, ALPN: []string{"spdy/1"}}, Options{})
		if !errors.As(err, &a) || a.Description != 120 {
			t.Errorf("unknown ALPN: error %v, want no_application_protocol", err)
		}
	})
}

func TestHandshakeServerName(t *testing.T) {
	t.Parallel()
	got := make(chan string, 3)
	addr := serve(t, func(c net.Conn) {
		ch, err := readClientHello(c)
		if err == nil {
			got <- ch.serverName
		}
	})
	_, port, _ := net.SplitHostPort(addr)
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	for _, tt := range []struct {
		addr string
		h, o string
		want string
	}{
		{addr: "example.test:" + port, want: "example.test"},
		{addr: addr, want: ""},
		{addr: addr, o: "from-options.test", want: "from-options.test"},
		{addr: "example.test:" + port, o: "from-options.test", h: "from-hello.test", want: "from-hello.test"},
	} {
		_, err := Handshake(context.Background(), tt.addr, Hello{Version: TLS12, Suites: []uint16{0xC02F}, ServerName: tt.h},
			Options{ServerName: tt.o, Dial: dial, Timeout: time.Second})
		if !errors.Is(err, ErrClosed) {
			t.Errorf("error %v, want ErrClosed", err)
		}
		if sni := <-got; sni != tt.want {
			t.Errorf("addr %s, Hello %q, Options %q: SNI %q, want %q", tt.addr, tt.h, tt.o, sni, tt.want)
		}
	}
}

// BenchmarkProbe is a full Probe of fixture (b) on loopback.
func BenchmarkProbe(b *testing.B) {
	addr := goServer(b, legacyGoConfig(b))
	var dials atomic.Int64
	o := Options{Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	start := time.Now()
	for b.Loop() {
		if _, err := Probe(context.Background(), addr, o); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/probe")
	b.ReportMetric(float64(dials.Load())/float64(b.N), "handshakes/probe")
}
