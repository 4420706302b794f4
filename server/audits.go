package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/metrics"
	"github.com/portcullis/portcullis/selfaudit"
	"github.com/portcullis/portcullis/store"
)

// This file runs the self-audits ([audit], package selfaudit): each site
// audited with `portcullis audit`'s engine through the server's own
// listeners, under the site's real name, trusting what a visitor trusts —
// at start, after every reload and certificate renewal, and on the
// schedule.

// ErrAuditsOff is returned by AuditNow when [audit] enabled is false.
var ErrAuditsOff = errors.New("self-audits are off ([audit] enabled = false)")

// audits is the self-audits' scheduler and its goroutine.
type audits struct {
	sched  *selfaudit.Scheduler
	ctx    context.Context    // the scheduler's life: ended by stop
	cancel context.CancelFunc // ends ctx
	done   chan struct{}      // closed when Run has returned; nil before start
}

// queuedAudits is the store of the self-audits: results are written
// through the queue, so that one finished while a shared store is down
// (cluster mode) is held with the events and written when the store
// returns, instead of being lost; AddAudit waits until it is written (or
// held), so a result is readable once its audit.completed event is out.
type queuedAudits struct {
	store.Store
	q   *store.Queue
	ctx context.Context // the scheduler's: a shutdown does not wait for a slow store
}

// AddAudit queues a and waits for the queue to write or hold it.
func (qa queuedAudits) AddAudit(a store.AuditRecord) error {
	if err := qa.q.AddAudit(a); err != nil {
		return err
	}
	return qa.q.FlushContext(qa.ctx)
}

// newAudits builds the scheduler of [audit], reading from st and writing
// through q, and triggers an audit of a site whose certificate was
// obtained or renewed.
func (s *Server) newAudits(a config.Audit, st store.Store, q *store.Queue) (*audits, error) {
	au := &audits{}
	au.ctx, au.cancel = context.WithCancel(context.Background())
	sched, err := selfaudit.New(selfaudit.Options{
		Sites:   s.auditSites,
		Store:   queuedAudits{st, q, au.ctx},
		Emit:    s.bus.Emit,
		Every:   a.Every,
		AlertOn: a.AlertOn,
		Timeout: a.Timeout,
		Now:     s.opts.Now,
		Logger:  s.log,
		OnResult: func(r store.AuditRecord) {
			if !slices.ContainsFunc(s.Config().Sites, func(cs config.Site) bool { return cs.Name == r.Site }) {
				return // removed by a reload while it was audited: its series are gone
			}
			s.metrics.Audited(metrics.Audit{Site: r.Site, Letter: r.Grade, Score: r.Score, Findings: selfaudit.Severities(r.Findings), Time: r.Time})
		},
	})
	if err != nil {
		au.cancel()
		return nil, err
	}
	au.sched = sched
	s.bus.Subscribe(func(e events.Event) {
		if e.Type != events.CertRenewed && e.Type != events.CertObtained {
			return
		}
		if e.Site == "" {
			sched.Trigger()
			return
		}
		sched.Trigger(e.Site)
	})
	return au, nil
}

// start runs the scheduler: every site is audited at once.
func (a *audits) start() {
	a.done = make(chan struct{})
	go func() { defer close(a.done); a.sched.Run(a.ctx) }()
}

// stop ends the scheduler and waits for it; an audit under way is
// abandoned, not recorded. Shutdown calls it before closing the
// listeners, whose closing that audit would otherwise record.
func (a *audits) stop() {
	if a == nil {
		return
	}
	a.cancel()
	if a.done != nil {
		<-a.done
	}
}

// auditSites describes the sites served now for the scheduler: each is
// audited under its first concrete name (selfaudit.Host), at the ports
// of the server's listeners, with that name at those ports dialing the
// listeners themselves; a site with a local CA certificate trusts the
// local CA's root, others the system's roots, as a visitor does.
func (s *Server) auditSites() []selfaudit.Site {
	rt := s.cur.Load()
	if rt == nil {
		return nil
	}
	cfg := rt.cfg
	if cm := s.clusterMode; cm != nil && !cm.audits.Leading() {
		// One instance of the cluster audits: they all serve the same.
		out := make([]selfaudit.Site, len(cfg.Sites))
		for i := range cfg.Sites {
			out[i] = selfaudit.Site{Name: cfg.Sites[i].Name, Skip: "another instance of the cluster leads the self-audits"}
		}
		return out
	}
	httpsIP, httpsPort := dialAddr(s.lnTLS.Addr())
	httpIP, httpPort := dialAddr(s.lnPlain.Addr())
	out := make([]selfaudit.Site, 0, len(cfg.Sites))
	for i := range cfg.Sites {
		cs := &cfg.Sites[i]
		site := selfaudit.Site{Name: cs.Name}
		host := selfaudit.Host(cs.Hosts)
		if host == "" {
			site.Skip = `its only host is "*", which names no site to audit`
			out = append(out, site)
			continue
		}
		site.Target = audit.Target{Host: host, HTTPSPort: httpsPort, HTTPPort: httpPort}
		site.Options = audit.Options{
			Paths: slices.Clone(cfg.Audit.Paths),
			Resolve: map[string]string{
				net.JoinHostPort(host, strconv.Itoa(httpsPort)): httpsIP,
				net.JoinHostPort(host, strconv.Itoa(httpPort)):  httpIP,
			},
			Concurrency: 1,
			Now:         s.opts.Now,
		}
		if src := cs.Cert.Source; src == "" || src == config.CertLocal {
			if ca := s.LocalCA(); ca != nil {
				site.Options.Roots = ca.RootPool()
			}
		}
		out = append(out, site)
	}
	return out
}

// dialAddr is the address to dial a listener at: its IP, loopback for
// one bound to every interface.
func dialAddr(a net.Addr) (ip string, port int) {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return "127.0.0.1", 0
	}
	if ta.IP == nil || ta.IP.IsUnspecified() {
		return "127.0.0.1", ta.Port
	}
	return ta.IP.String(), ta.Port
}

// Audits returns the self-audits the store holds ([audit]: each site
// audited through the server's own listeners), as q selects, newest
// first. Each record's Report is the site's report in the JSON of
// `portcullis audit --format json` (a report.TargetReport).
func (s *Server) Audits(q store.AuditQuery) ([]store.AuditRecord, error) {
	return s.ops.store.Audits(q)
}

// AuditNow audits site (every site when site is "") as soon as the audit
// under way, if any, ends; it returns at once, and the result arrives
// in Audits, LastAudits and an audit.completed event. Triggers merge. It
// fails for a site the configuration does not have, and when [audit] is
// off (ErrAuditsOff).
func (s *Server) AuditNow(site string) error {
	a := s.ops.audits
	if a == nil {
		return ErrAuditsOff
	}
	if site == "" {
		a.sched.Trigger()
		return nil
	}
	for _, cs := range s.Config().Sites {
		if cs.Name == site {
			a.sched.Trigger(site)
			return nil
		}
	}
	return fmt.Errorf("no site is named %q", site)
}

// LastAudits returns the latest self-audit of each configured site that
// has one, in configuration order: the one of this run, or the store's
// from an earlier run before this run's first audit of the site ends.
func (s *Server) LastAudits() []store.AuditRecord {
	if a := s.ops.audits; a != nil {
		return a.sched.Last()
	}
	var out []store.AuditRecord
	for _, cs := range s.Config().Sites {
		if rs, err := s.ops.store.Audits(store.AuditQuery{Site: cs.Name, Limit: 1}); err == nil && len(rs) == 1 {
			out = append(out, rs[0])
		}
	}
	return out
}

// AuditStatus says what the self-audits are doing: the site being
// audited, those waiting, when the next is due. ok is false when [audit]
// is off.
func (s *Server) AuditStatus() (st selfaudit.Status, ok bool) {
	a := s.ops.audits
	if a == nil {
		return selfaudit.Status{}, false
	}
	return a.sched.Status(), true
}
