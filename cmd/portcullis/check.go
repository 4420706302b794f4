package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/check"
	"github.com/portcullis/portcullis/config"
)

func newCheckCmd() *cobra.Command {
	var deploy, strict bool
	var format string
	c := &cobra.Command{
		Use:   "check [flags] FILE",
		Short: "Lint a config before deploy (like Django's check --deploy)",
		Long: `check validates a configuration file; with --deploy it also judges each site's policy against
the rule catalog, as a reviewer would (docs/serve.md#portcullis-check).

Exit status: 0 clean; 1 errors (high severity), or warnings with --strict; 2 an invalid file or
command line.`,
		Example: `  portcullis check portcullis.toml
  portcullis check portcullis.toml --deploy --strict --format json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{"check takes exactly one config file"}
			}
			return nil
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"toml"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCheck(cmd.OutOrStdout(), args[0], deploy, strict, format)
		},
	}
	f := c.Flags()
	f.BoolVar(&deploy, "deploy", false, "evaluate the deployment rules (HSTS, redirect, cookies, headers, CSP, CORS, certificates…); without it only the config's validity is checked")
	f.BoolVar(&strict, "strict", false, "exit non-zero on warnings too")
	f.StringVar(&format, "format", "text", "output: text or json")
	c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func runCheck(stdout io.Writer, file string, deploy, strict bool, format string) error {
	if format != "text" && format != "json" {
		return usageError{fmt.Sprintf("unknown format %q (text or json)", format)}
	}
	cfg, err := config.Load(file)
	if err != nil {
		return configError{err}
	}
	rep := check.Lint(cfg)
	if deploy {
		if rep, err = check.Run(cfg); err != nil {
			return configError{err}
		}
	}
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		writeText(stdout, rep, deploy)
	}
	if rep.Errors > 0 || (strict && rep.Warnings > 0) {
		return exitCode(1)
	}
	return nil
}

func writeText(w io.Writer, rep *check.Report, deploy bool) {
	for _, f := range rep.Findings {
		// A finding about the whole configuration has no line and no site.
		where := rep.Config + ":"
		if f.Line > 0 {
			where += fmt.Sprintf("%d:", f.Line)
		}
		if f.Site != "" {
			where += fmt.Sprintf(" site %q:", f.Site)
		}
		fmt.Fprintf(w, "%s %s %s: %s\n", where, f.Level, f.Rule, f.Message)
		fmt.Fprintf(w, "    fix: %s\n", f.Fix)
		if f.Django != "" {
			fmt.Fprintf(w, "    Django: %s\n", f.Django)
		}
	}
	counts := fmt.Sprintf("%d errors, %d warnings, %d info", rep.Errors, rep.Warnings, rep.Infos)
	if !deploy {
		if len(rep.Findings) > 0 {
			fmt.Fprintf(w, "%s: configuration is valid, with %s (run with --deploy to check it against the security rules)\n", rep.Config, counts)
			return
		}
		fmt.Fprintf(w, "%s: configuration is valid (run with --deploy to check it against the security rules)\n", rep.Config)
		return
	}
	fmt.Fprintf(w, "%s: %s\n", rep.Config, counts)
}
