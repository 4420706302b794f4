// Package config reads portcullis.toml, the configuration of
// `portcullis serve` and `portcullis check`: the listeners, the TLS
// profile, the server limits, the access log, the ACME CA, certificate
// expiry monitoring, alerts, backups, the event store, the report
// collector, the self-audits, a default shield policy and the sites (host names, upstream,
// certificate source, policy overrides).
//
// Load reads, parses and validates a file. Every problem is reported, not
// just the first, each as "file:line: site "name": key: message": TOML
// syntax, unknown keys (with a suggestion for typos), wrong types, bad
// values, and everything shield.New would refuse for a site, located at
// the key that causes it. Any string value may be written "${NAME}" to
// take it from the environment (secrets); error messages never repeat
// such a value.
//
// A site's policy inherits the file's [defaults] key by key: a key set
// in the site wins, a key left out is inherited, and a list set in the
// site replaces the inherited one. Config.ShieldOptions gives the merged
// shield.Options of a site. docs/config.md documents every key.
package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/events"
)

// Config is a parsed configuration. Parse fills in the defaults, so every
// field holds the value in force.
type Config struct {
	// Path is the file the configuration was loaded from; "" when built
	// in code.
	Path string
	// Listen holds the listener addresses.
	Listen Listen
	// DataDir is where the local CA and certificates live; "" lets the
	// caller choose. A relative path in the file is relative to the
	// file's directory.
	DataDir string
	// TLS is the protocol profile of the HTTPS listener.
	TLS TLS
	// Limits are the server's timeouts and size limits.
	Limits Limits
	// AccessLog configures the access log.
	AccessLog AccessLog
	// ACME configures certificates from an ACME CA, for sites whose
	// cert.source is "acme".
	ACME ACME
	// Monitor configures certificate expiry monitoring.
	Monitor Monitor
	// Alerts configures which events become alerts and the webhook they
	// are sent to.
	Alerts Alerts
	// Backup configures scheduled encrypted backups of certificates and
	// keys; off unless Dir is set.
	Backup Backup
	// Store configures the store of events and browser reports.
	Store Store
	// Reports configures the collector of browser reports.
	Reports Reports
	// Audit configures the server's audits of its own sites.
	Audit Audit
	// Cluster, when not nil, makes this instance one of several sharing
	// state through Redis ([cluster]); nil without the section.
	Cluster *Cluster
	// Defaults is the shield policy every site inherits.
	Defaults Policy
	// Sites are the sites served, in file order (the order in which
	// requests are matched to them).
	Sites []Site

	lines   map[string]int  // key path → line, from Parse
	bad     map[string]bool // key paths that failed to decode
	secrets []secret        // values taken from the environment
}

// Listen holds the listener addresses ("host:port"; an empty host means
// every interface).
type Listen struct {
	// HTTPS is the TLS listener. Default ":8443" (the caller may choose
	// ":443" when it can bind it).
	HTTPS string
	// HTTP is the plain-HTTP listener: health checks, ACME challenges
	// and the redirect to HTTPS. Default ":8080".
	HTTP string
	// Admin is the admin listener: the dashboard and its API (package
	// dashboard), /metrics for Prometheus, /healthz. Default
	// DefaultAdmin, on loopback, in plain HTTP. An address beyond
	// loopback (see LoopbackAddr) needs AdminToken and is served over
	// TLS only, and `portcullis check` warns about it. "" (written "off"
	// in the file) disables it.
	Admin string
	// AdminToken, when set, is the bearer token every admin request but
	// /healthz and the sign-in page must carry ("Authorization: Bearer
	// <token>", or the session cookie of a browser that posted it to
	// the sign-in page): at least MinAdminToken characters, letters,
	// digits and -._~+/= only (RFC 6750's b64token). Usually
	// "${ENV_NAME}". Required when Admin is not on loopback.
	AdminToken string
	// AdminHosts are the host names the admin listener answers besides
	// localhost and IP literals, which it always answers: any other Host
	// header is refused, so that a web page whose DNS name is made to
	// point at the listener (DNS rebinding) cannot read it. For a
	// Prometheus that scrapes it by name.
	AdminHosts []string
}

// DefaultAdmin is the default admin listener address.
const DefaultAdmin = "127.0.0.1:9180"

// MinAdminToken is the shortest Listen.AdminToken accepted, in bytes.
const MinAdminToken = 16

// LoopbackAddr reports whether a listener address ("host:port") only
// accepts connections from this machine: its host is "localhost" or a
// loopback IP (127.0.0.0/8, ::1). An empty host, "0.0.0.0" and "::"
// listen everywhere; any other name may resolve anywhere.
func LoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// ACME directory URLs of well-known CAs, which the file may name.
const (
	LetsEncrypt        = "https://acme-v02.api.letsencrypt.org/directory"
	LetsEncryptStaging = "https://acme-staging-v02.api.letsencrypt.org/directory"
	ZeroSSL            = "https://acme.zerossl.com/v2/DV90"
)

// ACMEIssuer is one ACME CA and the account used with it.
type ACMEIssuer struct {
	// CA is the directory URL. The file may also say "letsencrypt"
	// (default), "letsencrypt-staging" or "zerossl".
	CA string
	// Email is the account's contact address; optional (Let's Encrypt
	// no longer sends expiry mail, and portcullis alerts itself).
	Email string
	// EAB are the External Account Binding credentials some CAs
	// (ZeroSSL, Google, most commercial CAs) require.
	EAB EAB
	// Profile is an ACME profile the CA offers, e.g. Let's Encrypt's
	// "shortlived" (6-day certificates); "" for the CA's default.
	Profile string
	// CARoot is a PEM file of root certificates trusted for the CA's
	// own HTTPS API, for private CAs; "" trusts the system roots.
	CARoot string
}

// EAB are External Account Binding credentials (RFC 8555 section 7.3.4).
type EAB struct {
	// KeyID is the key identifier the CA gave.
	KeyID string
	// MACKey is the base64url-encoded HMAC key the CA gave; a secret,
	// usually written "${ENV_NAME}".
	MACKey string
}

// ACME key types.
const (
	KeyECDSAP256 = "ecdsa-p256" // default
	KeyECDSAP384 = "ecdsa-p384"
	KeyRSA2048   = "rsa2048"
	KeyRSA4096   = "rsa4096"
	KeyEd25519   = "ed25519"
)

// ACME challenge types.
const (
	ChallengeHTTP01    = "http-01"     // answered on the plain-HTTP listener
	ChallengeTLSALPN01 = "tls-alpn-01" // answered on the HTTPS listener
)

// ACME configures certificates obtained and renewed from an ACME CA.
type ACME struct {
	// ACMEIssuer is the CA certificates are requested from first.
	ACMEIssuer
	// Fallback, when set, is tried when the first CA fails. An empty
	// Email is the first CA's: Parse fills it in, and Validate accepts
	// it empty.
	Fallback *ACMEIssuer
	// KeyType is the certificates' key type. Default KeyECDSAP256.
	KeyType string
	// Challenges are the challenge types offered. Default both
	// ChallengeHTTP01 and ChallengeTLSALPN01.
	Challenges []string
	// RenewalWindow is the fraction of a certificate's lifetime, at its
	// end, in which it is renewed. Default 1/3 (a 90-day certificate is
	// renewed 30 days before expiry, a 6-day one 2 days before). ACME
	// Renewal Information from the CA takes precedence.
	RenewalWindow float64
	// RenewCheckInterval is how often certificates are checked for
	// renewal. Default 10m.
	RenewCheckInterval time.Duration
}

// Monitor configures certificate expiry monitoring.
type Monitor struct {
	// Thresholds are the times before expiry at which a cert.expiring
	// event fires, once each. Default 30d, 14d, 7d, 1d. Parse sorts them,
	// longest first.
	Thresholds []time.Duration
	// Interval is how often certificates are checked. Default 1h.
	Interval time.Duration
}

// Alerts configures which events become alerts (package alert) and the
// webhook they are sent to. Every event is logged either way.
type Alerts struct {
	// Webhook is a URL that receives each alert as a POST; "" for none.
	Webhook string
	// Secret, when set, signs each POST (HMAC-SHA256, header
	// X-Portcullis-Signature). Usually "${ENV_NAME}".
	Secret string
	// Format is the body: "json" (default: the event's fields) or
	// "slack" (a Slack incoming-webhook message).
	Format string
	// MinSeverity is the lowest severity sent. Default Medium; the file
	// also accepts 0.x's "warning" (medium) and "error" (high).
	MinSeverity events.Severity
	// Dedup is how long an identical alert is not sent again; 0 sends
	// every one. Default 24h.
	Dedup time.Duration
	// Rules turn events into alerts ([[alerts.rule]]); nil means the
	// built-in rules (alert.DefaultRules).
	Rules []AlertRule
}

// AlertRule is one [[alerts.rule]]: when Threshold events of the listed
// types from one group arrive within Window, an alert is sent.
type AlertRule struct {
	// Name identifies the rule in its alerts; required, unique.
	Name string
	// Events are event types ("host.rejected") or patterns of them
	// ("cert.*"); at least one.
	Events []string
	// MinSeverity is the lowest severity counted. Default Info.
	MinSeverity events.Severity
	// Threshold is how many events raise an alert, 1 to 10000. Default
	// 1: each event is the alert.
	Threshold int
	// Window is the time the events are counted in, and the rule's quiet
	// time after an alert; required with a Threshold above 1. Default 0.
	Window time.Duration
	// Per groups the events: "client", "site" or "none" (default).
	Per string
	// Severity is the alert's. Default Medium.
	Severity events.Severity
}

// Backup configures scheduled encrypted backups of the certificates, keys
// and ACME account.
type Backup struct {
	// Dir receives the backups; "" disables scheduled backups.
	Dir string
	// Interval between backups. Default 24h.
	Interval time.Duration
	// Keep is how many backups are kept. Default 7.
	Keep int
	// Recipients are age public keys ("age1...") that can decrypt the
	// backups.
	Recipients []string
	// Passphrase encrypts the backups instead; usually "${ENV_NAME}".
	Passphrase string
}

// TLS profile names, as in Mozilla's server-side TLS guidelines.
const (
	// ProfileIntermediate is TLS 1.2 and 1.3 with AEAD cipher suites
	// that have forward secrecy only. The default.
	ProfileIntermediate = "intermediate"
	// ProfileModern is TLS 1.3 only.
	ProfileModern = "modern"
)

// TLS configures the HTTPS listener's protocol.
type TLS struct {
	// Profile is ProfileIntermediate (default) or ProfileModern.
	Profile string
}

// Limits are the server's timeouts and size limits. A zero timeout means
// none (ReadHeaderTimeout excepted, which must be positive).
type Limits struct {
	// ReadHeaderTimeout bounds reading a request's headers, so that a
	// client sending them slowly cannot hold a connection (slowloris).
	// Default 10s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request. Default 60s.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing a response. Default 0 (none), so that
	// streams (server-sent events, downloads) can last.
	WriteTimeout time.Duration
	// IdleTimeout closes keep-alive connections idle that long. Default
	// 120s.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the size of a request's headers. Default 64
	// KiB.
	MaxHeaderBytes int
	// MaxBodyBytes bounds the size of a request body (413 beyond).
	// Default 10 MiB.
	MaxBodyBytes int64
	// ShutdownTimeout is how long a graceful shutdown waits for requests
	// in flight. Default 30s.
	ShutdownTimeout time.Duration
	// UpstreamTimeout bounds the wait for an upstream's response
	// headers (504 beyond). Default 60s.
	UpstreamTimeout time.Duration
	// UpstreamDialTimeout bounds connecting to an upstream (502 beyond).
	// Default 5s.
	UpstreamDialTimeout time.Duration
}

// DefaultLimits returns the default limits.
func DefaultLimits() Limits {
	return Limits{
		ReadHeaderTimeout:   10 * time.Second,
		ReadTimeout:         60 * time.Second,
		IdleTimeout:         120 * time.Second,
		MaxHeaderBytes:      64 << 10,
		MaxBodyBytes:        10 << 20,
		ShutdownTimeout:     30 * time.Second,
		UpstreamTimeout:     60 * time.Second,
		UpstreamDialTimeout: 5 * time.Second,
	}
}

// Access log formats.
const (
	LogJSON   = "json"   // one JSON object per request (default)
	LogCommon = "common" // NCSA common log format
	LogOff    = "off"    // no access log
)

// AccessLog configures the access log.
type AccessLog struct {
	// Format is LogJSON (default), LogCommon or LogOff.
	Format string
	// Path is the file appended to; "" means standard error. A relative
	// path in the file is relative to the file's directory.
	Path string
}

// Site is one site: the host names it answers to, where requests go, its
// certificate and its policy.
type Site struct {
	// Name identifies the site in messages and logs. Default: the first
	// host.
	Name string
	// Hosts are the names the site answers to, as shield.Options.Hosts
	// takes them: exact names, IP literals, ".example.com" (the domain
	// and every subdomain) or "*". At least one; no host may belong to
	// two sites.
	Hosts []string
	// Upstream is where requests go: "http://host:port", "https://...",
	// "unix:/absolute/path.sock", or "demo" (the built-in demo app).
	Upstream string
	// TrustedProxies are proxies in front of portcullis (IPs or CIDR
	// prefixes) whose forwarding headers are believed. Default: none.
	TrustedProxies []string
	// Cert says where the site's certificate comes from.
	Cert CertSource
	// Policy overrides Defaults for this site.
	Policy Policy
	// Line is the line of the site's [[site]] table, for messages; 0 when
	// built in code.
	Line int

	path     string // key path of the site's table, for line lookups
	certAuto bool   // Cert.Source was chosen by AutoSource
}

// AutoSource is the certificate source of a site whose cert.source is not
// set: the local CA when every host is a local name (localhost,
// *.localhost, a loopback address), which is all the local CA may issue
// for; otherwise ACME, so that public names get publicly trusted
// certificates automatically.
func AutoSource(hosts []string) string {
	for _, h := range hosts {
		h = strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]"))
		h = strings.TrimPrefix(h, ".")
		if h == "localhost" || strings.HasSuffix(h, ".localhost") {
			continue
		}
		if ip, err := netip.ParseAddr(h); err == nil && ip.Unmap().IsLoopback() {
			continue
		}
		return CertACME
	}
	return CertLocal
}

// Certificate sources: the names package certs gives the sources, so that
// a site's cert.source and the Source of its certificates' Info match.
const (
	CertLocal = certs.SourceLocal // portcullis's local CA (default)
	CertFiles = certs.SourceFiles // PEM files, hot-reloaded
	CertACME  = certs.SourceACME  // an ACME CA ([acme])
)

// CertSource says where a site's certificate comes from.
type CertSource struct {
	// Source is CertLocal (a certificate from portcullis's local CA,
	// trusted only where that CA is installed; for localhost and loopback
	// hosts), CertFiles (Cert and Key) or CertACME (certificates obtained
	// and renewed automatically, see ACME). Default: AutoSource(Hosts).
	Source string
	// Cert is the PEM certificate chain file (source "files"). A relative
	// path in the file is relative to the file's directory.
	Cert string
	// Key is the PEM private key file (source "files").
	Key string
	// OnDemand (source "acme") obtains certificates during the first
	// TLS handshake for a name rather than at start-up: for hosts
	// ".example.com" and "*". A name must match the site's hosts and,
	// when set, pass Ask and Allow; "*" needs Ask or Allow.
	OnDemand bool
	// Ask is a URL asked before obtaining a certificate on demand:
	// GET Ask?domain=NAME must answer 2xx.
	Ask string
	// Allow lists the names certificates may be obtained for on demand;
	// Parse lower-cases them.
	Allow []string
}

// Default returns the zero-configuration setup: one site, "localhost",
// for localhost, 127.0.0.1 and ::1, proxying to the built-in demo app
// with a certificate from the local CA, on the default listeners and
// limits with the default policy.
func Default() *Config {
	c := empty()
	c.Sites = []Site{{
		Name:     "localhost",
		Hosts:    []string{"localhost", "127.0.0.1", "::1"},
		Upstream: "demo",
		Cert:     CertSource{Source: CertLocal},
		// The demo app has no inline script or style, so it can show
		// a full same-origin policy rather than shield's baseline.
		Policy: Policy{CSP: CSP{Policy: new("strict")}},
	}}
	return c
}

// empty returns a configuration with the defaults and no site.
func empty() *Config {
	return &Config{
		Listen: Listen{HTTPS: ":8443", HTTP: ":8080", Admin: DefaultAdmin},
		ACME: ACME{
			ACMEIssuer:         ACMEIssuer{CA: LetsEncrypt},
			KeyType:            KeyECDSAP256,
			Challenges:         []string{ChallengeHTTP01, ChallengeTLSALPN01},
			RenewalWindow:      1.0 / 3,
			RenewCheckInterval: 10 * time.Minute,
		},
		Monitor: Monitor{
			Thresholds: []time.Duration{30 * day, 14 * day, 7 * day, day},
			Interval:   time.Hour,
		},
		Alerts:    Alerts{Format: "json", MinSeverity: events.Medium, Dedup: 24 * time.Hour},
		Backup:    Backup{Interval: 24 * time.Hour, Keep: 7},
		Store:     defaultStore(),
		Reports:   defaultReports(),
		Audit:     defaultAudit(),
		TLS:       TLS{Profile: ProfileIntermediate},
		Limits:    DefaultLimits(),
		AccessLog: AccessLog{Format: LogJSON},
	}
}

const day = 24 * time.Hour

// Load reads the file at path, parses and validates it. The error lists
// every problem found (see Errors).
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, Errors{{File: path, Msg: "cannot read: " + err.Error()}}
	}
	return Parse(path, data)
}

// Parse parses and validates a configuration; path names it in messages
// and anchors relative paths. The error lists every problem found (see
// Errors); no configuration is returned then.
func Parse(path string, data []byte) (*Config, error) {
	return parse(path, data, os.LookupEnv, nil)
}

// parse is Parse with the environment and an optional record of the keys
// the decoder knows (for the documentation test).
func parse(path string, data []byte, env func(string) (string, bool), known map[string]bool) (*Config, error) {
	data, _ = bytes.CutPrefix(data, []byte("\ufeff")) // a BOM, from editors on Windows
	var raw map[string]any
	if err := toml.Unmarshal(data, &raw); err != nil {
		return nil, Errors{syntaxError(path, err)}
	}
	c := empty()
	c.Path = path
	c.lines = keyLines(data)
	d := &decoder{file: path, lines: c.lines, env: env, bad: map[string]bool{}, known: known}
	d.config(c, raw)
	c.bad = d.bad
	c.secrets = d.secrets
	c.resolvePaths()
	errs := c.redact(d.errs)
	var verr Errors
	if errors.As(c.Validate(), &verr) {
		errs = append(errs, verr...)
	}
	if err := errs.result(); err != nil {
		return nil, err
	}
	// Sorted only now, so that messages number the items as the file does.
	slices.SortFunc(c.Monitor.Thresholds, func(a, b time.Duration) int { return cmp.Compare(b, a) })
	return c, nil
}

func syntaxError(path string, err error) *Error {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		msg, _ := strings.CutPrefix(de.Error(), "toml: ")
		return &Error{File: path, Line: line, Key: displayKey(de.Key()), Msg: "invalid TOML: " + msg}
	}
	msg, _ := strings.CutPrefix(err.Error(), "toml: ")
	return &Error{File: path, Msg: "invalid TOML: " + msg}
}

// resolvePaths makes the file paths in the configuration relative to the
// configuration file's directory.
func (c *Config) resolvePaths() {
	if c.Path == "" {
		return
	}
	dir := filepath.Dir(c.Path)
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	abs(&c.DataDir)
	abs(&c.AccessLog.Path)
	abs(&c.ACME.CARoot)
	if c.ACME.Fallback != nil {
		abs(&c.ACME.Fallback.CARoot)
	}
	abs(&c.Backup.Dir)
	if cl := c.Cluster; cl != nil {
		abs(&cl.CAFile)
		abs(&cl.CertFile)
		abs(&cl.KeyFile)
	}
	for i := range c.Sites {
		abs(&c.Sites[i].Cert.Cert)
		abs(&c.Sites[i].Cert.Key)
	}
}

// displayKey writes key parts the way TOML would: bare when they can be,
// quoted otherwise.
func displayKey(parts []string) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p
		if !isBareKey(p) {
			out[i] = fmt.Sprintf("%q", p)
		}
	}
	return strings.Join(out, ".")
}

func isBareKey(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
