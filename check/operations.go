package check

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/rules"
)

// This file holds the rules about running portcullis itself (its admin
// listener, its ACME CA, its alerts and backups), which only the
// configuration shows. The catalog of package rules describes what a
// served site looks like from outside; these have no place there.

// Operations is the category of the rules about running portcullis.
const Operations rules.Category = "operations"

// The operations rules. Their IDs are public like the catalog's: never
// renamed or reused.
var (
	ruleAdminExposed = rules.Rule{
		ID: "admin.exposed", Category: Operations, Severity: rules.Medium,
		Title:       "Admin listener reachable from the network",
		Description: "`listen.admin` serves `/metrics`, the dashboard and its API, which name every certificate and site, their expiry and renewal failures, the security events, browser reports and audits, and describe the Go runtime. Beyond loopback it needs a bearer token (`listen.admin_token`) and speaks TLS only, with the sites' certificates, so nothing crosses the network in clear text; still, it puts an administrative endpoint where anyone on the network can reach it and try tokens.",
		Fix:         "Bind `listen.admin` to loopback (`\"127.0.0.1:9180\"`, the default) and reach it locally, through SSH or a VPN; or set it to `\"off\"`. If it must stay on the network, let a firewall admit only the hosts that scrape or browse it, and use a long random token.",
		References:  []string{"https://prometheus.io/docs/operating/security/"},
	}
	ruleACMEStaging = rules.Rule{
		ID: "acme.staging", Category: Operations, Severity: rules.Medium,
		Title:       "Certificates from Let's Encrypt's staging environment",
		Description: "The staging environment issues certificates from roots that no browser trusts: every visitor gets a certificate warning. It exists to test a setup without reaching the production rate limits.",
		Fix:         "Once the setup works, set `acme.ca = \"letsencrypt\"` (the default) or another production CA, in `[acme]` and `[acme.fallback]`.",
		References:  []string{"https://letsencrypt.org/docs/staging-environment/"},
	}
	ruleACMEUnverifiable = rules.Rule{
		ID: "acme.unverifiable-name", Category: Operations, Severity: rules.Medium,
		Title:       "ACME site with a name no public CA can validate",
		Description: "A public CA validates a name by reaching it over the Internet. `localhost`, names under `.localhost`, `.test`, `.example`, `.invalid`, `.local`, `.internal` or `home.arpa`, single-label names and loopback or private addresses never resolve or route to this server from there, so every order fails, forever, and each failure counts against the CA's rate limits.",
		Fix:         "For localhost names and loopback addresses use `cert.source = \"local\"`; for other internal names use certificate files from an internal CA (`cert.source = \"files\"`) or an ACME CA of your own (`acme.ca` set to its directory URL, with `acme.ca_root`).",
		References: []string{
			"https://www.rfc-editor.org/rfc/rfc6761",
			"https://www.rfc-editor.org/rfc/rfc8555#section-8",
			"https://letsencrypt.org/docs/rate-limits/",
		},
	}
	ruleAlertsMissing = rules.Rule{
		ID: "alerts.missing", Category: Operations, Severity: rules.Info,
		Title:       "Certificate events only reach the log",
		Description: "Renewal failures and approaching expiry are logged, and exported on `/metrics`, but nothing tells a person unless something watches those. CAs no longer send expiry emails (Let's Encrypt stopped in 2025), and certificate files are not renewed by portcullis at all.",
		Fix:         "Set `[alerts] webhook` (and `secret`) to a URL that pages or posts to a channel someone reads, or alert on the expiry metrics in Prometheus; `portcullis certs check` from cron is a fallback.",
		References:  []string{"https://letsencrypt.org/2025/01/22/ending-expiration-emails/"},
	}
	ruleBackupMissing = rules.Rule{
		ID: "backup.missing", Category: Operations, Severity: rules.Info,
		Title:       "No scheduled backup of the ACME account and keys",
		Description: "Losing the data directory loses the ACME account and the certificates' private keys. Everything can be obtained again, but a rebuilt server that reissues many certificates at once can hit the CA's rate limits and stay without certificates for days.",
		Fix:         "Set `[backup]` (`dir` and `recipients` or `passphrase`) for encrypted scheduled backups, or run `portcullis certs backup` from cron; keep the backups off this machine.",
		References:  []string{"https://letsencrypt.org/docs/rate-limits/"},
	}
	ruleClusterPlaintext = rules.Rule{
		ID: "cluster.redis-plaintext", Category: Operations, Severity: rules.Medium,
		Title:       "Cluster's Redis reached without TLS over the network",
		Description: "In cluster mode every instance authenticates to Redis and takes the cluster's locks there. Over plain TCP beyond this machine, the Redis password crosses the network in clear, and whoever can answer in Redis's place (a spoofed address, a man in the middle) can hold the issuance locks, refuse stores, or replay old values. The values themselves are sealed with the cluster key, so certificates' private keys are not exposed.",
		Fix:         "Use `rediss://` (or `tls = true` with `addrs` or `sentinel_master`), with `ca_file` for a private CA; or a unix socket when Redis is on the same machine.",
		References:  []string{"https://redis.io/docs/latest/operate/oss_and_stack/management/security/encryption/"},
	}
)

var operationsRules = []rules.Rule{ruleACMEStaging, ruleACMEUnverifiable, ruleAdminExposed, ruleAlertsMissing, ruleBackupMissing, ruleCertFiles, ruleClusterPlaintext}

// Rules returns the rules about running portcullis that check evaluates
// besides the catalog of package rules (category Operations), in ID
// order. The result is a copy the caller may modify.
func Rules() []rules.Rule {
	out := make([]rules.Rule, len(operationsRules))
	for i, r := range operationsRules {
		r.References = append([]string(nil), r.References...)
		out[i] = r
	}
	return out
}

// ruleByID finds a rule of either catalog.
func ruleByID(id string) (rules.Rule, bool) {
	for _, r := range operationsRules {
		if r.ID == id {
			return r, true
		}
	}
	return rules.Get(id)
}

// finding reports a violation of an operations rule.
func finding(r rules.Rule, msg string) rules.Finding {
	return rules.Finding{Rule: r.ID, Severity: r.Severity, Message: msg}
}

// operations evaluates the operations rules that hold whether or not the
// configuration is deployed: mistakes that fail or leak from the start.
func (r *Report) operations(cfg *config.Config) {
	if a := cfg.Listen.Admin; a != "" && !config.LoopbackAddr(a) {
		r.add(nil, finding(ruleAdminExposed, fmt.Sprintf("listen.admin %q is reachable beyond this machine: its dashboard, API and /metrics, which name every certificate, site and event, are on the network, behind the token and TLS", a)))
	}
	if where := clusterPlaintext(cfg.Cluster); where != "" {
		r.add(nil, finding(ruleClusterPlaintext, "[cluster] reaches Redis at "+where+" over plain TCP: the Redis password and the cluster's locks cross the network in clear; use rediss:// (or tls = true)"))
	}
	ca, public := publicCA(cfg.ACME.CA)
	for i := range cfg.Sites {
		site := &cfg.Sites[i]
		if site.Cert.Source != config.CertACME || !public {
			continue
		}
		for _, h := range site.Hosts {
			why, local := unverifiable(h)
			if why == "" {
				continue
			}
			fix := `use cert.source = "local"`
			if !local {
				fix = `use certificate files from an internal CA, or acme.ca set to an ACME CA of your own`
			}
			f := finding(ruleACMEUnverifiable, fmt.Sprintf("host %q is %s: %s cannot validate it, so every order fails; %s", h, why, ca, fix))
			f.Evidence = h
			r.add(site, f)
		}
	}
}

// deployment evaluates the operations rules of a deployment (--deploy).
func (r *Report) deployment(cfg *config.Config) {
	var acme, external bool // sites with ACME; with certificates that expire unless someone acts
	for i := range cfg.Sites {
		site := &cfg.Sites[i]
		switch site.Cert.Source {
		case config.CertACME:
			acme, external = true, true
			if cfg.ACME.CA == config.LetsEncryptStaging {
				r.add(site, finding(ruleACMEStaging, "acme.ca is Let's Encrypt's staging environment: its certificates are not trusted by browsers"))
			}
			if fb := cfg.ACME.Fallback; fb != nil && fb.CA == config.LetsEncryptStaging && cfg.ACME.CA != config.LetsEncryptStaging {
				r.add(site, finding(ruleACMEStaging, "acme.fallback.ca is Let's Encrypt's staging environment: whenever the first CA fails, the site gets a certificate browsers do not trust"))
			}
		case config.CertFiles:
			external = true
		}
	}
	if external && cfg.Alerts.Webhook == "" {
		r.add(nil, finding(ruleAlertsMissing, "no [alerts] webhook: certificate expiry and renewal failures only reach the log; set [alerts] webhook"))
	}
	if acme && cfg.Backup.Dir == "" {
		r.add(nil, finding(ruleBackupMissing, "no [backup] dir: no scheduled backup of the keys and the ACME account; set [backup] or run portcullis certs backup from cron"))
	}
}

// publicCA names a directory URL's CA when it is a well-known public one,
// which validates names over the Internet. A private CA may validate
// anything, so nothing is said about it.
func publicCA(url string) (string, bool) {
	switch url {
	case config.LetsEncrypt:
		return "Let's Encrypt", true
	case config.LetsEncryptStaging:
		return "Let's Encrypt's staging environment", true
	case config.ZeroSSL:
		return "ZeroSSL", true
	}
	return "", false
}

// unverifiable says why a public CA cannot validate a site's host, as
// the hosts list writes it ("" when it can, or cannot tell: "*"), and
// whether the local CA can issue for it instead (localhost names and
// loopback addresses).
func unverifiable(host string) (why string, local bool) {
	h := strings.ToLower(strings.Trim(strings.TrimSpace(host), "[]"))
	h = strings.TrimSuffix(strings.TrimPrefix(h, "."), ".")
	if h == "" || h == "*" {
		return "", false
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		ip = ip.Unmap()
		switch {
		case ip.IsLoopback():
			return "a loopback address", true
		case ip.IsPrivate():
			return "a private address", false
		case !ip.IsGlobalUnicast():
			return "not a public unicast address", false
		}
		return "", false
	}
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return "a localhost name, local to each machine", true
	}
	if h == "home.arpa" || strings.HasSuffix(h, ".home.arpa") {
		return "under home.arpa, reserved for home networks (RFC 8375)", false
	}
	i := strings.LastIndexByte(h, '.')
	if i < 0 {
		return "a single-label name, which does not resolve on the Internet", false
	}
	switch tld := h[i+1:]; tld {
	case "test", "example", "invalid":
		return "under ." + tld + ", reserved by RFC 6761 and never delegated", false
	case "local":
		return "under .local, resolved by multicast DNS on the local link only (RFC 6762)", false
	case "internal":
		return "under .internal, reserved for private networks", false
	}
	return "", false
}

// clusterPlaintext returns the Redis address [cluster] reaches over plain
// TCP beyond loopback, or "": a redis:// URL to a host that is not a
// loopback address or localhost, or addrs and sentinels without tls.
func clusterPlaintext(c *config.Cluster) string {
	if c == nil {
		return ""
	}
	if c.Redis != "" {
		u, err := url.Parse(c.Redis)
		if err != nil || u.Scheme != "redis" || loopbackHost(u.Hostname()) {
			return ""
		}
		return u.Host
	}
	if c.TLS {
		return ""
	}
	for _, a := range append(slices.Clone(c.Addrs), c.SentinelAddrs...) {
		if host, _, err := net.SplitHostPort(a); err == nil && !loopbackHost(host) {
			return a
		}
	}
	return ""
}

// loopbackHost reports whether host is localhost or a loopback address.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
