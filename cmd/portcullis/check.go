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
	rep := &check.Report{Config: cfg.Path, Findings: []check.Finding{}}
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
		fmt.Fprintf(w, "%s:%d: site %q: %s %s: %s\n", rep.Config, f.Line, f.Site, f.Level, f.Rule, f.Message)
		fmt.Fprintf(w, "    fix: %s\n", f.Fix)
		if f.Django != "" {
			fmt.Fprintf(w, "    Django: %s\n", f.Django)
		}
	}
	if !deploy {
		fmt.Fprintf(w, "%s: configuration is valid (run with --deploy to check it against the security rules)\n", rep.Config)
		return
	}
	fmt.Fprintf(w, "%s: %d errors, %d warnings, %d info\n", rep.Config, rep.Errors, rep.Warnings, rep.Infos)
}
