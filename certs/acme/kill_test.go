package acme

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/internal/pebbletest"
	"github.com/portcullis/portcullis/internal/testutil"
)

// killChildEnv, when set, makes TestKillChild the renewing child process
// of TestKillDuringWrite; it names the directory to work in.
const killChildEnv = "PORTCULLIS_ACME_KILL_CHILD"

// markedStorage reports each write on standard output, so that the parent
// can kill the process while one is in flight.
type markedStorage struct{ *Storage }

func (s markedStorage) Store(ctx context.Context, key string, value []byte) error {
	fmt.Printf("W %s\n", key)
	err := s.Storage.Store(ctx, key, value)
	fmt.Printf("D %s\n", key)
	return err
}

// TestKillChild is the child process of TestKillDuringWrite: it obtains a
// certificate from its own Pebble, then renews it (forced) in a loop until
// it is killed. Run on its own, without the environment variable, it
// returns at once.
func TestKillChild(t *testing.T) {
	dir := os.Getenv(killChildEnv)
	if dir == "" {
		return
	}
	ca := pebbletest.Start(t, pebbletest.Options{AlwaysValid: true})
	ca.Validate(freePort(t), freePort(t))
	roots, err := os.OpenFile(filepath.Join(dir, "roots.pem"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	roots.Write(ca.IssuerRootPEM())
	roots.Close()
	obtained := make(chan struct{}, 1)
	m, err := NewManager(Options{
		Dir:      filepath.Join(dir, "acme"),
		Issuer:   Issuer{CA: ca.DirectoryURL(), Email: "ops@example.com", Roots: ca.ClientRoots()},
		HTTPAddr: net.JoinHostPort("127.0.0.1", fmt.Sprint(freePort(t))), HTTPSAddr: net.JoinHostPort("127.0.0.1", fmt.Sprint(freePort(t))),
		Emit: func(e events.Event) {
			if e.Type == events.CertObtained || e.Type == events.CertRenewed {
				select {
				case obtained <- struct{}{}:
				default:
				}
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	m.base.Storage = markedStorage{m.storage.(*Storage)}
	if _, err := m.Source("s", []string{"localhost"}, nil); err != nil {
		t.Fatal(err)
	}
	select { // a first certificate, unless one was in storage already
	case <-obtained:
	case <-time.After(3 * time.Second):
	}
	fmt.Println("READY")
	for {
		if err := m.base.RenewCertSync(context.Background(), "localhost", true); err != nil {
			t.Logf("renewal: %v", err)
		}
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestKillDuringWrite kills (SIGKILL) a process renewing certificates
// while it writes one, several times over, in the same storage directory.
// Every file left must be whole (no partial or corrupt certificate, key
// or metadata), and the next start must serve a valid certificate.
func TestKillDuringWrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inFlight := 0 // kills that landed between a write's start and its end
	for run := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.v")
		cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = cmd.Stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		var log []string
		ready, target, writes := false, 1+rand.IntN(4), 0
		pending := ""
		deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
		for lines.Scan() {
			l := lines.Text()
			log = append(log, l)
			if l == "READY" {
				ready = true
			}
			if ready && strings.HasPrefix(l, "W ") && strings.HasSuffix(l, ".crt") {
				if writes++; writes == target {
					cmd.Process.Kill() // mid-write of the renewed certificate
					pending = l[2:]
					break
				}
			}
		}
		deadline.Stop()
		for lines.Scan() { // what the child printed before it died
			log = append(log, lines.Text())
		}
		cmd.Wait()
		t.Logf("run %d: killed after %d renewed certificates", run, writes)
		if pending == "" {
			t.Fatalf("run %d: the child never renewed a certificate:\n%s", run, strings.Join(log, "\n"))
		}
		finished := false
		for _, l := range log {
			if l == "D "+pending {
				finished = true
			}
		}
		if !finished {
			inFlight++
		}
		checkStorage(t, filepath.Join(dir, "acme"))
	}
	// Whether a kill lands inside a write is luck at this scale (a write
	// takes well under a millisecond); internal/atomicfile's
	// TestKillDuringWrite makes sure of it with large files.
	t.Logf("%d of 3 kills landed while a certificate was being written", inFlight)

	// The next start serves a valid certificate from what was left.
	roots := x509.NewCertPool()
	pemRoots, _ := os.ReadFile(filepath.Join(dir, "roots.pem"))
	roots.AppendCertsFromPEM(pemRoots)
	// The CA is gone; its URL only names where its certificates are
	// stored.
	m, err := NewManager(Options{
		Dir:      filepath.Join(dir, "acme"),
		Issuer:   Issuer{CA: storedCA(t, filepath.Join(dir, "acme")), Email: "ops@example.com"},
		HTTPAddr: "127.0.0.1:1", HTTPSAddr: "127.0.0.1:1",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	src, err := m.Source("s", []string{"localhost"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var c *tls.Certificate
	conn, peer := net.Pipe()
	defer conn.Close()
	defer peer.Close()
	testutil.Eventually(t, 10*time.Second, "a certificate served after the kills", func() bool {
		c, err = src.GetCertificate(&tls.ClientHelloInfo{ServerName: "localhost", Conn: conn})
		return err == nil && c != nil
	})
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	inter := x509.NewCertPool()
	for _, der := range c.Certificate[1:] {
		ic, _ := x509.ParseCertificate(der)
		inter.AddCert(ic)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: roots, Intermediates: inter}); err != nil {
		t.Fatalf("served certificate does not verify: %v", err)
	}
}

// storedCA returns the directory URL of the CA whose certificate for
// "localhost" is the newest in the storage directory: every child had its
// own Pebble on its own port, so its own issuer key.
func storedCA(t *testing.T, dir string) string {
	t.Helper()
	ents, _ := os.ReadDir(filepath.Join(dir, "certificates"))
	var best string
	var bestTime time.Time
	for _, e := range ents {
		crt := filepath.Join(dir, "certificates", e.Name(), "localhost", "localhost.crt")
		if fi, err := os.Stat(crt); err == nil && fi.ModTime().After(bestTime) {
			best, bestTime = e.Name(), fi.ModTime()
		}
	}
	// The issuer key of https://HOST:PORT/PATH is stored as HOST-PORT-PATH.
	host, rest, _ := strings.Cut(best, "-")
	port, path, _ := strings.Cut(rest, "-")
	ca := "https://" + host + ":" + port + "/" + path
	if got := certmagic.StorageKeys.CertsPrefix((&certmagic.ACMEIssuer{CA: ca}).IssuerKey()); got != "certificates/"+best {
		t.Fatalf("cannot recover the CA URL of stored issuer %q (got %q)", best, got)
	}
	return ca
}

// checkStorage fails the test for any file that is not whole: every
// certificate chain must parse, every key must parse, every metadata file
// must be valid JSON.
func checkStorage(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || isTemp(d.Name()) {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch filepath.Ext(path) {
		case ".crt":
			n := 0
			for rest := data; ; n++ {
				var b *pem.Block
				if b, rest = pem.Decode(rest); b == nil {
					if len(strings.TrimSpace(string(rest))) > 0 {
						return fmt.Errorf("%s: trailing garbage", path)
					}
					break
				}
				if _, err := x509.ParseCertificate(b.Bytes); err != nil {
					return fmt.Errorf("%s: %v", path, err)
				}
			}
			if n == 0 {
				return fmt.Errorf("%s: no certificate (size %d)", path, len(data))
			}
		case ".key":
			b, _ := pem.Decode(data)
			if b == nil {
				return fmt.Errorf("%s: not a PEM key (size %d)", path, len(data))
			}
			if _, err := x509.ParsePKCS8PrivateKey(b.Bytes); err != nil {
				if _, err2 := x509.ParseECPrivateKey(b.Bytes); err2 != nil {
					return fmt.Errorf("%s: %v", path, err)
				}
			}
		case ".json":
			if !json.Valid(data) {
				return fmt.Errorf("%s: invalid JSON (size %d)", path, len(data))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
