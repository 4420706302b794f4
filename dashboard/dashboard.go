// Package dashboard is the web interface of portcullis's admin listener:
// server-rendered pages for people (sites and their audits, certificates,
// security events, browser reports) and a JSON API for scripts under
// /api/v1/, built from the binary alone (html/template, embedded CSS, no
// script, nothing fetched from elsewhere).
//
// It practises what portcullis preaches: every page goes through a shield
// (package shield) with a strict Content-Security-Policy (default-src
// 'none'; style-src 'self'; img-src 'self'; form-action 'self';
// frame-ancestors 'none'; base-uri 'none'), nosniff, no-referrer, the
// cross-origin resource and opener policies and the cross-origin (CSRF)
// check on every POST, and the admin listener sends Cache-Control:
// no-store. Widths and heights of bars are classes of the stylesheet, so
// no inline style is needed either.
//
// The admin listener (package server) checks the Host and the token
// before the dashboard runs; with a token, browsers sign in once at
// /signin and carry a session cookie (Auth).
package dashboard

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/expiry"
	"github.com/portcullis/portcullis/shield"
	"github.com/portcullis/portcullis/store"
)

// Options are what the dashboard shows and how. Sites, Events, Reports and
// Certificates are required; the rest is optional.
type Options struct {
	// Sites returns the configured sites' names, in configuration order.
	Sites func() []string
	// Events returns the stored security events q selects, newest first
	// (store.Store's Events).
	Events func(q store.Query) ([]events.Event, error)
	// Reports returns the aggregated browser reports q selects
	// (store.Store's Reports).
	Reports func(q store.ReportQuery) ([]store.Aggregate, error)
	// Certificates describes every certificate served now.
	Certificates func() []expiry.Cert
	// Audits returns the self-audits q selects, newest first
	// (store.Store's Audits, which package selfaudit fills); nil when
	// the server keeps none (the pages then say "no audits yet").
	Audits func(q store.AuditQuery) ([]store.AuditRecord, error)
	// AuditNow, when set, asks for an audit of a site now (the site
	// page's "Audit now" button, POST /sites/{site}/audit); it may
	// return before the audit ends.
	AuditNow func(ctx context.Context, site string) error
	// CSP, when set, is what the running configuration says of a
	// site's Content-Security-Policy: the site's CSP page
	// (/sites/{site}/csp, and /api/v1/sites/{site}/csp) shows it beside
	// the policy cspsuggest builds from the site's reports. Nil: no such
	// page.
	CSP func(site string) (SiteCSP, error)
	// Auth, when set, is the token the admin listener wants: the sign-in
	// page takes it and sets the session cookie. Nil: no sign-in (a
	// loopback listener without a token).
	Auth *Auth
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Logger receives the dashboard's errors and its shield's events.
	// Default: slog.Default().
	Logger *slog.Logger
	// Version is portcullis's version, shown in the footer and in the
	// reviews.
	Version string
}

// Dashboard serves the pages and the API. It is an http.Handler for every
// path of the admin listener but /metrics and /healthz.
type Dashboard struct {
	o      Options
	pages  map[string]*template.Template
	static http.Handler
	h      http.Handler // shield → mux
}

//go:embed templates assets
var files embed.FS

// Policy is the Content-Security-Policy of every page: nothing but the
// listener's own stylesheet and images, no script at all.
const Policy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// New checks o and builds the dashboard.
func New(o Options) (*Dashboard, error) {
	if o.Sites == nil || o.Events == nil || o.Reports == nil || o.Certificates == nil {
		return nil, errors.New("dashboard: Options.Sites, Events, Reports and Certificates are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	d := &Dashboard{o: o}
	var err error
	if d.pages, err = parsePages(); err != nil {
		return nil, err
	}
	assets, _ := fs.Sub(files, "assets")
	d.static = http.StripPrefix("/assets/", http.FileServerFS(assets))

	policy, err := csp.Parse(Policy)
	if err != nil {
		return nil, err
	}
	sh, err := shield.New(shield.Options{
		// The admin listener has checked the Host already (localhost, IP
		// literals, listen.admin_hosts), which a shield cannot express.
		Hosts: []string{"*"},
		// Plain HTTP on loopback, TLS beyond: there is nothing to
		// redirect to.
		Redirect: shield.Redirect{Disable: true},
		// Sent over TLS only, and not for IP addresses; the host name may
		// be a site's, whose own policy decides about subdomains.
		HSTS: shield.HSTS{ExcludeSubdomains: true},
		Headers: shield.Headers{
			ReferrerPolicy:            shield.Header{Value: "no-referrer"},
			CrossOriginResourcePolicy: shield.Header{Value: "same-origin"},
		},
		CSP:      shield.CSP{Policy: &policy},
		Requests: shield.Requests{Methods: []string{http.MethodGet, http.MethodHead, http.MethodPost}},
		Logger:   o.Logger,
		Now:      o.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	d.h = sh.Wrap(d.routes())
	return d, nil
}

// The sign-in and sign-out pages.
const (
	SignInPath  = "/signin"
	SignOutPath = "/signout"
	assetsPath  = "/assets/"
)

// Public reports whether r may be answered without a token or session:
// the sign-in page and the stylesheet and icon it uses. A path with dot
// segments is never public ("/assets/../metrics").
func Public(r *http.Request) bool {
	p := r.URL.Path
	return p == SignInPath || strings.HasPrefix(p, assetsPath) && len(p) > len(assetsPath) && path.Clean(p) == p
}

func (d *Dashboard) routes() http.Handler {
	mux := http.NewServeMux()
	page := func(pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				d.fail(w, r, err)
			}
		})
	}
	page("GET /{$}", d.overview)
	page("GET /sites/{site}", d.site)
	page("GET /sites/{site}/review", d.review)
	page("GET /sites/{site}/review.md", d.reviewMarkdown)
	page("GET /sites/{site}/history", d.history)
	page("GET /sites/{site}/csp", d.cspPage)
	page("POST /sites/{site}/audit", d.auditNow)
	page("GET /certificates", d.certificates)
	page("GET /events", d.events)
	page("GET /reports", d.reports)
	page("GET "+SignInPath, d.signInPage)
	page("POST "+SignInPath, d.signIn)
	page("POST "+SignOutPath, d.signOut)
	mux.Handle("GET "+assetsPath, d.assets())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		d.fail(w, r, errNotFound("no such page"))
	})

	for path, h := range map[string]func(r *http.Request) (any, error){
		"audits":       d.apiAudits,
		"events":       d.apiEvents,
		"reports":      d.apiReports,
		"certificates": d.apiCertificates,
	} {
		mux.HandleFunc(APIPrefix+path, d.json(h))
	}
	mux.HandleFunc(APIPrefix+"sites/{site}/csp", d.json(d.apiCSP))
	mux.HandleFunc(APIPrefix, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, apiError{Error: "no such endpoint: " + r.URL.Path +
			" (there are " + APIPrefix + "audits, events, reports, certificates and sites/{site}/csp)"})
	})
	return mux
}

// assets serves the embedded stylesheet and icon; they hold no data, so
// browsers may keep them a while.
func (d *Dashboard) assets() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // no listing
			d.fail(w, r, errNotFound("no such page"))
			return
		}
		w.Header().Set("Cache-Control", "max-age=300")
		d.static.ServeHTTP(w, r)
	})
}

// ServeHTTP answers a request of the admin listener.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) { d.h.ServeHTTP(w, r) }

// sites returns the configured sites' names.
func (d *Dashboard) sites() []string { return d.o.Sites() }

// knownSite reports whether name is a configured site.
func (d *Dashboard) knownSite(name string) bool {
	for _, s := range d.sites() {
		if s == name {
			return true
		}
	}
	return false
}

// audits returns the audits q selects, none without an audit history.
func (d *Dashboard) audits(q store.AuditQuery) ([]store.AuditRecord, error) {
	if d.o.Audits == nil {
		return nil, nil
	}
	return d.o.Audits(q)
}
