package config

import (
	"net"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// This file decodes and validates [cluster].

// Cluster configures cluster mode: several `portcullis serve` sharing
// certificates, locks, session ticket keys, the local CA and
// leadership through Redis (package cluster, docs/cluster.md). Exactly
// one of Redis, Addrs and SentinelMaster locates Redis.
type Cluster struct {
	// Redis is the URL of one Redis: redis://[user:password@]host[:port][/db],
	// rediss://… for TLS, unix:///path/redis.sock[?db=N].
	Redis string
	// Addrs are the nodes ("host:port") of a Redis Cluster.
	Addrs []string
	// SentinelMaster is the master's name the sentinels at
	// SentinelAddrs ("host:port") know.
	SentinelMaster string
	// SentinelAddrs are the sentinels' addresses.
	SentinelAddrs []string
	// Username and Password authenticate to Redis (an ACL user); for a
	// URL they may be given here instead of in it.
	Username string
	Password string
	// TLS speaks TLS to Addrs or the Sentinel-managed Redis (a URL says
	// it with rediss://).
	TLS bool
	// CAFile verifies Redis's TLS certificate against a private CA (PEM)
	// instead of the system's roots.
	CAFile string
	// CertFile and KeyFile are a client certificate for Redis's
	// tls-auth-clients.
	CertFile string
	KeyFile  string
	// Key is the cluster secret, the same on every instance, at least
	// MinClusterKey bytes; usually "${PORTCULLIS_CLUSTER_KEY}".
	Key string
	// Prefix starts every Redis key. Default DefaultClusterPrefix.
	Prefix string
	// LockLease is how long a lock outlives its holder. Default
	// DefaultClusterLockLease; at least a second.
	LockLease time.Duration
}

// Defaults and bounds of [cluster], as package cluster has them.
const (
	DefaultClusterPrefix    = "portcullis"
	DefaultClusterLockLease = 30 * time.Second
	// MinClusterKey is the shortest cluster key accepted, in bytes.
	MinClusterKey = 32
)

// cluster decodes [cluster].
func (d *decoder) cluster(t *table) *Cluster {
	c := &Cluster{Prefix: DefaultClusterPrefix, LockLease: DefaultClusterLockLease}
	set(&c.Redis, t.str("redis"))
	c.Addrs = t.strs("addrs")
	set(&c.SentinelMaster, t.str("sentinel_master"))
	c.SentinelAddrs = t.strs("sentinel_addrs")
	set(&c.Username, t.str("username"))
	set(&c.Password, t.str("password"))
	set(&c.TLS, t.boolean("tls"))
	set(&c.CAFile, t.str("ca_file"))
	set(&c.CertFile, t.str("cert_file"))
	set(&c.KeyFile, t.str("key_file"))
	set(&c.Key, t.str("key"))
	set(&c.Prefix, t.str("prefix"))
	set(&c.LockLease, t.duration("lock_lease"))
	t.close()
	return c
}

func (v *validator) cluster() {
	c := v.c.Cluster
	if c == nil {
		return
	}
	bad := func(k string) bool { return v.bad(dotted("cluster." + k)) }
	modes := 0
	for _, set := range []bool{c.Redis != "" || bad("redis"), len(c.Addrs) > 0 || bad("addrs"), c.SentinelMaster != "" || bad("sentinel_master")} {
		if set {
			modes++
		}
	}
	switch {
	case modes == 0 && len(c.SentinelAddrs) > 0:
		v.report("cluster.sentinel_master", "missing: sentinel_addrs is set, and Sentinel needs the master's name too")
	case modes == 0 && !bad("sentinel_addrs"):
		v.report("cluster.redis", "missing: say where Redis is: redis (a URL), addrs (a Redis Cluster's nodes) or sentinel_master and sentinel_addrs")
	case modes > 1:
		v.report("cluster.redis", "set one of redis, addrs and sentinel_master, not several")
	}
	scheme := ""
	if c.Redis != "" {
		u, err := url.Parse(c.Redis)
		switch {
		case err != nil:
			// url's error quotes the URL, password and all.
			v.report("cluster.redis", "is not a URL (the value is not shown: it may hold a password)")
		case u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix":
			v.report("cluster.redis", "scheme %q is not redis://, rediss:// or unix://", u.Scheme)
		case u.Scheme != "unix" && u.Host == "":
			v.report("cluster.redis", "%q has no host", u.Redacted())
		case u.Scheme == "unix" && u.Path == "":
			v.report("cluster.redis", "%q has no socket path (unix:///run/redis/redis.sock)", u.Redacted())
		case u.Query().Has("skip_verify"):
			v.report("cluster.redis", "skip_verify would send the password to, and take locks from, whoever answers: give Redis's CA in ca_file instead")
		default:
			scheme = u.Scheme
			if u.User != nil && (c.Username != "" || c.Password != "") {
				v.report("cluster.password", "the URL holds a user too: give the credentials in one place")
			}
			if c.TLS {
				v.report("cluster.tls", "only used with addrs or sentinel_master: a URL says TLS with rediss://")
			}
		}
	}
	if c.SentinelMaster != "" && len(c.SentinelAddrs) == 0 && !bad("sentinel_addrs") {
		v.report("cluster.sentinel_addrs", "missing: sentinel_master needs the sentinels' addresses")
	}
	if len(c.SentinelAddrs) > 0 && len(c.Addrs) > 0 {
		v.report("cluster.sentinel_addrs", "with addrs (a Redis Cluster): give one of them")
	}
	for _, l := range []struct {
		key   string
		addrs []string
	}{{"cluster.addrs", c.Addrs}, {"cluster.sentinel_addrs", c.SentinelAddrs}} {
		for i, a := range l.addrs {
			if host, port, err := net.SplitHostPort(a); err != nil || host == "" || port == "" {
				v.item(l.key, i+1, "%q is not host:port", a)
			}
		}
	}
	tls := scheme == "rediss" || c.TLS
	if (c.CAFile != "" || c.CertFile != "") && !tls && modes == 1 && !bad("redis") {
		key := "cluster.ca_file"
		if c.CAFile == "" {
			key = "cluster.cert_file"
		}
		v.report(key, "only used with TLS: a rediss:// URL, or tls = true")
	}
	switch {
	case c.CertFile != "" && c.KeyFile == "" && !bad("key_file"):
		v.report("cluster.key_file", "missing: cert_file is set, and a client certificate needs its key")
	case c.CertFile == "" && c.KeyFile != "" && !bad("cert_file"):
		v.report("cluster.cert_file", "missing: key_file is set, and a client certificate needs its certificate")
	}
	v.caRoot("cluster.ca_file", c.CAFile)
	switch {
	case c.Key == "" && !bad("key"):
		v.report("cluster.key", "missing: the cluster key, the same on every instance (`openssl rand -base64 32`), usually \"${PORTCULLIS_CLUSTER_KEY}\"")
	case c.Key != "" && len(c.Key) < MinClusterKey:
		v.report("cluster.key", "has %d bytes, fewer than %d (the value is not shown; generate one with `openssl rand -base64 32`)", len(c.Key), MinClusterKey)
	}
	switch {
	case c.Prefix == "" || strings.ContainsFunc(c.Prefix, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		v.report("cluster.prefix", "%q is not a key prefix (not empty, no spaces or control characters)", c.Prefix)
	case len(c.Addrs) > 0 && !hasHashTag(c.Prefix): // serve opens any addrs as a Redis Cluster
		v.report("cluster.prefix", "with a Redis Cluster the prefix must hold a hash tag, such as {%s}, so that all its keys are in one slot", c.Prefix)
	}
	if c.LockLease < time.Second && !bad("lock_lease") {
		v.report("cluster.lock_lease", "%s is less than a second: locks would expire between their refreshes", formatDuration(c.LockLease))
	}
}

// hasHashTag reports whether a Redis Cluster would hash s by a tag: a
// non-empty part between the first '{' and the next '}'.
func hasHashTag(s string) bool {
	_, rest, ok := strings.Cut(s, "{")
	if !ok {
		return false
	}
	i := strings.IndexByte(rest, '}')
	return i > 0
}
