package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/grade"
	"github.com/portcullis/portcullis/internal/atomicfile"
	"github.com/portcullis/portcullis/report"
	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/spki"
)

const auditUsage = `usage: portcullis audit [flags] TARGET...

TARGET is a URL (https://example.com, http://example.com:8080) or host[:port].
`

func cmdAudit(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, auditUsage); fs.PrintDefaults() }
	caFile := fs.String("ca", "", "PEM file of roots to trust instead of the system's")
	paths := fs.String("paths", "", "extra paths to fetch on every target, comma-separated (e.g. /login,/account)")
	var resolve []string
	fs.Func("resolve", "NAME:PORT:ADDR: connect to ADDR for NAME:PORT (repeatable), like curl", func(s string) error {
		resolve = append(resolve, s)
		return nil
	})
	var pins []string
	fs.Func("pin", "sha256/BASE64 SPKI pin the certificate chain must match (repeatable)", func(s string) error {
		if !spki.Valid(s) {
			return fmt.Errorf("%q is not sha256/ and the base64 of 32 bytes", s)
		}
		pins = append(pins, s)
		return nil
	})
	origin := fs.String("origin", "", "HOST[:PORT] of the origin server behind a CDN: audit it under each target's name and compare it with the edge (port: the target's HTTPS port)")
	dnsServer := fs.String("dns", "", "HOST:PORT of the DNS server asked for CAA records (default: the system's, from /etc/resolv.conf)")
	httpPort := fs.Int("http-port", 0, "plain-HTTP port of every target (default 80, or the port of an http:// target)")
	concurrency := fs.Int("concurrency", 8, "targets audited at once")
	timeout := fs.Duration("timeout", 10*time.Second, "timeout of each request")
	format := fs.String("format", "text", "output format: "+strings.Join(report.Formats(), ", "))
	out := fs.String("out", "", "write the report to this file instead of standard output")
	failUnder := fs.String("fail-under", "", "exit 1 when a target grades below this letter (A+, A, B, C, D, F)")
	progress := fs.String("progress", "auto", "show progress on standard error: auto (on a terminal, for several targets), always, never")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() == 0 {
		return usageError{"audit needs at least one target\n\n" + auditUsage}
	}
	if !slices.Contains(report.Formats(), *format) {
		return usageError{fmt.Sprintf("unknown format %q (use %s)", *format, strings.Join(report.Formats(), ", "))}
	}
	if *failUnder != "" && !grade.Valid(*failUnder) {
		return usageError{fmt.Sprintf("--fail-under %q is not a grade (A+, A, B, C, D, F)", *failUnder)}
	}
	switch *progress {
	case "auto", "always", "never":
	default:
		return usageError{fmt.Sprintf("--progress %q: use auto, always or never", *progress)}
	}
	o := audit.Options{Timeout: *timeout, Concurrency: *concurrency, Pins: pins, Resolve: map[string]string{}}
	for _, p := range strings.Split(*paths, ",") {
		if p = strings.TrimSpace(p); p != "" {
			if !strings.HasPrefix(p, "/") {
				return usageError{fmt.Sprintf("--paths: %q does not start with /", p)}
			}
			o.Paths = append(o.Paths, p)
		}
	}
	if *origin != "" {
		if err := checkHostPort(*origin, false); err != nil {
			return usageError{"--origin: " + err.Error()}
		}
		o.Origin = *origin
	}
	if *dnsServer != "" {
		if err := checkHostPort(*dnsServer, true); err != nil {
			return usageError{"--dns: " + err.Error()}
		}
		o.DNS = *dnsServer
	}
	for _, r := range resolve {
		name, addr, err := parseResolve(r)
		if err != nil {
			return usageError{err.Error()}
		}
		o.Resolve[name] = addr
	}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return err
		}
		o.Roots = x509.NewCertPool()
		if !o.Roots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s: no PEM certificate", *caFile)
		}
	}
	var targets []audit.Target
	for _, a := range fs.Args() {
		t, err := audit.ParseTarget(a)
		if err != nil {
			return usageError{err.Error()}
		}
		if *httpPort > 0 {
			t.HTTPPort = *httpPort
		}
		targets = append(targets, t)
	}

	if *progress == "always" || (*progress == "auto" && len(targets) > 1 && isTerminal(stderr)) {
		o.Progress = newAuditProgress(stderr, isTerminal(stderr)).update
	}
	reports := audit.Run(context.Background(), targets, o)

	var w io.Writer = stdout
	var buf strings.Builder
	if *out != "" {
		w = &buf
	}
	meta := report.Meta{Tool: "portcullis", Version: version, Generated: time.Now()}
	if o.Origin != "" { // the CDN rules are evaluated only with an origin to compare
		meta.Categories = append(report.DefaultCategories(), rules.CDN)
	}
	if err := report.Write(*format, w, reports, meta); err != nil {
		return err
	}
	if *out != "" {
		if err := atomicfile.Write(*out, []byte(buf.String()), 0o644); err != nil {
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
		case *failUnder != "" && !grade.AtLeast(r.Grade.Letter, *failUnder):
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "portcullis: %d of %d targets below %s, unreachable or audited only in part (see their errors)\n", failed, len(reports), cmpOr(*failUnder, "the bar"))
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
