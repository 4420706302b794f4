package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/certs/acme"
	"github.com/portcullis/portcullis/cluster"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/events"
)

// This file runs cluster mode ([cluster], docs/cluster.md): several
// instances behind one load balancer sharing, through Redis, the ACME
// certificates and their locks (so one instance orders a name), the local
// CA's root, the session ticket keys (so any instance resumes another's
// sessions) and the leadership of once-per-cluster work (self-audits,
// scheduled backups).
//
// Redis is not in the request path. While it is down every instance keeps
// serving what it holds — certificates in memory and, mirrored, in its
// data directory; the ticket keys it has — reports it (event, metric,
// log), orders nothing (the locks live in Redis), and checks again with
// backoff. An instance restarted while Redis is down starts from its data
// directory. When Redis comes back empty, what it lost is published back
// from the instances' mirrors rather than ordered again.

// Defaults of the health check of Redis (Options.ClusterCheck).
const (
	defaultClusterCheck = time.Second
	maxClusterBackoff   = 15 * time.Second
	// clusterStartPing bounds the check made at start, which decides
	// whether reads go to Redis or to the data directory at first.
	clusterStartPing = 3 * time.Second
	// clusterMarker is a storage key every instance keeps present: its
	// absence means Redis lost its data (restarted empty), so the mirrors
	// are published back.
	clusterMarker = "portcullis/cluster-marker"
	// republishLock makes instances publish their mirrors one at a time.
	republishLock = "cluster_republish"
	// republishTimeout bounds a publication of the mirror, waiting for
	// the lock included.
	republishTimeout = 2 * time.Minute
)

// Leadership names of the work one instance does for the cluster.
const (
	leadAudits  = "self-audits"
	leadBackups = "backups"
)

// clusterMode is the state of cluster mode beside Server.cluster.
type clusterMode struct {
	s     *Server
	c     *cluster.Client
	store *mirrorStorage
	log   *slog.Logger
	check time.Duration // health check interval while up

	up       atomic.Bool
	down     time.Time // when Redis stopped answering; under the loop only
	startErr error     // why Redis did not answer at start

	tickets   atomic.Pointer[cluster.TicketKeys] // nil until read once
	caPending atomic.Bool                        // the local CA is not checked against the cluster's yet

	audits, backups *cluster.Leadership
	leadingAudits   bool // as last seen by the loop
	ctx             context.Context
	cancel          context.CancelFunc
	done            chan struct{} // closed when run returns; nil before Start
}

// clusterOptions maps [cluster] to the cluster package's options.
func clusterOptions(cc *config.Cluster, log *slog.Logger) (cluster.Options, error) {
	o := cluster.Options{Key: cc.Key, Prefix: cc.Prefix, LockLease: cc.LockLease, Log: log}
	var tc *tls.Config
	if cc.CAFile != "" || cc.CertFile != "" || cc.TLS || strings.HasPrefix(cc.Redis, "rediss:") {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
		if cc.CAFile != "" {
			b, err := os.ReadFile(cc.CAFile)
			if err != nil {
				return o, fmt.Errorf("cluster: ca_file: %w", err)
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(b) {
				return o, fmt.Errorf("cluster: ca_file %s: no PEM certificate in it", cc.CAFile)
			}
		}
		if cc.CertFile != "" {
			pair, err := tls.LoadX509KeyPair(cc.CertFile, cc.KeyFile)
			if err != nil {
				return o, fmt.Errorf("cluster: cert_file and key_file: %w", err)
			}
			tc.Certificates = []tls.Certificate{pair}
		}
	}
	if cc.Redis != "" {
		o.URL = cc.Redis
		if cc.Username != "" || cc.Password != "" {
			u, err := withUser(cc.Redis, cc.Username, cc.Password)
			if err != nil {
				return o, err
			}
			o.URL = u
		}
		if tc != nil && (cc.CAFile != "" || cc.CertFile != "") {
			o.TLS = tc
		}
		return o, nil
	}
	u := &redis.UniversalOptions{
		Addrs:      cc.Addrs,
		MasterName: cc.SentinelMaster,
		Username:   cc.Username,
		Password:   cc.Password,
		TLSConfig:  tc,
	}
	if cc.SentinelMaster != "" {
		u.Addrs = cc.SentinelAddrs
	} else {
		u.IsClusterMode = true
	}
	o.Redis = u
	return o, nil
}

// withUser puts username and password into a Redis URL that has none.
func withUser(raw, user, password string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil {
		return "", errors.New("cluster: the Redis URL holds a user too, or does not parse: give the credentials in one place")
	}
	if password == "" {
		u.User = url.User(user)
	} else {
		u.User = url.UserPassword(user, password)
	}
	return u.String(), nil
}

// openCluster joins the cluster [cluster] describes: it opens the client,
// checks Redis once (a Redis down at start is reported, not fatal: the
// instance serves from its data directory), and campaigns for the
// leaderships. New calls it before the operations, which read s.cluster.
func (s *Server) openCluster(cc *config.Cluster) error {
	routeRedisLog(s.log, cc.Password, cc.Redis)
	o, err := clusterOptions(cc, s.log)
	if err != nil {
		return err
	}
	c, err := cluster.Open(o)
	if err != nil {
		return err
	}
	local, err := acme.OpenStorage(datadir.Dir(s.opts.DataDir).ACME(), s.log)
	if err != nil {
		c.Close()
		return err
	}
	cm := &clusterMode{s: s, c: c, log: s.log, check: s.opts.ClusterCheck}
	if cm.check <= 0 {
		cm.check = defaultClusterCheck
	}
	cm.store = newMirrorStorage(c.Storage(), local, func() bool { return !cm.up.Load() }, s.log)
	cm.ctx, cm.cancel = context.WithCancel(context.Background())
	ctx, cancel := context.WithTimeout(cm.ctx, clusterStartPing)
	err = c.Ping(ctx)
	cancel()
	cm.up.Store(err == nil)
	s.metrics.ClusterUp(err == nil)
	if err != nil {
		cm.down = time.Now()
		cm.startErr = err // reported by start, once every sink listens
	}
	cm.audits = c.Leader(cm.ctx, leadAudits, 0)
	cm.backups = c.Leader(cm.ctx, leadBackups, 0)
	s.cluster, s.clusterMode = c, cm
	return nil
}

// unavailable reports that Redis does not answer.
func (cm *clusterMode) unavailable(err error, what string) {
	cm.log.Warn("cluster: Redis unavailable; serving with what this instance holds, ordering no certificate, retrying", "when", what, "err", err)
	cm.s.bus.Emit(events.Event{
		Type: events.ClusterUnavailable, Severity: events.High, Time: cm.s.opts.Now(),
		Message: "the cluster's Redis does not answer (" + what + "); this instance serves with the certificates and ticket keys it holds and orders no certificate until it is back",
		Error:   err.Error(),
	})
}

// applyTickets reads the cluster's session ticket keys and applies them to
// the HTTPS listener's configuration, which outlives reloads; until then
// (Redis down at start) crypto/tls's own per-process keys serve. It must
// run after offerACME has cloned that configuration, so that the clone
// keeps no copy of the keys and follows their rotation.
func (cm *clusterMode) applyTickets(conf *tls.Config) {
	if cm.tickets.Load() != nil || !cm.up.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(cm.ctx, clusterStartPing)
	defer cancel()
	tk, err := cm.c.TicketKeys(ctx, cluster.TicketOptions{
		OnError: func(err error) { cm.log.Debug("cluster: session ticket keys not refreshed", "err", err) },
	})
	if err != nil {
		cm.log.Warn("cluster: session ticket keys not read; sessions resume on this instance only until they are", "err", err)
		return
	}
	tk.Apply(conf)
	cm.tickets.Store(tk)
}

// start runs the health check of Redis until close.
func (cm *clusterMode) start() {
	if cm.startErr != nil {
		cm.unavailable(cm.startErr, "at start: serving from the data directory")
	}
	cm.done = make(chan struct{})
	go cm.run()
}

// run checks Redis every check interval while it answers, and with
// backoff while it does not (clusterBackoff).
func (cm *clusterMode) run() {
	defer close(cm.done)
	failures := 0
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-cm.ctx.Done():
			return
		case <-t.C:
		}
		if err := cm.tick(); err != nil {
			failures++
		} else {
			failures = 0
		}
		t.Reset(clusterBackoff(cm.check, failures))
	}
}

// clusterBackoff is the wait before the next health check after failures
// failed ones in a row: check, then after the first failure check again,
// doubling (1 s, 2 s, 4 s… with the default) up to maxClusterBackoff.
func clusterBackoff(check time.Duration, failures int) time.Duration {
	limit := max(maxClusterBackoff, check)
	wait := check
	for i := 1; i < failures && wait < limit; i++ {
		wait *= 2
	}
	return min(wait, limit)
}

// tick is one health check: Ping, and on the way back up, or when Redis
// lost its data, what was missed.
func (cm *clusterMode) tick() error {
	ctx, cancel := context.WithTimeout(cm.ctx, cluster.DefaultCallTimeout)
	defer cancel()
	err := cm.c.Ping(ctx)
	if err != nil {
		if cm.ctx.Err() != nil {
			return nil
		}
		if cm.up.Swap(false) {
			cm.down = time.Now()
			cm.s.metrics.ClusterUp(false)
			cm.unavailable(err, "while serving")
		}
		return err
	}
	var what []string
	lost, err := cm.markerMissing(ctx)
	if err != nil {
		return err
	}
	if !lost {
		cm.store.lost.Store(false)
	} else {
		// Redis lost its data (or the cluster is new): until the mirror
		// is published back, what Redis lacks is read from the data
		// directory (not found missing, and ordered again). The local
		// CA's root and the ticket ring this instance holds go back at
		// once, not at their next poll.
		if !cm.store.lost.Swap(true) {
			cm.log.Warn("cluster: Redis holds no marker (it lost its data, or the cluster is new); answering what it lacks from the data directory until this instance's mirror is published back")
		}
		cm.caPending.Store(true)
		if tk := cm.tickets.Load(); tk != nil {
			if err := tk.Refresh(ctx); err != nil {
				cm.log.Warn("cluster: writing the session ticket keys back failed; retrying", "err", err)
			}
		}
		n, err := cm.republish()
		if err != nil {
			cm.log.Warn("cluster: publishing this instance's certificates back to Redis failed; retrying", "err", err)
			return err
		}
		cm.store.lost.Store(false)
		if n > 0 {
			what = append(what, fmt.Sprintf("%d certificate files published back", n))
		}
	}
	if err := cm.checkCA(ctx); err != nil {
		cm.log.Warn("cluster: the local CA could not be checked against the cluster's; retrying", "err", err)
	}
	cm.applyTickets(cm.s.tlsConf)
	if lead := cm.audits.Leading(); lead != cm.leadingAudits {
		cm.leadingAudits = lead
		if a := cm.s.ops.audits; lead && a != nil {
			a.sched.Trigger() // the sites were skipped while another instance led
		}
	}
	if !cm.up.Swap(true) {
		cm.s.metrics.ClusterUp(true)
		down := time.Since(cm.down).Round(time.Millisecond)
		msg := fmt.Sprintf("the cluster's Redis answers again after %v", down)
		if len(what) > 0 {
			msg += ": " + strings.Join(what, ", ")
		}
		cm.log.Info("cluster: Redis recovered", "down_for", down, "published", strings.Join(what, ", "))
		cm.s.bus.Emit(events.Event{Type: events.ClusterRecovered, Severity: events.Info, Time: cm.s.opts.Now(), Message: msg})
	}
	return nil
}

// republish copies to Redis what this instance's mirror holds and Redis
// lacks, a directory (one certificate's files, one account's) at a time,
// only when Redis holds nothing of it: so a certificate and its key always
// come from the same instance. The instances take turns under a lock.
// It returns how many values it stored, and stores the marker last.
func (cm *clusterMode) republish() (int, error) {
	// Not one call's timeout: the instance publishing may hold the lock
	// for thousands of values.
	ctx, cancel := context.WithTimeout(cm.ctx, republishTimeout)
	defer cancel()
	rs := cm.c.Storage()
	if err := rs.Lock(ctx, republishLock); err != nil {
		return 0, err
	}
	defer rs.Unlock(context.WithoutCancel(ctx), republishLock)
	if lost, err := cm.markerMissing(ctx); err != nil || !lost {
		return 0, err // nil: another instance did it meanwhile
	}
	n, err := cm.store.publish(ctx)
	if err != nil {
		return n, err
	}
	if n > 0 {
		cm.log.Info("cluster: Redis lacked certificates this instance holds; published them back", "values", n)
	}
	return n, rs.Store(ctx, clusterMarker, []byte(time.Now().UTC().Format(time.RFC3339)))
}

// markerMissing reports whether Redis lacks the marker, that is lost its
// data; an error when Redis could not say.
func (cm *clusterMode) markerMissing(ctx context.Context) (bool, error) {
	_, err := cm.c.Storage().Stat(ctx, clusterMarker)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	return false, err
}

// sharedCARoot returns the cluster's local CA root, publishing this
// instance's (from dir, created if there is none) when the cluster has
// none: so a Redis restarted empty gets the root it had back, not a new
// one. With Redis down it returns the root in dir, if any, and checks it
// against the cluster's once Redis answers; with none there it fails, since
// creating one would split the cluster in two roots.
func (cm *clusterMode) sharedCARoot(dir string, opts certs.LocalCAOptions) (*certs.RootPEM, error) {
	if !cm.up.Load() { // down at start: no call that would wait for a hung Redis
		return cm.localRoot(dir, &cluster.UnavailableError{Op: "load shared CA", Err: errors.New("no answer at start")})
	}
	ctx, cancel := context.WithTimeout(cm.ctx, 2*cluster.DefaultCallTimeout)
	defer cancel()
	cert, key, err := cm.c.SharedCA(ctx, func() ([]byte, []byte, error) {
		ca, err := certs.OpenLocalCA(dir, opts)
		if err != nil {
			return nil, nil, err
		}
		r, err := ca.RootPEM()
		return r.Cert, r.Key, err
	})
	if err == nil {
		return &certs.RootPEM{Cert: cert, Key: key}, nil
	}
	if !errors.Is(err, cluster.ErrUnavailable) {
		return nil, err
	}
	return cm.localRoot(dir, err)
}

// localRoot is sharedCARoot's answer while Redis is unavailable (err):
// the root in dir, checked against the cluster's later, or a failure when
// dir holds none.
func (cm *clusterMode) localRoot(dir string, err error) (*certs.RootPEM, error) {
	if _, serr := os.Stat(filepath.Join(dir, datadir.RootFile)); serr != nil {
		return nil, fmt.Errorf("cluster: Redis is unavailable and this data directory holds no copy of the cluster's local CA, so a local-CA site cannot start without risking a second root: %w", err)
	}
	cm.log.Warn("cluster: Redis unavailable; using the local CA of the data directory until it can be checked against the cluster's", "err", err)
	cm.caPending.Store(true)
	return nil, nil
}

// checkCA, after a start without Redis, checks the local CA in use
// against the cluster's (publishing it if the cluster has none) and
// adopts the cluster's if they differ, rebuilding the sites with it.
func (cm *clusterMode) checkCA(ctx context.Context) error {
	if !cm.caPending.Load() {
		return nil
	}
	s := cm.s
	s.mu.Lock()
	ca := s.ca
	s.mu.Unlock()
	if ca == nil {
		cm.caPending.Store(false)
		return nil
	}
	mine, err := ca.RootPEM()
	if err != nil {
		return err
	}
	cert, key, err := cm.c.SharedCA(ctx, func() ([]byte, []byte, error) { return mine.Cert, mine.Key, nil })
	if err != nil {
		return err
	}
	cm.caPending.Store(false)
	if string(cert) == string(mine.Cert) {
		return nil
	}
	cm.log.Warn("cluster: this instance started without Redis on a local CA other than the cluster's; adopting the cluster's and rebuilding the sites")
	s.mu.Lock()
	next, err := certs.OpenLocalCA(datadir.Dir(s.opts.DataDir).CA(), certs.LocalCAOptions{Now: s.opts.Now, Logger: s.log, Root: &certs.RootPEM{Cert: cert, Key: key}})
	if err == nil {
		s.ca = next
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.Reload(s.Config())
}

// close stops the health check and the ticket keys' poll, resigns the
// leaderships and closes the client (releasing its locks).
func (cm *clusterMode) close() error {
	if cm == nil {
		return nil
	}
	cm.stop()
	if tk := cm.tickets.Load(); tk != nil {
		tk.Close()
	}
	err := cm.c.Close()
	cm.store.close()
	return err
}

// stop ends the health loop and resigns the leaderships, and waits for
// the loop: after it nothing reloads the server (adopting the cluster's
// CA does). Shutdown calls it first; calling it again does nothing.
func (cm *clusterMode) stop() {
	if cm == nil {
		return
	}
	cm.cancel()
	if cm.done != nil {
		<-cm.done
	}
}

// redisLog is where go-redis's own log lines go (redis.SetLogger is
// process-wide): the logger of the last server that joined a cluster,
// with the passwords it was given masked.
var redisLog struct {
	once    sync.Once
	mu      sync.Mutex
	log     *slog.Logger
	secrets []string
}

// routeRedisLog sends go-redis's log to log: connection failures at
// Warn, the rest at Debug, with password and the password of url
// masked.
func routeRedisLog(log *slog.Logger, password, url string) {
	redisLog.mu.Lock()
	redisLog.log = log
	for _, p := range []string{password, urlPassword(url)} {
		if p != "" {
			redisLog.secrets = append(redisLog.secrets, p)
		}
	}
	redisLog.mu.Unlock()
	redisLog.once.Do(func() { redis.SetLogger(redisLogger{}) })
}

// urlPassword returns the password of a Redis URL, or "".
func urlPassword(raw string) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return ""
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return ""
	}
	_, pw, ok := strings.Cut(rest[:at], ":")
	if !ok {
		return ""
	}
	return pw
}

// redisLogger is go-redis's internal.Logging, to slog.
type redisLogger struct{}

// Printf logs one go-redis line.
func (redisLogger) Printf(ctx context.Context, format string, v ...any) {
	redisLog.mu.Lock()
	log, secrets := redisLog.log, redisLog.secrets
	redisLog.mu.Unlock()
	if log == nil {
		return
	}
	msg := fmt.Sprintf(format, v...)
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, "REDACTED")
	}
	level := slog.LevelDebug
	lower := strings.ToLower(msg)
	for _, w := range []string{"fail", "error", "unable", "can't", "cannot", "refused", "timeout"} {
		if strings.Contains(lower, w) {
			level = slog.LevelWarn
			break
		}
	}
	log.Log(ctx, level, "cluster: go-redis: "+msg)
}
