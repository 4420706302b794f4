package check

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/portcullis/portcullis/audit/cert"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/rules"
)

// ruleCertFiles is the operations rule of certificate files serve cannot
// load: it refuses to start, or to reload, on them.
var ruleCertFiles = rules.Rule{
	ID: "certfiles.unusable", Category: Operations, Severity: rules.Critical,
	Title:       "Certificate or key file serve cannot load",
	Description: "A site with `cert.source = \"files\"` names a certificate or key file that is missing, unreadable, not PEM, or not the pair of the other. `portcullis serve` refuses to start on such a configuration, and a reload keeps the old one.",
	Fix:         "Point `cert.cert` at the PEM certificate chain (leaf first) and `cert.key` at its private key, readable by the user portcullis runs as.",
	References:  []string{"https://pkg.go.dev/crypto/tls#LoadX509KeyPair"},
}

// certFiles checks the certificate files of every site that has them, as
// `nginx -t` does: that the pair loads, that its names cover the site's
// hosts, that it is within its validity period and, for a deployment, what
// the audit would say of the chain besides (expiry soon, key, signature).
// The key file must be private to its owner. Trust is left out: it depends
// on the clients (an internal CA is trusted where it is installed), and
// `portcullis audit --ca` judges it against the live site.
func (r *Report) certFiles(cfg *config.Config, deploy bool, now time.Time) {
	for i := range cfg.Sites {
		site := &cfg.Sites[i]
		if site.Cert.Source != config.CertFiles {
			continue
		}
		pair, err := tls.LoadX509KeyPair(site.Cert.Cert, site.Cert.Key)
		if err != nil {
			f := finding(ruleCertFiles, fmt.Sprintf("cert %s, key %s: %v", site.Cert.Cert, site.Cert.Key, err))
			r.add(site, f)
			continue
		}
		if fi, err := os.Stat(site.Cert.Key); err == nil && fi.Mode().Perm()&0o077 != 0 {
			f := rules.NewFinding("cert.key-permissions", fmt.Sprintf("key %s has mode %04o: other users can read it", site.Cert.Key, fi.Mode().Perm()))
			r.add(site, f)
		}
		var chain []*x509.Certificate
		for _, der := range pair.Certificate {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				r.add(site, finding(ruleCertFiles, fmt.Sprintf("cert %s: %v", site.Cert.Cert, err)))
				chain = nil
				break
			}
			chain = append(chain, c)
		}
		if chain == nil {
			continue
		}
		seen := map[string]bool{}
		for _, name := range certHosts(site.Hosts) {
			_, fs := cert.Check(name, chain, cert.Options{Now: func() time.Time { return now }})
			for _, f := range fs {
				// What serve refuses or browsers reject at once is an
				// error whatever the mode; the rest (trust, expiry soon,
				// key, signature) is a deployment's concern.
				if f.Rule == "cert.untrusted" || f.Rule == "cert.self-signed" ||
					!deploy && f.Rule != "cert.hostname-mismatch" && f.Rule != "cert.expired" {
					continue
				}
				key := f.Rule
				if f.Rule == "cert.hostname-mismatch" {
					key += name
				}
				if seen[key] {
					continue
				}
				seen[key] = true
				f.Message = fmt.Sprintf("%s: %s", site.Cert.Cert, f.Message)
				r.add(site, f)
			}
		}
	}
}

// certHosts are the names a site's certificate must cover: each host,
// and for ".example.com" the domain and a subdomain (a wildcard
// certificate's); "*" and IP literals in brackets as written.
func certHosts(hosts []string) []string {
	var out []string
	for _, h := range hosts {
		h = strings.Trim(strings.TrimSpace(h), "[]")
		switch {
		case h == "*":
		case strings.HasPrefix(h, "."):
			out = append(out, h[1:], "portcullis-check"+h)
		default:
			out = append(out, h)
		}
	}
	return out
}
