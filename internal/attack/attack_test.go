package attack

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/portcullis/portcullis/internal/e2e"
)

// TestAttacks runs every attack against one `portcullis serve` with the
// default policy, plus the two options the path-confusion attacks target
// (a redirect-exempt prefix, a cross-origin bypass), in front of the
// recorder; and a second site, wsgi.test, in front of gunicorn.
func TestAttacks(t *testing.T) {
	gunicorn := e2e.FreeAddr(t, netip.MustParseAddr("127.0.0.1"))
	e := startEnv(t, []string{"app.test", "wsgi.test"}, fmt.Sprintf(`
[[site]]
hosts = ["app.test"]
upstream = "{upstream}"
{cert}
[site.policy.redirect]
exempt = ["/public/*"]

[site.policy.cross_origin]
bypass = ["POST /webhooks/"]

[[site]]
hosts = ["wsgi.test"]
upstream = "http://%s"
{cert}`, gunicorn))

	// Defended today.
	t.Run("smuggling", func(t *testing.T) { e.runH1(t, e.HTTPS, true, smugglingRows()) })
	t.Run("host", func(t *testing.T) { e.runH1(t, e.HTTPS, true, hostRows(e)) })
	t.Run("open-redirect", func(t *testing.T) { e.runH1(t, e.HTTP, false, redirectRows(e)) })
	t.Run("limits", func(t *testing.T) { e.runH1(t, e.HTTPS, true, limitRows()) })
	t.Run("slowloris", func(t *testing.T) { testSlowloris(t, e) })
	t.Run("spoofed-forwarding", func(t *testing.T) { e.runH1(t, e.HTTPS, true, spoofRows(e, "https")) })
	t.Run("spoofed-forwarding-plain", func(t *testing.T) { e.runH1(t, e.HTTP, false, spoofRows(e, "http")) })
	t.Run("h2", func(t *testing.T) { e.runH2(t, h2Rows(e)) })
	t.Run("h2-rapid-reset", func(t *testing.T) { testRapidReset(t, e) })
	t.Run("h2-continuation-flood", func(t *testing.T) { testContinuationFlood(t, e) })

	// New rules (issue 11).
	t.Run("upgrade", func(t *testing.T) { e.runH1(t, e.HTTPS, true, upgradeRows(e)) })
	t.Run("upgrade-plain", func(t *testing.T) { e.runH1(t, e.HTTP, false, plainUpgradeRows()) })
	t.Run("underscore-headers", func(t *testing.T) { e.runH1(t, e.HTTPS, true, underscoreRows(e)) })
	t.Run("underscore-headers-gunicorn", func(t *testing.T) { testGunicornUnderscore(t, e, gunicorn) })
	t.Run("exempt-path-confusion", func(t *testing.T) { e.runH1(t, e.HTTP, false, exemptRows(e)) })
	t.Run("bypass-path-confusion", func(t *testing.T) { e.runH1(t, e.HTTPS, true, bypassRows()) })
	t.Run("methods", func(t *testing.T) { e.runH1(t, e.HTTPS, true, methodRows(defaultMethods)) })
	t.Run("version-headers", func(t *testing.T) { e.runH1(t, e.HTTPS, true, versionRows(false)) })
	t.Run("cookies", func(t *testing.T) { e.runH1(t, e.HTTPS, true, cookieRows(e)) })
	t.Run("chunk-errors", func(t *testing.T) { e.runH1(t, e.HTTPS, true, chunkErrorRows(e)) })
	t.Run("alpn", func(t *testing.T) { testALPN(t, e) })
	t.Run("admin-host", func(t *testing.T) { e.runH1(t, e.Admin, false, adminRows(e)) })
}

// TestOptOuts runs the rows the new options change against a site that
// sets them: more upgrades, underscore headers, its own method list, the
// upstream's version headers kept.
func TestOptOuts(t *testing.T) {
	e := startEnv(t, []string{"app.test"}, `
[[site]]
hosts = ["app.test"]
upstream = "{upstream}"
{cert}
[site.policy.requests]
upgrades = ["websocket", "foo"]
allow_underscore_headers = true
methods = ["GET", "HEAD", "POST", "PROPFIND"]

[site.policy.responses]
keep_version_headers = true
`)
	t.Run("upgrade", func(t *testing.T) { e.runH1(t, e.HTTPS, true, optOutUpgradeRows(e)) })
	t.Run("underscore-headers", func(t *testing.T) { e.runH1(t, e.HTTPS, true, optOutUnderscoreRows(e)) })
	t.Run("methods", func(t *testing.T) {
		e.runH1(t, e.HTTPS, true, methodRows([]string{"GET", "HEAD", "POST", "PROPFIND"}))
	})
	t.Run("version-headers", func(t *testing.T) { e.runH1(t, e.HTTPS, true, versionRows(true)) })
}
