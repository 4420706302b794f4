package config_test

import (
	"fmt"
	"log"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/shield"
)

func ExampleLoad() {
	cfg, err := config.Load("testdata/example.toml")
	if err != nil {
		log.Fatal(err) // every problem, one per line: "file:line: site "name": key: message"
	}
	for i := range cfg.Sites {
		site := &cfg.Sites[i]
		opts, err := cfg.ShieldOptions(site) // [defaults] merged with the site's policy
		if err != nil {
			log.Fatal(err)
		}
		if _, err := shield.New(opts); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s (line %d): %v -> %s, certificate %s, HSTS off %t, preload %t, security.txt %t\n",
			site.Name, site.Line, site.Hosts, site.Upstream, site.Cert.Source, opts.HSTS.Disable, opts.HSTS.Preload, opts.SecurityTxt != nil)
	}
	fmt.Println("listen", cfg.Listen.HTTPS, cfg.Listen.HTTP, "TLS", cfg.TLS.Profile, "body limit", cfg.Limits.MaxBodyBytes)
	// Output:
	// shop (line 9): [shop.example.com] -> http://127.0.0.1:8000, certificate files, HSTS off false, preload true, security.txt true
	// dev (line 19): [localhost] -> demo, certificate local, HSTS off true, preload true, security.txt true
	// listen :8443 :8080 TLS intermediate body limit 10485760
}

func ExampleLoad_errors() {
	_, err := config.Load("testdata/bad/shield.toml")
	fmt.Println(err)
	// Output:
	// testdata/bad/shield.toml:10: site "preload": hsts.preload: preload requires a MaxAge of at least one year (31536000 s) and includeSubDomains; browsers' preload lists refuse anything less (have MaxAge 5m0s, includeSubDomains true)
	// testdata/bad/shield.toml:18: site "cors": cors.credentials: the wildcard origin "*" with credentials would let every site read authenticated responses; list the origins instead
	// testdata/bad/shield.toml:25: site "redirect": redirect.code: code 302: use 308 (default), 301 or 307
	// testdata/bad/shield.toml:32: site "frame": headers.frame_options: "ALLOWALL" is not one of DENY, SAMEORIGIN
	// testdata/bad/shield.toml:36: site "hosts": hosts: host pattern "bad host.example.com": not a host name, IP address, .domain pattern or "*"
	// testdata/bad/shield.toml:43: site "proxies": trusted_proxies: trusted proxy "10.0.0.0/33": not an IP address or CIDR prefix
	// testdata/bad/shield.toml:51: site "nonce": csp.nonce: Nonce is on, but the policy has none of script-src, style-src (nor default-src) to carry it
}

func ExampleParse_acme() {
	cfg, err := config.Parse("portcullis.toml", []byte(`
[acme]
email = "ops@example.com"           # the CA is Let's Encrypt unless ca says otherwise

[acme.fallback]
ca = "letsencrypt-staging"          # a name, mapped to its directory URL; the email is inherited

[[site]]
name = "tenants"
hosts = [".tenants.example.com"]
upstream = "http://127.0.0.1:8000"
cert = { source = "acme", on_demand = true, allow = ["Alice.Tenants.Example.com"] }
`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.ACME.CA, cfg.ACME.Email)
	fmt.Println(cfg.ACME.Fallback.CA, cfg.ACME.Fallback.Email)
	fmt.Printf("%+v\n", cfg.Sites[0].Cert)
	fmt.Println("admin", cfg.Listen.Admin, "thresholds", cfg.Monitor.Thresholds)
	// Output:
	// https://acme-v02.api.letsencrypt.org/directory ops@example.com
	// https://acme-staging-v02.api.letsencrypt.org/directory ops@example.com
	// {Source:acme Cert: Key: OnDemand:true Ask: Allow:[alice.tenants.example.com]}
	// admin 127.0.0.1:9180 thresholds [720h0m0s 336h0m0s 168h0m0s 24h0m0s]
}
