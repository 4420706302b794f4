package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/shield"
)

// FuzzParse checks that Parse never panics; that every problem is one line
// starting with the file name and a line inside the file; that parsing is
// deterministic; and that an accepted configuration validates again, is
// normalized (CA names mapped to URLs, the fallback's email inherited,
// thresholds sorted longest first, allowed names lower-cased, no "off"
// admin address) and gives every site options shield.New accepts.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.toml")
	bad, _ := filepath.Glob("testdata/bad/*.toml")
	for _, p := range append(files, bad...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"[[site]]\nhosts = \"a.example\"\nupstream = \"demo\"\n",
		"site = [{hosts = [\"a\"], upstream = \"demo\"}, {hosts = [\"a\"], upstream = \"demo\"}]",
		"[[site]]\nhosts = [\"a\"]\nupstream = \"demo\"\n[[site.policy]]\n",
		"[[site]]\n[[site]]\n[site.policy.hsts]\nmax_age = 99999999999999999\n",
		"[defaults]\npermissions_policy = \"camera=()\"\n[[site]]\nhosts=[\"x\"]\nupstream=\"unix:/s\"\n",
		"\"a.b\" = 1\na.\"b\\u0000c\" = 2\n[\"site\"]\n",
		"[limits]\nmax_body_bytes = \"9223372036854775807\"\nmax_header_bytes = 99999999999\n",
		"[listen]\nadmin = \"off\"\n[monitor]\nthresholds = [\"1d\", \"30d\", 60]\n[[site]]\nhosts = [\"a\"]\nupstream = \"demo\"\n",
		"[acme]\nca = \"ZeroSSL\"\nemail = \"a@b\"\neab_key_id = \"k\"\neab_mac_key = \"a2V5\"\n[acme.fallback]\nca = \"letsencrypt\"\n" +
			"[[site]]\nhosts = [\"*\"]\nupstream = \"demo\"\n[site.cert]\nsource = \"acme\"\non_demand = true\nallow = [\"A.B\"]\n",
		"[acme]\nrenewal_window = nan\nchallenges = []\n[backup]\ndir = \"b\"\npassphrase = \"0123456789ab\"\n[[site]]\nhosts = [\"a\"]\nupstream = \"demo\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.toml", data)
		lines := bytes.Count(data, []byte("\n")) + 1
		if err != nil {
			if cfg != nil {
				t.Fatalf("both a configuration and an error: %v", err)
			}
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error %T is not Errors: %v", err, err)
			}
			for _, e := range es {
				msg := e.Error()
				if !strings.HasPrefix(msg, "fuzz.toml:") || strings.ContainsAny(msg, "\n\r") {
					t.Fatalf("message not one line starting with the file name: %q", msg)
				}
				if e.Line < 0 || e.Line > lines {
					t.Fatalf("line %d outside the file's %d lines: %s", e.Line, lines, msg)
				}
			}
			if _, err2 := Parse("fuzz.toml", data); err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("not deterministic:\n%v\nthen\n%v", err, err2)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted, then Validate: %v", err)
		}
		if len(cfg.Sites) == 0 {
			t.Fatal("accepted with no site")
		}
		checkNormalized(t, cfg)
		for i := range cfg.Sites {
			s := &cfg.Sites[i]
			if s.Name == "" || len(s.Hosts) == 0 || s.Line < 1 || s.Line > lines {
				t.Fatalf("site %d accepted with name %q, hosts %q, line %d", i, s.Name, s.Hosts, s.Line)
			}
			o, err := cfg.ShieldOptions(s)
			if err != nil {
				t.Fatalf("site %q: ShieldOptions: %v", s.Name, err)
			}
			o.OnEvent = func(shield.Event) {}
			if _, err := shield.New(o); err != nil {
				t.Fatalf("site %q: shield.New: %v", s.Name, err)
			}
		}
	})
}

// checkNormalized checks what Parse promises about an accepted
// configuration's new sections.
func checkNormalized(t *testing.T, cfg *Config) {
	t.Helper()
	if cfg.Listen.Admin == "off" {
		t.Fatal("admin listener \"off\" kept as an address")
	}
	issuers := []*ACMEIssuer{&cfg.ACME.ACMEIssuer}
	if fb := cfg.ACME.Fallback; fb != nil {
		issuers = append(issuers, fb)
		if fb.Email == "" && cfg.ACME.Email != "" {
			t.Fatal("fallback email not inherited")
		}
	}
	for _, is := range issuers {
		if _, ok := caNames[strings.ToLower(is.CA)]; ok || !strings.Contains(is.CA, "://") {
			t.Fatalf("CA %q accepted, not a URL", is.CA)
		}
	}
	th := cfg.Monitor.Thresholds
	for i := range th {
		if th[i] <= 0 || i > 0 && th[i] >= th[i-1] {
			t.Fatalf("thresholds %v: not positive and strictly decreasing", th)
		}
	}
	if r := cfg.ACME.RenewalWindow; !(r > 0 && r < 1) {
		t.Fatalf("renewal window %v accepted", r)
	}
	for _, s := range cfg.Sites {
		for _, a := range s.Cert.Allow {
			if a != strings.ToLower(a) {
				t.Fatalf("site %q: allowed name %q not lower-cased", s.Name, a)
			}
		}
		if s.Cert.Source != CertACME && (s.Cert.OnDemand || s.Cert.Ask != "" || s.Cert.Allow != nil) {
			t.Fatalf("site %q: on-demand keys accepted with source %q", s.Name, s.Cert.Source)
		}
	}
	if b := cfg.Backup; b.Dir != "" && (len(b.Recipients) > 0) == (b.Passphrase != "") {
		t.Fatalf("backup accepted with recipients %q and a passphrase set: %t", b.Recipients, b.Passphrase != "")
	}
}
