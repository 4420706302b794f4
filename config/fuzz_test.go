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
// deterministic; and that an accepted configuration validates again and
// gives every site options shield.New accepts.
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
