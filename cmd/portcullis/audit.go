package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/cert"
	"github.com/portcullis/portcullis/audit/grade"
	"github.com/portcullis/portcullis/internal/atomicfile"
	"github.com/portcullis/portcullis/report"
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
		if !cert.ValidPin(s) {
			return fmt.Errorf("%q is not sha256/ and the base64 of 32 bytes", s)
		}
		pins = append(pins, s)
		return nil
	})
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
