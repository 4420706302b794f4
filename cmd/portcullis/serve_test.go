package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/check"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/internal/e2e"
)

// TestServeFlagErrors: the mistakes of serve's command line, and the
// errors of a configuration built from flags, which name the flag at
// fault rather than a file and line 0. Nothing is bound or locked.
func TestServeFlagErrors(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	missing := filepath.Join(t.TempDir(), "nope-key.pem")
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"--host", "bad host", "--to", "x"}, 2, []string{
			"portcullis: --to: \"x\" has no scheme: write e.g. \"http://x\"\n",
			"\n--host: host pattern \"bad host\": not a host name, IP address, .domain pattern or \"*\"\n"}},
		{[]string{"--host", "app.example.com", "--to", "http://127.0.0.1:8000", "--cert", "app.pem"}, 2, []string{"portcullis: --key: missing: "}},
		{[]string{"--host", "app.example.com", "--to", "http://127.0.0.1:8000", "--cert", "app.pem", "--key", missing}, 2,
			[]string{"portcullis: --cert/--key: ", missing}},
		{[]string{"--host", "app.example.com"}, 2, []string{"--host and --to go together", "Run 'portcullis serve --help' for usage."}},
		{[]string{"--cert", "app.pem", "--key", "app-key.pem"}, 2, []string{"--cert, --key, --policy and --security-contact belong to the one-site mode"}},
		{[]string{"--policy", "strict"}, 2, []string{"--policy and --security-contact belong to the one-site mode"}},
		{[]string{"--host", "a.example", "--to", "http://127.0.0.1:1", "--security-contact", "bogus"}, 2, []string{"portcullis: --security-contact: ", "\"bogus\" is not a URI"}},
		{[]string{"--host", "a.example", "--to", "http://127.0.0.1:1", "--policy", "loose"}, 2, []string{"--policy \"loose\": use default or strict"}},
		{[]string{"--config", "x.toml", "--host", "a.example", "--to", "http://127.0.0.1:1"}, 2, []string{"--config and --host/--to are exclusive"}},
		{[]string{"--log", "yaml"}, 2, []string{"--log \"yaml\": use text or json\nRun 'portcullis serve --help' for usage.\n"}},
	} {
		code, out, errs := runCLI(t, append(append([]string{"serve"}, tc.args...), "--data", data)...)
		if code != tc.code || out != "" {
			t.Errorf("%q: exit %d, want %d\n%s%s", tc.args, code, tc.code, out, errs)
		}
		for _, w := range tc.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%q: stderr lacks %q:\n%s", tc.args, w, errs)
			}
		}
		if strings.Contains(errs, ":0:") || strings.Contains(errs, "config:") {
			t.Errorf("%q: a file and line where there is none:\n%s", tc.args, errs)
		}
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("a refused serve created its data directory: %v", err)
	}
}

// TestServeListeners: the zero-configuration demo listens on loopback
// unless --https/--http say otherwise; the one-site mode and a file
// listen where their defaults say.
func TestServeListeners(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		flags       serveFlags
		https, http string
	}{
		{serveFlags{}, "127.0.0.1:8443", "127.0.0.1:8080"},
		{serveFlags{https: ":8443"}, ":8443", "127.0.0.1:8080"},
		{serveFlags{https: "[::1]:443", http: "0.0.0.0:80"}, "[::1]:443", "0.0.0.0:80"},
		{serveFlags{siteFlags: siteFlags{hosts: []string{"app.localhost"}, to: "http://127.0.0.1:8000"}}, ":8443", ":8080"},
	} {
		o := tc.flags
		o.policy = policyDefault
		cfg, err := o.load()
		if err != nil || cfg.Listen.HTTPS != tc.https || cfg.Listen.HTTP != tc.http {
			t.Errorf("%+v: %v, listening on %q and %q; want %q and %q", tc.flags, err, cfg.Listen.HTTPS, cfg.Listen.HTTP, tc.https, tc.http)
		}
	}
}

// TestPolicyStrict: --policy strict is what a file's [defaults] would
// say, so `check --deploy` judges both alike; HSTS preload only for
// names that can have HSTS.
func TestPolicyStrict(t *testing.T) {
	t.Parallel()
	file := writeConfig(t, `
[defaults.csp]
nonce = true
[defaults.headers]
corp = "same-origin"
[defaults.hsts]
preload = true

[[site]]
hosts = ["app.example.com"]
upstream = "http://127.0.0.1:8000"
[site.cert]
source = "files"
cert = "app.pem"
key = "app-key.pem"
`)
	dir := filepath.Dir(file)
	flags, err := oneSite(siteFlags{hosts: []string{"app.example.com"}, to: "http://127.0.0.1:8000", cert: filepath.Join(dir, "app.pem"), key: filepath.Join(dir, "app-key.pem"), policy: policyStrict})
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	rules := func(cfg *config.Config) []string {
		rep, err := check.Run(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, f := range rep.Findings {
			ids = append(ids, string(f.Level)+" "+f.Rule)
		}
		slices.Sort(ids)
		return ids
	}
	got, want := rules(flags), rules(fromFile)
	if !slices.Equal(got, want) {
		t.Errorf("check --deploy of --policy strict:\n%q\nof the same [defaults] in a file:\n%q", got, want)
	}
	for _, id := range got {
		if strings.Contains(id, "csp.") || strings.Contains(id, "hsts.") || strings.Contains(id, "corp") {
			t.Errorf("--policy strict leaves %s", id)
		}
	}
	opts, err := flags.ShieldOptions(&flags.Sites[0])
	if err != nil || !opts.CSP.Nonce || !opts.HSTS.Preload || opts.Headers.CrossOriginResourcePolicy.Value != "same-origin" {
		t.Errorf("shield options %+v, %v", opts, err)
	}

	local, err := oneSite(siteFlags{hosts: []string{"app.localhost", "127.0.0.1"}, to: "http://127.0.0.1:8000", policy: policyStrict})
	if err != nil || local.Defaults.HSTS.Preload != nil || local.Defaults.CSP.Nonce == nil {
		t.Errorf("--policy strict for localhost names: %v, %+v", err, local.Defaults)
	}
	both, err := oneSite(siteFlags{hosts: []string{"app.localhost", "app.example.com"}, to: "http://127.0.0.1:8000", cert: "x.pem", key: "x-key.pem", policy: policyStrict})
	if err != nil || both.Defaults.HSTS.Preload == nil || !*both.Defaults.HSTS.Preload || len(both.Sites) != 1 || len(both.Sites[0].Hosts) != 2 {
		t.Errorf("--host app.localhost --host app.example.com: %v, %+v", err, both)
	}
}

// TestCrossBuild: the binary builds for Windows and macOS (no Unix-only
// call such as syscall.Kill in it).
func TestCrossBuild(t *testing.T) {
	t.Parallel()
	goBin := e2e.Need(t, "go", "install Go")
	for _, target := range [][2]string{{"windows", "amd64"}, {"darwin", "arm64"}} {
		cmd := exec.Command(goBin, "build", "-o", os.DevNull, "./cmd/portcullis")
		cmd.Dir = e2e.Root()
		cmd.Env = append(os.Environ(), "GOOS="+target[0], "GOARCH="+target[1], "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("GOOS=%s GOARCH=%s go build ./cmd/portcullis: %v\n%s", target[0], target[1], err, out)
		}
	}
}
