// Package audit holds bench/audit/run.sh, which times `portcullis audit`
// against testssl.sh on a loopback server; this test only checks that the
// script parses, since running it takes minutes.
package audit

import (
	"os/exec"
	"testing"
)

func TestScriptParses(t *testing.T) {
	out, err := exec.Command("bash", "-n", "run.sh").CombinedOutput()
	if err != nil {
		t.Fatalf("bash -n run.sh: %v\n%s", err, out)
	}
}
