package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/events"
)

// TestDecodeSections checks how the file's [acme], [monitor], [alerts],
// [backup], listen.admin and on-demand keys become a Config: CA names
// mapped to their URLs, the fallback's email inherited, thresholds sorted,
// allowed names lower-cased, "off" for no admin listener.
func TestDecodeSections(t *testing.T) {
	t.Parallel()
	const site = "\n[[site]]\nhosts = [\"app.example.com\"]\nupstream = \"demo\"\n"
	tests := []struct {
		name, text string
		check      func(c *Config) bool
	}{
		{"defaults", "", func(c *Config) bool {
			e := empty()
			return c.Listen.Admin == DefaultAdmin && reflect.DeepEqual(c.ACME, e.ACME) && reflect.DeepEqual(c.Monitor, e.Monitor) &&
				reflect.DeepEqual(c.Alerts, e.Alerts) && reflect.DeepEqual(c.Backup, e.Backup) && c.ACME.CA == LetsEncrypt && c.ACME.Fallback == nil
		}},
		{"admin off", "[listen]\nadmin = \"off\"\n", func(c *Config) bool { return c.Listen.Admin == "" }},
		{"admin any address", "[listen]\nadmin = \"[::]:9180\"\nadmin_token = \"0123456789abcdef\"\n", func(c *Config) bool {
			return c.Listen.Admin == "[::]:9180" && c.Listen.AdminToken == "0123456789abcdef" && c.Listen.AdminHosts == nil
		}},
		{"admin hosts", "[listen]\nadmin_hosts = \"metrics.internal\"\n", func(c *Config) bool {
			return c.Listen.Admin == DefaultAdmin && c.Listen.AdminToken == "" && reflect.DeepEqual(c.Listen.AdminHosts, []string{"metrics.internal"})
		}},
		{"letsencrypt", "[acme]\nca = \"letsencrypt\"\n", func(c *Config) bool { return c.ACME.CA == LetsEncrypt }},
		{"staging", "[acme]\nca = \"letsencrypt-staging\"\n", func(c *Config) bool { return c.ACME.CA == LetsEncryptStaging }},
		{"zerossl any case", "[acme]\nca = \"ZeroSSL\"\neab_key_id = \"k\"\neab_mac_key = \"a2V5\"\n", func(c *Config) bool {
			return c.ACME.CA == ZeroSSL && c.ACME.EAB == EAB{KeyID: "k", MACKey: "a2V5"}
		}},
		{"local CA over http", "[acme]\nca = \"http://127.0.0.1:14000/dir\"\n", func(c *Config) bool { return c.ACME.CA == "http://127.0.0.1:14000/dir" }},
		{"localhost CA over http", "[acme]\nca = \"http://LOCALHOST:14000/dir\"\n", func(c *Config) bool { return c.ACME.CA == "http://LOCALHOST:14000/dir" }},
		{"IPv6 loopback CA over http", "[acme]\nca = \"http://[::1]:14000/dir\"\n", func(c *Config) bool { return c.ACME.CA == "http://[::1]:14000/dir" }},
		{"fallback inherits email", "[acme]\nemail = \"a@example.com\"\n[acme.fallback]\nca = \"letsencrypt\"\n", func(c *Config) bool {
			return c.ACME.Fallback != nil && *c.ACME.Fallback == ACMEIssuer{CA: LetsEncrypt, Email: "a@example.com"}
		}},
		{"fallback email", "[acme]\nemail = \"a@example.com\"\n[acme.fallback]\nca = \"zerossl\"\nemail = \"b@example.com\"\neab_key_id = \"k\"\neab_mac_key = \"a2V5\"\n",
			func(c *Config) bool {
				return c.ACME.Email == "a@example.com" && c.ACME.Fallback.Email == "b@example.com"
			}},
		{"padded base64url MAC key", "[acme]\neab_key_id = \"k\"\neab_mac_key = \"a2V5LQ==\"\n", func(c *Config) bool { return c.ACME.EAB.MACKey == "a2V5LQ==" }},
		{"one challenge as a string", "[acme]\nchallenges = \"http-01\"\n", func(c *Config) bool { return reflect.DeepEqual(c.ACME.Challenges, []string{ChallengeHTTP01}) }},
		{"renewal window", "[acme]\nrenewal_window = 0.25\nrenew_check_interval = 90\n", func(c *Config) bool {
			return c.ACME.RenewalWindow == 0.25 && c.ACME.RenewCheckInterval == 90*time.Second
		}},
		{"thresholds sorted", "[monitor]\nthresholds = [\"1d\", \"12h\", \"30d\", 3600]\n", func(c *Config) bool {
			return reflect.DeepEqual(c.Monitor.Thresholds, []time.Duration{30 * day, day, 12 * time.Hour, time.Hour})
		}},
		{"alerts", "[alerts]\nwebhook = \"http://10.0.0.1:9000/hook\"\nmin_severity = \"info\"\ndedup = 0\n", func(c *Config) bool {
			return reflect.DeepEqual(c.Alerts, Alerts{Webhook: "http://10.0.0.1:9000/hook", Format: "json", MinSeverity: events.Info})
		}},
		{"alerts: the old severity names", "[alerts]\nwebhook = \"http://10.0.0.1:9000/hook\"\nmin_severity = \"warning\"\n[[alerts.rule]]\nname = \"r\"\nevents = \"cert.*\"\nmin_severity = \"Error\"\n", func(c *Config) bool {
			return c.Alerts.MinSeverity == events.Medium && len(c.Alerts.Rules) == 1 && c.Alerts.Rules[0].MinSeverity == events.High
		}},
		{"alert rule defaults", "[alerts]\nwebhook = \"http://10.0.0.1:9000/hook\"\nformat = \"slack\"\n[[alerts.rule]]\nname = \"r\"\nevents = [\"host.rejected\"]\n", func(c *Config) bool {
			return c.Alerts.Format == "slack" && reflect.DeepEqual(c.Alerts.Rules, []AlertRule{{Name: "r", Events: []string{"host.rejected"},
				MinSeverity: events.Info, Threshold: 1, Per: "none", Severity: events.Medium}})
		}},
		{"backup passphrase", "[backup]\ndir = \"/var/backups/portcullis\"\npassphrase = \"twelve chars\"\n", func(c *Config) bool {
			return reflect.DeepEqual(c.Backup, Backup{Dir: "/var/backups/portcullis", Interval: day, Keep: 7, Passphrase: "twelve chars"})
		}},
		{"on demand", "[[site]]\nhosts = [\"*\", \"203.0.113.7\"]\nupstream = \"demo\"\n[site.cert]\nsource = \"acme\"\non_demand = true\nallow = [\"A.Example.COM.\", \"b.example.com\"]\n" +
			"[acme]\nemail = \"ops@example.com\"\n", func(c *Config) bool {
			return reflect.DeepEqual(c.Sites[1].Cert, CertSource{Source: CertACME, OnDemand: true, Allow: []string{"a.example.com.", "b.example.com"}})
		}},
		{"on demand ask", "[[site]]\nhosts = [\".example.net\"]\nupstream = \"demo\"\n[site.cert]\nsource = \"acme\"\non_demand = true\nask = \"http://localhost:8000/ask?key=1\"\n" +
			"[acme]\nemail = \"ops@example.com\"\n", func(c *Config) bool {
			return reflect.DeepEqual(c.Sites[1].Cert, CertSource{Source: CertACME, OnDemand: true, Ask: "http://localhost:8000/ask?key=1"})
		}},
	}
	for _, tt := range tests {
		c, err := Parse("sections.toml", []byte(site+tt.text))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !tt.check(c) {
			t.Errorf("%s: got listen %+v acme %+v fallback %+v monitor %+v alerts %+v backup %+v sites %+v",
				tt.name, c.Listen, c.ACME, c.ACME.Fallback, c.Monitor, c.Alerts, c.Backup, c.Sites)
		}
	}
}

// TestSectionPaths checks that acme.ca_root, acme.fallback.ca_root and
// backup.dir are relative to the file's directory.
func TestSectionPaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	root, err := os.ReadFile("testdata/internal-ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "pki"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pki", "root.pem"), root, 0o644); err != nil {
		t.Fatal(err)
	}
	text := `
[acme]
email = "ops@example.com"
ca_root = "pki/root.pem"
[acme.fallback]
ca = "https://ca.internal.example/acme/directory"
ca_root = "` + filepath.Join(dir, "pki", "root.pem") + `"
[backup]
dir = "backups"
recipients = ["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"]
[[site]]
hosts = ["app.example.com"]
upstream = "demo"
`
	cfg, err := Parse(filepath.Join(dir, "portcullis.toml"), []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "pki", "root.pem")
	if cfg.ACME.CARoot != want || cfg.ACME.Fallback.CARoot != want || cfg.Backup.Dir != filepath.Join(dir, "backups") {
		t.Errorf("ca_root %q, fallback ca_root %q, backup.dir %q", cfg.ACME.CARoot, cfg.ACME.Fallback.CARoot, cfg.Backup.Dir)
	}
	// The same file elsewhere: the relative paths now name nothing.
	_, err = Parse(filepath.Join(dir, "pki", "portcullis.toml"), []byte(text))
	if want := `acme.ca_root: cannot read "` + filepath.Join(dir, "pki", "pki", "root.pem") + `": no such file or directory`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("moved file: %v, want %s", err, want)
	}
}

// TestValidateSectionsInCode checks the new sections of a configuration
// built in code: no file, no lines, and a CA root file that only needs to
// exist.
func TestValidateSectionsInCode(t *testing.T) {
	t.Parallel()
	notPEM := filepath.Join(t.TempDir(), "root.txt")
	if err := os.WriteFile(notPEM, []byte("not PEM"), 0o644); err != nil {
		t.Fatal(err)
	}
	acmeSite := func(c *Config, hosts ...string) *CertSource {
		c.Sites = append(c.Sites, Site{Name: "acme", Hosts: hosts, Upstream: "demo", Cert: CertSource{Source: CertACME}})
		return &c.Sites[len(c.Sites)-1].Cert
	}
	tests := []struct {
		name   string
		change func(c *Config)
		want   []string
	}{
		{"default", func(*Config) {}, nil},
		{"admin off", func(c *Config) { c.Listen.Admin = "" }, nil},
		{"admin on the HTTPS port", func(c *Config) { c.Listen.HTTPS = ":9180" }, []string{
			`config: listen.admin: "127.0.0.1:9180" and the HTTPS listener ":9180" share port 9180 (choose another address, or "off")`,
		}},
		{"admin is the HTTP listener", func(c *Config) { c.Listen.Admin, c.Listen.AdminToken = ":8080", "0123456789abcdef" }, []string{
			`config: listen.admin: ":8080" is also the plain-HTTP listener (choose another address, or "off")`,
		}},
		{"admin on another address", func(c *Config) { c.Listen.HTTP = "192.0.2.1:9180" }, nil},
		{"HTTP on the HTTPS port", func(c *Config) { c.Listen.HTTP = "[::]:8443" }, []string{
			`config: listen.http: "[::]:8443" and the HTTPS listener ":8443" share port 8443`,
		}},
		{"HTTP on the HTTPS port, other family", func(c *Config) { c.Listen.HTTPS, c.Listen.HTTP = "0.0.0.0:8443", "[::1]:8443" }, nil},
		{"HTTP on the HTTPS port, IPv4", func(c *Config) { c.Listen.HTTPS, c.Listen.HTTP = "0.0.0.0:8443", "127.0.0.1:8443" }, []string{
			`config: listen.http: "127.0.0.1:8443" and the HTTPS listener "0.0.0.0:8443" share port 8443`,
		}},
		{"HTTP on the HTTPS port, host names", func(c *Config) { c.Listen.HTTPS, c.Listen.HTTP = "LOCALHOST:8443", "localhost:8443" }, []string{
			`config: listen.http: "localhost:8443" and the HTTPS listener "LOCALHOST:8443" share port 8443`,
		}},
		{"system-chosen ports", func(c *Config) { c.Listen = Listen{HTTPS: "127.0.0.1:0", HTTP: "127.0.0.1:0", Admin: "127.0.0.1:0"} }, nil},
		{"admin not an address", func(c *Config) { c.Listen.Admin = "off" }, []string{
			`config: listen.admin: "off" is not host:port (e.g. ":8443" or "127.0.0.1:8443")`,
		}},
		{"email optional", func(c *Config) { acmeSite(c, "app.example.com") }, nil},
		{"fallback email inherited", func(c *Config) {
			acmeSite(c, "app.example.com")
			c.ACME.Email = "ops@example.com"
			c.ACME.Fallback = &ACMEIssuer{CA: LetsEncryptStaging}
		}, nil},
		{"CA URLs", func(c *Config) {
			c.ACME.CA = "letsencrypt"
			c.ACME.Fallback = &ACMEIssuer{}
		}, []string{
			`config: acme.ca: "letsencrypt" is neither a CA name (letsencrypt, letsencrypt-staging, zerossl) nor a directory URL`,
			`config: acme.fallback.ca: missing: an ACME directory URL, or one of letsencrypt, letsencrypt-staging, zerossl`,
		}},
		{"CA URL syntax", func(c *Config) {
			c.ACME.CA = "https://[::1/dir"
			c.ACME.Fallback = &ACMEIssuer{CA: "https:///dir"}
		}, []string{
			`config: acme.ca: "https://[::1/dir" is not a URL: missing ']' in host`,
			`config: acme.fallback.ca: "https:///dir" has no host`,
		}},
		{"CA over http", func(c *Config) {
			c.ACME.CA = "http://127.8.9.10/dir"
			c.ACME.Fallback = &ACMEIssuer{CA: "http://ca.localhost.example/dir"}
		}, []string{
			`config: acme.fallback.ca: "http://ca.localhost.example/dir": plain http is only allowed for a CA on this machine (localhost, 127.0.0.0/8, ::1); use https`,
		}},
		{"CA port", func(c *Config) { c.ACME.CA = "https://ca.example:70000/dir" }, []string{
			`config: acme.ca: "https://ca.example:70000/dir" has port "70000", not a number from 1 to 65535`,
		}},
		{"email", func(c *Config) {
			c.ACME.Email = "ops@"
			c.ACME.Fallback = &ACMEIssuer{CA: LetsEncrypt, Email: "a@b@example.com"}
		}, []string{
			`config: acme.email: "ops@" is not an email address (name@example.com)`,
			`config: acme.fallback.email: "a@b@example.com" is not an email address (name@example.com)`,
		}},
		{"EAB key ID alone", func(c *Config) { c.ACME.Fallback = &ACMEIssuer{CA: ZeroSSL, EAB: EAB{MACKey: "a2V5"}} }, []string{
			`config: acme.fallback.eab_key_id: missing: eab_mac_key is set, and External Account Binding needs both eab_key_id and eab_mac_key`,
		}},
		{"ZeroSSL with EAB", func(c *Config) { c.ACME.CA, c.ACME.EAB = ZeroSSL, EAB{KeyID: "k", MACKey: "a2V5_-0"} }, nil},
		{"standard base64 is not base64url", func(c *Config) { c.ACME.EAB = EAB{KeyID: "k", MACKey: "a2V5+/0="} }, []string{
			`config: acme.eab_mac_key: is not base64url-encoded (the value is not shown; copy the HMAC key exactly as the CA gave it)`,
		}},
		{"CA root only needs to exist", func(c *Config) {
			c.ACME.CARoot = notPEM
			c.ACME.Fallback = &ACMEIssuer{CA: LetsEncrypt, CARoot: filepath.Dir(notPEM)}
		}, []string{
			`config: acme.fallback.ca_root: "` + filepath.Dir(notPEM) + `" is not a regular file (want a PEM file of root certificates)`,
		}},
		{"key type and challenges", func(c *Config) {
			c.ACME.KeyType = ""
			c.ACME.Challenges = []string{"tls-alpn-01", "DNS-01", "TLS-ALPN-01", "tls-alpn-01"}
		}, []string{
			`config: acme.key_type: "" is not one of ecdsa-p256, ecdsa-p384, rsa2048, rsa4096, ed25519`,
			`config: acme.challenges: item 2: "DNS-01" is not supported (portcullis answers http-01 and tls-alpn-01 only)`,
			`config: acme.challenges: item 3: "TLS-ALPN-01" is not one of http-01, tls-alpn-01`,
			`config: acme.challenges: item 4: "tls-alpn-01" is listed twice`,
		}},
		{"renewal window", func(c *Config) {
			c.ACME.RenewalWindow = 0
			c.ACME.RenewCheckInterval = -time.Second
		}, []string{
			`config: acme.renewal_window: 0 is not between 0 and 1: it is the fraction of a certificate's lifetime, at its end, in which it is renewed (e.g. 0.33)`,
			`config: acme.renew_check_interval: must be positive`,
		}},
		{"monitor", func(c *Config) { c.Monitor = Monitor{Thresholds: []time.Duration{}, Interval: 0} }, []string{
			`config: monitor.thresholds: must list at least one time before expiry, e.g. ["30d", "7d"]`,
			`config: monitor.interval: must be positive`,
		}},
		{"monitor unsorted", func(c *Config) { c.Monitor.Thresholds = []time.Duration{time.Hour, 30 * day, -time.Hour, time.Hour} }, []string{
			`config: monitor.thresholds: item 3: must be positive (a time before expiry, e.g. "7d")`,
			`config: monitor.thresholds: item 4: 1h0m0s is listed twice`,
		}},
		{"webhook", func(c *Config) { c.Alerts.Webhook = "hooks.example.com/T0/s3cr3t" }, []string{
			`config: alerts.webhook: the URL is not an absolute URL (write it with its scheme: https://host/path)`,
		}},
		{"webhook credentials", func(c *Config) { c.Alerts.Webhook = "https://bot:s3cr3t@hooks.example.com/" }, []string{
			`config: alerts.webhook: the URL has credentials (user:password@), which are not supported`,
		}},
		{"secret without webhook", func(c *Config) { c.Alerts.Secret, c.Alerts.MinSeverity, c.Alerts.Dedup = "s3cr3t", -1, -1 }, []string{
			`config: alerts.secret: only used with alerts.webhook (it signs the webhook's requests)`,
			`config: alerts.min_severity: Severity(-1) is not one of info, low, medium, high, critical (warning and error still mean medium and high)`,
			`config: alerts.dedup: -1ns is negative`,
		}},
		{"alert format and rules", func(c *Config) {
			c.Alerts.Webhook, c.Alerts.Format = "https://hooks.example.com/", "Slack"
			c.Alerts.Rules = []AlertRule{
				{Name: "ok", Events: []string{"cert.*", "backup.failed"}, Threshold: 1},
				{Name: "ok", Events: []string{"upstream.failed"}, Threshold: 3, Per: "client", MinSeverity: 7, Severity: -2},
				{Events: nil, Threshold: 2, Window: -time.Second, Per: ""},
			}
		}, []string{
			`config: alerts.format: "Slack" is not "json" (the event's fields) or "slack" (a Slack incoming-webhook message)`,
			`config: alerts.rule[1].per: "" is not "client", "site" or "none"`,
			`config: alerts.rule[2].name: "ok" is also the name of rule 1`,
			`config: alerts.rule[2].min_severity: Severity(7) is not one of info, low, medium, high, critical (warning and error still mean medium and high)`,
			`config: alerts.rule[2].severity: Severity(-2) is not one of info, low, medium, high, critical (warning and error still mean medium and high)`,
			`config: alerts.rule[2].window: must be positive with a threshold of 3: the time the events are counted in, e.g. "1m"`,
			`config: alerts.rule[3].name: missing: every rule needs a name (alerts say which rule raised them)`,
			`config: alerts.rule[3].events: missing: list the event types counted, e.g. ["host.rejected"] or ["cert.*"]`,
			`config: alerts.rule[3].window: -1s is negative`,
			`config: alerts.rule[3].per: "" is not "client", "site" or "none"`,
		}},
		{"backup without encryption", func(c *Config) { c.Backup.Dir = "/var/backups/portcullis" }, []string{
			`config: backup.recipients: missing: backups are encrypted: set recipients (age public keys, "age1...") or passphrase`,
		}},
		{"backup passphrase", func(c *Config) { c.Backup.Dir, c.Backup.Passphrase = "b", "ééééééééééé" }, []string{
			`config: backup.passphrase: shorter than 12 characters (the value is not shown): use a long random passphrase`,
		}},
		{"backup keys without dir", func(c *Config) { c.Backup.Interval, c.Backup.Recipients = time.Hour, []string{} }, []string{
			`config: backup.interval: only used with backup.dir (scheduled backups are off without it)`,
			`config: backup.recipients: only used with backup.dir (scheduled backups are off without it)`,
		}},
		{"on demand in code", func(c *Config) {
			c.ACME.Email = "ops@example.com"
			cs := acmeSite(c, "*", ".Example.org", "192.0.2.1")
			cs.OnDemand, cs.Allow = true, []string{"WWW.EXAMPLE.ORG.", "example.org", "other.example", strings.Repeat("a.", 127) + "a"}
		}, []string{
			`config: site "acme": cert.allow: item 4: "` + strings.Repeat("a.", 127) + `a" is not a host name (letters, digits, hyphens and dots, at most 253 characters)`,
		}},
		{"on demand without ask or allow", func(c *Config) {
			c.ACME.Email = "ops@example.com"
			cs := acmeSite(c, "*")
			cs.OnDemand, cs.Ask, cs.Allow = true, "", []string{}
		}, []string{
			`config: site "acme": cert.on_demand: a catch-all on-demand site needs a guard: set cert.ask (a URL that approves each name) or cert.allow (the names allowed); without one, anyone pointing a DNS name at this server makes it request certificates`,
		}},
		{"ask URL", func(c *Config) {
			c.ACME.Email = "ops@example.com"
			cs := acmeSite(c, "*")
			cs.OnDemand, cs.Ask = true, "/ask"
		}, []string{
			`config: site "acme": cert.ask: "/ask" is not an absolute URL (write it with its scheme: https://host/path)`,
		}},
		{"on demand with local certificates", func(c *Config) { c.Sites[0].Cert.OnDemand = true }, []string{
			`config: site "localhost": cert.on_demand: only used with source = "acme"`,
		}},
	}
	for _, tt := range tests {
		c := Default()
		tt.change(c)
		err := c.Validate()
		var got []string
		if err != nil {
			got = strings.Split(err.Error(), "\n")
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Validate() =\n  %s\nwant\n  %s", tt.name, strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
		}
	}
}

// TestAdminListener: an admin listener beyond loopback needs a token
// (fail closed), the token has a minimum length and the characters of a
// bearer token, and listen.admin_hosts lists host names; each problem is
// located at its key.
func TestAdminListener(t *testing.T) {
	t.Parallel()
	const site = "\n[[site]]\nhosts = [\"app.example.com\"]\nupstream = \"demo\"\n"
	const token = "\nadmin_token = \"0123456789abcdef\"\n"
	needsToken := func(line int, addr string) string {
		return fmt.Sprintf(`admin.toml:%d: listen.admin: %q is reachable beyond this machine, so it needs listen.admin_token `+
			`(a bearer token of at least 16 characters, e.g. "${ADMIN_TOKEN}"); or bind it to loopback ("127.0.0.1:9180"), or set "off"`, line, addr)
	}
	for _, tt := range []struct {
		name, listen string
		want         []string
	}{
		{"default", "", nil},
		{"loopback v4", `admin = "127.0.0.2:9180"`, nil},
		{"loopback v6", `admin = "[::1]:9180"`, nil},
		{"loopback v4 in v6", `admin = "[::ffff:127.0.0.1]:9180"`, nil},
		{"localhost", `admin = "LocalHost:9180"`, nil},
		{"off", `admin = "off"`, nil},
		{"every interface", `admin = ":9180"`, []string{needsToken(3, ":9180")}},
		{"0.0.0.0", `admin = "0.0.0.0:9180"`, []string{needsToken(3, "0.0.0.0:9180")}},
		{"::", `admin = "[::]:9180"`, []string{needsToken(3, "[::]:9180")}},
		{"private address", `admin = "10.0.0.5:9180"`, []string{needsToken(3, "10.0.0.5:9180")}},
		{"host name", `admin = "metrics.example.com:9180"`, []string{needsToken(3, "metrics.example.com:9180")}},
		{"localhost-like name", `admin = "localhost.example.com:9180"`, []string{needsToken(3, "localhost.example.com:9180")}},
		{"every interface with a token", `admin = ":9180"` + token, nil},
		{"loopback with a token", token, nil},
		{"padded token", `admin_token = "AbCdEfGhIjKlMnOpQrStUv+/-._~=="`, nil},
		{"token unset", `admin = ":9180"` + "\nadmin_token = \"${PORTCULLIS_TEST_UNSET_ADMIN_TOKEN}\"", []string{
			"admin.toml:4: listen.admin_token: environment variable PORTCULLIS_TEST_UNSET_ADMIN_TOKEN is not set",
		}},
		{"short token", `admin = ":9180"` + "\nadmin_token = \"0123456789abcde\"", []string{
			"admin.toml:4: listen.admin_token: shorter than 16 characters (the value is not shown): use a long random token, e.g. the output of `openssl rand -hex 32`",
		}},
		{"token with a space", `admin_token = "0123456789 abcdef"`, []string{
			"admin.toml:3: listen.admin_token: has characters a bearer token cannot carry (the value is not shown): use letters, digits and -._~+/, with = at the end only (RFC 6750), e.g. the output of `openssl rand -hex 32`",
		}},
		{"token with = inside", `admin_token = "0123456789=abcdef"`, []string{
			"admin.toml:3: listen.admin_token: has characters a bearer token cannot carry (the value is not shown): use letters, digits and -._~+/, with = at the end only (RFC 6750), e.g. the output of `openssl rand -hex 32`",
		}},
		{"admin hosts", `admin_hosts = ["metrics.internal", "Prom.Example.COM."]`, nil},
		{"bad admin hosts", "admin_hosts = [\n  \"ok.internal\",\n  \"*.internal\",\n  \"10.0.0.5\",\n  \"[::1]\",\n  \"localhost\",\n  \"m:9180\",\n]", []string{
			`admin.toml:5: listen.admin_hosts: item 2: "*.internal" is not a host name other than localhost (localhost and IP addresses are always answered)`,
			`admin.toml:6: listen.admin_hosts: item 3: "10.0.0.5" is not a host name other than localhost (localhost and IP addresses are always answered)`,
			`admin.toml:7: listen.admin_hosts: item 4: "[::1]" is not a host name other than localhost (localhost and IP addresses are always answered)`,
			`admin.toml:8: listen.admin_hosts: item 5: "localhost" is not a host name other than localhost (localhost and IP addresses are always answered)`,
			`admin.toml:9: listen.admin_hosts: item 6: "m:9180" is not a host name other than localhost (localhost and IP addresses are always answered)`,
		}},
	} {
		_, err := Parse("admin.toml", []byte("\n[listen]\n"+tt.listen+"\n"+site))
		var got []string
		if err != nil {
			got = strings.Split(err.Error(), "\n")
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Parse() =\n  %s\nwant\n  %s", tt.name, strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
		}
	}
}

func TestLoopbackAddr(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:9180", true},
		{"127.0.0.53:9180", true},
		{"[::1]:9180", true},
		{"[::ffff:127.0.0.1]:9180", true},
		{"localhost:9180", true},
		{"LOCALHOST:9180", true},
		{":9180", false},
		{"0.0.0.0:9180", false},
		{"[::]:9180", false},
		{"192.168.1.10:9180", false},
		{"localhost.example.com:9180", false},
		{"127.0.0.1", false}, // not host:port
		{"", false},
	} {
		if got := LoopbackAddr(tt.addr); got != tt.want {
			t.Errorf("LoopbackAddr(%q) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

// TestSecretsRedacted checks that values taken from the environment for
// secrets (an EAB key, a webhook and its secret, a backup passphrase or
// key) appear in no message, even when they are what is wrong.
func TestSecretsRedacted(t *testing.T) {
	secrets := map[string]string{
		"PORTCULLIS_TEST_MAC_KEY":     "not+base64url/s3cr3t-mac",
		"PORTCULLIS_TEST_SECRET":      "s3cr3t-alert-signing",
		"PORTCULLIS_TEST_WEBHOOK":     "ftp://hooks.example.com/services/s3cr3t-token",
		"PORTCULLIS_TEST_PASSPHRASE":  "s3cr3t",
		"PORTCULLIS_TEST_RECIPIENT":   "AGE-SECRET-KEY-1S3CR3T",
		"PORTCULLIS_TEST_ADMIN_SHORT": "s3cr3t-admin",
		"PORTCULLIS_TEST_ADMIN_BAD":   "s3cr3t admin token, with spaces",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	tests := []struct {
		text string
		want []string
	}{
		{`
[acme]
email = "ops@example.com"
eab_key_id = "kid-1"
eab_mac_key = "${PORTCULLIS_TEST_MAC_KEY}"

[alerts]
secret = "${PORTCULLIS_TEST_SECRET}"

[backup]
dir = "backups"
recipients = ["${PORTCULLIS_TEST_RECIPIENT}"]
passphrase = "${PORTCULLIS_TEST_PASSPHRASE}"
`, []string{
			"secrets.toml:5: acme.eab_mac_key: is not base64url-encoded (the value is not shown; copy the HMAC key exactly as the CA gave it)",
			"secrets.toml:8: alerts.secret: only used with alerts.webhook (it signs the webhook's requests)",
			"secrets.toml:12: backup.recipients: item 1: an age secret key (not shown): list its public key (age1...) and keep the secret key out of this file",
			"secrets.toml:13: backup.passphrase: set either recipients or passphrase, not both",
			"secrets.toml:13: backup.passphrase: shorter than 12 characters (the value is not shown): use a long random passphrase",
		}},
		{`
[alerts]
webhook = "${PORTCULLIS_TEST_WEBHOOK}"
secret = "${PORTCULLIS_TEST_SECRET}"
`, []string{
			`secrets.toml:3: alerts.webhook: the URL has scheme "ftp", not http or https`,
		}},
		{`
[listen]
admin = "0.0.0.0:9180"
admin_token = "${PORTCULLIS_TEST_ADMIN_SHORT}"
`, []string{
			"secrets.toml:4: listen.admin_token: shorter than 16 characters (the value is not shown): use a long random token, e.g. the output of `openssl rand -hex 32`",
		}},
		{`
[listen]
admin_token = "${PORTCULLIS_TEST_ADMIN_BAD}"
`, []string{
			"secrets.toml:3: listen.admin_token: has characters a bearer token cannot carry (the value is not shown): use letters, digits and -._~+/, with = at the end only (RFC 6750), e.g. the output of `openssl rand -hex 32`",
		}},
	}
	for _, tt := range tests {
		_, err := Parse("secrets.toml", []byte(tt.text+"[[site]]\nhosts = [\"app.example.com\"]\nupstream = \"demo\"\n"))
		if err == nil {
			t.Fatal("no error")
		}
		for _, v := range secrets {
			if strings.Contains(err.Error(), v) || strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "S3CR3T") {
				t.Errorf("a message repeats the secret %q:\n%v", v, err)
			}
		}
		if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("messages:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
		}
	}
}

func TestHostNames(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"example.com", true},
		{"EXAMPLE.com.", true},
		{"xn--bcher-kva.example", true},
		{"a-b.c-d", true},
		{"localhost", true},
		{strings.Repeat("a", 63) + ".example", true},
		{strings.Repeat("a", 64) + ".example", false},
		{strings.Repeat("a.", 126) + "a", true}, // 253 characters
		{strings.Repeat("a.", 126) + "ab", false},
		{"", false},
		{".", false},
		{".example.com", false},
		{"a..b", false},
		{"*.example.com", false},
		{"under_score.example", false},
		{"bücher.example", false},
		{"example.com:443", false},
	} {
		if got := isHostName(tt.name); got != tt.ok {
			t.Errorf("isHostName(%q) = %t, want %t", tt.name, got, tt.ok)
		}
	}
	for _, tt := range []struct {
		pattern, name string
		ok            bool
	}{
		{"*", "anything.example", true},
		{".example.com", "example.com", true},
		{".example.com", "a.b.example.com", true},
		{".Example.COM.", "www.example.com.", true},
		{".example.com", "badexample.com", false},
		{"example.com", "EXAMPLE.COM", true},
		{"example.com", "www.example.com", false},
	} {
		if got := hostMatches(tt.pattern, tt.name); got != tt.ok {
			t.Errorf("hostMatches(%q, %q) = %t, want %t", tt.pattern, tt.name, got, tt.ok)
		}
	}
}
