// Command portcullis puts any web application behind HTTPS the way a
// security reviewer wants it.
//
//	portcullis serve [--config FILE] [--data DIR]   TLS reverse proxy applying shield
//	portcullis check [--deploy] [--strict] [--format text|json] FILE
//	portcullis reload [--data DIR]                  reload a running serve (SIGHUP)
//	portcullis ca path [--data DIR]                 print the local CA root to trust
//	portcullis certs list|check|backup|restore      certificates: expiry, backups
//	portcullis audit [flags] TARGET...              the security review of a live site, graded
//	portcullis version
//
// Exit status: 0 success, 1 findings (check, certs check) or runtime failure, 2 usage
// or configuration error.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	buildinfo "github.com/portcullis/portcullis/internal/version"
)

// version is the binary's version ("v1.2.3", or "devel" for a build from
// a work tree), for banners and reports; `portcullis version` says more.
var version = buildinfo.Get().Version

// usageError is a command-line mistake: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// configError is a configuration the command cannot use: exit status 2.
type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }
func (e configError) Unwrap() error { return e.err }

// exitCode is returned by a command that wants a specific exit status
// (check with findings) after printing its own output.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: portcullis <command> [flags]

commands:
  serve    run the HTTPS front door (no config: the demo app on https://localhost:8443)
  check    lint a config before deploy (like Django's check --deploy)
  reload   make a running serve reload its config
  ca path  print the path of the local CA root certificate to trust
  certs    list certificates, check expiry (cron/CI), back up and restore keys
  audit    review a live site: redirects, HSTS, headers, CSP, cookies, certificate, security.txt; graded
  version  print the version

'portcullis <command> -h' shows a command's flags.
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(args[1:], stdout, stderr)
	case "check":
		err = cmdCheck(args[1:], stdout, stderr)
	case "reload":
		err = cmdReload(args[1:], stdout, stderr)
	case "ca":
		err = cmdCA(args[1:], stdout, stderr)
	case "certs":
		err = cmdCerts(args[1:], stdout, stderr)
	case "audit":
		err = cmdAudit(args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, buildinfo.Get())
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	var code exitCode
	var ue usageError
	var ce configError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "portcullis: %s\n\n%s", ue.msg, usage)
		return 2
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "portcullis: %s\n", ce.err)
		return 2
	default:
		fmt.Fprintf(stderr, "portcullis: %s\n", err)
		return 1
	}
}

// defaultDataDir is $XDG_DATA_HOME/portcullis, else
// ~/.local/share/portcullis.
func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "portcullis")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "portcullis")
	}
	return "portcullis-data"
}
