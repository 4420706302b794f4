package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/portcullis/portcullis/check"
	"github.com/portcullis/portcullis/config"
)

func cmdCheck(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	deploy := fs.Bool("deploy", false, "evaluate the deployment rules (HSTS, redirect, cookies, headers, CSP, CORS, certificates…); without it only the config's validity is checked")
	strict := fs.Bool("strict", false, "exit non-zero on warnings too")
	format := fs.String("format", "text", "output: text or json")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() != 1 {
		return usageError{"check takes exactly one config file"}
	}
	if *format != "text" && *format != "json" {
		return usageError{fmt.Sprintf("unknown format %q (text or json)", *format)}
	}
	cfg, err := config.Load(fs.Arg(0))
	if err != nil {
		return configError{err}
	}
	rep := check.Lint(cfg)
	if *deploy {
		if rep, err = check.Run(cfg); err != nil {
			return configError{err}
		}
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		writeText(stdout, rep, *deploy)
	}
	if rep.Errors > 0 || (*strict && rep.Warnings > 0) {
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
