package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/server"
)

// The zero-configuration demo's listeners: loopback only, since the demo
// is for the person at this machine.
const (
	demoHTTPS = "127.0.0.1:8443"
	demoHTTP  = "127.0.0.1:8080"
)

// Policies of the one-site mode (--policy).
const (
	policyDefault = "default"
	policyStrict  = "strict"
)

// serveFlags are serve's command line.
type serveFlags struct {
	siteFlags
	config, data, https, http, admin, log string
	dataGiven                             bool // --data was on the command line
}

// siteFlags describe the site of the one-site mode.
type siteFlags struct {
	hosts            []string
	to, cert, key    string
	policy           string
	securityContacts []string
}

func newServeCmd() *cobra.Command {
	var o serveFlags
	c := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Run the HTTPS front door (no config: the demo app on https://localhost:8443)",
		Long: `serve terminates TLS, applies shield's protections and proxies to your application.

Three ways to say what to serve:
  no flags         the built-in demo app on https://localhost:8443, listening on 127.0.0.1 only,
                   with a certificate from a local CA created in the data directory
  --host/--to      one site: its names (repeat --host), its upstream, --cert/--key or the local
                   CA (localhost names) or ACME (public names), and --policy
  --config FILE    several sites and the full policy (docs/config.md)

One serve per data directory: a second one on the same --data refuses to start (exit 1).
'portcullis reload' or SIGHUP reloads the configuration without dropping a connection;
SIGTERM or Ctrl-C drains gracefully.`,
		Example: `  portcullis serve
  portcullis serve --host app.example.com --host www.example.com --to http://127.0.0.1:8000 \
      --cert app.pem --key app-key.pem --policy strict
  portcullis serve --config /etc/portcullis/portcullis.toml --data /var/lib/portcullis`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.dataGiven = cmd.Flags().Changed("data")
			return o.run(cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := c.Flags()
	f.StringVar(&o.config, "config", "", "config file (TOML); none: the embedded default (demo app on localhost)")
	f.StringVar(&o.data, "data", datadir.Default().String(), "data directory: local CA, certificates, pid file, lock, control socket (overrides the config's data_dir)")
	f.StringVar(&o.https, "https", "", "HTTPS listen address (overrides the config; default :8443, 127.0.0.1:8443 for the demo)")
	f.StringVar(&o.http, "http", "", "plain-HTTP listen address (overrides the config; default :8080, 127.0.0.1:8080 for the demo)")
	f.StringVar(&o.admin, "admin", "", "admin listen address for /metrics, or \"off\" (overrides the config)")
	f.StringArrayVar(&o.hosts, "host", nil, "one-site mode: a host name to serve (with --to); repeat it for more names of the site")
	f.StringVar(&o.to, "to", "", "one-site mode: the upstream, e.g. http://127.0.0.1:8000")
	f.StringVar(&o.cert, "cert", "", "one-site mode: certificate file (default: local CA for localhost names, else ACME)")
	f.StringVar(&o.key, "key", "", "one-site mode: key file")
	f.StringVar(&o.policy, "policy", policyDefault, "one-site mode: default, or strict: CSP csp.Strict() with per-request nonces, HSTS preload, Cross-Origin-Resource-Policy: same-origin")
	f.StringArrayVar(&o.securityContacts, "security-contact", nil, "one-site mode: serve /.well-known/security.txt with this Contact (mailto:, https: or tel: URI); repeatable")
	f.StringVar(&o.log, "log", "text", "log format: text or json")
	c.MarkFlagFilename("config", "toml")
	c.MarkFlagDirname("data")
	c.MarkFlagFilename("cert", "pem", "crt")
	c.MarkFlagFilename("key", "pem", "key")
	c.RegisterFlagCompletionFunc("policy", cobra.FixedCompletions([]string{policyDefault, policyStrict}, cobra.ShellCompDirectiveNoFileComp))
	c.RegisterFlagCompletionFunc("log", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func (o *serveFlags) run(stdout, stderr io.Writer) error {
	if o.log != "text" && o.log != "json" {
		return usageError{fmt.Sprintf("--log %q: use text or json", o.log)}
	}
	if o.policy != policyDefault && o.policy != policyStrict {
		return usageError{fmt.Sprintf("--policy %q: use default or strict", o.policy)}
	}
	log := newLogger(stderr, o.log)
	cfg, err := o.load()
	if err != nil {
		return err
	}

	// The lock comes before anything is bound: a second serve on this
	// directory stops here, whatever its listeners.
	data := datadir.Dir(dataDirOf(o.dataGiven, o.data, cfg))
	lock, err := data.Acquire()
	if err != nil {
		return err
	}
	defer lock.Release()
	// Signals wait from now on rather than end the process: a SIGHUP
	// (systemctl reload) during start-up must not stop it.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	srv, err := server.New(cfg, server.Options{DataDir: data.String(), Logger: log})
	if err != nil {
		return configError{err}
	}
	if err := srv.Start(); err != nil {
		return err
	}

	// SIGHUP and POST /reload on the control socket run this, one at a
	// time: the configuration read again from the same file or flags.
	var reloading sync.Mutex
	// The server logs the outcome (a config.reload_failed or
	// config.reloaded event), counts it, and may alert on it.
	reload := func(via string) (sites int, err error) {
		reloading.Lock()
		defer reloading.Unlock()
		log.Debug("reloading", "via", via)
		if err := srv.ReloadWith(o.load); err != nil {
			return 0, err
		}
		return len(srv.Config().Sites), nil
	}
	ctl, err := listenControl(data, control{
		reload:  func() (int, error) { return reload("portcullis reload") },
		reports: srv.Reports,
	}, log)
	if err != nil {
		log.Warn("no control socket: 'portcullis reload' cannot reach this process (SIGHUP still reloads)", "socket", data.Socket(), "err", err)
		ctl = closer(func() error { return nil })
	}
	defer ctl.Close()
	printBanner(stdout, srv, data)

	for {
		select {
		case err := <-srv.Errors():
			if err != nil {
				return err
			}
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				reload("SIGHUP")
				continue
			}
			ctl.Close() // no reload while shutting down
			timeout := srv.Config().Limits.ShutdownTimeout
			log.Info("shutting down", "signal", sig.String(), "timeout", timeout)
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			err := srv.Shutdown(ctx)
			cancel()
			if errors.Is(err, context.DeadlineExceeded) {
				log.Warn("shutdown timeout: open connections were closed")
				return nil
			}
			return err
		}
	}
}

// load builds the configuration serve runs — the file, the one-site flags
// or the zero-configuration demo, with the listener flags applied — at
// start and again at every reload.
func (o *serveFlags) load() (*config.Config, error) {
	oneSiteMode := len(o.hosts) > 0 || o.to != ""
	var cfg *config.Config
	switch {
	case o.config != "" && oneSiteMode:
		return nil, usageError{"--config and --host/--to are exclusive"}
	case !oneSiteMode && (o.cert != "" || o.key != "" || o.policy != policyDefault || len(o.securityContacts) > 0):
		return nil, usageError{"--cert, --key, --policy and --security-contact belong to the one-site mode (--host and --to); a configuration file sets them per site"}
	case o.config != "":
		c, err := config.Load(o.config)
		if err != nil {
			return nil, configError{err}
		}
		cfg = c
	case oneSiteMode:
		c, err := oneSite(o.siteFlags)
		if err != nil {
			return nil, err
		}
		// Loaded now, as the server would, so that a bad file is named
		// by its flag rather than by the site built from it.
		if c.Sites[0].Cert.Source == config.CertFiles {
			if _, err := certs.NewFileSource(o.cert, o.key, certs.FileSourceOptions{Logger: slog.New(slog.DiscardHandler)}); err != nil {
				return nil, configError{fmt.Errorf("--cert/--key: %w", err)}
			}
		}
		cfg = c
	default:
		cfg = config.Default()
		cfg.Listen.HTTPS, cfg.Listen.HTTP = demoHTTPS, demoHTTP
	}
	if o.https != "" {
		cfg.Listen.HTTPS = o.https
	}
	if o.http != "" {
		cfg.Listen.HTTP = o.http
	}
	switch o.admin {
	case "":
	case "off":
		cfg.Listen.Admin = ""
	default:
		cfg.Listen.Admin = o.admin
	}
	return cfg, nil
}

// oneSite builds the configuration of the one-site mode, as a file with
// one [[site]] (and, for --policy strict and --security-contact, the
// [defaults] below) would: so `check --deploy` judges it exactly as it
// judges that file.
func oneSite(o siteFlags) (*config.Config, error) {
	hosts, to, certFile, keyFile, policy := o.hosts, o.to, o.cert, o.key, o.policy
	if len(hosts) == 0 || to == "" {
		return nil, usageError{"--host and --to go together"}
	}
	// The default's listeners and limits, but a site of its own: none of
	// the demo site's policy applies to an arbitrary app.
	cfg := config.Default()
	site := config.Site{Name: hosts[0], Hosts: hosts, Upstream: to, Cert: config.CertSource{Source: config.AutoSource(hosts)}}
	if certFile != "" || keyFile != "" {
		site.Cert = config.CertSource{Source: config.CertFiles, Cert: certFile, Key: keyFile}
	}
	cfg.Sites = []config.Site{site}
	if policy == policyStrict {
		// [defaults.csp] nonce = true: csp.Strict() with a nonce per request.
		cfg.Defaults.CSP.Nonce = new(true)
		// [defaults.headers] corp = "same-origin".
		cfg.Defaults.Headers.CORP = new("same-origin")
		// [defaults.hsts] preload = true (a year, includeSubDomains: the
		// defaults), when a name can have HSTS at all.
		for _, h := range hosts {
			if hstsName(h) {
				cfg.Defaults.HSTS.Preload = new(true)
				break
			}
		}
	}
	if len(o.securityContacts) > 0 {
		// [defaults.security_txt] contact = [...].
		cfg.Defaults.SecurityTxt.Contact = o.securityContacts
	}
	if err := cfg.Validate(); err != nil {
		return nil, configError{fromFlags(err, policy)}
	}
	return cfg, nil
}

// hstsName reports whether browsers apply HSTS to a host: not to IP
// literals (RFC 6797 section 8.1), and shield does not send it for
// localhost names.
func hstsName(h string) bool {
	h = strings.ToLower(strings.Trim(strings.TrimPrefix(h, "."), "[]"))
	if _, err := netip.ParseAddr(h); err == nil {
		return false
	}
	return h != "localhost" && !strings.HasSuffix(h, ".localhost") && h != "*"
}

// flagOfKey names the flag that sets each configuration key of the
// one-site mode.
var flagOfKey = map[string]string{
	"name":        "--host",
	"hosts":       "--host",
	"upstream":    "--to",
	"cert.source": "--cert/--key",
	"cert.cert":   "--cert",
	"cert.key":    "--key",
}

// fromFlags rewrites the errors of a configuration built from flags to
// name the flag at fault rather than a file that does not exist.
func fromFlags(err error, policy string) error {
	var es config.Errors
	if !errors.As(err, &es) {
		return err
	}
	lines := make([]string, len(es))
	for i, e := range es {
		flag := flagOfKey[e.Key]
		if strings.HasPrefix(e.Key, "security_txt") {
			flag = "--security-contact"
		}
		switch {
		case flag != "":
			lines[i] = flag + ": " + e.Msg
		case e.Key != "" && e.Site != "":
			lines[i] = fmt.Sprintf("--policy %s: %s: %s", policy, e.Key, e.Msg)
		case e.Key != "":
			lines[i] = e.Key + ": " + e.Msg
		default:
			lines[i] = e.Msg
		}
	}
	return errors.New(strings.Join(lines, "\n"))
}

// dataDirOf is the data directory a command uses: --data when given, else
// the configuration's data_dir, else the default.
func dataDirOf(given bool, flagValue string, cfg *config.Config) string {
	if !given && cfg != nil && cfg.DataDir != "" {
		return cfg.DataDir
	}
	return flagValue
}

// newLogger returns serve's logger. Durations are written as Go writes
// them ("30s"), in JSON too, where slog would write nanoseconds.
func newLogger(w io.Writer, format string) *slog.Logger {
	opts := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Value.Kind() == slog.KindDuration {
			a.Value = slog.StringValue(a.Value.Duration().String())
		}
		return a
	}}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// printBanner says what is served where, and how to trust the local CA.
func printBanner(w io.Writer, srv *server.Server, data datadir.Dir) {
	cfg := srv.Config()
	_, httpsPort, _ := net.SplitHostPort(srv.HTTPSAddr())
	httpHost, httpPort, _ := net.SplitHostPort(srv.HTTPAddr())
	fmt.Fprintf(w, "portcullis %s serving\n", version)
	for _, s := range cfg.Sites {
		host := strings.TrimPrefix(s.Hosts[0], ".")
		up := s.Upstream
		if up == "demo" {
			up = "the built-in demo app"
		}
		fmt.Fprintf(w, "  https://%s  →  %s   (http://%s redirects)\n", urlHost(host, httpsPort, "443"), up, urlHost(host, httpPort, "80"))
	}
	where := ""
	if config.LoopbackAddr(srv.HTTPSAddr()) && config.LoopbackAddr(srv.HTTPAddr()) {
		where = ": this machine only (--https and --http listen elsewhere)"
	}
	fmt.Fprintf(w, "listening on %s (HTTPS) and %s (HTTP)%s\n", srv.HTTPSAddr(), srv.HTTPAddr(), where)
	if ca := srv.LocalCA(); ca != nil {
		fmt.Fprintf(w, "local CA root: %s\n", ca.RootPath())
		fmt.Fprintf(w, "  trust it:  curl --cacert %s https://%s/\n", ca.RootPath(), urlHost("localhost", httpsPort, "443"))
		install := "portcullis ca install"
		if data != datadir.Default() {
			install += " --data " + data.String()
		}
		fmt.Fprintf(w, "  or for this machine and its browsers: sudo %s (like mkcert -install; 'ca uninstall' undoes it)\n", install)
	}
	if ip, err := netip.ParseAddr(httpHost); err != nil || ip.IsUnspecified() {
		httpHost = "127.0.0.1"
	}
	reload := "portcullis reload"
	if data != datadir.Default() {
		reload += " --data " + data.String()
	}
	fmt.Fprintf(w, "health: http://%s%s   reload: %s (or SIGHUP)   stop: Ctrl-C (graceful)\n", urlHost(httpHost, httpPort, "80"), server.HealthPath, reload)
	if u := srv.AdminURL(); u != "" {
		fmt.Fprintf(w, "dashboard: %s/   metrics: %s%s   certificates: portcullis certs list\n", u, u, server.MetricsPath)
	}
}

// urlHost is host and port as a URL writes them: IPv6 literals in
// brackets, and no port when it is the scheme's default.
func urlHost(host, port, defaultPort string) string {
	if port == defaultPort {
		if strings.Contains(host, ":") {
			return "[" + host + "]"
		}
		return host
	}
	return net.JoinHostPort(host, port)
}
