package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/permissions"
	"github.com/portcullis/portcullis/shield"
)

// badFiles are the files of testdata/bad and every message each must
// give, in order (paths relative to testdata/bad).
var badFiles = []struct {
	name string
	want []string
}{
	{"acme", []string{
		"acme.toml:1: acme.eab_mac_key: missing: eab_key_id is set, and External Account Binding needs both eab_key_id and eab_mac_key",
		"acme.toml:2: acme.ca: \"http://acme.example.com/directory\": plain http is only allowed for a CA on this machine (localhost, 127.0.0.0/8, ::1); use https",
		"acme.toml:3: acme.email: \"mailto:ops@example.com\": write the address without \"mailto:\"",
		"acme.toml:4: acme.profile: \"short lived\" is not a profile name (no spaces or control characters)",
		"acme.toml:5: acme.ca_root: cannot read \"testdata/bad/missing-root.pem\": no such file or directory",
		"acme.toml:7: acme.key_type: \"rsa1024\" is not one of ecdsa-p256, ecdsa-p384, rsa2048, rsa4096, ed25519",
		"acme.toml:8: acme.challenges: item 2: \"dns-01\" is not supported (portcullis answers http-01 and tls-alpn-01 only)",
		"acme.toml:8: acme.challenges: item 3: \"http-02\" is not one of http-01, tls-alpn-01",
		"acme.toml:8: acme.challenges: item 4: \"http-01\" is listed twice",
		"acme.toml:9: acme.renewal_window: 1 is not between 0 and 1: it is the fraction of a certificate's lifetime, at its end, in which it is renewed (e.g. 0.33)",
		"acme.toml:10: acme.renew_check_interval: must be positive",
		"acme.toml:11: acme.renewal_windw: unknown key (did you mean \"renewal_window\"?)",
	}},
	{"acme_fallback", []string{
		"acme_fallback.toml:2: acme.ca: ZeroSSL requires EAB credentials: set eab_key_id and eab_mac_key (from the ZeroSSL dashboard, Developer section)",
		"acme_fallback.toml:4: acme.ca_root: \"testdata/example.toml\" holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
		"acme_fallback.toml:5: acme.renewal_window: must be a float such as 0.33 (written with a decimal point), not an integer",
		"acme_fallback.toml:6: acme.challenges: must list at least one of http-01, tls-alpn-01",
		"acme_fallback.toml:9: acme.fallback.ca: \"https://user:xxxxx@ca.example.com/directory\" has credentials (user:password@), which are not supported",
		"acme_fallback.toml:10: acme.fallback.email: \"ops at example.com\" is not an email address (name@example.com)",
		"acme_fallback.toml:12: acme.fallback.eab_mac_key: is not base64url-encoded (the value is not shown; copy the HMAC key exactly as the CA gave it)",
		"acme_fallback.toml:13: acme.fallback.ca_root: \"testdata/bad/garbage-root.pem\": certificate 1: x509: malformed certificate",
		"acme_fallback.toml:14: acme.fallback.colour: unknown key",
	}},
	{"alerts", []string{
		`alerts.toml:2: alerts.webhook: the URL has scheme "ftp", not http or https`,
		`alerts.toml:3: alerts.min_severity: "warn" is not one of info, low, medium, high, critical (warning and error still mean medium and high)`,
		`alerts.toml:4: alerts.dedup: "-1h" is negative`,
		`alerts.toml:5: alerts.format: "teams" is not "json" (the event's fields) or "slack" (a Slack incoming-webhook message)`,
		`alerts.toml:9: alerts.rule[1].events: item 2: "host.rejectd" is not an event type (did you mean "host.rejected"?)`,
		`alerts.toml:9: alerts.rule[1].events: item 3: "alert.fired" is what rules raise; they cannot count it`,
		`alerts.toml:9: alerts.rule[1].events: item 4: "nope.*" matches no event type (a pattern is a prefix and ".*", as in "cert.*")`,
		`alerts.toml:10: alerts.rule[1].threshold: must be at least 1, not 0`,
		`alerts.toml:11: alerts.rule[1].window: "-1m" is negative`,
		`alerts.toml:12: alerts.rule[1].per: "ip" is not "client", "site" or "none"`,
		`alerts.toml:13: alerts.rule[1].severity: "severe" is not one of info, low, medium, high, critical (warning and error still mean medium and high)`,
		`alerts.toml:15: alerts.rule[2].window: must be positive with a threshold of 20: the time the events are counted in, e.g. "1m"`,
		`alerts.toml:16: alerts.rule[2].name: "hosts" is also the name of rule 1`,
		`alerts.toml:17: alerts.rule[2].events: missing: list the event types counted, e.g. ["host.rejected"] or ["cert.*"]`,
		`alerts.toml:19: alerts.rule[2].treshold: unknown key (did you mean "threshold"?)`,
		`alerts.toml:21: alerts.rule[3].name: missing: every rule needs a name (alerts say which rule raised them)`,
		`alerts.toml:24: alerts.rule[3].threshold: 10001 is more than 10000`,
		`alerts.toml:25: alerts.rule[3].window: must be positive with a threshold of 10001: the time the events are counted in, e.g. "1m"`,
	}},
	{"backup", []string{
		"backup.toml:3: backup.interval: must be positive",
		"backup.toml:4: backup.keep: must be at least 1, not 0",
		"backup.toml:5: backup.recipients: item 2: \"ssh-ed25519 AAAAC3Nz\" is not an age public key (age1...)",
		"backup.toml:5: backup.recipients: item 3: an age secret key (not shown): list its public key (age1...) and keep the secret key out of this file",
		"backup.toml:6: backup.passphrase: set either recipients or passphrase, not both",
		"backup.toml:6: backup.passphrase: shorter than 12 characters (the value is not shown): use a long random passphrase",
	}},
	{"backup_nodir", []string{
		"backup_nodir.toml:2: backup.keep: only used with backup.dir (scheduled backups are off without it)",
		"backup_nodir.toml:3: backup.passphrase: only used with backup.dir (scheduled backups are off without it)",
	}},
	{"certs", []string{
		"certs.toml:4: site \"nokey.example.com\": cert.key: missing: source \"files\" needs both cert and key (PEM file paths)",
		"certs.toml:11: site \"nofiles.example.com\": cert.cert: missing: source \"files\" needs both cert and key (PEM file paths)",
		"certs.toml:11: site \"nofiles.example.com\": cert.key: missing: source \"files\" needs both cert and key (PEM file paths)",
		"certs.toml:23: site \"unknown.example.com\": cert.source: \"letsencrypt\" is not one of local, files, acme",
		"certs.toml:29: site \"localhost\": cert.key: only used with source = \"files\" (the local CA issues this site's certificate)",
	}},
	{"env", []string{
		"env.toml:3: site \"app\": hosts: item 2: environment variable PORTCULLIS_TEST_UNSET_HOST is not set",
		"env.toml:4: site \"app\": upstream: environment variable PORTCULLIS_TEST_UNSET_UPSTREAM is not set",
		"env.toml:7: site \"app\": csp.report_uri: \"${not a name}\" is not a valid environment reference: write ${NAME}, NAME made of letters, digits and _ (or $${...} for the literal text)",
	}},
	{"inherited", []string{
		"inherited.toml:5: site \"one\": hsts.preload: preload requires a MaxAge of at least one year (31536000 s) and includeSubDomains; browsers' preload lists refuse anything less (have MaxAge 720h0m0s, includeSubDomains true)",
		"inherited.toml:5: site \"two\": hsts.preload: preload requires a MaxAge of at least one year (31536000 s) and includeSubDomains; browsers' preload lists refuse anything less (have MaxAge 720h0m0s, includeSubDomains true)",
	}},
	{"inline", []string{
		"inline.toml:3: site \"b\": upstream: \"ftp://b.internal\": scheme \"ftp\" is not supported (use http, https, unix or demo)",
		"inline.toml:4: site: item 3: must be a table, not a string",
	}},
	{"listen", []string{
		"listen.toml:3: listen.http: \"0.0.0.0:8080\" is also the HTTPS listener",
		"listen.toml:4: listen.admin: \"127.0.0.1:8080\" and the HTTPS listener \"0.0.0.0:8080\" share port 8080 (choose another address, or \"off\")",
	}},
	{"listen_addr", []string{
		"listen_addr.toml:2: listen.https: \"8443\" is not host:port (e.g. \":8443\" or \"127.0.0.1:8443\")",
		"listen_addr.toml:3: listen.http: \":http\": port \"http\" is not a number from 0 to 65535",
		"listen_addr.toml:4: listen.admin: \"localhost\" is not host:port (e.g. \":8443\" or \"127.0.0.1:8443\")",
	}},
	{"monitor", []string{
		"monitor.toml:4: monitor.thresholds: item 2: must be positive (a time before expiry, e.g. \"7d\")",
		"monitor.toml:6: monitor.thresholds: item 4: 30d is listed twice",
		"monitor.toml:8: monitor.interval: must be positive",
	}},
	{"nosites", []string{
		"nosites.toml: no [[site]]: nothing to serve (add a [[site]] with hosts and upstream)",
	}},
	{"ondemand", []string{
		"ondemand.toml:6: site \"wild\": hosts: \".example.com\": wildcard certificates need the DNS-01 challenge, which portcullis does not support; list the names or set cert.on_demand = true",
		"ondemand.toml:9: site \"wild\": cert.ask: only used with cert.on_demand = true",
		"ondemand.toml:10: site \"wild\": cert.key: only used with source = \"files\" (the ACME CA issues this site's certificate)",
		"ondemand.toml:16: site \"catchall\": cert.on_demand: missing: host \"*\" needs cert.on_demand = true (a certificate for any name can only be obtained when the name is first asked for)",
		"ondemand.toml:16: site \"catchall\": cert.on_demand: a catch-all on-demand site needs a guard: set cert.ask (a URL that approves each name) or cert.allow (the names allowed); without one, anyone pointing a DNS name at this server makes it request certificates",
		"ondemand.toml:26: site \"tenants\": cert.ask: \"https://user:xxxxx@ask.example.com/check\" has credentials (user:password@), which are not supported",
		"ondemand.toml:29: site \"tenants\": cert.allow: item 2: \"*.tenants.example.com\": wildcards are not allowed; list each name, or set cert.ask to approve names as they come",
		"ondemand.toml:30: site \"tenants\": cert.allow: item 3: \"bad_name.tenants.example.com\" is not a host name (letters, digits, hyphens and dots, at most 253 characters)",
		"ondemand.toml:31: site \"tenants\": cert.allow: item 4: \"other.example.org\" is not one of the site's hosts, so it can never be allowed",
		"ondemand.toml:39: site \"local\": cert.on_demand: only used with source = \"acme\"",
		"ondemand.toml:40: site \"local\": cert.allow: only used with source = \"acme\"",
		"ondemand.toml:50: site \"files\": cert.ask: only used with source = \"acme\"",
	}},
	{"policies", []string{
		"policies.toml:2: defaults.csp.report_only: invalid policy: offset 20: plugin-types: obsolete-directive: plugin-types was removed from CSP and is ignored by browsers",
		"policies.toml:10: site \"app\": csp.policy: invalid policy: offset 34: img-src: invalid-source: invalid source \"https://cdn.example.com:port\": invalid port \"port\" (want digits or *)",
		"policies.toml:13: site \"app\": permissions_policy.policy: invalid policy: permissions: syntax error at offset 12: expected a space or ')' after an inner-list item, found ','",
	}},
	{"security_txt", []string{
		"security_txt.toml:1: site \"nocontact\": security_txt.contact: missing: security.txt is served only with at least one contact (mailto:, tel: or https: URI)",
		"security_txt.toml:14: site \"badcontact\": security_txt: file would be invalid when served: error uri-invalid (Contact): \"bob\" is not a URI: it has no scheme such as \"https:\"",
	}},
	{"sections_types", []string{
		"sections_types.toml:2: listen.admin: must be a string, not an integer",
		"sections_types.toml:6: acme.challenges: item 1: must be a string, not an integer",
		"sections_types.toml:7: acme.fallback: must be a table, not a string",
		"sections_types.toml:10: monitor.thresholds: item 2: \"1 week\" is not a duration (use e.g. \"365d\" or \"8760h\")",
		"sections_types.toml:10: monitor.thresholds: item 3: must be a duration such as \"90d\" or \"30s\", or a number of seconds, not a boolean",
		"sections_types.toml:15: backup.keep: must be an integer, not a string",
		"sections_types.toml:23: site \"app.example.com\": cert.on_demand: must be true or false, not a string",
		"sections_types.toml:24: site \"app.example.com\": cert.allow: item 1: must be a string, not an integer",
	}},
	{"shield", []string{
		"shield.toml:10: site \"preload\": hsts.preload: preload requires a MaxAge of at least one year (31536000 s) and includeSubDomains; browsers' preload lists refuse anything less (have MaxAge 5m0s, includeSubDomains true)",
		"shield.toml:18: site \"cors\": cors.credentials: the wildcard origin \"*\" with credentials would let every site read authenticated responses; list the origins instead",
		"shield.toml:25: site \"redirect\": redirect.code: code 302: use 308 (default), 301 or 307",
		"shield.toml:32: site \"frame\": headers.frame_options: \"ALLOWALL\" is not one of DENY, SAMEORIGIN",
		"shield.toml:36: site \"hosts\": hosts: host pattern \"bad host.example.com\": not a host name, IP address, .domain pattern or \"*\"",
		"shield.toml:43: site \"proxies\": trusted_proxies: trusted proxy \"10.0.0.0/33\": not an IP address or CIDR prefix",
		"shield.toml:51: site \"nonce\": csp.nonce: Nonce is on, but the policy has none of script-src, style-src (nor default-src) to carry it",
	}},
	{"site_type", []string{
		"site_type.toml:1: site: must be an array of tables ([[site]]), not a table",
	}},
	{"sites", []string{
		"sites.toml:8: site \"again\": hosts: \"APP.example.com\" is already served by site \"app\" on line 1",
		"sites.toml:8: site \"again\": hosts: \"api.example.com\" is listed twice",
		"sites.toml:13: site \"nohosts\": hosts: missing: a site needs at least one host name (e.g. hosts = [\"example.com\"])",
		"sites.toml:16: site \"noupstream\": upstream: missing: where requests go, e.g. \"http://127.0.0.1:8000\", \"unix:/run/app.sock\" or \"demo\"",
		"sites.toml:21: site \"app\": name: the site on line 1 has the same name (set a distinct name)",
		"sites.toml:25: site #6: hosts: missing: a site needs at least one host name (e.g. hosts = [\"example.com\"])",
	}},
	{"syntax", []string{
		"syntax.toml:2: invalid TOML: expected ']' to close table name",
	}},
	{"types", []string{
		"types.toml:1: data_dir: must be a string, not an integer",
		"types.toml:4: listen.https: must be a string, not an integer",
		"types.toml:7: limits.max_body_bytes: must be a size such as \"64KiB\" or \"10MiB\", or a number of bytes, not a boolean",
		"types.toml:10: defaults.permissions_policy: must be a string (the policy) or a table, not an integer",
		"types.toml:14: site \"app\": hosts: item 2: must be a string, not an integer",
		"types.toml:18: site \"app\": hsts: must be a table, not a string",
		"types.toml:21: site \"app\": redirect.port: must be an integer, not a string",
		"types.toml:25: site \"app\": cors.max_age: must be a duration such as \"90d\" or \"30s\", or a number of seconds, not a float",
		"types.toml:26: site \"app\": cors.credentials: must be true or false, not a string",
	}},
	{"unknown_keys", []string{
		"unknown_keys.toml:1: lissen: unknown key (did you mean \"listen\"?)",
		"unknown_keys.toml:4: limits.read_timout: unknown key (did you mean \"read_timeout\"?)",
		"unknown_keys.toml:7: defaults.hsts.max-age: unknown key (did you mean \"max_age\"?)",
		"unknown_keys.toml:13: site \"app\": colour: unknown key",
		"unknown_keys.toml:16: site \"app\": hsts.max_agee: unknown key (did you mean \"max_age\"?)",
		"unknown_keys.toml:18: site \"app\": csp_report: unknown key",
	}},
	{"upstreams", []string{
		"upstreams.toml:3: site \"ftp.example.com\": upstream: \"ftp://127.0.0.1:21\": scheme \"ftp\" is not supported (use http, https, unix or demo)",
		"upstreams.toml:7: site \"noscheme.example.com\": upstream: \"127.0.0.1:8000\" has no scheme: write e.g. \"http://127.0.0.1:8000\"",
		"upstreams.toml:11: site \"malformed.example.com\": upstream: \"http://[::1:8000\" is not a URL: missing ']' in host",
		"upstreams.toml:15: site \"path.example.com\": upstream: \"http://127.0.0.1:8000/app\": an upstream is scheme://host[:port] only (no path, query or fragment)",
		"upstreams.toml:19: site \"relative.example.com\": upstream: \"unix:run/app.sock\": a unix socket is written unix:/absolute/path.sock",
		"upstreams.toml:23: site \"credentials.example.com\": upstream: \"https://user:secret@app.internal\": credentials in the upstream URL are not supported",
		"upstreams.toml:27: site \"port.example.com\": upstream: \"http://127.0.0.1:99999\": port \"99999\" is not a number from 1 to 65535",
		"upstreams.toml:31: site \"nohost.example.com\": upstream: \"http://:8000\" has no host",
	}},
	{"values", []string{
		"values.toml:2: tls.profile: \"old\" is not a TLS profile (use \"intermediate\", the default, or \"modern\" for TLS 1.3 only)",
		"values.toml:5: limits.read_header_timeout: must be positive: without it a client sending headers slowly holds a connection forever (slowloris)",
		"values.toml:6: limits.idle_timeout: \"2 minutes\" is not a duration (use e.g. \"365d\" or \"8760h\")",
		"values.toml:7: limits.max_header_bytes: \"64 kilobytes\" is not a size (use e.g. \"64KiB\", \"10MiB\" or a number of bytes)",
		"values.toml:8: limits.upstream_timeout: \"-1s\" is negative",
		"values.toml:11: access_log.format: \"xml\" is not one of json, common, off",
		"values.toml:14: defaults.cookies.samesite: \"relaxed\" is not one of lax, strict, none",
		"values.toml:17: defaults.headers.frame_options: empty value (write \"off\" not to send the header, or leave the key out for the default)",
		"values.toml:18: defaults.headers.on_conflict: \"replace\" is not one of keep-app, override",
		"values.toml:26: site \"app\": hsts.max_age: \"1y\" is not a duration (use e.g. \"365d\" or \"8760h\")",
		"values.toml:29: site \"app\": csp.on_conflict: \"merge\" is not one of keep-app, override, combine",
		"values.toml:33: site \"app\": security_txt.expires_in: 12h0m0s is less than a day",
	}},
}

func TestBadFiles(t *testing.T) {
	unsetenv(t, "PORTCULLIS_TEST_UNSET_HOST", "PORTCULLIS_TEST_UNSET_UPSTREAM")
	files, err := filepath.Glob("testdata/bad/*.toml")
	if err != nil || len(files) != len(badFiles) {
		t.Fatalf("testdata/bad has %d files, the table %d: every bad file needs its expected messages", len(files), len(badFiles))
	}
	for _, tt := range badFiles {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tt.name+".toml")
			cfg, err := Load(path)
			if err == nil || cfg != nil {
				t.Fatalf("Load(%s) = %v, %v; want only an error", path, cfg, err)
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error is %T, not Errors: %v", err, err)
			}
			var got []string
			for _, e := range es {
				got = append(got, strings.TrimPrefix(e.Error(), "testdata/bad/"))
				if e.File != path {
					t.Errorf("Error.File = %q, want %q", e.File, path)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("messages:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
			if want := strings.Join(prefixed(tt.want), "\n"); err.Error() != want {
				t.Errorf("Error() =\n%s\nwant\n%s", err, want)
			}
		})
	}
}

func prefixed(msgs []string) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = "testdata/bad/" + m
	}
	return out
}

// unsetenv makes sure the variables are not set during the test.
func unsetenv(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		t.Setenv(n, "") // restores the old value after the test
		os.Unsetenv(n)
	}
}

func mustCSP(t *testing.T, s string) *csp.Policy {
	t.Helper()
	p, err := csp.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return &p
}

func mustPermissions(t *testing.T, s string) *permissions.Policy {
	t.Helper()
	p, err := permissions.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return &p
}

// compareOptions compares shield options field by field, so that a
// failure names the field.
func compareOptions(t *testing.T, site string, got, want shield.Options) {
	t.Helper()
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range g.NumField() {
		name := g.Type().Field(i).Name
		if g.Field(i).Kind() == reflect.Func {
			if !g.Field(i).IsNil() {
				t.Errorf("site %s: %s is set; the file cannot set it", site, name)
			}
			continue
		}
		if !reflect.DeepEqual(g.Field(i).Interface(), w.Field(i).Interface()) {
			t.Errorf("site %s: %s =\n  %+v\nwant\n  %+v", site, name, g.Field(i).Interface(), w.Field(i).Interface())
		}
	}
}

// The secrets testdata/full.toml takes from the environment.
const (
	testMACKey      = "c2VjcmV0LWhtYWMta2V5LWZyb20tdGhlLWNh" // base64url
	testAlertSecret = "webhook-signing-secret"
	testAdminToken  = "0123456789abcdef0123456789abcdef"
)

// setFullEnv sets the environment variables testdata/full.toml uses.
func setFullEnv(t *testing.T) {
	t.Setenv("ACME_EAB_MAC_KEY", testMACKey)
	t.Setenv("ALERT_WEBHOOK_SECRET", testAlertSecret)
	t.Setenv("ADMIN_TOKEN", testAdminToken)
	t.Setenv("REDIS_PASSWORD", "a-long-random-redis-password")
	t.Setenv("PORTCULLIS_CLUSTER_KEY", testClusterKey)
}

// TestFullRoundTrip loads the file that sets every key (the complete
// example of docs/config.md) and checks every value, down to the
// shield.Options of each site, inheritance included.
func TestFullRoundTrip(t *testing.T) {
	setFullEnv(t)
	cfg, err := Load("testdata/full.toml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Path != "testdata/full.toml" || cfg.DataDir != "/var/lib/portcullis" {
		t.Errorf("Path %q, DataDir %q", cfg.Path, cfg.DataDir)
	}
	if want := (Listen{HTTPS: ":443", HTTP: ":80", Admin: "127.0.0.1:9100", AdminToken: testAdminToken,
		AdminHosts: []string{"metrics.internal"}}); !reflect.DeepEqual(cfg.Listen, want) {
		t.Errorf("Listen = %+v, want %+v", cfg.Listen, want)
	}
	if cfg.TLS.Profile != ProfileModern {
		t.Errorf("TLS.Profile = %q", cfg.TLS.Profile)
	}
	wantLimits := Limits{
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 0, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: 32 << 10, MaxBodyBytes: 25 << 20, ShutdownTimeout: 15 * time.Second,
		UpstreamTimeout: 90 * time.Second, UpstreamDialTimeout: 3 * time.Second,
	}
	if cfg.Limits != wantLimits {
		t.Errorf("Limits =\n  %+v\nwant\n  %+v", cfg.Limits, wantLimits)
	}
	if want := (AccessLog{Format: LogCommon, Path: "/var/log/portcullis/access.log"}); cfg.AccessLog != want {
		t.Errorf("AccessLog = %+v, want %+v", cfg.AccessLog, want)
	}
	wantACME := ACME{
		ACMEIssuer: ACMEIssuer{CA: LetsEncryptStaging, Email: "ops@example.com", Profile: "shortlived"},
		Fallback: &ACMEIssuer{
			CA:      "https://acme.internal.example/directory",
			Email:   "ops@example.com", // inherited
			EAB:     EAB{KeyID: "portcullis-1", MACKey: testMACKey},
			Profile: "tlsserver",
			CARoot:  filepath.Join("testdata", "internal-ca.pem"), // relative to the file
		},
		KeyType:            KeyECDSAP384,
		Challenges:         []string{ChallengeTLSALPN01},
		RenewalWindow:      0.5,
		RenewCheckInterval: 5 * time.Minute,
	}
	if !reflect.DeepEqual(cfg.ACME, wantACME) {
		t.Errorf("ACME =\n  %+v (fallback %+v)\nwant\n  %+v (fallback %+v)", cfg.ACME, cfg.ACME.Fallback, wantACME, wantACME.Fallback)
	}
	if want := (Monitor{Thresholds: []time.Duration{21 * day, 7 * day, 2 * day}, Interval: 30 * time.Minute}); !reflect.DeepEqual(cfg.Monitor, want) {
		t.Errorf("Monitor = %+v, want %+v", cfg.Monitor, want)
	}
	wantAlerts := Alerts{Webhook: "https://hooks.example.com/portcullis", Secret: testAlertSecret, Format: "slack",
		MinSeverity: events.High, Dedup: 6 * time.Hour, Rules: []AlertRule{
			{Name: "refused-hosts", Events: []string{"host.rejected", "request.malformed"}, MinSeverity: events.Low,
				Threshold: 10, Window: time.Minute, Per: "client", Severity: events.High},
			{Name: "certificates", Events: []string{"cert.*"}, MinSeverity: events.Info, Threshold: 1, Per: "none", Severity: events.Medium},
		}}
	if !reflect.DeepEqual(cfg.Alerts, wantAlerts) {
		t.Errorf("Alerts =\n  %+v\nwant\n  %+v", cfg.Alerts, wantAlerts)
	}
	wantBackup := Backup{Dir: filepath.Join("testdata", "backups"), Interval: 12 * time.Hour, Keep: 14,
		Recipients: []string{"age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"}}
	if !reflect.DeepEqual(cfg.Backup, wantBackup) {
		t.Errorf("Backup = %+v, want %+v", cfg.Backup, wantBackup)
	}
	if len(cfg.Sites) != 3 {
		t.Fatalf("%d sites, want 3", len(cfg.Sites))
	}
	app, dev, tenants := &cfg.Sites[0], &cfg.Sites[1], &cfg.Sites[2]
	if app.Name != "app" || app.Line != 147 || app.Upstream != "http://127.0.0.1:8000" ||
		!reflect.DeepEqual(app.Cert, CertSource{Source: CertFiles, Cert: "/etc/portcullis/example.com.pem", Key: "/etc/portcullis/example.com-key.pem"}) {
		t.Errorf("site app = %+v", *app)
	}
	if dev.Name != "dev" || dev.Line != 174 || dev.Upstream != "unix:/run/app.sock" || !reflect.DeepEqual(dev.Cert, CertSource{Source: CertLocal}) {
		t.Errorf("site dev = %+v", *dev)
	}
	wantCert := CertSource{Source: CertACME, OnDemand: true, Ask: "http://127.0.0.1:8100/may-i-have-a-certificate",
		Allow: []string{"shop.example.net", "blog.example.org"}}
	if tenants.Name != "tenants" || tenants.Line != 196 || !reflect.DeepEqual(tenants.Hosts, []string{"*"}) || !reflect.DeepEqual(tenants.Cert, wantCert) {
		t.Errorf("site tenants = %+v", *tenants)
	}

	override := func(v string) shield.Header { return shield.Header{Value: v, OnConflict: shield.Override} }
	common := shield.Options{
		Redirect: shield.Redirect{Code: 301, Port: 443, Exempt: []string{"/healthz", "/.well-known/acme-challenge/*"}},
		HSTS:     shield.HSTS{MaxAge: 730 * 24 * time.Hour, Preload: true},
		Cookies:  shield.Cookies{SameSite: 3, HTTPOnly: []string{"sessionid", "remember_token"}},
		Headers: shield.Headers{
			FrameOptions:              override("SAMEORIGIN"),
			ContentTypeOptions:        override("nosniff"),
			ReferrerPolicy:            override("strict-origin-when-cross-origin"),
			CrossOriginOpenerPolicy:   override("same-origin-allow-popups"),
			CrossOriginResourcePolicy: override("same-site"),
			CrossOriginEmbedderPolicy: shield.Header{Disable: true, OnConflict: shield.Override},
			XSSProtection:             override("0"),
		},
		CSP: shield.CSP{
			Policy:                  mustCSP(t, "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"),
			Nonce:                   true,
			NonceDirectives:         []string{"script-src"},
			ReportURI:               "https://example.com/csp-reports",
			UpgradeInsecureRequests: true,
			OnConflict:              shield.Combine,
		},
		PermissionsPolicy: shield.PermissionsPolicy{Policy: mustPermissions(t, "camera=(), microphone=(), geolocation=(self)")},
		CrossOrigin:       shield.CrossOrigin{TrustedOrigins: []string{"https://sso.example.com"}, Bypass: []string{"POST /webhooks/"}},
		SecurityTxt:       &shield.SecurityTxt{ExpiresIn: 180 * 24 * time.Hour},
		Requests:          shield.Requests{Methods: []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}, Upgrades: []string{"websocket"}},
	}
	common.SecurityTxt.File.Contact = []string{"mailto:security@example.com", "https://example.com/security"}
	common.SecurityTxt.File.Encryption = []string{"https://example.com/pgp-key.txt"}
	common.SecurityTxt.File.Policy = []string{"https://example.com/disclosure"}
	common.SecurityTxt.File.Acknowledgments = []string{"https://example.com/hall-of-fame"}
	common.SecurityTxt.File.PreferredLanguages = []string{"en", "fr"}
	common.SecurityTxt.File.Canonical = []string{"https://example.com/.well-known/security.txt"}
	common.SecurityTxt.File.Hiring = []string{"https://example.com/jobs"}

	wantApp := common
	wantApp.Hosts = []string{"example.com", ".example.com"}
	wantApp.TrustedProxies = []string{"10.0.0.0/8"}
	wantApp.Redirect.Host = "example.com"
	wantApp.CSP.Learn, wantApp.CSP.LearnSample = true, 0.05
	wantApp.CORS = shield.CORS{
		Origins:       []string{"https://app.example.net", "https://*.partner.example"},
		Methods:       []string{"GET", "POST", "PUT"},
		Headers:       []string{"Content-Type", "X-Requested-With"},
		ExposeHeaders: []string{"X-Request-Id"},
		Credentials:   true,
		MaxAge:        time.Hour,
	}

	wantDev := common
	wantDev.Hosts = []string{"localhost", "127.0.0.1", "::1"}
	wantDev.HSTS.Disable = true
	wantDev.CSP.ReportOnly = new(csp.Strict())
	wantDev.PermissionsPolicy = shield.PermissionsPolicy{Disable: true}
	wantDev.Requests = shield.Requests{Methods: []string{"GET", "HEAD", "POST", "PROPFIND"}, Upgrades: []string{"websocket", "webtransport"}, AllowUnderscoreHeaders: true}
	wantDev.Responses = shield.Responses{KeepVersionHeaders: true}

	wantTenants := common
	wantTenants.Hosts = []string{"*"}
	wantTenants.CSP.ReportOnly = new(csp.Strict())

	for _, tt := range []struct {
		site *Site
		want shield.Options
	}{{app, wantApp}, {dev, wantDev}, {tenants, wantTenants}} {
		got, err := cfg.ShieldOptions(tt.site)
		if err != nil {
			t.Fatalf("site %s: %v", tt.site.Name, err)
		}
		compareOptions(t, tt.site.Name, got, tt.want)
		if _, err := shield.New(got); err != nil {
			t.Errorf("site %s: shield.New: %v", tt.site.Name, err)
		}
	}
}

// TestInheritance checks how a site's policy overrides [defaults]: key by
// key, lists replaced (an empty list included), "off" switching a header
// off and a value switching it back on.
func TestInheritance(t *testing.T) {
	const text = `
[defaults.hsts]
max_age = "400d"
preload = true

[defaults.headers]
frame_options = "SAMEORIGIN"
corp = "off"

[defaults.cookies]
httponly = ["sid"]

[defaults.cross_origin]
trusted_origins = ["https://a.example"]

[[site]]
hosts = ["inherits.example.com"]
upstream = "demo"

[[site]]
hosts = ["overrides.example.com"]
upstream = "demo"
[site.policy.hsts]
preload = false
[site.policy.headers]
frame_options = "off"
corp = "same-origin"
[site.policy.cookies]
httponly = []
[site.policy.cross_origin]
trusted_origins = ["https://b.example"]
`
	cfg, err := Parse("inherit.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		check func(o shield.Options) bool
	}{
		{"inherits.example.com", func(o shield.Options) bool {
			return o.HSTS.MaxAge == 400*24*time.Hour && o.HSTS.Preload &&
				o.Headers.FrameOptions == shield.Header{Value: "SAMEORIGIN"} &&
				o.Headers.CrossOriginResourcePolicy == shield.Header{Disable: true} &&
				reflect.DeepEqual(o.Cookies.HTTPOnly, []string{"sid"}) &&
				reflect.DeepEqual(o.CrossOrigin.TrustedOrigins, []string{"https://a.example"})
		}},
		{"overrides.example.com", func(o shield.Options) bool {
			return o.HSTS.MaxAge == 400*24*time.Hour && !o.HSTS.Preload &&
				o.Headers.FrameOptions == shield.Header{Disable: true} &&
				o.Headers.CrossOriginResourcePolicy == shield.Header{Value: "same-origin"} &&
				o.Cookies.HTTPOnly != nil && len(o.Cookies.HTTPOnly) == 0 &&
				reflect.DeepEqual(o.CrossOrigin.TrustedOrigins, []string{"https://b.example"})
		}},
	}
	for i, tt := range tests {
		s := &cfg.Sites[i]
		o, err := cfg.ShieldOptions(s)
		if err != nil || s.Name != tt.name || !tt.check(o) {
			t.Errorf("site %q: %v\n%+v", s.Name, err, o)
		}
	}
}

func TestEnv(t *testing.T) {
	t.Setenv("PORTCULLIS_TEST_HOST", "www.example.com")
	t.Setenv("PORTCULLIS_TEST_UPSTREAM", "http://10.1.2.3:8000")
	t.Setenv("PORTCULLIS_TEST_REPORT_URI", "https://reports.example.com/csp")
	cfg, err := Load("testdata/env.toml")
	if err != nil {
		t.Fatal(err)
	}
	s := &cfg.Sites[0]
	if s.Name != "${literal}" || !reflect.DeepEqual(s.Hosts, []string{"app.example.com", "www.example.com"}) || s.Upstream != "http://10.1.2.3:8000" {
		t.Errorf("site = %q %q %q", s.Name, s.Hosts, s.Upstream)
	}
	if o, err := cfg.ShieldOptions(s); err != nil || o.CSP.ReportURI != "https://reports.example.com/csp" {
		t.Errorf("report URI %q, %v", o.CSP.ReportURI, err)
	}

	// A variable that is set but empty is a value: here an empty upstream.
	t.Setenv("PORTCULLIS_TEST_UPSTREAM", "")
	_, err = Load("testdata/env.toml")
	if want := `testdata/env.toml:4: site "${literal}": upstream: missing: `; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("empty variable: %v, want %s...", err, want)
	}
}

// TestEnvRedacted checks that a value taken from the environment never
// appears in a message, even when it is what is wrong.
func TestEnvRedacted(t *testing.T) {
	const secret = "s3cr3t-t0ken"
	t.Setenv("PORTCULLIS_TEST_HOST", "www.example.com")
	t.Setenv("PORTCULLIS_TEST_UPSTREAM", "ftp://"+secret+"@files.internal")
	t.Setenv("PORTCULLIS_TEST_REPORT_URI", "https://reports.example.com/"+secret+" x")
	_, err := Load("testdata/env.toml")
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("message repeats the secret:\n%v", err)
	}
	for _, want := range []string{
		`testdata/env.toml:4: site "${literal}": upstream: ${PORTCULLIS_TEST_UPSTREAM}: scheme "ftp" is not supported`,
		`testdata/env.toml:7: site "${literal}": csp.report_uri: report URI ${PORTCULLIS_TEST_REPORT_URI} contains characters not allowed in a header`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("messages lack %q:\n%v", want, err)
		}
	}
}

func TestDefault(t *testing.T) {
	d := Default()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	// The zero-configuration default is what this minimal file says.
	cfg, err := Parse("default.toml", []byte(`
[[site]]
name = "localhost"
hosts = ["localhost", "127.0.0.1", "::1"]
upstream = "demo"
[site.policy.csp]
policy = "strict"
`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Listen, Listen{HTTPS: ":8443", HTTP: ":8080", Admin: DefaultAdmin}) || !reflect.DeepEqual(d.Listen, cfg.Listen) ||
		d.TLS != cfg.TLS || d.Limits != cfg.Limits ||
		d.Limits != DefaultLimits() || d.AccessLog != cfg.AccessLog || d.AccessLog.Format != LogJSON || d.DataDir != "" {
		t.Errorf("Default() = %+v\nminimal file = %+v", d, cfg)
	}
	if len(d.Sites) != 1 || d.Sites[0].Name != cfg.Sites[0].Name || !reflect.DeepEqual(d.Sites[0].Hosts, cfg.Sites[0].Hosts) ||
		d.Sites[0].Upstream != "demo" || !reflect.DeepEqual(d.Sites[0].Cert, cfg.Sites[0].Cert) || d.Sites[0].Cert.Source != CertLocal {
		t.Errorf("Default() sites = %+v\nminimal file = %+v", d.Sites, cfg.Sites)
	}
	o, err := d.ShieldOptions(&d.Sites[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := shield.New(o); err != nil || !reflect.DeepEqual(o.Hosts, []string{"localhost", "127.0.0.1", "::1"}) || o.SecurityTxt != nil {
		t.Errorf("default options %+v: %v", o, err)
	}
	if o.CSP.Policy == nil || o.CSP.Policy.String() != csp.Strict().String() {
		t.Errorf("the demo site's CSP is %v, want csp.Strict()", o.CSP.Policy)
	}
	if fo, _ := cfg.ShieldOptions(&cfg.Sites[0]); fo.CSP.Policy == nil || fo.CSP.Policy.String() != o.CSP.Policy.String() {
		t.Errorf("Default() and the minimal file differ in CSP")
	}
}

// TestValidateInCode checks a configuration changed in code, as
// `portcullis serve --host --to` builds one: no file, no lines.
func TestValidateInCode(t *testing.T) {
	c := Default()
	c.Sites[0].Upstream = "ftp://127.0.0.1"
	c.Sites = append(c.Sites, Site{Name: "two", Hosts: []string{"LOCALHOST"}, Upstream: "demo",
		Cert: CertSource{Source: CertFiles, Cert: "c.pem"}, Policy: Policy{HSTS: HSTS{MaxAge: new(time.Duration(-1))}}})
	c.Limits.ReadTimeout = -time.Second
	want := []string{
		`config: limits.read_timeout: -1s is negative`,
		`config: site "localhost": upstream: "ftp://127.0.0.1": scheme "ftp" is not supported (use http, https, unix or demo)`,
		`config: site "two": hosts: "LOCALHOST" is already served by site "localhost"`,
		`config: site "two": cert.key: missing: source "files" needs both cert and key (PEM file paths)`,
		`config: site "two": hsts.max_age: -1ns is less than a second (to stop HSTS, set disable = true)`,
	}
	err := c.Validate()
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("Validate() =\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
	if _, err := c.ShieldOptions(&c.Sites[1]); err == nil || err.Error() != "hsts.max_age: -1ns is less than a second (to stop HSTS, set disable = true)" {
		t.Errorf("ShieldOptions: %v", err)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"365d", 365 * 24 * time.Hour, ""},
		{"8760h", 8760 * time.Hour, ""},
		{"1d12h", 36 * time.Hour, ""},
		{"90s", 90 * time.Second, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"0", 0, ""},
		{"0d", 0, ""},
		{"106751d", 106751 * 24 * time.Hour, ""},
		{"1y", 0, `"1y" is not a duration (use e.g. "365d" or "8760h")`},
		{"", 0, `"" is not a duration (use e.g. "365d" or "8760h")`},
		{"d", 0, `"d" is not a duration (use e.g. "365d" or "8760h")`},
		{"1.5d", 0, `"1.5d" is not a duration (use e.g. "365d" or "8760h")`},
		{"1d-1h", 0, `"1d-1h" is not a duration (use e.g. "365d" or "8760h")`},
		{"1d1d", 0, `"1d1d" is not a duration (use e.g. "365d" or "8760h")`},
		{" 5s", 0, `" 5s" is not a duration (use e.g. "365d" or "8760h")`},
		{"-5s", 0, `"-5s" is negative`},
		{"-1d", 0, `"-1d" is negative`},
		{"--1d", 0, `"--1d" is not a duration (use e.g. "365d" or "8760h")`},
		{"106752d", 0, `"106752d" is out of range`},
		{"106751d24h", 0, `"106751d24h" is out of range`},
		{"99999999999999999999d", 0, `"99999999999999999999d" is out of range`},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("parseDuration(%q) = %v, %v; want error %s", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"512", 512, true},
		{"512B", 512, true},
		{"64KiB", 64 << 10, true},
		{"64 KiB", 64 << 10, true},
		{"10mib", 10 << 20, true},
		{"1GB", 1e9, true},
		{"2kb", 2000, true},
		{"", 0, false},
		{"KiB", 0, false},
		{"1.5MiB", 0, false},
		{"-1", 0, false},
		{"10 MiBs", 0, false},
		{"9223372036854775807GiB", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d (ok %t)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestRelativePaths(t *testing.T) {
	text := `
data_dir = "data"
[access_log]
path = "log/access.log"
[[site]]
hosts = ["app.example.com"]
upstream = "demo"
[site.cert]
source = "files"
cert = "certs/app.pem"
key = "/abs/app-key.pem"
`
	cfg, err := Parse(filepath.Join("etc", "portcullis", "portcullis.toml"), []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("etc", "portcullis")
	if cfg.DataDir != filepath.Join(dir, "data") || cfg.AccessLog.Path != filepath.Join(dir, "log", "access.log") ||
		cfg.Sites[0].Cert.Cert != filepath.Join(dir, "certs", "app.pem") || cfg.Sites[0].Cert.Key != "/abs/app-key.pem" {
		t.Errorf("paths: %q %q %+v", cfg.DataDir, cfg.AccessLog.Path, cfg.Sites[0].Cert)
	}
}

func TestLoadUnreadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.toml")
	_, err := Load(path)
	if want := path + ": cannot read: no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("Load(missing) = %v, want %s", err, want)
	}
}

// TestBOM accepts a file saved with a byte order mark and counts lines as
// without it.
func TestBOM(t *testing.T) {
	_, err := Parse("bom.toml", []byte("\ufeff[[site]]\nhosts = [\"a.example\"]\nupstream = \"ftp://x\"\n"))
	if err == nil || !strings.HasPrefix(err.Error(), `bom.toml:3: site "a.example": upstream: `) {
		t.Errorf("%v", err)
	}
}
