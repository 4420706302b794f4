package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/e2e"
	"github.com/portcullis/portcullis/report"
)

func TestMain(m *testing.M) {
	code := m.Run()
	e2e.Cleanup()
	os.Exit(code)
}

// commands is every command and subcommand of the binary.
var commands = [][]string{
	{}, {"serve"}, {"check"}, {"reload"}, {"ca"}, {"ca", "path"},
	{"certs"}, {"certs", "list"}, {"certs", "check"}, {"certs", "backup"}, {"certs", "restore"},
	{"audit"}, {"csp"}, {"csp", "suggest"}, {"version"}, {"help"},
	{"completion"}, {"completion", "bash"}, {"completion", "zsh"}, {"completion", "fish"}, {"completion", "powershell"},
}

// TestHelp: -h and --help on every command, and `help CMD`, exit 0 and
// print that command's usage, once, on standard output.
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, path := range commands {
		name := strings.TrimSpace("portcullis " + strings.Join(path, " "))
		for _, args := range [][]string{append(append([]string{}, path...), "-h"), append(append([]string{}, path...), "--help")} {
			code, out, errs := e2e.Run(t, args...)
			if code != 0 || errs != "" || strings.Count(out, "Usage:") != 1 || !strings.Contains(out, "\n  "+name) {
				t.Errorf("%q: exit %d, want 0 and the usage of %q once\nstdout: %s\nstderr: %s", args, code, name, out, errs)
			}
		}
	}
	code, out, _ := e2e.Run(t, "help", "certs", "backup")
	if code != 0 || !strings.Contains(out, "portcullis certs backup --out FILE") {
		t.Errorf("help certs backup: exit %d\n%s", code, out)
	}
	// No command at all: the usage, on standard error, as a mistake.
	code, out, errs := e2e.Run(t)
	if code != 2 || out != "" || strings.Count(errs, "Usage:") != 1 {
		t.Errorf("no command: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
}

// TestCompletion: a completion script for each shell; bash's parses.
func TestCompletion(t *testing.T) {
	t.Parallel()
	for shell, marker := range map[string]string{
		"bash":       "complete -o default -F __start_portcullis portcullis",
		"zsh":        "#compdef portcullis",
		"fish":       "complete -c portcullis",
		"powershell": "Register-ArgumentCompleter -CommandName 'portcullis'",
	} {
		code, out, errs := e2e.Run(t, "completion", shell)
		if code != 0 || errs != "" || !strings.Contains(out, marker) {
			t.Errorf("completion %s: exit %d, lacks %q\nstderr: %s", shell, code, marker, errs)
		}
		if shell == "bash" {
			cmd := exec.Command(e2e.Need(t, "bash", "apt-get install bash"), "-n")
			cmd.Stdin = strings.NewReader(out)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("bash -n on the completion script: %v\n%s", err, b)
			}
		}
	}
	// What the scripts ask the binary: commands, and flag values.
	if _, out, _ := e2e.Run(t, "__complete", "ser"); !strings.HasPrefix(out, "serve\t") {
		t.Errorf("completing ser: %q", out)
	}
	if _, out, _ := e2e.Run(t, "__complete", "serve", "--policy", ""); !strings.HasPrefix(out, "default\nstrict\n") {
		t.Errorf("completing --policy: %q", out)
	}
}

// TestMistakes: a mistyped command gets a suggestion, an unknown flag an
// error naming it; neither prints the usage, both point to --help and
// exit 2.
func TestMistakes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serv"}, "portcullis: unknown command \"serv\" for \"portcullis\"; did you mean serve?\nRun 'portcullis --help' for usage.\n"},
		{[]string{"certs", "lst"}, "portcullis: unknown command \"lst\" for \"portcullis certs\"; did you mean list?\nRun 'portcullis certs --help' for usage.\n"},
		{[]string{"certs"}, "portcullis: certs needs a command: list, check, backup or restore\nRun 'portcullis certs --help' for usage.\n"},
		{[]string{"completion", "cmd"}, "portcullis: unknown command \"cmd\" for \"portcullis completion\"\nRun 'portcullis completion --help' for usage.\n"},
		{[]string{"check", "--bogus", "x.toml"}, "portcullis: unknown flag: --bogus\nRun 'portcullis check --help' for usage.\n"},
		{[]string{"check", "x.toml", "--deplyo"}, "portcullis: unknown flag: --deplyo; did you mean --deploy?\nRun 'portcullis check --help' for usage.\n"},
		{[]string{"audit", "--timeout", "soon", "example.com"}, "portcullis: invalid value \"soon\" for flag --timeout: time: invalid duration \"soon\"\nRun 'portcullis audit --help' for usage.\n"},
		{[]string{"serve", "--log", "yaml"}, "portcullis: --log \"yaml\": use text or json\nRun 'portcullis serve --help' for usage.\n"},
		{[]string{"serve", "extra", "--log", "json"}, "portcullis: serve takes no arguments (got [\"extra\"])\nRun 'portcullis serve --help' for usage.\n"},
	} {
		code, out, errs := e2e.Run(t, tc.args...)
		if code != 2 || out != "" || errs != tc.want {
			t.Errorf("%q: exit %d\nstdout: %q\nstderr: %q\n  want: %q", tc.args, code, out, errs, tc.want)
		}
	}
	// A runtime failure: no hint, exit 1.
	code, _, errs := e2e.Run(t, "ca", "path", "--data", t.TempDir())
	if code != 1 || !strings.HasPrefix(errs, "portcullis: no local CA yet") || strings.Contains(errs, "--help") {
		t.Errorf("ca path without a CA: exit %d, %q", code, errs)
	}
}

// TestFlagsAnywhere: flags after the arguments, and Go-style single-dash
// long flags, mean what they mean before them.
func TestFlagsAnywhere(t *testing.T) {
	t.Parallel()
	weak := writeConfig(t, weakTOML)
	code1, before, _ := e2e.Run(t, "check", "--deploy", weak)
	code2, after, _ := e2e.Run(t, "check", weak, "--deploy")
	code3, single, _ := e2e.Run(t, "check", "-deploy", weak)
	if code1 != 1 || !strings.Contains(before, "redirect.missing") || code2 != code1 || after != before || code3 != code1 || single != before {
		t.Errorf("check FILE --deploy: exit %d, %d, %d\n%s\n%s\n%s", code1, code2, code3, before, after, single)
	}

	// audit TARGET --ca …: the flags apply (the certificate is trusted).
	srv, caFile, httpPort := tlsSite(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<!doctype html><title>app</title>")
	})
	code, out, errs := e2e.Run(t, "audit", srv.URL, "--ca", caFile, "--format", "json", "--http-port", httpPort, "--timeout", "5s")
	var doc report.Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Targets) != 1 || doc.Targets[0].Certificate == nil || !doc.Targets[0].Certificate.Trusted {
		t.Errorf("audit TARGET --ca: exit %d, %v\n%s\n%s", code, err, out, errs)
	}

	// certs: backup's flags in any order, restore's file before them.
	data, want := makeData(t)
	recipient, identity := ageKeys(t)
	backupFile := filepath.Join(t.TempDir(), "backup.age")
	if code, out, errs := e2e.Run(t, "certs", "backup", "--recipient", recipient, "--data", data, "--out", backupFile); code != 0 {
		t.Fatalf("certs backup: exit %d\n%s%s", code, out, errs)
	}
	wipe(t, data)
	if code, out, errs := e2e.Run(t, "certs", "restore", backupFile, "--identity", identity, "--data", data); code != 0 {
		t.Fatalf("certs restore FILE --identity --data: exit %d\n%s%s", code, out, errs)
	}
	checkRestored(t, data, want)
	code, out, errs = e2e.Run(t, "certs", "list", "--format", "json", "--data", data, "--config", writeConfig(t, localSite))
	var rows []jsonRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil || code != 0 || len(rows) != 1 || rows[0].Source != "local" {
		t.Errorf("certs list --format json --data: exit %d, %v\n%s%s", code, err, out, errs)
	}
}
