package server

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/portcullis/portcullis/alert"
	"github.com/portcullis/portcullis/backup"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/cspsuggest"
	"github.com/portcullis/portcullis/dashboard"
	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/expiry"
	"github.com/portcullis/portcullis/internal/version"
	"github.com/portcullis/portcullis/shield"
	"github.com/portcullis/portcullis/store"
)

// operations are what runs beside the request path for the server's whole
// life: expiry monitoring, alerts, scheduled backups and the admin
// listener. They are configured at start; a reload that changes them
// logs that a restart is needed.
type operations struct {
	monitor *expiry.Monitor
	alerts  *alert.Chain       // nil without [alerts] webhook
	store   store.Store        // events, reports and audits: store.db, or Redis in cluster mode
	queue   *store.Queue       // writes to store off the request path
	backups *backup.Schedule   // nil without [backup] dir
	adminLn net.Listener       // nil when listen.admin is off
	admin   *http.Server       // serves adminLn
	listen  config.Listen      // the admin listener's token and hosts
	cancel  context.CancelFunc // stops the monitor and the backups
	wg      sync.WaitGroup     // the goroutines cancel stops
	reg     *prometheus.Registry
	audits  *audits // the self-audits; nil when [audit] is off (audits.go)

	auth *dashboard.Auth // listen.admin_token: bearers and signed-in browsers; nil without one
	dash *dashboard.Dashboard
	// adminTLS is the admin listener's TLS configuration when it is
	// bound beyond loopback; nil on loopback, where it speaks plain HTTP.
	adminTLS *tls.Config
}

// storeMaxBackoff caps the wait between the store queue's retries while
// the store is unavailable: a retry against a Redis that is down costs a
// refused connection, and the backlog is written within this of its
// return.
const storeMaxBackoff = 5 * time.Second

// MetricsPath is where the admin listener serves Prometheus metrics.
const MetricsPath = "/metrics"

// newOperations prepares the operations and binds the admin listener.
func (s *Server) newOperations(cfg *config.Config) (_ *operations, err error) {
	op := &operations{cancel: func() {}}
	defer func() {
		if err != nil {
			op.close(context.Background())
		}
	}()
	op.monitor, err = expiry.New(expiry.Options{
		Certificates: s.Certificates,
		Thresholds:   cfg.Monitor.Thresholds,
		Interval:     cfg.Monitor.Interval,
		Now:          s.opts.Now,
		Emit:         s.bus.Emit,
	})
	if err != nil {
		return nil, fmt.Errorf("monitor: %w", err)
	}
	s.bus.Subscribe(op.monitor.Observe)
	if a := cfg.Alerts; a.Webhook != "" {
		// Every event goes to the alert rules, which pass certificate
		// and operations events on as they come and turn bursts of
		// request events into one alert (alert.DefaultRules).
		ao := alert.Options{Now: s.opts.Now, Logger: s.log}
		if s.cluster != nil {
			// One instance delivers an alert all of them raise (docs/cluster.md).
			ao.Claim = s.cluster
		}
		op.alerts, err = alert.New(a, ao)
		if err != nil {
			return nil, fmt.Errorf("alerts: %w", err)
		}
		s.bus.Subscribe(op.alerts.Send)
		for _, st := range []struct {
			name    string
			dropped func(alert.ChainStats) uint64
		}{
			// Lost, not filtered by the configuration (min_severity,
			// dedup): events the rules could not count (too many
			// groups at once), alerts the webhook's queue had no room
			// for.
			{"alert.rules.overflow", func(c alert.ChainStats) uint64 { return c.Rules.Overflow }},
			{"webhook.queue", func(c alert.ChainStats) uint64 { return c.Webhook.Dropped }},
		} {
			s.metrics.CountDropped(st.name, func() uint64 { return st.dropped(op.alerts.Stats()) })
		}
	}
	// Every event is kept (retention and size bounded); the queue writes
	// them in batches from its own goroutine and drops what does not fit.
	warn := func(what string) func(error) {
		return func(err error) { s.log.Warn("store: "+what+" failed", "error", err) }
	}
	so := store.Options{Retention: cfg.Store.Retention, MaxBytes: cfg.Store.MaxBytes, Now: s.opts.Now, OnError: warn("sweep")}
	if s.cluster != nil {
		// Cluster mode: every instance's events, reports and audits in
		// Redis, so the dashboard and the API show the cluster's.
		op.store = s.cluster.EventStore(so)
	} else {
		b, err := store.Open(datadir.Dir(s.opts.DataDir), so)
		if err != nil {
			return nil, err
		}
		op.store = b
	}
	// While the store is unavailable (Redis down), the queue holds what
	// arrives, up to its backlog, and retries; the request path never
	// waits for it.
	qo := store.QueueOptions{MaxBackoff: storeMaxBackoff}
	if s.opts.StoreQueue != nil {
		qo = *s.opts.StoreQueue
	}
	qo.OnError = warn("write")
	qo.OnRecover = func(held, retries int) {
		s.log.Info("store: writing again after an outage", "held", held, "retries", retries)
	}
	op.queue = store.NewQueue(op.store, qo)
	s.bus.Subscribe(op.queue.Event)
	s.metrics.CountDropped("store.queue", func() uint64 { st := op.queue.Stats(); return st.Dropped + st.Failed })
	if cfg.Audit.Enabled {
		if op.audits, err = s.newAudits(cfg.Audit, op.store, op.queue); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
	}
	if b := cfg.Backup; b.Dir != "" {
		if op.backups, err = s.backupSchedule(b); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
	}
	op.reg = prometheus.NewRegistry()
	op.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		op.monitor.Collector(),
		s.metrics,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "portcullis_store_backlog",
			Help: "Events and reports held by the store's queue while the store is unavailable (cluster mode: Redis down), waiting to be written.",
		}, func() float64 { return float64(op.queue.Stats().Held) }),
	)
	op.listen = cfg.Listen
	if cfg.Listen.Admin != "" {
		if err := s.adminOperations(op, cfg); err != nil {
			return nil, err
		}
	}
	return op, nil
}

// adminOperations binds the admin listener and builds what it serves:
// beyond loopback it needs the token (fail closed) and speaks TLS only,
// with the sites' certificates, so that neither the token, nor a session
// cookie, nor what the dashboard shows crosses the network in clear.
func (s *Server) adminOperations(op *operations, cfg *config.Config) error {
	l := cfg.Listen
	if !config.LoopbackAddr(l.Admin) {
		// Validate says so too; this also covers serve --admin, which
		// replaces the address after validation.
		if l.AdminToken == "" {
			return fmt.Errorf("admin listener %q is reachable beyond this machine and has no listen.admin_token: set one, bind it to loopback, or \"off\"", l.Admin)
		}
		var err error
		op.adminTLS, err = TLSConfig(cfg.TLS.Profile, func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
			return s.cur.Load().certs.GetCertificate(h)
		})
		if err != nil {
			return err
		}
	}
	if l.AdminToken != "" {
		op.auth = dashboard.NewAuth(l.AdminToken, s.opts.Now)
	}
	o := dashboard.Options{
		Sites: func() []string {
			var names []string
			for _, site := range s.Config().Sites {
				names = append(names, site.Name)
			}
			return names
		},
		Events:       op.store.Events,
		Reports:      op.store.Reports,
		Certificates: s.Certificates,
		Audits:       op.store.Audits, // kept from earlier runs too, even with [audit] off now
		CSP:          s.siteCSP,
		Auth:         op.auth,
		Now:          s.opts.Now,
		Logger:       s.log,
		Version:      version.Get().Version,
	}
	if op.audits != nil {
		o.AuditNow = func(_ context.Context, site string) error { return s.AuditNow(site) }
	}
	var err error
	if op.dash, err = dashboard.New(o); err != nil {
		return err
	}
	if op.adminLn, err = net.Listen("tcp", l.Admin); err != nil {
		return fmt.Errorf("admin listener: %w (set listen.admin to another address, or \"off\")", err)
	}
	return nil
}

// siteCSP is what the running configuration says of a site's CSP, for
// the dashboard's CSP page: the policies its shield sends, its learning,
// and the site as cspsuggest sees it.
func (s *Server) siteCSP(name string) (dashboard.SiteCSP, error) {
	cfg := s.Config()
	for i := range cfg.Sites {
		site := &cfg.Sites[i]
		if site.Name != name {
			continue
		}
		o, err := cfg.ShieldOptions(site)
		if err != nil {
			return dashboard.SiteCSP{}, err
		}
		in, err := cspsuggest.SiteInput(cfg, site)
		if err != nil {
			return dashboard.SiteCSP{}, err
		}
		out := dashboard.SiteCSP{Learn: o.CSP.Learn && !o.CSP.Disable, Input: in}
		out.Enforced, out.ReportOnly = shield.EffectiveCSP(o)
		if out.Learn {
			out.LearnSample = cmp.Or(o.CSP.LearnSample, shield.DefaultLearnSample)
		}
		return out, nil
	}
	return dashboard.SiteCSP{}, fmt.Errorf("no site is named %q", name)
}

// backupSchedule builds the scheduled backups of the local CA and the
// ACME storage.
func (s *Server) backupSchedule(b config.Backup) (*backup.Schedule, error) {
	var rs []age.Recipient
	if b.Passphrase != "" {
		r, err := age.NewScryptRecipient(b.Passphrase)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	if len(b.Recipients) > 0 {
		parsed, err := backup.ParseRecipients(strings.NewReader(strings.Join(b.Recipients, "\n")))
		if err != nil {
			return nil, err
		}
		rs = append(rs, parsed...)
	}
	return &backup.Schedule{
		Dir: b.Dir, Interval: b.Interval, Keep: b.Keep, Root: s.opts.DataDir,
		Options:  BackupOptions(rs, s.opts.Now),
		Logger:   s.log,
		OnResult: s.backedUp,
	}, nil
}

// BackupOptions are the options of every backup of a data directory: the
// local CA and the ACME storage (certificates, keys, account), without
// lock files.
func BackupOptions(rs []age.Recipient, now func() time.Time) backup.Options {
	return backup.Options{
		Paths:      datadir.BackedUp,
		Exclude:    func(rel string) bool { return strings.HasPrefix(rel, datadir.ACMEDir+"/locks/") },
		Recipients: rs,
		Now:        now,
	}
}

// start runs the monitor, the backups, the self-audits and the admin
// listener.
func (op *operations) start(s *Server) {
	ctx, cancel := context.WithCancel(context.Background())
	op.cancel = cancel
	op.wg.Add(1)
	go func() { defer op.wg.Done(); op.monitor.Run(ctx) }()
	if op.backups != nil {
		op.wg.Add(1)
		go func() { defer op.wg.Done(); op.backups.Run(ctx) }()
	}
	if op.audits != nil {
		op.audits.start()
	}
	if op.adminLn != nil {
		mux := http.NewServeMux()
		mux.Handle("GET "+MetricsPath, promhttp.HandlerFor(op.reg, promhttp.HandlerOpts{}))
		mux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "ok\n")
		})
		mux.Handle("/", op.dash)
		op.admin = &http.Server{
			Handler:           newAdminGuard(op.listen, op.auth, s.log, mux),
			ReadHeaderTimeout: 10 * time.Second,
			TLSConfig:         op.adminTLS,
			ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug), // handshakes scanners break off
		}
		if op.adminTLS != nil {
			go func() { s.errs <- serveErr(op.admin.ServeTLS(op.adminLn, "", "")) }()
		} else {
			go func() { s.errs <- serveErr(op.admin.Serve(op.adminLn)) }()
		}
	}
}

// close stops everything and delivers the alerts still queued, until ctx
// ends.
func (op *operations) close(ctx context.Context) error {
	op.audits.stop()
	op.cancel()
	op.wg.Wait()
	var errs []error
	if op.admin != nil {
		if err := op.admin.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	} else if op.adminLn != nil {
		op.adminLn.Close()
	}
	if op.alerts != nil {
		if err := op.alerts.Close(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			errs = append(errs, err)
		}
	}
	if op.queue != nil {
		if err := op.queue.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if op.store != nil {
		if err := op.store.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Reports returns the aggregated browser reports the server's store
// holds (CSP violations and other Reporting API reports), as q selects.
func (s *Server) Reports(q store.ReportQuery) ([]store.Aggregate, error) {
	return s.ops.store.Reports(q)
}

// StoredEvents returns the events the server's store holds, as q
// selects, newest first.
func (s *Server) StoredEvents(q store.Query) ([]events.Event, error) {
	return s.ops.store.Events(q)
}

// AdminAddr returns the admin listener's address, or "" when it is off.
func (s *Server) AdminAddr() string {
	if s.ops.adminLn == nil {
		return ""
	}
	return s.ops.adminLn.Addr().String()
}

// AdminURL returns the admin listener's base URL ("http://127.0.0.1:9180",
// or https:// beyond loopback), or "" when it is off.
func (s *Server) AdminURL() string {
	if s.ops.adminLn == nil {
		return ""
	}
	scheme := "http://"
	if s.ops.adminTLS != nil {
		scheme = "https://"
	}
	return scheme + s.ops.adminLn.Addr().String()
}

// Certificates describes every certificate the server serves now, with
// the site it belongs to.
func (s *Server) Certificates() []expiry.Cert {
	rt := s.cur.Load()
	if rt == nil {
		return nil
	}
	var out []expiry.Cert
	for _, sv := range rt.served {
		for _, info := range sv.src.Certificates() {
			out = append(out, expiry.Cert{Site: sv.site, Info: info})
		}
	}
	return out
}

// CheckExpiry runs one expiry check now (the monitor also runs on its
// interval).
func (s *Server) CheckExpiry() { s.ops.monitor.Check() }

// sameListen reports whether two configurations agree on the listeners,
// the admin listener's token and hosts included.
func sameListen(a, b *config.Config) bool { return reflect.DeepEqual(a.Listen, b.Listen) }

// sameOperations reports whether two configurations agree on what the
// operations are built from.
func sameOperations(a, b *config.Config) bool {
	return reflect.DeepEqual(a.ACME, b.ACME) && reflect.DeepEqual(a.Monitor, b.Monitor) &&
		reflect.DeepEqual(a.Alerts, b.Alerts) && reflect.DeepEqual(a.Backup, b.Backup) && a.Store == b.Store &&
		reflect.DeepEqual(a.Audit, b.Audit)
}

// adminGuard stands in front of the admin listener's routes. It answers
// only the Host names DNS rebinding cannot produce (a page on evil.com
// whose name is made to resolve to 127.0.0.1 still sends "Host:
// evil.com"): localhost, IP literals and listen.admin_hosts. With
// listen.admin_token it also wants, on every request but health checks
// and the sign-in page, "Authorization: Bearer <token>" or the session
// cookie of a browser that signed in (dashboard.Auth); a browser asking
// for a page without either is sent to sign in.
type adminGuard struct {
	hosts map[string]bool // listen.admin_hosts, lower case, no final dot
	auth  *dashboard.Auth // nil without a token
	log   *slog.Logger
	next  http.Handler
}

func newAdminGuard(l config.Listen, auth *dashboard.Auth, log *slog.Logger, next http.Handler) *adminGuard {
	g := &adminGuard{hosts: map[string]bool{}, auth: auth, log: log, next: next}
	for _, h := range l.AdminHosts {
		g.hosts[normalAdminHost(h)] = true
	}
	return g
}

func (g *adminGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if !g.allowsHost(r.Host) {
		g.log.Warn("admin listener: request refused: Host is not localhost, an IP address or in listen.admin_hosts (DNS rebinding?)",
			"host", clip(r.Host), "remote", r.RemoteAddr)
		adminRefuse(w, http.StatusMisdirectedRequest, "421 Misdirected Request: this host name is not answered here\n")
		return
	}
	if g.auth != nil && r.URL.Path != HealthPath && !dashboard.Public(r) {
		if why := g.auth.Check(r); why != "" {
			if dashboard.SignInRedirect(w, r) {
				return
			}
			g.log.Warn("admin listener: request refused: "+why, "remote", r.RemoteAddr, "path", clip(r.URL.Path))
			h.Set("WWW-Authenticate", "Bearer")
			adminRefuse(w, http.StatusUnauthorized, "401 Unauthorized: a bearer token is required\n")
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

// allowsHost reports whether the admin listener answers a request's Host
// (with any port).
func (g *adminGuard) allowsHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = normalAdminHost(host)
	if host == "" {
		return false
	}
	if _, err := netip.ParseAddr(host); err == nil || host == "localhost" {
		return true
	}
	return g.hosts[host]
}

func normalAdminHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")), ".")
}

// adminRefuse answers a refused admin request with a fixed text.
func adminRefuse(w http.ResponseWriter, code int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	io.WriteString(w, text)
}

// clip shortens what a client sent to a length fit for a log line.
func clip(s string) string {
	const limit = 100
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}
