// Package acme obtains and renews certificates from an ACME CA (RFC 8555:
// Let's Encrypt, ZeroSSL, Google Trust Services, a private CA) and serves
// them as a [certs.Source]. The ACME protocol, the challenge solvers,
// renewal scheduling (with ACME Renewal Information when the CA offers
// it), retries with backoff, locking and OCSP are certmagic's
// (github.com/caddyserver/certmagic); this package wires it to
// portcullis: its listeners, its storage discipline, its events and its
// on-demand guard.
//
// # Challenges
//
// certmagic normally answers challenges on listeners of its own. Here the
// answers come from portcullis's own listeners: the Manager is told the
// addresses they are bound to, so certmagic's attempt to bind them fails
// and it relies on the running server, which calls
// [Manager.HandleHTTPChallenge] on the plain-HTTP listener (HTTP-01) and
// serves the challenge certificate from [Source.GetCertificate] on the
// HTTPS listener, whose TLS configuration must offer the "acme-tls/1"
// protocol (TLS-ALPN-01).
//
// # Renewal and failure
//
// A certificate is renewed when the fraction RenewalWindow of its lifetime
// remains (or when the CA's renewal information says so), checked every
// RenewCheckInterval; nothing assumes a 90-day lifetime, so 45-day and
// 6-day certificates work the same way. A failed renewal is retried with
// certmagic's backoff (1 minute, then longer), and the current certificate
// stays in service meanwhile. Each outcome is an event: cert.obtained,
// cert.renewed, cert.obtain_failed, cert.renewal_failed.
//
// # Storage
//
// Certificates, keys and the ACME account live under one directory
// ([OpenStorage]); private keys are 0600 in 0700 directories, written
// atomically, and a key file others can read stops the start.
package acme

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/mholt/acmez/v3/acme"

	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/events"
)

// Challenge types.
const (
	HTTP01    = "http-01"     // answered on the plain-HTTP listener
	TLSALPN01 = "tls-alpn-01" // answered on the HTTPS listener
)

// Key types.
const (
	KeyECDSAP256 = "ecdsa-p256"
	KeyECDSAP384 = "ecdsa-p384"
	KeyRSA2048   = "rsa2048"
	KeyRSA4096   = "rsa4096"
	KeyEd25519   = "ed25519"
)

var keyTypes = map[string]certmagic.KeyType{
	"":           certmagic.P256,
	KeyECDSAP256: certmagic.P256,
	KeyECDSAP384: certmagic.P384,
	KeyRSA2048:   certmagic.RSA2048,
	KeyRSA4096:   certmagic.RSA4096,
	KeyEd25519:   certmagic.ED25519,
}

// Issuer is one ACME CA and the account used with it.
type Issuer struct {
	// CA is the directory URL. Required.
	CA string
	// Email is the account contact; optional (Let's Encrypt no longer
	// sends expiry mail). certmagic never prompts for it here: every
	// issuance runs in the background, non-interactively.
	Email string
	// EABKeyID and EABMACKey are External Account Binding credentials,
	// for CAs that require them.
	EABKeyID, EABMACKey string
	// Profile is an ACME profile the CA offers ("" for its default).
	Profile string
	// Roots are trusted for the CA's HTTPS API; nil means the system's.
	Roots *x509.CertPool
}

// Options configure a Manager.
type Options struct {
	// Dir is the storage directory. Required.
	Dir string
	// Issuer is the CA asked first. Required.
	Issuer Issuer
	// Fallback, when set, is asked when Issuer fails.
	Fallback *Issuer
	// KeyType is one of the Key constants. Default KeyECDSAP256.
	KeyType string
	// Challenges are HTTP01 and/or TLSALPN01. Default both.
	Challenges []string
	// HTTPAddr and HTTPSAddr are the bound addresses of the server's
	// plain-HTTP and HTTPS listeners, where the CA's validation requests
	// arrive. Required.
	HTTPAddr, HTTPSAddr string
	// RenewalWindow is the fraction of the lifetime, at its end, in which
	// a certificate is renewed. Default 1/3.
	RenewalWindow float64
	// RenewCheckInterval is how often certificates are checked for
	// renewal. Default 10 minutes.
	RenewCheckInterval time.Duration
	// Emit receives certificate events. Default: none.
	Emit events.Sink
	// Logger receives certmagic's log. Default slog.Default().
	Logger *slog.Logger
	// Storage, when set, holds the certificates, keys and accounts
	// instead of the crash-safe file storage in Dir: in cluster mode,
	// the storage every instance shares, whose locks make one instance
	// order a name and the others find it stored.
	Storage certmagic.Storage
}

// Manager runs ACME for a server: one certificate cache with its renewal
// loop, one storage directory, one account per CA. It is safe for
// concurrent use.
type Manager struct {
	o       Options
	storage certmagic.Storage
	cache   *certmagic.Cache
	base    *certmagic.Config // certificates managed from the start
	issuer  *certmagic.ACMEIssuer
	ctx     context.Context
	cancel  context.CancelFunc
	once    sync.Once // Close

	mu      sync.Mutex
	owners  map[string]string // managed name → site
	sources []*Source         // on-demand sources, for event attribution
}

// NewManager opens the storage and starts the renewal loop. Close stops
// it.
func NewManager(o Options) (*Manager, error) {
	if o.Dir == "" {
		return nil, errors.New("acme: no storage directory")
	}
	if o.Issuer.CA == "" {
		return nil, errors.New("acme: no CA directory URL")
	}
	if o.Fallback != nil && o.Fallback.CA == "" {
		return nil, errors.New("acme: fallback: no CA directory URL")
	}
	if _, ok := keyTypes[o.KeyType]; !ok {
		return nil, fmt.Errorf("acme: unknown key type %q", o.KeyType)
	}
	if len(o.Challenges) == 0 {
		o.Challenges = []string{HTTP01, TLSALPN01}
	}
	for _, c := range o.Challenges {
		if c != HTTP01 && c != TLSALPN01 {
			return nil, fmt.Errorf("acme: unknown challenge type %q", c)
		}
	}
	if o.RenewalWindow == 0 {
		o.RenewalWindow = 1.0 / 3
	}
	if o.RenewalWindow < 0 || o.RenewalWindow >= 1 {
		return nil, fmt.Errorf("acme: renewal window %v is not between 0 and 1", o.RenewalWindow)
	}
	if o.RenewCheckInterval == 0 {
		o.RenewCheckInterval = 10 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Emit == nil {
		o.Emit = func(events.Event) {}
	}
	var st certmagic.Storage = o.Storage
	if st == nil {
		fs, err := OpenStorage(o.Dir, o.Logger)
		if err != nil {
			return nil, err
		}
		st = fs
	}
	m := &Manager{o: o, storage: st, owners: map[string]string{}}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert:   func(certmagic.Certificate) (*certmagic.Config, error) { return m.base, nil },
		RenewCheckInterval: o.RenewCheckInterval,
		Logger:             zapLogger(o.Logger),
	})
	var err error
	if m.base, m.issuer, err = m.newConfig(nil); err != nil {
		m.cache.Stop()
		return nil, err
	}
	return m, nil
}

// newConfig builds a certmagic configuration on the shared cache and
// storage, with the on-demand settings given (nil for none).
func (m *Manager) newConfig(od *certmagic.OnDemandConfig) (*certmagic.Config, *certmagic.ACMEIssuer, error) {
	cfg := certmagic.New(m.cache, certmagic.Config{
		RenewalWindowRatio: m.o.RenewalWindow,
		OnEvent:            m.onEvent,
		ShouldEmitFunc:     func(e string) bool { return e == "cert_obtained" || e == "cert_failed" },
		OnDemand:           od,
		Storage:            m.storage,
		KeySource:          certmagic.StandardKeyGenerator{KeyType: keyTypes[m.o.KeyType]},
		Logger:             zapLogger(m.o.Logger),
	})
	first, err := m.newIssuer(cfg, m.o.Issuer)
	if err != nil {
		return nil, nil, err
	}
	cfg.Issuers = []certmagic.Issuer{first}
	if m.o.Fallback != nil {
		fb, err := m.newIssuer(cfg, *m.o.Fallback)
		if err != nil {
			return nil, nil, fmt.Errorf("fallback: %w", err)
		}
		cfg.Issuers = append(cfg.Issuers, fb)
	}
	return cfg, first, nil
}

func (m *Manager) newIssuer(cfg *certmagic.Config, is Issuer) (*certmagic.ACMEIssuer, error) {
	httpHost, httpPort, err := splitPort(m.o.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("acme: HTTP listener: %w", err)
	}
	_, tlsPort, err := splitPort(m.o.HTTPSAddr)
	if err != nil {
		return nil, fmt.Errorf("acme: HTTPS listener: %w", err)
	}
	t := certmagic.ACMEIssuer{
		CA:                      is.CA,
		TestCA:                  is.CA, // never switch to another CA on retries
		Email:                   is.Email,
		Agreed:                  true,
		Profile:                 is.Profile,
		TrustedRoots:            is.Roots,
		DisableHTTPChallenge:    !slices.Contains(m.o.Challenges, HTTP01),
		DisableTLSALPNChallenge: !slices.Contains(m.o.Challenges, TLSALPN01),
		// Our listeners hold these ports, so certmagic's own challenge
		// listeners fail to bind and it relies on ours.
		ListenHost:     httpHost,
		AltHTTPPort:    httpPort,
		AltTLSALPNPort: tlsPort,
		Logger:         zapLogger(m.o.Logger),
	}
	if is.EABKeyID != "" || is.EABMACKey != "" {
		t.ExternalAccount = &acme.EAB{KeyID: is.EABKeyID, MACKey: is.EABMACKey}
	}
	return certmagic.NewACMEIssuer(cfg, t), nil
}

func splitPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	if err != nil || n <= 0 || n > 65535 {
		return "", 0, fmt.Errorf("%q has no port", addr)
	}
	return host, n, nil
}

// HandleHTTPChallenge answers an HTTP-01 challenge request and reports
// whether it did; call it first thing on the plain-HTTP listener.
func (m *Manager) HandleHTTPChallenge(w http.ResponseWriter, r *http.Request) bool {
	return m.issuer.HandleHTTPChallenge(w, r)
}

// Close stops renewals and the cache. It may be called more than once.
func (m *Manager) Close() {
	m.once.Do(func() {
		m.cancel()
		m.cache.Stop()
	})
}

// OnDemand configures certificates obtained during the first handshake
// for a name. Every name must pass Match; then, when set, be in Allow;
// then, when set, be approved by Ask. With neither Ask nor Allow, Match
// alone decides, which Source refuses when Match is nil.
type OnDemand struct {
	// Match reports whether the site serves name (its host patterns).
	Match func(name string) bool
	// Allow lists the names allowed.
	Allow []string
	// Ask is asked GET Ask?domain=NAME; a 2xx answer approves.
	Ask string
}

// Source serves the certificates of one site. It implements
// [certs.Source].
type Source struct {
	m     *Manager
	site  string
	cfg   *certmagic.Config
	names []string // managed from the start; nil when on demand
	od    *OnDemand

	seen sync.Map // names served on demand (string → struct{}); read-mostly
}

// Source starts managing names for site: certificates already in storage
// are loaded, missing ones are obtained in the background (so the server
// must be serving for the challenges to be answered). With od, nothing is
// obtained in advance: each name is obtained at its first handshake, if
// the guard approves it.
func (m *Manager) Source(site string, names []string, od *OnDemand) (*Source, error) {
	s := &Source{m: m, site: site, cfg: m.base}
	if od != nil {
		if od.Match == nil && od.Ask == "" && len(od.Allow) == 0 {
			return nil, errors.New("acme: on-demand certificates need a guard (ask URL, allow list or host patterns)")
		}
		s.od = od
		guard, err := newGuard(od)
		if err != nil {
			return nil, err
		}
		if s.cfg, _, err = m.newConfig(&certmagic.OnDemandConfig{DecisionFunc: guard.decide}); err != nil {
			return nil, err
		}
		m.mu.Lock()
		m.sources = append(m.sources, s)
		m.mu.Unlock()
		return s, nil
	}
	for _, n := range names {
		n = strings.ToLower(strings.TrimSuffix(n, "."))
		if strings.HasPrefix(n, "*.") {
			return nil, fmt.Errorf("acme: %s: wildcard certificates need the DNS-01 challenge, which is not supported", n)
		}
		s.names = append(s.names, n)
	}
	if len(s.names) == 0 {
		return nil, errors.New("acme: no names")
	}
	m.mu.Lock()
	for _, n := range s.names {
		m.owners[n] = site
	}
	m.mu.Unlock()
	// Certificates in storage that need nothing are loaded now, so they
	// are served when Source returns; the renewal loop looks after them
	// from its first tick, one at a time. The others (missing, due for
	// renewal) go to certmagic's management at once, in the background.
	// Handing every name to ManageAsync instead would start one job per
	// name, each asking the CA for renewal information when it is due:
	// after downtime, a storm of requests at start-up.
	var now []string
	for _, n := range s.names {
		if m.Cached(n) {
			continue
		}
		c, err := m.base.CacheManagedCertificate(m.ctx, n)
		if err != nil || c.NeedsRenewal(m.base) {
			now = append(now, n)
		}
	}
	if err := m.base.ManageAsync(m.ctx, now); err != nil {
		return nil, fmt.Errorf("acme: %w", err)
	}
	return s, nil
}

// Retain keeps managing only the names of sources (the sources of the
// configuration now in service) and stops renewing the others, which a
// reload removed. Their stored certificates are kept.
func (m *Manager) Retain(sources []*Source) {
	keep := map[string]string{}
	var od []*Source
	for _, s := range sources {
		if s.od != nil {
			od = append(od, s)
		}
		for _, n := range s.names {
			keep[n] = s.site
		}
	}
	m.mu.Lock()
	var gone []certmagic.SubjectIssuer
	for n := range m.owners {
		if _, ok := keep[n]; !ok {
			gone = append(gone, certmagic.SubjectIssuer{Subject: n})
		}
	}
	m.owners, m.sources = keep, od
	m.mu.Unlock()
	if len(gone) > 0 {
		m.cache.RemoveManaged(gone)
	}
}

// Cached reports whether a certificate for name is in the manager's
// cache (served and renewed).
func (m *Manager) Cached(name string) bool {
	return len(m.cache.AllMatchingCertificates(strings.ToLower(name))) > 0
}

// GetCertificate serves the site's certificate for a handshake, the
// TLS-ALPN-01 challenge certificate when the CA is validating, and on
// demand obtains one first.
func (s *Source) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	c, err := s.cfg.GetCertificate(hello)
	if err == nil && s.od != nil && hello.ServerName != "" && !isChallenge(hello) {
		// A lock-free load on every handshake; a store only the first time.
		name := strings.ToLower(hello.ServerName)
		if _, ok := s.seen.Load(name); !ok {
			s.seen.Store(name, struct{}{})
		}
	}
	return c, err
}

func isChallenge(hello *tls.ClientHelloInfo) bool {
	return len(hello.SupportedProtos) == 1 && hello.SupportedProtos[0] == "acme-tls/1"
}

// Names returns the names the source manages: those given to Source, or
// for an on-demand source those it has served so far.
func (s *Source) Names() []string {
	if s.od == nil {
		return s.names
	}
	var out []string
	s.seen.Range(func(k, _ any) bool {
		out = append(out, k.(string))
		return true
	})
	slices.Sort(out)
	return out
}

// Certificates describes the certificates the source serves now.
// RenewAt is estimated from the renewal window; renewal information from
// the CA can bring it forward.
func (s *Source) Certificates() []certs.Info {
	var out []certs.Info
	done := map[string]bool{}
	for _, n := range s.Names() {
		for _, c := range s.m.cache.AllMatchingCertificates(n) {
			if done[c.Hash()] {
				continue
			}
			done[c.Hash()] = true
			leaf := c.Leaf
			if leaf == nil && len(c.Certificate.Certificate) > 0 {
				leaf, _ = x509.ParseCertificate(c.Certificate.Certificate[0])
			}
			if leaf == nil {
				continue
			}
			info := certs.InfoOf(leaf, certs.SourceACME)
			info.RenewAt = renewAt(leaf, s.m.o.RenewalWindow)
			out = append(out, info)
		}
	}
	return out
}

// renewAt estimates when a certificate is renewed: when the fraction
// window of its lifetime remains (renewal information from the CA can
// bring it forward).
func renewAt(leaf *x509.Certificate, window float64) time.Time {
	life := leaf.NotAfter.Sub(leaf.NotBefore)
	return leaf.NotAfter.Add(-time.Duration(float64(life) * window))
}

// siteOf names the site a certificate name belongs to.
func (m *Manager) siteOf(name string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.owners[name]; ok {
		return s
	}
	for _, s := range m.sources {
		if s.od.Match != nil && s.od.Match(name) {
			return s.site
		}
	}
	return ""
}

// onEvent turns certmagic's events into portcullis events.
func (m *Manager) onEvent(ctx context.Context, name string, data map[string]any) error {
	id, _ := data["identifier"].(string)
	renewal, _ := data["renewal"].(bool)
	e := events.Event{Time: time.Now(), Site: m.siteOf(id), Names: []string{id}, Source: certs.SourceACME}
	switch name {
	case "cert_obtained":
		e.Type, e.Severity = events.CertObtained, events.Info
		if renewal {
			e.Type = events.CertRenewed
		}
		if p, ok := data["certificate_path"].(string); ok {
			if leaf := m.loadLeaf(ctx, p); leaf != nil {
				info := certs.InfoOf(leaf, certs.SourceACME)
				e.Names, e.Issuer, e.NotAfter = info.Names, info.Issuer, info.NotAfter
			}
		}
		verb := "obtained"
		if renewal {
			verb = "renewed"
		}
		e.Message = fmt.Sprintf("certificate for %s %s", id, verb)
		if !e.NotAfter.IsZero() {
			e.Message += fmt.Sprintf(" from %s, valid until %s", e.Issuer, e.NotAfter.UTC().Format(time.RFC3339))
		}
	case "cert_failed":
		e.Type, e.Severity = events.CertObtainFailed, events.High
		e.Message = fmt.Sprintf("could not obtain a certificate for %s; retrying", id)
		if renewal {
			e.Type = events.CertRenewalFailed
			e.Message = fmt.Sprintf("could not renew the certificate for %s; the current one stays in service and renewal is retried", id)
			if left, ok := data["remaining"].(time.Duration); ok {
				if left <= 0 {
					e.Severity = events.Critical
					e.Message = fmt.Sprintf("could not renew the certificate for %s, which has expired; retrying", id)
				} else {
					e.Message += fmt.Sprintf(" (it expires in %s)", left.Round(time.Second))
				}
			}
		}
		if err, ok := data["error"].(error); ok {
			e.Error = err.Error()
		}
	default:
		return nil
	}
	m.o.Emit(e)
	return nil
}

// loadLeaf reads the first certificate of a stored PEM chain.
func (m *Manager) loadLeaf(ctx context.Context, key string) *x509.Certificate {
	data, err := m.storage.Load(ctx, key)
	if err != nil {
		return nil
	}
	b, _ := pem.Decode(data)
	if b == nil {
		return nil
	}
	leaf, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil
	}
	return leaf
}
