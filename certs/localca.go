package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/internal/atomicfile"
)

// Files in the local CA directory.
const (
	rootFile    = datadir.RootFile
	rootKeyFile = "root-key.pem"
)

const (
	rootValidity        = 10 * 365 * 24 * time.Hour
	defaultLeafValidity = 7 * 24 * time.Hour
	backdate            = time.Minute // tolerance for clients whose clock is slightly behind
	rootExpiryWarning   = 90 * 24 * time.Hour
)

// LocalCAOptions configures OpenLocalCA. The zero value is ready to use.
type LocalCAOptions struct {
	// Now is the clock (time.Now when nil). Leaf validity, renewal and
	// the checks made when loading use it.
	Now func() time.Time
	// Logger receives creation, issuance and renewal events
	// (slog.Default() when nil).
	Logger *slog.Logger
	// LeafValidity is the lifetime of issued leaf certificates (7 days
	// when zero). Leaves are renewed after two thirds of it.
	LeafValidity time.Duration
	// Root, when set, is the root the CA must use (cluster mode: the one
	// root every instance shares) instead of the one in the directory.
	// It is checked as a stored root is, then written into the
	// directory (key 0600 first, atomically), so that `portcullis ca
	// path` and a restart that cannot reach the cluster find it; a
	// different root found there is kept beside it, renamed with the
	// suffix ".replaced".
	Root *RootPEM
}

// RootPEM is a local CA's root certificate and private key, PEM.
type RootPEM struct {
	Cert, Key []byte
}

// LocalCA is a certificate authority for local development: it issues
// certificates for localhost names and loopback addresses only. It is safe
// for concurrent use.
type LocalCA struct {
	dir          string
	root         *x509.Certificate
	key          crypto.Signer
	now          func() time.Time
	log          *slog.Logger
	leafValidity time.Duration

	mu      sync.Mutex
	sources map[string]*localSource // by leafID
}

// OpenLocalCA opens the local CA stored in dir, creating dir (0700) and a
// new CA in it when neither root.pem nor root-key.pem exists. It refuses
// to use a directory writable by group or others, a key file accessible by
// group or others, and corrupt, mismatched, expired or half-present files;
// the error names the file and the fix. It never replaces an existing CA.
func OpenLocalCA(dir string, opts LocalCAOptions) (*LocalCA, error) {
	ca := &LocalCA{
		dir:          dir,
		now:          opts.Now,
		log:          opts.Logger,
		leafValidity: opts.LeafValidity,
		sources:      map[string]*localSource{},
	}
	if ca.now == nil {
		ca.now = time.Now
	}
	if ca.log == nil {
		ca.log = slog.Default()
	}
	if ca.leafValidity == 0 {
		ca.leafValidity = defaultLeafValidity
	}
	if ca.leafValidity < 2*backdate {
		return nil, fmt.Errorf("local CA: LeafValidity %v is too short (at least %v)", opts.LeafValidity, 2*backdate)
	}
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	if err := atomicfile.EnsureDir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("local CA: %w", err)
	}
	if opts.Root != nil {
		if err := ca.adopt(*opts.Root); err != nil {
			return nil, err
		}
	}
	_, errRoot := os.Stat(ca.RootPath())
	_, errKey := os.Stat(ca.keyPath())
	if errNotExist(errRoot) && errNotExist(errKey) {
		if err := ca.create(); err != nil {
			return nil, err
		}
	}
	if err := ca.load(); err != nil {
		return nil, err
	}
	return ca, nil
}

// checkDir refuses an existing directory that group or others can write:
// someone else could have replaced the CA in it.
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if errNotExist(err) || runtime.GOOS == "windows" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("local CA: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("local CA: %s is not a directory", dir)
	}
	if m := fi.Mode().Perm(); m&0o022 != 0 {
		return fmt.Errorf("local CA: directory %s is writable by group or others (mode %04o), so its CA cannot be trusted; check its files, then fix: chmod 700 %s", dir, m, dir)
	}
	return nil
}

func (ca *LocalCA) keyPath() string { return filepath.Join(ca.dir, rootKeyFile) }

// RootPath returns the path of the root certificate (root.pem), the file
// clients must trust.
func (ca *LocalCA) RootPath() string { return filepath.Join(ca.dir, rootFile) }

// Root returns the root certificate. The caller must not modify it.
func (ca *LocalCA) Root() *x509.Certificate { return ca.root }

// RootPool returns a new pool holding only the root, for
// tls.Config.RootCAs.
func (ca *LocalCA) RootPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.root)
	return p
}

// create makes a new root key and certificate and writes them, the key
// first: root.pem present means the CA is complete.
func (ca *LocalCA) create() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("local CA: generate key: %w", err)
	}
	var id [8]byte
	rand.Read(id[:])
	now := ca.now()
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "portcullis local CA " + hex.EncodeToString(id[:]), Organization: []string{"portcullis"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(rootValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
		// Name constraints: even a leaked key cannot sign for real sites.
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         []string{"localhost", ".localhost"},
		PermittedIPRanges: []*net.IPNet{
			{IP: net.IPv4(127, 0, 0, 0).To4(), Mask: net.CIDRMask(8, 32)},
			{IP: net.IPv6loopback, Mask: net.CIDRMask(128, 128)},
		},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return fmt.Errorf("local CA: create root certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("local CA: %w", err)
	}
	if err := atomicfile.Write(ca.keyPath(), pemBytes("PRIVATE KEY", keyDER), 0o600); err != nil {
		return fmt.Errorf("local CA: %w", err)
	}
	if err := atomicfile.Write(ca.RootPath(), pemBytes("CERTIFICATE", der), 0o644); err != nil {
		os.Remove(ca.keyPath())
		return fmt.Errorf("local CA: %w", err)
	}
	ca.log.Info("created local CA", "root", ca.RootPath(), "name", tmpl.Subject.CommonName, "not_after", tmpl.NotAfter)
	return nil
}

// load reads and checks the root and its key.
func (ca *LocalCA) load() error {
	rootPath, keyPath := ca.RootPath(), ca.keyPath()
	certPEM, err := os.ReadFile(rootPath)
	if errNotExist(err) {
		return fmt.Errorf("local CA: %s is missing but %s exists; restore it from a backup, or move the directory away to create a new CA (clients will have to trust the new root)", rootPath, keyPath)
	}
	if err != nil {
		return fmt.Errorf("local CA: %w", err)
	}
	if _, err := os.Stat(keyPath); errNotExist(err) {
		return fmt.Errorf("local CA: %s is missing but %s exists; restore it from a backup, or move the directory away to create a new CA (clients will have to trust the new root)", keyPath, rootPath)
	}
	if err := CheckKeyPerm(keyPath); err != nil {
		return fmt.Errorf("local CA: %w", err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return fmt.Errorf("local CA: %w", err)
	}
	root, key, err := ca.check(rootPath, keyPath, certPEM, keyPEM)
	if err != nil {
		return err
	}
	ca.root, ca.key = root, key
	return nil
}

// check parses and checks a root and its key, read from rootPath and
// keyPath (named in errors).
func (ca *LocalCA) check(rootPath, keyPath string, certPEM, keyPEM []byte) (*x509.Certificate, crypto.Signer, error) {
	chain, err := parseChain(rootPath, certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("local CA: %w", err)
	}
	if len(chain) != 1 {
		return nil, nil, fmt.Errorf("local CA: %s: holds %d certificates, want only the root", rootPath, len(chain))
	}
	root := chain[0]
	if !root.IsCA || root.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, nil, fmt.Errorf("local CA: %s: not a CA certificate (no CA basic constraint or no certificate-signing key usage)", rootPath)
	}
	key, err := parseKey(keyPath, keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("local CA: %w", err)
	}
	if !matches(key, root.PublicKey) {
		return nil, nil, fmt.Errorf("local CA: %s does not match the certificate in %s", keyPath, rootPath)
	}
	now := ca.now()
	if !now.Before(root.NotAfter) {
		return nil, nil, fmt.Errorf("local CA: %s expired on %s; move the directory away to create a new CA (clients will have to trust the new root)", rootPath, root.NotAfter.Format(time.RFC3339))
	}
	if now.Before(root.NotBefore) {
		return nil, nil, fmt.Errorf("local CA: %s is not valid before %s: is the system clock right?", rootPath, root.NotBefore.Format(time.RFC3339))
	}
	if root.NotAfter.Sub(now) < rootExpiryWarning {
		ca.log.Warn("local CA expires soon; move its directory away to create a new one", "root", rootPath, "not_after", root.NotAfter)
	}
	return root, key, nil
}

// adopt writes the given root into the directory, unless it holds it
// already; a different root there is renamed aside first.
func (ca *LocalCA) adopt(r RootPEM) error {
	given, _, err := ca.check("the given root", "the given root's key", r.Cert, r.Key)
	if err != nil {
		return err
	}
	rootPath, keyPath := ca.RootPath(), ca.keyPath()
	if old, err := os.ReadFile(rootPath); err == nil {
		if chain, err := parseChain(rootPath, old); err == nil && len(chain) == 1 && chain[0].Equal(given) {
			if _, err := os.Stat(keyPath); err == nil {
				return nil // the directory holds it already
			}
		}
		for _, p := range []string{keyPath, rootPath} {
			if err := os.Rename(p, p+".replaced"); err != nil && !errNotExist(err) {
				return fmt.Errorf("local CA: %w", err)
			}
		}
		ca.log.Warn("local CA: the directory's root is replaced by the given one (the cluster's); the old one is kept with the suffix .replaced",
			"root", rootPath, "name", given.Subject.CommonName)
	}
	if err := atomicfile.Write(keyPath, r.Key, 0o600); err != nil {
		return fmt.Errorf("local CA: %w", err)
	}
	if err := atomicfile.Write(rootPath, r.Cert, 0o644); err != nil {
		return fmt.Errorf("local CA: %w", err)
	}
	return nil
}

// RootPEM returns the root certificate and its private key, PEM: what a
// cluster shares so that every instance uses this root
// (LocalCAOptions.Root).
func (ca *LocalCA) RootPEM() (RootPEM, error) {
	keyDER, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		return RootPEM{}, fmt.Errorf("local CA: %w", err)
	}
	return RootPEM{Cert: pemBytes("CERTIFICATE", ca.root.Raw), Key: pemBytes("PRIVATE KEY", keyDER)}, nil
}

// Issue returns a new leaf certificate for names: "localhost", names under
// .localhost ("app.localhost", "*.localhost") and loopback addresses
// ("127.0.0.1", "::1", "[::1]"). Other names are refused, since the root's
// name constraints would make clients reject the certificate. The leaf has
// an ECDSA P-256 key, a random 128-bit serial, the server-authentication
// extended key usage, and is valid from one minute ago for LeafValidity
// (not past the root's expiry).
func (ca *LocalCA) Issue(names []string) (*tls.Certificate, error) {
	ns, err := parseNames(names)
	if err != nil {
		return nil, fmt.Errorf("local CA: %w", err)
	}
	return ca.issue(ns)
}

func (ca *LocalCA) issue(ns []name) (*tls.Certificate, error) {
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, n := range ns {
		if !n.isLocal() {
			return nil, fmt.Errorf("local CA: cannot issue for %q: the local CA is constrained to localhost, *.localhost and loopback addresses; use certificate files (or ACME) for other names", n)
		}
		if n.dns != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, n.dns)
		} else {
			tmpl.IPAddresses = append(tmpl.IPAddresses, net.IP(n.ip.AsSlice()))
		}
	}
	tmpl.Subject = pkix.Name{CommonName: ns[0].String(), Organization: []string{"portcullis local certificate"}}
	now := ca.now()
	tmpl.NotBefore = now.Add(-backdate)
	tmpl.NotAfter = now.Add(ca.leafValidity)
	if tmpl.NotAfter.After(ca.root.NotAfter) {
		tmpl.NotAfter = ca.root.NotAfter
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("local CA: generate key: %w", err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.root, key.Public(), ca.key)
	if err != nil {
		return nil, fmt.Errorf("local CA: sign certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("local CA: %w", err)
	}
	// Self-check: the leaf must verify under the root as a client will.
	if err := ca.verify(leaf, now); err != nil {
		return nil, fmt.Errorf("local CA: issued certificate does not verify: %w", err)
	}
	return newTLSCert([]*x509.Certificate{leaf}, key), nil
}

// verify checks that leaf chains to the root at time t for server auth.
func (ca *LocalCA) verify(leaf *x509.Certificate, t time.Time) error {
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:       ca.RootPool(),
		CurrentTime: t,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

// serialLimit is 2^128: serials are random 128-bit numbers.
var serialLimit = new(big.Int).Lsh(big.NewInt(1), 128)

// randomSerial returns a random positive serial number of up to 128 bits
// (at most 17 bytes in DER, within RFC 5280's 20).
func randomSerial() *big.Int {
	for {
		n, err := rand.Int(rand.Reader, serialLimit)
		if err == nil && n.Sign() > 0 {
			return n
		}
	}
}

// leafID identifies a set of names: the same names in any order share
// the persisted leaf files.
func leafID(ns []name) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = n.String()
	}
	sort.Strings(s)
	sum := sha256.Sum256([]byte(strings.Join(s, "\n")))
	return hex.EncodeToString(sum[:8])
}

func pemBytes(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
