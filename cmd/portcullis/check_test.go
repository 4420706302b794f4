package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCheckOperations: the rules about running portcullis itself, with
// and without --deploy, and how findings without a site are printed.
func TestCheckOperations(t *testing.T) {
	t.Parallel()
	exposed := writeConfig(t, `
[listen]
admin = ":9180"
admin_token = "0123456789abcdef"

[[site]]
hosts = ["localhost"]
upstream = "http://127.0.0.1:8000"
`)
	staging := writeConfig(t, `
[acme]
ca = "letsencrypt-staging"
email = "ops@example.com"

[[site]]
name = "shop"
hosts = ["shop.example.com"]
upstream = "http://127.0.0.1:8000"
[site.cert]
source = "acme"
`)
	tests := []struct {
		name    string
		args    []string
		code    int
		outHas  []string
		outLack []string
	}{
		{"admin without --deploy", []string{"check", exposed}, 0,
			[]string{"portcullis.toml: warning admin.exposed: listen.admin \":9180\"", "    fix: Bind `listen.admin` to loopback",
				"configuration is valid, with 0 errors, 1 warnings, 0 info"}, []string{"site \"\""}},
		{"admin --strict", []string{"check", "--strict", exposed}, 1, []string{"admin.exposed"}, nil},
		{"admin --deploy", []string{"check", "--deploy", exposed}, 0, []string{"warning admin.exposed"}, []string{"configuration is valid"}},
		{"staging without --deploy", []string{"check", staging}, 0, []string{"configuration is valid (run with --deploy"}, []string{"acme.staging", "alerts.missing"}},
		{"staging --deploy", []string{"check", "--deploy", staging}, 0,
			[]string{`portcullis.toml:6: site "shop": warning acme.staging: acme.ca is Let's Encrypt's staging environment`,
				"portcullis.toml: info alerts.missing: ", "portcullis.toml: info backup.missing: "}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errs)
			}
			for _, s := range tt.outHas {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.outLack {
				if strings.Contains(out, s) {
					t.Errorf("stdout has %q:\n%s", s, out)
				}
			}
		})
	}

	// In JSON, a finding about the whole file has an empty site and no line.
	code, out, _ := runCLI(t, "check", "--format", "json", exposed)
	var rep struct {
		Findings []map[string]any
		Warnings int
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || len(rep.Findings) != 1 || rep.Warnings != 1 {
		t.Fatalf("json (exit %d, %v):\n%s", code, err, out)
	}
	f := rep.Findings[0]
	if _, hasLine := f["line"]; f["rule"] != "admin.exposed" || f["site"] != "" || hasLine || f["level"] != "warning" || f["title"] == "" {
		t.Errorf("json finding %v", f)
	}
}
