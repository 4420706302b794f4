package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/cert"
	"github.com/portcullis/portcullis/audit/grade"
	"github.com/portcullis/portcullis/internal/e2e"
	"github.com/portcullis/portcullis/report"
	"github.com/portcullis/portcullis/rules"
)

// writeReport writes the JSON report of one target with findings, as
// `portcullis audit --format json` would, and returns its path.
func writeReport(t *testing.T, name string, fs ...rules.Finding) string {
	t.Helper()
	rep := audit.Report{Target: "app.test", Grade: grade.Of(fs), Findings: fs, Cert: &cert.Info{Subject: "CN=app.test", Trusted: true}}
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := report.JSON(f, []audit.Report{rep}, report.Meta{Generated: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAuditDiff runs `portcullis audit --diff` on two reports of the same
// site: exit 1 with what got worse when the grade dropped and a finding
// appeared, 0 the other way round and for the same report; text and
// JSON; usage errors and a file that is not a report exit 2.
func TestAuditDiff(t *testing.T) {
	t.Parallel()
	info := rules.NewFinding("header.corp-missing", "no Cross-Origin-Resource-Policy")
	info.Target = "https://app.test/"
	hsts := rules.NewFinding("hsts.missing", "no Strict-Transport-Security header")
	hsts.Target = "https://app.test/"
	good := writeReport(t, "good.json", info)
	bad := writeReport(t, "bad.json", info, hsts)

	code, out, errs := e2e.Run(t, "audit", "--diff", good, bad)
	if code != 1 || !strings.Contains(out, "app.test: grade A+ (100/100) → B (90/100): dropped") ||
		!strings.Contains(out, "  + [medium] hsts.missing: no Strict-Transport-Security header (https://app.test/)") ||
		!strings.HasSuffix(out, "worse: 1 grade dropped, 1 finding added\n") || !strings.Contains(errs, "is worse than") {
		t.Errorf("worse: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = e2e.Run(t, "audit", "--diff", "--format", "json", bad, good)
	var d report.Diff
	if err := json.Unmarshal([]byte(out), &d); err != nil || code != 0 || d.Schema != report.DiffSchema || d.Worse || len(d.Targets) != 1 ||
		!d.Targets[0].GradeRaised || len(d.Targets[0].Removed) != 1 || d.Targets[0].Removed[0].Rule != "hsts.missing" {
		t.Errorf("better, JSON: exit %d, %v, %+v\n%s", code, err, d, errs)
	}
	outFile := filepath.Join(t.TempDir(), "diff.txt")
	code, out, _ = e2e.Run(t, "audit", "--diff", "--out", outFile, good, good)
	written, _ := os.ReadFile(outFile)
	if code != 0 || out != "" || string(written) != "app.test: grade A+ (100/100), unchanged\n  no finding added or removed\n\nnothing got worse\n" {
		t.Errorf("same: exit %d, stdout %q, file %q", code, out, written)
	}

	notReport := filepath.Join(t.TempDir(), "x.json")
	os.WriteFile(notReport, []byte(`{"schema":"something/v1"}`), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--diff", good}, "OLD.json NEW.json (got 1 arguments)"},
		{[]string{"--diff", good, bad, bad}, "(got 3 arguments)"},
		{[]string{"--diff", "--format", "markdown", good, bad}, `--diff: unknown format "markdown" (use text, json)`},
		{[]string{"--diff", "--resolve", "a:443:127.0.0.1", good, bad}, "--resolve does not apply to --diff"},
		{[]string{"--diff", good, notReport}, `x.json: schema "something/v1" is not "portcullis.audit/v1"`},
		{[]string{"--diff", good, filepath.Join(t.TempDir(), "missing.json")}, "no such file"},
	} {
		code, _, errs := e2e.Run(t, append([]string{"audit"}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, %s; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}
