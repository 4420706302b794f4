package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/cspsuggest"
	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/store"
)

func newCSPCmd() *cobra.Command {
	return group("csp", "Learn a Content-Security-Policy that fits the app: suggest it from reports and a crawl",
		`csp helps a site move from the baseline policy to a strict one that fits it:

  1. learn:   [site.policy.csp] learn = true makes serve send a strict candidate policy
              report-only on a sample of HTML responses; browsers report what it would block
  2. suggest: portcullis csp suggest builds a policy from those reports and a crawl of the pages
  3. enforce: put the suggested policy in the configuration and portcullis reload

docs/csp.md walks through it.`,
		newCSPSuggestCmd())
}

// cspSuggestFlags are csp suggest's command line.
type cspSuggestFlags struct {
	config, data, site, caFile, format string
	resolve                            []string
	since, timeout                     time.Duration
	maxPages                           int
	dataGiven                          bool
}

func newCSPSuggestCmd() *cobra.Command {
	var o cspSuggestFlags
	c := &cobra.Command{
		Use:   "suggest [flags] [URL...]",
		Short: "Suggest a strict policy from the CSP reports collected and a crawl of the site's pages",
		Long: `suggest builds a Content-Security-Policy for each site from what was observed of it:

  - the CSP violation reports its browsers sent, aggregated in the store (read from the serve
    running on the data directory through its control socket, or from the store when none runs):
    with [site.policy.csp] learn = true, every origin the strict learning policy would block;
  - a crawl of the pages at each URL given, following same-origin links (up to --max-pages),
    read with the audit's HTML parser: the origins of scripts, styles, images, fonts, frames and
    media, form targets, and the sha256 hashes of inline scripts and styles.

It never suggests 'unsafe-inline', '*', data: or any scheme for scripts: what the app would have
to change instead (event handler attributes, javascript: URLs, inline code a report showed but
no crawl could hash) is listed with the fix. 'unsafe-eval' is suggested only when a report says
eval was blocked. The output is the policy, the configuration snippet that enforces it, and
where each source comes from (the page and line, or the report).

Reports are read when --config or --data is given, or when no URL is.

Exit status: 0 a suggestion was made; 1 nothing was observed, or a start URL cannot be read;
2 a usage or configuration error.`,
		Example: `  portcullis csp suggest --config /etc/portcullis/portcullis.toml
  portcullis csp suggest --data /var/lib/portcullis --site shop --since 168h
  portcullis csp suggest https://app.test/ --resolve app.test:443:127.0.0.1 --ca root.pem --max-pages 50
  portcullis csp suggest --config portcullis.toml https://shop.example.com/ --format json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.dataGiven = cmd.Flags().Changed("data")
			return runCSPSuggest(cmd.Context(), o, args, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := c.Flags()
	f.StringVar(&o.config, "config", "", "the portcullis.toml of the serve: its sites (names, hosts, X-Frame-Options, nonce) and data directory")
	f.StringVar(&o.data, "data", datadir.Default().String(), "data directory of the serve that collected the reports (with --config and no --data: its data_dir)")
	f.StringVar(&o.site, "site", "", "only this site (a name of the configuration; for a crawl without one, the name to give its suggestion)")
	f.DurationVar(&o.since, "since", 0, "only reports seen within this duration (e.g. 168h); 0: all kept")
	f.StringArrayVar(&o.resolve, "resolve", nil, "NAME:PORT:ADDR: connect to ADDR for NAME:PORT when crawling (repeatable), like curl")
	f.StringVar(&o.caFile, "ca", "", "PEM file of roots to trust when crawling, instead of the system's")
	f.IntVar(&o.maxPages, "max-pages", cspsuggest.DefaultMaxPages, "pages read per URL, following same-origin links")
	f.DurationVar(&o.timeout, "timeout", cspsuggest.DefaultTimeout, "timeout of each request of the crawl")
	f.StringVar(&o.format, "format", "text", "output: text or json")
	c.MarkFlagFilename("config", "toml")
	c.MarkFlagFilename("ca", "pem", "crt")
	c.MarkFlagDirname("data")
	c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

// siteInput is one site's observations being gathered.
type siteInput struct {
	in     cspsuggest.Input
	hosts  []string // the configuration's host patterns
	errors []string // pages a crawl could not read
}

func runCSPSuggest(ctx context.Context, o cspSuggestFlags, urls []string, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	switch {
	case o.format != "text" && o.format != "json":
		return usageError{fmt.Sprintf("--format %q: use text or json", o.format)}
	case o.since < 0:
		return usageError{"--since is negative"}
	case o.maxPages < 1:
		return usageError{"--max-pages must be at least 1"}
	case o.timeout <= 0:
		return usageError{"--timeout must be positive"}
	}
	crawl := cspsuggest.CrawlOptions{MaxPages: o.maxPages, Timeout: o.timeout, Resolve: map[string]string{}}
	for _, r := range o.resolve {
		name, addr, err := parseResolve(r)
		if err != nil {
			return usageError{err.Error()}
		}
		crawl.Resolve[name] = addr
	}
	for _, u := range urls {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return usageError{fmt.Sprintf("%q is not a URL to crawl: write it http://… or https://…", u)}
		}
	}
	if o.caFile != "" {
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			return err
		}
		crawl.Roots = x509.NewCertPool()
		if !crawl.Roots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s: no PEM certificate", o.caFile)
		}
	}

	var cfg *config.Config
	if o.config != "" {
		c, err := config.Load(o.config)
		if err != nil {
			return configError{err}
		}
		cfg = c
	}
	sites, order, err := configuredSites(cfg, o.site)
	if err != nil {
		return err
	}
	get := func(name string) *siteInput {
		if s := sites[name]; s != nil {
			return s
		}
		s := &siteInput{in: cspsuggest.Input{Site: name}}
		sites[name] = s
		order = append(order, name)
		return s
	}

	if cfg != nil || o.dataGiven || len(urls) == 0 {
		d := datadir.Dir(dataDirOf(o.dataGiven, o.data, cfg))
		q := store.ReportQuery{Site: o.site, Type: "csp-violation", Limit: store.MaxLimit}
		if o.since > 0 {
			q.Since = time.Now().Add(-o.since)
		}
		aggs, err := readReports(d, q)
		if err != nil {
			return err
		}
		for _, a := range aggs {
			if cfg != nil && sites[a.Site] == nil {
				continue // a site no longer configured
			}
			s := get(a.Site)
			s.in.Reports = append(s.in.Reports, a)
		}
	}

	for _, u := range urls {
		pages, errs, err := cspsuggest.Crawl(ctx, u, crawl)
		if err != nil {
			return fmt.Errorf("crawling %s: %w", u, err)
		}
		pu, _ := url.Parse(pages[0].URL)
		s := get(siteFor(sites, order, pu.Hostname(), o.site))
		s.in.Pages = append(s.in.Pages, pages...)
		for _, e := range errs {
			s.errors = append(s.errors, e.Error())
		}
	}

	var out []*cspsuggest.Suggestion
	for _, name := range order {
		s := sites[name]
		if len(s.in.Reports) == 0 && len(s.in.Pages) == 0 {
			if cfg != nil {
				fmt.Fprintf(stderr, "portcullis: site %s: no CSP report and no page crawled: nothing to suggest from (is [site.policy.csp] learn on, and have browsers visited?)\n", name)
			}
			continue
		}
		sg := cspsuggest.Suggest(s.in)
		for _, e := range s.errors {
			sg.Notes = append(sg.Notes, "not crawled: "+e)
		}
		out = append(out, sg)
	}
	if len(out) == 0 {
		return errors.New("nothing observed to suggest from: no CSP violation report in the store (turn on [site.policy.csp] learn = true and let browsers visit) and no URL to crawl")
	}
	if o.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for i, sg := range out {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		if err := sg.WriteText(stdout); err != nil {
			return err
		}
	}
	return nil
}

// configuredSites are the sites of cfg (only the one named only, if
// any), in the configuration's order, with what the configuration says
// of them: their origins, X-Frame-Options and nonce.
func configuredSites(cfg *config.Config, only string) (map[string]*siteInput, []string, error) {
	sites := map[string]*siteInput{}
	var order []string
	if cfg == nil {
		return sites, nil, nil
	}
	for i := range cfg.Sites {
		site := &cfg.Sites[i]
		if only != "" && site.Name != only {
			continue
		}
		in, err := cspsuggest.SiteInput(cfg, site)
		if err != nil {
			return nil, nil, configError{err}
		}
		s := &siteInput{hosts: site.Hosts, in: in}
		sites[site.Name] = s
		order = append(order, site.Name)
	}
	if only != "" && len(order) == 0 {
		return nil, nil, configError{fmt.Errorf("--site %q: no site of that name in %s", only, cfg.Path)}
	}
	return sites, order, nil
}

// siteFor is the site a crawled host belongs to: --site when given, else
// the first configured site whose hosts match it (as serve routes), else
// the host itself.
func siteFor(sites map[string]*siteInput, order []string, host, only string) string {
	if only != "" {
		return only
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, name := range order {
		if slices.ContainsFunc(sites[name].hosts, func(p string) bool { return hostMatches(p, host) }) {
			return name
		}
	}
	return host
}

// hostMatches reports whether a configured host pattern (exact name, IP,
// ".domain" or "*") matches host.
func hostMatches(pattern, host string) bool {
	p := strings.TrimSuffix(strings.ToLower(strings.Trim(pattern, "[]")), ".")
	host = strings.Trim(host, "[]")
	switch {
	case p == "*":
		return true
	case strings.HasPrefix(p, "."):
		return host == p[1:] || strings.HasSuffix(host, p)
	}
	if a, err := netip.ParseAddr(p); err == nil {
		b, err := netip.ParseAddr(host)
		return err == nil && a.Unmap() == b.Unmap()
	}
	return p == host
}
