// Command gen writes the Markdown rule reference rendered by
// rules.Markdown, normally to docs/rules.md:
//
//	go generate ./rules/                      # from the repository root
//	go run ./rules/internal/gen -o docs/rules.md
//	go run ./rules/internal/gen -o docs/rules.md -check   # fail if stale
//
// Without -o it writes to standard output.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/portcullis/portcullis/rules"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// run parses args and writes (or, with -check, verifies) the reference.
func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("o", "", "output file (default: standard output)")
	check := fs.Bool("check", false, "do not write; fail if the output file is not up to date")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w (usage: gen [-o FILE] [-check])", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (usage: gen [-o FILE] [-check])", fs.Arg(0))
	}
	want := rules.Markdown()
	switch {
	case *check && *out == "":
		return errors.New("-check needs -o FILE")
	case *check:
		got, err := os.ReadFile(*out)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("%s is out of date; run %s", *out, rules.RegenerateCommand)
		}
		return nil
	case *out == "":
		_, err := stdout.Write(want)
		return err
	default:
		return os.WriteFile(*out, want, 0o644)
	}
}
