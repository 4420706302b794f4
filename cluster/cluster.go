// Package cluster holds the state several `portcullis serve` instances
// share through Redis, so that they act as one: certificates and their
// keys (a certmagic.Storage, values sealed with a key derived from the
// cluster secret), the locks certmagic takes around issuance (leases
// that expire when their holder dies), and leadership for work only one
// instance should do (self-audits, backups, renewal checks).
//
// It also keeps what the instances monitor: their events, browser report
// aggregates and self-audits in one store (EventStore, a store.Store),
// and claims of alerts, so that one instance delivers an alert every
// instance raises (ClaimAlert).
//
// A Client is one instance's connection; Storage, Leader and EventStore
// are views on it. docs/cluster.md describes the key layout in Redis and how to secure
// it.
package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/store"
)

// Defaults of Options.
const (
	// DefaultPrefix starts every Redis key portcullis writes.
	DefaultPrefix = "portcullis"
	// DefaultLockLease is how long a lock outlives its holder's last
	// refresh: a holder that dies releases its locks this long after.
	DefaultLockLease = 30 * time.Second
	// DefaultTimeout bounds one exchange with Redis (dial, read, write)
	// when the URL or Options.Redis does not set its own, so that a Redis
	// that is down or hung fails a call in seconds instead of hanging it.
	DefaultTimeout = 2 * time.Second
	// DefaultCallTimeout bounds each call to Redis as a whole, go-redis's
	// retries and reconnections included.
	DefaultCallTimeout = 5 * time.Second
)

// Options configure a Client. URL (or Redis) and Key are required.
type Options struct {
	// URL locates Redis: redis://[user:password@]host[:port][/db],
	// rediss://… for TLS, unix://[user:password@]/path/redis.sock[?db=N].
	// Query parameters set go-redis options (dial_timeout=, read_timeout=,
	// max_retries=, pool_size=…); see redis.ParseURL.
	URL string
	// TLS, when not nil, is the TLS configuration of a rediss:// URL: the
	// roots that verify Redis's certificate (a private CA), a client
	// certificate. Its ServerName defaults to the URL's host. Without it,
	// rediss:// verifies Redis against the system's roots. It is an error
	// with a URL that does not use TLS.
	TLS *tls.Config
	// Redis, when not nil, is used instead of URL, for what a URL cannot
	// say: Sentinel (MasterName and the sentinels' Addrs) or Redis Cluster
	// (several Addrs, or IsClusterMode). With Redis Cluster, Prefix must
	// hold a hash tag ("{portcullis}") so that every key is in one slot:
	// Store and Delete change several keys at once.
	Redis *redis.UniversalOptions
	// Key is the cluster secret, the same on every instance: at least 32
	// bytes, high-entropy (`openssl rand -base64 32`, or NewKey). Every
	// stored value is sealed with keys derived from it.
	Key string
	// Prefix starts every Redis key, followed by ':'; DefaultPrefix when
	// empty. Instances share state only when they share Redis, Prefix and
	// Key; an ACL can confine portcullis's Redis user to the prefix.
	Prefix string
	// CallTimeout bounds each call to Redis as a whole (a Store, a Load,
	// one attempt of Lock…), go-redis's dial retries and command retries
	// included; DefaultCallTimeout when 0. A call that runs out fails with
	// an *UnavailableError. The caller's context can end it sooner.
	CallTimeout time.Duration
	// LockLease is how long a lock (Storage.Lock) stays held after its
	// holder stops refreshing it; DefaultLockLease when 0. The holder
	// refreshes it every third of the lease.
	LockLease time.Duration
	// Log receives lease losses and failed refreshes; nothing is logged
	// when nil.
	Log *slog.Logger
}

// MinKeyLen is the shortest cluster secret Open accepts, in bytes.
const MinKeyLen = 32

// Client is one instance's connection to the cluster's shared state. It
// is safe for concurrent use. Close it when done: that releases the
// locks and leaderships it holds.
type Client struct {
	rdb     redis.UniversalClient
	prefix  string
	lease   time.Duration
	timeout time.Duration // CallTimeout
	seal    *sealer
	log     *slog.Logger

	storage *Storage

	ctx    context.Context // cancelled by Close: stops refreshes and campaigns
	cancel context.CancelFunc
	wg     sync.WaitGroup // refresh and campaign goroutines

	mu     sync.Mutex
	closed bool                  // set by Close before it waits for goroutines
	held   map[string]*heldLock  // locks this client holds, by name
	local  map[string]*localLock // in-process queue per lock name

	closeOnce sync.Once
	closeErr  error
}

// Open checks opts and returns a Client. It does not connect: go-redis
// dials on first use, so an instance can start while Redis is down (Ping
// tells whether it is up).
func Open(opts Options) (*Client, error) {
	if len(opts.Key) < MinKeyLen {
		return nil, fmt.Errorf("cluster: the cluster key has %d bytes, fewer than %d (generate one with `openssl rand -base64 32`)", len(opts.Key), MinKeyLen)
	}
	if opts.LockLease < 0 || opts.CallTimeout < 0 {
		return nil, fmt.Errorf("cluster: negative lock lease (%v) or call timeout (%v)", opts.LockLease, opts.CallTimeout)
	}
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	rdb, err := newRedis(opts, prefix)
	if err != nil {
		return nil, err
	}
	c := &Client{
		rdb:     rdb,
		prefix:  prefix + ":",
		lease:   opts.LockLease,
		timeout: opts.CallTimeout,
		seal:    newSealer([]byte(opts.Key)),
		log:     opts.Log,
		held:    map[string]*heldLock{},
		local:   map[string]*localLock{},
	}
	if c.lease == 0 {
		c.lease = DefaultLockLease
	}
	if c.timeout == 0 {
		c.timeout = DefaultCallTimeout
	}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.storage = &Storage{c: c}
	return c, nil
}

// newRedis builds the go-redis client opts describe, with DefaultTimeout
// where they leave a timeout unset.
func newRedis(opts Options, prefix string) (redis.UniversalClient, error) {
	switch {
	case opts.Redis != nil && (opts.URL != "" || opts.TLS != nil):
		return nil, errors.New("cluster: both Redis options and a Redis URL (or its TLS options): give one")
	case opts.Redis != nil:
		u := *opts.Redis
		cluster := u.MasterName == "" && (len(u.Addrs) > 1 || u.IsClusterMode)
		if cluster && !hasHashTag(prefix) {
			return nil, fmt.Errorf("cluster: with Redis Cluster the prefix must hold a hash tag, such as {%s}, so that all its keys are in one slot", prefix)
		}
		defaultTimeouts(&u.DialTimeout, &u.ReadTimeout, &u.WriteTimeout)
		defaultRetries(&u.MaxRetries, &u.DialerRetries)
		u.ContextTimeoutEnabled = true
		return redis.NewUniversalClient(&u), nil
	case opts.URL != "":
		o, err := redis.ParseURL(opts.URL)
		if err != nil {
			return nil, fmt.Errorf("cluster: Redis URL: %w", redactURL(err, opts.URL))
		}
		if o.TLSConfig != nil && o.TLSConfig.InsecureSkipVerify {
			return nil, errors.New("cluster: Redis URL: skip_verify would send the Redis password, and take the cluster's locks, from whoever answers; give Redis's CA in Options.TLS instead")
		}
		if opts.TLS != nil {
			if o.TLSConfig == nil {
				return nil, errors.New("cluster: TLS options for a Redis URL without TLS: use rediss://")
			}
			tc := opts.TLS.Clone()
			if tc.ServerName == "" {
				tc.ServerName = o.TLSConfig.ServerName
			}
			if tc.MinVersion == 0 {
				tc.MinVersion = tls.VersionTLS12
			}
			o.TLSConfig = tc
		}
		defaultTimeouts(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout)
		defaultRetries(&o.MaxRetries, &o.DialerRetries)
		o.ContextTimeoutEnabled = true
		return redis.NewClient(o), nil
	default:
		return nil, errors.New("cluster: no Redis URL")
	}
}

// defaultTimeouts sets each zero timeout to DefaultTimeout (go-redis's own
// defaults are 5 s to dial and 3 s to read, each tried several times).
func defaultTimeouts(ds ...*time.Duration) {
	for _, d := range ds {
		if *d == 0 {
			*d = DefaultTimeout
		}
	}
}

// defaultRetries sets each zero retry count to 1: go-redis's defaults (3
// command retries, 5 dial attempts) multiply the timeouts of a hung Redis.
func defaultRetries(ns ...*int) {
	for _, n := range ns {
		if *n == 0 {
			*n = 1
		}
	}
}

// hasHashTag reports whether a Redis Cluster would hash s by a tag: a
// non-empty part between the first '{' and the next '}'.
func hasHashTag(s string) bool {
	i := strings.IndexByte(s, '{')
	if i < 0 {
		return false
	}
	j := strings.IndexByte(s[i+1:], '}')
	return j > 0
}

// redactURL keeps a password in the URL out of an error message.
func redactURL(err error, raw string) error {
	msg := err.Error()
	if at := strings.LastIndexByte(raw, '@'); at > 0 {
		if i := strings.Index(raw, "://"); i >= 0 && i+3 < at {
			msg = strings.ReplaceAll(msg, raw[i+3:at], "REDACTED")
		}
	}
	return errors.New(msg)
}

// Storage returns the certmagic.Storage on this client's Redis.
func (c *Client) Storage() *Storage { return c.storage }

// Ping checks that Redis answers.
func (c *Client) Ping(ctx context.Context) error {
	rctx, cancel := c.bound(ctx)
	defer cancel()
	return c.fail(ctx, "ping", "", c.rdb.Ping(rctx).Err())
}

// bound returns ctx limited to one call's timeout.
func (c *Client) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.timeout)
}

// Close ends the client's leaderships (resigning them), releases the
// locks it holds, and closes its connections. Later calls fail. It may
// be called more than once.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.cancel()
		c.wg.Wait()
		c.mu.Lock()
		held := c.held
		c.held = map[string]*heldLock{}
		c.mu.Unlock()
		for _, h := range held {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			h.lease.release(ctx)
			cancel()
		}
		c.closeErr = c.rdb.Close()
	})
	return c.closeErr
}

// key returns the Redis key of kind/name under the prefix.
func (c *Client) key(kind, name string) string { return c.prefix + kind + ":" + name }

// ErrUnavailable is what every UnavailableError matches with errors.Is.
var ErrUnavailable = errors.New("cluster: Redis unavailable")

// UnavailableError reports that Redis could not be reached, did not
// answer in time, or answered that it cannot serve now (loading,
// failing over, read-only replica). The operation did not happen, or its
// outcome is unknown: retry later.
type UnavailableError struct {
	Op  string // "store", "load", "lock"…
	Key string // the storage key or lock name, if any
	Err error  // go-redis's error
}

// Error says which operation failed and go-redis's reason.
func (e *UnavailableError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("cluster: %s: Redis unavailable: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("cluster: %s %s: Redis unavailable: %v", e.Op, e.Key, e.Err)
}

// Unwrap returns go-redis's error.
func (e *UnavailableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnavailable) true, and errors.Is(err,
// store.ErrUnavailable): the event store's Queue keeps what it could not
// write and retries.
func (e *UnavailableError) Is(target error) bool {
	return target == ErrUnavailable || target == store.ErrUnavailable
}

// unavailableReplies are the Redis error replies that mean "not now"
// rather than "never".
var unavailableReplies = []string{"LOADING", "MASTERDOWN", "READONLY", "CLUSTERDOWN", "TRYAGAIN", "BUSY", "NOREPLICAS", "ERR max number of clients"}

// fail turns go-redis's err into this package's: nil stays nil, the end
// of the caller's context ctx is reported as such, connection failures,
// timeouts and "not now" replies become an *UnavailableError, other
// replies (NOPERM, WRONGTYPE…) are wrapped with the operation.
func (c *Client) fail(ctx context.Context, op, key string, err error) error {
	if err == nil {
		return nil
	}
	where := op
	if key != "" {
		where += " " + key
	}
	if ctx.Err() != nil {
		return fmt.Errorf("cluster: %s: %w", where, ctx.Err())
	}
	if errors.Is(err, redis.ErrClosed) {
		return fmt.Errorf("cluster: %s: client closed: %w", where, err)
	}
	var verify *tls.CertificateVerificationError
	if errors.As(err, &verify) {
		return fmt.Errorf("cluster: %s: Redis's TLS certificate: %w", where, err)
	}
	var reply redis.Error
	if errors.As(err, &reply) {
		msg := reply.Error()
		for _, p := range unavailableReplies {
			if strings.HasPrefix(msg, p) {
				return &UnavailableError{Op: op, Key: key, Err: err}
			}
		}
		return fmt.Errorf("cluster: %s: Redis: %w", where, err)
	}
	return &UnavailableError{Op: op, Key: key, Err: err}
}
