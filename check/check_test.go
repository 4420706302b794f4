package check

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/rules"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if siteFiles.dir != "" {
		os.RemoveAll(siteFiles.dir)
	}
	os.Exit(code)
}

// siteFiles is a certificate pair for files.example.com, written once for
// the package's tests; parse puts its paths in place of filesCert and
// filesKey.
var siteFiles struct {
	once      sync.Once
	dir       string
	ca        *testutil.CA
	cert, key string
}

// writeSiteFiles writes siteFiles, once.
func writeSiteFiles(t *testing.T) {
	siteFiles.once.Do(func() {
		dir, err := os.MkdirTemp("", "check-test-")
		if err != nil {
			t.Fatal(err)
		}
		siteFiles.dir, siteFiles.ca = dir, testutil.NewCA(t, "check test CA")
		siteFiles.cert, siteFiles.key = siteFiles.ca.WriteLeaf(t, dir, "files", []string{"files.example.com"}, time.Now().Add(-time.Hour), time.Now().Add(80*24*time.Hour))
	})
}

func parse(t *testing.T, src string) *config.Config {
	t.Helper()
	writeSiteFiles(t)
	src = strings.NewReplacer(filesCert, siteFiles.cert, filesKey, siteFiles.key).Replace(src)
	cfg, err := config.Parse("portcullis.toml", []byte(src))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, src)
	}
	return cfg
}

// Parts of the configurations below.
const (
	acmeSection = "[acme]\nemail = \"ops@example.com\"\n"
	acmeSite    = `
[[site]]
name = "shop"
hosts = ["shop.example.com"]
upstream = "http://127.0.0.1:8000"
[site.cert]
source = "acme"
`
	filesSite = `
[[site]]
name = "files"
hosts = ["files.example.com"]
upstream = "http://127.0.0.1:8000"
[site.cert]
source = "files"
cert = "` + filesCert + `"
key = "` + filesKey + `"
`
	// filesCert and filesKey stand for siteFiles' paths (see parse).
	filesCert = "/etc/ssl/files.pem"
	filesKey  = "/etc/ssl/files-key.pem"
	localSite = `
[[site]]
name = "local"
hosts = ["localhost", "127.0.0.1"]
upstream = "http://127.0.0.1:8000"
`
	alerts = "[alerts]\nwebhook = \"https://hooks.example.com/portcullis\"\n"
	backup = "[backup]\ndir = \"/var/backups/portcullis\"\nrecipients = [\"age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\"]\n"
	// unverifiableHosts are names and addresses no public CA validates.
	unverifiableHosts = `["localhost", "app.localhost", "127.0.0.1", "::1", "10.1.2.3", "fd00::1", "169.254.1.1", "app.test", "x.example", "a.invalid", "printer.local", "intranet", "svc.internal", "nas.home.arpa", "example.com", "203.0.113.7", "2001:db8::1"]`
)

// unverifiableSite is an ACME site with unverifiableHosts.
const unverifiableSite = `
[[site]]
name = "internal"
hosts = ` + unverifiableHosts + `
upstream = "http://127.0.0.1:8000"
[site.cert]
source = "acme"
`

// clusterSection is a [cluster] section with the lines given and a key.
func clusterSection(lines string) string {
	return "[cluster]\n" + lines + "\nkey = \"0123456789abcdef0123456789abcdef\"\n"
}

func clusterPlain(addr string) want {
	return want{"cluster.redis-plaintext", LevelWarning, "", "reaches Redis at " + addr + " over plain TCP"}
}

// want is a finding expected from the rules under test.
type want struct {
	rule  string
	level Level
	site  string // "" for the whole configuration (then no line either)
	msg   string // a substring of the message
}

// underTest are the rules these tests are about: the operations rules,
// and cert.untrusted, the other rule check adds to shield's.
func underTest(id string) bool {
	return id == "cert.untrusted" || slices.ContainsFunc(Rules(), func(r rules.Rule) bool { return r.ID == id })
}

func TestRules(t *testing.T) {
	unverifiable := func(host string, local bool) want {
		msg := fmt.Sprintf("host %q is", host)
		if local {
			msg += `*use cert.source = "local"`
		} else {
			msg += "*internal CA"
		}
		return want{"acme.unverifiable-name", LevelWarning, "internal", msg}
	}
	allUnverifiable := []want{
		unverifiable("localhost", true), unverifiable("app.localhost", true), unverifiable("127.0.0.1", true),
		unverifiable("::1", true), unverifiable("10.1.2.3", false), unverifiable("fd00::1", false),
		unverifiable("169.254.1.1", false), unverifiable("app.test", false), unverifiable("x.example", false),
		unverifiable("a.invalid", false), unverifiable("printer.local", false), unverifiable("intranet", false),
		unverifiable("svc.internal", false), unverifiable("nas.home.arpa", false),
	}
	adminExposed := func(addr string) want {
		return want{"admin.exposed", LevelWarning, "", fmt.Sprintf("listen.admin %q is reachable", addr)}
	}
	staging := want{"acme.staging", LevelWarning, "shop", "acme.ca is Let's Encrypt's staging environment"}
	alertsMissing := want{"alerts.missing", LevelInfo, "", "only reach the log; set [alerts] webhook"}
	backupMissing := want{"backup.missing", LevelInfo, "", "set [backup] or run portcullis certs backup"}

	tests := []struct {
		name   string
		src    string
		lint   []want // without --deploy (Lint)
		deploy []want // with --deploy (Run)
	}{
		{"local only", localSite, nil, nil},
		{"local CA for a public name", "[[site]]\nhosts = [\"app.example.com\"]\nupstream = \"http://127.0.0.1:8000\"\n[site.cert]\nsource = \"local\"\n", nil,
			[]want{{"cert.untrusted", LevelError, "app.example.com", "local CA"}}},

		// listen.admin
		{"admin default", localSite, nil, nil},
		{"admin off", "[listen]\nadmin = \"off\"\n" + localSite, nil, nil},
		{"admin loopback v4", "[listen]\nadmin = \"127.0.0.2:9180\"\n" + localSite, nil, nil},
		{"admin loopback v6", "[listen]\nadmin = \"[::1]:9180\"\n" + localSite, nil, nil},
		{"admin localhost", "[listen]\nadmin = \"LOCALHOST:9180\"\n" + localSite, nil, nil},
		{"admin every interface", "[listen]\nadmin = \":9180\"\nadmin_token = \"0123456789abcdef\"\n" + localSite, []want{adminExposed(":9180")}, []want{adminExposed(":9180")}},
		{"admin 0.0.0.0", "[listen]\nadmin = \"0.0.0.0:9180\"\nadmin_token = \"0123456789abcdef\"\n" + localSite, []want{adminExposed("0.0.0.0:9180")}, []want{adminExposed("0.0.0.0:9180")}},
		{"admin ::", "[listen]\nadmin = \"[::]:9180\"\nadmin_token = \"0123456789abcdef\"\n" + localSite, []want{adminExposed("[::]:9180")}, []want{adminExposed("[::]:9180")}},
		{"admin private address", "[listen]\nadmin = \"10.0.0.5:9180\"\nadmin_token = \"0123456789abcdef\"\n" + localSite, []want{adminExposed("10.0.0.5:9180")}, []want{adminExposed("10.0.0.5:9180")}},
		{"admin host name", "[listen]\nadmin = \"metrics.example.com:9180\"\nadmin_token = \"0123456789abcdef\"\n" + localSite,
			[]want{adminExposed("metrics.example.com:9180")}, []want{adminExposed("metrics.example.com:9180")}},

		// ACME: staging, names.
		{"acme production", acmeSection + acmeSite + alerts + backup, nil, nil},
		{"acme staging", "[acme]\nca = \"letsencrypt-staging\"\nemail = \"ops@example.com\"\n" + acmeSite + alerts + backup, nil, []want{staging}},
		{"acme staging by URL", "[acme]\nca = \"" + config.LetsEncryptStaging + "\"\nemail = \"ops@example.com\"\n" + acmeSite + alerts + backup, nil, []want{staging}},
		{"acme staging fallback", acmeSection + "[acme.fallback]\nca = \"letsencrypt-staging\"\n" + acmeSite + alerts + backup, nil,
			[]want{{"acme.staging", LevelWarning, "shop", "acme.fallback.ca is Let's Encrypt's staging environment"}}},
		{"staging for a files site", "[acme]\nca = \"letsencrypt-staging\"\n" + filesSite + alerts, nil, nil},
		{"acme unverifiable names", acmeSection + unverifiableSite + alerts + backup, allUnverifiable, allUnverifiable},
		{"acme unverifiable names, staging", "[acme]\nca = \"letsencrypt-staging\"\nemail = \"ops@example.com\"\n" + unverifiableSite + alerts + backup,
			allUnverifiable, append(slices.Clone(allUnverifiable), want{"acme.staging", LevelWarning, "internal", "staging"})},
		{"acme unverifiable names, ZeroSSL", "[acme]\nca = \"zerossl\"\nemail = \"ops@example.com\"\neab_key_id = \"kid\"\neab_mac_key = \"bWFj\"\n" + unverifiableSite + alerts + backup,
			allUnverifiable, allUnverifiable},
		{"acme unverifiable names, private CA", "[acme]\nca = \"https://ca.internal.example/acme/directory\"\nemail = \"ops@example.com\"\n" + unverifiableSite + alerts + backup, nil, nil},
		{"acme catch-all on demand", acmeSection + "[[site]]\nhosts = [\"*\"]\nupstream = \"http://127.0.0.1:8000\"\n[site.cert]\nsource = \"acme\"\non_demand = true\nallow = [\"a.example.com\"]\n" + alerts + backup, nil, nil},
		{"acme domain on demand under .test", acmeSection + "[[site]]\nname = \"t\"\nhosts = [\".tenants.test\"]\nupstream = \"http://127.0.0.1:8000\"\n[site.cert]\nsource = \"acme\"\non_demand = true\n" + alerts + backup,
			[]want{{"acme.unverifiable-name", LevelWarning, "t", `host ".tenants.test" is under .test`}},
			[]want{{"acme.unverifiable-name", LevelWarning, "t", `host ".tenants.test" is under .test`}}},
		{"unverifiable names with local certificates", strings.Replace(unverifiableSite, "source = \"acme\"", "source = \"local\"", 1), nil,
			[]want{{"cert.untrusted", LevelError, "internal", "local CA"}}}, // for example.com

		// Alerts and backups.
		{"no alerts, files", filesSite, nil, []want{alertsMissing}},
		{"no alerts, acme", acmeSection + acmeSite + backup, nil, []want{alertsMissing}},
		{"alerts, files", filesSite + alerts, nil, nil},
		{"no alerts, local only", localSite, nil, nil},
		{"no backup, acme", acmeSection + acmeSite + alerts, nil, []want{backupMissing}},
		{"neither, acme and files", acmeSection + acmeSite + filesSite, nil, []want{alertsMissing, backupMissing}},
		{"no backup, files only", filesSite + alerts, nil, nil},

		// [cluster]: Redis over plain TCP beyond this machine.
		{"cluster rediss", clusterSection("redis = \"rediss://redis.internal:6380\"") + localSite, nil, nil},
		{"cluster unix", clusterSection("redis = \"unix:///run/redis/redis.sock\"") + localSite, nil, nil},
		{"cluster loopback", clusterSection("redis = \"redis://127.0.0.1:6379\"") + localSite, nil, nil},
		{"cluster plain", clusterSection("redis = \"redis://u:pw@redis.internal:6379/0\"") + localSite,
			[]want{clusterPlain("redis.internal:6379")}, []want{clusterPlain("redis.internal:6379")}},
		{"cluster nodes plain", clusterSection("addrs = [\"10.0.0.1:6379\", \"10.0.0.2:6379\"]\nprefix = \"{p}\"") + localSite,
			[]want{clusterPlain("10.0.0.1:6379")}, []want{clusterPlain("10.0.0.1:6379")}},
		{"cluster nodes tls", clusterSection("addrs = [\"10.0.0.1:6379\", \"10.0.0.2:6379\"]\nprefix = \"{p}\"\ntls = true") + localSite, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parse(t, tt.src)
			t.Run("lint", func(t *testing.T) { compare(t, Lint(cfg), tt.lint) })
			rep, err := Run(cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Run("deploy", func(t *testing.T) { compare(t, rep, tt.deploy) })
		})
	}
}

// compare checks a report's findings of the rules under test against
// wants, in any order, and its counts against all its findings.
func compare(t *testing.T, rep *Report, wants []want) {
	t.Helper()
	var got []Finding
	counts := map[Level]int{}
	for _, f := range rep.Findings {
		counts[f.Level]++
		if f.Level != LevelOf(f.Severity) || f.Title == "" || f.Fix == "" || f.Message == "" {
			t.Errorf("incomplete finding %+v", f)
		}
		if underTest(f.Rule) {
			got = append(got, f)
		}
	}
	if counts[LevelError] != rep.Errors || counts[LevelWarning] != rep.Warnings || counts[LevelInfo] != rep.Infos {
		t.Errorf("counts %d/%d/%d, findings %v", rep.Errors, rep.Warnings, rep.Infos, counts)
	}
	left := slices.Clone(wants)
	for _, f := range got {
		i := slices.IndexFunc(left, func(w want) bool { return matches(f, w) })
		if i < 0 {
			t.Errorf("unexpected finding: %s %s site %q line %d: %s", f.Level, f.Rule, f.Site, f.Line, f.Message)
			continue
		}
		left = slices.Delete(left, i, i+1)
	}
	for _, w := range left {
		t.Errorf("missing finding: %s %s site %q: %q", w.level, w.rule, w.site, w.msg)
	}
}

// matches reports whether f is w; w.msg may hold "*" between substrings
// that must appear in that order.
func matches(f Finding, w want) bool {
	if f.Rule != w.rule || f.Level != w.level || f.Site != w.site || f.Target != w.site {
		return false
	}
	if (w.site == "") != (f.Line == 0) {
		return false
	}
	msg := f.Message
	for part := range strings.SplitSeq(w.msg, "*") {
		i := strings.Index(msg, part)
		if i < 0 {
			return false
		}
		msg = msg[i+len(part):]
	}
	return true
}

func TestUnverifiable(t *testing.T) {
	tests := []struct {
		host  string
		why   string // substring; "" when a public CA can validate it
		local bool
	}{
		{"example.com", "", false},
		{"WWW.Example.COM.", "", false},
		{".example.com", "", false},
		{"*", "", false},
		{"", "", false},
		{"203.0.113.7", "", false},
		{"[2001:db8::1]", "", false},
		{"localhost", "localhost name", true},
		{"LocalHost.", "localhost name", true},
		{"app.localhost", "localhost name", true},
		{".localhost", "localhost name", true},
		{"localhost.example.com", "", false},
		{"127.0.0.1", "loopback", true},
		{"127.8.9.10", "loopback", true},
		{"[::1]", "loopback", true},
		{"::ffff:127.0.0.1", "loopback", true},
		{"192.168.1.1", "private", false},
		{"172.16.0.1", "private", false},
		{"fd12::1", "private", false},
		{"fe80::1", "not a public unicast", false},
		{"0.0.0.0", "not a public unicast", false},
		{"224.0.0.1", "not a public unicast", false},
		{"a.test", "RFC 6761", false},
		{"test", "single-label", false},
		{"x.example", "RFC 6761", false},
		{"x.invalid", "RFC 6761", false},
		{"printer.local", "multicast DNS", false},
		{"svc.internal", "private networks", false},
		{"home.arpa", "RFC 8375", false},
		{"nas.home.arpa", "RFC 8375", false},
		{"x.arpa", "", false},
		{"test.example.com", "", false},
		{"intranet", "single-label", false},
	}
	for _, tt := range tests {
		why, local := unverifiable(tt.host)
		if (why == "") != (tt.why == "") || !strings.Contains(why, tt.why) || local != tt.local {
			t.Errorf("unverifiable(%q) = %q, %v; want %q, %v", tt.host, why, local, tt.why, tt.local)
		}
	}
}

// TestRuleCatalog: the operations rules are complete, in ID order, and
// none clashes with the catalog of package rules.
func TestRuleCatalog(t *testing.T) {
	rs := Rules()
	if len(rs) != 7 {
		t.Fatalf("%d rules", len(rs))
	}
	for i, r := range rs {
		if i > 0 && rs[i-1].ID >= r.ID {
			t.Errorf("%s after %s: not in ID order", r.ID, rs[i-1].ID)
		}
		if _, ok := rules.Get(r.ID); ok {
			t.Errorf("%s is also in the catalog of package rules", r.ID)
		}
		if r.Category != Operations || r.Title == "" || r.Description == "" || r.Fix == "" || len(r.References) == 0 || strings.HasSuffix(r.Title, ".") {
			t.Errorf("incomplete rule %+v", r)
		}
		for _, ref := range r.References {
			if !strings.HasPrefix(ref, "https://") {
				t.Errorf("%s: reference %q is not https", r.ID, ref)
			}
		}
		if got, ok := ruleByID(r.ID); !ok || got.ID != r.ID {
			t.Errorf("ruleByID(%q) = %v, %v", r.ID, got.ID, ok)
		}
	}
	rs[0].References[0] = "changed"
	if Rules()[0].References[0] == "changed" {
		t.Error("Rules shares memory with the catalog")
	}
	if _, ok := ruleByID("hsts.missing"); !ok {
		t.Error("ruleByID misses the catalog of package rules")
	}
}

// TestRulesDocumented: docs/serve.md lists every operations rule.
func TestRulesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/serve.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules() {
		if !strings.Contains(string(doc), "`"+r.ID+"`") {
			t.Errorf("docs/serve.md does not list %s", r.ID)
		}
	}
}

func ExampleLint() {
	cfg, err := config.Parse("portcullis.toml", []byte(`
[listen]
admin = ":9180"
admin_token = "example-token-0123456789" # in a real file: "${ADMIN_TOKEN}"

[acme]
email = "ops@example.com"

[[site]]
hosts = ["app.test"]
upstream = "http://127.0.0.1:8000"
[site.cert]
source = "acme"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range Lint(cfg).Findings {
		fmt.Printf("%s %s site %q: %s\n", f.Level, f.Rule, f.Site, f.Message)
	}
	// Output:
	// warning admin.exposed site "": listen.admin ":9180" is reachable beyond this machine: its dashboard, API and /metrics, which name every certificate, site and event, are on the network, behind the token and TLS
	// warning acme.unverifiable-name site "app.test": host "app.test" is under .test, reserved by RFC 6761 and never delegated: Let's Encrypt cannot validate it, so every order fails; use certificate files from an internal CA, or acme.ca set to an ACME CA of your own
}

func ExampleRun() {
	cfg, err := config.Parse("portcullis.toml", []byte(`
[acme]
ca = "letsencrypt-staging"
email = "ops@example.com"

[[site]]
hosts = ["example.com"]
upstream = "http://127.0.0.1:8000"
[site.cert]
source = "acme"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := Run(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Only the operations rules: the site's policy findings depend on
	// the shield defaults.
	for _, f := range rep.Findings {
		if r, ok := ruleByID(f.Rule); ok && r.Category == Operations {
			fmt.Printf("%s %s: %s\n", f.Level, f.Rule, f.Message)
		}
	}
	// Output:
	// warning acme.staging: acme.ca is Let's Encrypt's staging environment: its certificates are not trusted by browsers
	// info alerts.missing: no [alerts] webhook: certificate expiry and renewal failures only reach the log; set [alerts] webhook
	// info backup.missing: no [backup] dir: no scheduled backup of the keys and the ACME account; set [backup] or run portcullis certs backup from cron
}

// FuzzUnverifiable: host classification never panics, ignores ASCII
// case, a trailing dot and the leading dot of a domain pattern, and only
// offers the local CA for names it explains.
func FuzzUnverifiable(f *testing.F) {
	for _, h := range []string{"example.com", "localhost", "app.localhost", "127.0.0.1", "[::1]", "::ffff:10.0.0.1",
		"fe80::1%eth0", "a.test", ".tenants.test", "nas.home.arpa", "intranet", "*", "", ".", "[", "]]", "1.2.3", "ÉCOLE.LOCAL"} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, h string) {
		why, local := unverifiable(h)
		if local && why == "" {
			t.Fatalf("unverifiable(%q): local without a reason", h)
		}
		same := func(v string) {
			if w, l := unverifiable(v); w != why || l != local {
				t.Fatalf("unverifiable(%q) = %q, %v but unverifiable(%q) = %q, %v", h, why, local, v, w, l)
			}
		}
		if !strings.ContainsFunc(h, func(r rune) bool { return r >= utf8.RuneSelf }) {
			same(strings.ToUpper(h))
		}
		if p := strings.TrimSpace(h); !strings.ContainsAny(p, "[]") {
			if !strings.HasSuffix(p, ".") {
				same(p + ".")
			}
			if !strings.HasPrefix(p, ".") {
				same("." + p)
			}
		}
	})
}

// TestCertFiles: check loads each site's certificate files as serve would
// and judges them as the audit judges a served chain (trust aside).
func TestCertFiles(t *testing.T) {
	writeSiteFiles(t)
	ca, dir := siteFiles.ca, t.TempDir()
	now := time.Now()
	write := func(name string, names []string, from, to time.Time) (string, string) {
		return ca.WriteLeaf(t, dir, name, names, from, to)
	}
	okCert, okKey := write("ok", []string{"files.example.com", "example.org", "*.example.org"}, now.Add(-time.Hour), now.Add(80*24*time.Hour))
	otherCert, otherKey := write("other", []string{"other.example.com"}, now.Add(-time.Hour), now.Add(80*24*time.Hour))
	oldCert, oldKey := write("old", []string{"files.example.com"}, now.Add(-90*24*time.Hour), now.Add(-24*time.Hour))
	soonCert, soonKey := write("soon", []string{"files.example.com"}, now.Add(-80*24*time.Hour), now.Add(5*24*time.Hour))
	openCert, openKey := write("open", []string{"files.example.com"}, now.Add(-time.Hour), now.Add(80*24*time.Hour))
	if err := os.Chmod(openKey, 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not PEM"), 0o600)
	site := func(hosts, cert, key string) string {
		return fmt.Sprintf("[alerts]\nwebhook = \"https://hooks.example.com/p\"\n[[site]]\nname = \"files\"\nhosts = %s\nupstream = \"http://127.0.0.1:8000\"\n[site.cert]\nsource = \"files\"\ncert = %q\nkey = %q\n", hosts, cert, key)
	}
	host := `["files.example.com"]`
	tests := []struct {
		name         string
		src          string
		lint, deploy []string // "rule:message part"
	}{
		{"good pair", site(`["files.example.com", ".example.org"]`, okCert, okKey), nil, nil},
		{"missing cert", site(host, filepath.Join(dir, "nope.pem"), okKey), []string{"certfiles.unusable:no such file"}, []string{"certfiles.unusable:no such file"}},
		{"missing key", site(host, okCert, filepath.Join(dir, "nope-key.pem")), []string{"certfiles.unusable:no such file"}, []string{"certfiles.unusable:no such file"}},
		{"not PEM", site(host, garbage, okKey), []string{"certfiles.unusable:PEM"}, []string{"certfiles.unusable:PEM"}},
		{"not a pair", site(host, okCert, otherKey), []string{"certfiles.unusable:does not match"}, []string{"certfiles.unusable:does not match"}},
		{"names miss a host", site(`["files.example.com", "www.example.com"]`, okCert, okKey),
			[]string{"cert.hostname-mismatch:not www.example.com"}, []string{"cert.hostname-mismatch:not www.example.com"}},
		{"domain pattern needs the wildcard", site(`[".example.com"]`, otherCert, otherKey),
			[]string{"cert.hostname-mismatch:not example.com", "cert.hostname-mismatch:not portcullis-check.example.com"},
			[]string{"cert.hostname-mismatch:not example.com", "cert.hostname-mismatch:not portcullis-check.example.com"}},
		{"expired", site(host, oldCert, oldKey), []string{"cert.expired:expired"}, []string{"cert.expired:expired"}},
		{"expiring soon is a deployment's concern", site(host, soonCert, soonKey), nil, []string{"cert.expiring:expires in"}},
		{"key readable by others", site(host, openCert, openKey), []string{"cert.key-permissions:mode 0644"}, []string{"cert.key-permissions:mode 0644"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parse(t, tt.src)
			got := func(r *Report) []string {
				var out []string
				for _, f := range r.Findings {
					if strings.HasPrefix(f.Rule, "cert") {
						out = append(out, f.Rule+":"+f.Message)
					}
				}
				return out
			}
			rep, err := Run(cfg)
			if err != nil {
				t.Fatal(err)
			}
			for mode, pair := range map[string][2][]string{"lint": {got(Lint(cfg)), tt.lint}, "deploy": {got(rep), tt.deploy}} {
				have, want := pair[0], pair[1]
				if len(have) != len(want) {
					t.Errorf("%s: findings %q, want %q", mode, have, want)
					continue
				}
				for i, w := range want {
					rule, part, _ := strings.Cut(w, ":")
					if !strings.HasPrefix(have[i], rule+":") || !strings.Contains(have[i], part) {
						t.Errorf("%s: finding %q, want %s with %q", mode, have[i], rule, part)
					}
				}
			}
			if len(tt.lint) > 0 && Lint(cfg).Errors == 0 {
				t.Errorf("lint: no error for what serve refuses")
			}
		})
	}
}

// TestSetup: the report describes what the configuration sets up around
// the sites, which `portcullis audit --config` states in its review.
func TestSetup(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src string
		want      Setup
	}{
		{"bare ACME", acmeSite, Setup{CertSources: []string{"acme"}, ACMECA: "Let's Encrypt",
			Thresholds: []string{"30d", "14d", "7d", "1d"}, Admin: config.DefaultAdmin}},
		{"watched", acmeSection + alerts + backup + "[acme.fallback]\nca = \"zerossl\"\neab_key_id = \"k\"\neab_mac_key = \"bWFj\"\n" +
			"[monitor]\nthresholds = [\"21d\", \"36h\"]\n[listen]\nadmin = \"off\"\n" + acmeSite + filesSite + localSite,
			Setup{CertSources: []string{"acme", "files", "local"}, ACMECA: "Let's Encrypt", ACMEFallback: "ZeroSSL",
				Thresholds: []string{"21d", "36h0m0s"}, Alerts: true, Backups: true}},
		{"files only", filesSite, Setup{CertSources: []string{"files"}, Thresholds: []string{"30d", "14d", "7d", "1d"}, Admin: config.DefaultAdmin}},
	} {
		cfg := parse(t, tc.src)
		rep, err := Run(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rep.Setup, tc.want) {
			t.Errorf("%s: setup\n got %+v\nwant %+v", tc.name, rep.Setup, tc.want)
		}
		if lint := Lint(cfg); !reflect.DeepEqual(lint.Setup, tc.want) {
			t.Errorf("%s: Lint's setup %+v", tc.name, lint.Setup)
		}
	}
}
