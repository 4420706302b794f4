package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/internal/atomicfile"
	"github.com/portcullis/portcullis/server"
)

const pidFile = "portcullis.pid"

func cmdServe(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file (TOML); none: the embedded default (demo app on localhost)")
	dataDir := fs.String("data", defaultDataDir(), "data directory: local CA, certificates, pid file (overrides the config's data_dir)")
	httpsAddr := fs.String("https", "", "HTTPS listen address (overrides the config)")
	httpAddr := fs.String("http", "", "plain-HTTP listen address (overrides the config)")
	adminAddr := fs.String("admin", "", "admin listen address for /metrics, or \"off\" (overrides the config)")
	host := fs.String("host", "", "one-site mode: the host name to serve (with --to)")
	to := fs.String("to", "", "one-site mode: the upstream, e.g. http://127.0.0.1:8000")
	certFile := fs.String("cert", "", "one-site mode: certificate file (default: local CA for localhost names)")
	keyFile := fs.String("key", "", "one-site mode: key file")
	logFormat := fs.String("log", "text", "log format: text or json")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments (got %q)", fs.Args())}
	}
	log := newLogger(stderr, *logFormat)

	load := func() (*config.Config, error) {
		var cfg *config.Config
		switch {
		case *cfgPath != "" && (*host != "" || *to != ""):
			return nil, usageError{"--config and --host/--to are exclusive"}
		case *cfgPath != "":
			c, err := config.Load(*cfgPath)
			if err != nil {
				return nil, configError{err}
			}
			cfg = c
		case *host != "" || *to != "":
			c, err := oneSite(*host, *to, *certFile, *keyFile)
			if err != nil {
				return nil, err
			}
			cfg = c
		default:
			cfg = config.Default()
		}
		if *httpsAddr != "" {
			cfg.Listen.HTTPS = *httpsAddr
		}
		if *httpAddr != "" {
			cfg.Listen.HTTP = *httpAddr
		}
		switch *adminAddr {
		case "":
		case "off":
			cfg.Listen.Admin = ""
		default:
			cfg.Listen.Admin = *adminAddr
		}
		return cfg, nil
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	data := dataDirOf(fs, *dataDir, cfg)
	if err := atomicfile.EnsureDir(data, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	srv, err := server.New(cfg, server.Options{DataDir: data, Logger: log})
	if err != nil {
		return configError{err}
	}
	if err := srv.Start(); err != nil {
		return err
	}
	pid := filepath.Join(data, pidFile)
	if err := atomicfile.Write(pid, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		log.Warn("cannot write pid file; 'portcullis reload' will not find this process", "err", err)
	}
	defer os.Remove(pid)
	printBanner(stdout, srv)

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	for {
		select {
		case err := <-srv.Errors():
			if err != nil {
				return err
			}
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				next, err := load()
				if err == nil {
					err = srv.Reload(next)
				}
				if err != nil {
					log.Error("reload failed; the running configuration stays in service", "err", err)
				}
				continue
			}
			log.Info("shutting down", "signal", sig.String(), "timeout", srv.Config().Limits.ShutdownTimeout)
			ctx, cancel := context.WithTimeout(context.Background(), srv.Config().Limits.ShutdownTimeout)
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

// oneSite builds the configuration of the quick one-site mode.
func oneSite(host, to, certFile, keyFile string) (*config.Config, error) {
	if host == "" || to == "" {
		return nil, usageError{"--host and --to go together"}
	}
	// The default's listeners and limits, but a site of its own: none of
	// the demo site's policy applies to an arbitrary app.
	cfg := config.Default()
	site := config.Site{Name: host, Hosts: []string{host}, Upstream: to, Cert: config.CertSource{Source: config.AutoSource([]string{host})}}
	if certFile != "" || keyFile != "" {
		site.Cert = config.CertSource{Source: config.CertFiles, Cert: certFile, Key: keyFile}
	}
	cfg.Sites = []config.Site{site}
	if err := cfg.Validate(); err != nil {
		return nil, configError{err}
	}
	return cfg, nil
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// printBanner says what is served where, and how to trust the local CA.
func printBanner(w io.Writer, srv *server.Server) {
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
	if ca := srv.LocalCA(); ca != nil {
		fmt.Fprintf(w, "local CA root: %s\n", ca.RootPath())
		fmt.Fprintf(w, "  trust it:  curl --cacert %s https://%s/\n", ca.RootPath(), urlHost("localhost", httpsPort, "443"))
		fmt.Fprintf(w, "  or system-wide (Debian): sudo cp %s /usr/local/share/ca-certificates/portcullis.crt && sudo update-ca-certificates\n", ca.RootPath())
	}
	if ip, err := netip.ParseAddr(httpHost); err != nil || ip.IsUnspecified() {
		httpHost = "127.0.0.1"
	}
	fmt.Fprintf(w, "health: http://%s%s   reload: portcullis reload (or SIGHUP)   stop: Ctrl-C (graceful)\n", urlHost(httpHost, httpPort, "80"), server.HealthPath)
	if a := srv.AdminAddr(); a != "" {
		fmt.Fprintf(w, "metrics: http://%s%s   certificates: portcullis certs list\n", a, server.MetricsPath)
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

func cmdReload(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", defaultDataDir(), "data directory of the running serve")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	b, err := os.ReadFile(filepath.Join(*dataDir, pidFile))
	if err != nil {
		return fmt.Errorf("no running portcullis found: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return fmt.Errorf("pid file %s is corrupt", filepath.Join(*dataDir, pidFile))
	}
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		return fmt.Errorf("signal process %d: %w", pid, err)
	}
	fmt.Fprintf(stdout, "sent SIGHUP to portcullis (pid %d); its log says whether the reload succeeded\n", pid)
	return nil
}

func cmdCA(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "path" {
		return usageError{"usage: portcullis ca path [--data DIR]"}
	}
	fs := flag.NewFlagSet("ca path", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", defaultDataDir(), "data directory")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	p := filepath.Join(*dataDir, "ca", "root.pem")
	if _, err := os.Stat(p); err != nil {
		return fmt.Errorf("no local CA yet at %s: it is created by the first 'portcullis serve'", p)
	}
	fmt.Fprintln(stdout, p)
	return nil
}
