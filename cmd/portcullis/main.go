// Command portcullis puts any web application behind HTTPS the way a
// security reviewer wants it.
//
//	portcullis serve [--config FILE | --host NAME... --to URL] [--data DIR]   TLS reverse proxy applying shield
//	portcullis check [--deploy] [--strict] [--format text|json] FILE
//	portcullis reload [--data DIR]                  reload a running serve, and say whether it worked
//	portcullis ca path [--data DIR]                 print the local CA root to trust
//	portcullis ca install|uninstall [--data DIR]    trust it in the system's store and the browsers'
//	portcullis certs list|check|backup|restore      certificates: expiry, backups
//	portcullis audit [flags] TARGET...              the security review of a live site, graded
//	portcullis reports [--data DIR]                 CSP and other browser reports, aggregated
//	portcullis csp suggest [flags] [URL...]         a strict CSP from the reports collected and a crawl
//	portcullis completion bash|zsh|fish|powershell  shell completion script
//	portcullis version
//
// The command line is parsed by cobra: flags may come before or after the
// arguments, `-h`/`--help` on any command prints its usage, and a
// mistyped command gets a suggestion. Go-style single-dash long flags
// (`-deploy`) from earlier versions are still accepted.
//
// Exit status, for every command:
//
//	0  success
//	1  findings (check, certs check, audit below the bar) or a runtime
//	   failure: a reload the server refused, no server to reload, a data
//	   directory another serve holds, an unreachable target…
//	2  a usage error (unknown command or flag, bad flag value, missing
//	   argument), which also prints "Run 'portcullis CMD --help' for
//	   usage.", or a configuration error (the file or the flags describe
//	   something that cannot run)
//
// Errors are printed as "portcullis: <message>" on standard error, never
// followed by the usage.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/portcullis/portcullis/internal/suggest"
	buildinfo "github.com/portcullis/portcullis/internal/version"
)

// version is the binary's version ("v1.2.3", or "devel" for a build from
// a work tree), for banners and reports; `portcullis version` says more.
var version = buildinfo.Get().Version

// usageError is a command-line mistake: exit status 2, and a hint to
// the command's --help.
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

func init() {
	// Commands are listed in the order they are added, which is the
	// order a user meets them, not alphabetically.
	cobra.EnableCommandSorting = false
}

// run executes the command line args and returns the exit status. Each
// call builds its own command tree, so tests may call it concurrently.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(doubleDash(root, args))
	cmd, err := root.ExecuteC()
	if cmd == nil {
		cmd = root
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
		fmt.Fprintf(stderr, "portcullis: %s\nRun '%s --help' for usage.\n", ue.msg, cmd.CommandPath())
		return 2
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "portcullis: %s\n", ce.err)
		return 2
	default:
		fmt.Fprintf(stderr, "portcullis: %s\n", err)
		return 1
	}
}

// newRoot builds the command tree.
func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "portcullis",
		Short: "Put any web application behind HTTPS the way a security reviewer wants it",
		Long: `portcullis puts any web application behind HTTPS the way a security reviewer wants it — and
proves it: serve is the TLS reverse proxy applying the hardening, check lints its configuration
before deploy, audit reviews a live site and grades it.

With no configuration, 'portcullis serve' runs the built-in demo app on https://localhost:8443.`,
		Version:       buildinfo.Get().String(),
		Args:          noSubcommand,
		SilenceErrors: true, // run prints them, once, its own way
		SilenceUsage:  true, // an error is not a reason to print the usage
		RunE: func(cmd *cobra.Command, args []string) error {
			// No command: the usage, on standard error, as a mistake.
			cmd.SetOut(cmd.ErrOrStderr())
			cmd.Help()
			return exitCode(2)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetUsageTemplate(usageTemplate)
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(
		newServeCmd(),
		newCheckCmd(),
		newReloadCmd(),
		newCACmd(),
		newCertsCmd(),
		newAuditCmd(),
		newReportsCmd(),
		newCSPCmd(),
		&cobra.Command{
			Use:   "version",
			Short: "Print the version, VCS revision, Go version and platform",
			Args:  noArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				fmt.Fprintln(cmd.OutOrStdout(), buildinfo.Get())
				return nil
			},
		},
	)
	// cobra's completion command groups one command per shell: a group
	// like ca and certs.
	root.InitDefaultCompletionCmd()
	if c, _, err := root.Find([]string{"completion"}); err == nil && c != root {
		c.Args, c.RunE = noSubcommand, needsCommand
	}
	return root
}

// usageTemplate is cobra's, except that a command grouping others (ca,
// certs) shows one usage line, "portcullis certs <command>", rather
// than both its own and its subcommands'.
const usageTemplate = `Usage:{{if .HasAvailableSubCommands}}
  {{.CommandPath}} <command>{{if .HasAvailableLocalFlags}} [flags]{{end}}{{else if .Runnable}}
  {{.UseLine}}{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

Flags:
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

Global Flags:
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableSubCommands}}

Use "{{.CommandPath}} <command> --help" for more information about a command.{{end}}
`

// group returns a command that only groups subcommands (ca, certs): run
// without one, or with an unknown one, it is a usage error.
func group(use, short, long string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  noSubcommand,
		RunE:  needsCommand,
	}
	c.AddCommand(subs...)
	return c
}

// needsCommand is the RunE of commands that group others: run alone, it
// is a usage error.
func needsCommand(cmd *cobra.Command, _ []string) error {
	var names []string
	for _, s := range cmd.Commands() {
		if s.IsAvailableCommand() {
			names = append(names, s.Name())
		}
	}
	return usageError{fmt.Sprintf("%s needs a command: %s", cmd.Name(), orList(names))}
}

// noSubcommand is the Args of commands that group others: any argument
// left is a subcommand that does not exist.
func noSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	cmd.SuggestionsMinimumDistance = 2 // cobra's own default, which it sets only when it suggests
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + orList(s) + "?"
	}
	return usageError{msg}
}

// noArgs is the Args of commands that take none.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		name := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
		return usageError{fmt.Sprintf("%s takes no arguments (got %q)", name, args)}
	}
	return nil
}

// orList writes "a", "a or b", "a, b or c".
func orList(s []string) string {
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// flagError turns pflag's errors into usage errors, naming the flag as
// it is written (--warn) and suggesting the flag a typo meant.
func flagError(cmd *cobra.Command, err error) error {
	var invalid *pflag.InvalidValueError
	var unknown *pflag.NotExistError
	switch {
	case errors.As(err, &invalid):
		return usageError{fmt.Sprintf("invalid value %q for flag --%s: %v", invalid.GetValue(), invalid.GetFlag().Name, invalid.Unwrap())}
	case errors.As(err, &unknown) && len(unknown.GetSpecifiedName()) > 1:
		msg := err.Error()
		var close []string
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && suggest.Distance(f.Name, unknown.GetSpecifiedName()) <= 2 {
				close = append(close, "--"+f.Name)
			}
		})
		if len(close) > 0 {
			msg += "; did you mean " + orList(close) + "?"
		}
		return usageError{msg}
	}
	return usageError{err.Error()}
}

// doubleDash rewrites the Go-flag spelling of a long flag ("-deploy",
// "-warn=14d"), which earlier versions of portcullis accepted, into
// pflag's ("--deploy"), for the flags of the command args name. Anything
// else is left alone: a single dash followed by one letter is a
// shorthand (-h), and values are never flags' names.
func doubleDash(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		return args
	}
	cmd.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	known := func(name string) bool {
		return cmd.Flags().Lookup(name) != nil || cmd.InheritedFlags().Lookup(name) != nil ||
			(cmd == root && name == "version")
	}
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			if name, _, _ := strings.Cut(a[1:], "="); len(name) > 1 && known(name) {
				a = "-" + a
			}
		}
		out = append(out, a)
	}
	return out
}
