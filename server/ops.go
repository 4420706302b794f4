package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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
	"github.com/portcullis/portcullis/expiry"
)

// operations are what runs beside the request path for the server's whole
// life: expiry monitoring, alerts, scheduled backups and the admin
// listener. They are configured at start; a reload that changes them
// logs that a restart is needed.
type operations struct {
	monitor *expiry.Monitor
	webhook *alert.Webhook     // nil without [alerts] webhook
	backups *backup.Schedule   // nil without [backup] dir
	adminLn net.Listener       // nil when listen.admin is off
	admin   *http.Server       // serves adminLn
	cancel  context.CancelFunc // stops the monitor and the backups
	wg      sync.WaitGroup     // the goroutines cancel stops
	reg     *prometheus.Registry
}

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
		dedup := a.Dedup
		if dedup == 0 {
			dedup = -1 // "0" in the file turns de-duplication off
		}
		op.webhook, err = alert.NewWebhook(alert.WebhookOptions{
			URL: a.Webhook, Secret: a.Secret, MinSeverity: a.MinSeverity, Dedup: dedup,
			Now: s.opts.Now, Logger: s.log,
		})
		if err != nil {
			return nil, fmt.Errorf("alerts: %w", err)
		}
		s.bus.Subscribe(op.webhook.Send)
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
	)
	if cfg.Listen.Admin != "" {
		if op.adminLn, err = net.Listen("tcp", cfg.Listen.Admin); err != nil {
			return nil, fmt.Errorf("admin listener: %w (set listen.admin to another address, or \"off\")", err)
		}
	}
	return op, nil
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
		Options: BackupOptions(rs, s.opts.Now),
		Logger:  s.log,
	}, nil
}

// BackupOptions are the options of every backup of a data directory: the
// local CA and the ACME storage (certificates, keys, account), without
// lock files.
func BackupOptions(rs []age.Recipient, now func() time.Time) backup.Options {
	return backup.Options{
		Paths:      []string{"ca", "acme"},
		Exclude:    func(rel string) bool { return strings.HasPrefix(rel, "acme/locks/") },
		Recipients: rs,
		Now:        now,
	}
}

// start runs the monitor, the backups and the admin listener.
func (op *operations) start(s *Server) {
	ctx, cancel := context.WithCancel(context.Background())
	op.cancel = cancel
	op.wg.Add(1)
	go func() { defer op.wg.Done(); op.monitor.Run(ctx) }()
	if op.backups != nil {
		op.wg.Add(1)
		go func() { defer op.wg.Done(); op.backups.Run(ctx) }()
	}
	if op.adminLn != nil {
		mux := http.NewServeMux()
		mux.Handle("GET "+MetricsPath, promhttp.HandlerFor(op.reg, promhttp.HandlerOpts{}))
		mux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "ok\n")
		})
		op.admin = &http.Server{
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Content-Type-Options", "nosniff")
				w.Header().Set("Cache-Control", "no-store")
				mux.ServeHTTP(w, r)
			}),
			ReadHeaderTimeout: 10 * time.Second,
		}
		go func() { s.errs <- serveErr(op.admin.Serve(op.adminLn)) }()
	}
}

// close stops everything and delivers the alerts still queued, until ctx
// ends.
func (op *operations) close(ctx context.Context) error {
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
	if op.webhook != nil {
		if err := op.webhook.Close(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// AdminAddr returns the admin listener's address, or "" when it is off.
func (s *Server) AdminAddr() string {
	if s.ops.adminLn == nil {
		return ""
	}
	return s.ops.adminLn.Addr().String()
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

// sameOperations reports whether two configurations agree on what the
// operations are built from.
func sameOperations(a, b *config.Config) bool {
	return reflect.DeepEqual(a.ACME, b.ACME) && reflect.DeepEqual(a.Monitor, b.Monitor) &&
		reflect.DeepEqual(a.Alerts, b.Alerts) && reflect.DeepEqual(a.Backup, b.Backup)
}
