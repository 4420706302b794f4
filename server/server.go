// Package server runs portcullis: an HTTPS listener that terminates TLS
// (certificates chosen by SNI from package certs, protocol profile from the
// config) and a plain-HTTP listener whose only jobs are health checks,
// ACME HTTP-01 challenges and the redirect to HTTPS. Each request is
// routed by Host to a site, whose handler is access log → shield → proxy.
//
// Each site also answers browsers' reports (CSP violations and the
// Reporting API's) at [reports] path, with package reports' collector.
//
// Around the request path run the certificate operations: ACME issuance
// and renewal (package certs/acme), expiry monitoring (package expiry),
// alerts (package alert), scheduled backups (package backup), the audits
// of every site through the server's own listeners (package selfaudit,
// audits.go) and an admin listener serving Prometheus metrics, on
// loopback unless a bearer token guards it, and only to Hosts that DNS
// rebinding cannot forge.
//
// Everything the server sees goes through one events.Bus to the log, the
// metrics, the store and the alert chain: shield's refusals of every
// site, requests for hosts no site serves, upstream failures, refused TLS
// handshakes, certificate events, reloads, backups and browser reports
// (docs/monitoring.md).
//
// The configuration can be replaced while serving (Reload): a complete new
// set of sites is built first and swapped in atomically; if anything in
// the new configuration fails, the old one keeps running and Reload says
// why. Listeners and the TLS configuration (and with it the session ticket
// keys) are kept across reloads, so no connection is dropped.
package server

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/certs/acme"
	"github.com/portcullis/portcullis/cluster"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/demo"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/internal/stack"
	"github.com/portcullis/portcullis/metrics"
	"github.com/portcullis/portcullis/proxy"
	"github.com/portcullis/portcullis/reports"
	"github.com/portcullis/portcullis/shield"
	"github.com/portcullis/portcullis/store"
)

// HealthPath answers 200 "ok" on both listeners, for any Host, before
// routing and without redirect: load balancers probe it over plain HTTP
// with an IP address as Host.
const HealthPath = "/healthz"

// Options are the parts of a server that do not come from the config file.
type Options struct {
	// DataDir holds the local CA and certificates. Required.
	DataDir string
	// Logger receives lifecycle, certificate and security events.
	// Default: slog.Default().
	Logger *slog.Logger
	// AccessLog, when set, receives the access log instead of the
	// config's path (tests use it).
	AccessLog io.Writer
	// Now is the clock for certificate expiry logic. Default: time.Now.
	Now func() time.Time
	// OnEvent, when set, receives every event, before the log, metrics
	// and alert sinks (tests use it).
	OnEvent events.Sink
	// ClusterCheck is how often, in cluster mode, Redis is checked while
	// it answers (with backoff while it does not). Default 1 s.
	ClusterCheck time.Duration
	// StoreQueue, when set, replaces the options of the store's write
	// queue (its backlog and retries while the store is unavailable);
	// tests shorten them.
	StoreQueue *store.QueueOptions
}

// Server is a running portcullis front door.
type Server struct {
	opts    Options
	log     *slog.Logger
	cur     atomic.Pointer[runtime]
	mu      sync.Mutex // serializes Reload and Shutdown
	tlsConf *tls.Config
	ca      *certs.LocalCA // opened on first use
	demo    string         // address of the demo app, started on first use
	demoEnd func()
	https   *http.Server
	plain   *http.Server
	lnTLS   net.Listener
	lnPlain net.Listener
	errs    chan error

	bus      events.Bus
	metrics  *metrics.Metrics
	logDrops events.Counter // request-path events the log's rate limit dropped
	hs       *handshakes
	acme     atomic.Pointer[acme.Manager] // created on first use, under mu
	acmeALPN bool                         // acme solves TLS-ALPN-01; set with acme, under mu
	building *config.Config               // the configuration buildLocked is building

	ops *operations // monitor, alerts, backups, admin listener

	// cluster is the shared state of cluster mode ([cluster]); nil
	// without it (cluster.go).
	cluster     *cluster.Client
	clusterMode *clusterMode // its health check, mirror and leaderships; nil without it
}

// runtime is one complete, immutable generation of the configuration.
type runtime struct {
	cfg      *config.Config
	sites    []*site
	router   *shield.Router // Host → index in sites
	handler  http.Handler   // access log → router
	unrouted http.Handler   // requests no site serves: counted, 400
	certs    *certs.Selector
	served   []served // each site's certificate source
	retire   func()   // releases what this generation holds
	// acmeALPN: a site gets certificates from ACME and the manager
	// solves TLS-ALPN-01, so the HTTPS listener offers "acme-tls/1".
	acmeALPN bool
}

// served is a site's certificate source, for monitoring.
type served struct {
	site string
	src  certs.Source
}

type site struct {
	shield  *shield.Shield
	handler http.Handler // metrics → shield → report collector or proxy
}

// New builds a server for cfg without listening yet.
func New(cfg *config.Config, o Options) (*Server, error) {
	if o.DataDir == "" {
		return nil, errors.New("server: no data directory")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{opts: o, log: o.Logger, errs: make(chan error, 3), metrics: metrics.New()}
	if o.OnEvent != nil {
		s.bus.Subscribe(o.OnEvent)
	}
	s.bus.Subscribe(logSink(o.Logger, &s.logDrops))
	s.bus.Subscribe(s.metrics.Observe)
	s.metrics.CountDropped("log.ratelimit", func() uint64 { return s.logDrops.Stats().Dropped })
	// Bind first: redirects must name the real HTTPS port, which an
	// address like "127.0.0.1:0" only reveals once bound.
	var err error
	if s.lnTLS, err = net.Listen("tcp", cfg.Listen.HTTPS); err != nil {
		return nil, fmt.Errorf("https listener: %w", err)
	}
	if s.lnPlain, err = net.Listen("tcp", cfg.Listen.HTTP); err != nil {
		s.lnTLS.Close()
		return nil, fmt.Errorf("http listener: %w", err)
	}
	if cfg.Cluster != nil {
		if err = s.openCluster(cfg.Cluster); err != nil {
			s.lnTLS.Close()
			s.lnPlain.Close()
			return nil, err
		}
	}
	if s.ops, err = s.newOperations(cfg); err != nil {
		s.clusterMode.close()
		s.lnTLS.Close()
		s.lnPlain.Close()
		return nil, err
	}
	if cm := s.clusterMode; cm != nil && s.ops.backups != nil {
		s.ops.backups.Leading = cm.backups.Leading // one instance backs up
	}
	rt, err := s.build(cfg)
	if err != nil {
		s.ops.close(context.Background())
		s.clusterMode.close()
		s.lnTLS.Close()
		s.lnPlain.Close()
		return nil, err
	}
	s.cur.Store(rt)
	s.tlsConf, err = TLSConfig(cfg.TLS.Profile, func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		return s.cur.Load().certs.GetCertificate(h)
	})
	if err != nil {
		rt.retire()
		s.ops.close(context.Background())
		s.clusterMode.close()
		s.lnTLS.Close()
		s.lnPlain.Close()
		return nil, err
	}
	// Full 16 KiB TLS records from a connection's first byte, as nginx
	// and HAProxy send them: crypto/tls's dynamic record sizing split a
	// small response on a new connection into two records, each a
	// write(2), ~15 % of a request's CPU with a handshake per request
	// (docs/benchmarks.md, issue 17). It is not a protection.
	s.tlsConf.DynamicRecordSizingDisabled = true
	s.hs = newHandshakes(s.metrics.Handshake, s.tlsRefused)
	s.hs.install(s.tlsConf, func() bool { return s.cur.Load().acmeALPN })
	if cm := s.clusterMode; cm != nil {
		cm.applyTickets(s.tlsConf) // after install: its clone must not copy the keys
	}
	return s, nil
}

// Events is the bus every event goes through; subscribe to it to
// receive them, or emit into it (the report collector does).
func (s *Server) Events() *events.Bus { return &s.bus }

// Start serves both listeners (bound by New) in the background.
func (s *Server) Start() error {
	lim := s.cur.Load().cfg.Limits
	errLog := slog.NewLogLogger(s.log.Handler(), slog.LevelDebug) // TLS handshake noise from scanners
	newServer := func() *http.Server {
		return &http.Server{
			Handler:           http.HandlerFunc(s.serveHTTP),
			ReadHeaderTimeout: lim.ReadHeaderTimeout,
			ReadTimeout:       lim.ReadTimeout,
			WriteTimeout:      lim.WriteTimeout,
			IdleTimeout:       lim.IdleTimeout,
			MaxHeaderBytes:    lim.MaxHeaderBytes,
			ErrorLog:          errLog,
		}
	}
	s.https = newServer()
	s.https.TLSConfig = s.tlsConf
	s.https.ConnState = s.hs.connState
	s.plain = newServer()
	// Served through tls.NewListener rather than ServeTLS, which would
	// clone the configuration: its session ticket keys (the cluster's,
	// rotated in place) must be the ones the handshakes use.
	go func() { s.errs <- serveErr(s.https.Serve(tls.NewListener(s.lnTLS, s.tlsConf))) }()
	go func() { s.errs <- serveErr(s.plain.Serve(s.lnPlain)) }()
	s.ops.start(s)
	if cm := s.clusterMode; cm != nil {
		cm.start()
	}
	return nil
}

func serveErr(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Errors delivers a listener failure while serving.
func (s *Server) Errors() <-chan error { return s.errs }

// HTTPSAddr and HTTPAddr return the bound listener addresses.
func (s *Server) HTTPSAddr() string { return s.lnTLS.Addr().String() }

// HTTPAddr returns the bound plain-HTTP listener address.
func (s *Server) HTTPAddr() string { return s.lnPlain.Addr().String() }

// Config returns the configuration being served.
func (s *Server) Config() *config.Config { return s.cur.Load().cfg }

// LocalCA returns the local CA, or nil when no site uses it.
func (s *Server) LocalCA() *certs.LocalCA {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ca
}

// serveHTTP is the entry point of both listeners.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 2 {
		// net/http's HTTP/2 server runs each request on a new goroutine:
		// grow its stack here, while it is shallow, rather than deep in
		// the proxy (package stack). HTTP/1.1 requests run on their
		// connection's goroutine, whose stack has grown already.
		stack.Grow()
	}
	if m := s.acme.Load(); m != nil && m.HandleHTTPChallenge(w, r) {
		return
	}
	if r.URL.Path == HealthPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		io.WriteString(w, "ok\n")
		return
	}
	s.cur.Load().handler.ServeHTTP(w, r)
}

// route hands the request to the first site, in configuration order,
// that serves its Host.
func (rt *runtime) route(w http.ResponseWriter, r *http.Request) {
	if i := rt.router.Route(r.Host); i >= 0 {
		rt.sites[i].handler.ServeHTTP(w, r)
		return
	}
	rt.unrouted.ServeHTTP(w, r)
}

// Reload replaces the configuration. On any error the running
// configuration stays in service and the error says why.
func (s *Server) Reload(cfg *config.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.cur.Load()
	if cfg.TLS.Profile != old.cfg.TLS.Profile || !sameListen(cfg, old.cfg) || cfg.Limits != old.cfg.Limits {
		s.log.Warn("reload: [listen] (addresses, admin token and hosts), TLS profile and limits take effect on restart only")
	}
	if !reflect.DeepEqual(cfg.Cluster, old.cfg.Cluster) {
		s.log.Warn("reload: [cluster] changes take effect on restart only")
	}
	if !sameOperations(cfg, old.cfg) {
		s.log.Warn("reload: [acme], [monitor], [alerts], [backup], [store] and [audit] changes take effect on restart only")
	}
	rt, err := s.buildLocked(cfg)
	if err != nil {
		s.reloaded(0, err)
		return err
	}
	s.cur.Store(rt)
	names := make([]string, len(cfg.Sites))
	for i := range cfg.Sites {
		names[i] = cfg.Sites[i].Name
	}
	s.metrics.Retain(names)
	if m := s.acme.Load(); m != nil {
		var keep []*acme.Source
		for _, sv := range rt.served {
			if src, ok := sv.src.(*acme.Source); ok {
				keep = append(keep, src)
			}
		}
		m.Retain(keep)
	}
	go old.retire() // requests still in flight on it finish first
	s.reloaded(len(rt.sites), nil)
	if a := s.ops.audits; a != nil {
		a.sched.Trigger() // every site, as the new configuration serves it
	}
	return nil
}

// ReloadWith loads a configuration with load and reloads it. A load that
// fails (a syntax error in the file) counts as a failed reload, in the
// events and portcullis_reloads_total, as Reload's own failures do.
func (s *Server) ReloadWith(load func() (*config.Config, error)) error {
	cfg, err := load()
	if err != nil {
		s.reloaded(0, err)
		return err
	}
	return s.Reload(cfg)
}

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx ends; then it closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	var errs []error
	s.clusterMode.stop() // no reload from the cluster's health loop from here on
	s.ops.audits.stop()  // before the listeners close under an audit
	if s.https == nil {  // never started
		s.lnTLS.Close()
		s.lnPlain.Close()
	}
	for _, srv := range []*http.Server{s.https, s.plain} {
		if srv != nil {
			if err := srv.Shutdown(ctx); err != nil {
				errs = append(errs, err)
				srv.Close()
			}
		}
	}
	s.mu.Lock()
	s.cur.Load().retire()
	if s.demoEnd != nil {
		s.demoEnd()
	}
	if m := s.acme.Load(); m != nil {
		m.Close()
	}
	s.mu.Unlock()
	if err := s.ops.close(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := s.clusterMode.close(); err != nil { // after ops, which may use it
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (s *Server) build(cfg *config.Config) (*runtime, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buildLocked(cfg)
}

// buildLocked builds a complete generation: every site's shield, proxy
// and certificate source. Nothing is shared with the running generation
// except the local CA, so a failure leaves the running one untouched.
func (s *Server) buildLocked(cfg *config.Config) (_ *runtime, err error) {
	ctx, cancel := context.WithCancel(context.Background())
	var closers []func()
	release := func() {
		cancel()
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	defer func() {
		if err != nil {
			release()
		}
	}()

	s.building = cfg
	defer func() { s.building = nil }()
	rt := &runtime{cfg: cfg}
	var entries []certs.Entry
	for i := range cfg.Sites {
		cs := &cfg.Sites[i]
		st, entry, closer, err := s.buildSite(ctx, cfg, cs)
		if closer != nil {
			closers = append(closers, closer)
		}
		if err != nil {
			// Located as config.Error locates a problem: a configuration
			// built in code has no file and no line.
			where := cmp.Or(cfg.Path, "config")
			if cs.Line > 0 {
				where += ":" + strconv.Itoa(cs.Line)
			}
			return nil, fmt.Errorf("%s: site %q: %w", where, cs.Name, err)
		}
		rt.sites = append(rt.sites, st)
		rt.served = append(rt.served, served{site: cs.Name, src: entry.Source})
		if _, ok := entry.Source.(*acme.Source); ok && s.acmeALPN {
			rt.acmeALPN = true
		}
		if len(entry.Names) > 0 {
			entries = append(entries, entry)
		}
	}
	// Clients that send no usable server name (connecting by IP address,
	// or old clients) get the first site's certificate, as nginx's
	// default server does; the local CA's certificates also match by IP.
	// A catch-all site ("*", certificates on demand) answers every name
	// no other site claims.
	var def certs.Source
	if len(rt.served) > 0 {
		def = rt.served[0].src
	}
	for i := range cfg.Sites {
		if slices.Contains(cfg.Sites[i].Hosts, "*") {
			def = rt.served[i].src
		}
	}
	if rt.certs, err = certs.NewSelector(entries, def); err != nil {
		return nil, err
	}
	var out io.Writer = os.Stderr
	if s.opts.AccessLog != nil {
		out = s.opts.AccessLog
	} else if cfg.AccessLog.Path != "" {
		f, err := os.OpenFile(cfg.AccessLog.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return nil, fmt.Errorf("access log: %w", err)
		}
		closers = append(closers, func() { f.Close() })
		out = f
	}
	shields := make([]*shield.Shield, len(rt.sites))
	for i, st := range rt.sites {
		shields[i] = st.shield
	}
	rt.router = shield.NewRouter(shields)
	rt.unrouted = s.metrics.Site("", shield.DefaultMethods).Wrap(http.HandlerFunc(s.refuseHost))
	rt.handler = http.HandlerFunc(rt.route)
	if cfg.AccessLog.Format != "off" {
		// Lines are batched while requests overlap (a write(2) per line
		// cost ~2.5 % of a request's CPU); retiring the generation, on
		// reload or shutdown, flushes them before the file closes.
		buf := proxy.NewLogBuffer(out, 0, 0)
		closers = append(closers, func() { buf.Close() })
		rt.handler = proxy.AccessLog(rt.handler, proxy.AccessLogOptions{Format: cfg.AccessLog.Format, Out: buf, Now: s.opts.Now})
	}
	var once sync.Once
	rt.retire = func() { once.Do(release) }
	return rt, nil
}

func (s *Server) buildSite(ctx context.Context, cfg *config.Config, cs *config.Site) (*site, certs.Entry, func(), error) {
	var none certs.Entry
	opts, err := cfg.ShieldOptions(cs)
	if err != nil {
		return nil, none, nil, err
	}
	if opts.Redirect.Port == 0 {
		opts.Redirect.Port = listenPort(s.lnTLS.Addr().String())
	}
	if opts.Logger == nil {
		opts.Logger = s.log
	}
	opts.OnEvent = s.shieldEvents(cs.Name)
	if cfg.Reports.Enabled {
		// Browsers POST reports without the page's origin in mind
		// (report-to endpoints may be cross-origin): the collector
		// checks its requests itself.
		opts.CrossOrigin.Bypass = append(slices.Clip(opts.CrossOrigin.Bypass), "POST "+cfg.Reports.Path)
	}
	sh, err := shield.New(opts)
	if err != nil {
		return nil, none, nil, err
	}

	upstream := cs.Upstream
	if upstream == "demo" {
		if s.demo == "" {
			if s.demo, s.demoEnd, err = startDemo(s.log); err != nil {
				return nil, none, nil, err
			}
		}
		upstream = "http://" + s.demo
	}
	px, err := proxy.New(proxy.Options{
		Upstream:              upstream,
		MaxBodyBytes:          cfg.Limits.MaxBodyBytes,
		DialTimeout:           cfg.Limits.UpstreamDialTimeout,
		ResponseHeaderTimeout: cfg.Limits.UpstreamTimeout,
		Logger:                s.log.With("site", cs.Name),
		OnUpstreamError:       s.upstreamEvents(cs.Name),
	})
	if err != nil {
		return nil, none, nil, err
	}
	names := certNames(cs.Hosts)
	src, err := s.certSource(ctx, cs, sh, names)
	if err != nil {
		return nil, none, px.Close, err
	}
	methods := opts.Requests.Methods
	if methods == nil {
		methods = shield.DefaultMethods
	}
	var app http.Handler = px
	if cfg.Reports.Enabled {
		app = collect(cfg.Reports.Path, reports.New(reports.Options{
			Site: cs.Name, Store: s.ops.queue, Events: s.bus.Emit,
			MaxBody: cfg.Reports.MaxBody, Rate: cfg.Reports.Rate, Now: s.opts.Now,
		}), px)
	}
	counted := s.metrics.Site(cs.Name, methods).Wrap(sh.Wrap(app))
	return &site{shield: sh, handler: counted}, certs.Entry{Names: names, Source: src}, px.Close, nil
}

// collect answers requests for path with the report collector, and passes
// the others on to next (the proxy): behind shield, so the Host, HTTPS,
// the methods and the client's address behind trusted proxies are
// shield's as for any request.
func collect(path string, collector, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == path {
			collector.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// certSource returns the certificate source a site asks for.
func (s *Server) certSource(ctx context.Context, cs *config.Site, sh *shield.Shield, names []string) (certs.Source, error) {
	switch cs.Cert.Source {
	case "", config.CertLocal:
		ca, err := s.localCA()
		if err != nil {
			return nil, err
		}
		return ca.Source(names)
	case config.CertFiles:
		fs, err := certs.NewFileSource(cs.Cert.Cert, cs.Cert.Key, certs.FileSourceOptions{Logger: s.log, Now: s.opts.Now})
		if err != nil {
			return nil, err
		}
		go fs.Start(ctx)
		return fs, nil
	case config.CertACME:
		m, err := s.acmeLocked()
		if err != nil {
			return nil, err
		}
		if !cs.Cert.OnDemand {
			return m.Source(cs.Name, names, nil)
		}
		return m.Source(cs.Name, nil, &acme.OnDemand{
			Match: sh.AllowsHost,
			Allow: cs.Cert.Allow,
			Ask:   cs.Cert.Ask,
		})
	}
	return nil, fmt.Errorf("certificate source %q is not supported yet", cs.Cert.Source)
}

// acmeLocked starts the ACME manager on first use, with the [acme]
// settings of the configuration being built. Callers hold s.mu.
func (s *Server) acmeLocked() (*acme.Manager, error) {
	if m := s.acme.Load(); m != nil {
		return m, nil
	}
	cfg := s.building
	o := acme.Options{
		Dir:                datadir.Dir(s.opts.DataDir).ACME(),
		KeyType:            cfg.ACME.KeyType,
		Challenges:         cfg.ACME.Challenges,
		HTTPAddr:           s.HTTPAddr(),
		HTTPSAddr:          s.HTTPSAddr(),
		RenewalWindow:      cfg.ACME.RenewalWindow,
		RenewCheckInterval: cfg.ACME.RenewCheckInterval,
		Emit:               s.bus.Emit,
		Logger:             s.log,
	}
	if cm := s.clusterMode; cm != nil {
		o.Storage = cm.store // one order per name in the cluster
	}
	var err error
	if o.Issuer, err = acmeIssuer(cfg.ACME.ACMEIssuer); err != nil {
		return nil, err
	}
	if fb := cfg.ACME.Fallback; fb != nil {
		is, err := acmeIssuer(*fb)
		if err != nil {
			return nil, fmt.Errorf("fallback: %w", err)
		}
		o.Fallback = &is
	}
	m, err := acme.NewManager(o)
	if err != nil {
		return nil, err
	}
	// The manager keeps these challenges until restart ([acme] changes
	// need one), whatever later generations say.
	s.acmeALPN = len(o.Challenges) == 0 || slices.Contains(o.Challenges, acme.TLSALPN01)
	s.acme.Store(m)
	return m, nil
}

// acmeIssuer converts a configured CA.
func acmeIssuer(c config.ACMEIssuer) (acme.Issuer, error) {
	is := acme.Issuer{CA: c.CA, Email: c.Email, EABKeyID: c.EAB.KeyID, EABMACKey: c.EAB.MACKey, Profile: c.Profile}
	if c.CARoot != "" {
		b, err := os.ReadFile(c.CARoot)
		if err != nil {
			return is, fmt.Errorf("acme: CA root: %w", err)
		}
		is.Roots = x509.NewCertPool()
		if !is.Roots.AppendCertsFromPEM(b) {
			return is, fmt.Errorf("acme: CA root %s: no PEM certificate in it", c.CARoot)
		}
	}
	return is, nil
}

// localCA opens the local CA on first use. Callers hold s.mu.
func (s *Server) localCA() (*certs.LocalCA, error) {
	if s.ca != nil {
		return s.ca, nil
	}
	dir, opts := datadir.Dir(s.opts.DataDir).CA(), certs.LocalCAOptions{Now: s.opts.Now, Logger: s.log}
	if cm := s.clusterMode; cm != nil {
		root, err := cm.sharedCARoot(dir, opts) // nil: Redis down, the data directory's
		if err != nil {
			return nil, err
		}
		opts.Root = root
	}
	ca, err := certs.OpenLocalCA(dir, opts)
	if err != nil {
		return nil, err
	}
	s.ca = ca
	return ca, nil
}

// certNames turns host patterns into certificate names: ".example.com"
// needs both the domain and its wildcard.
func certNames(hosts []string) []string {
	var out []string
	for _, h := range hosts {
		h = strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]"))
		if d, ok := strings.CutPrefix(h, "."); ok {
			out = append(out, d, "*."+d)
			continue
		}
		if h != "*" {
			out = append(out, h)
		}
	}
	return out
}

func listenPort(addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	if n == 443 {
		return 0
	}
	return n
}

// startDemo serves the built-in demo app on a loopback port, as a real
// upstream behind the proxy. It lives as long as the server, so reloads
// keep its sessions.
func startDemo(log *slog.Logger) (addr string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("demo app: %w", err)
	}
	srv := &http.Server{Handler: demo.Handler(demo.Options{}), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("demo app stopped", "err", err)
		}
	}()
	return ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
