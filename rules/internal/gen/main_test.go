package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/rules"
)

func TestRunWritesAndChecks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.md")

	if err := run([]string{"-o", path, "-check"}, nil); err == nil {
		t.Fatal("-check on a missing file succeeded")
	}
	if err := run([]string{"-o", path}, nil); err != nil {
		t.Fatalf("write: %v", err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, rules.Markdown()) {
		t.Fatal("written file differs from rules.Markdown()")
	}
	if err := run([]string{"-o", path, "-check"}, nil); err != nil {
		t.Fatalf("-check on a fresh file: %v", err)
	}

	if err := os.WriteFile(path, append(got, "stale\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	err = run([]string{"-o", path, "-check"}, nil)
	if err == nil || !strings.Contains(err.Error(), rules.RegenerateCommand) {
		t.Fatalf("-check on a stale file: got %v, want an error naming %q", err, rules.RegenerateCommand)
	}
}

func TestRunStdout(t *testing.T) {
	var buf bytes.Buffer
	if err := run(nil, &buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), rules.Markdown()) {
		t.Fatal("stdout output differs from rules.Markdown()")
	}
}

func TestRunBadArgs(t *testing.T) {
	for _, args := range [][]string{
		{"-check"},
		{"-nope"},
		{"extra"},
		{"-o"},
	} {
		if err := run(args, &bytes.Buffer{}); err == nil {
			t.Errorf("run(%q) succeeded, want an error", args)
		}
	}
}
