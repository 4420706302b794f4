package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/report"
	"github.com/portcullis/portcullis/store"
)

// auditTOML serves two sites from the local CA: "app" with a full policy
// (strict CSP, a security.txt), "blog" with the defaults and appPolicy.
const auditTOML = `
[listen]
https = "127.0.0.1:0"
http = "127.0.0.1:0"
admin = "127.0.0.1:0"

[audit]
paths = ["/login"]

[[site]]
name = "app"
hosts = ["app.localhost"]
upstream = %[1]q
[site.policy.csp]
policy = "strict"
%[2]s
[site.policy.security_txt]
contact = ["mailto:security@app.localhost"]

[[site]]
name = "blog"
hosts = [".blog.localhost"]
upstream = %[1]q
`

// TestSelfAudits: serve audits each of its sites at start through its
// own listeners, under the site's name (a ".domain" site's domain) and
// trusting the local CA as a visitor with it installed would: the grades
// the policies imply go to the store, the metrics and the events. A
// reload that weakens a site's policy is audited at once, and its grade
// drop is an audit.grade_dropped event.
func TestSelfAudits(t *testing.T) {
	dir := t.TempDir()
	up := newUpstream(t)
	path := filepath.Join(dir, "portcullis.toml")
	write := func(appPolicy string) *config.Config {
		t.Helper()
		text := fmt.Sprintf(auditTOML, up.URL, appPolicy)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	var mu sync.Mutex
	var got []events.Event
	byType := func(typ string) []events.Event {
		mu.Lock()
		defer mu.Unlock()
		var out []events.Event
		for _, e := range got {
			if e.Type == typ {
				out = append(out, e)
			}
		}
		return out
	}
	logs := &testutil.Buffer{}
	srv, err := New(write(""), Options{DataDir: filepath.Join(dir, "data"), AccessLog: io.Discard,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		OnEvent: func(e events.Event) {
			mu.Lock()
			got = append(got, e)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})

	testutil.Eventually(t, 90*time.Second, "the start-up audits of app and blog", func() bool { return len(byType(events.AuditCompleted)) >= 2 })
	grades := map[string]store.AuditRecord{}
	for _, site := range []string{"app", "blog"} {
		recs, err := srv.Audits(store.AuditQuery{Site: site})
		if err != nil || len(recs) != 1 {
			t.Fatalf("%s: %d audits stored (%v)", site, len(recs), err)
		}
		r := recs[0]
		grades[site] = r
		var tr report.TargetReport
		if err := json.Unmarshal(r.Report, &tr); err != nil || tr.Certificate == nil || !tr.Certificate.Trusted || len(r.Errors) > 0 {
			t.Errorf("%s: report %v, certificate %+v, errors %q: want a complete audit trusting the local CA", site, err, tr.Certificate, r.Errors)
		}
		if want := site + ".localhost:" + portOf(srv.HTTPSAddr()); r.Target != want {
			t.Errorf("%s: audited %s, want %s", site, r.Target, want)
		}
		if tr.Observed == nil || len(tr.Observed.Pages) != 2 || tr.Observed.Pages[1].Path != "/login" {
			t.Errorf("%s: pages %+v, want / and /login", site, tr.Observed)
		}
	}
	// app: strict CSP, security.txt, HSTS not applicable on a localhost
	// name, the upstream's cookie hardened: nothing above info. blog:
	// the default policy's CSP restricts no script (medium), and without
	// a security.txt of its own the upstream's answer to every path is
	// taken for one, invalid (two low findings).
	if a := grades["app"]; a.Grade != "A+" || a.Score != 100 {
		t.Errorf("app: %s (%d), findings %+v; want A+", a.Grade, a.Score, a.Findings)
	}
	if b := grades["blog"]; b.Grade != "B" || b.Score != 82 {
		t.Errorf("blog: %s (%d), findings %+v; want B (82)", b.Grade, b.Score, b.Findings)
	}
	if n := len(byType(events.AuditGradeDropped)) + len(byType(events.AuditFindingNew)); n != 0 {
		t.Errorf("%d drop or new-finding events at the first audits", n)
	}
	if last := srv.LastAudits(); len(last) != 2 || last[0].Site != "app" || last[1].Site != "blog" {
		t.Errorf("LastAudits() = %+v", last)
	}
	_, metrics := adminGet(t, srv, "localhost", MetricsPath, "")
	for _, want := range []string{
		`portcullis_audit_grade{site="app"} 100`,
		`portcullis_audit_grade{site="blog"} 82`,
		`portcullis_audit_grade_letter{site="blog"} 4`,
		`portcullis_audit_grade_letter{site="app"} 6`,
		`portcullis_audit_findings{severity="medium",site="blog"} 1`,
		`portcullis_audit_findings{severity="low",site="blog"} 3`,
		`portcullis_audit_findings{severity="high",site="app"} 0`,
		`portcullis_audit_last_timestamp_seconds{site="blog"} `,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// A reload that turns app's CSP off: audited again at once, graded
	// lower, the drop an event naming both grades.
	if err := srv.Reload(write("disable = true")); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 90*time.Second, "the audits after the reload", func() bool { return len(byType(events.AuditCompleted)) >= 4 })
	dropped := byType(events.AuditGradeDropped)
	if len(dropped) != 1 || dropped[0].Site != "app" || dropped[0].Severity != events.High || !strings.HasPrefix(dropped[0].Reason, "A+ → ") ||
		!strings.Contains(dropped[0].Message, "from A+ (100/100) to ") {
		t.Errorf("grade_dropped events: %+v", dropped)
	}
	if found := byType(events.AuditFindingNew); len(found) == 0 || found[0].Site != "app" || found[0].Rule != "csp.missing" {
		t.Errorf("finding_new events: %+v", found)
	}
	if recs, _ := srv.Audits(store.AuditQuery{Site: "app"}); len(recs) != 2 || recs[0].Grade == "A+" {
		t.Errorf("app's audits after the reload: %+v", recs)
	}
	if err := srv.AuditNow("nope"); err == nil {
		t.Error("AuditNow of an unknown site")
	}
	if st, ok := srv.AuditStatus(); !ok || st.Every != 24*time.Hour {
		t.Errorf("AuditStatus() = %+v, %v", st, ok)
	}
	if err := srv.AuditNow("blog"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 90*time.Second, "blog's audit asked for", func() bool {
		recs, _ := srv.Audits(store.AuditQuery{Site: "blog"})
		return len(recs) == 3
	})
	_, metrics = adminGet(t, srv, "localhost", MetricsPath, "")
	if strings.Contains(metrics, `portcullis_audit_grade{site="app"} 100`) {
		t.Error("app's grade metric still says 100")
	}
}

// TestSelfAuditsOff: [audit] enabled = false audits nothing, and
// AuditNow says so.
func TestSelfAuditsOff(t *testing.T) {
	t.Parallel()
	srv, _ := startAdmin(t, "\n[audit]\nenabled = false\n")
	if err := srv.AuditNow(""); err != ErrAuditsOff {
		t.Errorf("AuditNow = %v", err)
	}
	if _, ok := srv.AuditStatus(); ok {
		t.Error("AuditStatus says the audits run")
	}
	if last := srv.LastAudits(); len(last) != 0 {
		t.Errorf("LastAudits() = %+v", last)
	}
}
