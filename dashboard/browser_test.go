package dashboard_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/headers"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/dashboard"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/internal/browsertest"
	"github.com/portcullis/portcullis/internal/e2e"
	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/server"
	"github.com/portcullis/portcullis/store"
)

func TestMain(m *testing.M) {
	code := m.Run()
	e2e.Cleanup()
	os.Exit(code)
}

const token = "browser-test-admin-token-0123456789"

// siteTOML is the configuration of the server the browser visits: one
// site, app.localhost (so that its certificate comes from the local CA,
// which the self-audits and the browser both trust), in front of a small
// app at %s; the admin listener at %s, with a token; %s is the site's CSP.
const siteTOML = `
[listen]
https = "127.0.0.1:0"
http = "127.0.0.1:0"
admin = %[2]q
admin_token = %[4]q
admin_hosts = ["app.localhost"]

[audit]
every = "0s"

[[site]]
name = "app"
hosts = ["app.localhost"]
upstream = "http://%[1]s"
%[3]s
`

// startServer runs a server.Server of siteTOML in the test's process.
func startServer(t *testing.T, upstream, admin, csp string) (*server.Server, func(csp string) *config.Config, string) {
	t.Helper()
	dir := t.TempDir()
	parse := func(csp string) *config.Config {
		cfg, err := config.Parse(filepath.Join(dir, "portcullis.toml"), fmt.Appendf(nil, siteTOML, upstream, admin, csp, token))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	data := filepath.Join(dir, "data")
	srv, err := server.New(parse(csp), server.Options{DataDir: data, AccessLog: io.Discard, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv, parse, data
}

// app is the upstream: one plain page.
func app(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><html lang=en><title>app</title><h1>app</h1>")
	})}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String()
}

// TestBrowserDashboard opens the dashboard of a running server in
// headless Chromium, over TLS (the admin listener is bound beyond
// loopback) with the site's certificate, as a user would: the first page
// sends it to sign in; the token signs it in with a Secure, HttpOnly,
// SameSite=Strict cookie; it goes from the overview to the site, its
// review and its history, where the diff between the server's two real
// self-audits (before and after a reload that made the CSP strict) shows
// csp.unsafe-inline resolved; it filters the events by severity with the
// form; it sees the certificate's timeline, the CSP report, and the
// site's CSP page suggesting the reported image host. Every page
// grades A+ by headers.Check and csp.Judge, and the browser reports no
// console or CSP error and no failed request. A phone-sized window (500
// pixels: headless Chromium's narrowest) shows the pages without
// sideways scrolling. Screenshots of every page are
// kept as test artifacts (go test -artifacts).
func TestBrowserDashboard(t *testing.T) {
	srv, parse, _ := startServer(t, app(t), "0.0.0.0:0", "")
	if !strings.HasPrefix(srv.AdminURL(), "https://") {
		t.Fatalf("admin listener beyond loopback without TLS: %s", srv.AdminURL())
	}

	// Two real self-audits: at start, and after a reload that makes the
	// site's CSP strict, which resolves csp.unsafe-inline.
	waitAudits(t, srv, func(as []store.AuditRecord) bool { return len(as) > 0 })
	if err := srv.Reload(parse("[site.policy.csp]\npolicy = \"strict\"\n")); err != nil {
		t.Fatal(err)
	}
	audits := waitAudits(t, srv, func(as []store.AuditRecord) bool {
		return len(as) > 1 && !has(as[0].Findings, "csp.unsafe-inline") && has(as[1].Findings, "csp.unsafe-inline")
	})

	// A security event through the bus, and a browser report through the
	// site's collector.
	srv.Events().Emit(events.Event{Type: events.CrossOriginBlocked, Severity: events.Medium, Site: "app", Method: "POST",
		Host: "app.localhost", Path: "/login", Client: "203.0.113.9", Message: "cross-origin request blocked"})
	srv.Events().Emit(events.Event{Type: events.HostRejected, Severity: events.Low, Host: "scanner.example", Path: "/.env",
		Client: "198.51.100.7", Message: "no site serves this Host"})
	root := srv.LocalCA().Root()
	report(t, srv, root)
	testutil.Eventually(t, 10*time.Second, "the events and the report are stored", func() bool {
		es, _ := srv.StoredEvents(store.Query{Type: "crossorigin.blocked"})
		rs, _ := srv.Reports(store.ReportQuery{})
		return len(es) == 1 && len(rs) == 1
	})

	b := browsertest.New(t, browsertest.Options{Roots: []*x509.Certificate{root}, Width: 1100, Height: 800, Flags: loopbackOnly})
	_, port, _ := net.SplitHostPort(srv.AdminAddr())
	base := "https://app.localhost:" + port
	signIn(t, b, base, "signin.png")
	c, ok := b.Cookie(dashboard.SessionCookie)
	if !ok || !c.Secure || !c.HTTPOnly || c.SameSite != "Strict" || c.Path != "/" || c.Domain != "app.localhost" ||
		c.Expires.Before(time.Now().Add(dashboard.SessionLifetime-time.Minute)) {
		t.Errorf("session cookie %+v (%v)", c, ok)
	}

	// Overview → site → review → site → history.
	over := b.Navigate(base + "/")
	checkPage(t, over, "overview")
	if got := b.Text("#sites"); !strings.Contains(got, "app") || !strings.Contains(got, audits[0].Grade) {
		t.Errorf("the sites table: %q, want app graded %s", got, audits[0].Grade)
	}
	b.ScreenshotArtifact("overview.png")
	checkPage(t, b.ClickAndWait(`#sites a[href="/sites/app"]`), "site")
	if got := b.Text("#grade"); got != audits[0].Grade {
		t.Errorf("the site's grade %q, want %q", got, audits[0].Grade)
	}
	b.ScreenshotArtifact("site.png")
	rev := b.ClickAndWait("#review")
	if rev.Err != "" || rev.Final().Status != 200 || !strings.Contains(rev.Final().Header.Get("Content-Security-Policy"), "style-src 'sha256-") {
		t.Fatalf("review:\n%s", rev)
	}
	checkGrade(t, "review", rev.Final().Header)
	if h := b.Text("h1"); !strings.Contains(h, "Security review: app.localhost") {
		t.Errorf("review heading %q", h)
	}
	b.ScreenshotArtifact("review.png")
	b.Navigate(base + "/sites/app")
	checkPage(t, b.ClickAndWait("#history"), "history")
	diff := b.Text("article.audit .diff")
	if !strings.Contains(diff, "Resolved") || !strings.Contains(diff, "csp.unsafe-inline") {
		t.Errorf("the history's newest diff does not show csp.unsafe-inline resolved:\n%s", diff)
	}
	b.ScreenshotArtifact("history.png")

	// Events, filtered with the form: medium and above.
	checkPage(t, b.Navigate(base+"/events"), "events")
	if got := b.Text("table.events"); !strings.Contains(got, "host.rejected") || !strings.Contains(got, "crossorigin.blocked") {
		t.Errorf("the events before filtering:\n%s", got)
	}
	b.Eval(`document.querySelector('#filter select[name="severity"]').value = "medium"`, nil)
	b.Eval(`document.querySelector('#filter select[name="site"]').value = "app"`, nil)
	filtered := b.ClickAndWait(`#filter button[type="submit"]`)
	checkPage(t, filtered, "events, filtered")
	if u := b.Location(); !strings.Contains(u, "site=app") || !strings.Contains(u, "severity=medium") {
		t.Errorf("filtered location %s", u)
	}
	if got := b.Text("table.events"); strings.Contains(got, "host.rejected") || !strings.Contains(got, "crossorigin.blocked") {
		t.Errorf("the events filtered to app, medium and above:\n%s", got)
	}
	b.ScreenshotArtifact("events.png")

	checkPage(t, b.Navigate(base+"/certificates"), "certificates")
	if got := b.Text("ul.certs"); !strings.Contains(got, "app.localhost") || !strings.Contains(got, "days left") || !strings.Contains(got, "renewal: scheduled") {
		t.Errorf("certificates:\n%s", got)
	}
	b.ScreenshotArtifact("certificates.png")
	checkPage(t, b.Navigate(base+"/reports"), "reports")
	if got := b.Text("#reports"); !strings.Contains(got, "img-src") || !strings.Contains(got, "https://images.example") {
		t.Errorf("reports:\n%s", got)
	}
	b.ScreenshotArtifact("reports.png")
	checkPage(t, b.Navigate(base+"/sites/app/csp"), "csp")
	if got := b.Text("#policy"); !strings.Contains(got, "img-src 'self' https://images.example") {
		t.Errorf("the suggested policy: %q", got)
	}
	if got := b.Text("#sources"); !strings.Contains(got, "1 report, last") || !strings.Contains(got, "/page") {
		t.Errorf("the suggestion's sources:\n%s", got)
	}
	b.ScreenshotArtifact("csp.png")

	// No page loaded anything from elsewhere, and nothing went wrong.
	for _, e := range b.Requests() {
		if !strings.HasPrefix(e.URL, base+"/") {
			t.Errorf("a request beyond the admin listener: %v", e)
		}
	}
	b.CheckClean()

	// On a phone: the pages fit the width; the tables scroll inside.
	phone := browsertest.New(t, browsertest.Options{Roots: []*x509.Certificate{root}, Width: 500, Height: 900, Flags: loopbackOnly})
	signIn(t, phone, base, "signin-phone.png")
	for _, p := range []string{"/", "/sites/app", "/sites/app/csp", "/events", "/certificates", "/reports"} {
		checkPage(t, phone.Navigate(base+p), "phone "+p)
		var overflow int
		phone.Eval(`document.documentElement.scrollWidth - window.innerWidth`, &overflow)
		if overflow > 0 {
			t.Errorf("phone %s: the page is %d px wider than the screen", p, overflow)
		}
	}
	phone.Navigate(base + "/")
	phone.ScreenshotArtifact("overview-phone.png")
	phone.CheckClean()
}

// TestBrowserSignInLoopback: on the default loopback listener (plain
// HTTP) with a token, a browser signs in too: Chromium keeps the Secure
// __Host- cookie for http://127.0.0.1, a potentially trustworthy origin.
func TestBrowserSignInLoopback(t *testing.T) {
	srv, _, _ := startServer(t, app(t), "127.0.0.1:0", "")
	if !strings.HasPrefix(srv.AdminURL(), "http://127.0.0.1:") {
		t.Fatalf("AdminURL %s", srv.AdminURL())
	}
	b := browsertest.New(t, browsertest.Options{Flags: loopbackOnly})
	signIn(t, b, srv.AdminURL(), "signin-loopback.png")
	if c, ok := b.Cookie(dashboard.SessionCookie); !ok || !c.Secure || c.Domain != "127.0.0.1" {
		t.Errorf("cookie %+v %v", c, ok)
	}
	checkPage(t, b.Navigate(srv.AdminURL()+"/certificates"), "certificates")
	// Sign out: back to the sign-in page, and the pages are closed.
	out := b.ClickAndWait(`form.signout button`)
	if out.Err != "" || out.Final().Status != 200 || !strings.HasSuffix(out.Final().URL, dashboard.SignInPath) {
		t.Fatalf("sign-out:\n%s", out)
	}
	if _, ok := b.Cookie(dashboard.SessionCookie); ok {
		t.Error("the cookie is still there after sign-out")
	}
	again := b.Navigate(srv.AdminURL() + "/events")
	if !strings.Contains(again.Final().URL, "/signin?next=") {
		t.Errorf("after sign-out, /events:\n%s", again)
	}
	b.CheckClean()
}

// loopbackOnly lets the browser reach localhost names and 127.0.0.1,
// which Chromium resolves itself, and no other name.
var loopbackOnly = []string{"host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE *.localhost, EXCLUDE 127.0.0.1"}

// signIn loads base/ in b, which must land on the sign-in page, keeps a
// screenshot of it as shot, and signs in with the token.
func signIn(t *testing.T, b *browsertest.Browser, base, shot string) {
	t.Helper()
	nav := b.Navigate(base + "/")
	if nav.Err != "" || len(nav.Chain) != 2 || nav.Chain[0].Status != 303 || nav.Final().URL != base+"/signin?next=%2F" {
		t.Fatalf("the dashboard did not send the browser to sign in:\n%s", nav)
	}
	checkGrade(t, "sign-in", nav.Final().Header)
	b.ScreenshotArtifact(shot)
	b.Fill("#token", token)
	in := b.ClickAndWait(`form.signin button[type="submit"]`)
	if in.Err != "" || len(in.Chain) != 2 || in.Chain[0].String() != "POST "+base+"/signin → 303 /" || in.Final().Status != 200 {
		t.Fatalf("signing in:\n%s", in)
	}
}

// checkPage fails unless nav loaded a dashboard page that grades A+.
func checkPage(t *testing.T, nav *browsertest.Navigation, what string) {
	t.Helper()
	if nav.Err != "" || nav.Final().Status != 200 {
		t.Fatalf("%s:\n%s", what, nav)
	}
	checkGrade(t, what, nav.Final().Header)
	if got := nav.Final().Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("%s: Cache-Control %q", what, got)
	}
}

// checkGrade fails for a header finding above info, as `portcullis
// audit` judges them (CSP by csp.Judge).
func checkGrade(t *testing.T, what string, h http.Header) {
	t.Helper()
	for _, f := range headers.Check("https://app.localhost/", h) {
		if f.Severity > rules.Info {
			t.Errorf("%s: %s (%s): %s", what, f.Rule, f.Severity, f.Message)
		}
	}
}

// waitAudits waits until the site's self-audits, newest first, are
// what done wants, and returns them.
func waitAudits(t *testing.T, srv *server.Server, done func([]store.AuditRecord) bool) []store.AuditRecord {
	t.Helper()
	var as []store.AuditRecord
	testutil.Eventually(t, 90*time.Second, "the self-audits", func() bool {
		var err error
		as, err = srv.Audits(store.AuditQuery{Site: "app"})
		return err == nil && done(as)
	})
	return as
}

func has(fs []store.AuditFinding, rule string) bool {
	for _, f := range fs {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

// report posts a CSP violation report to the site, as a browser would.
func report(t *testing.T, srv *server.Server, root *x509.Certificate) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(root)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "app.localhost"}}}
	body := `{"csp-report":{"document-uri":"https://app.localhost/page?q=1","violated-directive":"img-src","effective-directive":"img-src",` +
		`"blocked-uri":"https://images.example/x.png","disposition":"enforce","original-policy":"img-src 'self'"}}`
	req, _ := http.NewRequest("POST", "https://"+srv.HTTPSAddr()+"/_portcullis/reports", bytes.NewReader([]byte(body)))
	req.Host = "app.localhost"
	req.Header.Set("Content-Type", "application/csp-report")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("report: %d", resp.StatusCode)
	}
}
