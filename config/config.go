// Package config reads portcullis.toml, the configuration of
// `portcullis serve` and `portcullis check`: the listeners, the TLS
// profile, the server limits, the access log, a default shield policy and
// the sites (host names, upstream, certificate source, policy overrides).
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
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
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

	path string // key path of the site's table, for line lookups
}

// Certificate sources.
const (
	CertLocal = "local" // portcullis's local CA (default)
	CertFiles = "files" // PEM files, hot-reloaded
	CertACME  = "acme"  // reserved: not yet supported
)

// CertSource says where a site's certificate comes from.
type CertSource struct {
	// Source is CertLocal (default: a certificate from portcullis's local
	// CA, trusted only where that CA is installed; right for localhost
	// and IP hosts), CertFiles (Cert and Key) or CertACME (not yet
	// supported).
	Source string
	// Cert is the PEM certificate chain file (source "files"). A relative
	// path in the file is relative to the file's directory.
	Cert string
	// Key is the PEM private key file (source "files").
	Key string
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
		Listen:    Listen{HTTPS: ":8443", HTTP: ":8080"},
		TLS:       TLS{Profile: ProfileIntermediate},
		Limits:    DefaultLimits(),
		AccessLog: AccessLog{Format: LogJSON},
	}
}

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
