package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/grade"
	"github.com/portcullis/portcullis/check"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/internal/atomicfile"
	"github.com/portcullis/portcullis/report"
	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/spki"
)

// auditFlags are audit's command line.
type auditFlags struct {
	caFile, paths, origin, dnsServer, format, out, failUnder, progress, config string
	resolve, pins                                                              []string
	httpPort, concurrency                                                      int
	timeout                                                                    time.Duration
	diff                                                                       bool
}

func newAuditCmd() *cobra.Command {
	var o auditFlags
	c := &cobra.Command{
		Use:   "audit [flags] TARGET...\n  portcullis audit --diff [--format text|json] OLD.json NEW.json",
		Short: "Review a live site: redirects, HSTS, headers, CSP, cookies, certificate, security.txt; graded",
		Long: `audit reviews live sites as a security reviewer would and grades each from A+ to F, with the
observed evidence for every point lost (docs/audit.md).

TARGET is a URL (https://example.com, http://example.com:8080) or host[:port].

Exit status: 0 every target audited in full (and at or above --fail-under); 1 a target unreachable,
audited only in part, or below --fail-under; 2 a usage error.

With --diff, audit compares two reports of --format json instead: per target, the grade's change and
the findings added and removed (a finding is its rule, where it was found and its severity). Exit
status: 0 nothing got worse; 1 a grade dropped or a finding was added; 2 a usage error or a file
that is not a JSON report.`,
		Example: `  portcullis audit https://example.com
  portcullis audit https://app.test/ --resolve app.test:443:127.0.0.1 --ca root.pem --format json --fail-under A+
  portcullis audit --diff yesterday.json today.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if o.diff {
				if len(args) != 2 {
					return usageError{fmt.Sprintf("audit --diff compares two JSON reports: OLD.json NEW.json (got %d arguments)", len(args))}
				}
				return nil
			}
			if len(args) == 0 {
				return usageError{"audit needs at least one target: a URL (https://example.com) or host[:port]"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.diff {
				for _, name := range []string{"ca", "paths", "resolve", "pin", "origin", "dns", "http-port", "concurrency", "timeout", "fail-under", "progress", "config"} {
					if cmd.Flags().Changed(name) {
						return usageError{fmt.Sprintf("--%s does not apply to --diff (only --format and --out do)", name)}
					}
				}
				return runAuditDiff(o, args[0], args[1], cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			return runAudit(o, args, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := c.Flags()
	f.StringVar(&o.caFile, "ca", "", "PEM file of roots to trust instead of the system's")
	f.StringVar(&o.paths, "paths", "", "extra paths to fetch on every target, comma-separated (e.g. /login,/account)")
	f.StringArrayVar(&o.resolve, "resolve", nil, "NAME:PORT:ADDR: connect to ADDR for NAME:PORT (repeatable), like curl")
	f.Func("pin", "sha256/BASE64 SPKI pin the certificate chain must match (repeatable)", func(s string) error {
		if !spki.Valid(s) {
			return fmt.Errorf("%q is not sha256/ and the base64 of 32 bytes", s)
		}
		o.pins = append(o.pins, s)
		return nil
	})
	f.StringVar(&o.origin, "origin", "", "HOST[:PORT] of the origin server behind a CDN: audit it under each target's name and compare it with the edge (port: the target's HTTPS port)")
	f.StringVar(&o.dnsServer, "dns", "", "HOST:PORT of the DNS server asked for CAA records (default: the system's, from /etc/resolv.conf)")
	f.IntVar(&o.httpPort, "http-port", 0, "plain-HTTP port of every target (default 80, or the port of an http:// target)")
	f.IntVar(&o.concurrency, "concurrency", 8, "targets audited at once")
	f.DurationVar(&o.timeout, "timeout", 10*time.Second, "timeout of each request")
	f.StringVar(&o.format, "format", "text", "output format: "+strings.Join(report.Formats(), ", "))
	f.StringVar(&o.out, "out", "", "write the report to this file instead of standard output")
	f.StringVar(&o.failUnder, "fail-under", "", "exit 1 when a target grades below this letter (A+, A, B, C, D, F)")
	f.StringVar(&o.progress, "progress", "auto", "show progress on standard error: auto (on a terminal, for several targets), always, never")
	f.BoolVar(&o.diff, "diff", false, "compare two JSON reports, OLD.json NEW.json: grades, findings added and removed; exit 1 when something got worse")
	f.StringVar(&o.config, "config", "", "the portcullis.toml serving the targets: the review's \"Considerations for production\" then say what it configures (renewal, alerts, backups, monitoring), from `check --deploy`")
	c.MarkFlagFilename("config", "toml")
	c.MarkFlagFilename("ca", "pem", "crt")
	c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(report.Formats(), cobra.ShellCompDirectiveNoFileComp))
	c.RegisterFlagCompletionFunc("fail-under", cobra.FixedCompletions([]string{"A+", "A", "B", "C", "D", "F"}, cobra.ShellCompDirectiveNoFileComp))
	c.RegisterFlagCompletionFunc("progress", cobra.FixedCompletions([]string{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func runAudit(f auditFlags, args []string, stdout, stderr io.Writer) error {
	if !slices.Contains(report.Formats(), f.format) {
		return usageError{fmt.Sprintf("unknown format %q (use %s)", f.format, strings.Join(report.Formats(), ", "))}
	}
	if f.failUnder != "" && !grade.Valid(f.failUnder) {
		return usageError{fmt.Sprintf("--fail-under %q is not a grade (A+, A, B, C, D, F)", f.failUnder)}
	}
	switch f.progress {
	case "auto", "always", "never":
	default:
		return usageError{fmt.Sprintf("--progress %q: use auto, always or never", f.progress)}
	}
	// The configuration first: a bad file fails before the audit runs.
	var checked *check.Report
	if f.config != "" {
		cfg, err := config.Load(f.config)
		if err != nil {
			return configError{err}
		}
		if checked, err = check.Run(cfg); err != nil {
			return configError{err}
		}
	}
	o := audit.Options{Timeout: f.timeout, Concurrency: f.concurrency, Pins: f.pins, Resolve: map[string]string{}}
	for _, p := range strings.Split(f.paths, ",") {
		if p = strings.TrimSpace(p); p != "" {
			if !strings.HasPrefix(p, "/") {
				return usageError{fmt.Sprintf("--paths: %q does not start with /", p)}
			}
			o.Paths = append(o.Paths, p)
		}
	}
	if f.origin != "" {
		if err := checkHostPort(f.origin, false); err != nil {
			return usageError{"--origin: " + err.Error()}
		}
		o.Origin = f.origin
	}
	if f.dnsServer != "" {
		if err := checkHostPort(f.dnsServer, true); err != nil {
			return usageError{"--dns: " + err.Error()}
		}
		o.DNS = f.dnsServer
	}
	for _, r := range f.resolve {
		name, addr, err := parseResolve(r)
		if err != nil {
			return usageError{err.Error()}
		}
		o.Resolve[name] = addr
	}
	if f.caFile != "" {
		pem, err := os.ReadFile(f.caFile)
		if err != nil {
			return err
		}
		o.Roots = x509.NewCertPool()
		if !o.Roots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s: no PEM certificate", f.caFile)
		}
	}
	var targets []audit.Target
	for _, a := range args {
		t, err := audit.ParseTarget(a)
		if err != nil {
			return usageError{err.Error()}
		}
		if f.httpPort > 0 {
			t.HTTPPort = f.httpPort
		}
		targets = append(targets, t)
	}

	if f.progress == "always" || (f.progress == "auto" && len(targets) > 1 && isTerminal(stderr)) {
		o.Progress = newAuditProgress(stderr, isTerminal(stderr)).update
	}
	reports := audit.Run(context.Background(), targets, o)

	var w io.Writer = stdout
	var buf strings.Builder
	if f.out != "" {
		w = &buf
	}
	meta := report.Meta{Tool: "portcullis", Version: version, Generated: time.Now()}
	if o.Origin != "" { // the CDN rules are evaluated only with an origin to compare
		meta.Categories = append(report.DefaultCategories(), rules.CDN)
	}
	meta.Check = checked
	if err := report.Write(f.format, w, reports, meta); err != nil {
		return err
	}
	if f.out != "" {
		if err := atomicfile.Write(f.out, []byte(buf.String()), 0o644); err != nil {
			return err
		}
	}
	failed := 0
	for _, r := range reports {
		switch {
		case !report.Audited(r): // nothing could be audited
			failed++
		case len(r.Errors) > 0: // audited in part: the grade leaves out what failed
			failed++
		case f.failUnder != "" && !grade.AtLeast(r.Grade.Letter, f.failUnder):
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "portcullis: %d of %d targets below %s, unreachable or audited only in part (see their errors)\n", failed, len(reports), cmpOr(f.failUnder, "the bar"))
		return exitCode(1)
	}
	return nil
}

// runAuditDiff compares the JSON reports in the files old and new.
func runAuditDiff(f auditFlags, oldPath, newPath string, stdout, stderr io.Writer) error {
	if !slices.Contains(report.DiffFormats(), f.format) {
		return usageError{fmt.Sprintf("--diff: unknown format %q (use %s)", f.format, strings.Join(report.DiffFormats(), ", "))}
	}
	var docs [2]report.Document
	for i, path := range []string{oldPath, newPath} {
		fh, err := os.Open(path)
		if err != nil {
			return configError{err}
		}
		docs[i], err = report.ReadDocument(fh)
		fh.Close()
		if err != nil {
			return configError{fmt.Errorf("%s: %w", path, err)}
		}
	}
	d := report.DiffDocuments(docs[0], docs[1])
	var w io.Writer = stdout
	var buf strings.Builder
	if f.out != "" {
		w = &buf
	}
	if err := report.WriteDiff(f.format, w, d); err != nil {
		return err
	}
	if f.out != "" {
		if err := atomicfile.Write(f.out, []byte(buf.String()), 0o644); err != nil {
			return err
		}
	}
	if d.Worse {
		fmt.Fprintf(stderr, "portcullis: %s is worse than %s (a grade dropped or a finding was added)\n", newPath, oldPath)
		return exitCode(1)
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// checkHostPort checks HOST[:PORT] (HOST:PORT when portRequired); an
// IPv6 address is bracketed.
func checkHostPort(s string, portRequired bool) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		if portRequired || strings.Contains(strings.Trim(s, "[]"), ":") && !strings.HasPrefix(s, "[") {
			return fmt.Errorf("%q: want HOST:PORT, e.g. 192.0.2.10:443 or [2001:db8::1]:443", s)
		}
		host, port = strings.Trim(s, "[]"), "443"
	}
	if n, err := strconv.Atoi(port); host == "" || err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: want HOST:PORT with a port from 1 to 65535", s)
	}
	return nil
}

// parseResolve reads NAME:PORT:ADDR (ADDR may be a bracketed IPv6).
func parseResolve(s string) (string, string, error) {
	bad := errors.New("--resolve " + s + ": want NAME:PORT:ADDR, e.g. example.com:443:127.0.0.1")
	name, rest, ok := strings.Cut(s, ":")
	if !ok || name == "" {
		return "", "", bad
	}
	port, addr, ok := strings.Cut(rest, ":")
	if !ok || port == "" || addr == "" {
		return "", "", bad
	}
	return strings.ToLower(name) + ":" + port, strings.Trim(addr, "[]"), nil
}
